import t from 'tap';
import { sleep } from '../../../runtime/kernel/clock.js';
import { ManualClock } from '../../fakes/manual-clock.js';

t.test('sleep resolves only when the manual clock passes the delay', async (t) => {
  const clock = new ManualClock();
  let done = false;
  const p = sleep(clock, 1000).then(() => (done = true));
  await clock.advance(999);
  t.equal(done, false);
  await clock.advance(1);
  await p;
  t.equal(done, true);
});

t.test('sleep rejects with the abort reason and clears its timer', async (t) => {
  const clock = new ManualClock();
  const ac = new AbortController();
  const p = sleep(clock, 1000, ac.signal);
  ac.abort(new Error('walked away'));
  await t.rejects(p, { message: 'walked away' });
  t.equal(clock.timerCount, 0);
});
