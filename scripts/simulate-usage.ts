/**
 * `npm run simulate-usage -- --sessions N --days D --seed S [--data DIR] [--start YYYY-MM-DD] [--station ID] [--name SITE] [--drive session|model]`
 *
 * Produces usage data for tests and demos. The resident-behaviour model (scripts/resident-behaviour.ts:
 * evening peaks, elderly residents doing the health check, bill payments at the start of the month)
 * plans the visits; by default each visit is then played on the station's real FlowSession with the
 * real flow files (scripts/resident-session-driver.ts), and the session's own analytics events are
 * counted by the station's analytics component into `{DIR}/analytics/`. With `--drive model` the
 * behaviour model writes the session events itself (faster, no flow files involved).
 *
 * Time is virtual: the analytics component's daily send runs at 00:10 of every simulated day, and
 * the records it sends are written to `{DIR}/analytics/records.jsonl` for scripts/fleet-report.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { DestinationStream } from 'pino';
import type { Clock } from '../runtime/kernel/clock.js';
import { systemClock } from '../runtime/kernel/clock.js';
import { createLogger } from '../runtime/kernel/logger.js';
import { StationAnalytics } from '../runtime/analytics/station-analytics.js';
import type { RecordKind, RecordSink, RecordedEvent } from '../runtime/flows/ports.js';
import { addDays, isDay, localDay, localMidnight } from '../runtime/analytics/report/aggregate.js';
import type { SessionAnalyticsEvent, SessionAnalyticsSink } from '../runtime/analytics/events.js';
import { formatFlowProblems, loadFlowBundle } from '../runtime/flows/bundle.js';
import type { FlowBundle } from '../runtime/flows/types.js';
import { SeededRandom } from '../drivers/transports/seeded-random.js';
import { modelSessionEvent, planUsage } from './resident-behaviour.js';
import { ResidentSessionDriver, VirtualClock } from './resident-session-driver.js';

export type DriveMode = 'session' | 'model';

export interface SimulateUsageOptions {
  sessions: number;
  days: number;
  seed: number;
  dataDir: string;
  /** First simulated local day; default: `days` days before today. */
  startDay?: string;
  stationId?: string;
  /** The station's name in its analytics records (where it stands), as `station.name` sets it. */
  stationName?: string;
  /** `session` (default) plays visits on the real FlowSession; `model` writes events from the behaviour model. */
  drive?: DriveMode;
  /** Where "today" comes from when no start day is given; default the wall clock. */
  clock?: Clock;
  /** The flow files; default `flows/` beside the sources. */
  flowsDir?: string;
  /** Sees every session event before it is counted (tests compare against it). */
  observe?: (event: SessionAnalyticsEvent) => void;
}

export interface SimulateUsageResult {
  /** Session events counted: one per visit (the feedback question after a service is part of that visit's event). */
  sessions: number;
  visits: number;
  firstDay: string;
  lastDay: string;
  recordsFile: string;
  records: number;
}

