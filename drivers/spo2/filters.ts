/**
 * Second-order (biquad) IIR sections designed with the bilinear transform, after R. Bristow-Johnson's
 * "Cookbook formulae for audio EQ biquad filter coefficients". A Butterworth section has Q = 1/√2.
 */
export interface BiquadCoefficients {
  b0: number;
  b1: number;
  b2: number;
  a1: number;
  a2: number;
}

const butterworthQ = Math.SQRT1_2;

export function lowPass(cutoffHz: number, rateHz: number, q = butterworthQ): BiquadCoefficients {
  const w0 = (2 * Math.PI * cutoffHz) / rateHz;
  const alpha = Math.sin(w0) / (2 * q);
  const cos = Math.cos(w0);
  const a0 = 1 + alpha;
  return {
    b0: (1 - cos) / 2 / a0,
    b1: (1 - cos) / a0,
    b2: (1 - cos) / 2 / a0,
    a1: (-2 * cos) / a0,
    a2: (1 - alpha) / a0,
  };
}

export function highPass(cutoffHz: number, rateHz: number, q = butterworthQ): BiquadCoefficients {
  const w0 = (2 * Math.PI * cutoffHz) / rateHz;
  const alpha = Math.sin(w0) / (2 * q);
  const cos = Math.cos(w0);
  const a0 = 1 + alpha;
  return {
    b0: (1 + cos) / 2 / a0,
    b1: -(1 + cos) / a0,
    b2: (1 + cos) / 2 / a0,
    a1: (-2 * cos) / a0,
    a2: (1 - alpha) / a0,
  };
}

/** Runs `input` through one section into `output` (may be the same array), starting at rest. */
export function applyBiquad(c: BiquadCoefficients, input: ArrayLike<number>, output: Float64Array, offset = 0): void {
  const { b0, b1, b2, a1, a2 } = c;
  let x1 = 0;
  let x2 = 0;
  let y1 = 0;
  let y2 = 0;
  const n = output.length;
  // Direct form I: the state is the last two inputs and outputs.
  for (let i = 0; i < n; i++) {
    const x = input[i]! - offset;
    const y = b0 * x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
    x2 = x1;
    x1 = x;
    y2 = y1;
    y1 = y;
    output[i] = y;
  }
}

/** Magnitude response of a section at `hz`. */
export function gainAt(c: BiquadCoefficients, hz: number, rateHz: number): number {
  const w = (2 * Math.PI * hz) / rateHz;
  const cos1 = Math.cos(w);
  const sin1 = Math.sin(w);
  const cos2 = Math.cos(2 * w);
  const sin2 = Math.sin(2 * w);
  const numRe = c.b0 + c.b1 * cos1 + c.b2 * cos2;
  const numIm = -(c.b1 * sin1 + c.b2 * sin2);
  const denRe = 1 + c.a1 * cos1 + c.a2 * cos2;
  const denIm = -(c.a1 * sin1 + c.a2 * sin2);
  return Math.hypot(numRe, numIm) / Math.hypot(denRe, denIm);
}

/**
 * A band-pass: two high-pass sections (fourth order, 24 dB/octave, because slow drift sits just
 * below the slowest heart rates) then one low-pass section.
 */
export interface BandPass {
  high: BiquadCoefficients;
  low: BiquadCoefficients;
  rateHz: number;
}

export function bandPass(lowHz: number, highHz: number, rateHz: number): BandPass {
  return { high: highPass(lowHz, rateHz), low: lowPass(highHz, rateHz), rateHz };
}

/**
 * Filters `input` into `output`. The first sample is subtracted first, so a large DC level (a PPG
 * sits at ~100 000 counts) does not ring through the high-pass as a start-up step. Each sample goes
 * through the three sections in turn (the same arithmetic as three {@link applyBiquad} passes).
 */
export function applyBandPass(filter: BandPass, input: ArrayLike<number>, output: Float64Array): void {
  const stream = new BandPassStream(filter);
  for (let i = 0; i < output.length; i++) output[i] = stream.step(input[i]!);
}

/**
 * {@link applyBandPass} on two channels of equal length in one loop. Each channel's arithmetic is
 * unchanged; running the two independent recursions side by side lets one fill the other's
 * waiting time (an IIR section waits for its previous output).
 */
