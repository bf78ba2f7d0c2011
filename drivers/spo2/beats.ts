/**
 * Beats of a band-passed window: the troughs of the IR light that cut the trace into beats, and
 * each beat's figures. A beat's figures depend only on the samples between its two troughs, so
 * the sliding analysis (./sliding-analysis.ts) can keep them from one window to the next.
 */

/**
 * One window after the band-pass: the raw samples (for the per-beat levels), the band-passed
 * channels from the end of the settling second on, the mean levels and the median of |bpIr|.
 */
export interface BandPassedWindow {
  red: ArrayLike<number>;
  ir: ArrayLike<number>;
  rateHz: number;
  bpIr: Float64Array;
  bpRed: Float64Array;
  dcIr: number;
  dcRed: number;
  medianMagnitude: number;
}

export interface BeatFigures {
  /** Peak-to-trough height of the band-passed IR pulse. */
  amplitude: number;
  /** Ratio of ratios R of the beat; NaN when the IR pulse is flat. */
  ratio: number;
}

/** What a caller may keep between overlapping windows: troughs and beat figures, in window positions. */
export interface BeatCache {
  troughs(bpIr: Float64Array, half: number): number[];
  beat(from: number, to: number): BeatFigures;
}

/**
 * Appends to `out` the positions in [from, to) that are the lowest of the `half` samples either
 * side (the first of equal lows); `from >= half` and `to <= bpIr.length - half`.
 */
export function findTroughs(bpIr: Float64Array, half: number, from: number, to: number, out: number[]): number[] {
  for (let i = from; i < to; i++) {
    const v = bpIr[i]!;
    // Only local minima are candidates; each is then checked against its whole neighbourhood.
    if (!(v < bpIr[i - 1]! && v <= bpIr[i + 1]!)) continue;
    let isMin = true;
    for (let j = i - half; j <= i + half; j++) {
      if (bpIr[j]! < v || (bpIr[j]! === v && j < i)) {
        isMin = false;
        break;
      }
    }
    if (isMin) out.push(i);
  }
  return out;
}

/**
 * Pulse amplitude and the ratio of ratios of the beat [from, to) by least squares of red on IR over
 * the whole beat (the same AC ratio as peak-to-trough for a clean pulse, but every sample
 * contributes, so noise averages out instead of inflating the peaks). `settle` is where the
 * band-passed channels start in the raw ones.
 */
export function beatFigures(w: BandPassedWindow, settle: number, from: number, to: number): BeatFigures {
  const { bpIr, bpRed, ir, red } = w;
  let lo = Infinity;
  let hi = -Infinity;
  let sumIr = 0;
  let sumRed = 0;
  for (let i = from; i < to; i++) {
    const v = bpIr[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    sumIr += v;
    sumRed += bpRed[i]!;
  }
  const len = to - from;
  const meanIr = sumIr / len;
  const meanRed = sumRed / len;
  // Breathing leaves a slow slope across a beat that the band-pass only partly removes at low
  // heart rates; the slope is taken out of both channels (least-squares line) before the fit.
  const tMid = (len - 1) / 2;
  let stt = 0;
  let stIr = 0;
  let stRed = 0;
  for (let i = from; i < to; i++) {
    const tc = i - from - tMid;
    stt += tc * tc;
    stIr += tc * (bpIr[i]! - meanIr);
    stRed += tc * (bpRed[i]! - meanRed);
  }
  const slopeIr = stt > 0 ? stIr / stt : 0;
  const slopeRed = stt > 0 ? stRed / stt : 0;
  let sxy = 0;
  let sxx = 0;
  for (let i = from; i < to; i++) {
    const tc = i - from - tMid;
    const x = bpIr[i]! - meanIr - slopeIr * tc;
    sxy += x * (bpRed[i]! - meanRed - slopeRed * tc);
    sxx += x * x;
  }
  let sumDcIr = 0;
  let sumDcRed = 0;
  for (let i = from + settle; i < to + settle; i++) {
    sumDcIr += ir[i]!;
    sumDcRed += red[i]!;
  }
  const beatDcIr = sumDcIr / len;
  const beatDcRed = sumDcRed / len;
  return { amplitude: hi - lo, ratio: sxx > 0 ? ((sxy / sxx) * beatDcIr) / beatDcRed : NaN };
}
