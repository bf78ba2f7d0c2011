/**
 * Real GPIO through onoff (sysfs). Only the composition root imports this file.
 *
 * On Linux 6.6 and later the sysfs GPIO numbers of the Raspberry Pi's header lines are no longer
 * 0–53: the gpiochip is registered at a dynamic base (512 on Pi 4 with 6.6, 571 on Pi 5 where the
 * header is on the RP1 chip), so BCM line 17 is sysfs GPIO 529 or 588. Hard-coding either number
 * breaks on the next kernel, so the base is read from /sys/class/gpio/gpiochip<N>/{label,base}
 * at start and the chip whose label is the SoC's pin controller is chosen.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Gpio } from 'onoff';
import { StationError } from '../../runtime/kernel/errors.js';
import type { GpioController, GpioDirection, GpioEdge, GpioLine, GpioValue } from './gpio.js';

/** Pin controller labels of the header GPIO bank: Pi 0–3, Pi 4, Pi 5 (RP1). */
export const headerChipLabels = ['pinctrl-bcm2835', 'pinctrl-bcm2711', 'pinctrl-rp1'] as const;

/**
 * Finds the sysfs base number of the header GPIO bank. `sysfsRoot` is injectable so tests use a
 * fake folder. Rejects with DEVICE_MISSING naming what was found when no known chip is present.
 */
export function resolveGpioBase(sysfsRoot = '/sys/class/gpio', labels: readonly string[] = headerChipLabels): number {
  let entries: string[];
  try {
    entries = readdirSync(sysfsRoot).filter((e) => e.startsWith('gpiochip'));
  } catch (err) {
    throw new StationError('DEVICE_MISSING', `GPIO sysfs ${sysfsRoot} is not readable: ${(err as Error).message}`, { cause: err });
  }
  const found: string[] = [];
  for (const chip of entries.sort()) {
    try {
      const label = readFileSync(join(sysfsRoot, chip, 'label'), 'utf8').trim();
      const base = Number(readFileSync(join(sysfsRoot, chip, 'base'), 'utf8').trim());
      found.push(`${chip}=${label}@${base}`);
      if (labels.includes(label) && Number.isInteger(base)) return base;
    } catch {
      found.push(`${chip}=unreadable`);
    }
  }
  throw new StationError('DEVICE_MISSING', `no header GPIO chip (${labels.join(', ')}) under ${sysfsRoot}; found: ${found.join(', ') || 'none'}`);
}

class OnoffLine implements GpioLine {
  private released = false;

  constructor(
    readonly line: number,
    readonly direction: GpioDirection,
    private readonly gpio: Gpio,
  ) {}

  read(): GpioValue {
    return this.gpio.readSync();
  }

  write(value: GpioValue): void {
    this.gpio.writeSync(value);
  }

  watch(listener: (value: GpioValue) => void): () => void {
    const cb = (err: Error | null | undefined, value: GpioValue) => {
      if (!err) listener(value);
    };
    this.gpio.watch(cb);
    return () => this.gpio.unwatch(cb);
  }

  unexport(): void {
    if (this.released) return;
    this.released = true;
    this.gpio.unwatchAll();
    this.gpio.unexport();
  }
}

export class OnoffGpioController implements GpioController {
  constructor(private readonly base: number) {}

  open(line: number, direction: GpioDirection, edge: GpioEdge = 'none'): GpioLine {
    // Outputs start low so the buzzer does not chirp and the LED does not flash at boot; the keypad
    // raises its rows itself right after claiming them.
    const gpio = new Gpio(this.base + line, direction === 'out' ? 'low' : 'in', edge, { debounceTimeout: 0 });
    return new OnoffLine(line, direction, gpio);
  }
}

/** The real controller with the base resolved from sysfs. */
export function createRealGpio(sysfsRoot?: string): GpioController {
  return new OnoffGpioController(resolveGpioBase(sysfsRoot));
}
