import type { Clock } from '../runtime/kernel/clock.js';
import { sleep } from '../runtime/kernel/clock.js';
import { StationError } from '../runtime/kernel/errors.js';
import type { Logger } from '../runtime/kernel/logger.js';
import type { MeasureOptions, Measurement, StationDevice } from './types.js';
import type { I2cBus } from './transports/i2c.js';
import { isI2cError, isNoAcknowledge } from './transports/i2c.js';

/*
 * MLX90614 infrared thermometer (Melexis MLX90614 datasheet, section 8.4 "SMBus compatible 2-wire
 * protocol", and the application note "SMBus communication with MLX90614"). Temperatures are RAM
 * words read with SMBus Read Word: S, SA+W, command, Sr, SA+R, data low, data high, PEC, P.
 */

/** Factory default SMBus address (EEPROM 0x0E). */
export const mlx90614Address = 0x5a;

/** RAM addresses of the linearised temperatures (datasheet 8.3.3 "RAM"). */
export const Mlx90614Ram = { ambient: 0x06, object1: 0x07, object2: 0x08 } as const;
/** EEPROM is read with command 0x20 | address (datasheet 8.4.5 "Commands"). */
export const eepromCommand = (address: number) => 0x20 | (address & 0x1f);

/**
 * SMBus Packet Error Code: CRC-8, polynomial x⁸+x²+x+1 (0x07), initial value 0, MSB first, over
 * every byte of the transaction except the START/STOP and ACK bits (datasheet 8.4.3.1).
 */
