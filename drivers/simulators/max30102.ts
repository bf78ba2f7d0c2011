import type { Clock } from '../../runtime/kernel/clock.js';
import type { SimI2cDevice } from '../transports/i2c-sim.js';
import {
  Max30102Register as R, bytesPerChannel, decodeFifoConfig, decodeSpo2Config, encodeSampleBytes, fifoDepth,
  intFlags, max30102PartId, modeBits, Mode, resolutionBits,
} from '../max30102.js';
import { PpgSimulator } from './ppg.js';
import type { PpgSignalSpec } from './ppg.js';

export interface SimMax30102Options {
  /** What is on the sensor at start; null (default) is nothing. */
  finger?: PpgSignalSpec | null;
  /** PART_ID answered; default 0x15 (set another to simulate a wrong chip). */
  partId?: number;
  /** REV_ID answered; default 0x03. */
  revision?: number;
}

/** LED current at which the PPG simulator's DC levels are given (LEDx_PA 0x24 = 7.2 mA). */
const referencePa = 0x24;

/**
 * A MAX30102 as its registers behave (datasheet "Register Map and Descriptions"): RESET restores
 * power-on values and self-clears; in SpO2 mode a sample (red then IR) enters the 32-deep FIFO
 * every 1/(SPO2_SR / SMP_AVE) s of the injected clock; reading FIFO_DATA pops bytes without
 * advancing the register pointer; a full FIFO drops new samples and counts them in OVF_COUNTER
 * (saturating at 0x1F), or with FIFO_ROLLOVER_EN overwrites the oldest; INT_STATUS_1 raises A_FULL
 * and PPG_RDY and clears them when read. Samples come from a seeded
 * {@link PpgSimulator}, scaled by the LED currents and masked to the ADC resolution.
 */
export class SimMax30102 implements SimI2cDevice {
  private readonly regs = new Uint8Array(256);
  private readonly partId: number;
  private readonly revision: number;
  private finger: PpgSignalSpec | null;
  private source: PpgSimulator | null = null;
  /** FIFO entries, oldest first; each is [red, ir]. */
  private fifo: Array<[number, number]> = [];
  private readPointer = 0;
  /** Bytes of the head sample already clocked out through FIFO_DATA. */
  private headOffset = 0;
  private samplingSince: number | null = null;
  private samplesProduced = 0;
  private seedOffset = 0;

  constructor(private readonly clock: Clock, options: SimMax30102Options = {}) {
    this.partId = options.partId ?? max30102PartId;
    this.revision = options.revision ?? 0x03;
    this.finger = options.finger ?? null;
    this.powerOnReset();
  }

  /** Puts a finger with this signal on the sensor. */
  placeFinger(spec: PpgSignalSpec): void {
    this.catchUp();
    this.finger = spec;
    this.source = null;
  }

  removeFinger(): void {
    this.catchUp();
    this.finger = null;
    this.source = null;
  }

  /** Samples in the FIFO now (for tests). */
  get fifoCount(): number {
    this.catchUp();
    return this.fifo.length;
  }

  read(register: number, length: number): Uint8Array {
    this.catchUp();
    const out = new Uint8Array(length);
    let reg = register & 0xff;
    for (let i = 0; i < length; i++) {
      if (reg === R.FIFO_DATA) {
        out[i] = this.popFifoByte();
        continue;
      }
      out[i] = this.readRegister(reg);
      reg = (reg + 1) & 0xff;
    }
    return out;
  }

  write(register: number, bytes: Uint8Array): void {
    this.catchUp();
    let reg = register & 0xff;
    for (const byte of bytes) {
      this.writeRegister(reg, byte);
      if (reg !== R.FIFO_DATA) reg = (reg + 1) & 0xff;
    }
  }

  private powerOnReset(): void {
    this.regs.fill(0);
    this.regs[R.INT_STATUS_1] = 0x01; // PWR_RDY after power-up
    this.fifo = [];
    this.readPointer = 0;
    this.headOffset = 0;
    this.samplingSince = null;
    this.samplesProduced = 0;
    this.source = null;
  }

  private readRegister(reg: number): number {
    switch (reg) {
      case R.INT_STATUS_1:
      case R.INT_STATUS_2: {
        // Interrupt flags clear when their status register is read.
        const flags = this.regs[reg]!;
        this.regs[reg] = 0;
        return flags;
      }
      case R.PART_ID:
        return this.partId;
      case R.REV_ID:
        return this.revision;
      case R.FIFO_RD_PTR:
        return this.readPointer;
      case R.FIFO_WR_PTR:
        return (this.readPointer + this.fifo.length) % fifoDepth;
      default:
        return this.regs[reg]!;
    }
  }

