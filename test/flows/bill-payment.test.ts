import t from 'tap';
import { serviceStation } from '../fakes/service-station.js';
import type { ServiceStation } from '../fakes/service-station.js';
import { parseVietQr } from '../../runtime/services/vietqr.js';

/** central's `bills` answer for a SAWACO water customer (digits only, so the keypad can type it). */
function answerBills(s: ServiceStation, paidIds: Set<string>) {
  s.rpc.on('bills', (p) => {
    if (p['customerCode'] !== '13012345678') return { bills: [], total: 0 };
    return {
      provider: 'sawaco', providerName: 'Tổng công ty Cấp nước Sài Gòn (SAWACO)', service: 'Tiền nước',
      customerCode: '13012345678', customerName: 'NGUYỄN VĂN AN',
      bills: [{ billId: 'SWC-2611-13012345678', period: '11/2026', amount: 186_560 }], total: 186_560,
    };
  });
  s.rpc.on('payment-status', (p) => ({
    paymentId: p['paymentId'], status: paidIds.has(p['paymentId'] as string) ? 'paid' : 'pending', amount: p['amount'], bankRef: 'FT26330ABC',
  }));
}

async function toQr(s: ServiceStation): Promise<void> {
  await s.press('5', '2');
  await s.type('13012345678');
  await s.press('ok');
  t.equal(s.screen().stepId, 'show-bill');
  await s.press('1');
}

t.test('water bill paid by VietQR end to end, keypad only', async (t) => {
  const s = await serviceStation();
  const paid = new Set<string>();
  answerBills(s, paid);
  await s.press('5');
  t.equal(s.screen().stepId, 'provider');
  await s.press('2');
  t.equal(s.screen().stepId, 'customer-code');
  await s.type('13012345678');
  await s.press('ok');
  t.same(s.rpc.calls.find((c) => c.service === 'bills')?.params, { provider: 'sawaco', customerCode: '13012345678' });
  t.equal(s.screen().stepId, 'show-bill');
  t.match(s.text(), /Tiền nước/);
  t.match(s.text(), /11\/2026/);
  t.match(s.text(), /186\.560 ₫/);
  await s.press('1');

  const screen = s.screen();
  t.equal(screen.kind, 'pay');
  const qr = parseVietQr(screen.qr?.payload ?? '');
  t.ok(qr.ok, 'the screen shows a valid VietQR');
  if (!qr.ok) return;
  t.equal(qr.value.amount, 186_560);
  t.equal(qr.value.bill, 'SWC-2611-13012345678');
  t.equal(qr.value.terminal, 'cds-bt-001');
  t.equal(qr.value.bankBin, '970436');
  const paymentId = s.payments.list()[0]!.paymentId;
  t.ok(qr.value.purpose?.startsWith(`${paymentId} Tien nuoc`), `purpose ${qr.value.purpose}`);
  t.ok((screen.countdown ?? 0) > 300, 'a countdown is shown');
  t.same(s.records.of('payment').map((r) => r['state']), ['CREATED', 'PENDING']);

  await s.clock.advance(4000);
  t.equal(s.screen().kind, 'pay', 'still waiting while central says pending');
  paid.add(paymentId);
  await s.clock.advance(2000);
  t.equal(s.screen().stepId, 'paid');
  t.match(s.text(), /Thanh toán thành công/);
  t.match(s.text(), new RegExp(paymentId));
  t.same(s.records.of('payment').map((r) => r['state']), ['CREATED', 'PENDING', 'PAID']);
  await s.press('ok');
  await s.clock.advance(0);
  const receipt = s.printed.at(-1)!.map((l) => l.text ?? '').join('\n');
  t.match(receipt, /BIÊN NHẬN THANH TOÁN/);
  t.match(receipt, /186\.560 ₫/);
  t.match(receipt, new RegExp(paymentId));
  t.equal(s.screen().stepId, 'done');
  await s.stop();
});

t.test('no confirmation before the deadline: expired screen; money arriving later is reconciled', async (t) => {
  const s = await serviceStation();
  const paid = new Set<string>();
  answerBills(s, paid);
  await toQr(s);
  const paymentId = s.payments.list()[0]!.paymentId;
  await s.clock.advance(330_000);
  t.equal(s.screen().stepId, 'expired');
  t.match(s.text(), /không bị mất/);
  t.match(s.text(), new RegExp(paymentId));
  t.equal(s.records.of('payment').at(-1)!['state'], 'EXPIRED');
  paid.add(paymentId);
  await s.clock.advance(30_000);
  const last = s.records.of('payment').at(-1)!;
  t.match(last, { paymentId, state: 'EXPIRED', reconcile: true, late: { amount: 186_560, bankRef: 'FT26330ABC' } });
  await s.stop();
});

