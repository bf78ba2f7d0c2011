import t from 'tap';
import { ManualClock } from '../../fakes/manual-clock.js';
import { silentLogger, tempDir } from '../../fakes/link-test-kit.js';
import { FakeRpc, MemoryPaymentLedger, MemoryRecordSink } from '../../fakes/payment-fakes.js';
import { PaymentService } from '../../../runtime/services/payment.js';
import { openPaymentLedger } from '../../../runtime/services/payment-ledger.js';
import { runPayEffect, STEP_GRACE_MS } from '../../../runtime/services/payment-effect.js';
import type { PaymentStateEvent } from '../../../runtime/services/payment-effect.js';
import type { PaymentRecord, PaymentServiceOptions } from '../../../runtime/services/payment.js';
import { parseVietQr } from '../../../runtime/services/vietqr.js';
import { isStationError } from '../../../runtime/kernel/errors.js';

function setup(overrides: Partial<PaymentServiceOptions> = {}) {
  const clock = new ManualClock();
  const records = new MemoryRecordSink();
  const rpc = new FakeRpc();
  const ledger = new MemoryPaymentLedger();
  const paid = new Set<string>();
  rpc.on('payment-status', (p) => ({ paymentId: p['paymentId'], status: paid.has(p['paymentId'] as string) ? 'paid' : 'pending', amount: p['amount'], bankRef: 'FT2633012345' }));
  const service = new PaymentService({
    clock, logger: silentLogger(), records, rpc, ledger, stationId: 'cds-bt-001', bankBin: '970436', account: '1017788990',
    timeoutMs: 60_000, pollIntervalMs: 2000, reconcileIntervalMs: 10_000, reconcileWindowMs: 3_600_000, ...overrides,
  });
  return { clock, records, rpc, ledger, service, paid };
}

const bill = { service: 'bill-payment', amount: 356_000, reference: 'PE01000123456-2611', purpose: 'Tiền điện tháng 11' };

t.test('a paid payment goes CREATED → PENDING → PAID, each state journaled before it is shown', async (t) => {
  const { clock, records, ledger, service, paid } = setup();
  await service.start();
  const handle = await service.create(bill);
  t.same(records.of('payment').map((p) => p['state']), ['CREATED', 'PENDING']);
  t.ok(records.records.every((r) => r.options?.personal === true), 'payment records are personal data');
  const current = handle.current();
  t.equal(current.state, 'PENDING');
  t.equal(current.expiresAt, clock.now() + 60_000);
  t.same(ledger.saved.map((p) => p.paymentId), [handle.paymentId], 'the open payment survives a restart');

  const qr = parseVietQr(current.payload);
  t.ok(qr.ok, 'the QR payload verifies');
  if (qr.ok) {
    t.equal(qr.value.amount, 356_000);
    t.equal(qr.value.initiation, '12');
    t.equal(qr.value.bankBin, '970436');
    t.equal(qr.value.account, '1017788990');
    t.equal(qr.value.terminal, 'cds-bt-001');
    t.equal(qr.value.bill, 'PE01000123456-2611');
    t.ok(qr.value.purpose?.startsWith(handle.paymentId + ' Tien dien'), 'the purpose carries the payment code first');
    t.ok((qr.value.purpose?.length ?? 0) <= 25);
    t.equal(qr.value.purpose, `${handle.paymentId} Tien dien`, 'cut at a whole word, never mid-word');
  }

  const seen: string[] = [];
  handle.subscribe((p) => seen.push(p.state));
  await clock.advance(4000);
  t.equal(handle.current().state, 'PENDING');
  paid.add(handle.paymentId);
  await clock.advance(2000);
  const final = await handle.settled;
  t.equal(final.state, 'PAID');
  t.equal(final.bankRef, 'FT2633012345');
  t.same(seen, ['PAID']);
  t.same(records.of('payment').map((p) => p['state']), ['CREATED', 'PENDING', 'PAID']);
  t.equal(records.of('payment')[2]!['bankRef'], 'FT2633012345');
  t.same(ledger.saved, [], 'nothing left to reconcile');
  await service.confirm({ paymentId: handle.paymentId, status: 'paid', amount: 356_000 });
  t.equal(records.of('payment').length, 3, 'a repeated confirmation changes nothing');
  await service.stop();
});

