import t from 'tap';
import { loadFlowBundle, formatFlowProblems } from '../../../runtime/flows/bundle.js';
import { flowsDir } from '../../fakes/flow-kit.js';
import { checkField, checkForm, feeOf } from '../../../runtime/services/dossier-form.js';
import { parseProcedures } from '../../../runtime/flows/procedures.js';

t.test('the shipped procedures load with the flows', async (t) => {
  const r = await loadFlowBundle(flowsDir);
  if (!r.ok) t.fail(formatFlowProblems(r.problems).join('\n'));
  t.ok(r.ok);
});

t.test('fee tables and field checks', async (t) => {
  const r = await loadFlowBundle(flowsDir);
  if (!r.ok || !r.bundle.procedures) return t.fail('no procedures');
  const { procedures, units } = r.bundle.procedures;
  const jr = procedures['judicial-record']!;
  t.equal(feeOf(jr, { feeCase: 'standard', copies: '2' }).amount, 200_000);
  t.equal(feeOf(jr, { feeCase: 'standard', copies: '4' }).amount, 210_000, 'copies beyond the two included cost 5.000 đ each');
  t.equal(feeOf(jr, { feeCase: 'reduced', copies: '3' }).amount, 105_000);
  t.equal(feeOf(jr, { feeCase: 'exempt', copies: '5' }).amount, 0, 'exempt stays free whatever the copies');
  t.equal(feeOf(procedures['cccd-renewal']!, { request: 'renew-age' }).amount, 0);
  t.equal(feeOf(procedures['temporary-residence']!, {}).amount, 7_000);
  t.equal(units.provinces.length, 34, 'the 34 provinces and cities of the 2025 structure');
  const now = Date.UTC(2026, 10, 25, 2);
  const date = { id: 'd', label: { vi: 'x', en: 'x' }, type: 'date' as const, date: 'past' as const };
  t.same(checkField(date, '29022024', units, now), { ok: true, value: '2024-02-29' });
  t.same(checkField(date, '29022025', units, now), { ok: false, reason: 'date-invalid' });
  t.same(checkField(date, '2911202', units, now), { ok: false, reason: 'date-format' });
  t.same(checkField({ ...date, required: false }, '', units, now), { ok: true, value: '' });
  t.same(checkField({ id: 'c', label: { vi: 'x', en: 'x' }, type: 'cccd' }, '179085001234', units, now), { ok: false, reason: 'cccd' });
  t.same(checkForm(jr, { fullName: 'A', bogus: '1' }, units, now).ok, false);
  const problems = (checkForm(jr, { fullName: 'A', bogus: '1' }, units, now) as { problems: { field: string; reason: string }[] }).problems;
  t.match(problems, [{ field: 'bogus', reason: 'unknown-field' }, { field: 'sex', reason: 'required' }], 'refused field by field, unknown fields named');
});

t.test('a bad procedure file is refused naming file, path and reason', async (t) => {
  const r = parseProcedures([
    { name: 'procedures/admin-units.yaml', text: 'provinces: [{ value: a, label: { vi: A, en: A } }]\nwards: [{ value: w, label: { vi: W, en: W } }]\n' },
    { name: 'procedures/x-proc.yaml', text: 'id: x-proc\nversion: 1\ntitle: { vi: X, en: X }\nagency: { vi: X, en: X }\nagencyCode: "H29"\ndueWorkingDays: 1\nform: { code: F, name: { vi: F, en: F }, legal: [L], fields: [{ id: a, type: colour, label: { vi: A, en: A } }, { id: b, type: text, when: { field: zz, in: [y] }, label: { vi: B, en: B } }] }\nfee: { legal: [L], cases: [{ amount: -1, label: { vi: F, en: F } }] }\npapers: []\n' },
  ]);
  t.notOk(r.ok);
  if (r.ok) return;
  t.same(r.problems.map((p) => `${p.file}${p.path}: ${p.reason}`), [
    'procedures/x-proc.yaml/agencyCode: must be a DVCQG agency code like 000.00.00.H29',
    'procedures/x-proc.yaml/form/fields/0/type: must be one of text, date, choice, number, phone, cccd',
    'procedures/x-proc.yaml/form/fields/1/when/field: "zz" is not a field asked before this one',
    'procedures/x-proc.yaml/fee/cases/0/amount: must be a whole VND amount >= 0',
  ]);
});
