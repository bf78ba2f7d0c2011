/**
 * The technician UI (runtime/tui/app.tsx) rendered with ink-testing-library, for the view tests.
 * Socket round trips and React renders are turned by immediates, never by wall-clock time.
 */
import type { Test } from 'tap';
import { createElement } from 'react';
import { render } from 'ink-testing-library';
import { App, type ViewId } from '../../runtime/tui/app.js';
import type { DiagnosticShell } from '../../runtime/tui/diagnostic-shell.js';
import type { Clock } from '../../runtime/kernel/clock.js';
import type { StationClient } from '../../runtime/tui/station-client.js';
import { flushMicrotasks } from './manual-clock.js';

const ansi = /\u001b\[[0-9;?]*[A-Za-z]/g;

/** What a rendered frame shows, without the terminal's colour codes. */
export function plainFrame(ui: { lastFrame(): string | undefined }): string {
  return (ui.lastFrame() ?? '').replace(ansi, '');
}

/** Lets socket answers and React renders through. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await flushMicrotasks();
}

/** The technician's terminal is 80x24: a rendered TUI frame must fit it. */
export function fitsTerminal(t: Test, frame: string): void {
  const lines = frame.split('\n');
  t.ok(lines.length <= 24, `frame has ${lines.length} rows (max 24)`);
  const widest = Math.max(...lines.map((l) => [...l].length));
  t.ok(widest <= 80, `frame is ${widest} columns wide (max 80)`);
}

export interface TuiApp {
  frame(): string;
  /** Turns the event loop (immediates only) until the frame matches: for answers that wait on file I/O. */
  until(pattern: RegExp): Promise<string>;
  press(...input: string[]): Promise<void>;
  type(text: string): Promise<void>;
}

/** Renders the App as operator `tech-an`; unmounts it and closes the shell, then `close`, at teardown. */
export async function renderTui(
  t: Test,
  options: { client: StationClient; clock: Clock; shell: DiagnosticShell; initialView: ViewId; close: () => Promise<void> },
): Promise<TuiApp> {
  const ui = render(createElement(App, { client: options.client, clock: options.clock, operator: 'tech-an', shell: options.shell, initialView: options.initialView }));
  t.teardown(async () => {
    ui.unmount();
    await options.shell.close();
    await options.close();
  });
  await settle();
  const frame = () => plainFrame(ui);
  return {
    frame,
    until: async (pattern) => {
      for (let i = 0; i < 5000 && !pattern.test(frame()); i++) await flushMicrotasks();
      return frame();
    },
    press: async (...input) => {
      for (const k of input) {
        ui.stdin.write(k);
        await settle();
      }
    },
    type: async (text) => {
      for (const ch of text) ui.stdin.write(ch);
      await settle();
    },
  };
}