t.test('no confirmation before the deadline: EXPIRED; money arriving later is kept for reconciliation', async (t) => {
  const { clock, records, ledger, service, paid } = setup();
  await service.start();
  const handle = await service.create(bill);
  await clock.advance(59_999);
  t.equal(handle.current().state, 'PENDING');
  await clock.advance(1);
  const expired = await handle.settled;
  t.equal(expired.state, 'EXPIRED');
  t.same(records.of('payment').map((p) => p['state']), ['CREATED', 'PENDING', 'EXPIRED']);
  t.same(ledger.saved.map((p) => p.state), ['EXPIRED'], 'still watched after expiry');

  paid.add(handle.paymentId);
  await clock.advance(10_000);
  const last = records.of('payment').at(-1)!;
  t.equal(last['state'], 'EXPIRED', 'a closed payment does not turn PAID behind the resident');
  t.equal(last['reconcile'], true);
  t.match(last['late'], { amount: 356_000, bankRef: 'FT2633012345' });
  t.same(ledger.saved, [], 'reconciled payments leave the ledger');
  const polls = records.records.length;
  await clock.advance(60_000);
  t.equal(records.records.length, polls, 'recorded once');
  await service.stop();
});

t.test('a confirmation pushed by central after expiry is recorded, not lost', async (t) => {
  const { clock, records, service } = setup({ reconcileIntervalMs: 600_000 });
  await service.start();
  const handle = await service.create(bill);
  await clock.advance(60_000);
  t.equal((await handle.settled).state, 'EXPIRED');
  await service.confirm({ paymentId: handle.paymentId, status: 'paid', amount: 356_000, bankRef: 'FT99' });
  const last = records.of('payment').at(-1)!;
  t.equal(last['reconcile'], true);
  t.match(last['late'], { bankRef: 'FT99' });
  t.equal(service.get(handle.paymentId), undefined);
  await service.confirm({ paymentId: 'CDSUNKNOWN', status: 'paid', amount: 1000, bankRef: 'FT100' });
  t.match(records.of('payment').at(-1), { paymentId: 'CDSUNKNOWN', state: 'UNKNOWN', reconcile: true, late: { amount: 1000 } },
    'even money for an unknown code is journaled');
  await service.stop();
});

t.test('central unreachable: the payment stays pending, the screen learns it, nothing is lost', async (t) => {
  const { clock, records, rpc, service, paid } = setup();
  await service.start();
  const handle = await service.create(bill);
  const reach: boolean[] = [];
  handle.subscribe((_p, reachable) => reach.push(reachable));
  rpc.offline = true;
  await clock.advance(6000);
  t.equal(handle.centralReachable(), false);
  t.same(reach, [false]);
  t.equal(handle.current().state, 'PENDING');
  rpc.offline = false;
  paid.add(handle.paymentId);
  await clock.advance(2000);
  t.equal((await handle.settled).state, 'PAID');
  t.equal(handle.centralReachable(), true);
  t.same(reach, [false, true, true]);
  t.same(records.of('payment').map((p) => p['state']), ['CREATED', 'PENDING', 'PAID']);
  await service.stop();
});

t.test('central offline until after the deadline: EXPIRED, then reconciled when it comes back', async (t) => {
  const { clock, records, rpc, service, paid } = setup();
  await service.start();
  const handle = await service.create(bill);
  rpc.offline = true;
  paid.add(handle.paymentId);
  await clock.advance(60_000);
  t.equal((await handle.settled).state, 'EXPIRED');
  rpc.offline = false;
  await clock.advance(10_000);
  t.equal(records.of('payment').at(-1)!['reconcile'], true);
  await service.stop();
});

t.test('a full journal refuses the payment before any QR exists', async (t) => {
  const { records, rpc, ledger, service } = setup();
  await service.start();
  records.full = true;
  await t.rejects(service.create(bill), { code: 'JOURNAL_FULL' });
  t.same(records.records, []);
  t.same(rpc.calls, []);
  t.same(ledger.saved, []);
  t.same(service.list(), []);
  await service.stop();
});

t.test('the journal filling between CREATED and PENDING also refuses, and nothing stays open', async (t) => {
  const { records, service } = setup();
  await service.start();
  const original = records.record.bind(records);
  let n = 0;
  records.record = async (kind, payload, options) => {
    if (++n === 2) records.full = true;
    return original(kind, payload, options);
  };
  const err = await service.create(bill).catch((e: unknown) => e);
  t.ok(isStationError(err, 'JOURNAL_FULL'));
  t.same(records.of('payment').map((p) => p['state']), ['CREATED']);
  t.same(service.list(), []);
  await service.stop();
});

t.test('the resident cancels: FAILED (CANCELLED); money paid anyway is reconciled', async (t) => {
  const { clock, records, service, paid } = setup();
  await service.start();
  const handle = await service.create(bill);
  const cancelled = await handle.cancel();
  t.equal(cancelled.state, 'FAILED');
  t.match(cancelled.failure, { code: 'PAYMENT_CANCELLED' });
  t.equal((await handle.settled).state, 'FAILED');
  paid.add(handle.paymentId);
  await clock.advance(10_000);
  t.equal(records.of('payment').at(-1)!['reconcile'], true);
  t.equal((await handle.cancel()).state, 'FAILED', 'cancelling twice is harmless');
  await service.stop();
});

