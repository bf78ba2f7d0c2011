import t from 'tap';
import { simulateRollout } from '../../scripts/fleet-rollout.js';

t.test('over 100 stations a good release completes and a bad one is halted at its first stage and rolled back', async (t) => {
  const report = await simulateRollout({ stations: 100, seed: 7, badShare: 0.3 });
  t.same(report.outcome['1.1.0'], { halted: false, atStage: 3 });
  t.same(report.stages.filter((s) => s.release === '1.1.0').map((s) => [s.offered, s.committed, s.rolledBack]), [[5, 5, 0], [20, 20, 0], [75, 75, 0]]);
  t.match(report.outcome['1.2.0'], { halted: true, atStage: 1 });
  const bad = report.stages.filter((s) => s.release === '1.2.0');
  t.equal(bad.length, 1, 'no station beyond the first stage was offered the bad release');
  t.ok(bad[0]!.rolledBack >= 1);
  t.equal(bad[0]!.revertedByCentral, bad[0]!.committed, 'the stations where it started were sent back');
  t.same(report.running, { '1.1.0': 100 }, 'the whole fleet runs 1.1.0 again');
});
