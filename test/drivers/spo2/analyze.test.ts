import t from 'tap';
import { analyzePpg, spo2FromRatio, ratioFromSpo2 } from '../../../drivers/spo2/analyze.js';
import { applyBandPass, bandPass, bandPassGainAt } from '../../../drivers/spo2/filters.js';
import { PpgSimulator } from '../../../drivers/simulators/ppg.js';
import { analyzePpgCsv, parsePpgCsv } from '../../../drivers/spo2/ppg-analysis.js';
import { ciGrid, formatReport, measureLikeStation, poorSignals, runAccuracyGrid } from '../../../scripts/spo2-accuracy.js';

const rate = 100;

t.test('band-pass: passes the pulse band, removes DC, breathing drift and high-frequency noise', async (t) => {
  const filter = bandPass(0.5, 5, rate);
  const amplitudeAfter = (hz: number) => {
    const n = 3000;
    const x = Float64Array.from({ length: n }, (_, i) => 100_000 + 100 * Math.sin((2 * Math.PI * hz * i) / rate));
    const y = new Float64Array(n);
    applyBandPass(filter, x, y);
    let peak = 0;
    for (let i = 1000; i < n; i++) peak = Math.max(peak, Math.abs(y[i]!));
    return peak / 100;
  };
  for (const hz of [1, 2]) t.ok(Math.abs(amplitudeAfter(hz) - bandPassGainAt(filter, hz)) < 0.02, `${hz} Hz gain matches the design`);
  t.ok(amplitudeAfter(1.5) > 0.9);
  t.ok(amplitudeAfter(0.05) < 0.05, 'slow drift removed');
  t.ok(amplitudeAfter(25) < 0.05, 'fast noise removed');
});

t.test('calibration curve: default SpO2 = 110 - 25 R, clamped', async (t) => {
  t.equal(spo2FromRatio(0.5), 97.5);
  t.equal(spo2FromRatio(0.2), 100);
  t.equal(spo2FromRatio(5), 0);
  t.equal(ratioFromSpo2(85), 1);
  t.equal(spo2FromRatio(1, { a: 104, b: 17 }), 87);
});

t.test('a clean synthetic finger gives its heart rate, SpO2 and perfusion back', async (t) => {
  const { red, ir } = new PpgSimulator({ heartRate: 84, spo2: 93, perfusionIndex: 1.5, noise: 5, seed: 42 }).take(1100);
  const r = analyzePpg(red, ir, rate);
  t.equal(r.reason, null);
  t.ok(Math.abs(r.heartRate! - 84) <= 2, `hr ${r.heartRate}`);
  t.ok(Math.abs(r.spo2! - 93) <= 1, `spo2 ${r.spo2}`);
  t.ok(Math.abs(r.perfusionIndex! - 1.5) < 0.3, `pi ${r.perfusionIndex}`);
  t.ok(r.quality > 0.8, `quality ${r.quality}`);
  t.equal(r.label, 'reference value, not a diagnosis');
  t.same(analyzePpg(red, ir, rate), r, 'pure: same samples, same result');
});

t.test('the calibration is configurable end to end', async (t) => {
  const calibration = { a: 104, b: 17 };
  const { red, ir } = new PpgSimulator({ heartRate: 70, spo2: 90, perfusionIndex: 2, calibration, seed: 9 }).take(1100);
  t.ok(Math.abs(analyzePpg(red, ir, rate, { calibration }).spo2! - 90) <= 1);
  t.not(analyzePpg(red, ir, rate).spo2, analyzePpg(red, ir, rate, { calibration }).spo2, 'the curve matters');
});

t.test('other sample rates', async (t) => {
  const { red, ir } = new PpgSimulator({ heartRate: 120, spo2: 96, perfusionIndex: 2, rateHz: 50, seed: 3 }).take(550);
  const r = analyzePpg(red, ir, 50);
  t.equal(r.reason, null);
  t.ok(Math.abs(r.heartRate! - 120) <= 3);
});

t.test('poor signals are refused with a reason, never guessed', async (t) => {
  const expected: Record<string, string[]> = {
    'no finger': ['no-finger'],
    'perfusion 0.05%': ['no-pulse', 'low-perfusion'],
    'noise swamps pulse': ['no-pulse', 'low-correlation', 'unstable-ratio', 'motion'],
    'constant motion': ['no-pulse', 'motion', 'low-correlation', 'unstable-ratio'],
    'saturated ADC': ['clipping'],
  };
  for (const p of poorSignals()) {
    const { result } = measureLikeStation(p.spec);
    t.equal(result.heartRate, null, `${p.name}: no heart rate`);
    t.equal(result.spo2, null, `${p.name}: no SpO2`);
    t.ok(expected[p.name]!.includes(result.reason!), `${p.name}: ${result.reason}`);
    t.type(result.message, 'string');
  }
  const short = new PpgSimulator({ heartRate: 70, spo2: 97, perfusionIndex: 2 }).take(300);
  t.equal(analyzePpg(short.red, short.ir, rate).reason, 'too-short');
  // Red from another person's pulse: the channels disagree.
  const a = new PpgSimulator({ heartRate: 70, spo2: 97, perfusionIndex: 2, seed: 1 }).take(1100);
  const b = new PpgSimulator({ heartRate: 97, spo2: 97, perfusionIndex: 2, seed: 2 }).take(1100);
  const mixed = analyzePpg(b.red, a.ir, rate);
  t.ok(['low-correlation', 'unstable-ratio'].includes(mixed.reason!), `mismatched channels: ${mixed.reason}`);
  t.equal(mixed.spo2, null);
});

