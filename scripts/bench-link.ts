/**
 * Central-link benchmark, one run, side by side on the same mosquitto and the same disk:
 *  1. The fdatasync floor of the data directory (a 300-byte write + fdatasync), p50/p99.
 *  2. Durable journal append with 1k and with 100k records stored: p50/p99 (target p99 ≤ 2× the
 *     floor, and 100k/1k ≤ 1.2).
 *  3. Raw mqtt.js QoS 1 with a window of 100 in flight, against the durable drain of N journalled
 *     records (opened from disk, sent by the outbox, released by central-sim's signed receipts):
 *     min/median/max over several runs, alternating, and the ratio of medians (target ≥ 0.5×).
 *
 *   npm run bench:link [-- --broker mqtt://127.0.0.1:1883] [--records 5000] [--runs 5] [--stored 100000]
 * Without --broker it starts /usr/sbin/mosquitto on a free 127.0.0.1 port.
 */
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { systemClock } from '../runtime/kernel/clock.js';
import { createLogger } from '../runtime/kernel/logger.js';
import { Journal } from '../runtime/link/journal.js';
import { MqttLink } from '../runtime/link/mqtt-link.js';
import { Outbox } from '../runtime/link/outbox.js';
import { CentralSim, DEV_KEY_ID, devKeyDir } from './central-sim.js';
import { startLocalMosquitto } from './local-mosquitto.js';

const logger = createLogger({ level: 'warn' });
const WINDOW = 100;

function body(i: number) {
  return { paymentId: `PAY-${i}`, service: 'bill-payment', amount: 1_284_350, reference: 'EVN-2611-0123456', state: 'PAID', at: 1_795_000_000_000 + i };
}

function pct(samples: number[], p: number): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))]!;
}

const spread = (xs: number[]) => ({ min: Math.min(...xs), median: pct(xs, 0.5), max: Math.max(...xs) });

async function fsyncFloor(dir: string, n: number): Promise<number[]> {
  const fh = await open(join(dir, 'floor.bin'), 'w');
  const data = Buffer.alloc(300, 0x61);
  const lat: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = performance.now();
      await fh.write(data, 0, data.length, i * data.length);
      await fh.datasync();
      lat.push(performance.now() - s);
    }
  } finally {
    await fh.close();
  }
  return lat;
}

/** Opens a journal in `dir` and fills it with `n` records, 1000 per group commit (the public API i17's bench:boot uses too). */
async function filledJournal(dir: string, n: number, idPrefix = 'BENCH:1'): Promise<Journal> {
  const j = new Journal({ dir, idPrefix, clock: systemClock, logger, maxBytes: 1 << 30, segmentBytes: 16 << 20 });
  await j.open();
  for (let i = 0; i < n; i += 1000) {
    await Promise.all(Array.from({ length: Math.min(1000, n - i) }, (_, k) => j.append({ kind: 'payment', body: body(i + k) })));
  }
  return j;
}

async function appendLatency(dir: string, stored: number, appends: number): Promise<number[]> {
  const j = await filledJournal(dir, stored);
  const lat: number[] = [];
  for (let i = 0; i < appends; i++) {
    const s = performance.now();
    await j.append({ kind: 'payment', body: body(i) });
    lat.push(performance.now() - s);
  }
  await j.close();
  return lat;
}

async function rawDrain(url: string, n: number, run: number): Promise<number> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 5, clientId: `BENCH-RAW-${run}`, clean: true });
  (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  let next = 0;
  let done = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (next < n && next - done < WINDOW) {
        const i = next++;
        const payload = JSON.stringify({ eventId: `BENCH-RAW:1:${i + 1}`, seq: i + 1, kind: 'payment', stream: 'payment', streamSeq: i + 1, recordedAt: Date.now(), sentAt: Date.now(), data: body(i) });
        client.publish(`cds/v1/BENCH-RAW-${run}/event/payment`, payload, { qos: 1 }, () => {
          done++;
          if (done === n) resolve();
          else pump();
        });
      }
    };
    pump();
  });
  const ms = performance.now() - t0;
  await client.endAsync();
  return n / (ms / 1000);
}

