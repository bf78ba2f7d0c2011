/* eslint-disable max-lines -- one method, one file: the beat detection, the ratio-of-ratios and the
   quality gates share their windows and thresholds; they are read and tuned together. */
import { applyBandPassPair, bandPass, bandPassGainAt } from './filters.js';

/**
 * Heart rate and SpO2 from a red/IR photoplethysmogram, with quality gates. The method is the
 * classic one of pulse oximetry (Maxim AN6409 "Guidelines for SpO2 measurement"; Webster, "Design of
 * Pulse Oximeters"): band-pass the two channels, find the pulse period by autocorrelation, cut the
 * trace into beats, and per beat compute the ratio of ratios R = (AC_red/DC_red)/(AC_ir/DC_ir); SpO2
 * comes from a calibration curve SpO2 = a − b·R. The figures are reference values for the resident,
 * not a diagnosis, and a signal that is not good enough is refused with a reason instead of guessed.
 */

/** SpO2 = a − b·R, clamped to 0–100. The default (a = 110, b = 25) is the common empirical line. */
export interface Spo2Calibration {
  a: number;
  b: number;
}

export const defaultCalibration: Spo2Calibration = { a: 110, b: 25 };

export function spo2FromRatio(ratio: number, calibration: Spo2Calibration = defaultCalibration): number {
  return Math.min(100, Math.max(0, calibration.a - calibration.b * ratio));
}

export function ratioFromSpo2(spo2: number, calibration: Spo2Calibration = defaultCalibration): number {
  return (calibration.a - spo2) / calibration.b;
}

export interface PpgAnalysisOptions {
  /** Calibration curve; default SpO2 = 110 − 25·R. */
  calibration?: Spo2Calibration;
  /** Mean IR level (ADC counts) below which no finger covers the sensor; default 20 000. */
  fingerThreshold?: number;
  /** ADC full scale (18-bit MAX30102: 262 143); samples at or near it, or at 0, are clipped. */
  fullScale?: number;
  /** Largest share of clipped samples accepted; default 0.01. */
  maxClippedFraction?: number;
  /** Lowest perfusion index (IR AC/DC, %) measured; default 0.2. */
  minPerfusionIndex?: number;
  /** Lowest red/IR correlation of the pulsatile signals; default 0.8. */
  minCorrelation?: number;
  /** Lowest normalised autocorrelation at the pulse period; default 0.5. */
  minPeriodicity?: number;
  /** Largest share of beats rejected as motion before the whole window is refused; default 0.5. */
  maxBadBeatFraction?: number;
  /** Largest interquartile spread of per-beat R relative to its median; default 0.15. */
  maxRatioSpread?: number;
  /** Fewest good beats needed; default 4 (a 10 s window holds 6–7 at 45 bpm). */
  minBeats?: number;
  /** Heart-rate search range in bpm; default 40–200. */
  minBpm?: number;
  maxBpm?: number;
}

/** Why a window was refused. */
export type PpgReason =
  | 'too-short' | 'no-finger' | 'clipping' | 'low-perfusion' | 'no-pulse' | 'motion'
  | 'low-correlation' | 'unstable-ratio' | 'implausible';

export const ppgReasonMessages: Record<PpgReason, string> = {
  'too-short': 'The recording is too short to measure',
  'no-finger': 'No finger on the sensor',
  clipping: 'The signal is saturated (too much light or pressure)',
  'low-perfusion': 'The pulse is too weak to measure (cold hand or light contact)',
  'no-pulse': 'No regular pulse was found',
  motion: 'The finger moved during the measurement',
  'low-correlation': 'The red and infrared signals disagree (movement or ambient light)',
  'unstable-ratio': 'The readings varied too much from beat to beat',
  implausible: 'The result is outside the plausible range',
};

export const referenceLabel = 'reference value, not a diagnosis' as const;

export interface PpgResult {
  /** Beats per minute, rounded; null when refused. */
  heartRate: number | null;
  /** Percent, rounded; null when refused. */
  spo2: number | null;
  /** IR AC/DC in percent, when a pulse was found. */
  perfusionIndex: number | null;
  /** 0–1: how periodic, how coherent between channels and how free of motion the window was. */
  quality: number;
  /** Null when measured; otherwise why not. */
  reason: PpgReason | null;
  /** Plain words for the reason, or the label when measured. */
  message: string;
  /** Median ratio of ratios, when computed. */
  ratio: number | null;
  /** Beats used. */
  beats: number;
  label: typeof referenceLabel;
}

