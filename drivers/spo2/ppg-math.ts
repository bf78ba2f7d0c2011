/** Small numeric helpers of the PPG analysis, each exact to the operation order the golden results were made with. */

export function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** The k-th smallest value (Hoare's quickselect); reorders `values`. */
export function selectKth(values: Float64Array, k: number): number {
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

export function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/**
 * out[k] = Σ x[i]·x[i+k] / energy for k in [fromLag, toLag], over the first n values. Four lags run
 * side by side: each sum is a chain of dependent additions (latency-bound), so interleaving four
 * chains keeps the processor busy. Every sum still adds its terms one by one in ascending i, so the
 * figures are exactly those of one loop per lag.
 */
export function autocorrelate(x: Float64Array, n: number, fromLag: number, toLag: number, energy: number, out: Float64Array): void {
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
 * Working arrays reused from one window to the next: the station analyses a 10 s window every
 * second while a signal is refused, and allocating (then collecting) nine arrays per window cost
 * more than some of the arithmetic. The analysis runs synchronously to its end, so one set serves
 * every call; arrays handed out are always overwritten (or cleared) before they are read.
 */
export class PpgScratch {
  capacity = 0;
  bpIr = new Float64Array(0);
  bpRed = new Float64Array(0);
  magnitudes = new Float64Array(0);
  clean = new Float64Array(0);
  coarse = new Float64Array(0);
  masked = new Uint8Array(0);
  /** Full-rate autocorrelation by lag; NaN where not computed yet for this window. */
  acByLag = new Float64Array(0);
  /** Decimated autocorrelation by lag. */
  acCoarse = new Float64Array(0);

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
    this.acCoarse = new Float64Array(n + 2);
  }
}