t.test('accuracy on the seeded synthetic grid (CI size)', async (t) => {
  const report = runAccuracyGrid(ciGrid);
  t.comment(formatReport('SpO2/HR accuracy, CI grid', report));
  t.ok(report.spo2Arms <= 2, `SpO2 Arms ${report.spo2Arms.toFixed(2)} <= 2`);
  t.ok(report.heartRateRmse <= 3, `HR RMSE ${report.heartRateRmse.toFixed(2)} <= 3`);
  // Refusals concentrate on perfusion 0.3% (a cold finger), where channel drift rivals the pulse.
  for (const [k, v] of Object.entries(report.acceptance)) {
    if (k.startsWith('motion 0 /')) t.ok(v.accepted >= 0.9 * v.cases, `${k}: ${v.accepted}/${v.cases} still fingers measured`);
    else t.ok(v.accepted >= 0.8 * v.cases, `${k}: ${v.accepted}/${v.cases} measured despite some motion`);
  }
});

function csvOf(red: ArrayLike<number>, ir: ArrayLike<number>, eol = '\n'): string {
  const rows = ['red,ir'];
  for (let i = 0; i < red.length; i++) rows.push(`${red[i]},${ir[i]}`);
  return rows.join(eol) + eol;
}

t.test('analyze-ppg: a recorded trace', async (t) => {
  const { red, ir } = new PpgSimulator({ heartRate: 66, spo2: 95, perfusionIndex: 1, noise: 8, seed: 5 }).take(3000);
  const report = analyzePpgCsv(csvOf(red, ir, '\r\n'));
  t.equal(report.reason, null);
  t.ok(Math.abs(report.heartRate! - 66) <= 2);
  t.ok(Math.abs(report.spo2! - 95) <= 1);
  t.same(report.windows, { analysed: 5, accepted: 5 });
  t.equal(report.samples, 3000);
  t.equal(report.seconds, 30);
  t.equal(report.label, 'reference value, not a diagnosis');
  t.same(JSON.parse(JSON.stringify(report)), report, 'plain JSON');

  const slow = new PpgSimulator({ heartRate: 66, spo2: 95, perfusionIndex: 1, rateHz: 50, seed: 5 }).take(1000);
  const at50 = analyzePpgCsv(csvOf(slow.red, slow.ir), 50);
  t.ok(Math.abs(at50.heartRate! - 66) <= 2, '--rate 50');
  t.equal(analyzePpgCsv('ir,red,time\n' + Array.from({ length: 1100 }, (_, i) => `${ir[i]},${red[i]},${i}`).join('\n'), 100).spo2, analyzePpgCsv(csvOf(red.subarray(0, 1100), ir.subarray(0, 1100))).spo2, 'columns found by name');
});

t.test('analyze-ppg: unmeasurable traces give nulls and a reason', async (t) => {
  const none = new PpgSimulator({ heartRate: 70, spo2: 97, perfusionIndex: 2, finger: false }).take(1500);
  const r = analyzePpgCsv(csvOf(none.red, none.ir));
  t.equal(r.heartRate, null);
  t.equal(r.spo2, null);
  t.equal(r.reason, 'no-finger');
  t.match(r.message, /finger/);
  t.equal(analyzePpgCsv('red,ir\n1,2\n').reason, 'too-short');
});

t.test('analyze-ppg: bad CSV names the line', async (t) => {
  t.throws(() => parsePpgCsv(''), { code: 'INPUT_INVALID', message: /line 1/ });
  t.throws(() => parsePpgCsv('time,value\n1,2\n'), { code: 'INPUT_INVALID', message: /line 1: expected a header/ });
  t.throws(() => parsePpgCsv('red,ir\n1,2\n3\n'), { code: 'INPUT_INVALID', message: /^line 3: expected 2 values/ });
  t.throws(() => parsePpgCsv('red,ir\r\n1,2\r\n\r\n5,abc\r\n'), { code: 'INPUT_INVALID', message: /^line 4: / });
  t.throws(() => parsePpgCsv('red,ir\n1,-2\n'), { code: 'INPUT_INVALID', message: /^line 2: / });
  t.throws(() => parsePpgCsv('red,ir\n1,\n'), { code: 'INPUT_INVALID', message: /^line 2: / });
  t.throws(() => analyzePpgCsv('red,ir\n1,2\n', 0), { code: 'INPUT_INVALID', message: /--rate/ });
  t.same(parsePpgCsv('\uFEFFRed , IR\n1,2\n\n3,4'), { red: Float64Array.of(1, 3), ir: Float64Array.of(2, 4) });
});