t.test('central reports failure or the wrong amount: FAILED', async (t) => {
  const { records, service } = setup();
  await service.start();
  const a = await service.create(bill);
  await service.confirm({ paymentId: a.paymentId, status: 'failed', reason: 'bank rejected' });
  t.match(await a.settled, { state: 'FAILED', failure: { message: 'bank rejected' } });
  const b = await service.create(bill);
  await service.confirm({ paymentId: b.paymentId, status: 'paid', amount: 100_000, bankRef: 'FT1' });
  const settled = await b.settled;
  t.equal(settled.state, 'FAILED');
  t.match(settled.failure?.message, /AMOUNT_MISMATCH/);
  t.match(settled.late, { amount: 100_000, bankRef: 'FT1' }, 'the partial money is kept for reconciliation');
  t.notSame(a.paymentId, b.paymentId);
  t.equal(records.of('payment').length, 6);
  await service.stop();
});

t.test('invalid amounts are refused before anything is journaled', async (t) => {
  const { records, service } = setup();
  await service.start();
  for (const amount of [0, -5, 12.5, Number.NaN]) {
    await t.rejects(service.create({ ...bill, amount }), { code: 'INPUT_INVALID' });
  }
  t.same(records.records, []);
  await service.stop();
});

t.test('after a restart: overdue pending payments expire, others keep their deadline, all are reconciled', async (t) => {
  const first = setup();
  await first.service.start();
  const overdue = await first.service.create(bill);
  await first.clock.advance(30_000);
  const fresh = await first.service.create({ ...bill, amount: 120_000 });
  await first.service.stop();

  const clock = first.clock;
  await clock.advance(40_000);
  const records = first.records;
  const before = records.records.length;
  const paid = new Set<string>([fresh.paymentId]);
  const rpc = new FakeRpc().on('payment-status', (p) => ({ status: paid.has(p['paymentId'] as string) ? 'paid' : 'pending', amount: p['amount'] }));
  const again = new PaymentService({
    clock, logger: silentLogger(), records, rpc, ledger: first.ledger, stationId: 'cds-bt-001', bankBin: '970436',
    account: '1017788990', timeoutMs: 60_000, pollIntervalMs: 2000, reconcileIntervalMs: 10_000,
  });
  await again.start();
  const after = records.of('payment').slice(-1);
  t.match(after[0], { paymentId: overdue.paymentId, state: 'EXPIRED' }, 'the overdue payment expired on start');
  t.equal(records.records.length, before + 1);
  await clock.advance(100);
  t.equal(again.get(fresh.paymentId), undefined, 'the still-valid payment was confirmed on the first check');
  t.match(records.of('payment').at(-1), { paymentId: fresh.paymentId, state: 'PAID' });
  await again.stop();
});

t.test('the reconciliation window closes', async (t) => {
  const { clock, rpc, ledger, service } = setup({ reconcileWindowMs: 30_000 });
  await service.start();
  await service.create(bill);
  await clock.advance(60_000);
  t.equal(ledger.saved.length, 1);
  await clock.advance(40_000);
  t.same(ledger.saved, []);
  const calls = rpc.calls.length;
  await clock.advance(60_000);
  t.equal(rpc.calls.length, calls, 'no more polls');
  await service.stop();
});

t.test('the ledger file keeps open payments across processes', async (t) => {
  const dir = await tempDir(t);
  const ledger = await openPaymentLedger(dir, silentLogger());
  t.same(await ledger.load(), []);
  const p: PaymentRecord = {
    paymentId: 'CDSX1', service: 'bill-payment', amount: 1000, reference: 'R', purpose: 'CDSX1', payload: '000201',
    state: 'PENDING', createdAt: 1, expiresAt: 2,
  };
  await ledger.save([p]);
  const reopened = await openPaymentLedger(dir, silentLogger());
  t.same(await reopened.load(), [p]);
});

