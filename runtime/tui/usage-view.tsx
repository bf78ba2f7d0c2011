/**
 * Usage: how residents used the station today or over the last seven days, from the daemon's
 * `analytics.summary` (counts, durations and the mean rating residents gave; the figures hold no
 * personal data). Refreshed on the frame's poll; `t` switches between today and the week.
 */
import { useCallback, useEffect, useState } from 'react';
import { Box, Text } from 'ink';
import type { AnalyticsSummary, SummaryRange } from '../control/methods.js';
import { clip, formatDuration, padEnd } from './format.js';
import { useKeys } from './keys.js';
import type { ViewContext } from './station-client.js';

export interface UsageProps {
  ctx: ViewContext;
  /** Changes on every poll of the frame; the figures are asked for again when it does. */
  poll: number;
  active: boolean;
  rows: number;
}

/** Eight block heights, lowest to highest (U+2581..U+2588). */
const blocks = '▁▂▃▄▅▆▇█';

/**
 * One character per hour: `.` for no session, otherwise a block scaled to the busiest hour, so an
 * hour with one session never looks empty and the shape reads without colour.
 */
export function hourBars(hours: readonly number[]): string {
  const max = Math.max(0, ...hours);
  return hours.map((n) => (n <= 0 ? '.' : blocks[Math.max(0, Math.ceil((n / max) * 8) - 1)])).join('');
}

/** The mean of the 1..5 answers with one decimal; `-` when nobody answered or nothing was recorded. */
export function formatMeanRating(mean: number | null): string {
  return mean === null ? '-' : mean.toFixed(1);
}

/** Rows the view always uses besides the service and device-failure rows. */
const fixedRows = 8;

export function UsageView({ ctx, poll, active, rows }: UsageProps) {
  const [range, setRange] = useState<SummaryRange>('today');
  // Kept per range: a reply for the range left behind must not replace the one now shown.
  const [summaries, setSummaries] = useState<Partial<Record<SummaryRange, AnalyticsSummary>>>({});
  const [error, setError] = useState<string | undefined>(undefined);

  const load = useCallback(async () => {
    const res = await ctx.client.call('analytics.summary', { range });
    if (res.ok) {
      setSummaries((prev) => ({ ...prev, [res.data.range]: res.data }));
      setError(undefined);
    } else setError(`${res.error.code}: ${res.error.message}`);
  }, [ctx.client, range]);

  useEffect(() => {
    if (active) void load();
  }, [active, load, poll]);

  useKeys(
    ctx,
    (input) => {
      if (input === 't') setRange((r) => (r === 'today' ? 'week' : 'today'));
    },
    active,
  );

  const shown = summaries[range];
  const title = `Showing: ${range === 'today' ? '[TODAY] week' : 'today [WEEK]'}`;
  const span = shown ? (shown.from === shown.to ? shown.from : `${shown.from} .. ${shown.to}`) : '';
  const failureRows = shown ? Math.min(3, Math.max(1, shown.deviceFailures.length)) : 0;
  const serviceRoom = Math.max(1, rows - fixedRows - failureRows - (error ? 1 : 0));

  return (
    <Box flexDirection="column">
      <Text>{clip(`${title}    ${span}`, 78)}</Text>
      {error ? <Text>{clip(`  cannot load usage: ${error}`, 78)}</Text> : null}
      {!shown ? (error ? null : <Text>  loading...</Text>) : <UsageFigures summary={shown} serviceRoom={serviceRoom} failureRows={failureRows} />}
    </Box>
  );
}

function UsageFigures({ summary, serviceRoom, failureRows }: { summary: AnalyticsSummary; serviceRoom: number; failureRows: number }) {
  const t = summary.totals;
  const peak = Math.max(0, ...summary.hours);
  const services = summary.services.length > serviceRoom ? summary.services.slice(0, serviceRoom - 1) : summary.services;
  const hiddenServices = summary.services.length - services.length;
  const failures = summary.deviceFailures.length > failureRows ? summary.deviceFailures.slice(0, failureRows - 1) : summary.deviceFailures;
  const hiddenFailures = summary.deviceFailures.length - failures.length;
  return (
    <>
      <Text>{clip(`Sessions ${t.sessions}   completed ${t.completed}   abandoned ${t.abandoned}   with CCCD scanned ${t.withCccd}`, 78)}</Text>
      <Text>{clip(`Failed   by device ${t.failedDevice}   by central ${t.failedCentral}   by input ${t.failedInput}`, 78)}</Text>
      <Text>{`By hour  |${hourBars(summary.hours)}|  ${peak > 0 ? `busiest ${String(summary.hours.indexOf(peak)).padStart(2, '0')}h: ${peak}` : 'no sessions'}`}</Text>
      <Text>{'          0     6     12    18   23'}</Text>
      <Text bold>{`  ${padEnd('SERVICE', 30)}${'SESS'.padStart(6)}${'DONE%'.padStart(7)}${'MEDIAN'.padStart(8)}${'MEAN'.padStart(8)}${'RATING'.padStart(8)}`}</Text>
      {summary.services.length === 0 ? <Text>  no sessions in this range</Text> : null}
      {services.map((s) => (
        <Text key={s.service}>
          {`  ${padEnd(s.label, 30)}${String(s.sessions).padStart(6)}${`${s.completionPct}%`.padStart(7)}${formatDuration(s.duration.p50S).padStart(8)}${formatDuration(s.duration.meanS).padStart(8)}${formatMeanRating(s.ratings?.mean ?? null).padStart(8)}`}
        </Text>
      ))}
      {hiddenServices > 0 ? <Text>{`  +${hiddenServices} more service(s)`}</Text> : null}
      <Text bold>Device failures by step</Text>
      {summary.deviceFailures.length === 0 ? <Text>  none</Text> : null}
      {failures.map((f) => (
        <Text key={f.step}>{clip(`  ${padEnd(f.step, 40)}${String(f.count).padStart(6)}`, 78)}</Text>
      ))}
      {hiddenFailures > 0 ? <Text>{`  +${hiddenFailures} more step(s)`}</Text> : null}
      <Text>{`Last day sent to central: ${summary.lastSentDay ?? 'none yet'}`}</Text>
    </>
  );
}