export function pec(bytes: ArrayLike<number>): number {
  let crc = 0;
  for (let i = 0; i < bytes.length; i++) {
    crc ^= bytes[i]! & 0xff;
    for (let b = 0; b < 8; b++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

/** The PEC a device at `address` sends after answering Read Word `command` with `lsb`, `msb`. */
export function readWordPec(address: number, command: number, lsb: number, msb: number): number {
  return pec([(address << 1) & 0xfe, command, ((address << 1) | 1) & 0xff, lsb, msb]);
}

/** Kelvin × 50 to °C: T = raw · 0.02 − 273.15 (datasheet 8.7.2 "Temperature reading"). */
export function rawToCelsius(raw: number): number {
  return raw * 0.02 - 273.15;
}

export function celsiusToRaw(celsius: number): number {
  return Math.round((celsius + 273.15) / 0.02);
}

export type TemperatureWord =
  | { ok: true; raw: number; celsius: number }
  | { ok: false; error: 'short' | 'bad-pec' | 'error-flag' };

/**
 * Decodes the 3 bytes of a Read Word with PEC (data low, data high, PEC). A PEC mismatch means the
 * bytes were corrupted on the wire; bit 15 set in a linearised temperature is the sensor's error
 * flag (application note, "Reading RAM"). Neither is ever a temperature.
 */
export function decodeTemperatureWord(bytes: ArrayLike<number>, address: number, command: number): TemperatureWord {
  if (bytes.length < 3) return { ok: false, error: 'short' };
  const lsb = bytes[0]! & 0xff;
  const msb = bytes[1]! & 0xff;
  if ((bytes[2]! & 0xff) !== readWordPec(address, command, lsb, msb)) return { ok: false, error: 'bad-pec' };
  const raw = lsb | (msb << 8);
  if (raw & 0x8000) return { ok: false, error: 'error-flag' };
  return { ok: true, raw, celsius: rawToCelsius(raw) };
}

export interface InfraredThermometerOptions {
  /** SMBus address; default 0x5A. */
  address?: number;
  /** Readings averaged (by median) for one measurement; default 5. */
  readings?: number;
  /** Time between readings; default 200 ms (the default IIR/FIR settings refresh a few times a second). */
  intervalMs?: number;
  /** Attempts per word on a bad PEC, an error flag or a bus error; default 3. */
  attempts?: number;
  /**
   * Skin-to-body estimate T_body = T_skin + k·(T_skin − T_ambient): the heat the skin loses to the
   * room is what keeps it below the blood under it (the arterial heat-balance model of Pompei &
   * Pompei, "Non-invasive temporal artery thermometry", 2004, where k = h/ρc ≈ 0.19 over the
   * temporal artery). 0 reports skin temperature as measured. Default 0.19.
   */
  heatBalanceK?: number;
  /** Calibration offset added to the body estimate, °C, set against a reference thermometer; default 0. */
  offsetC?: number;
  /** Plausible skin temperature of a forehead or wrist 2–3 cm away, °C; default 30–41. */
  plausibleSkinC?: { min: number; max: number };
  /** Largest spread of the readings, °C, before the result is called unstable; default 0.5. */
  maxSpreadC?: number;
}

export interface InfraredThermometerStats {
  transferErrors: number;
  pecErrors: number;
  errorFlags: number;
}

/**
 * The forehead/wrist thermometer: reads Ta once and Tobj1 several times, each word PEC-checked,
 * and turns the median skin reading into a body-temperature reference value.
 */
export class InfraredThermometer implements StationDevice {
  readonly name = 'thermometer' as const;
  private readonly address: number;
  private busy = false;
  private closed = false;
  readonly stats: InfraredThermometerStats = { transferErrors: 0, pecErrors: 0, errorFlags: 0 };

  constructor(
    private readonly bus: I2cBus,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: InfraredThermometerOptions = {},
  ) {
    this.address = options.address ?? mlx90614Address;
  }

  /** Reads the ambient temperature; DEVICE_MISSING when nothing answers. Reopens after close(). */
  async probe(): Promise<{ ambientC: number; transferErrors: number; pecErrors: number }> {
    this.closed = false;
    try {
      const raw = await this.readTemperature(Mlx90614Ram.ambient);
      return { ambientC: Math.round(rawToCelsius(raw) * 100) / 100, transferErrors: this.stats.transferErrors, pecErrors: this.stats.pecErrors };
    } catch (err) {
      if (err instanceof StationError && err.code === 'DEVICE_MISSING') {
        throw new StationError('DEVICE_MISSING', `Thermometer does not answer at 0x${this.address.toString(16)}`, {
          transient: true,
          cause: err,
          ...(err.details ? { details: err.details } : {}),
        });
      }
      throw err;
    }
  }

  async measure(options: MeasureOptions = {}): Promise<Measurement<'temperature'>> {
    if (this.closed) throw new StationError('NOT_RUNNING', 'Thermometer is closed');
    if (this.busy) throw new StationError('DEVICE_BUSY');
    this.busy = true;
    const signal = options.signal;
    try {
      const count = this.options.readings ?? 5;
      const interval = this.options.intervalMs ?? 200;
      const ambient = rawToCelsius(await this.readTemperature(Mlx90614Ram.ambient));
      const values: number[] = [];
      for (let i = 0; i < count; i++) {
        if (signal?.aborted) throw signal.reason;
        options.onProgress?.({ kind: 'temperature', phase: 'reading', secondsLeft: Math.ceil(((count - i) * interval) / 1000) });
        values.push(rawToCelsius(await this.readTemperature(Mlx90614Ram.object1)));
        if (i < count - 1) await sleep(this.clock, interval, signal);
      }
      values.sort((a, b) => a - b);
      const skin = values[values.length >> 1]!;
      const spread = values[values.length - 1]! - values[0]!;
      const range = this.options.plausibleSkinC ?? { min: 30, max: 41 };
      if (skin < range.min || skin > range.max) {
        throw new StationError('DEVICE_IMPLAUSIBLE', skin < range.min
          ? 'The reading is too low for skin: hold the forehead or wrist 2–3 cm from the sensor'
          : 'The reading is too high for skin', { transient: true, details: { min: range.min, max: range.max } });
      }
      if (spread > (this.options.maxSpreadC ?? 0.5)) {
        throw new StationError('DEVICE_IMPLAUSIBLE', 'The reading changed while measuring: hold still', { transient: true });
      }
      const k = this.options.heatBalanceK ?? 0.19;
      const body = skin + k * (skin - ambient) + (this.options.offsetC ?? 0);
      options.onProgress?.({ kind: 'temperature', phase: 'done', secondsLeft: 0 });
      return { kind: 'temperature', at: this.clock.now(), device: 'thermometer', values: { celsius: Math.round(body * 10) / 10 } };
    } catch (err) {
      if (signal?.aborted) throw new StationError('DEVICE_ABORTED', undefined, { cause: err });
      if (err instanceof StationError) throw err;
      throw new StationError('DEVICE_READ_FAILED', err instanceof Error ? err.message : String(err), { cause: err });
    } finally {
      this.busy = false;
    }
  }

  /** Nothing to switch off; the bus belongs to the composition root. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
  }

  /**
   * One RAM word with its PEC. i2c-bus's readWord drops the PEC byte, so the word is read as a
   * 3-byte I2C block from the command (the same bus transaction: command, repeated start, three bytes).
   */
  private async readTemperature(command: number): Promise<number> {
    const attempts = this.options.attempts ?? 3;
    const buffer = Buffer.alloc(3);
    let last: { code: 'DEVICE_MISSING' | 'DEVICE_READ_FAILED'; message: string; details: Record<string, unknown> } | null = null;
    for (let attempt = 0; attempt < attempts; attempt++) {
      try {
        await this.bus.readI2cBlock(this.address, command, 3, buffer);
      } catch (err) {
        if (!isI2cError(err)) throw err;
        this.stats.transferErrors++;
        last = {
          code: isNoAcknowledge(err) ? 'DEVICE_MISSING' : 'DEVICE_READ_FAILED',
          message: `Thermometer transfer failed (${err.code})`,
          details: { errno: err.code },
        };
        continue;
      }
      const word = decodeTemperatureWord(buffer, this.address, command);
      if (word.ok) return word.raw;
      if (word.error === 'bad-pec') this.stats.pecErrors++;
      if (word.error === 'error-flag') this.stats.errorFlags++;
      this.logger.debug({ error: word.error, command }, 'thermometer word rejected');
      last = {
        code: 'DEVICE_READ_FAILED',
        message: word.error === 'error-flag' ? 'The thermometer reports an internal error' : 'Thermometer data failed its PEC check',
        details: { error: word.error },
      };
    }
    throw new StationError(last!.code, last!.message, { transient: true, details: last!.details });
  }
}
