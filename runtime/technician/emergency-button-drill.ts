/**
 * A safe on-site test of the physical emergency push button. Pressing the button normally starts the
 * emergency flow and sends a priority alert to central (police dispatch), so a technician checking
 * the wiring would raise a real alert. While a test is armed, the next press of the physical button
 * is captured here instead: it is not forwarded to the flows, the buzzer and status LED answer it,
 * and the technician is told when it came.
 *
 * Arming is refused unless the station is in maintenance mode: residents then see the out-of-service
 * screen and nobody relies on the button during the window. The window is bounded and the test
 * disarms itself on the first press, when the window ends, when maintenance is switched off or when
 * the technician cancels; from then on presses go to the flows again. Only the hub's `emergency`
 * event passes through here: the on-screen button and F9 on the display go to the flows directly and
 * always raise the alert.
 *
 * After the captured press the test waits, at most `releaseWaitMs` (10 s by default), for the hub's
 * `emergencyReleased` event (drivers/keypad.ts, debounced like the press) and adds how long the
 * button was held: `released: true, heldMs`, or `released: false` when the button was still down at
 * the end of the wait, a latched head not twisted free or a stuck contact, which could not raise the
 * next resident's alert. The `emergency.test.result` audit record is written then, with the hold.
 * A release never goes to the flows, and a held button cannot press again (the driver counts a
 * press only after a release), so the wait changes nothing for residents.
 */
import type { Clock, TimerHandle } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';
import type { RecordSink } from '../flows/ports.js';
import { StationError } from '../kernel/errors.js';
import { AuditTrail, type AuditDetail } from './audit-trail.js';
import type { SignalPort } from './actions.js';
import type { EmergencyButtonTestEnd, EmergencyButtonTestReport } from '../control/methods.js';

export interface EmergencyButtonTestOptions {
  clock: Clock;
  logger: Logger;
  /** Where the result's audit record goes (arming and cancelling are audited by their handlers). */
  audit: RecordSink;
  /** Whether the station is in maintenance mode now. */
  maintenance: () => boolean;
  /** The buzzer and status LED, when the station has them; read at the press. */
  signals?: () => SignalPort | undefined;
  /** How long after the press the test waits for the release; default {@link emergencyTestReleaseWaitMs}. */
  releaseWaitMs?: number;
}

/** Window bounds in seconds: long enough to walk to the button, short enough not to be forgotten. */
export const emergencyTestWindowS = { default: 30, min: 5, max: 120 } as const;

/**
 * How long after the captured press the test waits for the button to open again: a push button
 * opens within a second, and a latched mushroom head is twisted free within seconds once the
 * technician has heard the beep; still down after this, it is reported as not released.
 */
export const emergencyTestReleaseWaitMs = 10_000;

/** Whether a report is final: no longer armed, and a press has its release (or its absence) known. */
export function emergencyTestSettled(r: EmergencyButtonTestReport): boolean {
  return r.state !== 'armed' && !(r.state === 'pressed' && r.released === undefined);
}

interface Armed {
  at: number;
  windowS: number;
  operator: string | undefined;
  timer: TimerHandle;
}

/** A captured press waiting for its release before the result is complete and audited. */
interface Holding {
  operator: string | undefined;
  timer: TimerHandle;
}

export class EmergencyButtonTest {
  private armed: Armed | undefined;
  private holding: Holding | undefined;
  private last: EmergencyButtonTestReport = { state: 'idle' };
  private readonly listeners = new Set<(report: EmergencyButtonTestReport) => void>();
  private readonly trail: AuditTrail;

  constructor(private readonly options: EmergencyButtonTestOptions) {
    this.trail = new AuditTrail(options.audit, options.clock, options.logger);
  }

  /** Arms the test for `windowS` seconds; refused outside maintenance or while a test is armed. */
  arm(windowS: number = emergencyTestWindowS.default, operator?: string): EmergencyButtonTestReport {
    if (!Number.isInteger(windowS) || windowS < emergencyTestWindowS.min || windowS > emergencyTestWindowS.max) {
      throw new StationError('CONTROL_BAD_PARAMS', `params.windowS must be a whole number of seconds from ${emergencyTestWindowS.min} to ${emergencyTestWindowS.max}`);
    }
    if (!this.options.maintenance()) {
      throw new StationError('MAINTENANCE_REQUIRED', 'the station is in service: a resident may need the emergency button, so it can be tested only in maintenance mode (residents then see "out of service"); turn maintenance on first');
    }
    if (this.armed) {
      throw new StationError('DEVICE_BUSY', `the emergency button test is already armed (${this.secondsLeft(this.armed)} s left)`, { transient: true });
    }
    if (this.holding) {
      // A new press cannot be seen before this one's release anyway (the driver requires it).
      throw new StationError('DEVICE_BUSY', 'the button pressed in the last test is still down: release it (twist a latched head) first', { transient: true });
    }
    const at = this.options.clock.now();
    const timer = this.options.clock.setTimeout(() => this.finish('window-ended'), windowS * 1000);
    this.armed = { at, windowS, operator, timer };
    this.options.logger.info({ windowS }, 'emergency button test armed: the next press sends no alert');
    this.changed(this.report());
    return this.report();
  }

