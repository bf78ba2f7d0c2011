/**
 * PaymentService against the real central link and the central simulator over the embedded aedes
 * broker (MQTT 3.1.1): the journaled payment records reach central, the simulator confirms after its
 * delay, the station turns the payment PAID. Time is the manual clock; only socket I/O is real.
 */
import t from 'tap';
import { parseVietQr } from '../../../runtime/services/vietqr.js';
import { centralStation } from '../../fakes/central-station.js';

t.test('a VietQR payment confirmed by the central simulator over MQTT', async (t) => {
  const s = await centralStation(t, { paymentDelayMs: 8000 });
  const { clock, sim, payments } = s;

  const handle = await payments.create({ service: 'bill-payment', amount: 1_284_350, reference: 'EVN-2611-0123456', purpose: 'Tiền điện 11/2026' });
  t.ok(parseVietQr(handle.current().payload).ok);
  await s.until(() => handle.current().state !== 'PENDING', 'payment settled', 50);
  t.equal(handle.current().state, 'PAID');
  t.ok(clock.now() - handle.current().createdAt >= 8000, 'confirmed only after the simulated bank delay');
  await s.until(() => sim.events.filter((e) => e.event.kind === 'payment').length >= 3, 'records at central', 50);
  const seen = sim.events.filter((e) => e.event.kind === 'payment').map((e) => e.event.data as Record<string, unknown>);
  t.same(seen.map((d) => d['state']), ['CREATED', 'PENDING', 'PAID'], 'central received every state, in order');
  t.ok(seen.every((d) => d['paymentId'] === handle.paymentId));
});
