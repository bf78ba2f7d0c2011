import t from 'tap';
import { validateInput } from '../../../runtime/services/validators.js';
import { getPath, renderTemplate, resolveTemplateValue, setPath, formatVnd } from '../../../runtime/flows/template.js';

t.test('named validators accept what residents type and refuse with a reason key', async (t) => {
  const ok: [Parameters<typeof validateInput>[0], string, string][] = [
    ['cccd12', '079158001234', '079158001234'],
    ['phone', '0903123456', '0903123456'],
    ['phone', ' 0381234567 ', '0381234567'],
    ['dossierCode', '000.00.00.h29-260106-0001', '000.00.00.H29-260106-0001'],
    ['customerCode', 'pe01000123456', 'PE01000123456'],
    ['bhxhCode', '7912345678', '7912345678'],
    ['personalIdOrBhxh', '7912345678', '7912345678'],
    ['personalIdOrBhxh', '079158001234', '079158001234'],
    ['amount', '0250000', '250000'],
  ];
  for (const [name, raw, value] of ok) t.same(validateInput(name, raw), { ok: true, value }, `${name} ${raw}`);
  const refused: [Parameters<typeof validateInput>[0], string, string][] = [
    ['cccd12', '07915800123', 'invalid.cccd-length'],
    ['cccd12', '999158001234', 'invalid.cccd'],
    ['phone', '0203123456', 'invalid.phone'],
    ['phone', '090312345', 'invalid.phone'],
    ['dossierCode', '000.00.00.H29-261306-0001', 'invalid.dossier-code'],
    ['dossierCode', 'H29-260106-0001', 'invalid.dossier-code'],
    ['customerCode', 'PE-01', 'invalid.customer-code'],
    ['bhxhCode', '791234567', 'invalid.bhxh-code'],
    ['personalIdOrBhxh', '12345678901', 'invalid.personal-id-or-bhxh'],
    ['amount', '0', 'invalid.amount'],
    ['amount', '1e5', 'invalid.amount'],
  ];
  for (const [name, raw, reason] of refused) t.same(validateInput(name, raw), { ok: false, reason }, `${name} ${raw}`);
  t.same(validateInput('digits', '1234', { minLength: 4, maxLength: 6 }), { ok: true, value: '1234' });
  t.same(validateInput('digits', '123', { minLength: 4, maxLength: 6 }), { ok: false, reason: 'invalid.digits' });
});

t.test('templates substitute session data and nothing else', async (t) => {
  const data = { bill: { amount: 1250000, period: '11/2026' }, identity: { id: '079158001234', birthDate: '1958-03-12' } };
  t.equal(renderTemplate('Kỳ {{bill.period}}: {{ bill.amount | vnd }}', data), 'Kỳ 11/2026: 1.250.000 ₫');
  t.equal(renderTemplate('{{identity.id | masked}} · {{identity.birthDate | date}}', data), '079•••••••34 · 12/03/1958');
  t.equal(renderTemplate('{{missing.path}}|{{bill}}', data), '|', 'missing and non-scalar values become empty');
  t.equal(renderTemplate('{{constructor.name}}{{bill.constructor}}{{toString}}', data), '', 'no prototype access');
  t.equal(renderTemplate('{{bill.__proto__}}', data), '{{bill.__proto__}}', 'not a path: left as text');
  t.equal(renderTemplate('{{ process.exit() }}', data), '{{ process.exit() }}', 'anything but a path is left as text, never run');
  t.equal(resolveTemplateValue('{{bill.amount}}', data), 1250000, 'a whole-string path keeps its type');
  t.equal(getPath(data, 'bill.amount'), 1250000);
  const next = setPath(data, 'bill.paid', true);
  t.equal(getPath(next, 'bill.paid'), true);
  t.equal(getPath(data, 'bill.paid'), undefined, 'setPath copies');
  t.equal(formatVnd(-5000), '-5.000 ₫');
});
