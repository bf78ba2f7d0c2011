/**
 * The status LED and the buzzer, as johnny-five components on the GPIO IO plugin. The buzzer is
 * an active buzzer (sounds while its line is high), so a beep is the line held high for a while on
 * the injected clock; johnny-five's Piezo tone generator runs on real timers and is not used.
 */
import type Board from 'johnny-five/lib/board.js';
import type Led from 'johnny-five/lib/led/led.js';
import type Pin from 'johnny-five/lib/pin.js';
import type { Clock, TimerHandle } from '../runtime/kernel/clock.js';
import { sleep } from '../runtime/kernel/clock.js';
import { StationError } from '../runtime/kernel/errors.js';
import type { GpioIoPlugin } from './johnny-five-io.js';

export interface IndicatorOptions {
  /** BCM line of the status LED (high = lit). */
  ledLine: number;
  /** BCM line of the active buzzer (high = sounding). */
  buzzerLine: number;
  /** How long to wait for the IO plugin to report ready; default 5000 ms. */
  readyTimeoutMs?: number;
}

/**
 * johnny-five, loaded when the indicators start rather than with the station: about 120 KB of
 * code (with chalk, lodash and color tables) that the device probes do not need, read while the
 * first frames of the serial devices are awaited.
 */
const johnnyFive = () =>
  Promise.all([import('johnny-five/lib/board.js'), import('johnny-five/lib/led/led.js'), import('johnny-five/lib/pin.js')]).then(
    ([board, led, pin]) => ({ Board: board.default, Led: led.default, Pin: pin.default }),
  );

/** Waits for johnny-five's Board to accept the IO plugin. */
export async function connectBoard(io: GpioIoPlugin, clock: Clock, timeoutMs = 5000): Promise<Board> {
  const { Board } = await johnnyFive();
  return new Promise((resolve, reject) => {
    // repl, debug and sigint off: the composition root owns the terminal and the signals.
    const board = new Board({ io, repl: false, debug: false, sigint: false, timeout: timeoutMs });
    const timer = clock.setTimeout(() => reject(new StationError('DEVICE_MISSING', 'GPIO board did not become ready')), timeoutMs);
    board.once('ready', () => {
      clock.clearTimeout(timer);
      resolve(board);
    });
    board.once('error', (err: Error) => {
      clock.clearTimeout(timer);
      reject(new StationError('DEVICE_MISSING', err.message, { cause: err }));
    });
    io.open();
  });
}

export class StatusIndicators {
  private led: Led | undefined;
  private buzzer: Pin | undefined;
  private beepTimer: TimerHandle | undefined;
  private blinking = 0;

  constructor(
    private readonly io: GpioIoPlugin,
    private readonly clock: Clock,
    private readonly options: IndicatorOptions,
  ) {}

  async start(): Promise<void> {
    if (this.led) return;
    const [board, { Led, Pin }] = await Promise.all([connectBoard(this.io, this.clock, this.options.readyTimeoutMs), johnnyFive()]);
    this.led = new Led({ pin: this.options.ledLine, board });
    this.buzzer = new Pin({ pin: this.options.buzzerLine, type: 'digital', board });
    this.led.off();
    this.buzzer.low();
  }

  setLed(on: boolean): void {
    if (on) this.led?.on();
    else this.led?.off();
  }

  /** Sounds the buzzer for `ms` (a key click is ~40 ms, an alert ~400 ms); resolves when it stops. */
  beep(ms = 60): Promise<void> {
    const buzzer = this.buzzer;
    if (!buzzer) return Promise.reject(new StationError('DEVICE_MISSING', 'the buzzer is not started'));
    this.clock.clearTimeout(this.beepTimer);
    buzzer.high();
    return new Promise((resolve) => {
      this.beepTimer = this.clock.setTimeout(() => {
        this.buzzer?.low();
        resolve();
      }, ms);
    });
  }

  /** Blinks the status LED at 2 Hz for `ms`, then leaves it off (the technician's "find this kiosk"). */
  async blink(ms = 2000): Promise<void> {
    if (!this.led) throw new StationError('DEVICE_MISSING', 'the status LED is not started');
    const run = ++this.blinking;
    for (let t = 0; t < ms && run === this.blinking && this.led; t += 250) {
      this.setLed((t / 250) % 2 === 0);
      await sleep(this.clock, Math.min(250, ms - t));
    }
    if (run === this.blinking) this.setLed(false);
  }

  /** LED and buzzer off; idempotent. */
  async stop(): Promise<void> {
    this.blinking++;
    this.clock.clearTimeout(this.beepTimer);
    this.buzzer?.low();
    this.led?.off();
    this.led = undefined;
    this.buzzer = undefined;
  }
}
