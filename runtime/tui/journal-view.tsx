/**
 * Journal and outbox: records waiting for central's receipt, the ones a broker refused (flagged),
 * retrying them, and exporting a redacted copy for a support ticket.
 */
import { useCallback, useEffect, useState } from 'react';
import { Box, Text } from 'ink';
import type { JournalEntrySummary, OutboxReport } from '../control/methods.js';
import { clip, formatDuration, padEnd } from './format.js';
import { useKeys } from './keys.js';
import type { ViewContext } from './station-client.js';

export interface JournalProps {
  ctx: ViewContext;
  outbox: OutboxReport | undefined;
  active: boolean;
  rows: number;
}

export function JournalView({ ctx, outbox, active, rows }: JournalProps) {
  const [filter, setFilter] = useState<'all' | 'flagged'>('all');
  const [records, setRecords] = useState<JournalEntrySummary[]>([]);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<string | undefined>(undefined);
  const [exported, setExported] = useState<{ file: string; records: number } | undefined>(undefined);
  const listRows = Math.max(1, rows - 6);

  const load = useCallback(async () => {
    const res = await ctx.client.call('journal.list', { filter, limit: listRows });
    if (res.ok) {
      setRecords(res.data.records);
      setTotal(res.data.total);
      setError(undefined);
    } else {
      setError(`${res.error.code}: ${res.error.message}`);
    }
  }, [ctx.client, filter, listRows]);

  useEffect(() => {
    if (active) void load();
  }, [active, load, outbox?.depth, outbox?.flagged]);

  useKeys(
    ctx,
    (input) => {
      if (input === 'f') setFilter((f) => (f === 'all' ? 'flagged' : 'all'));
      else if (input === 'r') {
        void ctx.client.call('journal.retry', { operator: ctx.operator }).then((res) => {
          if (res.ok) ctx.notify('ok', `${res.data.retried} flagged record(s) sent again`);
          else ctx.notify('error', `retry: ${res.error.code}: ${res.error.message}`);
          void load();
        });
      } else if (input === 'e') {
        void ctx.client.call('journal.export', { operator: ctx.operator }).then((res) => {
          if (res.ok) {
            setExported(res.data);
            ctx.notify('ok', `exported ${res.data.records} record(s) with personal data removed; file shown below`);
          } else ctx.notify('error', `export: ${res.error.code}: ${res.error.message}`);
        });
      }
    },
    active,
  );

  const now = ctx.clock.now();
  return (
    <Box flexDirection="column">
      <Text>
        {outbox ? `Outbox: ${outbox.depth} waiting, oldest ${formatDuration(outbox.oldestAgeS)}, ${outbox.flagged} flagged` : 'Outbox: -'}
        {`    Showing: ${filter === 'all' ? 'ALL waiting' : 'FLAGGED only'} (${records.length} of ${total})`}
      </Text>
      <Text bold>{`  ${padEnd('EVENT ID', 30)}${padEnd('KIND', 16)}${padEnd('AGE', 8)}STATE`}</Text>
      {error ? <Text>{clip(`  cannot list: ${error}`, 78)}</Text> : null}
      {!error && records.length === 0 ? <Text>  nothing waiting</Text> : null}
      {records.slice(0, listRows).map((r) => (
        <Text key={r.eventId}>
          {clip(
            `${r.state === 'flagged' ? '!' : ' '} ${padEnd(r.eventId, 30)}${padEnd(r.kind + (r.personal ? '*' : ''), 16)}${padEnd(formatDuration((now - r.recordedAt) / 1000), 8)}${
              r.state === 'flagged' ? `FLAGGED 0x${(r.reasonCode ?? 0).toString(16)} x${r.refusals ?? 1}` : 'waiting'
            }`,
            78,
          )}
        </Text>
      ))}
      <Text dimColor>* personal record (encrypted at rest; never exported)</Text>
      {exported ? (
        <>
          <Text>{`Last export: ${exported.records} record(s), personal data removed:`}</Text>
          <Text>{exported.file}</Text>
        </>
      ) : null}
    </Box>
  );
}
