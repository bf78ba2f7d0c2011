/**
 * Board tools: a menu of diagnostic commands (runtime/tui/diagnostic-shell.ts) run in a pseudo-terminal
 * pane. While a command runs, keys go to it; Esc ends it and returns to the menu. Each run is audited.
 */
import { useEffect, useRef, useState } from 'react';
import { Box, Text, useInput, type Key } from 'ink';
import { boardCommands, type DiagnosticShell } from './diagnostic-shell.js';
import { clip } from './format.js';
import { useKeys } from './keys.js';
import type { ViewContext } from './station-client.js';

export function ShellView({ ctx, shell, active, rows }: { ctx: ViewContext; shell: DiagnosticShell; active: boolean; rows: number }) {
  const [index, setIndex] = useState(0);
  const [open, setOpen] = useState(false);
  const [, setTick] = useState(0);
  const [scroll, setScroll] = useState(0);

  useEffect(() => shell.onChange(() => setTick((n) => n + 1)), [shell]);

  // One run at a time: a second Enter while the first is being audited starts nothing.
  const starting = useRef(false);
  async function run(i: number): Promise<void> {
    if (starting.current) return;
    starting.current = true;
    try {
      await start(i);
    } finally {
      starting.current = false;
    }
  }

  async function start(i: number): Promise<void> {
    const command = boardCommands[i]!;
    const audit = await ctx.client.call('audit.record', { action: 'shell.run', operator: ctx.operator, detail: { command: command.id } });
    if (!audit.ok) {
      // An action that cannot be audited is not taken.
      ctx.notify('error', `not run: the audit record failed: ${audit.error.code}: ${audit.error.message}`);
      return;
    }
    try {
      await shell.open(command.id);
      setScroll(0);
      setOpen(true);
      ctx.setCapture(true);
    } catch (err) {
      ctx.notify('error', `cannot open the board tools pane: ${(err as Error).message}`);
    }
  }

  useKeys(
    ctx,
    (_input, key) => {
      if (key.upArrow) setIndex((i) => (i - 1 + boardCommands.length) % boardCommands.length);
      else if (key.downArrow) setIndex((i) => (i + 1) % boardCommands.length);
      else if (key.return) void run(index);
    },
    active && !open,
  );

  const paneKey = (input: string, key: Key) => {
    if (key.escape) {
      void shell.close();
      setOpen(false);
      ctx.setCapture(false);
    } else if (!shell.running && key.upArrow) setScroll((s) => s + 1);
    else if (!shell.running && key.downArrow) setScroll((s) => Math.max(0, s - 1));
    else if (!shell.running && key.pageUp) setScroll((s) => s + rows - 2);
    else if (!shell.running && key.pageDown) setScroll((s) => Math.max(0, s - rows + 2));
    else if (key.ctrl && input === 'c') shell.write('\u0003');
    else if (key.return) shell.write('\r');
    else if (key.backspace || key.delete) shell.write('\u007f');
    else if (input) shell.write(input);
  };
  useInput(paneKey, { isActive: active && open });
  // Keys typed while the pane was opening go to the tool, in order.
  useEffect(() => {
    if (open) for (const k of ctx.takeTypedAhead()) paneKey(k.input, k.key);
  }, [open]);

  if (open) {
    const lines = shell.lines();
    const room = Math.max(1, rows - 1);
    const maxScroll = Math.max(0, lines.length - room);
    const from = Math.max(0, lines.length - room - Math.min(scroll, maxScroll));
    return (
      <Box flexDirection="column">
        <Text bold>
          {clip(`${shell.current?.label ?? ''}  ${shell.running ? 'RUNNING (keys go to the tool, Ctrl-C interrupts)' : `ENDED exit ${shell.exitCode ?? '?'} (arrows scroll)`}  Esc closes`, 78)}
        </Text>
        {lines.slice(from, from + room).map((l, i) => (
          <Text key={i}>{clip(l, 78)}</Text>
        ))}
      </Box>
    );
  }
  return (
    <Box flexDirection="column">
      <Text bold>Board tools (Up/Down choose, Enter runs; each run is audited)</Text>
      {boardCommands.map((c, i) => (
        <Text key={c.id} inverse={i === index}>{`${i === index ? '>' : ' '} ${c.label}`}</Text>
      ))}
    </Box>
  );
}
