import t from 'tap';
import * as fixtures from '../../scripts/central-sim/fixtures.js';
import { validateInput } from '../../runtime/services/validators.js';
import { runFleet } from '../../scripts/fleet-sim.js';

t.test('bill fixtures: every provider answers by customer code; unknown codes are NOT_FOUND', async (t) => {
  const cases: Array<[fixtures.BillProvider, string]> = [
    ['evn', 'PE01000123456'], ['sawaco', '13012345678'], ['internet', '2870654321'], ['tuition', '7912301142'], ['building', '021205'],
  ];
  for (const [provider, customerCode] of cases) {
    const b = fixtures.bills({ provider, customerCode });
    t.ok(b.bills.length > 0, `${provider} has a bill`);
    t.equal(b.total, b.bills.reduce((s, x) => s + x.amount, 0), `${provider} total`);
    t.ok(b.bills.every((x) => Number.isInteger(x.amount) && x.amount > 0));
  }
  t.same(fixtures.bills({ provider: 'evn', customerCode: 'PE01000777888' }).bills, [], 'a known customer with nothing due is an empty list');
  t.throws(() => fixtures.bills({ provider: 'evn', customerCode: 'PE09999999999' }), { code: 'NOT_FOUND' });
  t.throws(() => fixtures.bills({ provider: 'internet', customerCode: '13012345678' }), { code: 'NOT_FOUND' }, 'codes are per provider');
  t.throws(() => fixtures.bills({ provider: 'gas', customerCode: 'x' }), { code: 'BAD_REQUEST' });
});

t.test('every bill customer code can be typed on the 12-key keypad and passes the flow validators', async (t) => {
  for (const c of fixtures.BILL_CUSTOMERS) {
    if (c.provider === 'evn') {
      // The flow asks for the 11 digits after PE and sends PE + digits (flows/bill-payment.yaml evn-code).
      t.match(c.customerCode, /^PE\d{11}$/, `${c.customerCode} is PE + 11 digits`);
      t.same(validateInput('digits', c.customerCode.slice(2), { minLength: 11, maxLength: 11 }), { ok: true, value: c.customerCode.slice(2) });
    } else {
      t.match(c.customerCode, /^\d+$/, `${c.provider} ${c.customerCode} is digits only`);
      t.same(validateInput('customerCode', c.customerCode), { ok: true, value: c.customerCode });
    }
  }
});

t.test('dossier fixtures cover every status with HCMC dossier codes', async (t) => {
  const codes = ['000.00.00.H29-260106-0001', '000.00.00.H29-261104-0017', '000.00.00.H29-261110-0042', '000.00.00.H29-261118-0103',
    '000.00.00.H29-261120-0008', '000.00.00.H29-261012-0230', '000.00.00.H29-260930-0077', '000.00.00.H29-260815-0011'];
  const statuses = new Set(codes.map((code) => fixtures.dossiers({ code }).status));
  t.same([...statuses].sort(), Object.keys(fixtures.DOSSIER_STATUSES).sort());
  t.throws(() => fixtures.dossiers({ code: '123' }), { code: 'BAD_REQUEST' });
});

t.test('BHYT household quote applies the 100/70/60/50/40% ladder on 4.5% of the base salary', async (t) => {
  const q = fixtures.bhytQuote({ members: 5 });
  t.same(q.lines.map((l) => l.amount), [1_263_600, 884_520, 758_160, 631_800, 505_440]);
  t.equal(q.total, 4_043_520);
});

t.test('BHXH history by CCCD or BHXH code; unknown numbers are NOT_FOUND', async (t) => {
  const byCccd = fixtures.bhxh({ cccd: '079085001234' });
  t.equal(byCccd.totalMonths, 28 + 42 + 22);
  t.equal(byCccd.bhxhCode, '7910012345');
  t.same(fixtures.bhxh({ bhxhCode: '7910012345' }), byCccd, 'the BHXH code finds the same person');
  t.same(fixtures.bhxh({ bhxhCode: '7920045678' }).periods, [], 'insured without contributions: an empty list');
  t.throws(() => fixtures.bhxh({ cccd: '079085009999' }), { code: 'NOT_FOUND' });
  t.throws(() => fixtures.bhxh({ bhxhCode: '7999999999' }), { code: 'NOT_FOUND' });
  t.throws(() => fixtures.bhxh({ bhxhCode: '79100123' }), { code: 'BAD_REQUEST' });
  t.throws(() => fixtures.bhxh({}), { code: 'BAD_REQUEST' });
  for (const p of fixtures.INSURED) {
    t.ok(validateInput('cccd12', p.cccd).ok, `${p.cccd} passes the CCCD check`);
    t.ok(validateInput('bhxhCode', p.bhxhCode).ok);
  }
});

t.test('telehealth slots: free ones only, soonest first, deterministic', async (t) => {
  const s = fixtures.telehealthSlots({ hospitalId: 'bv-le-van-thinh', specialty: 'tim-mach', from: '2026-11-26' });
  t.ok(s.slots.length >= 9, 'enough free slots to fill the nine keys');
  t.ok(s.slots.length < 28, 'some slots are taken and left out');
  t.ok(s.slots.every((x) => !('available' in x)), 'no taken/free flag: every slot returned is free');
  const keys = s.slots.map((x) => `${x.date} ${x.time}`);
  t.same(keys, [...keys].sort(), 'soonest first');
  t.same(new Set(s.slots.map((x) => x.date)), new Set(['2026-11-26', '2026-11-27']));
  t.same(s, fixtures.telehealthSlots({ hospitalId: 'bv-le-van-thinh', specialty: 'tim-mach', from: '2026-11-26' }), 'deterministic');
  t.throws(() => fixtures.telehealthSlots({ hospitalId: 'bv-khong-co', specialty: 'tim-mach' }), { code: 'NOT_FOUND' });
});

t.test('fleet-sim: a few stations on the embedded broker deliver everything exactly once', async (t) => {
  const r = await runFleet({ stations: 3, records: 10, timeoutMs: 20_000 });
  t.match(r, { recorded: 30, delivered: 30, lost: 0, gaps: 0, outOfOrder: 0 });
});