const defaults = {
  fingerThreshold: 20_000,
  fullScale: 262_143,
  maxClippedFraction: 0.01,
  minPerfusionIndex: 0.2,
  minCorrelation: 0.8,
  minPeriodicity: 0.5,
  maxBadBeatFraction: 0.5,
  maxRatioSpread: 0.15,
  minBeats: 4,
  minBpm: 40,
  maxBpm: 200,
};

/**
 * Pass band: 0.6 Hz (fourth order) keeps 45 bpm within 1 dB and removes breathing wander and
 * drift; 5 Hz keeps the second harmonic of 150 bpm.
 */
const passBandHz: [number, number] = [0.6, 5];
/** The band-pass settles within a second; that much is dropped from the start of every window. */
const settleSeconds = 1;

const filterCache = new Map<number, ReturnType<typeof bandPass>>();
function filterFor(rateHz: number): ReturnType<typeof bandPass> {
  let f = filterCache.get(rateHz);
  if (!f) {
    f = bandPass(passBandHz[0], passBandHz[1], rateHz);
    filterCache.set(rateHz, f);
  }
  return f;
}

/**
 * Working arrays reused from one window to the next: the station analyses a 10 s window every
 * second while a signal is refused, and allocating (then collecting) nine arrays per window cost
 * more than some of the arithmetic. The analysis runs synchronously to its end, so one set serves
 * every call; arrays handed out are always overwritten (or cleared) before they are read.
 */
class Scratch {
  capacity = 0;
  bpIr = new Float64Array(0);
  bpRed = new Float64Array(0);
  magnitudes = new Float64Array(0);
  clean = new Float64Array(0);
  coarse = new Float64Array(0);
  masked = new Uint8Array(0);
  /** Full-rate autocorrelation by lag; NaN where not computed yet for this window. */
  acByLag = new Float64Array(0);

  reserve(n: number): void {
    if (n <= this.capacity) return;
    this.capacity = n;
    this.bpIr = new Float64Array(n);
    this.bpRed = new Float64Array(n);
    this.magnitudes = new Float64Array(n);
    this.clean = new Float64Array(n);
    this.coarse = new Float64Array(n);
    this.masked = new Uint8Array(n);
    this.acByLag = new Float64Array(n + 2);
  }
}

const scratch = new Scratch();

function refused(reason: PpgReason, extra: Partial<PpgResult> = {}): PpgResult {
  return {
    heartRate: null,
    spo2: null,
    perfusionIndex: null,
    quality: 0,
    ratio: null,
    beats: 0,
    ...extra,
    reason,
    message: ppgReasonMessages[reason],
    label: referenceLabel,
  };
}

