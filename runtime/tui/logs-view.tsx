/**
 * The daemon's log, live: one subscription for everything, filtered here by level and component so
 * changing a filter never loses lines. Space pauses following; arrows then scroll.
 */
import { useEffect, useMemo, useState } from 'react';
import { Box, Text } from 'ink';
import type { LogLine } from '../control/methods.js';
import { clip, filterLogs, formatLogLine, logLevels } from './format.js';
import { useKeys } from './keys.js';
import type { ViewContext } from './station-client.js';

const kept = 2000;

export function LogsView({ ctx, active, rows }: { ctx: ViewContext; active: boolean; rows: number }) {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [level, setLevel] = useState<string>('info');
  const [component, setComponent] = useState('');
  const [following, setFollowing] = useState(true);
  const [frozen, setFrozen] = useState<LogLine[]>([]);
  const [offset, setOffset] = useState(0);
  const [error, setError] = useState<string | undefined>(undefined);

  useEffect(() => {
    let live = true;
    const off = ctx.client.onEvent((event, data) => {
      if (event === 'log' && live) setLines((prev) => [...prev, data as LogLine].slice(-kept));
    });
    void (async () => {
      const tail = await ctx.client.call('logs.tail', { lines: 500 });
      if (!live) return;
      // After a reconnect the daemon's buffer is the truth again: start from its tail.
      if (tail.ok) setLines((prev) => (ctx.connection > 0 ? tail.data : [...tail.data, ...prev].slice(-kept)));
      const sub = await ctx.client.call('logs.subscribe', {});
      if (live && !sub.ok) setError(`${sub.error.code}: ${sub.error.message}`);
    })();
    return () => {
      live = false;
      off();
    };
  }, [ctx.client, ctx.connection]);

  const components = useMemo(() => [...new Set(lines.map((l) => l.component).filter((c): c is string => !!c))].sort(), [lines]);
  const source = following ? lines : frozen;
  const shown = filterLogs(source, level, component);
  const room = Math.max(1, rows - 1);
  const end = Math.max(0, shown.length - offset);
  const visible = shown.slice(Math.max(0, end - room), end);

  useKeys(
    ctx,
    (input, key) => {
      if (input === 'l') setLevel((l) => logLevels[(logLevels.indexOf(l as (typeof logLevels)[number]) + 1) % logLevels.length]!);
      else if (input === 'c') setComponent((c) => ['', ...components][(['', ...components].indexOf(c) + 1) % (components.length + 1)]!);
      else if (input === ' ') {
        setFrozen(lines);
        setOffset(0);
        setFollowing((f) => !f);
      } else if (!following && key.upArrow) setOffset((o) => Math.min(Math.max(0, shown.length - room), o + 1));
      else if (!following && key.downArrow) setOffset((o) => Math.max(0, o - 1));
      else if (!following && key.pageUp) setOffset((o) => Math.min(Math.max(0, shown.length - room), o + room));
      else if (!following && key.pageDown) setOffset((o) => Math.max(0, o - room));
    },
    active,
  );

  return (
    <Box flexDirection="column">
      <Text>
        <Text bold>{`Level >= ${level.toUpperCase()}`}</Text>
        {' (l)  '}
        <Text bold>{`Component: ${component || 'all'}`}</Text>
        {' (c)  '}
        <Text bold inverse={!following}>{following ? 'FOLLOWING' : 'PAUSED'}</Text>
        {` (space)  ${shown.length} lines`}
      </Text>
      {error ? <Text>{clip(`cannot follow the log: ${error}`, 78)}</Text> : null}
      {visible.map((l, i) => (
        <Text key={i}>{clip(`${l.level === 'error' || l.level === 'fatal' ? '!' : ' '}${formatLogLine(l)}`, 78)}</Text>
      ))}
    </Box>
  );
}