/** N records already in the journal on disk (a station back online): open, connect, drain until central's receipts released them all. */
async function durableDrain(url: string, dir: string, n: number, run: number, keys: Record<string, string>): Promise<number> {
  const stationId = `BENCH-DURABLE-${run}`;
  await (await filledJournal(dir, n, `${stationId}:1`)).close();
  const journal = new Journal({ dir, idPrefix: `${stationId}:2`, clock: systemClock, logger, maxBytes: 1 << 30, segmentBytes: 16 << 20 });
  await journal.open();
  const sim = new CentralSim({ url, stationId, clock: systemClock, logger });
  await sim.start();
  const link = new MqttLink({ url, stationId, bootSeq: 2, clock: systemClock, logger, birth: () => ({ versions: {}, devices: [], flows: [], capabilities: [] }) });
  const outbox = new Outbox({ journal, link, clock: systemClock, logger, streamWindow: WINDOW, receiptKeys: keys });
  await outbox.start();
  const connected = new Promise<void>((resolve) => link.events.on('state', resolve, (s) => s.state === 'connected' && resolve()));
  await link.start();
  await connected;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const check = () => (outbox.status().depth === 0 ? resolve() : setTimeout(check, 1));
    check();
  });
  const ms = performance.now() - t0;
  await outbox.stop();
  await link.stop();
  await sim.stop();
  await journal.close();
  return n / (ms / 1000);
}

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

export async function runBench(argv: string[]): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'cds-bench-link-'));
  const out: string[] = [];
  const f = (n: number) => n.toFixed(n < 10 ? 2 : 0);
  const row = (xs: number[]) => { const s = spread(xs); return `min ${f(s.min)}  median ${f(s.median)}  max ${f(s.max)}`; };
  try {
    const floor = await fsyncFloor(work, 300);
    const floorP50 = pct(floor, 0.5);
    const floorP99 = pct(floor, 0.99);
    out.push(`fdatasync floor (${work}): p50 ${f(floorP50)} ms  p99 ${f(floorP99)} ms`);
    const stored = Number(arg(argv, 'stored') ?? 100_000);
    const small = await appendLatency(await mkdtemp(join(work, 'a-')), 1000, 300);
    const big = await appendLatency(await mkdtemp(join(work, 'b-')), stored, 300);
    out.push(`journal append, 300 one at a time: 1k stored p50 ${f(pct(small, 0.5))} ms p99 ${f(pct(small, 0.99))} ms; ${stored} stored p50 ${f(pct(big, 0.5))} ms p99 ${f(pct(big, 0.99))} ms`);
    out.push(`  p99 / floor p99: ${(pct(small, 0.99) / floorP99).toFixed(2)}× (1k), ${(pct(big, 0.99) / floorP99).toFixed(2)}× (${stored}) (target ≤ 2×); ${stored}/1k p99 ${(pct(big, 0.99) / pct(small, 0.99)).toFixed(2)} (target ≤ 1.2)`);

    const n = Number(arg(argv, 'records') ?? 5000);
    const runs = Math.max(5, Number(arg(argv, 'runs') ?? 5));
    const keys = { [DEV_KEY_ID]: await readFile(join(devKeyDir(), 'central-dev.ed25519.pub.pem'), 'utf8') };
    const given = arg(argv, 'broker');
    const broker = given ? { url: given, dispose: async () => undefined } : await startLocalMosquitto();
    try {
      const raw: number[] = [];
      const durable: number[] = [];
      for (let run = 0; run < runs; run++) {
        raw.push(await rawDrain(broker.url, n, run));
        durable.push(await durableDrain(broker.url, await mkdtemp(join(work, 'd-')), n, run, keys));
      }
      out.push(`drain of ${n} records, QoS 1, window ${WINDOW}, ${runs} runs alternating, ${broker.url} (msg/s)`);
      out.push(`  raw mqtt.js                 ${row(raw)}`);
      out.push(`  durable journal + receipts  ${row(durable)}`);
      out.push(`  ratio of medians ${(spread(durable).median / spread(raw).median).toFixed(2)}× (target ≥ 0.5×, goal 0.8×)`);
    } finally {
      await broker.dispose();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return out.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(`${await runBench(process.argv.slice(2))}\n`);
}