  private writeRegister(reg: number, byte: number): void {
    switch (reg) {
      case R.MODE_CONFIG:
        if (byte & modeBits.reset) {
          this.powerOnReset();
          return;
        }
        this.regs[reg] = byte & 0x87;
        this.updateSampling();
        return;
      case R.FIFO_WR_PTR:
        // Moving the write pointer changes how many samples the FIFO holds.
        this.fifo = this.fifo.slice(0, ((byte & 0x1f) - this.readPointer + fifoDepth) % fifoDepth);
        return;
      case R.FIFO_RD_PTR: {
        const write = (this.readPointer + this.fifo.length) % fifoDepth;
        const keep = (write - (byte & 0x1f) + fifoDepth) % fifoDepth;
        this.fifo = this.fifo.slice(this.fifo.length - keep);
        this.readPointer = byte & 0x1f;
        this.headOffset = 0;
        return;
      }
      case R.OVF_COUNTER:
        this.regs[reg] = byte & 0x1f;
        return;
      case R.PART_ID:
      case R.REV_ID:
        return;
      case R.SPO2_CONFIG:
        this.regs[reg] = byte & 0x7f;
        this.restartSampling();
        return;
      case R.FIFO_CONFIG:
        this.regs[reg] = byte;
        this.restartSampling();
        return;
      default:
        this.regs[reg] = byte;
    }
  }

  private get sampling(): boolean {
    const mode = this.regs[R.MODE_CONFIG]!;
    return (mode & modeBits.shutdown) === 0 && (mode & 0x07) === Mode.spo2;
  }

  private outputRateHz(): number {
    return decodeSpo2Config(this.regs[R.SPO2_CONFIG]!).sampleRate / decodeFifoConfig(this.regs[R.FIFO_CONFIG]!).sampleAverage;
  }

  private updateSampling(): void {
    if (this.sampling && this.samplingSince === null) this.restartSampling();
    if (!this.sampling) this.samplingSince = null;
  }

  private restartSampling(): void {
    this.samplingSince = this.sampling ? this.clock.now() : null;
    this.samplesProduced = 0;
  }

  /** Pushes every sample due by now on the injected clock. */
  private catchUp(): void {
    if (this.samplingSince === null) return;
    const rate = this.outputRateHz();
    const due = Math.floor(((this.clock.now() - this.samplingSince) * rate) / 1000);
    for (; this.samplesProduced < due; this.samplesProduced++) this.pushSample(rate);
  }

  private pushSample(rate: number): void {
    const sample = this.nextSample(rate);
    if (this.fifo.length >= fifoDepth) {
      this.regs[R.OVF_COUNTER] = Math.min(0x1f, this.regs[R.OVF_COUNTER]! + 1);
      if (!decodeFifoConfig(this.regs[R.FIFO_CONFIG]!).rollover) return;
      this.fifo.shift();
      this.readPointer = (this.readPointer + 1) % fifoDepth;
      this.headOffset = 0;
    }
    this.fifo.push(sample);
    // PPG_RDY on every sample; A_FULL when the unread samples reach the almost-full mark
    // (FIFO_A_FULL free slots left), an edge, as the datasheet's "Interrupt Status" describes.
    let flags = this.regs[R.INT_STATUS_1]! | intFlags.ppgReady;
    if (this.fifo.length === fifoDepth - decodeFifoConfig(this.regs[R.FIFO_CONFIG]!).almostFull) flags |= intFlags.almostFull;
    this.regs[R.INT_STATUS_1] = flags;
  }

  private nextSample(rate: number): [number, number] {
    const config = decodeSpo2Config(this.regs[R.SPO2_CONFIG]!);
    // Left-justified: at lower resolutions the low bits read as zero (datasheet "FIFO Data Register").
    const drop = 18 - resolutionBits(config.pulseWidthUs);
    const quantise = (v: number) => (Math.min(0x3ffff, Math.max(0, Math.round(v))) >> drop) << drop;
    if (!this.finger) return [quantise(300), quantise(500)];
    if (!this.source) {
      this.seedOffset++;
      this.source = new PpgSimulator({ ...this.finger, rateHz: rate, seed: (this.finger.seed ?? 1) + this.seedOffset * 7919 });
    }
    const s = this.source.next();
    const redScale = this.regs[R.LED1_PA]! / referencePa;
    const irScale = this.regs[R.LED2_PA]! / referencePa;
    return [quantise(s.red * redScale), quantise(s.ir * irScale)];
  }

  private popFifoByte(): number {
    const head = this.fifo[0];
    if (!head) return 0;
    const channel = Math.floor(this.headOffset / bytesPerChannel);
    const byte = encodeSampleBytes(head[channel]!)[this.headOffset % bytesPerChannel]!;
    this.regs[R.INT_STATUS_1] = this.regs[R.INT_STATUS_1]! & ~intFlags.ppgReady;
    this.headOffset++;
    if (this.headOffset === 2 * bytesPerChannel) {
      // A whole sample popped: the read pointer advances and the overflow count clears
      // (datasheet "Overflow Counter").
      this.fifo.shift();
      this.readPointer = (this.readPointer + 1) % fifoDepth;
      this.headOffset = 0;
      this.regs[R.OVF_COUNTER] = 0;
    }
    return byte;
  }
}