function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** The k-th smallest value (Hoare's quickselect); reorders `values`. */
function selectKth(values: Float64Array, k: number): number {
  let lo = 0;
  let hi = values.length - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const t = values[i]!;
        values[i] = values[j]!;
        values[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return values[k]!;
  }
  return values[k]!;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/**
 * out[k] = Σ x[i]·x[i+k] / energy for k in [fromLag, toLag], over the first n values. Four lags run
 * side by side: each sum is a chain of dependent additions (latency-bound), so interleaving four
 * chains keeps the processor busy. Every sum still adds its terms one by one in ascending i, so the
 * figures are exactly those of one loop per lag.
 */
function autocorrelate(x: Float64Array, n: number, fromLag: number, toLag: number, energy: number, out: Float64Array): void {
  let k = fromLag;
  for (; k + 3 <= toLag; k += 4) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    const common = n - k - 3;
    let i = 0;
    for (; i < common; i++) {
      const v = x[i]!;
      s0 += v * x[i + k]!;
      s1 += v * x[i + k + 1]!;
      s2 += v * x[i + k + 2]!;
      s3 += v * x[i + k + 3]!;
    }
    // The longer sums (shorter lags) finish alone, still in ascending i.
    for (let j = Math.max(0, i); j + k + 2 < n; j++) s2 += x[j]! * x[j + k + 2]!;
    for (let j = Math.max(0, i); j + k + 1 < n; j++) s1 += x[j]! * x[j + k + 1]!;
    for (let j = Math.max(0, i); j + k < n; j++) s0 += x[j]! * x[j + k]!;
    out[k] = s0 / energy;
    out[k + 1] = s1 / energy;
    out[k + 2] = s2 / energy;
    out[k + 3] = s3 / energy;
  }
  for (; k <= toLag; k++) {
    let sum = 0;
    for (let i = 0; i + k < n; i++) sum += x[i]! * x[i + k]!;
    out[k] = sum / energy;
  }
}

/**
 * Analyses one window of samples (red and IR of equal length, ADC counts) taken at `rateHz`.
 * Pure: the same samples always give the same result.
 */
export function analyzePpg(
  red: ArrayLike<number>,
  ir: ArrayLike<number>,
  rateHz: number,
  options: PpgAnalysisOptions = {},
): PpgResult {
  const o = { ...defaults, ...options };
  const calibration = options.calibration ?? defaultCalibration;
  const n = Math.min(red.length, ir.length);
  const settle = Math.round(settleSeconds * rateHz);
  if (n - settle < rateHz * 4) return refused('too-short');

  // Finger presence: with the LEDs on and no finger, almost no light comes back (datasheet
  // "Proximity function": the IR level is far below a covered sensor's).
  // One pass for the levels and the clipped count (each sum still in ascending order).
  let sumIrLevel = 0;
  let sumRedLevel = 0;
  let clipped = 0;
  const top = o.fullScale * 0.995;
  for (let i = 0; i < n; i++) {
    const r = red[i]!;
    const v = ir[i]!;
    if (r >= top || v >= top || r <= 0 || v <= 0) clipped++;
    if (i >= settle) {
      sumIrLevel += v;
      sumRedLevel += r;
    }
  }
  const dcIr = sumIrLevel / (n - settle);
  const dcRed = sumRedLevel / (n - settle);
  if (dcIr < o.fingerThreshold || dcRed < o.fingerThreshold / 4) return refused('no-finger');
  if (clipped / n > o.maxClippedFraction) return refused('clipping');

  const filter = filterFor(rateHz);
  scratch.reserve(n);
  const bpIrFull = scratch.bpIr.subarray(0, n);
  const bpRedFull = scratch.bpRed.subarray(0, n);
  applyBandPassPair(filter, ir, bpIrFull, red, bpRedFull);
  const bpIr = bpIrFull.subarray(settle);
  const bpRed = bpRedFull.subarray(settle);
  const m = bpIr.length;

  // Motion: a moving finger swings the light by several pulse heights. Samples beyond a robust
  // bound (the median absolute level times six, about twice a clean pulse's peak) and half a
  // second around them are masked: they take no part in the period or the ratio.
  const magnitudes = scratch.magnitudes.subarray(0, m);
  const masked = scratch.masked.subarray(0, m);
  for (let i = 0; i < m; i++) {
    magnitudes[i] = Math.abs(bpIr[i]!);
    masked[i] = 0;
  }
  const bound = 6 * selectKth(magnitudes, m >> 1);
  const guard = Math.round(rateHz / 2);
  let maskedCount = 0;
  for (let i = 0; i < m; i++) {
    // Red's pulse is R times IR's in relative terms (R ≤ ~1.2 for any SpO2 measured), so a red
    // swing beyond three times the IR bound, scaled by the levels, is movement too.
    if (Math.abs(bpIr[i]!) > bound || Math.abs(bpRed[i]!) > bound * (dcRed / dcIr) * 3) {
      for (let j = Math.max(0, i - guard); j < Math.min(m, i + guard + 1); j++) masked[j] = 1;
    }
  }
  const clean = scratch.clean.subarray(0, m);
  for (let i = 0; i < m; i++) {
    if (masked[i]) {
      maskedCount++;
      clean[i] = 0;
    } else clean[i] = bpIr[i]!;
  }
  if (maskedCount > m / 2) return refused('motion', { quality: 0 });

  // Pulse period: the normalised autocorrelation's first strong peak in the heart-rate range. The
  // first (shortest lag) peak within 80% of the best avoids locking on a multiple of the period.
  // The search runs on the trace decimated to about 25 Hz (the band stops at 5 Hz), then the peak
  // is refined at the full rate.
  const minLag = Math.max(2, Math.floor((60 * rateHz) / o.maxBpm));
  const maxLag = Math.min(m - 2, Math.ceil((60 * rateHz) / o.minBpm));
  const d = Math.max(1, Math.floor(rateHz / 25));
  const md = Math.floor(m / d);
  const coarse = scratch.coarse.subarray(0, md);
  // The full-rate energy is summed in the same pass, in the same (ascending) order.
  let energy = 0;
  for (let i = 0; i < md; i++) {
    let sum = 0;
    for (let j = 0; j < d; j++) {
      const v = clean[i * d + j]!;
      sum += v;
      energy += v * v;
    }
    coarse[i] = sum / d;
  }
  for (let i = md * d; i < m; i++) energy += clean[i]! * clean[i]!;
  let energyCoarse = 0;
  for (let i = 0; i < md; i++) energyCoarse += coarse[i]! * coarse[i]!;
  if (energyCoarse === 0) return refused('no-pulse');
  const minLagD = Math.max(1, Math.floor(minLag / d));
  const maxLagD = Math.min(md - 2, Math.ceil(maxLag / d));
  const acd = new Float64Array(maxLagD + 2);
  autocorrelate(coarse, md, minLagD - 1, maxLagD + 1, energyCoarse, acd);
  let best = -Infinity;
  for (let k = minLagD; k <= maxLagD; k++) if (acd[k]! > acd[k - 1]! && acd[k]! >= acd[k + 1]! && acd[k]! > best) best = acd[k]!;
  if (best === -Infinity || best <= 0) return refused('no-pulse');
  let lagD = -1;
  for (let k = minLagD; k <= maxLagD; k++) {
    if (acd[k]! > acd[k - 1]! && acd[k]! >= acd[k + 1]! && acd[k]! >= 0.8 * best) {
      lagD = k;
      break;
    }
  }
  // The climb below asks for the same lags again and again (each step looks both ways): each lag
  // is summed once per window.
  const acByLag = scratch.acByLag;
  for (let k = 0; k < m + 2; k++) acByLag[k] = NaN;
  const acAt = (k: number) => {
    const known = acByLag[k]!;
    if (!Number.isNaN(known)) return known;
    let sum = 0;
    for (let i = 0; i + k < m; i++) sum += clean[i]! * clean[i + k]!;
    acByLag[k] = sum / energy;
    return sum / energy;
  };
  let lag = lagD * d;
  // The lags the climb and the parabola almost always need, summed side by side in one pass.
  const reach = d > 1 ? 2 : 1;
  autocorrelate(clean, m, Math.max(0, lag - reach), Math.min(m + 1, lag + reach), energy, acByLag);
  let y1 = acAt(lag);
  if (d > 1) {
    // Climb to the full-rate maximum near the coarse peak.
    for (;;) {
      const up = acAt(lag + 1);
      const down = acAt(lag - 1);
      if (up > y1 && up >= down && lag + 1 <= maxLag) {
        lag++;
        y1 = up;
      } else if (down > y1 && lag - 1 >= minLag) {
        lag--;
        y1 = down;
      } else break;
    }
  }
  // Sub-sample period by a parabola through the peak and its neighbours.
  const y0 = acAt(lag - 1);
  const y2 = acAt(lag + 1);
  const denom = y0 - 2 * y1 + y2;
  const period = lag + (denom < 0 ? (0.5 * (y0 - y2)) / denom : 0);
  // A biased autocorrelation shrinks by (m − lag)/m; undo that so the figure compares across rates.
  const cleanShare = 1 - maskedCount / m;
  const periodicity = Math.min(1, (y1 * (m / (m - lag))) / cleanShare);

  // Beats: troughs of the IR light (the systolic blood-volume peaks absorb most), one per period.
  const half = Math.max(1, Math.round(period * 0.4));
  const troughs: number[] = [];
  for (let i = half; i < m - half; i++) {
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
    if (isMin) troughs.push(i);
  }
  const beatCount = troughs.length - 1;
  if (beatCount < o.minBeats) {
    const reason = periodicity < o.minPeriodicity ? 'no-pulse' : maskedCount > 0 ? 'motion' : 'too-short';
    return refused(reason, { quality: round2(Math.max(0, periodicity)) });
  }

  // Per beat: pulse amplitude, interval, and the ratio of ratios by least squares of red on IR
  // over the whole beat (the same AC ratio as peak-to-trough for a clean pulse, but every sample
  // contributes, so noise averages out instead of inflating the peaks).
  const amplitudes: number[] = [];
  const intervals: number[] = [];
  const ratios: number[] = [];
  for (let b = 0; b < beatCount; b++) {
    const from = troughs[b]!;
    const to = troughs[b + 1]!;
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
    amplitudes.push(hi - lo);
    intervals.push(len);
    ratios.push(sxx > 0 ? ((sxy / sxx) * beatDcIr) / beatDcRed : NaN);
  }

  // Motion: a beat far larger or smaller than the median, or far off the period, is an artefact.
  const medianAmplitude = quantile([...amplitudes].sort((a, b) => a - b), 0.5);
  const good: number[] = [];
  for (let b = 0; b < beatCount; b++) {
    const a = amplitudes[b]!;
    const okAmplitude = a <= 1.8 * medianAmplitude && a >= 0.5 * medianAmplitude;
    const okInterval = Math.abs(intervals[b]! - period) <= 0.25 * period;
    let still = true;
    for (let i = troughs[b]!; i < troughs[b + 1]! && still; i++) if (masked[i]) still = false;
    if (okAmplitude && okInterval && still && Number.isFinite(ratios[b]!)) good.push(b);
  }
  const badFraction = 1 - good.length / beatCount;
  let goodSpan = 0;
  for (const b of good) goodSpan += intervals[b]!;
  // The beats found must agree with the period found; if not, the rhythm was not captured.
  const beatsAgree = good.length > 0 && Math.abs(goodSpan / good.length - period) <= 0.08 * period;

  const heartRate = (60 * rateHz) / period;
  // A period at the edge of the search range is the range talking, not the heart.
  if (heartRate > o.maxBpm || heartRate < o.minBpm) return refused('no-pulse', { quality: round2(Math.max(0, periodicity)) });
  const perfusionIndex = (medianAmplitude / bandPassGainAt(filter, heartRate / 60) / dcIr) * 100;
  const partial = { perfusionIndex: round2(perfusionIndex), beats: good.length };

  if (badFraction > o.maxBadBeatFraction || good.length < o.minBeats) {
    return refused(periodicity < o.minPeriodicity ? 'no-pulse' : 'motion', {
      ...partial,
      quality: round2(Math.max(0, periodicity * (1 - badFraction))),
    });
  }
  if (!beatsAgree) return refused('no-pulse', { ...partial, quality: round2(Math.max(0, periodicity * (1 - badFraction))) });
  if (perfusionIndex < o.minPerfusionIndex) return refused('low-perfusion', { ...partial, quality: round2(Math.max(0, periodicity)) });
  if (periodicity < o.minPeriodicity) return refused('no-pulse', { ...partial, quality: round2(Math.max(0, periodicity)) });

  // Red/IR coherence over the good beats: motion and ambient light break it, blood does not.
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (const b of good) {
    for (let i = troughs[b]!; i < troughs[b + 1]!; i++) {
      const x = bpIr[i]!;
      const y = bpRed[i]!;
      sxy += x * y;
      sxx += x * x;
      syy += y * y;
    }
  }
  const correlation = sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
  const quality = round2(Math.max(0, Math.min(1, periodicity * correlation * (1 - badFraction))));
  if (correlation < o.minCorrelation) return refused('low-correlation', { ...partial, quality });

  const goodRatios = good.map((b) => ratios[b]!).sort((a, b) => a - b);
  const ratio = quantile(goodRatios, 0.5);
  const spread = (quantile(goodRatios, 0.75) - quantile(goodRatios, 0.25)) / ratio;
  if (!(ratio > 0) || spread > o.maxRatioSpread) return refused('unstable-ratio', { ...partial, quality, ratio: ratio > 0 ? ratio : null });

  const unclamped = calibration.a - calibration.b * ratio;
  // Beyond 50% (R ≈ 2.4) or far above 100% the curve is extrapolated: refuse rather than report.
  if (unclamped < 50 || unclamped > 104) return refused('implausible', { ...partial, quality, ratio });

  return {
    heartRate: Math.round(heartRate),
    spo2: Math.round(spo2FromRatio(ratio, calibration)),
    perfusionIndex: round2(perfusionIndex),
    quality,
    reason: null,
    message: referenceLabel,
    ratio: Math.round(ratio * 1000) / 1000,
    beats: good.length,
    label: referenceLabel,
  };
}
