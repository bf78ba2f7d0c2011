/**
 * Weight from a load cell on an HX711 amplifier, read through the Linux IIO driver
 * (drivers/iio/adc/hx711.c, device tree `avia,hx711`): the signed 24-bit conversion appears as
 * `in_voltage0_raw` (channel A, gain 128 by default) under /sys/bus/iio/devices/iio:deviceN.
 * A read fails with EIO when the chip does not signal "data ready" in time; such a read is a
 * missing sample, never a zero.
 *
 * Calibration is two figures: the empty-platform count (`zeroRaw`) and kilograms per count,
 * found with a known weight. It is written durably (tmp → fsync → rename → fsync dir) to the
 * file named in config, so a power cut cannot leave the scale uncalibrated or half-written.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../runtime/kernel/clock.js';
import { sleep } from '../runtime/kernel/clock.js';
import type { ScaleCalibration } from './types.js';
import { writeFileDurable } from '../runtime/kernel/durable-file.js';
import { StationError } from '../runtime/kernel/errors.js';
import type { Logger } from '../runtime/kernel/logger.js';
import { abortError } from './serial-device.js';
import type { DeviceHealthReport, Measurement, MeasureOptions, StationDevice } from './types.js';

export const HX711_RAW_FILE = 'in_voltage0_raw';

/** Parses the sysfs text of `in_voltage0_raw`; null when it is not an integer in the HX711's 24-bit range. Pure. */
export function parseIioRaw(text: string): number | null {
  const t = text.trim();
  if (!/^-?\d+$/.test(t)) return null;
  const v = Number(t);
  return v >= -(2 ** 23) && v < 2 ** 23 ? v : null;
}

export function rawToKg(raw: number, calibration: ScaleCalibration): number {
  return (raw - calibration.zeroRaw) * calibration.kgPerCount;
}

export function validateCalibration(value: unknown): ScaleCalibration | null {
  const v = value as Partial<ScaleCalibration> | null;
  if (!v || typeof v !== 'object') return null;
  if (typeof v.zeroRaw !== 'number' || !Number.isFinite(v.zeroRaw)) return null;
  if (typeof v.kgPerCount !== 'number' || !Number.isFinite(v.kgPerCount) || v.kgPerCount === 0) return null;
  if (typeof v.calibratedAt !== 'string') return null;
  return { zeroRaw: v.zeroRaw, kgPerCount: v.kgPerCount, calibratedAt: v.calibratedAt, ...(typeof v.knownKg === 'number' ? { knownKg: v.knownKg } : {}) };
}

export interface Hx711ScaleOptions {
  /** IIO device folder, e.g. /sys/bus/iio/devices/iio:device0 (a plain folder in simulation). */
  iioDevice: string;
  /** JSON file holding the calibration. */
  calibrationFile: string;
  /** Sample period; default 100 ms (the HX711 converts at 10 SPS with RATE low). */
  sampleIntervalMs?: number;
  /** Samples that must agree for a stable reading; default 8. */
  samples?: number;
  /** Largest spread among them, kg; default 0.05. */
  maxSpreadKg?: number;
  /** Below this nobody is standing on the platform; default 2 kg. */
  minimumKg?: number;
  /** How long the resident has to stand still; default 30 000 ms. */
  timeoutMs?: number;
  /** Consecutive failed reads after which the scale counts as missing; default 10. */
  maxFailedReads?: number;
  /** Reads a sysfs file; default fs.readFile. Tests pass a synchronous read of the same folder so the manual clock decides when samples land. */
  readText?: (path: string) => Promise<string>;
}

export class Hx711Scale implements StationDevice {
  readonly name = 'scale' as const;
  private calibration: ScaleCalibration | undefined;
  private measuring = false;
  private failedReads = 0;
  private readonly healthListeners: ((r: DeviceHealthReport) => void)[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly options: Hx711ScaleOptions,
  ) {}

  onHealthChange(listener: (report: DeviceHealthReport) => void): void {
    this.healthListeners.push(listener);
  }

  /** Reads one raw count; rejects DEVICE_READ_FAILED (EIO, not ready) or DEVICE_MISSING (no such device). */
  async readRaw(): Promise<number> {
    let text: string;
    try {
      text = await (this.options.readText ?? ((p: string) => readFile(p, 'utf8')))(join(this.options.iioDevice, HX711_RAW_FILE));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      this.countFailure();
      if (code === 'ENOENT') throw new StationError('DEVICE_MISSING', `no HX711 at ${this.options.iioDevice}`, { transient: true });
      throw new StationError('DEVICE_READ_FAILED', `HX711 read failed: ${code ?? (err as Error).message}`, { transient: true });
    }
    const raw = parseIioRaw(text);
    if (raw === null) {
      this.countFailure();
      throw new StationError('DEVICE_READ_FAILED', 'HX711 returned a value that is not a 24-bit count', { transient: true });
    }
    this.failedReads = 0;
    return raw;
  }

