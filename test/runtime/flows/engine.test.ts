import t from 'tap';
import fc from 'fast-check';
import { fileURLToPath } from 'node:url';
import { loadFlowBundle, formatFlowProblems } from '../../../runtime/flows/bundle.js';
import { defaultEngineConfig, initialSnapshot, persistableSnapshot, transition } from '../../../runtime/flows/engine.js';
import type { EngineDefinition, EngineEvent, FlowSnapshot } from '../../../runtime/flows/engine.js';
import { keys } from '../../../runtime/kernel/input.js';
import { testBundle } from '../../fakes/flow-kit.js';

const ctx = (now: number, n = 1) => ({ now, entropy: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, analyticsId: `00000000-0000-4000-9000-${String(n).padStart(12, '0')}` });

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

t.test('the transition is pure: same input, same output; the input snapshot is never touched', async (t) => {
  const def: EngineDefinition = { bundle: await testBundle(), config: defaultEngineConfig };
  const s0 = deepFreeze(initialSnapshot(defaultEngineConfig));
  const a = transition(def, s0, { type: 'key', key: '1' }, ctx(1000));
  const b = transition(def, s0, { type: 'key', key: '1' }, ctx(1000));
  t.same(a, b);
  t.equal(s0.run, undefined);
  t.match(a.snapshot, { run: { flowId: 'health-check', sessionId: ctx(0).entropy, startedAt: 1000 }, stepId: 'intro' });
  t.match(a.effects, [{ type: 'startTimer', ms: 60_000 }, { type: 'show', screen: { kind: 'info', stepId: 'intro' } }]);
  const started = a.effects.find((e) => e.type === 'startTimer');
  // Time only comes in events: a stale timer id does nothing, the current one acts.
  const s1 = deepFreeze(a.snapshot);
  const stale = transition(def, s1, { type: 'timer', timerId: 't-999' }, ctx(61_000));
  t.equal(stale.snapshot.idleUntil, undefined);
  const due = transition(def, s1, { type: 'timer', timerId: (started as { timerId: string }).timerId }, ctx(61_000));
  t.equal(due.snapshot.idleUntil, 61_000 + 20_000, 'no timeout branch on intro: the idle countdown starts');
  t.match(due.effects.at(-1), { type: 'show', screen: { kind: 'idle-warning', countdown: 20 } });
});

t.test('effects carry what the session must do; results are matched to the effect id', async (t) => {
  const def: EngineDefinition = { bundle: await testBundle(), config: defaultEngineConfig };
  let s: FlowSnapshot = initialSnapshot(defaultEngineConfig);
  const step = (e: EngineEvent, now = 0) => {
    const r = transition(def, s, e, ctx(now));
    s = r.snapshot;
    return r.effects;
  };
  step({ type: 'key', key: '1' });
  step({ type: 'key', key: 'ok' });
  const consent = step({ type: 'key', key: '1' });
  const record = consent.find((e) => e.type === 'record');
  t.match(record, { type: 'record', kind: 'consent', payload: { purpose: 'health-measurement', granted: true }, options: { personal: false } });
  t.equal(s.stepId, 'consent', 'stays until the receipt is durable');
  step({ type: 'recorded', effectId: 'rec-999', eventId: 'x' });
  t.equal(s.stepId, 'consent', 'a result for another effect is ignored');
  step({ type: 'recorded', effectId: (record as { effectId: string }).effectId, eventId: 'st:1:1' });
  t.equal(s.stepId, 'weight');
  const measure = step({ type: 'key', key: 'ok' }).find((e) => e.type === 'measure');
  t.match(measure, { type: 'measure', kind: 'weight' });
  const abort = step({ type: 'key', key: '0' });
  t.match(abort.find((e) => e.type === 'abort'), { effectId: (measure as { effectId: string }).effectId }, 'skipping mid-measurement aborts it');
  t.equal(s.stepId, 'height');
  const wipe = step({ type: 'key', key: 'home' });
  t.ok(wipe.some((e) => e.type === 'wipe'));
  t.match(wipe.find((e) => e.type === 'analytics'), { event: { outcome: 'abandoned', service: 'health-check', steps: [{ stepId: 'intro', outcome: 'ok' }, { stepId: 'consent', outcome: 'ok' }, { stepId: 'weight', outcome: 'skip' }, { stepId: 'height' }] } });
  t.same(s.data, {});
});

