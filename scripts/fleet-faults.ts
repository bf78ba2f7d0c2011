/**
 * The fleet under broker faults: stations spread over several processes (scripts/fleet-worker.ts),
 * a mosquitto started by this script, the central simulator counting what arrives, and one fault
 * injected once half the records are made:
 *
 * - `broker-restart`: the broker is killed (SIGKILL) and started again after `downMs`;
 * - `disconnect-all`: the same with no downtime, so every station drops at once and reconnects
 *   into a live broker at the same moment (the jittered backoff must spread them);
 * - `none`: no fault, the reference.
 *
 * Figures: delivered / lost / duplicated / out-of-order records, reconnect time p50/p99 (per
 * station drop), broker CPU seconds over the run. Stopped and cleaned up on every way out.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../runtime/kernel/logger.js';
import { startCentralSim } from './central-sim.js';
import { startLocalMosquitto } from './local-mosquitto.js';
import type { WorkerReport, WorkerStart } from './fleet-worker.js';

export const fleetFaults = ['none', 'broker-restart', 'disconnect-all'] as const;
export type FleetFault = (typeof fleetFaults)[number];

export interface FaultFleetOptions {
  stations: number;
  processes: number;
  /** Records per station, one per `intervalMs`. */
  records: number;
  intervalMs: number;
  fault: FleetFault;
  /** How long the broker stays down in `broker-restart`; default 3 000 ms. */
  downMs?: number;
  /** Broker port on 127.0.0.1; default a free one. */
  port?: number;
  /** Give up after this long; default 600 000 ms. */
  timeoutMs?: number;
}

export interface FaultFleetResult {
  stations: number;
  processes: number;
  fault: FleetFault;
  recorded: number;
  delivered: number;
  lost: number;
  duplicates: number;
  outOfOrder: number;
  gaps: number;
  reconnects: number;
  reconnectP50Ms: number | null;
  reconnectP99Ms: number | null;
  brokerCpuS: number;
  seconds: number;
}

/** utime + stime of a process in seconds (/proc/PID/stat fields 14 and 15, clock ticks of 1/100 s). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

function quantile(sorted: number[], q: number): number | null {
  return sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export async function runFaultFleet(o: FaultFleetOptions): Promise<FaultFleetResult> {
  const logger = createLogger({ level: 'warn' });
  const broker = await startLocalMosquitto(o.port === undefined ? { extra: ['max_queued_messages 100000'] } : { port: o.port, extra: ['max_queued_messages 100000'] });
  const work = await mkdtemp(join(tmpdir(), 'cds-fleet-faults-'));
  const workers: ChildProcess[] = [];
  const sim = await startCentralSim({ url: broker.url, protocolVersion: 5, logger: logger.child({ component: 'central-sim' }) });
  let brokerCpu = 0;
  try {
    const ids = Array.from({ length: o.stations }, (_, i) => `hcm-fleet-${String(i + 1).padStart(4, '0')}`);
    const reports = new Map<number, { connected: boolean; recorded: number; done?: Extract<WorkerReport, { type: 'done' }> }>();
    const workerFile = fileURLToPath(new URL('./fleet-worker.js', import.meta.url));
    for (let p = 0; p < o.processes; p++) {
      const child = fork(workerFile, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      workers.push(child);
      reports.set(p, { connected: false, recorded: 0 });
      child.on('message', (m: WorkerReport) => {
        const r = reports.get(p)!;
        if (m.type === 'connected') r.connected = true;
        else if (m.type === 'progress') r.recorded = m.recorded;
        else r.done = m;
      });
      child.once('exit', (code) => {
        if (code !== 0 && !reports.get(p)!.done) reports.get(p)!.done = undefined;
      });
      const start: WorkerStart = {
        type: 'start', ids: ids.filter((_, i) => i % o.processes === p), urls: [broker.url], protocolVersion: 5,
        records: o.records, intervalMs: o.intervalMs, dataDir: work,
      };
      child.send(start);
    }
    const deadline = Date.now() + (o.timeoutMs ?? 600_000);
    const waitFor = async (what: string, cond: () => boolean) => {
      while (!cond()) {
        if (Date.now() > deadline) throw new Error(`fleet-sim gave up waiting for ${what}`);
        if (workers.some((w) => w.exitCode !== null && w.exitCode !== 0)) throw new Error('a fleet worker failed');
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await waitFor('every station to connect', () => [...reports.values()].every((r) => r.connected));
    const started = Date.now();
    const cpuAtStart = cpuSeconds(broker.pid);
    const total = o.stations * o.records;
    await waitFor('half the records', () => [...reports.values()].reduce((n, r) => n + r.recorded, 0) >= total / 2);
    if (o.fault !== 'none') {
      brokerCpu += cpuSeconds(broker.pid) - cpuAtStart;
      await broker.kill9();
      if (o.fault === 'broker-restart') await new Promise((r) => setTimeout(r, o.downMs ?? 3000));
      await broker.start();
    }
    const cpuAfterFault = cpuSeconds(broker.pid);
    await waitFor('every record receipted', () => [...reports.values()].every((r) => r.done));
    brokerCpu += cpuSeconds(broker.pid) - (o.fault === 'none' ? cpuAtStart : cpuAfterFault);
    const seconds = (Date.now() - started) / 1000;

    const recorded = [...reports.values()].flatMap((r) => r.done!.recorded);
    const reconnect = [...reports.values()].flatMap((r) => r.done!.reconnectMs).sort((a, b) => a - b);
    const received = new Set(sim.events.map((e) => e.event.eventId));
    let duplicates = 0;
    let outOfOrder = 0;
    let gaps = 0;
    for (const id of ids) {
      const t = sim.tally(id);
      duplicates += t.duplicates;
      outOfOrder += t.outOfOrder;
      gaps += sim.gaps(id);
    }
    return {
      stations: o.stations, processes: o.processes, fault: o.fault, recorded: recorded.length,
      delivered: recorded.filter((id) => received.has(id)).length, lost: recorded.filter((id) => !received.has(id)).length,
      duplicates, outOfOrder, gaps, reconnects: reconnect.length, reconnectP50Ms: quantile(reconnect, 0.5), reconnectP99Ms: quantile(reconnect, 0.99),
      brokerCpuS: Math.round(brokerCpu * 100) / 100, seconds,
    };
  } finally {
    for (const w of workers) if (w.connected) w.send({ type: 'stop' });
    await Promise.all(workers.map((w) => (w.exitCode !== null ? undefined : new Promise<void>((resolve) => {
      const kill = setTimeout(() => w.kill('SIGKILL'), 10_000);
      w.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
    }))));
    await sim.stop();
    await broker.dispose();
    await rm(work, { recursive: true, force: true });
  }
}
