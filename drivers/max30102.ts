/* eslint-disable max-lines -- one datasheet, one file: the register map, FIFO read, mode and LED
   control and the measurement state machine cite Maxim 19-7740 section by section; split, the
   register references would be scattered over several files. */
import type { Clock } from '../runtime/kernel/clock.js';
import { sleep } from '../runtime/kernel/clock.js';
import { StationError } from '../runtime/kernel/errors.js';
import type { Logger } from '../runtime/kernel/logger.js';
import type { LiveReading, MeasureOptions, Measurement, StationDevice } from './types.js';
import type { I2cBus } from './transports/i2c.js';
import { isI2cError, isNoAcknowledge } from './transports/i2c.js';
import { analyzePpg, referenceLabel } from './spo2/analyze.js';
import type { PpgAnalysisOptions, PpgResult } from './spo2/analyze.js';
import { PpgLiveTrace } from './spo2/live-trace.js';

/*
 * MAX30102 pulse oximetry and heart-rate sensor (Maxim 19-7740). Register numbers, fields and the
 * FIFO protocol follow the datasheet's "Register Map and Descriptions" table and its FIFO
 * sections ("FIFO Write Pointer", "Overflow Counter", "FIFO Read Pointer", "FIFO Data Register").
 */

/** 7-bit I2C address (datasheet "I2C Slave Address": 0xAE write / 0xAF read). */
export const max30102Address = 0x57;

export const Max30102Register = {
  INT_STATUS_1: 0x00,
  INT_STATUS_2: 0x01,
  INT_ENABLE_1: 0x02,
  INT_ENABLE_2: 0x03,
  FIFO_WR_PTR: 0x04,
  OVF_COUNTER: 0x05,
  FIFO_RD_PTR: 0x06,
  FIFO_DATA: 0x07,
  FIFO_CONFIG: 0x08,
  MODE_CONFIG: 0x09,
  SPO2_CONFIG: 0x0a,
  LED1_PA: 0x0c,
  LED2_PA: 0x0d,
  MULTI_LED_1: 0x11,
  MULTI_LED_2: 0x12,
  TEMP_INT: 0x1f,
  TEMP_FRAC: 0x20,
  TEMP_CONFIG: 0x21,
  REV_ID: 0xfe,
  PART_ID: 0xff,
} as const;

/** PART_ID (0xFF) of every MAX30102. */
export const max30102PartId = 0x15;
/** The FIFO holds 32 samples (datasheet "FIFO Data Register"). */
export const fifoDepth = 32;
/** Each LED channel is 3 bytes per sample; SpO2 mode stores LED1 (red) then LED2 (IR). */
export const bytesPerChannel = 3;
/** Samples are 18 bits left-justified to bit 17 whatever the resolution; bits 23:18 are unused. */
export const sampleMask = 0x3ffff;
export const adcFullScale = sampleMask;

/** INT_STATUS_1 (0x00) flags: A_FULL[7], PPG_RDY[6], ALC_OVF[5], PWR_RDY[0]; cleared when read. */
export const intFlags = { almostFull: 0x80, ppgReady: 0x40, ambientOverflow: 0x20, powerReady: 0x01 } as const;

/** MODE_CONFIG (0x09) bits: SHDN[7], RESET[6] (self-clearing), MODE[2:0]. */
export const modeBits = { shutdown: 0x80, reset: 0x40 } as const;
export const Mode = { heartRate: 0x02, spo2: 0x03, multiLed: 0x07 } as const;

const sampleRates = [50, 100, 200, 400, 800, 1000, 1600, 3200] as const;
const pulseWidths = [69, 118, 215, 411] as const;
const adcRanges = [2048, 4096, 8192, 16384] as const;
const averages = [1, 2, 4, 8, 16, 32] as const;

export type SampleRate = (typeof sampleRates)[number];
export type PulseWidthUs = (typeof pulseWidths)[number];
export type AdcRangeNa = (typeof adcRanges)[number];
export type SampleAverage = (typeof averages)[number];

/** SPO2_CONFIG (0x0A): SPO2_ADC_RGE[6:5], SPO2_SR[4:2], LED_PW[1:0]. */
export interface Spo2Config {
  adcRangeNa: AdcRangeNa;
  sampleRate: SampleRate;
  pulseWidthUs: PulseWidthUs;
}

