/**
 * PaymentService against the real central link and the central simulator over the embedded aedes
 * broker (MQTT 3.1.1): the journaled payment records reach central, the simulator confirms after its
 * delay, the station turns the payment PAID. Time is the manual clock; only socket I/O is real.
 */
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CentralLink } from '../../runtime/central-link.js';
import { CryptoBox } from '../../runtime/crypto-box.js';
import { EmbeddedBroker } from '../../runtime/embedded-broker.js';
import { PaymentService } from '../../runtime/payment.js';
import { parseVietQr } from '../../runtime/vietqr.js';
import { CentralSim, DEV_KEY_ID, devKeyDir } from '../../scripts/central-sim.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { silentLogger, tempDir, until } from '../fakes/link-test-kit.js';
import { MemoryPaymentLedger } from '../fakes/payment-fakes.js';

t.test('a VietQR payment confirmed by the central simulator over MQTT', async (t) => {
  const logger = silentLogger();
  const broker = new EmbeddedBroker({ port: 0, logger });
  await broker.start();
  t.teardown(() => broker.stop());
  const clock = new ManualClock();
  const link = new CentralLink({
    stationId: 'cds-bt-001', dataDir: await tempDir(t), clock, logger, box: CryptoBox.fromText('bb'.repeat(32)),
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
  const payments = new PaymentService({
    clock, logger, records: link, rpc: link, ledger: new MemoryPaymentLedger(), stationId: 'cds-bt-001',
    bankBin: '970436', account: '1017788990', timeoutMs: 600_000, pollIntervalMs: 2000,
    // Simulated time runs much faster than the loopback round trip; a long RPC deadline keeps polls honest.
    rpcTimeoutMs: 600_000,
  });
  await payments.start();
  t.teardown(async () => {
    await payments.stop();
    await link.stop();
    await sim.stop();
  });
  await until(clock, () => link.status().link.state === 'connected', 'station connected', 0);

  const handle = await payments.create({ service: 'bill-payment', amount: 1_284_350, reference: 'EVN-2611-0123456', purpose: 'Tiền điện 11/2026' });
  t.ok(parseVietQr(handle.current().payload).ok);
  await until(clock, () => handle.current().state !== 'PENDING', 'payment settled', 50);
  t.equal(handle.current().state, 'PAID');
  t.ok(clock.now() - handle.current().createdAt >= 8000, 'confirmed only after the simulated bank delay');
  await until(clock, () => sim.events.filter((e) => e.event.kind === 'payment').length >= 3, 'records at central', 50);
  const seen = sim.events.filter((e) => e.event.kind === 'payment').map((e) => e.event.data as Record<string, unknown>);
  t.same(seen.map((d) => d['state']), ['CREATED', 'PENDING', 'PAID'], 'central received every state, in order');
  t.ok(seen.every((d) => d['paymentId'] === handle.paymentId));
});
