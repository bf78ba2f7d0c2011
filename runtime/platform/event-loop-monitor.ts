/**
 * Measures event-loop lag by how late a periodic timer fires. A board whose loop is stalled cannot
 * serve residents, so this lag gates the systemd watchdog ping.
 */
import type { Clock, TimerHandle } from '../kernel/clock.js';

export class EventLoopMonitor {
  readonly name = 'event-loop-monitor';
  readonly optional = true;
  private timer: TimerHandle | undefined;
  private lag = 0;

  constructor(
    private readonly clock: Clock,
    /** How often to sample. Default 500 ms. */
    private readonly intervalMs = 500,
  ) {}

  /** The most recent lag in milliseconds. */
  get lagMs(): number {
    return this.lag;
  }

  async start(): Promise<void> {
    this.tick();
  }

  async stop(): Promise<void> {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const expected = this.clock.now() + this.intervalMs;
    this.timer = this.clock.setTimeout(() => {
      this.lag = Math.max(0, this.clock.now() - expected);
      this.tick();
    }, this.intervalMs);
    (this.timer as { unref?: () => void }).unref?.();
  }
}
