import { analyzeBandPassed, filterFor, refused, settleSamples, windowLevels } from './analyze.js';
import type { PpgAnalysisOptions, PpgResult } from './analyze.js';
import { beatFigures, findTroughs } from './beats.js';
import type { BandPassedWindow, BeatCache, BeatFigures } from './beats.js';
import type { BandPass } from './filters.js';
import { selectKth } from './ppg-math.js';

/**
 * The station's sliding window, analysed incrementally. While a finger is on the sensor the driver
 * analyses the last 10 s every second until one window is good enough. Re-analysing each window
 * from scratch band-passes all 10 s again (the filter restarted at the window's first sample),
 * sums its levels, finds its troughs and measures every beat again, though nine seconds of it were
 * seen a second before. Here each sample is band-passed once, as it arrives; the levels are running
 * sums; troughs and beat figures found in the last window are kept for the samples they cover. The
 * rest of the analysis is {@link analyzeBandPassed}, the same code `analyzePpg` runs.
 *
 * The first window after {@link clear} gives exactly `analyzePpg` of the same samples (the filter
 * starts at rest on its first sample either way). Later windows see the band-pass continued from
 * before the window instead of restarted: the settled signal that dropping each window's first
 * second approximates. Their figures agree with a fresh analysis to a beat per minute
 * (test/drivers/spo2/sliding-analysis.test.ts).
 */
export class SlidingPpgAnalyzer {
  private readonly filter: BandPass;
  private readonly settle: number;
  private readonly capacity: number;
  private readonly fullScaleTop: number;
  private readonly rawRed: Float64Array;
  private readonly rawIr: Float64Array;
  private readonly bpRed: Float64Array;
  private readonly bpIr: Float64Array;
  /** Running sums of the raw levels and the clipped count: entry i covers samples before buffer index i. */
  private readonly sumRed: Float64Array;
  private readonly sumIr: Float64Array;
  private readonly clips: Float64Array;
  private readonly magnitudes: Float64Array;
  /** Buffer index of the oldest sample held and one past the newest. */
  private from = 0;
  private to = 0;
  /** Samples dropped by compaction since the last clear: buffer index + shifted = sample number. */
  private shifted = 0;
  /** Sample number of the last sample that is not a whole count (running sums are exact only for whole counts). */
  private lastFraction = -1;
  private offsetRed = 0;
  private offsetIr = 0;
  private readonly state = new Float64Array(24);
  private readonly cache: KeptBeats;

  /**
   * Keeps the last `windowSamples` samples taken at `rateHz`; `options` are the analysis options
   * of every window (the clipping level is applied as samples arrive).
   */
  constructor(readonly rateHz: number, readonly windowSamples: number, private readonly options: PpgAnalysisOptions = {}) {
    if (!(rateHz > 0) || !Number.isInteger(windowSamples) || windowSamples < 1) {
      throw new RangeError(`SlidingPpgAnalyzer needs a positive rate and a whole number of samples, got ${rateHz} Hz and ${windowSamples}`);
    }
    this.filter = filterFor(rateHz);
    this.settle = settleSamples(rateHz);
    this.capacity = windowSamples * 2;
    this.fullScaleTop = (options.fullScale ?? 262_143) * 0.995;
    this.rawRed = new Float64Array(this.capacity);
    this.rawIr = new Float64Array(this.capacity);
    this.bpRed = new Float64Array(this.capacity);
    this.bpIr = new Float64Array(this.capacity);
    this.sumRed = new Float64Array(this.capacity + 1);
    this.sumIr = new Float64Array(this.capacity + 1);
    this.clips = new Float64Array(this.capacity + 1);
    this.magnitudes = new Float64Array(windowSamples);
    // A beat starts inside the window: its first trough's number modulo the window never collides with another's.
    this.cache = new KeptBeats(windowSamples);
  }

  /** Samples held (at most the window). */
  get length(): number {
    return this.to - this.from;
  }

  /** Forget every sample (finger lifted, FIFO overflow): the next push starts a new trace. */
  clear(): void {
    this.from = 0;
    this.to = 0;
    this.shifted = 0;
    this.lastFraction = -1;
    this.state.fill(0);
    this.cache.clear();
  }

  /** The held samples, oldest first (views into the buffer: valid until the next push). */
  view(): { red: Float64Array; ir: Float64Array } {
    return { red: this.rawRed.subarray(this.from, this.to), ir: this.rawIr.subarray(this.from, this.to) };
  }

