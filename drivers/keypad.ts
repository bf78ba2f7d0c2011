/**
 * The resident's 4x4 matrix keypad, scanned over GPIO through the johnny-five IO plugin.
 *
 * johnny-five's `Keypad` does not fit: its controllers are I2C touch/expander chips (MPR121,
 * AT42QT1070, SX1509), resistor-ladder analog keypads and VKey, none scans a bare row/column
 * matrix on GPIO, and its debounce runs on real timers. So rows are driven and columns read here,
 * on the injected clock, over the same {@link GpioIoPlugin} the LED and buzzer use.
 *
 * Wiring: rows are outputs idling high, one row at a time is pulled low; columns are inputs with
 * pull-ups (set in /boot/firmware/config.txt, e.g. `gpio=12,16,20,21=ip,pu`, since sysfs cannot set
 * pulls). A pressed key connects its row to its column, so that column reads low.
 */
import type { Clock, TimerHandle } from '../runtime/kernel/clock.js';
import { StationError } from '../runtime/kernel/errors.js';
import type { Key } from '../runtime/kernel/input.js';
import { isKey } from '../runtime/kernel/input.js';
import type { Logger } from '../runtime/kernel/logger.js';
import { TypedEmitter } from '../runtime/kernel/typed-emitter.js';
import { EmergencyButtonReader } from './emergency-button.js';
import { IO_MODES } from './johnny-five-io.js';
import type { GpioIoPlugin } from './johnny-five-io.js';
import type { SimGpio } from './transports/gpio-sim.js';
import type { GpioValue } from './transports/gpio.js';
import type { DeviceHealthReport, StationDevice } from './types.js';

/** The station keypad's legend: the right-hand column is OK, Back, Help, Home (A, B, C, D on stock keypads). */
export const defaultKeypadLayout: readonly (readonly Key[])[] = [
  ['1', '2', '3', 'ok'],
  ['4', '5', '6', 'back'],
  ['7', '8', '9', 'help'],
  ['*', '0', '#', 'home'],
];

/**
 * Turns raw scans into presses: a key must read the same for `debounceMs` before it counts, one
 * press per physical press (holding does not repeat), and two keys at once (ghosting on a matrix
 * without diodes) count as none. Pure apart from the times it is given.
 */
export class KeyDebouncer {
  private candidate: Key | null = null;
  private candidateSince = 0;
  private stable: Key | null = null;

  constructor(private readonly debounceMs: number) {}

  /** Feeds one scan; returns the key when a press is confirmed. */
  feed(sample: Key | null, now: number): Key | undefined {
    if (sample !== this.candidate) {
      this.candidate = sample;
      this.candidateSince = now;
      return undefined;
    }
    if (sample === this.stable || now - this.candidateSince < this.debounceMs) return undefined;
    this.stable = sample;
    return sample ?? undefined;
  }
}

export interface MatrixKeypadOptions {
  /** BCM line numbers of the rows, top to bottom. */
  rows: number[];
  /** BCM line numbers of the columns, left to right. */
  cols: number[];
  /** Key per [row][col]; default {@link defaultKeypadLayout}. */
  layout?: readonly (readonly Key[])[];
  /** Scan period; default 10 ms. */
  scanIntervalMs?: number;
  /** Time a key must read steadily; default 30 ms. */
  debounceMs?: number;
  /** A key down this long is reported as stuck (jammed key, shorted wire); default 30 000 ms. */
  stuckMs?: number;
  /** BCM line of the emergency push button (drivers/emergency-button.ts), read on the same scan; none if absent. */
  emergency?: number;
}

export interface KeypadEvents {
  key: Key;
  /** A confirmed press of the emergency button, at the clock's time. */
  emergency: { at: number };
  /**
   * The confirmed release of a counted emergency press, at the clock's time, with how long the
   * contact stayed closed. Information for the technician's button test only: never an alert.
   */
  emergencyReleased: { at: number; heldMs: number };
}

export class MatrixKeypad implements StationDevice {
  readonly name = 'keypad' as const;
  readonly events = new TypedEmitter<KeypadEvents>();
  private timer: TimerHandle | undefined;
  private debouncer: KeyDebouncer | undefined;
  private scanning = false;
  private heldKey: Key | null = null;
  private heldSince = 0;
  private emergency: EmergencyButtonReader | undefined;
  /** Current faults by part (`key`, `emergency`): the keypad is degraded while any is present. */
  private readonly faults = new Map<'key' | 'emergency', string>();
  private readonly healthListeners: ((report: DeviceHealthReport) => void)[] = [];

  constructor(
    private readonly io: GpioIoPlugin,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly options: MatrixKeypadOptions,
  ) {}

  private get layout(): readonly (readonly Key[])[] {
    return this.options.layout ?? defaultKeypadLayout;
  }

  onHealthChange(listener: (report: DeviceHealthReport) => void): void {
    this.healthListeners.push(listener);
  }