export function encodeSpo2Config(c: Spo2Config): number {
  const range = adcRanges.indexOf(c.adcRangeNa);
  const rate = sampleRates.indexOf(c.sampleRate);
  const width = pulseWidths.indexOf(c.pulseWidthUs);
  if (range < 0 || rate < 0 || width < 0) throw new RangeError('Invalid SpO2 configuration');
  return (range << 5) | (rate << 2) | width;
}

export function decodeSpo2Config(byte: number): Spo2Config {
  return {
    adcRangeNa: adcRanges[(byte >> 5) & 0x03]!,
    sampleRate: sampleRates[(byte >> 2) & 0x07]!,
    pulseWidthUs: pulseWidths[byte & 0x03]!,
  };
}

/** ADC resolution set by the LED pulse width (datasheet "SpO2 Configuration": 15 to 18 bits). */
export function resolutionBits(pulseWidthUs: PulseWidthUs): number {
  return 15 + pulseWidths.indexOf(pulseWidthUs);
}

/** FIFO_CONFIG (0x08): SMP_AVE[7:5], FIFO_ROLLOVER_EN[4], FIFO_A_FULL[3:0]. */
export interface FifoConfig {
  sampleAverage: SampleAverage;
  rollover: boolean;
  /** Free slots left when the almost-full interrupt fires (0–15). */
  almostFull: number;
}

export function encodeFifoConfig(c: FifoConfig): number {
  const ave = averages.indexOf(c.sampleAverage);
  if (ave < 0 || !Number.isInteger(c.almostFull) || c.almostFull < 0 || c.almostFull > 15) {
    throw new RangeError('Invalid FIFO configuration');
  }
  return (ave << 5) | (c.rollover ? 0x10 : 0) | c.almostFull;
}

export function decodeFifoConfig(byte: number): FifoConfig {
  // SMP_AVE codes 101, 110 and 111 all mean 32 samples.
  return {
    sampleAverage: averages[Math.min(5, (byte >> 5) & 0x07)]!,
    rollover: (byte & 0x10) !== 0,
    almostFull: byte & 0x0f,
  };
}

/** LEDx_PA (0x0C, 0x0D): 0.2 mA per step, 0x00 = 0 mA … 0xFF = 51 mA. */
export function encodeLedCurrent(milliamps: number): number {
  if (!(milliamps >= 0 && milliamps <= 51)) throw new RangeError('LED current must be 0–51 mA');
  return Math.round(milliamps / 0.2);
}

export function decodeLedCurrent(byte: number): number {
  return Math.round((byte & 0xff) * 2) / 10;
}

/**
 * Samples waiting in the FIFO from FIFO_WR_PTR, OVF_COUNTER and FIFO_RD_PTR (5-bit pointers).
 * A non-zero overflow count means the FIFO is full and samples were lost (datasheet "Overflow
 * Counter"), so all 32 are waiting. Equal pointers mean empty or exactly full; `almostFull` (the
 * A_FULL flag raised since the previous status read, which came with an empty FIFO) tells them apart.
 */
export function fifoSamplesWaiting(writePointer: number, overflowCount: number, readPointer: number, almostFull = false): number {
  if ((overflowCount & 0x1f) !== 0) return fifoDepth;
  const waiting = ((writePointer & 0x1f) - (readPointer & 0x1f) + fifoDepth) % fifoDepth;
  return waiting === 0 && almostFull ? fifoDepth : waiting;
}

export interface FifoSamples {
  red: number[];
  ir: number[];
}

/**
 * Decodes FIFO_DATA bytes: per sample, 3 bytes per channel, most significant byte first, the
 * value in bits 17:0. In SpO2 mode each sample is red (LED1) then IR (LED2); in heart-rate mode
 * only red. Trailing bytes of an incomplete sample are ignored.
 */
export function decodeFifo(bytes: Uint8Array, channels: 1 | 2 = 2): FifoSamples {
  const stride = bytesPerChannel * channels;
  const count = Math.floor(bytes.length / stride);
  const red: number[] = new Array(count);
  const ir: number[] = channels === 2 ? new Array(count) : [];
  for (let s = 0; s < count; s++) {
    const o = s * stride;
    red[s] = ((bytes[o]! << 16) | (bytes[o + 1]! << 8) | bytes[o + 2]!) & sampleMask;
    if (channels === 2) ir[s] = ((bytes[o + 3]! << 16) | (bytes[o + 4]! << 8) | bytes[o + 5]!) & sampleMask;
  }
  return { red, ir };
}

