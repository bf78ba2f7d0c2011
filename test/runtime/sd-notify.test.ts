import t from 'tap';
import { SystemdNotifier } from '../../runtime/sd-notify.js';
import { ManualClock } from '../fakes/manual-clock.js';

t.test('WATCHDOG=1 every half period only while healthy; READY and STOPPING once', async (t) => {
  const clock = new ManualClock();
  const sent: string[] = [];
  let healthy = true;
  const notifier = new SystemdNotifier({ send: (m) => sent.push(m), clock, watchdogUsec: 2_000_000, isHealthy: () => healthy });
  notifier.ready('station ready');
  t.same(sent, ['READY=1\nSTATUS=station ready']);
  await clock.advance(999);
  t.equal(sent.length, 1, 'nothing before half the watchdog period');
  await clock.advance(1);
  t.same(sent.slice(1), ['WATCHDOG=1']);
  healthy = false;
  await clock.advance(3000);
  t.equal(sent.filter((m) => m === 'WATCHDOG=1').length, 1, 'no ping while the station is unhealthy, so systemd restarts it');
  healthy = true;
  await clock.advance(1000);
  t.equal(sent.filter((m) => m === 'WATCHDOG=1').length, 2, 'pings resume once healthy');
  notifier.stopping();
  await clock.advance(10_000);
  t.equal(sent.at(-1), 'STOPPING=1');
  t.equal(sent.filter((m) => m === 'WATCHDOG=1').length, 2, 'no ping after STOPPING');
});

t.test('without WATCHDOG_USEC there are no pings', async (t) => {
  const clock = new ManualClock();
  const sent: string[] = [];
  new SystemdNotifier({ send: (m) => sent.push(m), clock, isHealthy: () => true }).ready();
  await clock.advance(60_000);
  t.same(sent, ['READY=1']);
  t.equal(clock.timerCount, 0);
});
