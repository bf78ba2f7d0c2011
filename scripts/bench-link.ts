/**
 * Central-link benchmark, one run, side by side:
 *  1. Durable journal append (fdatasync per commit) with 1k and with 100k records already stored,
 *     against lowdb pushing one record per write at the same sizes: throughput and p99 latency,
 *     so it shows how each cost grows with what is stored.
 *  2. Draining 100k queued telemetry samples to mosquitto through the outbox, against raw mqtt.js
 *     QoS 1 publishing of the same payloads with the same in-flight window (target ≥ 0.8× raw).
 *
 *   npm run bench:link [-- --broker mqtt://127.0.0.1:1883] [--samples 100000]
 * Without --broker it starts /usr/sbin/mosquitto on a free 127.0.0.1 port.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import mqtt from 'mqtt';
import { systemClock } from '../runtime/kernel/clock.js';
import { startLocalMosquitto } from './local-mosquitto.js';
import { createLogger } from '../runtime/kernel/logger.js';
import { Journal } from '../runtime/link/journal.js';
import { MqttLink } from '../runtime/link/mqtt-link.js';
import { Outbox } from '../runtime/link/outbox.js';

const logger = createLogger({ level: 'warn' });
const WINDOW = 32;

function body(i: number) {
  return { paymentId: `PAY-${i}`, service: 'bill-payment', amount: 1_284_350, reference: 'EVN-2611-0123456', state: 'PAID', at: 1_795_000_000_000 + i };
}

function p99(samples: number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.99))]!;
}

interface AppendFigures {
  stored: number;
  perSecond: number;
  p99Ms: number;
  concurrentPerSecond?: number;
}

async function benchJournal(dir: string, stored: number, appends: number): Promise<AppendFigures> {
  const j = new Journal({ dir, idPrefix: 'BENCH:1', clock: systemClock, logger, maxBytes: 1 << 30, segmentBytes: 16 << 20 });
  await j.open();
  for (let i = 0; i < stored; i += 1000) {
    await Promise.all(Array.from({ length: Math.min(1000, stored - i) }, (_, k) => j.append({ kind: 'payment', body: body(i + k) })));
  }
  const lat: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < appends; i++) {
    const s = performance.now();
    await j.append({ kind: 'payment', body: body(i) });
    lat.push(performance.now() - s);
  }
  const seq = performance.now() - t0;
  const t1 = performance.now();
  await Promise.all(Array.from({ length: appends * 4 }, (_, i) => j.append({ kind: 'payment', body: body(i) })));
  const conc = performance.now() - t1;
  await j.close();
  return { stored, perSecond: appends / (seq / 1000), p99Ms: p99(lat), concurrentPerSecond: (appends * 4) / (conc / 1000) };
}

async function benchLowdb(dir: string, stored: number, writes: number): Promise<AppendFigures> {
  const db = new Low<{ records: unknown[] }>(new JSONFile(join(dir, 'db.json')), { records: [] });
  db.data.records = Array.from({ length: stored }, (_, i) => body(i));
  await db.write();
  const lat: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < writes; i++) {
    const s = performance.now();
    db.data.records.push(body(i));
    await db.write();
    lat.push(performance.now() - s);
  }
  return { stored, perSecond: writes / ((performance.now() - t0) / 1000), p99Ms: p99(lat) };
}

function sample(i: number) {
  return { cpuC: 48.5 + (i % 10) / 10, diskFreeMb: 12_034, outboxDepth: i % 50, loopLagMs: 3 };
}

async function drainOutbox(url: string, dir: string, samples: number): Promise<number> {
  const journal = new Journal({ dir, idPrefix: 'BENCH:1', clock: systemClock, logger });
  await journal.open();
  const link = new MqttLink({ url, stationId: 'BENCH-OUTBOX', bootSeq: 1, clock: systemClock, logger, birth: () => ({ versions: {}, devices: [], flows: [], capabilities: [] }) });
  const outbox = new Outbox({ journal, link, clock: systemClock, logger, telemetryCap: samples, telemetryInFlight: WINDOW });
  await outbox.start();
  for (let i = 0; i < samples; i++) outbox.telemetry('station', sample(i));
  const connected = new Promise<void>((resolve) => link.events.on('state', resolve, (s) => s.state === 'connected' && resolve()));
  await link.start();
  await connected;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const check = () => (outbox.status().telemetry.sent >= samples ? resolve() : setImmediate(check));
    check();
  });
  const ms = performance.now() - t0;
  await outbox.stop();
  await link.stop();
  await journal.close();
  return samples / (ms / 1000);
}

async function drainRaw(url: string, samples: number): Promise<number> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 5, clientId: 'BENCH-RAW', clean: false, properties: { sessionExpiryInterval: 60 } });
  let next = 0;
  let done = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (next < samples && next - done < WINDOW) {
        const i = next++;
        const payload = JSON.stringify({ device: 'station', at: Date.now(), data: sample(i) });
        client.publish('cds/v1/BENCH-RAW/telemetry/station', payload, { qos: 1 }, () => {
          done++;
          if (done === samples) resolve();
          else pump();
        });
      }
    };
    pump();
  });
  const ms = performance.now() - t0;
  await client.endAsync();
  return samples / (ms / 1000);
}

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

export async function runBench(argv: string[]): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'cds-bench-link-'));
  const out: string[] = [];
  const fmt = (n: number) => n.toFixed(n < 10 ? 2 : 0);
  try {
    out.push('journal append (durable, fdatasync) vs lowdb one record per write');
    out.push('  stored   journal seq/s  p99 ms  journal group-commit/s   lowdb writes/s  p99 ms');
    const rows: Array<[AppendFigures, AppendFigures]> = [];
    for (const stored of [1000, 100_000]) {
      const jd = await mkdtemp(join(work, 'j-'));
      const ld = await mkdtemp(join(work, 'l-'));
      const jr = await benchJournal(jd, stored, 300);
      const lr = await benchLowdb(ld, stored, stored >= 100_000 ? 20 : 300);
      rows.push([jr, lr]);
      out.push(`  ${String(stored).padStart(6)}   ${fmt(jr.perSecond).padStart(13)}  ${fmt(jr.p99Ms).padStart(6)}  ${fmt(jr.concurrentPerSecond!).padStart(22)}   ${fmt(lr.perSecond).padStart(14)}  ${fmt(lr.p99Ms).padStart(6)}`);
    }
    const [[j1, l1], [j2, l2]] = rows as [[AppendFigures, AppendFigures], [AppendFigures, AppendFigures]];
    out.push(`  cost growth 1k→100k: journal p99 ×${(j2.p99Ms / j1.p99Ms).toFixed(2)}, lowdb p99 ×${(l2.p99Ms / l1.p99Ms).toFixed(1)}`);
    out.push('  (lowdb/steno never fsyncs: its writes are not durable, so it is measured at its best)');

    const samples = Number(arg(argv, 'samples') ?? 100_000);
    const given = arg(argv, 'broker');
    const broker = given ? { url: given, dispose: async () => undefined } : await startLocalMosquitto();
    try {
      // Raw before and after, the better one counts, so warm-up does not favour the outbox.
      const rawFirst = await drainRaw(broker.url, samples);
      const ours = await drainOutbox(broker.url, await mkdtemp(join(work, 'o-')), samples);
      const raw = Math.max(rawFirst, await drainRaw(broker.url, samples));
      out.push(`telemetry drain of ${samples} samples, QoS 1, window ${WINDOW}, ${broker.url}`);
      out.push(`  raw mqtt.js ${fmt(raw)} msg/s   outbox ${fmt(ours)} msg/s   ratio ${(ours / raw).toFixed(2)}× (target ≥ 0.8×)`);
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
