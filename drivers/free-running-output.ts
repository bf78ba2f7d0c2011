/**
 * The output cycle of a simulated free-running device (an ultrasonic module streaming frames, an
 * indicator in continuous-output mode). The real device was powered long before the host opened the
 * port and keeps its own cycle, so the host catches the stream wherever it is: the first frame comes
 * within one period of opening the port, not a full period after every open.
 */
import type { Clock, TimerHandle } from '../runtime/kernel/clock.js';

export interface OutputCycle {
  /** Time between frames, ms. */
  periodMs: number;
  /** Where in its period the device's cycle sits on the clock, ms: frames go at `phaseMs + k·periodMs`. */
  phaseMs: number;
}

/** The first grid point at or after `t` (`strict`: after `t`). */
function gridPoint(t: number, cycle: OutputCycle, strict: boolean): number {
  const k = (t - cycle.phaseMs) / cycle.periodMs;
  const index = strict ? Math.floor(k) + 1 : Math.ceil(k);
  return cycle.phaseMs + index * cycle.periodMs;
}

/**
 * Fires `tick` on the grid `phaseMs + k·periodMs` of the clock while started. Each delay is computed
 * from the grid, not by chaining one period after the last callback, so late timers never drift the
 * cycle. The cycle is read at every frame, so an emulator's options may change between frames.
 */
export class FreeRunningOutput {
  private timer: TimerHandle | undefined;
  /** Identifies the current start; a tick that stopped or restarted the output ends its own chain. */
  private run: object | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly cycle: () => OutputCycle,
  ) {}

  /** The port opened: the first frame goes at the next grid point strictly after now. */
  start(tick: () => void): void {
    this.stop();
    const run = {};
    this.run = run;
    this.scheduleAt(run, gridPoint(this.clock.now(), this.cycle(), true), tick);
  }

  stop(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.run = undefined;
  }

  private scheduleAt(run: object, at: number, tick: () => void): void {
    this.timer = this.clock.setTimeout(() => {
      tick();
      if (this.run !== run) return;
      // The frame after `at`, unless the timer fired so late that it is already past: then the next
      // one still due, without a burst of the missed ones (the device sends one frame per period).
      const cycle = this.cycle();
      this.scheduleAt(run, Math.max(gridPoint(at, cycle, true), gridPoint(this.clock.now(), cycle, false)), tick);
    }, at - this.clock.now());
  }
}