interface Io {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
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

/** Counts what reaches the analytics component, for the summary line. */
class CountingSink implements SessionAnalyticsSink {
  count = 0;
  constructor(private readonly inner: SessionAnalyticsSink, private readonly observe?: (event: SessionAnalyticsEvent) => void) {}
  sessionEnded(event: SessionAnalyticsEvent): void {
    this.count += 1;
    this.observe?.(structuredClone(event));
    this.inner.sessionEnded(event);
  }
}

const defaultFlowsDir = fileURLToPath(new URL('../flows', import.meta.url));

async function bundleFrom(dir: string | undefined): Promise<FlowBundle> {
  for (const candidate of dir ? [dir] : [defaultFlowsDir, fileURLToPath(new URL('../../flows', import.meta.url))]) {
    const loaded = await loadFlowBundle(candidate);
    if (loaded.ok) return loaded.bundle;
    if (dir) throw new Error(formatFlowProblems(loaded.problems).join('\n'));
  }
  throw new Error('flows/ not found beside the station');
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
  const clock = new VirtualClock(localMidnight(firstDay));
  const logger = createLogger({ level: 'warn', destination: { write: (line: string) => io.stderr.write(line) } as DestinationStream });
  const analytics = new StationAnalytics({
    clock, logger, records, dataDir: options.dataDir, stationId, ...(options.stationName ? { stationName: options.stationName } : {}),
  });
  await analytics.start();
  const sink = new CountingSink(analytics, options.observe);
  if ((options.drive ?? 'session') === 'session') {
    const driver = new ResidentSessionDriver({ bundle: await bundleFrom(options.flowsDir), clock, logger, seed: options.seed, analytics: sink });
    await driver.start();
    for (const visit of visits) await driver.drive(visit);
    await driver.stop();
  } else {
    const rng = new SeededRandom(options.seed ^ 0x5eed);
    for (const visit of visits) {
      const event = modelSessionEvent(visit, rng);
      if (event.endedAt > clock.now()) await clock.advance(event.endedAt - clock.now());
      sink.sessionEnded(event);
    }
  }
  // Ten minutes into the next day the station sends the last simulated day.
  const end = localMidnight(addDays(lastDay, 1)) + 10 * 60_000;
  if (end > clock.now()) await clock.advance(end - clock.now());
  await analytics.flush();
  await analytics.stop();
  return { sessions: sink.count, visits: visits.length, firstDay, lastDay, recordsFile, records: records.count };
}

export const simulateUsageHelp = `Usage: npm run simulate-usage -- --sessions N --days D --seed S [--data DIR] [--start YYYY-MM-DD] [--station ID] [--name SITE]
  --sessions N   visits to simulate (default 1800)
  --days D       days they spread over (default 60)
  --seed S       seed; the same seed gives the same data (default 1)
  --data DIR     station data directory to write analytics into (default ./sim-data)
  --start DATE   first local day (default: D days before today)
  --station ID   station id written into the records (default SIM-01)
  --name SITE    the station's name (where it stands) written into the records (default none)
  --drive MODE   session (default: the real flows on the real session) or model (events from the behaviour model)
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
        start: { type: 'string' }, station: { type: 'string' }, name: { type: 'string' }, drive: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
    if (values.help) {
      io.stdout.write(simulateUsageHelp);
      return 0;
    }
    if (values.start !== undefined && !isDay(values.start)) throw new Error(`--start must be YYYY-MM-DD, got "${values.start}"`);
    if (values.drive !== undefined && values.drive !== 'session' && values.drive !== 'model') throw new Error(`--drive must be session or model, got "${values.drive}"`);
    if (values.seed !== undefined && !/^-?\d+$/.test(values.seed)) throw new Error(`--seed must be an integer, got "${values.seed}"`);
    options = {
      sessions: positiveInt('sessions', values.sessions, 1800),
      days: positiveInt('days', values.days, 60),
      seed: values.seed === undefined ? 1 : Number(values.seed),
      dataDir: resolve(values.data ?? 'sim-data'),
      ...(values.start !== undefined ? { startDay: values.start } : {}),
      ...(values.station !== undefined ? { stationId: values.station } : {}),
      ...(values.name !== undefined ? { stationName: values.name } : {}),
      ...(values.drive !== undefined ? { drive: values.drive as DriveMode } : {}),
    };
  } catch (err) {
    io.stderr.write(`${(err as Error).message}\n\n${simulateUsageHelp}`);
    return 2;
  }
  const result = await simulateUsage(options, io);
  io.stdout.write(`${result.visits} visits (${result.sessions} sessions, driven by the ${options.drive ?? 'session'}) from ${result.firstDay} to ${result.lastDay} (seed ${options.seed}) counted into ${options.dataDir}/analytics/\n`
    + `${result.records} daily analytics records in ${result.recordsFile}\n`
    + `Report: station report --data ${options.dataDir} --format svg > usage.svg\n`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  simulateUsageCommand(process.argv.slice(2), process).then((code) => {
    process.exitCode = code;
  }, (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
}
