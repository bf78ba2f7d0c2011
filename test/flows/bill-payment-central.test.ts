/**
 * The bill-payment flow against the real central link and the central simulator over the embedded
 * aedes broker: keypad in, the bill from the simulator's fixtures, the VietQR on screen, the
 * simulator's delayed confirmation, the receipt. Time is the manual clock; only socket I/O is real.
 */
import t from 'tap';
import { parseVietQr } from '../../runtime/services/vietqr.js';
import { centralStation } from '../fakes/central-station.js';

t.test('a SAWACO water bill paid through the central simulator, keypad only', async (t) => {
  const s = await centralStation(t, { paymentDelayMs: 8000 });
  const { clock, sim } = s;

  await s.press('5', '2');
  await s.type('13012345678');
  await s.press('ok');
  await s.until(() => s.screen().stepId !== 'lookup', 'bill looked up');
  t.equal(s.screen().stepId, 'show-bill');
  t.match(s.text(), /SAWACO/);
  t.match(s.text(), /186\.560 ₫/);
  await s.press('1');
  await s.until(() => s.screen().kind === 'pay' && s.screen().qr !== undefined, 'QR shown');
  const qr = parseVietQr(s.screen().qr!.payload);
  t.ok(qr.ok && qr.value.amount === 186_560 && qr.value.bill === 'SWC-2611-13012345678');
  const shownAt = clock.now();
  await s.until(() => s.screen().stepId === 'paid', 'payment confirmed', 50);
  t.ok(clock.now() - shownAt >= 8000, 'confirmed after the simulated bank delay');
  await s.press('ok');
  await s.until(() => s.printed.length > 0, 'receipt printed');
  t.match(s.printed[0]!.map((l) => l.text ?? '').join('\n'), /186\.560 ₫/);
  await s.until(() => sim.events.filter((e) => e.event.kind === 'payment').length >= 3, 'payment records at central', 50);
  t.same(sim.events.filter((e) => e.event.kind === 'payment').map((e) => (e.event.data as { state: string }).state), ['CREATED', 'PENDING', 'PAID']);
});