  /** Adds samples (red and IR of equal length, ADC counts), band-passing each once. */
  push(red: ArrayLike<number>, ir: ArrayLike<number>): void {
    const n = Math.min(red.length, ir.length);
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(red[i]!) || !Number.isFinite(ir[i]!)) throw new RangeError(`PPG sample ${i} of the chunk is not a number (red ${red[i]}, ir ${ir[i]})`);
    }
    for (let i = 0; i < n;) {
      if (this.to === this.capacity) this.compact();
      const at = this.to;
      const count = Math.min(n - i, this.capacity - at);
      if (at === 0 && this.shifted === 0) {
        this.offsetRed = red[i]!;
        this.offsetIr = ir[i]!;
      }
      const top = this.fullScaleTop;
      for (let k = 0; k < count; k++) {
        const r = red[i + k]!;
        const v = ir[i + k]!;
        const j = at + k;
        if (!Number.isInteger(r) || !Number.isInteger(v)) this.lastFraction = j + this.shifted;
        this.rawRed[j] = r;
        this.rawIr[j] = v;
        this.sumRed[j + 1] = this.sumRed[j]! + r;
        this.sumIr[j + 1] = this.sumIr[j]! + v;
        this.clips[j + 1] = this.clips[j]! + (r >= top || v >= top || r <= 0 || v <= 0 ? 1 : 0);
      }
      this.filterRange(this.rawIr, this.offsetIr, this.bpIr, at, at + count, 0);
      this.filterRange(this.rawRed, this.offsetRed, this.bpRed, at, at + count, 12);
      this.to = at + count;
      this.from = Math.max(this.from, this.to - this.windowSamples);
      i += count;
    }
  }

  /** Analyses the held samples: on the first window exactly `analyzePpg(view().red, view().ir, rateHz, options)`. */
  analyze(): PpgResult {
    const { red, ir } = this.view();
    const n = red.length;
    const start = this.from + this.settle;
    const levels = this.levels(red, ir, n, start);
    if (typeof levels === 'string') return refused(levels);
    const bpIr = this.bpIr.subarray(start, this.to);
    const m = bpIr.length;
    const magnitudes = this.magnitudes.subarray(0, m);
    for (let i = 0; i < m; i++) magnitudes[i] = Math.abs(bpIr[i]!);
    const w: BandPassedWindow = {
      red, ir, rateHz: this.rateHz, bpIr, bpRed: this.bpRed.subarray(start, this.to), ...levels, medianMagnitude: selectKth(magnitudes, m >> 1),
    };
    this.cache.window(w, this.settle, start + this.shifted);
    return analyzeBandPassed(w, this.options, this.cache);
  }

  /**
   * Levels and gates from the running sums, which are exact while every sample held is a whole
   * count (the sensor's are); otherwise summed afresh in window order.
   */
  private levels(red: Float64Array, ir: Float64Array, n: number, start: number): ReturnType<typeof windowLevels> {
    if (this.lastFraction >= this.from + this.shifted || n - this.settle < this.rateHz * 4) return windowLevels(red, ir, n, this.rateHz, this.options);
    const o = { fingerThreshold: 20_000, maxClippedFraction: 0.01, ...this.options };
    const dcIr = (this.sumIr[this.to]! - this.sumIr[start]!) / (n - this.settle);
    const dcRed = (this.sumRed[this.to]! - this.sumRed[start]!) / (n - this.settle);
    if (dcIr < o.fingerThreshold || dcRed < o.fingerThreshold / 4) return 'no-finger';
    if ((this.clips[this.to]! - this.clips[this.from]!) / n > o.maxClippedFraction) return 'clipping';
    return { dcIr, dcRed };
  }

  /**
   * Band-passes raw[from, to) into out, the three sections' state at `at` of the state array: the
   * same expressions in the same order as applyBandPassPair, so a window from rest gives the same
   * bits; the state lives in locals for the loop, as there.
   */
  private filterRange(raw: Float64Array, offset: number, out: Float64Array, from: number, to: number, at: number): void {
    const s = this.state;
    const { b0: hb0, b1: hb1, b2: hb2, a1: ha1, a2: ha2 } = this.filter.high;
    const { b0: lb0, b1: lb1, b2: lb2, a1: la1, a2: la2 } = this.filter.low;
    let ax1 = s[at]!, ax2 = s[at + 1]!, ay1 = s[at + 2]!, ay2 = s[at + 3]!;
    let bx1 = s[at + 4]!, bx2 = s[at + 5]!, by1 = s[at + 6]!, by2 = s[at + 7]!;
    let cx1 = s[at + 8]!, cx2 = s[at + 9]!, cy1 = s[at + 10]!, cy2 = s[at + 11]!;
    for (let i = from; i < to; i++) {
      const x = raw[i]! - offset;
      const a = hb0 * x + hb1 * ax1 + hb2 * ax2 - ha1 * ay1 - ha2 * ay2;
      ax2 = ax1; ax1 = x; ay2 = ay1; ay1 = a;
      const b = hb0 * a + hb1 * bx1 + hb2 * bx2 - ha1 * by1 - ha2 * by2;
      bx2 = bx1; bx1 = a; by2 = by1; by1 = b;
      const c = lb0 * b + lb1 * cx1 + lb2 * cx2 - la1 * cy1 - la2 * cy2;
      cx2 = cx1; cx1 = b; cy2 = cy1; cy1 = c;
      out[i] = c;
    }
    s[at] = ax1; s[at + 1] = ax2; s[at + 2] = ay1; s[at + 3] = ay2;
    s[at + 4] = bx1; s[at + 5] = bx2; s[at + 6] = by1; s[at + 7] = by2;
    s[at + 8] = cx1; s[at + 9] = cx2; s[at + 10] = cy1; s[at + 11] = cy2;
  }

  /** Moves the held window (and its running sums, rebased) to the front of the buffers. */
  private compact(): void {
    const held = this.to - this.from;
    for (const a of [this.rawRed, this.rawIr, this.bpRed, this.bpIr]) a.copyWithin(0, this.from, this.to);
    for (const a of [this.sumRed, this.sumIr, this.clips]) {
      const base = a[this.from]!;
      for (let i = 0; i <= held; i++) a[i] = a[this.from + i]! - base;
    }
    this.shifted += this.from;
    this.from = 0;
    this.to = held;
  }
}