t.test('the resident cancels with key 2: nothing charged, the payment closed as cancelled', async (t) => {
  const s = await serviceStation();
  answerBills(s, new Set());
  await toQr(s);
  await s.press('2');
  await s.clock.advance(0);
  t.equal(s.screen().stepId, 'cancelled');
  t.match(s.records.of('payment').at(-1), { state: 'FAILED', failure: { code: 'PAYMENT_CANCELLED' } });
  await s.stop();
});

t.test('central unreachable during the bill lookup: a clear message, nothing recorded', async (t) => {
  const s = await serviceStation();
  answerBills(s, new Set());
  s.rpc.offline = true;
  await s.press('5', '2');
  await s.type('13012345678');
  await s.press('ok');
  t.equal(s.screen().stepId, 'central-down');
  t.match(s.text(), /Chưa kết nối được với hệ thống trung tâm/);
  t.same(s.records.records, []);
  await s.stop();
});

t.test('central unreachable while the QR is shown: still pending, confirmed when it comes back', async (t) => {
  const s = await serviceStation();
  const paid = new Set<string>();
  answerBills(s, paid);
  await toQr(s);
  s.rpc.offline = true;
  const paymentId = s.payments.list()[0]!.paymentId;
  paid.add(paymentId);
  await s.clock.advance(10_000);
  t.equal(s.screen().kind, 'pay');
  s.rpc.offline = false;
  await s.clock.advance(2000);
  t.equal(s.screen().stepId, 'paid');
  t.same(s.records.of('payment').map((r) => r['state']), ['CREATED', 'PENDING', 'PAID']);
  await s.stop();
});

t.test('a full journal: no QR, a clear failure screen', async (t) => {
  const s = await serviceStation();
  answerBills(s, new Set());
  await s.press('5', '2');
  await s.type('13012345678');
  await s.press('ok');
  s.records.full = true;
  await s.press('1');
  t.not(s.screen().kind, 'pay');
  t.equal(s.screen().qr, undefined);
  t.match(s.text(), /chưa nhận được giao dịch/);
  t.same(s.records.records, []);
  t.same(s.payments.list(), []);
  await s.stop();
});

t.test('an unknown customer code says so, and the code can be typed again', async (t) => {
  const s = await serviceStation();
  answerBills(s, new Set());
  await s.press('5', '2');
  await s.type('99999999');
  await s.press('ok');
  t.equal(s.screen().stepId, 'no-bill');
  await s.press('1');
  t.equal(s.screen().stepId, 'customer-code');
  await s.stop();
});

t.test('electricity: the keypad types the 11 digits after PE', async (t) => {
  const s = await serviceStation();
  s.rpc.on('bills', (p) => (p['customerCode'] === 'PE01000123456'
    ? { providerName: 'EVNHCMC', service: 'Tiền điện', customerName: 'NGUYỄN VĂN AN', bills: [{ billId: 'EVN-2611-0123456', period: '11/2026', amount: 1_284_350 }], total: 1_284_350 }
    : { bills: [], total: 0 }));
  await s.press('5', '1');
  t.equal(s.screen().stepId, 'evn-code');
  await s.type('01000123456');
  await s.press('ok');
  t.same(s.rpc.calls.at(-1)?.params, { provider: 'evn', customerCode: 'PE01000123456' });
  t.match(s.text(), /1\.284\.350 ₫/);
  await s.press('home', '5', '1');
  await s.type('01000999999');
  await s.press('ok');
  t.equal(s.screen().stepId, 'no-bill-evn');
  await s.stop();
});

t.test('an invalid customer code is refused three times, then the flow ends', async (t) => {
  const s = await serviceStation();
  answerBills(s, new Set());
  await s.press('5', '3');
  await s.type('12');
  for (let i = 0; i < 2; i++) {
    await s.press('ok');
    t.equal(s.screen().stepId, 'customer-code');
    t.match(s.text() + JSON.stringify(s.screen()), /mã khách hàng|customer/i);
    t.equal(s.screen().input?.value, '12', 'the refused code stays in the field to be corrected');
  }
  await s.press('ok');
  t.equal(s.screen().stepId, 'input-failed');
  t.equal(s.rpc.calls.length, 0, 'central was never asked');
  await s.stop();
});
