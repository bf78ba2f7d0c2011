/**
 * Property definitions for every serial frame parser, shared by the tests (moderate counts) and
 * `npm run fuzz` (100 000 per property). Each parser must: never throw on any bytes, never hold
 * more than its bound, give the same frames however the stream is chunked, and find the valid
 * frames again after line noise.
 */
import fc from 'fast-check';
import { parseCccd } from '../drivers/cccd.js';
import { encodeHeightFrame, HeightFrameParser } from '../drivers/height-rod.js';
import { encodeNibpBpData, encodeNibpCuff, encodeNibpStatus, NIBP_MAX_FRAME, NIBP_MODULE_START, NibpFrameParser } from '../drivers/nibp.js';
import { PrinterStatusParser } from '../drivers/receipt-printer.js';
import { ScaleLineParser } from '../drivers/scale.js';
import { LineAssembler } from '../drivers/transports/serial.js';
import type { FrameParser } from '../drivers/transports/serial.js';

export interface ParserProperty<T = unknown> {
  name: string;
  arbitrary: fc.Arbitrary<T>;
  /** True when the property holds for this input; may throw, which counts as a failure. */
  holds: (input: T) => boolean;
}

export interface FuzzTarget {
  name: string;
  properties: ParserProperty<never>[];
}

function feed<F>(parser: FrameParser<F>, chunks: Uint8Array[]): F[] {
  return chunks.flatMap((c) => parser.push(c));
}

/** Splits bytes at the given chunk sizes (cycled), the way reads from a UART arrive. */
export function chunk(bytes: Uint8Array, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let i = 0;
  let k = 0;
  while (i < bytes.length) {
    const n = sizes.length ? Math.max(1, sizes[k++ % sizes.length]!) : bytes.length;
    out.push(bytes.subarray(i, i + n));
    i += n;
  }
  return out;
}

const concat = (parts: Uint8Array[]) => Uint8Array.from(Buffer.concat(parts.map((p) => Buffer.from(p))));
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const chunkSizes = fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 });

export interface FrameParserSpec<F> {
  create: () => FrameParser<F>;
  /** One valid frame as the device sends it. */
  validFrame: fc.Arbitrary<Uint8Array>;
  /** Noise that cannot start a frame (no start byte, no line end), so resynchronisation is well defined. */
  garbage: fc.Arbitrary<Uint8Array>;
  /** Bytes that end the noise (a line end for line protocols); empty for binary ones. */
  afterGarbage?: Uint8Array;
  maxPending: number;
  /** For protocols that report what they refuse (CCCD scans): outputs the noise itself may produce. */
  isRefusal?: (frame: F) => boolean;
}

export function frameParserProperties<F>(spec: FrameParserSpec<F>): ParserProperty<never>[] {
  const anyBytes = fc.uint8Array({ maxLength: 600, size: 'large' });
  const stream = fc.array(fc.oneof(spec.validFrame, fc.uint8Array({ maxLength: 30 })), { maxLength: 20 }).map(concat);
  const props: ParserProperty<never>[] = [
    {
      name: 'never throws and stays bounded on any bytes',
      arbitrary: fc.tuple(anyBytes, chunkSizes) as never,
      holds: ([bytes, sizes]: [Uint8Array, number[]]) => {
        const p = spec.create();
        for (const c of chunk(bytes, sizes)) {
          p.push(c);
          if (p.pending > spec.maxPending) return false;
        }
        return true;
      },
    } as ParserProperty<never>,
    {
      name: 'same frames however the bytes are chunked',
      arbitrary: fc.tuple(stream, chunkSizes) as never,
      holds: ([bytes, sizes]: [Uint8Array, number[]]) => same(feed(spec.create(), [bytes]), feed(spec.create(), chunk(bytes, sizes))),
    } as ParserProperty<never>,
    {
      name: 'resynchronises after noise',
      arbitrary: fc.tuple(spec.garbage, fc.array(spec.validFrame, { minLength: 1, maxLength: 6 }), chunkSizes) as never,
      holds: ([noise, frames, sizes]: [Uint8Array, Uint8Array[], number[]]) => {
        const clean = feed(spec.create(), [concat(frames)]);
        const noisy = feed(spec.create(), chunk(concat([noise, spec.afterGarbage ?? new Uint8Array(), ...frames]), sizes));
        const extra = noisy.slice(0, noisy.length - clean.length);
        const extrasAllowed = spec.isRefusal ? extra.every(spec.isRefusal) : extra.length === 0;
        return clean.length === frames.length && extrasAllowed && same(noisy.slice(extra.length), clean);
      },
    } as ParserProperty<never>,
  ];
  return props;
}

const noByte = (excluded: number[]) => fc.uint8Array({ maxLength: 80 }).map((a) => a.filter((b) => !excluded.includes(b)));

