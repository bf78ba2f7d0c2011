import type { Clock, TimerHandle } from './clock.js';

interface Pending {
  id: number;
  at: number;
  fn: () => void;
}

/**
 * A clock that moves only when told to: tests drive every component's time with it, and
 * `npm run simulate-usage` runs weeks of simulated residents through the real flows in seconds.
 * Timers fire in due order during {@link advance}; timers scheduled by a firing timer within the
 * advanced window fire too.
 */
export class VirtualClock implements Clock {
  private current: number;
  private nextId = 1;
  private pending: Pending[] = [];

  constructor(start = Date.UTC(2026, 10, 25, 2, 0, 0)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const entry = { id: this.nextId++, at: this.current + Math.max(0, ms), fn };
    this.pending.push(entry);
    return { id: entry.id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (!handle) return;
    const id = (handle as { id: number }).id;
    this.pending = this.pending.filter((p) => p.id !== id);
  }

  /** Number of timers waiting to fire. */
  get timerCount(): number {
    return this.pending.length;
  }

  /** Moves time forward by `ms`, firing due timers in order, letting promises settle between them. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      await flushMicrotasks();
      this.pending.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.pending[0];
      if (!next || next.at > target) break;
      this.pending.shift();
      this.current = next.at;
      next.fn();
    }
    this.current = target;
    await flushMicrotasks();
  }
}

/** Lets queued promise callbacks and immediates run. */
export async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}
