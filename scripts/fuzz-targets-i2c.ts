/**
 * Properties of the I2C decoders and the SpO2 analysis, in the shape scripts/fuzz-targets.ts
 * defines: CI runs them at moderate counts, `npm run fuzz` at 100 000 each. Decoders never throw
 * on any bytes and never let a corrupted transfer through as a value.
 */
import fc from 'fast-check';
import {
  decodeFifo, decodeFifoConfig, decodeSpo2Config, encodeFifoConfig, encodeSampleBytes, encodeSpo2Config,
  fifoSamplesWaiting, sampleMask,
} from '../drivers/max30102.js';
import { decodeTemperatureWord, pec, readWordPec } from '../drivers/mlx90614.js';
import { analyzePpg } from '../drivers/spo2/analyze.js';
import { analyzePpgCsv } from '../drivers/spo2/ppg-analysis.js';
import { PpgSimulator } from '../drivers/simulators/ppg.js';
import { isStationError } from '../runtime/kernel/errors.js';
import type { FuzzTarget, ParserProperty } from './fuzz-targets.js';

const bytes = (maxLength: number) => fc.uint8Array({ maxLength });
const byte = fc.integer({ min: 0, max: 255 });

function property<T>(name: string, arbitrary: fc.Arbitrary<T>, holds: (input: T) => boolean): ParserProperty<never> {
  return { name, arbitrary, holds } as unknown as ParserProperty<never>;
}

const max30102: ParserProperty<never>[] = [
  property('FIFO decode: any bytes, 18-bit values, whole samples only', bytes(200), (b) => {
    const { red, ir } = decodeFifo(b, 2);
    const n = Math.floor(b.length / 6);
    return red.length === n && ir.length === n && [...red, ...ir].every((v) => Number.isInteger(v) && v >= 0 && v <= sampleMask);
  }),
  property('FIFO decode: round trip, unused bits 23:18 ignored',
    fc.array(fc.tuple(fc.integer({ min: 0, max: sampleMask }), fc.integer({ min: 0, max: sampleMask }), fc.integer({ min: 0, max: 63 })), { maxLength: 32 }),
    (samples) => {
      const b = new Uint8Array(samples.length * 6);
      samples.forEach(([r, i, junk], k) => {
        b.set(encodeSampleBytes(r), k * 6);
        b.set(encodeSampleBytes(i), k * 6 + 3);
        b[k * 6] = b[k * 6]! | (junk << 2);
      });
      const out = decodeFifo(b, 2);
      return samples.every(([r, i], k) => out.red[k] === r && out.ir[k] === i);
    }),
  property('FIFO pointers: 0–32 waiting, wrap-around exact', fc.tuple(byte, byte, byte, fc.boolean()), ([wr, ovf, rd, almostFull]) => {
    const n = fifoSamplesWaiting(wr, ovf, rd, almostFull);
    if ((ovf & 0x1f) !== 0) return n === 32;
    if ((wr & 0x1f) === (rd & 0x1f)) return n === (almostFull ? 32 : 0);
    return n > 0 && n < 32 && ((rd & 0x1f) + n) % 32 === (wr & 0x1f);
  }),
  property('SPO2_CONFIG and FIFO_CONFIG: decode never throws, encode inverts it', byte, (b) => {
    const spo2Ok = encodeSpo2Config(decodeSpo2Config(b)) === (b & 0x7f);
    const fifo = decodeFifoConfig(b);
    const fifoOk = ((b >> 5) & 0x07) > 5 || encodeFifoConfig(fifo) === b;
    return spo2Ok && fifoOk;
  }),
];

