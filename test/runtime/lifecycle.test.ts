import t from 'tap';
import pino from 'pino';
import { Lifecycle, type Component } from '../../runtime/lifecycle.js';
import { ManualClock } from '../fakes/manual-clock.js';

const logger = pino({ level: 'silent' });

function component(name: string, log: string[], opts: { optional?: boolean; failStart?: boolean; hangStop?: boolean; failStop?: boolean } = {}): Component {
  return {
    name,
    optional: opts.optional,
    async start() {
      log.push(`start ${name}`);
      if (opts.failStart) throw new Error(`${name} not plugged in`);
    },
    stop() {
      log.push(`stop ${name}`);
      if (opts.hangStop) return new Promise<void>(() => {});
      if (opts.failStop) return Promise.reject(new Error('close failed'));
      return Promise.resolve();
    },
  };
}

t.test('starts in order and stops in reverse', async (t) => {
  const log: string[] = [];
  const lc = new Lifecycle(new ManualClock(), logger);
  lc.add(component('journal', log)).add(component('link', log)).add(component('display', log));
  await lc.start();
  t.same(lc.reports().map((r) => r.state), ['running', 'running', 'running']);
  await lc.stop();
  t.same(log, ['start journal', 'start link', 'start display', 'stop display', 'stop link', 'stop journal']);
  t.same(lc.reports().map((r) => r.state), ['stopped', 'stopped', 'stopped']);
});

t.test('an optional component that fails is isolated and reported', async (t) => {
  const log: string[] = [];
  const lc = new Lifecycle(new ManualClock(), logger);
  lc.add(component('journal', log)).add(component('printer', log, { optional: true, failStart: true })).add(component('display', log));
  await lc.start();
  const printer = lc.reports().find((r) => r.name === 'printer');
  t.equal(printer?.state, 'failed');
  t.match(printer?.error, /not plugged in/);
  t.equal(lc.state('display'), 'running');
  await lc.stop();
  t.notOk(log.includes('stop printer'), 'a component that never started is not stopped');
});

t.test('a required component that fails stops what started and rejects', async (t) => {
  const log: string[] = [];
  const lc = new Lifecycle(new ManualClock(), logger);
  lc.add(component('store', log)).add(component('journal', log, { failStart: true })).add(component('display', log));
  await t.rejects(lc.start(), { code: 'COMPONENT_START_FAILED', message: /journal: journal not plugged in/ });
  t.same(log, ['start store', 'start journal', 'stop store']);
});

t.test('each stop is bounded: a hanging component is abandoned after the timeout', async (t) => {
  const log: string[] = [];
  const clock = new ManualClock();
  const lc = new Lifecycle(clock, logger, { stopTimeoutMs: 300 });
  lc.add(component('journal', log)).add(component('stuck', log, { hangStop: true })).add(component('noisy', log, { failStop: true }));
  await lc.start();
  let done = false;
  const stopping = lc.stop().then(() => (done = true));
  await clock.advance(299);
  t.equal(done, false, 'still waiting on the stuck component');
  t.notOk(log.includes('stop journal'));
  await clock.advance(1);
  await stopping;
  t.same(log.slice(3), ['stop noisy', 'stop stuck', 'stop journal']);
  t.equal(lc.state('stuck'), 'stop-timeout');
  t.equal(lc.state('journal'), 'stopped');
  t.match(lc.reports().find((r) => r.name === 'noisy')?.error, /close failed/);
  t.equal(lc.stop(), lc.stop(), 'stop is idempotent');
});

t.test('components added alongside start together; a required failure among them stops the rest', async (t) => {
  const log: string[] = [];
  const gate: { open?: () => void } = {};
  const slow: Component = {
    name: 'central-link',
    start: () => new Promise<void>((resolve) => {
      log.push('start central-link');
      gate.open = () => {
        log.push('central-link ready');
        resolve();
      };
    }),
    stop: async () => void log.push('stop central-link'),
  };
  const lc = new Lifecycle(new ManualClock(), logger);
  lc.add(component('data-dir', log)).add(slow).alongside(component('devices', log)).add(component('display', log));
  const starting = lc.start();
  await new Promise((r) => setImmediate(r));
  t.same(log, ['start data-dir', 'start central-link', 'start devices'], 'devices started without waiting for the link');
  t.notOk(log.includes('start display'), 'the next group waits for both');
  gate.open!();
  await starting;
  t.same(log.slice(3), ['central-link ready', 'start display']);

  const log2: string[] = [];
  const lc2 = new Lifecycle(new ManualClock(), logger);
  lc2.add(component('data-dir', log2)).add(component('journal', log2, { failStart: true })).alongside(component('devices', log2)).add(component('display', log2));
  await t.rejects(lc2.start(), { code: 'COMPONENT_START_FAILED', message: /journal/ });
  t.same(log2, ['start data-dir', 'start journal', 'start devices', 'stop devices', 'stop data-dir']);
});
