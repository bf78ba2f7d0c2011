import t from 'tap';
import pino from 'pino';
import { Lifecycle, type Component } from '../../../runtime/kernel/lifecycle.js';
import { ManualClock } from '../../fakes/manual-clock.js';

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

/** A component whose start waits until the test opens its gate. */
function gated(name: string, log: string[], opts: { optional?: boolean; failStart?: boolean } = {}): Component & { open(): void } {
  let open: (() => void) | undefined;
  return {
    name,
    optional: opts.optional,
    start: () =>
      new Promise<void>((resolve, reject) => {
        log.push(`start ${name}`);
        open = () => {
          log.push(`${name} ready`);
          if (opts.failStart) reject(new Error(`${name} failed`));
          else resolve();
        };
      }),
    stop: async () => void log.push(`stop ${name}`),
    open: () => open!(),
  };
}

const settle = () => new Promise((r) => setImmediate(r));

t.test('a component starts as soon as what it comes after runs; independent chains overlap', async (t) => {
  const log: string[] = [];
  const devices = gated('devices', log);
  const link = gated('central-link', log);
  const lc = new Lifecycle(new ManualClock(), logger);
  lc.add(component('data-dir', log))
    .add(link, { after: ['data-dir'] })
    .add(devices, { after: ['data-dir'] })
    .add(component('flows', log), { after: ['central-link'] })
    .add(component('display', log))
    .add(component('technician', log), { after: ['devices', 'central-link'] });
  let done = false;
  const starting = lc.start().then(() => (done = true));
  await settle();
  t.same(log, ['start data-dir', 'start central-link', 'start devices'], 'the link and the devices start together');
  link.open();
  await settle();
  t.same(log.slice(3), ['central-link ready', 'start flows', 'start display'], 'the flows and the display do not wait for the device probes');
  t.equal(done, false, 'the start waits for the slowest chain');
  t.equal(lc.state('technician'), 'idle', 'a component that needs the devices waits for them');
  devices.open();
  await starting;
  t.same(log.slice(6), ['devices ready', 'start technician']);
  await lc.stop();
  t.same(log.slice(8), ['stop technician', 'stop display', 'stop flows', 'stop devices', 'stop central-link', 'stop data-dir'], 'stop runs in reverse of the start order, dependents first');
});

t.test('a required failure starts nothing new, lets the starts under way finish and stops what started', async (t) => {
  const log: string[] = [];
  const journal = gated('journal', log, { failStart: true });
  const devices = gated('devices', log);
  const lc = new Lifecycle(new ManualClock(), logger);
  lc.add(component('data-dir', log))
    .add(journal, { after: ['data-dir'] })
    .add(devices, { after: ['data-dir'] })
    .add(component('display', log), { after: ['journal'] })
    .add(component('printer', log), { after: ['devices'] });
  const starting = lc.start();
  await settle();
  journal.open();
  await settle();
  t.same(log, ['start data-dir', 'start journal', 'start devices', 'journal ready'], 'the stop waits for the device start under way');
  devices.open();
  await t.rejects(starting, { code: 'COMPONENT_START_FAILED', message: /journal: journal failed/ });
  t.same(log.slice(4), ['devices ready', 'stop devices', 'stop data-dir'], 'the printer never starts; what started is stopped');
  t.equal(lc.state('display'), 'idle');
  t.equal(lc.state('printer'), 'idle');
});

t.test('an optional component that failed does not hold back what comes after it', async (t) => {
  const log: string[] = [];
  const lc = new Lifecycle(new ManualClock(), logger);
  lc.add(component('analytics', log, { optional: true, failStart: true })).add(component('flows', log), { after: ['analytics'] });
  await lc.start();
  t.equal(lc.state('analytics'), 'failed');
  t.equal(lc.state('flows'), 'running');
});

t.test('a stop during the start lets no further component begin', async (t) => {
  const log: string[] = [];
  const link = gated('central-link', log);
  const lc = new Lifecycle(new ManualClock(), logger);
  lc.add(component('data-dir', log)).add(link).add(component('flows', log));
  const starting = lc.start();
  await settle();
  const stopping = lc.stop();
  link.open();
  await Promise.all([starting, stopping]);
  t.notOk(log.includes('start flows'), 'nothing starts once the stop began');
  t.ok(log.includes('stop data-dir'));
});

t.test('after names a component added before it, or the add throws', async (t) => {
  const lc = new Lifecycle(new ManualClock(), logger);
  lc.add(component('display', []));
  t.throws(() => lc.add(component('flows', []), { after: ['journal'] }), /"flows" comes after "journal", which was not added before it/);
  t.throws(() => lc.add(component('display', [])), /added twice/);
});

t.test('running(name) waits for a component\'s start and says when it will not run', async (t) => {
  const log: string[] = [];
  const link = gated('central-link', log);
  const lc = new Lifecycle(new ManualClock(), logger);
  lc.add(component('data-dir', log))
    .add(link, { after: ['data-dir'] })
    .add(component('printer', log, { optional: true, failStart: true }), { after: ['data-dir'] })
    .add(component('flows', log), { after: ['data-dir'] });
  const waited: string[] = [];
  const starting = lc.start();
  const linkRunning = lc.running('central-link').then(() => waited.push('central-link running'));
  await settle();
  t.ok(log.includes('start flows'), 'the flow session did not wait for the link');
  t.same(waited, [], 'a caller waits while the link starts');
  link.open();
  await Promise.all([starting, linkRunning]);
  t.same(waited, ['central-link running']);
  await t.resolves(lc.running('central-link'), 'a running component answers at once');
  await t.rejects(lc.running('printer'), { code: 'NOT_RUNNING', message: /printer failed to start: printer not plugged in/ });
  await lc.stop();
  await t.rejects(lc.running('central-link'), { code: 'NOT_RUNNING', message: /central-link is stopped/ });
  await t.rejects(lc.running('journal'), /no component "journal"/);

  const lc2 = new Lifecycle(new ManualClock(), logger);
  lc2.add(component('journal', [], { failStart: true })).add(component('display', []));
  const display = lc2.running('display');
  await t.rejects(lc2.start(), { code: 'COMPONENT_START_FAILED' });
  await t.rejects(display, { code: 'NOT_RUNNING', message: /display was not started: the station start was given up/ });
});