t.test('what is persisted never holds the resident data', async (t) => {
  const def: EngineDefinition = { bundle: await testBundle(), config: defaultEngineConfig };
  let s = initialSnapshot(defaultEngineConfig);
  for (const key of ['1', 'ok'] as const) s = transition(def, s, { type: 'key', key }, ctx(0)).snapshot;
  s = { ...s, data: { ...s.data, identity: { id: '079158001234', masked: '079*******34', source: 'typed' } }, step: { ...s.step, value: '0791' } };
  const saved = JSON.stringify(persistableSnapshot(s));
  t.notOk(saved.includes('079158001234'));
  t.notOk(saved.includes('"0791"'));
  t.match(JSON.parse(saved), { stepId: 'consent', run: { flowId: 'health-check' }, data: {} });
});

t.test('random keypad sessions over every shipped flow: no crash, Home always offered and always home', async (t) => {
  const loaded = await loadFlowBundle(fileURLToPath(new URL('../../../flows/', import.meta.url)));
  if (!loaded.ok) {
    t.fail(formatFlowProblems(loaded.problems).join('\n'));
    return;
  }
  const def: EngineDefinition = { bundle: loaded.bundle, config: defaultEngineConfig };
  const answer = { amount: 120000, id: 'B1', status: 'processing', slots: [{ id: 's', label: '9:00' }], hospitals: [{ id: 'h', name: 'BV' }], items: [] };
  const event = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...keys).map((key): EngineEvent => ({ type: 'key', key })) },
    { weight: 1, arbitrary: fc.constant<EngineEvent>({ type: 'emergency' }) },
    { weight: 1, arbitrary: fc.constant<EngineEvent>({ type: 'text', text: '079158001234' }) },
    { weight: 2, arbitrary: fc.constantFrom('timer', 'done', 'fail').map((kind): EngineEvent => ({ type: 'timer', timerId: kind })) },
  );
  fc.assert(fc.property(fc.array(event, { minLength: 1, maxLength: 60 }), (events) => {
    let s = initialSnapshot(defaultEngineConfig);
    let now = 0;
    let pending: EngineEvent[] = [];
    for (const raw of events) {
      now += 1000;
      let e = raw;
      // Stand-ins for the session: fire the current timer, or settle the effect the step waits for.
      if (e.type === 'timer') {
        const id = s.step.effectId;
        if (raw.type === 'timer' && raw.timerId === 'timer' && s.timerId) e = { type: 'timer', timerId: s.timerId };
        else if (raw.type === 'timer' && raw.timerId === 'done' && pending.length > 0) e = pending.shift() as EngineEvent;
        else if (id) e = { type: 'rpc-failed', effectId: id, error: { code: 'RPC_UNAVAILABLE', message: 'offline' } };
        else continue;
      }
      const r = transition(def, s, e, ctx(now));
      s = r.snapshot;
      pending = [];
      for (const fx of r.effects) {
        if (fx.type === 'rpc') pending.push({ type: 'rpc-ok', effectId: fx.effectId, data: answer });
        if (fx.type === 'record') pending.push({ type: 'recorded', effectId: fx.effectId, eventId: 'e' });
        if (fx.type === 'print') pending.push({ type: 'printed', effectId: fx.effectId });
        if (fx.type === 'measure') pending.push({ type: 'measure-failed', effectId: fx.effectId, error: { code: 'DEVICE_READ_FAILED', message: '' } });
      }
      const screen = r.effects.at(-1);
      if (screen?.type !== 'show') return false;
      if (s.run && !screen.screen.keys.some((k) => k.key === 'home')) return false;
    }
    const home = transition(def, s, { type: 'key', key: 'home' }, ctx(now + 1));
    const last = home.effects.at(-1);
    return last?.type === 'show' && ['home', 'maintenance'].includes(last.screen.kind)
      && home.snapshot.run === undefined && Object.keys(home.snapshot.data).length === 0;
  }), { numRuns: 300, seed: 20261125 });
  t.pass('300 random sessions');
});
