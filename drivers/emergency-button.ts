/**
 * The big red emergency push button beside the keypad, on its own GPIO line.
 *
 * Wiring: the normally-open contact between the line and ground, the line an input with pull-up
 * (`gpio=26=ip,pu` in /boot/firmware/config.txt, like the keypad columns), so a press reads low.
 * Many kiosk emergency buttons are mushroom heads that latch down until twisted free; such a button
 * stays closed after the press. So:
 * - a press counts only after the line read the same for `debounceMs` (contact bounce);
 * - one press is one event: staying down never repeats it;
 * - the button must be seen released before a press counts, so a button still latched (or a
 *   shorted wire) when the station starts does not raise an alert at every boot;
 * - a button down for `stuckMs` is reported as a fault (latched or shorted), cleared on release;
 * - the release of a counted press is reported once, debounced like the press, with how long the
 *   contact stayed closed (edge to edge), so a technician's test can tell a button that opens again
 *   from a latched or stuck one. A release is information only: it never raises anything, and the
 *   release of a press that was not counted (down since start) is not reported.
 * Pure apart from the times it is given; the keypad's scan timer feeds it (drivers/keypad.ts).
 */
import type { SimGpio } from './transports/gpio-sim.js';
import type { GpioValue } from './transports/gpio.js';

export interface EmergencyButtonOptions {
  /** Time the line must read steadily; default 30 ms. */
  debounceMs?: number;
  /** Down this long is a fault (latched head, shorted wire); default 30 000 ms. */
  stuckMs?: number;
}

/**
 * What one sample changed: a confirmed press, the confirmed release of a counted press (with how
 * long it was held), and/or the stuck fault starting (with how long) or ending.
 */
export interface EmergencyButtonChange {
  press?: true;
  release?: { heldMs: number };
  stuck?: { stuck: true; heldMs: number } | { stuck: false };
}

export class EmergencyButtonReader {
  private candidate: boolean | null = null;
  private candidateSince = 0;
  /** The debounced state; null until the first steady reading. */
  private stable: boolean | null = null;
  private stableSince = 0;
  /** A release was seen since start or since the last press. */
  private armed = false;
  /** The counted press whose release is still to be reported: when its contact closed. */
  private pressClosedAt: number | undefined;
  private stuck = false;

  constructor(private readonly options: EmergencyButtonOptions = {}) {}

  /** Feeds one reading of the line (0 = pressed, the contact pulls it to ground). */
  feed(level: GpioValue, now: number): EmergencyButtonChange | undefined {
    const pressed = level === 0;
    if (pressed !== this.candidate) {
      this.candidate = pressed;
      this.candidateSince = now;
    }
    const change: EmergencyButtonChange = {};
    if (pressed !== this.stable && now - this.candidateSince >= (this.options.debounceMs ?? 30)) {
      this.stable = pressed;
      this.stableSince = this.candidateSince;
      if (pressed && this.armed) {
        this.armed = false;
        this.pressClosedAt = this.candidateSince;
        change.press = true;
      } else if (!pressed) {
        this.armed = true;
        if (this.pressClosedAt !== undefined) {
          change.release = { heldMs: this.candidateSince - this.pressClosedAt };
          this.pressClosedAt = undefined;
        }
        if (this.stuck) {
          this.stuck = false;
          change.stuck = { stuck: false };
        }
      }
    }
    if (this.stable === true && !this.stuck && now - this.stableSince >= (this.options.stuckMs ?? 30_000)) {
      this.stuck = true;
      change.stuck = { stuck: true, heldMs: now - this.stableSince };
    }
    return change.press || change.release || change.stuck ? change : undefined;
  }

  /** The button reads down, debounced. */
  get isDown(): boolean {
    return this.stable === true;
  }
}

/** The emergency button in simulation: a press pulls its line low, as the real contact does. */
export class SimEmergencyButton {
  constructor(
    private readonly gpio: SimGpio,
    readonly line: number,
  ) {}

  press(): void {
    this.gpio.set(this.line, 0);
  }

  release(): void {
    this.gpio.set(this.line, 1);
  }
}
