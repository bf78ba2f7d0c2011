/**
 * `npm run fleet-report -- (--broker URL [--duration S] [--client-id ID] | PATH...) [--from DATE] [--to DATE] [--format table|json|csv|svg]`
 *
 * The usage report across stations, so the city can compare sites: the daily `analytics` records
 * every station sends (runtime/analytics/station-analytics.ts) are read from the broker (`cds/v1/+/event/analytics`)
 * or from files, and drawn by the same report as `station report`, with a per-station comparison.
 *
 * Files are JSON lines (or folders of `.jsonl`/`.json` files); each line is one record as published
 * (the outbox envelope with the record under `data`), a `{topic, payload}` capture, a bare record, or
 * a `mosquitto_sub -v` line (`topic {json}`).
 *
 * Records can arrive twice (QoS 1, resends) and a day can be sent early on command as `partial`: per
 * station and day the full record wins over a partial one, and among equals the latest `generatedAt`.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import type { Clock } from '../runtime/kernel/clock.js';
import { sleep, systemClock } from '../runtime/kernel/clock.js';
import { dayAggregateProblem } from '../runtime/analytics/report/aggregate.js';
import type { DayAggregate } from '../runtime/analytics/report/aggregate.js';
import { buildReport } from '../runtime/analytics/report/model.js';
import type { ReportLabels, ReportModel, SiteDays } from '../runtime/analytics/report/model.js';
import { loadFlowLabels } from '../runtime/analytics/report/flow-labels.js';
import { findInstallPaths } from '../runtime/platform/install-paths.js';
import { isReportFormat, renderReport, reportFormats } from '../runtime/analytics/report/render.js';
import { checkRange } from '../runtime/cli/report.js';

export const analyticsTopicFilter = 'cds/v1/+/event/analytics';

/** One station's record of one day, as received. */
export interface ReceivedAnalytics {
  stationId: string;
  day: DayAggregate;
  partial: boolean;
  generatedAt: string;
}

interface Io {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

function stationFromTopic(topic: string | undefined): string | undefined {
  const m = topic === undefined ? null : /^cds\/v1\/([^/]+)\/event\/analytics$/.exec(topic);
  return m?.[1];
}

/**
 * Finds the analytics record in one received message; returns a reason when there is none. The
 * station comes from the topic when there is one, else from the record.
 */
export function analyticsFromMessage(message: unknown, topic?: string): ReceivedAnalytics | string {
  if (typeof message !== 'object' || message === null) return 'not a JSON object';
  const m = message as Record<string, unknown>;
  if (typeof m.topic === 'string' && 'payload' in m) return analyticsFromMessage(m.payload, m.topic);
  if (typeof m.data === 'object' && m.data !== null) {
    if (m.kind !== undefined && m.kind !== 'analytics') return `record kind ${String(m.kind)}, not analytics`;
    return analyticsFromMessage(m.data, topic);
  }
  const problem = dayAggregateProblem(m);
  if (problem) return `not a day aggregate: ${problem}`;
  const stationId = stationFromTopic(topic) ?? (typeof m.stationId === 'string' ? m.stationId : undefined);
  if (!stationId) return 'no station id in the topic or the record';
  return {
    stationId,
    day: { schema: 1, day: m.day as string, weekday: m.weekday as number, services: m.services as DayAggregate['services'] },
    partial: m.partial === true,
    generatedAt: typeof m.generatedAt === 'string' ? m.generatedAt : '',
  };
}

/** Parses one line of a capture file (see the file header for the accepted forms). */
export function analyticsFromLine(line: string): ReceivedAnalytics | string | undefined {
  const text = line.trim();
  if (text === '') return undefined;
  const space = text.indexOf(' ');
  const sub = !text.startsWith('{') && space > 0 ? { topic: text.slice(0, space), json: text.slice(space + 1) } : { json: text };
  let parsed: unknown;
  try {
    parsed = JSON.parse(sub.json);
  } catch {
    return 'not JSON';
  }
  return analyticsFromMessage(parsed, sub.topic);
}

/** Keeps one record per station and day: full over partial, then the latest. */
export function sitesFrom(records: ReceivedAnalytics[]): SiteDays[] {
  const best = new Map<string, ReceivedAnalytics>();
  for (const r of records) {
    const key = `${r.stationId}\u0000${r.day.day}`;
    const held = best.get(key);
    const better = !held || (held.partial && !r.partial) || (held.partial === r.partial && r.generatedAt > held.generatedAt);
    if (better) best.set(key, r);
  }
  const sites = new Map<string, DayAggregate[]>();
  for (const r of best.values()) {
    const days = sites.get(r.stationId) ?? [];
    days.push(r.day);
    sites.set(r.stationId, days);
  }
  return [...sites.entries()].sort(([a], [b]) => a.localeCompare(b))
    .map(([site, days]) => ({ site, days: days.sort((a, b) => a.day.localeCompare(b.day)) }));
}

async function filesUnder(path: string): Promise<string[]> {
  if (!(await stat(path)).isDirectory()) return [path];
  const out: string[] = [];
  for (const entry of await readdir(path, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && /\.(jsonl|json|ndjson)$/.test(entry.name)) out.push(join(entry.parentPath, entry.name));
  }
  return out.sort();
}

/** Reads records from files and folders; lines that are not analytics records are counted, not fatal. */
export async function readAnalyticsFiles(paths: string[]): Promise<{ records: ReceivedAnalytics[]; skipped: number }> {
  const records: ReceivedAnalytics[] = [];
  let skipped = 0;
  for (const path of paths) {
    for (const file of await filesUnder(path)) {
      for (const line of (await readFile(file, 'utf8')).split('\n')) {
        const r = analyticsFromLine(line);
        if (r === undefined) continue;
        if (typeof r === 'string') skipped++;
        else records.push(r);
      }
    }
  }
  return { records, skipped };
}

export interface BrokerOptions {
  url: string;
  /** With a client id the session persists at the broker, so records sent while the report was not running wait for it. */
  clientId?: string;
  /** How long to listen; default 10 000 ms. */
  durationMs?: number;
  /** Stops listening early. */
  signal?: AbortSignal;
  clock?: Clock;
  /** Called per accepted record (progress, tests). */
  onRecord?: (record: ReceivedAnalytics) => void;
  /** Called once the broker granted the subscription. */
  onSubscribed?: () => void;
}

/** Subscribes to every station's analytics records for a while and returns what arrived. */
export async function collectFromBroker(options: BrokerOptions): Promise<{ records: ReceivedAnalytics[]; skipped: number }> {
  const persistent = options.clientId !== undefined;
  const client = await mqtt.connectAsync(options.url, {
    protocolVersion: 5,
    ...(persistent ? { clientId: options.clientId, clean: false, properties: { sessionExpiryInterval: 7 * 86_400 } } : {}),
    reconnectPeriod: 1000,
  });
  const records: ReceivedAnalytics[] = [];
  let skipped = 0;
  client.on('message', (topic, payload) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload.toString('utf8'));
    } catch {
      skipped++;
      return;
    }
    const r = analyticsFromMessage(parsed, topic);
    if (typeof r === 'string') skipped++;
    else {
      records.push(r);
      options.onRecord?.(r);
    }
  });
  try {
    await client.subscribeAsync(analyticsTopicFilter, { qos: 1 });
    options.onSubscribed?.();
    await sleep(options.clock ?? systemClock, options.durationMs ?? 10_000, options.signal).catch(() => undefined);
  } finally {
    await client.endAsync();
  }
  return { records, skipped };
}

