/**
 * A johnny-five IO plugin over the {@link GpioController} seam, so johnny-five components (the
 * status `Led`, the buzzer `Pin`) run unchanged on the board (onoff) and in simulation.
 *
 * Implements the IO Plugin contract of johnny-five's "IO Plugins" spec: `name`, `MODES`, `pins`
 * (with `supportedModes`), `analogPins`, `isReady` plus `connect`/`ready` events, `pinMode`,
 * `digitalWrite`, `digitalRead` (reporting callback on change). Only INPUT and OUTPUT are offered:
 * the kiosk's LED and active buzzer are on/off loads and sysfs GPIO has no hardware PWM, so
 * `analogWrite` is refused rather than faked.
 */
import { EventEmitter } from 'node:events';
import { StationError } from '../runtime/kernel/errors.js';
import type { GpioController, GpioLine, GpioValue } from './transports/gpio.js';

export const IO_MODES = { INPUT: 0, OUTPUT: 1, ANALOG: 2, PWM: 3, SERVO: 4 } as const;

interface PinInfo {
  supportedModes: number[];
  mode: number;
  value: number;
  report: number;
  analogChannel: number;
}

export class GpioIoPlugin extends EventEmitter {
  readonly name = 'CitizenStationGpio';
  readonly MODES = IO_MODES;
  readonly HIGH = 1;
  readonly LOW = 0;
  readonly pins: PinInfo[];
  readonly analogPins: number[] = [];
  isReady = false;
  private readonly lines = new Map<number, GpioLine>();
  private readonly unwatch = new Map<number, () => void>();

  /**
   * @param gpio the real or simulated controller
   * @param lineCount lines offered as pins 0…lineCount−1 (BCM numbers); default 28 (Pi header)
   */
  constructor(
    private readonly gpio: GpioController,
    lineCount = 28,
  ) {
    super();
    this.pins = Array.from({ length: lineCount }, () => ({
      supportedModes: [IO_MODES.INPUT, IO_MODES.OUTPUT],
      mode: -1,
      value: 0,
      report: 0,
      analogChannel: 127,
    }));
  }

  /** Announces readiness the way johnny-five's Board expects (asynchronously, connect then ready). */
  open(): void {
    if (this.isReady) return;
    process.nextTick(() => {
      this.isReady = true;
      this.emit('connect');
      this.emit('ready');
    });
  }

  pinMode(pin: number, mode: number): this {
    this.pinInfo(pin);
    if (mode !== IO_MODES.INPUT && mode !== IO_MODES.OUTPUT) {
      throw new StationError('INTERNAL', `pin ${pin}: mode ${mode} is not supported (INPUT and OUTPUT only)`);
    }
    this.release(pin);
    const line = this.gpio.open(pin, mode === IO_MODES.OUTPUT ? 'out' : 'in', mode === IO_MODES.INPUT ? 'both' : 'none');
    this.lines.set(pin, line);
    this.pins[pin]!.mode = mode;
    this.pins[pin]!.value = line.read();
    return this;
  }

  digitalWrite(pin: number, value: number): this {
    const line = this.requireLine(pin, IO_MODES.OUTPUT);
    const v: GpioValue = value ? 1 : 0;
    line.write(v);
    this.pins[pin]!.value = v;
    return this;
  }

  /** Reports the current value, then every change (johnny-five's digital reporting). */
  digitalRead(pin: number, handler: (value: number) => void): this {
    if (this.pins[pin]?.mode !== IO_MODES.INPUT) this.pinMode(pin, IO_MODES.INPUT);
    const line = this.lines.get(pin)!;
    this.pins[pin]!.report = 1;
    this.unwatch.get(pin)?.();
    this.unwatch.set(
      pin,
      line.watch((v) => {
        this.pins[pin]!.value = v;
        handler(v);
        this.emit(`digital-read-${pin}`, v);
      }),
    );
    const now = line.read();
    this.pins[pin]!.value = now;
    process.nextTick(() => handler(now));
    return this;
  }

  /** Immediate level of an input, for matrix scanning (not part of the johnny-five contract). */
  readNow(pin: number): GpioValue {
    const v = this.requireLine(pin, IO_MODES.INPUT).read();
    this.pins[pin]!.value = v;
    return v;
  }

  analogWrite(pin: number): this {
    throw new StationError('INTERNAL', `pin ${pin}: PWM is not available on sysfs GPIO`);
  }

  pwmWrite(pin: number): this {
    return this.analogWrite(pin);
  }

  analogRead(pin: number): this {
    throw new StationError('INTERNAL', `pin ${pin}: the board has no analog inputs`);
  }

  /** Releases every line (outputs left as they are, then unexported); idempotent. */
  close(): void {
    for (const pin of [...this.lines.keys()]) this.release(pin);
    this.isReady = false;
  }

  private release(pin: number): void {
    this.unwatch.get(pin)?.();
    this.unwatch.delete(pin);
    this.lines.get(pin)?.unexport();
    this.lines.delete(pin);
  }

  private pinInfo(pin: number): PinInfo {
    const info = this.pins[pin];
    if (!info) throw new StationError('INTERNAL', `pin ${pin} does not exist (0–${this.pins.length - 1})`);
    return info;
  }

  private requireLine(pin: number, mode: number): GpioLine {
    this.pinInfo(pin);
    if (this.pins[pin]!.mode !== mode) this.pinMode(pin, mode);
    return this.lines.get(pin)!;
  }
}