const mlx90614: ParserProperty<never>[] = [
  property('word decode: any bytes, never throws, valid only with a matching PEC',
    fc.tuple(bytes(5), fc.integer({ min: 0, max: 127 }), byte), ([b, address, command]) => {
      const word = decodeTemperatureWord(b, address, command);
      if (!word.ok) return true;
      return readWordPec(address, command, b[0]!, b[1]!) === b[2] && (word.raw & 0x8000) === 0 && word.celsius >= -273.15 && word.celsius < 382.2;
    }),
  property('PEC catches every single-bit error in command, data or PEC, and a wrong address',
    fc.tuple(byte, byte, fc.integer({ min: 1, max: 127 }), byte, fc.integer({ min: 0, max: 38 })),
    ([lsb, msb, address, command, bit]) => {
      const frame = (a: number) => [(a << 1) & 0xfe, command, ((a << 1) | 1) & 0xff, lsb, msb];
      const sent = [...frame(address), readWordPec(address, command, lsb, msb)];
      if (pec(sent) !== 0) return false;
      if (bit >= 32) {
        // Another device's address: both address bytes change, the PEC no longer matches.
        const other = address ^ (1 << (bit - 32));
        return pec([...frame(other), sent[5]!]) !== 0;
      }
      const flipped = [...sent];
      const at = [1, 3, 4, 5][bit >> 3]!;
      flipped[at] = flipped[at]! ^ (1 << (bit & 7));
      return pec(flipped) !== 0;
    }),
];

/** A simulated finger, then corrupted: clipped runs, dropouts to zero, spikes. */
const corruptedTrace = fc.record({
  heartRate: fc.integer({ min: 20, max: 260 }),
  spo2: fc.integer({ min: 40, max: 100 }),
  perfusionIndex: fc.double({ min: 0, max: 20, noNaN: true }),
  noise: fc.double({ min: 0, max: 5000, noNaN: true }),
  motion: fc.double({ min: 0, max: 3, noNaN: true }),
  finger: fc.boolean(),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  length: fc.integer({ min: 0, max: 1500 }),
  rateHz: fc.constantFrom(50, 100, 200),
  edits: fc.array(fc.tuple(fc.nat(), fc.nat({ max: 300 }), fc.constantFrom(0, sampleMask, 1, 7)), { maxLength: 4 }),
});

const spo2: ParserProperty<never>[] = [
  property('analysis: any trace gives either figures in range or nulls with a reason', corruptedTrace, (c) => {
    const { red, ir } = new PpgSimulator({ ...c }).take(c.length);
    for (const [start, len, value] of c.edits) {
      for (let i = start % Math.max(1, c.length); i < Math.min(c.length, (start % Math.max(1, c.length)) + len); i++) {
        red[i] = value;
        ir[i] = value === 7 ? sampleMask - ir[i]! : value;
      }
    }
    const r = analyzePpg(red, ir, c.rateHz);
    if (r.reason === null) {
      return r.spo2 !== null && r.spo2 >= 50 && r.spo2 <= 100 && r.heartRate !== null && r.heartRate >= 40 && r.heartRate <= 200
        && r.perfusionIndex !== null && r.quality >= 0 && r.quality <= 1;
    }
    return r.spo2 === null && r.heartRate === null && typeof r.message === 'string';
  }),
  property('analyze-ppg CSV: any text returns a report or an INPUT_INVALID naming a line',
    fc.oneof(fc.string({ maxLength: 200 }), fc.array(fc.tuple(fc.integer(), fc.string({ maxLength: 6 })), { maxLength: 30 }).map(
      (rows) => 'red,ir\n' + rows.map(([a, b]) => `${a},${b}`).join('\n'))),
    (text) => {
      try {
        const r = analyzePpgCsv(text);
        return (r.reason === null) === (r.spo2 !== null);
      } catch (err) {
        return isStationError(err, 'INPUT_INVALID') && /^line \d+: /.test(err.message);
      }
    }),
];

export const i2cFuzzTargets: FuzzTarget[] = [
  { name: 'max30102', properties: max30102 },
  { name: 'mlx90614', properties: mlx90614 },
  { name: 'spo2-analysis', properties: spo2 },
];
