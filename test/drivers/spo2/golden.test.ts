import t from 'tap';
import { readFileSync } from 'node:fs';
import { analyzePpg } from '../../../drivers/spo2/analyze.js';
import type { PpgResult } from '../../../drivers/spo2/analyze.js';
import { PpgSimulator } from '../../../drivers/simulators/ppg.js';
import { seededSpecs, windowsOf } from './seeded-signals.js';

// What the analysis gave on these windows before it was made faster (fresh arrays per window, three
// filter passes, every autocorrelation lag summed each time it was asked for).
const golden = JSON.parse(readFileSync(new URL('./golden-results.json', import.meta.url), 'utf8')) as PpgResult[];

t.test('the faster analysis gives the same results as before on seeded fingers', async (t) => {
  const got: PpgResult[] = [];
  for (const spec of seededSpecs) {
    const rate = spec.rateHz ?? 100;
    const { red, ir } = new PpgSimulator(spec).take(30 * rate);
    // Float64Array windows as the driver passes them, and plain arrays as a CSV caller might.
    for (const [from, to] of windowsOf(red.length, rate)) {
      const r = analyzePpg(red.subarray(from, to), ir.subarray(from, to), rate);
      got.push(got.length % 7 === 0 ? analyzePpg(Array.from(red.subarray(from, to)), Array.from(ir.subarray(from, to)), rate) : r);
    }
  }
  t.equal(got.length, golden.length, 'every window analysed');
  const differs = (key: keyof PpgResult) => got.flatMap((r, i) => (r[key] === golden[i]![key] ? [] : [`window ${i}: ${key} ${String(r[key])} was ${String(golden[i]![key])}`]));
  t.same(differs('heartRate'), [], 'heart rate unchanged in every window');
  t.same(differs('spo2'), [], 'SpO2 unchanged in every window');
  t.same(differs('quality'), [], 'quality unchanged in every window');
  t.same(differs('reason'), [], 'refusal reasons unchanged');
  t.same(got, golden, 'whole results unchanged (ratio, perfusion, beats)');
  // The set must exercise both sides: accepted windows and refusals for several reasons.
  const accepted = golden.filter((r) => r.reason === null).length;
  const reasons = new Set(golden.map((r) => r.reason).filter((r) => r !== null));
  t.ok(accepted > 100 && golden.length - accepted > 100, `${accepted} accepted, ${golden.length - accepted} refused`);
  t.ok(reasons.size >= 4, `refusal reasons covered: ${[...reasons].join(', ')}`);
});

t.test('the reused working arrays do not leak one window into the next', async (t) => {
  const good = new PpgSimulator({ heartRate: 70, spo2: 96, perfusionIndex: 2, seed: 5 }).take(1000);
  const restless = new PpgSimulator({ heartRate: 110, spo2: 88, perfusionIndex: 1, noise: 20, motion: 0.6, seed: 6 }).take(1600);
  const slow = new PpgSimulator({ heartRate: 45, spo2: 99, perfusionIndex: 3, seed: 7, rateHz: 50 }).take(500);
  const alone = analyzePpg(good.red, good.ir, 100);
  analyzePpg(restless.red, restless.ir, 100);
  analyzePpg(slow.red, slow.ir, 50);
  t.same(analyzePpg(good.red, good.ir, 100), alone, 'same result after a longer, restless window and another rate');
  t.equal(alone.reason, null);
});