export function applyBandPassPair(filter: BandPass, inA: ArrayLike<number>, outA: Float64Array, inB: ArrayLike<number>, outB: Float64Array): void {
  const { b0: hb0, b1: hb1, b2: hb2, a1: ha1, a2: ha2 } = filter.high;
  const { b0: lb0, b1: lb1, b2: lb2, a1: la1, a2: la2 } = filter.low;
  const n = Math.min(outA.length, outB.length);
  const offA = inA.length > 0 ? inA[0]! : 0;
  const offB = inB.length > 0 ? inB[0]! : 0;
  let ax1 = 0, ax2 = 0, ay1 = 0, ay2 = 0, bx1 = 0, bx2 = 0, by1 = 0, by2 = 0, cx1 = 0, cx2 = 0, cy1 = 0, cy2 = 0;
  let dx1 = 0, dx2 = 0, dy1 = 0, dy2 = 0, ex1 = 0, ex2 = 0, ey1 = 0, ey2 = 0, fx1 = 0, fx2 = 0, fy1 = 0, fy2 = 0;
  for (let i = 0; i < n; i++) {
    const x = inA[i]! - offA;
    const u = inB[i]! - offB;
    const a = hb0 * x + hb1 * ax1 + hb2 * ax2 - ha1 * ay1 - ha2 * ay2;
    const d = hb0 * u + hb1 * dx1 + hb2 * dx2 - ha1 * dy1 - ha2 * dy2;
    ax2 = ax1; ax1 = x; ay2 = ay1; ay1 = a;
    dx2 = dx1; dx1 = u; dy2 = dy1; dy1 = d;
    const b = hb0 * a + hb1 * bx1 + hb2 * bx2 - ha1 * by1 - ha2 * by2;
    const e = hb0 * d + hb1 * ex1 + hb2 * ex2 - ha1 * ey1 - ha2 * ey2;
    bx2 = bx1; bx1 = a; by2 = by1; by1 = b;
    ex2 = ex1; ex1 = d; ey2 = ey1; ey1 = e;
    const c = lb0 * b + lb1 * cx1 + lb2 * cx2 - la1 * cy1 - la2 * cy2;
    const f = lb0 * e + lb1 * fx1 + lb2 * fx2 - la1 * fy1 - la2 * fy2;
    cx2 = cx1; cx1 = b; cy2 = cy1; cy1 = c;
    fx2 = fx1; fx1 = e; fy2 = fy1; fy1 = f;
    outA[i] = c;
    outB[i] = f;
  }
}

export function bandPassGainAt(filter: BandPass, hz: number): number {
  const high = gainAt(filter.high, hz, filter.rateHz);
  return high * high * gainAt(filter.low, hz, filter.rateHz);
}

/**
 * The same band-pass one sample at a time, its state kept between calls: for a trace that arrives in
 * small FIFO chunks (the technician's live view). The first sample after a reset is the offset, as
 * in {@link applyBandPass}.
 */
export class BandPassStream {
  private readonly state = new Float64Array(12);
  private offset: number | null = null;

  constructor(private readonly filter: BandPass) {}

  reset(): void {
    this.state.fill(0);
    this.offset = null;
  }

  step(sample: number): number {
    const s = this.state;
    const h = this.filter.high;
    const l = this.filter.low;
    if (this.offset === null) this.offset = sample;
    const x = sample - this.offset;
    const a = h.b0 * x + h.b1 * s[0]! + h.b2 * s[1]! - h.a1 * s[2]! - h.a2 * s[3]!;
    s[1] = s[0]!;
    s[0] = x;
    s[3] = s[2]!;
    s[2] = a;
    const b = h.b0 * a + h.b1 * s[4]! + h.b2 * s[5]! - h.a1 * s[6]! - h.a2 * s[7]!;
    s[5] = s[4]!;
    s[4] = a;
    s[7] = s[6]!;
    s[6] = b;
    const c = l.b0 * b + l.b1 * s[8]! + l.b2 * s[9]! - l.a1 * s[10]! - l.a2 * s[11]!;
    s[9] = s[8]!;
    s[8] = b;
    s[11] = s[10]!;
    s[10] = c;
    return c;
  }
}
