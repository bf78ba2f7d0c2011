import t from 'tap';
import { BandPassStream, applyBandPass, applyBandPassPair, bandPass } from '../../../drivers/spo2/filters.js';
import { PpgLiveTrace } from '../../../drivers/spo2/live-trace.js';
import { PpgSimulator } from '../../../drivers/simulators/ppg.js';

const { red, ir } = new PpgSimulator({ heartRate: 80, spo2: 95, perfusionIndex: 1.5, noise: 10, seed: 9 }).take(1000);

t.test('the one-loop, two-channel and sample-by-sample band-pass agree exactly', async (t) => {
  const filter = bandPass(0.6, 5, 100);
  const a = new Float64Array(1000);
  const b = new Float64Array(1000);
  const pairIr = new Float64Array(1000);
  const pairRed = new Float64Array(1000);
  applyBandPass(filter, ir, a);
  applyBandPassPair(filter, ir, pairIr, red, pairRed);
  applyBandPass(filter, red, b);
  t.same(pairIr, a, 'IR identical');
  t.same(pairRed, b, 'red identical');
  const stream = new BandPassStream(filter);
  const streamed = Float64Array.from(ir.subarray(0, 500), (v) => stream.step(v));
  t.same(streamed, a.subarray(0, 500));
  stream.reset();
  t.equal(stream.step(ir[700]!), 0, 'after a reset the next sample is the new offset');
});

t.test('live trace: 100 Hz averaged to 50 points/s across chunk borders, inverted, restartable', async (t) => {
  const trace = new PpgLiveTrace(100);
  const points = [...trace.push(Array.from(ir.subarray(0, 7))), ...trace.push(Array.from(ir.subarray(7, 600)))];
  t.equal(points.length, 300, 'odd chunk sizes carry the half point over');
  const whole = new Float64Array(600);
  applyBandPass(bandPass(0.6, 5, 100), ir.subarray(0, 600), whole);
  t.equal(points[100], Math.round(-(whole[200]! + whole[201]!) / 2), 'a point is the negated mean of two filtered samples');
  trace.reset();
  t.same(trace.push([ir[0]!, ir[1]!]), [Math.round(-(whole[0]! + whole[1]!) / 2)], 'reset starts afresh');
});
