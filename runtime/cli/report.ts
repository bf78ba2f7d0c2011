/**
 * `station report [--data DIR] [--from DATE] [--to DATE] [--format table|json|csv|svg]`: the usage
 * report from the day aggregates in `{DIR}/analytics/days/` (written by runtime/analytics/station-analytics.ts). Reads
 * files only, so it works on a copy of a station's data directory as well as on the station itself.
 */
import { parseArgs } from 'node:util';
import type { DestinationStream } from 'pino';
import type { Clock } from '../kernel/clock.js';
import { systemClock } from '../kernel/clock.js';
import { createLogger } from '../kernel/logger.js';
import { readAnalyticsStationId, readDayAggregates } from '../analytics/station-analytics.js';
import { isDay } from '../analytics/report/aggregate.js';
import { buildReport } from '../analytics/report/model.js';
import { isReportFormat, renderReport, reportFormats } from '../analytics/report/render.js';
import { loadFlowLabels } from '../analytics/report/flow-labels.js';

export interface CommandIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** Stamps the report; default the wall clock. */
  clock?: Clock;
  /** The data directory when `--data` is absent, e.g. config `dataDir`; default {@link defaultDataDir}. */
  dataDir?: string;
  /** The installed flow files the step names come from when `--flows` is absent (InstallPaths.flowsDir). */
  flowsDir: string;
}

/** The data directory when `--data` is not given (config `dataDir` default). */
export const defaultDataDir = '/var/lib/citizen-station';

export const reportUsage = `Usage: station report [--data DIR] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--format table|json|csv|svg]

Usage figures of this station by service, weekday and hour, funnel, residents' ratings and age
band, read from DIR/analytics/days/ (default DIR ${defaultDataDir}). Days are local days in
Asia/Ho_Chi_Minh.
  --data DIR      station data directory
  --from DATE     first day included (default: first day with data)
  --to DATE       last day included (default: last day with data)
  --format F      table (default), json, csv or svg (open the SVG in a browser)
  --flows DIR     flow files for step names (default: the station's own flows/)
`;

/** Parses and checks the date range options shared with scripts/fleet-report. */
export function checkRange(from: string | undefined, to: string | undefined): string | undefined {
  if (from !== undefined && !isDay(from)) return `--from must be a date YYYY-MM-DD, got "${from}"`;
  if (to !== undefined && !isDay(to)) return `--to must be a date YYYY-MM-DD, got "${to}"`;
  if (from !== undefined && to !== undefined && from > to) return `--from ${from} is after --to ${to}`;
  return undefined;
}

/** Runs `station report`; returns the exit code (0 done, 1 data unreadable, 2 usage error). */
export async function reportCommand(argv: string[], io: CommandIo): Promise<number> {
  let values: { data?: string; from?: string; to?: string; format?: string; flows?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        data: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        format: { type: 'string', default: 'table' },
        flows: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    io.stderr.write(`${(err as Error).message}\n\n${reportUsage}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(reportUsage);
    return 0;
  }
  const format = values.format ?? 'table';
  if (!isReportFormat(format)) {
    io.stderr.write(`--format must be one of ${reportFormats.join(', ')}, got "${format}"\n`);
    return 2;
  }
  const rangeProblem = checkRange(values.from, values.to);
  if (rangeProblem) {
    io.stderr.write(`${rangeProblem}\n`);
    return 2;
  }
  const dataDir = values.data ?? io.dataDir ?? defaultDataDir;
  const logger = createLogger({ level: 'warn', destination: { write: (line: string) => io.stderr.write(line) } as DestinationStream });
  try {
    const days = await readDayAggregates(dataDir, logger);
    const site = (await readAnalyticsStationId(dataDir, logger)) ?? 'station';
    const labels = await loadFlowLabels(values.flows ?? io.flowsDir);
    const model = buildReport([{ site, days }], {
      ...(labels ? { labels } : {}),
      ...(values.from !== undefined ? { from: values.from } : {}),
      ...(values.to !== undefined ? { to: values.to } : {}),
      generatedAt: (io.clock ?? systemClock).now(),
    });
    if (days.length === 0) io.stderr.write(`No analytics in ${dataDir}/analytics/days/\n`);
    io.stdout.write(renderReport(model, format));
    return 0;
  } catch (err) {
    io.stderr.write(`Cannot read analytics in ${dataDir}: ${(err as Error).message}\n`);
    return 1;
  }
}
