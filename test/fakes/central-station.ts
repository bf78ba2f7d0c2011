/**
 * A service station wired to the real central link and the central simulator over the embedded aedes
 * broker (MQTT 3.1.1): the real flow bundle, FlowSession and PaymentService (test/fakes/service-station.ts),
 * with RPCs, journal and outbox going over loopback sockets to scripts/central-sim.ts. One per test file:
 * the broker, link and simulator are started once and stopped by the test's teardown.
 * Time is the ManualClock; only socket I/O is real, waited for with `until` (bounded by wall clock).
 */
import type { PaperService } from '../../runtime/services/paper-desk.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CentralLink } from '../../runtime/link/central-link.js';
import { CryptoBox } from '../../runtime/link/crypto-box.js';
import { EmbeddedBroker } from '../../runtime/link/embedded-broker.js';
import { CentralSim, DEV_KEY_ID, devKeyDir } from '../../scripts/central-sim.js';
import { ManualClock } from './manual-clock.js';
import { silentLogger, tempDir, until } from './link-test-kit.js';
import { serviceStation } from './service-station.js';
import type { ServiceStation } from './service-station.js';

export interface CentralStation extends ServiceStation {
  broker: EmbeddedBroker;
  link: CentralLink;
  sim: CentralSim;
  stationId: string;
  /**
   * Waits for `cond`, advancing the manual clock by `stepMs` between looks (0: simulated time stands
   * still while sockets work, so no step deadline can pass by accident).
   */
  until(cond: () => boolean, what: string, stepMs?: number): Promise<void>;
}

export interface CentralStationOptions {
  /** How long the simulated bank takes to confirm a VietQR payment (simulator clock); default 8000 ms. */
  paymentDelayMs?: number;
  /** Scanner and papers for scan steps, given the station's link (none by default). */
  papers?: (link: CentralLink) => PaperService;
}

interface TestLike {
  teardown: (fn: () => unknown) => void;
}

export async function centralStation(t: TestLike, options: CentralStationOptions = {}): Promise<CentralStation> {
  const stationId = 'cds-bt-001';
  const logger = silentLogger();
  const broker = new EmbeddedBroker({ port: 0, logger });
  await broker.start();
  t.teardown(() => broker.stop());
  const clock = new ManualClock();
  const link = new CentralLink({
    stationId, dataDir: await tempDir(t), clock, logger, box: CryptoBox.fromText('cc'.repeat(32)),
    mqtt: {
      url: broker.url, protocolVersion: 4, reconnectMinMs: 1000, reconnectMaxMs: 8000, random: () => 0.5,
      birth: () => ({ versions: {}, devices: [], flows: [], capabilities: ['vietqr'] }),
    },
    commandKeys: { [DEV_KEY_ID]: await readFile(join(devKeyDir(), 'central-dev.ed25519.pub.pem'), 'utf8') },
    commandHandlers: {},
    outbox: { receiptTimeoutMs: 5000 },
    // Simulated time runs far faster than the loopback round trip when a test steps the clock.
    rpcTimeoutMs: 600_000,
  });
  const sim = new CentralSim({ url: broker.url, protocolVersion: 4, clock, logger, paymentDelayMs: options.paymentDelayMs ?? 8000 });
  await sim.start();
  await link.start();
  const station = await serviceStation({ clock, link, rpcTimeoutMs: 600_000, paymentTimeoutMs: 600_000, ...(options.papers ? { papers: options.papers(link) } : {}) });
  t.teardown(async () => {
    await station.stop();
    await link.stop();
    await sim.stop();
  });
  await until(clock, () => link.status().link.state === 'connected', 'station connected', 0);
  return {
    ...station, broker, link, sim, stationId,
    until: (cond, what, stepMs = 0) => until(clock, cond, what, stepMs),
  };
}