/** Inverse of {@link decodeFifo} for one channel value (used by the simulator and tests). */
export function encodeSampleBytes(value: number): [number, number, number] {
  const v = Math.max(0, Math.min(sampleMask, Math.round(value)));
  return [(v >> 16) & 0x03, (v >> 8) & 0xff, v & 0xff];
}

export interface PulseOximeterOptions {
  /** I2C address; default 0x57. */
  address?: number;
  /** Red and IR LED currents, mA; default 7.2 each (a finger at rest reads ~40–60% of full scale). */
  ledCurrentMa?: { red: number; ir: number };
  /** ADC range; default 4096 nA. */
  adcRangeNa?: AdcRangeNa;
  /** How often the FIFO is read; default 100 ms (10 samples; the FIFO holds 320 ms). */
  pollIntervalMs?: number;
  /** Seconds of signal analysed for one result; default 10. */
  windowSeconds?: number;
  /** Seconds dropped after the finger is placed, while the tissue and the filters settle; default 2. */
  settleSeconds?: number;
  /** How long to wait for a finger; default 20 000 ms. */
  fingerTimeoutMs?: number;
  /** Seconds with a finger on after which a signal still not good enough fails; default 30. */
  maxFingerSeconds?: number;
  /** Consecutive failed transfers after which the measurement fails; default 5. */
  maxConsecutiveErrors?: number;
  /** Quality gates and calibration of the analysis. */
  analysis?: PpgAnalysisOptions;
}

/** Figures for the technician view (DeviceStatus.detail). */
export interface PulseOximeterStats {
  transferErrors: number;
  overflows: number;
  lastReason: string | null;
}

/**
 * The newest `capacity` samples of both channels, contiguous for the analysis. Chunks are appended
 * in place; when the end of the buffer is reached the kept samples move to its start, so a window
 * is neither rebuilt with spread pushes nor sliced into new arrays at every poll.
 */
class SampleWindow {
  private readonly red: Float64Array;
  private readonly ir: Float64Array;
  private end = 0;
  length = 0;

  constructor(readonly capacity: number) {
    this.red = new Float64Array(capacity * 2 + fifoDepth);
    this.ir = new Float64Array(capacity * 2 + fifoDepth);
  }

  clear(): void {
    this.end = 0;
    this.length = 0;
  }

  push(red: readonly number[], ir: readonly number[]): void {
    const count = Math.min(red.length, ir.length);
    const skip = Math.max(0, count - this.capacity);
    if (this.end + count - skip > this.red.length) {
      const keep = Math.min(this.length, this.capacity);
      this.red.copyWithin(0, this.end - keep, this.end);
      this.ir.copyWithin(0, this.end - keep, this.end);
      this.end = keep;
    }
    for (let i = skip; i < count; i++) {
      this.red[this.end] = red[i]!;
      this.ir[this.end] = ir[i]!;
      this.end++;
    }
    this.length = Math.min(this.capacity, this.length + count);
  }

  /** The kept samples, oldest first (views into the buffer: valid until the next push). */
  view(): { red: Float64Array; ir: Float64Array } {
    return { red: this.red.subarray(this.end - this.length, this.end), ir: this.ir.subarray(this.end - this.length, this.end) };
  }
}