/**
 * Troughs and beat figures of the last window, by sample number. A trough is decided by the
 * `half` samples either side of it, and a beat's figures by the samples between its troughs; the
 * band-passed values of a sample never change once pushed, so what the last window decided holds
 * for the samples both windows cover.
 */
class KeptBeats implements BeatCache {
  private w: BandPassedWindow | null = null;
  private settle = 0;
  /** Sample number of the window's bpIr[0]. */
  private origin = 0;
  private half = -1;
  /** Troughs decided for the sample numbers [decidedFrom, decidedTo), ascending. */
  private decided: number[] = [];
  private found: number[] = [];
  private decidedFrom = 0;
  private decidedTo = 0;
  /** Beat figures by slot (sample number of the first trough modulo the size), with both troughs' numbers. */
  private readonly beatFrom: Float64Array;
  private readonly beatTo: Float64Array;
  private readonly amplitude: Float64Array;
  private readonly ratio: Float64Array;
  /** Handed out by {@link beat}: analyzeBandPassed reads it before asking for the next beat. */
  private readonly figures: BeatFigures = { amplitude: 0, ratio: 0 };

  constructor(private readonly slots: number) {
    this.beatFrom = new Float64Array(slots).fill(-1);
    this.beatTo = new Float64Array(slots);
    this.amplitude = new Float64Array(slots);
    this.ratio = new Float64Array(slots);
  }

  clear(): void {
    this.half = -1;
    this.decided.length = 0;
    this.beatFrom.fill(-1);
  }

  window(w: BandPassedWindow, settle: number, origin: number): void {
    this.w = w;
    this.settle = settle;
    this.origin = origin;
  }

  troughs(bpIr: Float64Array, half: number): number[] {
    const m = bpIr.length;
    const lo = this.origin + half;
    const hi = this.origin + m - half;
    const out = this.found;
    out.length = 0;
    if (half === this.half && this.decidedFrom <= lo && this.decidedTo >= lo && this.decidedTo <= hi) {
      for (const t of this.decided) if (t >= lo) out.push(t - this.origin);
      findTroughs(bpIr, half, this.decidedTo - this.origin, m - half, out);
    } else findTroughs(bpIr, half, half, m - half, out);
    this.half = half;
    this.decidedFrom = lo;
    this.decidedTo = hi;
    this.decided.length = 0;
    for (const t of out) this.decided.push(t + this.origin);
    return out;
  }

  beat(from: number, to: number): BeatFigures {
    const key = from + this.origin;
    const slot = key % this.slots;
    if (this.beatFrom[slot] !== key || this.beatTo[slot] !== to + this.origin) {
      const f = beatFigures(this.w!, this.settle, from, to);
      this.beatFrom[slot] = key;
      this.beatTo[slot] = to + this.origin;
      this.amplitude[slot] = f.amplitude;
      this.ratio[slot] = f.ratio;
    }
    this.figures.amplitude = this.amplitude[slot]!;
    this.figures.ratio = this.ratio[slot]!;
    return this.figures;
  }
}
