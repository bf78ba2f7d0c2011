import type { Test } from 'tap';

/** The technician's terminal is 80x24: a rendered TUI frame must fit it. */
export function fitsTerminal(t: Test, frame: string): void {
  const lines = frame.split('\n');
  t.ok(lines.length <= 24, `frame has ${lines.length} rows (max 24)`);
  const widest = Math.max(...lines.map((l) => [...l].length));
  t.ok(widest <= 80, `frame is ${widest} columns wide (max 80)`);
}
