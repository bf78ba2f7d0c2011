import { SeededRandom } from '../transports/seeded-random.js';
import type { SimI2cDevice } from '../transports/i2c-sim.js';
import { celsiusToRaw, mlx90614Address, Mlx90614Ram, readWordPec } from '../mlx90614.js';

export interface SimMlx90614Options {
  /** Address the PEC is computed for; default 0x5A. */
  address?: number;
  /** Object (skin) temperature, °C; default 35.1 (forehead skin, about 36.7 °C body at 27 °C ambient). */
  objectC?: number;
  /** Ambient (sensor) temperature, °C; default 27. */
  ambientC?: number;
  /** Reading noise, °C RMS; default 0.05. */
  noiseC?: number;
  /** Probability that a word comes back with a wrong PEC; default 0. */
  badPecRate?: number;
  /** Seed of noise and faults; default 1. */
  seed?: number;
}

/**
 * An MLX90614 as SMBus sees it: RAM words 0x06 (Ta), 0x07 (Tobj1), 0x08 (Tobj2) answered low byte,
 * high byte, PEC; EEPROM through 0x20|addr (0x0E holds the SMBus address). Faults: corrupted PEC at
 * a seeded rate, and the error flag (bit 15) set on the temperatures.
 */
export class SimMlx90614 implements SimI2cDevice {
  private readonly address: number;
  private readonly random: SeededRandom;
  objectC: number;
  ambientC: number;
  noiseC: number;
  badPecRate: number;
  /** Sets bit 15 on the linearised temperatures, as the sensor does on an internal error. */
  errorFlag = false;

  constructor(options: SimMlx90614Options = {}) {
    this.address = options.address ?? mlx90614Address;
    this.random = new SeededRandom(options.seed ?? 1);
    this.objectC = options.objectC ?? 35.1;
    this.ambientC = options.ambientC ?? 27;
    this.noiseC = options.noiseC ?? 0.05;
    this.badPecRate = options.badPecRate ?? 0;
  }

  read(register: number, length: number): Uint8Array {
    const word = this.word(register & 0xff);
    const lsb = word & 0xff;
    const msb = (word >> 8) & 0xff;
    let check = readWordPec(this.address, register & 0xff, lsb, msb);
    if (this.badPecRate > 0 && this.random.next() < this.badPecRate) check ^= 1 << Math.floor(this.random.next() * 8);
    const out = new Uint8Array(length);
    out.set([lsb, msb, check].slice(0, length));
    return out;
  }

  /** EEPROM writes need an erase cycle and a delay the station never uses; they are ignored. */
  write(): void {}

  private word(command: number): number {
    const flag = this.errorFlag ? 0x8000 : 0;
    const noisy = (c: number) => c + this.noiseC * this.random.gaussian();
    switch (command) {
      case Mlx90614Ram.ambient:
        return (celsiusToRaw(noisy(this.ambientC)) & 0x7fff) | flag;
      case Mlx90614Ram.object1:
      case Mlx90614Ram.object2:
        return (celsiusToRaw(noisy(this.objectC)) & 0x7fff) | flag;
      case 0x2e:
        return 0xbe00 | this.address;
      case 0xf0:
        return 0x0000;
      default:
        return 0x0000;
    }
  }
}