  private countFailure(): void {
    this.failedReads++;
    if (this.failedReads === (this.options.maxFailedReads ?? 10)) {
      for (const l of this.healthListeners) l({ health: 'missing', reason: `${this.failedReads} HX711 reads failed in a row` });
    }
  }

  /** Loads the calibration; a missing or damaged file leaves the scale uncalibrated (measure refuses). */
  async loadCalibration(): Promise<ScaleCalibration | undefined> {
    try {
      this.calibration = validateCalibration(JSON.parse(await readFile(this.options.calibrationFile, 'utf8'))) ?? undefined;
      if (!this.calibration) this.log.warn('scale calibration file is invalid; the scale needs calibrating');
    } catch {
      this.calibration = undefined;
    }
    return this.calibration;
  }

  current(): ScaleCalibration | undefined {
    return this.calibration;
  }

  /** Persists durably, then applies. */
  async save(calibration: ScaleCalibration): Promise<void> {
    if (!validateCalibration(calibration)) throw new StationError('CONTROL_BAD_PARAMS', 'calibration needs zeroRaw, a non-zero kgPerCount and calibratedAt');
    await writeFileDurable(this.options.calibrationFile, `${JSON.stringify(calibration, null, 2)}\n`);
    this.calibration = calibration;
  }

  /** Zeroes the empty platform: keeps the span, moves the zero to the current stable count. */
  async tare(signal?: AbortSignal): Promise<void> {
    const raw = await this.readStableRaw(signal ?? new AbortController().signal);
    const current = this.calibration;
    if (!current) throw new StationError('DEVICE_READ_FAILED', 'the scale is not calibrated');
    await this.save({ ...current, zeroRaw: raw, calibratedAt: new Date(this.clock.now()).toISOString() });
  }

  /** The mean of `samples` consecutive counts that agree within the spread (in counts when uncalibrated: 0.1 % of full scale). */
  async readStableRaw(signal: AbortSignal): Promise<number> {
    const n = this.options.samples ?? 8;
    const spread = this.calibration ? (this.options.maxSpreadKg ?? 0.05) / Math.abs(this.calibration.kgPerCount) : 2 ** 23 / 1000;
    const deadline = this.clock.now() + (this.options.timeoutMs ?? 30_000);
    const window: number[] = [];
    while (this.clock.now() < deadline) {
      try {
        window.push(await this.readRaw());
        if (window.length > n) window.shift();
      } catch (err) {
        if ((err as StationError).code === 'DEVICE_MISSING') throw err;
        window.length = 0;
      }
      if (window.length === n && Math.max(...window) - Math.min(...window) <= spread) {
        return Math.round(window.reduce((a, b) => a + b, 0) / n);
      }
      await sleep(this.clock, this.options.sampleIntervalMs ?? 100, signal).catch(() => {
        throw abortError(signal);
      });
    }
    throw new StationError('DEVICE_TIMEOUT', 'Cân chưa ổn định: hãy đứng yên giữa bàn cân.', { transient: true, details: { messageEn: 'The weight did not settle.' } });
  }

  async probe(): Promise<Record<string, unknown>> {
    await this.loadCalibration();
    const raw = await this.readRaw();
    return { raw, calibrated: this.calibration !== undefined };
  }

  async measure(options: MeasureOptions = {}): Promise<Measurement<'weight'>> {
    if (this.measuring) throw new StationError('DEVICE_BUSY');
    const calibration = this.calibration;
    if (!calibration) throw new StationError('DEVICE_READ_FAILED', 'Cân chưa được hiệu chuẩn. Vui lòng báo kỹ thuật viên. / The scale is not calibrated.');
    this.measuring = true;
    try {
      options.onProgress?.({ kind: 'weight', phase: 'waiting-person' });
      const minimum = this.options.minimumKg ?? 2;
      const deadline = this.clock.now() + (this.options.timeoutMs ?? 30_000);
      for (;;) {
        const signal = options.signal ?? new AbortController().signal;
        const raw = await this.readStableRaw(signal);
        const kg = Math.round(rawToKg(raw, calibration) * 100) / 100;
        if (kg >= minimum) return { kind: 'weight', at: this.clock.now(), device: 'scale', values: { weightKg: kg } };
        options.onProgress?.({ kind: 'weight', phase: 'waiting-person', liveValue: kg });
        if (this.clock.now() >= deadline) throw new StationError('DEVICE_TIMEOUT', 'Chưa có người đứng trên cân. / Nobody is on the scale.', { transient: true });
        await sleep(this.clock, this.options.sampleIntervalMs ?? 100, options.signal).catch(() => {
          throw abortError(options.signal);
        });
      }
    } finally {
      this.measuring = false;
    }
  }

  async close(): Promise<void> {}
}