function meanOf(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** The output rate the driver sets: 100 samples/s, no averaging. */
const sampleRateHz = 100;
const defaultFingerThreshold = 20_000;
/** A second without a sample (100 expected) means the chip is not sampling. */
const noSamplesTimeoutMs = 1000;

/**
 * The SpO2 and pulse sensor. `measure` resets and configures the chip, waits for a finger, reads
 * the FIFO while the signal settles and fills a window, and returns a reading only when the
 * analysis accepts it; the chip is put back in shutdown (LEDs off) afterwards.
 */
export class PulseOximeter implements StationDevice {
  readonly name = 'spo2' as const;
  private readonly address: number;
  private busy = false;
  private closed = false;
  readonly stats: PulseOximeterStats = { transferErrors: 0, overflows: 0, lastReason: null };
  /** The last analysis, for the technician view. */
  lastResult: PpgResult | null = null;
  private readonly watchers = new Set<(reading: LiveReading) => void>();
  private watching: { stop: AbortController; done: Promise<void> } | null = null;

  constructor(
    private readonly bus: I2cBus,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: PulseOximeterOptions = {},
  ) {
    this.address = options.address ?? max30102Address;
  }

  /**
   * Reads PART_ID; rejects with DEVICE_MISSING when nothing answers or another chip does. A probe
   * after close() makes the sensor usable again (the hub's recovery path).
   */
  async probe(): Promise<{ partId: number; revision: number; transferErrors: number; overflows: number }> {
    this.closed = false;
    const { partId, revision } = await this.identify();
    // A live view whose polling stopped on an error picks up again once the chip answers.
    this.startWatching();
    return { partId, revision, transferErrors: this.stats.transferErrors, overflows: this.stats.overflows };
  }

  private async identify(): Promise<{ partId: number; revision: number }> {
    let partId: number;
    let revision: number;
    try {
      partId = await this.read(Max30102Register.PART_ID);
      revision = await this.read(Max30102Register.REV_ID);
    } catch (err) {
      if (!(err instanceof StationError)) throw err;
      throw new StationError('DEVICE_MISSING', `SpO2 sensor does not answer at 0x${this.address.toString(16)}`, {
        transient: true,
        cause: err,
        ...(err.details ? { details: err.details } : {}),
      });
    }
    if (partId !== max30102PartId) {
      throw new StationError('DEVICE_MISSING', `Device at 0x${this.address.toString(16)} is not a MAX30102 (part id 0x${partId.toString(16)})`, {
        details: { partId },
      });
    }
    return { partId, revision };
  }

  async measure(options: MeasureOptions = {}): Promise<Measurement<'spo2'>> {
    if (this.closed) throw new StationError('NOT_RUNNING', 'SpO2 sensor is closed');
    if (this.busy) throw new StationError('DEVICE_BUSY');
    this.busy = true;
    try {
      // The technician's live view hands the chip over: the measurement resets and configures it
      // as always, and its own FIFO reads feed the view until it ends.
      await this.stopWatching();
      await this.configure(options.signal);
      return await this.acquire(options);
    } catch (err) {
      throw this.asStationError(err, options.signal);
    } finally {
      await this.shutdown();
      this.busy = false;
      this.startWatching();
    }
  }

  /**
   * Live readings for the technician: finger on or off, the IR trace (band-passed, inverted so
   * beats point up, 50 points/s) and the current heart-rate and SpO2 estimate, labelled as
   * reference values. While a measurement runs, its own polls feed the view; otherwise the chip is
   * powered and polled only while at least one listener watches, and shut down when the last stops.
   */
  watchReadings(listener: (reading: LiveReading) => void): () => void {
    this.watchers.add(listener);
    this.startWatching();
    return () => {
      if (this.watchers.delete(listener) && this.watchers.size === 0) void this.stopWatching();
    };
  }

  /** Puts the chip in shutdown; the bus itself belongs to the composition root. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.stopWatching();
    if (!this.busy) await this.shutdown();
  }

  private startWatching(): void {
    if (this.watching || this.busy || this.closed || this.watchers.size === 0) return;
    const stop = new AbortController();
    const watching = { stop, done: Promise.resolve() };
    watching.done = this.watchSensor(stop.signal).finally(() => {
      if (this.watching === watching) this.watching = null;
      // Someone started watching again while this loop was being stopped. A loop that ended on an
      // error is not restarted here (the hub's probe does it), so a dead sensor is not hammered.
      if (stop.signal.aborted) this.startWatching();
    });
    this.watching = watching;
  }

  private async stopWatching(): Promise<void> {
    const watching = this.watching;
    if (!watching) return;
    watching.stop.abort();
    await watching.done;
  }

  /**
   * Polls the FIFO for the live view alone, with the measurement's settle time, window and
   * once-a-second analysis, so the estimate shown is the one a measurement would reach.
   */
  private async watchSensor(signal: AbortSignal): Promise<void> {
    const o = this.options;
    const poll = o.pollIntervalMs ?? 100;
    const windowSamples = Math.round((o.windowSeconds ?? 10) * sampleRateHz);
    const settleSamples = Math.round((o.settleSeconds ?? 2) * sampleRateHz);
    const threshold = o.analysis?.fingerThreshold ?? defaultFingerThreshold;
    const window = new SampleWindow(windowSamples);
    const trace = new PpgLiveTrace(sampleRateHz);
    let fingerSamples = 0;
    let analysedAt = 0;
    let estimate: PpgResult | null = null;
    let lastSampleAt = this.clock.now();
    try {
      await this.configure(signal);
      for (;;) {
        await sleep(this.clock, poll, signal);
        const chunk = await this.readFifo();
        if (signal.aborted) return;
        if (chunk.overflowed) {
          this.stats.overflows++;
          window.clear();
          trace.reset();
        }
        if (chunk.ir.length === 0) {
          if (this.clock.now() - lastSampleAt > noSamplesTimeoutMs) {
            throw new StationError('DEVICE_TIMEOUT', 'SpO2 sensor stopped delivering samples', { transient: true });
          }
          continue;
        }
        lastSampleAt = this.clock.now();
        const fingerOn = meanOf(chunk.ir) >= threshold;
        if (!fingerOn) {
          window.clear();
          fingerSamples = 0;
          analysedAt = 0;
          estimate = null;
        } else {
          fingerSamples += chunk.ir.length;
          if (fingerSamples > settleSamples) window.push(chunk.red, chunk.ir);
          if (window.length === windowSamples && (analysedAt === 0 || fingerSamples - analysedAt >= sampleRateHz)) {
            analysedAt = fingerSamples;
            const { red, ir } = window.view();
            estimate = analyzePpg(red, ir, sampleRateHz, o.analysis);
          }
        }
        this.publish(trace, chunk.ir, fingerOn, estimate);
      }
    } catch (err) {
      if (signal.aborted) return;
      // The view stops rather than retrying on its own; the hub's next probe restarts it.
      this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'SpO2 live view stopped');
      for (const w of [...this.watchers]) w({ phase: 'unavailable', fingerOn: false, heartRate: null, spo2: null });
    } finally {
      if (!this.busy) await this.shutdown();
    }
  }

  /** One poll's worth for the live view; the trace restarts whenever nobody was watching it. */
  private publish(trace: PpgLiveTrace, ir: readonly number[], fingerOn: boolean, estimate: PpgResult | null): void {
    if (this.watchers.size === 0 || !fingerOn) {
      trace.reset();
      if (this.watchers.size === 0) return;
    }
    const accepted = estimate?.reason === null && estimate.heartRate !== null && estimate.spo2 !== null ? estimate : null;
    const reading: LiveReading = {
      fingerOn,
      ppg: fingerOn ? trace.push(ir) : [],
      heartRate: accepted ? accepted.heartRate : null,
      spo2: accepted ? accepted.spo2 : null,
      ...(accepted ? { label: referenceLabel } : {}),
    };
    for (const w of [...this.watchers]) w(reading);
  }

  private async configure(signal: AbortSignal | undefined): Promise<void> {
    const R = Max30102Register;
    await this.identify();
    // RESET puts every register at its power-on value and clears itself when done
    // (datasheet "Mode Configuration").
    await this.write(R.MODE_CONFIG, modeBits.reset);
    for (let i = 0; ; i++) {
      const mode = await this.read(R.MODE_CONFIG);
      if ((mode & modeBits.reset) === 0) break;
      if (i >= 10) throw new StationError('DEVICE_READ_FAILED', 'SpO2 sensor did not finish its reset');
      await sleep(this.clock, 1, signal);
    }
    const led = this.options.ledCurrentMa ?? { red: 7.2, ir: 7.2 };
    // No averaging and no rollover: a FIFO that fills up keeps its oldest samples and counts the
    // lost ones in OVF_COUNTER, so an overrun is seen rather than silently stitched.
    await this.write(R.FIFO_CONFIG, encodeFifoConfig({ sampleAverage: 1, rollover: false, almostFull: 0x0f }));
    await this.write(R.SPO2_CONFIG, encodeSpo2Config({
      adcRangeNa: this.options.adcRangeNa ?? 4096,
      sampleRate: sampleRateHz,
      pulseWidthUs: 411,
    }));
    await this.write(R.LED1_PA, encodeLedCurrent(led.red));
    await this.write(R.LED2_PA, encodeLedCurrent(led.ir));
    await this.clearFifo();
    await this.write(R.MODE_CONFIG, Mode.spo2);
  }

  /** The datasheet recommends clearing the three pointers before a new acquisition. */
  private async clearFifo(): Promise<void> {
    const R = Max30102Register;
    await this.write(R.FIFO_WR_PTR, 0);
    await this.write(R.OVF_COUNTER, 0);
    await this.write(R.FIFO_RD_PTR, 0);
  }

  private async acquire(options: MeasureOptions): Promise<Measurement<'spo2'>> {
    const o = this.options;
    const poll = o.pollIntervalMs ?? 100;
    const windowSamples = Math.round((o.windowSeconds ?? 10) * sampleRateHz);
    const settleSamples = Math.round((o.settleSeconds ?? 2) * sampleRateHz);
    const fingerTimeout = o.fingerTimeoutMs ?? 20_000;
    const maxFingerSamples = Math.round((o.maxFingerSeconds ?? 30) * sampleRateHz);
    const threshold = o.analysis?.fingerThreshold ?? defaultFingerThreshold;
    const signal = options.signal;
    const started = this.clock.now();

    const overflowsAtStart = this.stats.overflows;
    this.lastResult = null;
    const window = new SampleWindow(windowSamples);
    const trace = new PpgLiveTrace(sampleRateHz);
    let fingerSamples = 0;
    let analysedAt = 0;
    let lastPhase = '';
    let lastSampleAt = this.clock.now();
    const report = (phase: string, secondsLeft?: number) => {
      if (!options.onProgress) return;
      if (phase === lastPhase && secondsLeft === undefined) return;
      lastPhase = phase;
      options.onProgress({ kind: 'spo2', phase, ...(secondsLeft === undefined ? {} : { secondsLeft }) });
    };
    report('waiting-finger');

    for (;;) {
      await sleep(this.clock, poll, signal);
      const chunk = await this.readFifo();
      if (chunk.overflowed) {
        // Samples were lost: the trace has a gap, so what came before cannot be joined to what follows.
        this.stats.overflows++;
        this.logger.warn({ overflows: this.stats.overflows }, 'SpO2 FIFO overflowed; restarting the window');
        window.clear();
        trace.reset();
      }
      if (chunk.ir.length === 0) {
        // At 100 samples/s every poll brings some; a chip that lost its configuration (a brown-out
        // resets it to shutdown) brings none, and waiting longer would hang the resident's session.
        if (this.clock.now() - lastSampleAt > noSamplesTimeoutMs) {
          throw new StationError('DEVICE_TIMEOUT', 'SpO2 sensor stopped delivering samples', {
            transient: true,
            details: { reason: 'no-samples' },
          });
        }
        continue;
      }
      lastSampleAt = this.clock.now();
      const chunkIr = meanOf(chunk.ir);
      this.publish(trace, chunk.ir, chunkIr >= threshold, null);
      if (chunkIr < threshold) {
        if (fingerSamples > 0) this.logger.info('finger removed from the SpO2 sensor');
        window.clear();
        fingerSamples = 0;
        analysedAt = 0;
        report('waiting-finger');
        if (this.clock.now() - started >= fingerTimeout) {
          // The resident's doing, not the sensor's: DEVICE_TIMEOUT would mark a healthy sensor degraded.
          throw new StationError('DEVICE_READ_FAILED', 'No finger was placed on the SpO2 sensor', {
            transient: true,
            details: { reason: 'no-finger' },
          });
        }
        continue;
      }
      fingerSamples += chunk.ir.length;
      if (fingerSamples >= maxFingerSamples) {
        // Still no acceptable window: say why in the resident's terms, never guess a value.
        const reason = this.stats.overflows > overflowsAtStart && window.length < windowSamples ? 'samples-lost' : this.lastResult?.reason ?? 'no-pulse';
        throw new StationError('DEVICE_READ_FAILED', reason === 'samples-lost'
          ? 'SpO2 samples were lost (the sensor was not read in time)'
          : this.lastResult?.message ?? 'No pulse was found', {
          transient: true,
          details: { reason, quality: this.lastResult?.quality ?? 0 },
        });
      }
      window.push(chunk.red, chunk.ir);
      if (fingerSamples <= settleSamples) {
        window.clear();
        report('settling', Math.ceil((settleSamples - fingerSamples + windowSamples) / sampleRateHz));
        continue;
      }
      if (window.length < windowSamples) {
        report('reading', Math.ceil((windowSamples - window.length) / sampleRateHz));
        continue;
      }
      // A full window: analyse it, then again every second as it slides, until one is good enough.
      if (analysedAt !== 0 && fingerSamples - analysedAt < sampleRateHz) continue;
      analysedAt = fingerSamples;
      const { red, ir } = window.view();
      const result = analyzePpg(red, ir, sampleRateHz, o.analysis);
      this.lastResult = result;
      this.stats.lastReason = result.reason;
      if (result.reason === null && result.spo2 !== null && result.heartRate !== null) {
        report('done', 0);
        this.publish(trace, [], true, result);
        return {
          kind: 'spo2',
          at: this.clock.now(),
          device: 'spo2',
          values: { spo2: result.spo2, heartRate: result.heartRate, perfusionIndex: result.perfusionIndex ?? 0 },
        };
      }
      this.logger.debug({ reason: result.reason, quality: result.quality }, 'SpO2 window refused');
      report('reading', Math.ceil((maxFingerSamples - fingerSamples) / sampleRateHz));
    }
  }

  /**
   * Reads every waiting sample: status and pointers first (0x00–0x06 in one block), then FIFO_DATA
   * in blocks of whole samples. Each poll empties the FIFO, so an A_FULL flag raised since the
   * previous poll with equal pointers means 32 samples, not none.
   */
  private async readFifo(): Promise<FifoSamples & { overflowed: boolean }> {
    const R = Max30102Register;
    const head = Buffer.alloc(7);
    await this.transfer(() => this.bus.readI2cBlock(this.address, R.INT_STATUS_1, 7, head));
    const [status, , , , writePointer, overflow, readPointer] = head;
    const overflowed = (overflow! & 0x1f) !== 0;
    let waiting = fifoSamplesWaiting(writePointer!, overflow!, readPointer!, (status! & intFlags.almostFull) !== 0);
    const red: number[] = [];
    const ir: number[] = [];
    // i2c-bus block transfers carry at most 32 bytes: 5 samples of 6 bytes per block.
    const perBlock = 5;
    const block = Buffer.alloc(perBlock * 2 * bytesPerChannel);
    while (waiting > 0) {
      const count = Math.min(perBlock, waiting);
      const length = count * 2 * bytesPerChannel;
      await this.transfer(() => this.bus.readI2cBlock(this.address, R.FIFO_DATA, length, block));
      const samples = decodeFifo(block.subarray(0, length), 2);
      red.push(...samples.red);
      ir.push(...samples.ir);
      waiting -= count;
    }
    return { red, ir, overflowed };
  }

  private read(register: number): Promise<number> {
    return this.transfer(() => this.bus.readByte(this.address, register));
  }

  private write(register: number, value: number): Promise<void> {
    return this.transfer(() => this.bus.writeByte(this.address, register, value));
  }

  /**
   * One bus transfer, tried again on an errno failure (a noisy bus, a hot-plugged cable). After
   * `maxConsecutiveErrors` failures in a row the error goes up: never a made-up sample.
   */
  private async transfer<T>(op: () => Promise<T>): Promise<T> {
    const limit = this.options.maxConsecutiveErrors ?? 5;
    for (let attempt = 1; ; attempt++) {
      try {
        return await op();
      } catch (err) {
        if (!isI2cError(err)) throw err;
        this.stats.transferErrors++;
        if (attempt >= limit) {
          throw new StationError(isNoAcknowledge(err) ? 'DEVICE_MISSING' : 'DEVICE_READ_FAILED',
            `SpO2 sensor transfer failed ${attempt} times (${err.code})`, {
              transient: true,
              cause: err,
              details: { errno: err.code },
            });
        }
      }
    }
  }

  private async shutdown(): Promise<void> {
    try {
      await this.bus.writeByte(this.address, Max30102Register.MODE_CONFIG, modeBits.shutdown);
    } catch (err) {
      this.logger.warn({ err }, 'could not put the SpO2 sensor in shutdown');
    }
  }

  private asStationError(err: unknown, signal: AbortSignal | undefined): StationError {
    if (signal?.aborted) return new StationError('DEVICE_ABORTED', undefined, { cause: err });
    if (err instanceof StationError) return err;
    return new StationError('DEVICE_READ_FAILED', err instanceof Error ? err.message : String(err), { cause: err });
  }
}