const nibpFrame = fc.oneof(
  fc.integer({ min: 0, max: 320 }).map(encodeNibpCuff),
  fc.constantFrom('O', 'K', 'A', 'B', 'S').map(encodeNibpStatus),
  fc
    .record({
      systolic: fc.integer({ min: 0, max: 300 }),
      diastolic: fc.integer({ min: 0, max: 250 }),
      map: fc.integer({ min: 0, max: 280 }),
      pulse: fc.integer({ min: 0, max: 250 }),
      bpStatus: fc.integer({ min: 0, max: 3 }),
      errorCode: fc.constantFrom(0, 1, 2, 3, 4, 85, 87, 89, 90),
    })
    .map(encodeNibpBpData),
);

const line = (text: fc.Arbitrary<string>) => text.map((s) => Uint8Array.from(Buffer.from(`${s}\r\n`, 'utf8')));

const scaleLine = line(
  fc
    .tuple(fc.constantFrom('ST', 'US'), fc.constantFrom('GS,', 'NT,', ''), fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 30000 }))
    .map(([st, kind, sign, centi]) => (kind ? `${st},${kind}${sign}${(centi / 100).toFixed(2).padStart(7, ' ')}kg` : `${st},${sign}${(centi / 100).toFixed(2).padStart(8, '0')}  kg`)),
);

const cccdLine = line(
  fc
    .tuple(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 999_999 }), fc.constantFrom('Nguyễn Văn An', 'Trần Thị Bích', 'Lê Đức Thọ'), fc.integer({ min: 1, max: 28 }))
    .map(([yy, rand, name, day]) => {
      const id = `0790${String(yy).padStart(2, '0')}${String(rand).padStart(6, '0')}`;
      const dd = String(day).padStart(2, '0');
      return `${id}||${name}|${dd}0519${String(yy).padStart(2, '0')}|Nam|Bình Trưng, TP.HCM|${dd}062021`;
    }),
);

/** CCCD scanner lines through the same path the scanner uses: line assembly, then parse. */
class CccdLineParser implements FrameParser<ReturnType<typeof parseCccd>> {
  private readonly lines = new LineAssembler(1024);
  get pending(): number {
    return this.lines.pending;
  }
  reset(): void {
    this.lines.reset();
  }
  push(chunk: Uint8Array) {
    return this.lines.push(chunk).map((l) => parseCccd(l.toString('utf8')));
  }
}

export const serialFuzzTargets: FuzzTarget[] = [
  {
    name: 'nibp',
    properties: frameParserProperties({
      create: () => new NibpFrameParser(),
      validFrame: nibpFrame,
      garbage: noByte([NIBP_MODULE_START]),
      maxPending: NIBP_MAX_FRAME,
    }),
  },
  {
    name: 'height-rod',
    properties: frameParserProperties({
      create: () => new HeightFrameParser(),
      validFrame: fc.integer({ min: 0, max: 4500 }).map(encodeHeightFrame),
      garbage: noByte([0xff]),
      maxPending: 3,
    }),
  },
  {
    name: 'scale-lines',
    properties: frameParserProperties({
      create: () => new ScaleLineParser(),
      validFrame: scaleLine,
      garbage: noByte([0x0d, 0x0a]),
      afterGarbage: Uint8Array.of(0x0a),
      maxPending: 128,
    }),
  },
  {
    name: 'cccd-lines',
    properties: frameParserProperties({
      create: () => new CccdLineParser(),
      validFrame: cccdLine,
      isRefusal: (r) => !r.ok,
      garbage: noByte([0x0d, 0x0a]),
      afterGarbage: Uint8Array.of(0x0a),
      maxPending: 1024,
    }),
  },
  {
    name: 'printer-status',
    properties: frameParserProperties({
      create: () => new PrinterStatusParser(),
      validFrame: fc.integer({ min: 0, max: 255 }).filter((b) => (b & 0x93) === 0x12).map((b) => Uint8Array.of(b)),
      garbage: fc.uint8Array({ maxLength: 40 }).map((a) => a.filter((b) => (b & 0x93) !== 0x12)),
      maxPending: 0,
    }),
  },
];

/** Runs one property `runs` times from `seed`, counting failures (a throw counts as one). */
export function countFailures(property: ParserProperty<never>, runs: number, seed: number): { failures: number; example?: unknown } {
  let failures = 0;
  let example: unknown;
  for (const input of fc.sample(property.arbitrary, { numRuns: runs, seed })) {
    let ok = false;
    try {
      ok = property.holds(input);
    } catch {
      ok = false;
    }
    if (!ok) {
      failures++;
      example ??= input;
    }
  }
  return example === undefined ? { failures } : { failures, example };
}
