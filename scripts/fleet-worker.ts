/**
 * One process of the fleet simulator (scripts/fleet-faults.ts): a slice of the stations, each with
 * its own CentralLink (journal, outbox, MQTT client), recording at a steady pace while the parent
 * injects broker faults. Talks to the parent over the IPC channel of `fork`:
 *
 *   parent → worker  { type: 'start', ids, urls, protocolVersion, records, intervalMs, dataDir }
 *   worker → parent  { type: 'connected' } once every station is connected,
 *                    { type: 'progress', recorded } now and then,
 *                    { type: 'done', recorded: eventIds, reconnectMs } once every record is receipted
 *   parent → worker  { type: 'stop' }: links stopped, the process exits.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock } from '../runtime/kernel/clock.js';
import { createLogger } from '../runtime/kernel/logger.js';
import { CentralLink } from '../runtime/link/central-link.js';
import { DEV_KEY_ID, devKeyDir } from './central-sim.js';

export interface WorkerStart {
  type: 'start';
  ids: string[];
  urls: string[];
  protocolVersion: 4 | 5;
  records: number;
  intervalMs: number;
  dataDir: string;
}

export type WorkerReport =
  | { type: 'connected' }
  | { type: 'progress'; recorded: number }
  | { type: 'done'; recorded: string[]; reconnectMs: number[] };

const KINDS = ['payment', 'consent', 'report', 'health-record', 'feedback'] as const;
const send = (m: WorkerReport) => process.send?.(m);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function run(o: WorkerStart): Promise<void> {
  const logger = createLogger({ level: 'error' });
  // The simulator signs receipts with the development key; stations trust it as they would central's.
  const commandKeys = { [DEV_KEY_ID]: await readFile(join(devKeyDir(), 'central-dev.ed25519.pub.pem'), 'utf8') };
  const fleet = o.ids.map((id) => new CentralLink({
    stationId: id, dataDir: join(o.dataDir, id), clock: systemClock, logger, box: null,
    mqtt: {
      url: o.urls[0]!, fallbackUrls: o.urls.slice(1), protocolVersion: o.protocolVersion, reconnectMinMs: 500, reconnectMaxMs: 8000,
      birth: () => ({ versions: { station: 'fleet-sim' }, devices: [], flows: [], capabilities: [] }),
    },
    commandKeys, commandHandlers: {}, outbox: { receiptTimeoutMs: 10_000 },
  }));
  for (const s of fleet) await s.start();
  while (fleet.some((s) => s.status().link.state !== 'connected')) await sleep(100);
  send({ type: 'connected' });

  // Reconnect time: from the moment a station sees its link drop to the moment it is up again.
  const downSince = new Map<string, number>();
  const reconnectMs: number[] = [];
  const watch = setInterval(() => {
    for (const s of fleet) {
      const up = s.status().link.state === 'connected';
      const since = downSince.get(s.stationId);
      if (!up && since === undefined) downSince.set(s.stationId, Date.now());
      if (up && since !== undefined) {
        reconnectMs.push(Date.now() - since);
        downSince.delete(s.stationId);
      }
    }
  }, 50);

  const recorded: string[] = [];
  for (let r = 0; r < o.records; r++) {
    const round = Date.now();
    await Promise.all(fleet.map(async (s, i) => {
      recorded.push((await s.record(KINDS[(r + i) % KINDS.length]!, { r, amount: 10_000 * (r % 7) })).eventId);
    }));
    send({ type: 'progress', recorded: recorded.length });
    await sleep(Math.max(0, o.intervalMs - (Date.now() - round)));
  }
  while (fleet.some((s) => s.status().depth > 0)) await sleep(200);
  clearInterval(watch);
  send({ type: 'done', recorded, reconnectMs });
  await new Promise<void>((resolve) => process.once('message', (m: { type?: string }) => m.type === 'stop' && resolve()));
  for (const s of fleet) await s.stop();
}

process.once('message', (m: WorkerStart) => {
  run(m).then(() => process.exit(0), (err: unknown) => {
    console.error(err);
    process.exit(1);
  });
});
