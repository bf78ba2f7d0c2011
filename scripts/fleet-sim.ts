/**
 * Fleet simulator: N stations in one process, each with its own MQTT client, journal and outbox,
 * against one broker, with the central simulator counting what arrives. Prints delivered, lost and
 * duplicate counts and the memory each station costs.
 *
 *   npm run fleet-sim -- --stations 50 --broker mqtt://127.0.0.1:1883 [--records 100] [--protocol 4|5]
 *
 * Without --broker an embedded aedes broker (MQTT 3.1.1) is started on a free loopback port.
 * Fleets beyond one broker run on a clustered broker (EMQX, HiveMQ, VerneMQ): the station needs
 * nothing but standard MQTT v5.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../runtime/kernel/clock.js';
import { createLogger } from '../runtime/kernel/logger.js';
import { CentralLink } from '../runtime/link/central-link.js';
import { EmbeddedBroker } from '../runtime/link/embedded-broker.js';
import { DEV_KEY_ID, devKeyDir, startCentralSim } from './central-sim.js';

export interface FleetOptions {
  stations: number;
  /** Records per station. */
  records: number;
  broker?: string;
  protocolVersion?: 4 | 5;
  /** Give up waiting for receipts after this long; default 120 000 ms. */
  timeoutMs?: number;
}

export interface FleetResult {
  stations: number;
  recorded: number;
  delivered: number;
  lost: number;
  duplicates: number;
  gaps: number;
  outOfOrder: number;
  seconds: number;
  heapPerStationKiB: number;
  rssPerStationKiB: number;
}

const KINDS = ['payment', 'consent', 'report', 'health-record', 'feedback'] as const;

export async function runFleet(o: FleetOptions): Promise<FleetResult> {
  const logger = createLogger({ level: 'warn' });
  let embedded: EmbeddedBroker | null = null;
  let url = o.broker;
  let protocolVersion = o.protocolVersion ?? 5;
  if (!url) {
    embedded = new EmbeddedBroker({ port: 0, logger });
    await embedded.start();
    url = embedded.url;
    protocolVersion = 4;
  }
  const sim = await startCentralSim({ url, protocolVersion, logger: logger.child({ component: 'central-sim' }) });
  const work = await mkdtemp(join(tmpdir(), 'cds-fleet-'));
  global.gc?.();
  const before = process.memoryUsage();
  const fleet: CentralLink[] = [];
  // The simulator signs receipts with the development key; stations trust it as they would central's.
  const commandKeys = { [DEV_KEY_ID]: await readFile(join(devKeyDir(), 'central-dev.ed25519.pub.pem'), 'utf8') };
  for (let i = 0; i < o.stations; i++) {
    const id = `HCM-FLEET-${String(i + 1).padStart(4, '0')}`;
    const station = new CentralLink({
      stationId: id, dataDir: join(work, id), clock: systemClock, logger: logger.child({ station: id }), box: null,
      mqtt: { url, protocolVersion, birth: () => ({ versions: { station: 'fleet-sim' }, devices: [], flows: [], capabilities: [] }) },
      commandKeys, commandHandlers: {}, outbox: { receiptTimeoutMs: 10_000 },
    });
    await station.start();
    fleet.push(station);
  }
  const started = Date.now();
  await Promise.all(fleet.map(async (s, i) => {
    for (let r = 0; r < o.records; r++) await s.record(KINDS[(r + i) % KINDS.length]!, { r, amount: 10_000 * (r % 7) });
  }));
  const deadline = Date.now() + (o.timeoutMs ?? 120_000);
  while (Date.now() < deadline && fleet.some((s) => s.status().depth > 0)) await new Promise((r) => setTimeout(r, 100));
  const seconds = (Date.now() - started) / 1000;
  global.gc?.();
  const after = process.memoryUsage();
  let delivered = 0;
  let duplicates = 0;
  let gaps = 0;
  let outOfOrder = 0;
  for (const s of fleet) {
    const id = s.stationId;
    const t = sim.tally(id);
    delivered += t.unique;
    duplicates += t.duplicates;
    outOfOrder += t.outOfOrder;
    gaps += sim.gaps(id);
  }
  for (const s of fleet) await s.stop();
  await sim.stop();
  await embedded?.stop();
  await rm(work, { recursive: true, force: true });
  const recorded = o.stations * o.records;
  return {
    stations: o.stations, recorded, delivered, lost: recorded - delivered, duplicates, gaps, outOfOrder, seconds,
    heapPerStationKiB: Math.round((after.heapUsed - before.heapUsed) / 1024 / o.stations),
    rssPerStationKiB: Math.round((after.rss - before.rss) / 1024 / o.stations),
  };
}

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const argv = process.argv.slice(2);
  const broker = arg(argv, 'broker');
  const result = await runFleet({
    stations: Number(arg(argv, 'stations') ?? 10), records: Number(arg(argv, 'records') ?? 100),
    ...(broker ? { broker } : {}), protocolVersion: arg(argv, 'protocol') === '4' ? 4 : 5,
  });
  process.stdout.write(
    `fleet-sim: ${result.stations} stations, ${result.recorded} records in ${result.seconds.toFixed(1)} s\n`
    + `  delivered ${result.delivered}  lost ${result.lost}  duplicates ${result.duplicates}  gaps ${result.gaps}  out of order ${result.outOfOrder}\n`
    + `  memory per station: heap ${result.heapPerStationKiB} KiB, rss ${result.rssPerStationKiB} KiB\n`,
  );
  process.exitCode = result.lost === 0 ? 0 : 1;
}