export function fleetReport(records: ReceivedAnalytics[], range: { from?: string; to?: string }, now: number, labels?: ReportLabels): ReportModel {
  return buildReport(sitesFrom(records), { ...range, generatedAt: now, ...(labels ? { labels } : {}) });
}

export const fleetReportHelp = `Usage: npm run fleet-report -- (--broker URL [--duration S] [--client-id ID] | PATH...) [--from DATE] [--to DATE] [--format table|json|csv|svg]
  --broker URL     read records from the broker (${analyticsTopicFilter})
  --duration S     seconds to listen (default 10)
  --client-id ID   persistent session: records sent while not listening wait at the broker
  PATH...          JSON-lines files or folders of them instead of a broker
  --from, --to     local days YYYY-MM-DD to include
  --format F       table (default), json, csv or svg
`;

export async function fleetReportCommand(argv: string[], io: Io, clock: Clock = systemClock): Promise<number> {
  let values: { broker?: string; duration?: string; 'client-id'?: string; from?: string; to?: string; format?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: {
        broker: { type: 'string' }, duration: { type: 'string' }, 'client-id': { type: 'string' },
        from: { type: 'string' }, to: { type: 'string' }, format: { type: 'string', default: 'table' }, help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (err) {
    io.stderr.write(`${(err as Error).message}\n\n${fleetReportHelp}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(fleetReportHelp);
    return 0;
  }
  const format = values.format ?? 'table';
  const problem = !isReportFormat(format) ? `--format must be one of ${reportFormats.join(', ')}`
    : checkRange(values.from, values.to)
      ?? ((values.broker === undefined) === (positionals.length === 0) ? 'give either --broker URL or files, not both or neither' : undefined)
      ?? (values.duration !== undefined && !(Number(values.duration) > 0) ? '--duration must be a positive number of seconds' : undefined);
  if (problem || !isReportFormat(format)) {
    io.stderr.write(`${problem}\n\n${fleetReportHelp}`);
    return 2;
  }
  let collected: { records: ReceivedAnalytics[]; skipped: number };
  try {
    collected = values.broker !== undefined
      ? await collectFromBroker({
        url: values.broker, clock, durationMs: Number(values.duration ?? 10) * 1000,
        ...(values['client-id'] !== undefined ? { clientId: values['client-id'] } : {}),
      })
      : await readAnalyticsFiles(positionals);
  } catch (err) {
    io.stderr.write(`Cannot read analytics records: ${(err as Error).message}\n`);
    return 1;
  }
  if (collected.skipped > 0) io.stderr.write(`${collected.skipped} messages or lines were not analytics records and were skipped\n`);
  const range = { ...(values.from !== undefined ? { from: values.from } : {}), ...(values.to !== undefined ? { to: values.to } : {}) };
  io.stdout.write(renderReport(fleetReport(collected.records, range, clock.now(), await loadFlowLabels(findInstallPaths(import.meta.url).flowsDir)), format));
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  fleetReportCommand(process.argv.slice(2), process).then((code) => {
    process.exitCode = code;
  }, (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
}
