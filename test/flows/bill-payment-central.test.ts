/**
 * The bill-payment flow against the real central link and the central simulator over the embedded
 * aedes broker: keypad in, the bill from the simulator's fixtures, the VietQR on screen, the
 * simulator's delayed confirmation, the receipt. Time is the manual clock; only socket I/O is real.
 */
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CentralLink } from '../../runtime/central-link.js';
import { CryptoBox } from '../../runtime/crypto-box.js';
import { EmbeddedBroker } from '../../runtime/embedded-broker.js';
import { parseVietQr } from '../../runtime/vietqr.js';
import { CentralSim, DEV_KEY_ID, devKeyDir } from '../../scripts/central-sim.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { silentLogger, tempDir, until } from '../fakes/link-test-kit.js';
import { serviceStation } from '../fakes/service-station.js';

t.test('a SAWACO water bill paid through the central simulator, keypad only', async (t) => {
  const logger = silentLogger();
  const broker = new EmbeddedBroker({ port: 0, logger });
  await broker.start();
  t.teardown(() => broker.stop());
  const clock = new ManualClock();
  const link = new CentralLink({
    stationId: 'cds-bt-001', dataDir: await tempDir(t), clock, logger, box: CryptoBox.fromText('cc'.repeat(32)),
    mqtt: {
      url: broker.url, protocolVersion: 4, reconnectMinMs: 1000, reconnectMaxMs: 8000, random: () => 0.5,
      birth: () => ({ versions: {}, devices: [], flows: [], capabilities: ['vietqr'] }),
    },
    commandKeys: { [DEV_KEY_ID]: await readFile(join(devKeyDir(), 'central-dev.ed25519.pub.pem'), 'utf8') },
    commandHandlers: {},
    outbox: { receiptTimeoutMs: 5000 },
  });
  const sim = new CentralSim({ url: broker.url, protocolVersion: 4, clock, logger, paymentDelayMs: 8000 });
  await sim.start();
  await link.start();
  // Simulated time runs far faster than the loopback round trip; long deadlines keep the polls honest.
  const s = await serviceStation({ clock, link, rpcTimeoutMs: 600_000, paymentTimeoutMs: 600_000 });
  t.teardown(async () => {
    await s.stop();
    await link.stop();
    await sim.stop();
  });
  await until(clock, () => link.status().link.state === 'connected', 'station connected', 0);

  await s.press('5', '2');
  await s.type('13012345678');
  await s.press('ok');
  await until(clock, () => s.screen().stepId !== 'lookup', 'bill looked up', 0);
  t.equal(s.screen().stepId, 'show-bill');
  t.match(s.text(), /SAWACO/);
  t.match(s.text(), /186\.560 ₫/);
  await s.press('1');
  await until(clock, () => s.screen().kind === 'pay' && s.screen().qr !== undefined, 'QR shown', 0);
  const qr = parseVietQr(s.screen().qr!.payload);
  t.ok(qr.ok && qr.value.amount === 186_560 && qr.value.bill === 'SWC-2611-13012345678');
  const shownAt = clock.now();
  await until(clock, () => s.screen().stepId === 'paid', 'payment confirmed', 50);
  t.ok(clock.now() - shownAt >= 8000, 'confirmed after the simulated bank delay');
  await s.press('ok');
  await until(clock, () => s.printed.length > 0, 'receipt printed', 0);
  t.match(s.printed[0]!.map((l) => l.text ?? '').join('\n'), /186\.560 ₫/);
  await until(clock, () => sim.events.filter((e) => e.event.kind === 'payment').length >= 3, 'payment records at central', 50);
  t.same(sim.events.filter((e) => e.event.kind === 'payment').map((e) => (e.event.data as { state: string }).state), ['CREATED', 'PENDING', 'PAID']);
});