  /** Claims the lines and starts scanning; idempotent. */
  async probe(): Promise<Record<string, unknown>> {
    const { rows, cols } = this.options;
    if (this.layout.length !== rows.length || this.layout.some((r) => r.length !== cols.length || !r.every(isKey))) {
      throw new StationError('CONFIG_INVALID', `keypad layout must be ${rows.length}x${cols.length} keys`);
    }
    if (!this.scanning) {
      for (const r of rows) {
        this.io.pinMode(r, IO_MODES.OUTPUT);
        this.io.digitalWrite(r, 1);
      }
      for (const c of cols) this.io.pinMode(c, IO_MODES.INPUT);
      if (this.options.emergency !== undefined) {
        this.io.pinMode(this.options.emergency, IO_MODES.INPUT);
        this.emergency = new EmergencyButtonReader({ debounceMs: this.options.debounceMs ?? 30, stuckMs: this.options.stuckMs ?? 30_000 });
      }
      this.debouncer = new KeyDebouncer(this.options.debounceMs ?? 30);
      this.scanning = true;
      this.schedule();
    }
    return { rows: rows.length, cols: cols.length, ...(this.options.emergency === undefined ? {} : { emergencyLine: this.options.emergency }) };
  }

  /** One pass over the matrix: the single key down, null for none or for several (ghosting). */
  scanOnce(): Key | null {
    const { rows, cols } = this.options;
    let found: Key | null = null;
    let count = 0;
    rows.forEach((r, ri) => {
      this.io.digitalWrite(r, 0);
      cols.forEach((c, ci) => {
        if (this.io.readNow(c) === 0) {
          count++;
          found = this.layout[ri]![ci]!;
        }
      });
      this.io.digitalWrite(r, 1);
    });
    return count === 1 ? found : null;
  }

  private schedule(): void {
    this.timer = this.clock.setTimeout(() => {
      if (!this.scanning) return;
      try {
        const sample = this.scanOnce();
        const key = this.debouncer!.feed(sample, this.clock.now());
        if (key) this.events.emit('key', key);
        this.watchStuck(sample);
        if (this.emergency) this.readEmergency(this.emergency);
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'keypad scan failed');
      }
      this.schedule();
    }, this.options.scanIntervalMs ?? 10);
  }

  private watchStuck(sample: Key | null): void {
    const now = this.clock.now();
    if (sample !== this.heldKey) {
      this.heldKey = sample;
      this.heldSince = now;
    }
    const stuck = sample !== null && now - this.heldSince >= (this.options.stuckMs ?? 30_000);
    if (stuck === this.faults.has('key')) return;
    if (stuck) this.log.warn({ key: sample }, 'keypad key stuck');
    this.setFault('key', stuck ? `key ${sample} reads pressed for ${Math.round((now - this.heldSince) / 1000)} s (stuck key or shorted wire)` : undefined);
  }

  private readEmergency(reader: EmergencyButtonReader): void {
    const now = this.clock.now();
    const change = reader.feed(this.io.readNow(this.options.emergency!), now);
    if (!change) return;
    if (change.press) {
      this.log.warn({ line: this.options.emergency }, 'emergency button pressed');
      this.events.emit('emergency', { at: now });
    }
    if (change.release) {
      this.log.info({ line: this.options.emergency, heldMs: change.release.heldMs }, 'emergency button released');
      this.events.emit('emergencyReleased', { at: now, heldMs: change.release.heldMs });
    }
    if (change.stuck?.stuck) {
      this.log.warn({ line: this.options.emergency }, 'emergency button stuck down');
      this.setFault('emergency', `emergency button reads pressed for ${Math.round(change.stuck.heldMs / 1000)} s (latched head not released, or shorted wire): it cannot raise a new alert until released`);
    } else if (change.stuck) {
      this.setFault('emergency', undefined);
    }
  }

  /** Sets or clears one part's fault and reports the keypad's health when it changed. */
  private setFault(part: 'key' | 'emergency', reason: string | undefined): void {
    if (reason === undefined ? !this.faults.has(part) : this.faults.get(part) === reason) return;
    if (reason === undefined) this.faults.delete(part);
    else this.faults.set(part, reason);
    const report: DeviceHealthReport = this.faults.size > 0 ? { health: 'degraded', reason: [...this.faults.values()].join('; ') } : { health: 'ok' };
    for (const l of this.healthListeners) l(report);
  }

  async close(): Promise<void> {
    this.scanning = false;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** A keypad in simulation: pressing a key connects its row line to its column line. */
export class SimKeypadMatrix {
  private pressed: Key[] = [];

  constructor(
    private readonly gpio: SimGpio,
    private readonly options: Pick<MatrixKeypadOptions, 'rows' | 'cols' | 'layout'>,
  ) {
    gpio.setResolver((line) => this.columnLevel(line));
  }

  press(key: Key): void {
    if (!this.pressed.includes(key)) this.pressed.push(key);
  }

  release(key?: Key): void {
    this.pressed = key ? this.pressed.filter((k) => k !== key) : [];
  }

  private columnLevel(line: number): GpioValue | undefined {
    const ci = this.options.cols.indexOf(line);
    if (ci < 0) return undefined;
    const layout = this.options.layout ?? defaultKeypadLayout;
    for (const key of this.pressed) {
      const ri = layout.findIndex((row) => row[ci] === key);
      if (ri >= 0 && this.gpio.level(this.options.rows[ri]!) === 0) return 0;
    }
    return 1;
  }
}