  /**
   * The hub's `emergency` event goes through here first: true when the press was the test's and
   * must not reach the flows. A press after maintenance ended disarms the test and is a real alert.
   */
  capture(press: { at: number }): boolean {
    if (!this.armed) return false;
    if (!this.options.maintenance()) {
      this.finish('maintenance-off');
      return false;
    }
    this.finish('pressed', press.at);
    this.options.logger.info('emergency button test: press captured, no alert sent');
    const signals = this.options.signals?.();
    if (signals) {
      Promise.all([signals.beep(200), signals.blink(1000)]).catch((err: unknown) =>
        this.options.logger.warn({ err: (err as Error).message }, 'emergency button test: buzzer or LED did not answer'));
    }
    return true;
  }

  /**
   * The hub's `emergencyReleased` event: completes a captured press with how long it was held.
   * Any other release (after a resident's alert, or the wait over) is nothing here.
   */
  released(release: { heldMs: number }): void {
    if (this.holding) this.settle({ released: true, heldMs: release.heldMs });
  }

  /** Ends an armed test without a press; answers how the last test stands either way. */
  cancel(): EmergencyButtonTestReport {
    if (this.armed) this.finish('cancelled');
    return this.report();
  }

  /** Maintenance off disarms at once: residents are back and the button must raise alerts. */
  maintenanceChanged(on: boolean): void {
    if (!on && this.armed) this.finish('maintenance-off');
  }

  /** The armed test with its seconds left, or how the last one ended. */
  report(): EmergencyButtonTestReport {
    const a = this.armed;
    if (!a) return { ...this.last };
    return { state: 'armed', windowS: a.windowS, armedAt: a.at, secondsLeft: this.secondsLeft(a) };
  }

  /** Calls `listener` with each change (armed, then how it ended); the function returned stops it. */
  onChange(listener: (report: EmergencyButtonTestReport) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /**
   * Disarms without a result when the station stops (the link that would carry it is stopping too);
   * a press already captured is audited without its release. Idempotent.
   */
  stop(): void {
    if (this.armed) this.options.clock.clearTimeout(this.armed.timer);
    this.armed = undefined;
    const h = this.holding;
    if (!h) return;
    // The press happened and is audited as it stands, without its release: best effort, the link is stopping.
    this.options.clock.clearTimeout(h.timer);
    this.holding = undefined;
    this.audit(h.operator);
  }

  private secondsLeft(a: Armed): number {
    return Math.max(0, Math.ceil((a.at + a.windowS * 1000 - this.options.clock.now()) / 1000));
  }

  private finish(ended: EmergencyButtonTestEnd, pressedAt?: number): void {
    const a = this.armed;
    if (!a) return;
    this.options.clock.clearTimeout(a.timer);
    this.armed = undefined;
    const pressed = pressedAt !== undefined;
    this.last = {
      state: pressed ? 'pressed' : 'not-pressed', windowS: a.windowS, armedAt: a.at, ended,
      ...(pressed ? { pressedAt, afterMs: pressedAt - a.at } : {}),
    };
    if (!pressed) this.options.logger.info({ ended }, 'emergency button test ended without a press');
    this.changed({ ...this.last });
    if (pressed) {
      const timer = this.options.clock.setTimeout(() => this.settle({ released: false }), this.options.releaseWaitMs ?? emergencyTestReleaseWaitMs);
      this.holding = { operator: a.operator, timer };
    } else {
      this.audit(a.operator);
    }
  }

  /** The captured press's release, or its absence at the end of the wait: the result is complete. */
  private settle(hold: { released: true; heldMs: number } | { released: false }): void {
    const h = this.holding;
    if (!h) return;
    this.options.clock.clearTimeout(h.timer);
    this.holding = undefined;
    this.last = { ...this.last, ...hold };
    if (!hold.released) this.options.logger.warn('emergency button test: the button was still down when the wait for its release ended');
    this.changed({ ...this.last });
    this.audit(h.operator);
  }

  private audit(operator: string | undefined): void {
    const r = this.last;
    const detail: AuditDetail = { result: r.state, ended: r.ended!, windowS: r.windowS! };
    if (r.afterMs !== undefined) detail.afterMs = r.afterMs;
    if (r.released !== undefined) detail.released = r.released;
    if (r.heldMs !== undefined) detail.heldMs = r.heldMs;
    // A press whose button stayed down failed: that button cannot raise the next resident's alert.
    this.trail.record('emergency.test.result', operator, r.state === 'pressed' && r.released !== false ? 'ok' : 'failed', detail).catch((err: unknown) =>
      this.options.logger.warn({ err: (err as Error).message, ...detail }, 'emergency button test result not audited'));
  }

  private changed(report: EmergencyButtonTestReport): void {
    for (const listener of this.listeners) listener(report);
  }
}
