import t from 'tap';
import { analyzeBandPassed, analyzePpg, filterFor, settleSamples, windowLevels } from '../../../drivers/spo2/analyze.js';
import type { PpgResult } from '../../../drivers/spo2/analyze.js';
import { applyBandPass } from '../../../drivers/spo2/filters.js';
import { selectKth } from '../../../drivers/spo2/ppg-math.js';
import { SlidingPpgAnalyzer } from '../../../drivers/spo2/sliding-analysis.js';
import { PpgSimulator } from '../../../drivers/simulators/ppg.js';
import { seededSpecs, windowsOf } from './seeded-signals.js';

/**
 * The same algorithm without any reuse: the whole trace band-passed from its first sample, each
 * window's levels summed and its median selected afresh, troughs and beats found from nothing.
 */
function continuousReference(red: Float64Array, ir: Float64Array, rate: number, from: number, to: number): PpgResult {
  const bpIr = new Float64Array(to);
  const bpRed = new Float64Array(to);
  applyBandPass(filterFor(rate), ir.subarray(0, to), bpIr);
  applyBandPass(filterFor(rate), red.subarray(0, to), bpRed);
  const wRed = red.subarray(from, to);
  const wIr = ir.subarray(from, to);
  const levels = windowLevels(wRed, wIr, to - from, rate);
  if (typeof levels === 'string') return analyzePpg(wRed, wIr, rate);
  const start = from + settleSamples(rate);
  const magnitudes = bpIr.slice(start, to).map(Math.abs);
  return analyzeBandPassed({
    red: wRed, ir: wIr, rateHz: rate, bpIr: bpIr.subarray(start, to), bpRed: bpRed.subarray(start, to), ...levels,
    medianMagnitude: selectKth(magnitudes, magnitudes.length >> 1),
  });
}

interface Run { spec: number; window: number; sliding: PpgResult; fresh: PpgResult; reference: PpgResult }

/** Every seeded finger, 30 s, analysed every second as the station does, pushed in FIFO-sized chunks. */
function slide(chunk: number): Run[] {
  const runs: Run[] = [];
  seededSpecs.forEach((spec, n) => {
    const rate = spec.rateHz ?? 100;
    const { red, ir } = new PpgSimulator(spec).take(30 * rate);
    const analyzer = new SlidingPpgAnalyzer(rate, 10 * rate);
    let pushed = 0;
    windowsOf(red.length, rate).forEach(([from, to], w) => {
      for (; pushed < to; pushed = Math.min(to, pushed + chunk)) {
        const end = Math.min(to, pushed + chunk);
        analyzer.push(red.subarray(pushed, end), ir.subarray(pushed, end));
      }
      runs.push({
        spec: n, window: w, sliding: analyzer.analyze(), fresh: analyzePpg(red.subarray(from, to), ir.subarray(from, to), rate),
        reference: continuousReference(red, ir, rate, from, to),
      });
    });
  });
  return runs;
}

const runs = slide(32);

t.test('the first window is exactly analyzePpg of the same samples', async (t) => {
  const first = runs.filter((r) => r.window === 0);
  t.equal(first.length, seededSpecs.length);
  t.same(first.map((r) => r.sliding), first.map((r) => r.fresh));
});

t.test('every window is exactly the same algorithm run without reuse on the continued band-pass', async (t) => {
  const differ = runs.filter((r) => JSON.stringify(r.sliding) !== JSON.stringify(r.reference)).map((r) => `finger ${r.spec} window ${r.window}`);
  t.same(differ, [], `${runs.length} windows: kept troughs, beats, running levels and the per-sample filter change nothing`);
});

t.test('later windows agree with re-analysing each window from a restarted filter', async (t) => {
  const both = runs.filter((r) => r.sliding.reason === null && r.fresh.reason === null);
  const hr = both.filter((r) => Math.abs(r.sliding.heartRate! - r.fresh.heartRate!) > 1);
  const spo2 = both.filter((r) => Math.abs(r.sliding.spo2! - r.fresh.spo2!) > 1);
  const decided = runs.filter((r) => (r.sliding.reason === null) !== (r.fresh.reason === null));
  t.same(hr, [], 'heart rate within 1 bpm');
  t.same(spo2, [], 'SpO2 within 1 point');
  t.ok(decided.length <= runs.length / 100, `${decided.length} of ${runs.length} windows accepted by one and refused by the other`);
  t.ok(both.length > 100, `${both.length} windows measured by both`);
});

t.test('the chunk size does not matter, and clear starts a new trace', async (t) => {
  t.same(slide(7).map((r) => r.sliding), runs.map((r) => r.sliding), 'chunks of 7 samples give the same results as chunks of 32');
  const { red, ir } = new PpgSimulator({ heartRate: 70, spo2: 96, perfusionIndex: 2, seed: 5 }).take(2500);
  const analyzer = new SlidingPpgAnalyzer(100, 1000);
  analyzer.push(red.subarray(0, 1500), ir.subarray(0, 1500));
  analyzer.clear();
  t.equal(analyzer.length, 0);
  analyzer.push(red.subarray(1500, 2500), ir.subarray(1500, 2500));
  t.same(analyzer.analyze(), analyzePpg(red.subarray(1500, 2500), ir.subarray(1500, 2500), 100), 'after clear, a first window again');
  t.throws(() => analyzer.push([1, NaN], [1, 2]), /sample 1 of the chunk is not a number/);
  t.throws(() => new SlidingPpgAnalyzer(100, 0), /whole number of samples/);
});
