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
 * The driver reports a confirmed press only (drivers/keypad.ts `emergency {at}`), not its release,
 * so the result says when the button was pressed, not how long it was held.
 */
import type { Clock, TimerHandle } from './clock.js';
import type { Logger } from './logger.js';
import type { RecordSink } from './ports.js';
import { StationError } from './errors.js';
import { AuditTrail, type SignalPort } from './technician-actions.js';
import type { EmergencyButtonTestEnd, EmergencyButtonTestReport } from './control-methods.js';

export interface EmergencyButtonTestOptions {
  clock: Clock;
  logger: Logger;
  /** Where the result's audit record goes (arming and cancelling are audited by their handlers). */
  audit: RecordSink;
  /** Whether the station is in maintenance mode now. */
  maintenance: () => boolean;
  /** The buzzer and status LED, when the station has them; read at the press. */
  signals?: () => SignalPort | undefined;
}

/** Window bounds in seconds: long enough to walk to the button, short enough not to be forgotten. */
export const emergencyTestWindowS = { default: 30, min: 5, max: 120 } as const;

interface Armed {
  at: number;
  windowS: number;
  operator: string | undefined;
  timer: TimerHandle;
}

export class EmergencyButtonTest {
  private armed: Armed | undefined;
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

  /** Disarms without a result when the station stops (the link that would carry it is stopping too); idempotent. */
  stop(): void {
    if (this.armed) this.options.clock.clearTimeout(this.armed.timer);
    this.armed = undefined;
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
    const detail = { result: this.last.state, ended, windowS: a.windowS, ...(pressed ? { afterMs: pressedAt - a.at } : {}) };
    this.trail.record('emergency.test.result', a.operator, pressed ? 'ok' : 'failed', detail).catch((err: unknown) =>
      this.options.logger.warn({ err: (err as Error).message, ...detail }, 'emergency button test result not audited'));
  }

  private changed(report: EmergencyButtonTestReport): void {
    for (const listener of this.listeners) listener(report);
  }
}
