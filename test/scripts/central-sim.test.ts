import t from 'tap';
import * as fixtures from '../../scripts/central-sim/fixtures.js';
import { runFleet } from '../../scripts/fleet-sim.js';

t.test('bill fixtures: every provider answers by customer code; unknown codes are NOT_FOUND', async (t) => {
  const cases: Array<[fixtures.BillProvider, string]> = [
    ['evn', 'PE01000123456'], ['sawaco', '13012345678'], ['internet', 'HCM-FTTH-0087654'], ['tuition', 'HS-2026-07-1142'], ['building', 'DKC-B2-1205'],
  ];
  for (const [provider, customerCode] of cases) {
    const b = fixtures.bills({ provider, customerCode });
    t.equal(b.total, b.bills.reduce((s, x) => s + x.amount, 0), `${provider} total`);
    t.ok(b.bills.every((x) => Number.isInteger(x.amount) && x.amount > 0));
  }
  t.throws(() => fixtures.bills({ provider: 'evn', customerCode: 'PE0000' }), { code: 'NOT_FOUND' });
  t.throws(() => fixtures.bills({ provider: 'gas', customerCode: 'x' }), { code: 'BAD_REQUEST' });
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

t.test('BHXH history and telehealth slots', async (t) => {
  const h = fixtures.bhxh({ cccd: '079203001245' });
  t.equal(h.totalMonths, 28 + 42 + 22);
  t.throws(() => fixtures.bhxh({ cccd: '079203001200' }), { code: 'NOT_FOUND' });
  const s = fixtures.telehealthSlots({ hospitalId: 'bv-le-van-thinh', specialty: 'tim-mach', date: '2026-11-26' });
  t.equal(s.slots.length, 14);
  t.same(s, fixtures.telehealthSlots({ hospitalId: 'bv-le-van-thinh', specialty: 'tim-mach', date: '2026-11-26' }), 'deterministic');
});

t.test('fleet-sim: a few stations on the embedded broker deliver everything exactly once', async (t) => {
  const r = await runFleet({ stations: 3, records: 10, timeoutMs: 20_000 });
  t.match(r, { recorded: 30, delivered: 30, lost: 0, gaps: 0, outOfOrder: 0 });
});