t.test('runPayEffect feeds the engine payment-state events and cancels on abort', async (t) => {
  const { clock, records, rpc, service, paid } = setup();
  await service.start();
  const req = { service: 'bill-payment', amount: 356_000, reference: 'EVN-2611-0123456', purpose: 'Tiền điện 11/2026', expiresInMs: 120_000 };
  const events: PaymentStateEvent[] = [];
  const run = runPayEffect(service, 'pay-7', req, (e) => events.push(e));
  await clock.advance(0);
  const pending = events[0]!;
  t.match(pending, { type: 'payment-state', effectId: 'pay-7', state: 'PENDING', centralReachable: true });
  t.equal(pending.expiresAt, clock.now() + 120_000 - STEP_GRACE_MS, 'the code expires just before the step deadline');
  const qr = parseVietQr(pending.qr ?? '');
  t.ok(qr.ok && qr.value.amount === 356_000 && qr.value.bill === 'EVN-2611-0123456');
  paid.add(pending.paymentId!);
  await clock.advance(2000);
  t.equal((await run)?.state, 'PAID');
  t.match(events.at(-1), { state: 'PAID', paymentId: pending.paymentId });
  t.equal(events.at(-1)!.qr, undefined);

  const expiring: PaymentStateEvent[] = [];
  const e = runPayEffect(service, 'pay-8', req, (ev) => expiring.push(ev));
  await clock.advance(120_000);
  t.equal((await e)?.state, 'EXPIRED');
  t.equal(expiring.at(-1)!.state, 'EXPIRED');

  const ac = new AbortController();
  const cancelling: PaymentStateEvent[] = [];
  const c = runPayEffect(service, 'pay-9', req, (ev) => cancelling.push(ev), ac.signal);
  await clock.advance(100);
  ac.abort();
  t.equal((await c)?.state, 'FAILED');
  t.match(cancelling.at(-1), { state: 'FAILED', error: { code: 'PAYMENT_CANCELLED' } });

  const offline: PaymentStateEvent[] = [];
  rpc.offline = true;
  const o = runPayEffect(service, 'pay-10', req, (ev) => offline.push(ev));
  await clock.advance(2000);
  t.match(offline.at(-1), { state: 'PENDING', centralReachable: false }, 'the screen can say central is unreachable');
  await clock.advance(120_000);
  t.equal((await o)?.state, 'EXPIRED');

  records.full = true;
  const refused: PaymentStateEvent[] = [];
  await t.rejects(runPayEffect(service, 'pay-11', req, (ev) => refused.push(ev)), { code: 'JOURNAL_FULL' });
  t.same(refused, [], 'no QR was ever offered');
  records.full = false;
  await t.rejects(runPayEffect(service, 'pay-12', { ...req, amount: 0 }, () => undefined), { code: 'INPUT_INVALID' });
  await service.stop();
});

t.test('stopping a payment at its deadline records EXPIRED, not a cancel', async (t) => {
  const { clock, records, service } = setup();
  await service.start();
  const ac = new AbortController();
  const run = runPayEffect(service, 'pay-1', { service: 'bill-payment', amount: 1000, reference: 'R1', purpose: '', expiresInMs: 1500 }, () => undefined, ac.signal);
  // The engine's step timer, set before the payment existed, fires first at the same instant.
  clock.setTimeout(() => ac.abort(), 1500);
  await clock.advance(1500);
  t.equal((await run)?.state, 'EXPIRED');
  t.same(records.of('payment').map((p) => p['state']), ['CREATED', 'PENDING', 'EXPIRED']);
  await service.stop();
});

t.test('the payments config section: defaults off, beneficiary required when on', async (t) => {
  const { validateConfig } = await import('../../../runtime/config/config.js');
  const base = { version: 1, station: { id: 'cds-bt-001' } };
  const off = validateConfig(structuredClone(base));
  t.ok(off.ok);
  if (off.ok) {
    t.same(off.config['payments'], { enabled: false, cardService: false, timeoutS: 300, pollIntervalS: 3, reconcileIntervalS: 60, reconcileWindowS: 86400 });
  }
  const missing = validateConfig({ ...structuredClone(base), payments: { enabled: true, bankBin: '970436' } });
  t.notOk(missing.ok);
  if (!missing.ok) t.ok(missing.problems.some((p) => p.path.startsWith('/payments') && /account/.test(p.message)), JSON.stringify(missing.problems));
  t.notOk(validateConfig({ ...structuredClone(base), payments: { enabled: true, bankBin: '97043', account: '1' } }).ok, 'a 5-digit BIN');
  t.notOk(validateConfig({ ...structuredClone(base), payments: { enabled: true, bankBin: '970436', account: '12-34' } }).ok, 'an account with a dash');
  const on = validateConfig({ ...structuredClone(base), payments: { enabled: true, bankBin: '970436', account: '1017788990', timeoutS: 240 } });
  t.ok(on.ok);
  if (on.ok) t.match(on.config['payments'], { enabled: true, bankBin: '970436', account: '1017788990', timeoutS: 240, pollIntervalS: 3 });
});

t.test('the ledger keeps only what reconciliation needs: no bill reference, purpose or QR at rest', async (t) => {
  const { ledger, service } = setup();
  await service.start();
  const handle = await service.create(bill);
  const kept = ledger.saved[0]!;
  t.equal(kept.paymentId, handle.paymentId);
  t.equal(kept.amount, 356_000);
  t.equal(kept.reference, '');
  t.equal(kept.purpose, '');
  t.equal(kept.payload, '');
  t.notMatch(JSON.stringify(ledger.saved), /PE01000123456/);
  t.equal(handle.current().reference, 'PE01000123456-2611', 'the live payment still has it');
  await service.stop();
});
