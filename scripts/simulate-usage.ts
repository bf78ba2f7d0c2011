/**
 * `npm run simulate-usage -- --sessions N --days D --seed S [--data DIR] [--start YYYY-MM-DD] [--station ID]`
 *
 * Produces usage data for tests and demos: plans visits of simulated residents with the
 * resident-behaviour model (scripts/resident-behaviour.ts: evening peaks, elderly residents doing the
 * health check, bill payments at the start of the month), turns each visit into the session event the
 * flow engine reports, and counts them with the station's own analytics component into
 * `{DIR}/analytics/`. The daily `analytics` records the station would send are written to
 * `{DIR}/analytics/records.jsonl`, which scripts/fleet-report reads.
 *
 * Visits are turned into events by the behaviour model, not by running the flow files through the
 * session runner; the events have the shape runtime/analytics-events.ts defines.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import type { DestinationStream } from 'pino';
import type { Clock, TimerHandle } from '../runtime/clock.js';
import { systemClock } from '../runtime/clock.js';
import { createLogger } from '../runtime/logger.js';
import { StationAnalytics } from '../runtime/analytics.js';
import type { RecordKind, RecordSink, RecordedEvent } from '../runtime/ports.js';
import { addDays, isDay, localDay, localMidnight } from '../runtime/report/aggregate.js';
import { SeededRandom } from '../drivers/transports/seeded-random.js';
import { modelSessionEvent, planUsage } from './resident-behaviour.js';

export interface SimulateUsageOptions {
  sessions: number;
  days: number;
  seed: number;
  dataDir: string;
  /** First simulated local day; default: `days` days before today. */
  startDay?: string;
  stationId?: string;
  /** Where "today" comes from when no start day is given; default the wall clock. */
  clock?: Clock;
}

export interface SimulateUsageResult {
  sessions: number;
  firstDay: string;
  lastDay: string;
  recordsFile: string;
  records: number;
}

interface Io {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/** A clock frozen at one instant whose timers never fire: the batch needs no daily send timer. */
function frozenClock(at: number): Clock {
  return { now: () => at, setTimeout: () => ({}) as TimerHandle, clearTimeout: () => undefined };
}

/** Appends each record as it would arrive at central: `{topic, payload}` per line. */
class RecordsFile implements RecordSink {
  count = 0;
  constructor(private readonly path: string, private readonly stationId: string) {}
  async record(kind: RecordKind, payload: Record<string, unknown>): Promise<RecordedEvent> {
    this.count += 1;
    await appendFile(this.path, JSON.stringify({ topic: `cds/v1/${this.stationId}/event/${kind}`, payload }) + '\n');
    return { eventId: `${this.stationId}:0:${this.count}`, recordedAt: 0 };
  }
}

export async function simulateUsage(options: SimulateUsageOptions, io: Io): Promise<SimulateUsageResult> {
  const stationId = options.stationId ?? 'SIM-01';
  const today = localDay((options.clock ?? systemClock).now());
  const firstDay = options.startDay ?? addDays(today, -options.days);
  const lastDay = addDays(firstDay, options.days - 1);
  const visits = planUsage({ sessions: options.sessions, days: options.days, seed: options.seed, startDay: firstDay });
  const recordsFile = join(options.dataDir, 'analytics', 'records.jsonl');
  await mkdir(join(options.dataDir, 'analytics'), { recursive: true });
  const records = new RecordsFile(recordsFile, stationId);
  // The run ends ten minutes into the day after the last simulated one, when the station sends it.
  const end = localMidnight(addDays(lastDay, 1)) + 10 * 60_000;
  const logger = createLogger({ level: 'warn', destination: { write: (line: string) => io.stderr.write(line) } as DestinationStream });
  const analytics = new StationAnalytics({ clock: frozenClock(end), logger, records, dataDir: options.dataDir, stationId });
  await analytics.start();
  const rng = new SeededRandom(options.seed ^ 0x5eed);
  for (const visit of visits) analytics.sessionEnded(modelSessionEvent(visit, rng));
  await analytics.flush();
  await analytics.sendNow();
  await analytics.stop();
  return { sessions: visits.length, firstDay, lastDay, recordsFile, records: records.count };
}

export const simulateUsageHelp = `Usage: npm run simulate-usage -- --sessions N --days D --seed S [--data DIR] [--start YYYY-MM-DD] [--station ID]
  --sessions N   visits to simulate (default 1800)
  --days D       days they spread over (default 60)
  --seed S       seed; the same seed gives the same data (default 1)
  --data DIR     station data directory to write analytics into (default ./sim-data)
  --start DATE   first local day (default: D days before today)
  --station ID   station id written into the records (default SIM-01)
`;

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got "${value}"`);
  return n;
}

/** The command line; returns the exit code. */
export async function simulateUsageCommand(argv: string[], io: Io): Promise<number> {
  let options: SimulateUsageOptions;
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        sessions: { type: 'string' }, days: { type: 'string' }, seed: { type: 'string' }, data: { type: 'string' },
        start: { type: 'string' }, station: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
    if (values.help) {
      io.stdout.write(simulateUsageHelp);
      return 0;
    }
    if (values.start !== undefined && !isDay(values.start)) throw new Error(`--start must be YYYY-MM-DD, got "${values.start}"`);
    if (values.seed !== undefined && !/^-?\d+$/.test(values.seed)) throw new Error(`--seed must be an integer, got "${values.seed}"`);
    options = {
      sessions: positiveInt('sessions', values.sessions, 1800),
      days: positiveInt('days', values.days, 60),
      seed: values.seed === undefined ? 1 : Number(values.seed),
      dataDir: resolve(values.data ?? 'sim-data'),
      ...(values.start !== undefined ? { startDay: values.start } : {}),
      ...(values.station !== undefined ? { stationId: values.station } : {}),
    };
  } catch (err) {
    io.stderr.write(`${(err as Error).message}\n\n${simulateUsageHelp}`);
    return 2;
  }
  const result = await simulateUsage(options, io);
  io.stdout.write(`${result.sessions} sessions from ${result.firstDay} to ${result.lastDay} (seed ${options.seed}) counted into ${options.dataDir}/analytics/\n`
    + `${result.records} daily analytics records in ${result.recordsFile}\n`
    + `Report: station report --data ${options.dataDir} --format svg > usage.svg\n`);
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  simulateUsageCommand(process.argv.slice(2), process).then((code) => {
    process.exitCode = code;
  }, (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
}
