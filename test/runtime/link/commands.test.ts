import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { CommandProcessor, COMMAND_NAMES, readPublicKey, signCommand, verifyCommand } from '../../../runtime/link/commands.js';
import type { CommandEnvelope, RejectReason } from '../../../runtime/link/commands.js';
import { openLinkState } from '../../../runtime/platform/document-store.js';
import { FakeLink } from '../../fakes/fake-link.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { silentLogger, tempDir } from '../../fakes/link-test-kit.js';

const logger = silentLogger();
const central = generateKeyPairSync('ed25519');
const stranger = generateKeyPairSync('ed25519');
const pem = (k: KeyObject) => k.export({ type: 'spki', format: 'pem' }).toString();

function envelope(clock: ManualClock, seq: number, over: Partial<CommandEnvelope> = {}): CommandEnvelope {
  return {
    stationId: 'HCM-BT-001', cmdId: `c-${seq}`, seq, issuedAt: clock.now(), expiresAt: clock.now() + 60_000,
    keyId: 'central-1', name: 'maintenance', args: { on: true }, ...over,
  };
}

async function processor(t: Tap, dir: string, clock: ManualClock, link: FakeLink, runs: Array<{ seq: number; persisted: number }>) {
  const state = await openLinkState(dir, logger);
  const p = new CommandProcessor({
    link, clock, logger, state, keys: { 'central-1': pem(central.publicKey) },
    handlers: Object.fromEntries(COMMAND_NAMES.map((n) => [n, async (_args: Record<string, unknown>, ctx: { seq: number }) => {
      const onDisk = JSON.parse(await readFile(join(dir, 'link-state.json'), 'utf8')) as { lastCommandSeq: number };
      runs.push({ seq: ctx.seq, persisted: onDisk.lastCommandSeq });
      return { done: n };
    }])),
  });
  await p.start();
  t.teardown(() => p.stop());
  return p;
}
type Tap = { teardown: (fn: () => unknown) => void };

t.test('keys load from PEM or raw base64; a signed envelope verifies', async (t) => {
  const raw = central.publicKey.export({ type: 'spki', format: 'der' }).subarray(12).toString('base64');
  const fromRaw = readPublicKey(raw);
  const clock = new ManualClock();
  const signed = signCommand(envelope(clock, 1), central.privateKey);
  const res = verifyCommand(Buffer.from(JSON.stringify(signed)), {
    stationId: 'HCM-BT-001', keys: new Map([['central-1', fromRaw]]), now: clock.now(), lastSeq: 0, topicName: 'maintenance',
  });
  t.equal(res.ok, true);
});

// Reliability figure 4.
t.test('10,000 invalid envelopes: none executed; valid ones run exactly once, also across a restart', async (t) => {
  const dir = await tempDir(t);
  const clock = new ManualClock();
  const link = new FakeLink();
  link.setState('connected');
  const runs: Array<{ seq: number; persisted: number }> = [];
  let p = await processor(t, dir, clock, link, runs);

  const valid = [1, 2, 3].map((seq) => signCommand(envelope(clock, seq), central.privateKey));
  for (const v of valid) link.deliver('command', { name: 'maintenance' }, v);
  await p.idle();
  t.same(runs.map((r) => r.seq), [1, 2, 3]);
  t.ok(runs.every((r) => r.persisted === r.seq), 'each seq was on disk before its command ran');
  t.same(link.published.filter((m) => m.name === 'commandResult').map((m) => m.payload), [
    { id: 'c-1', ok: true, data: { done: 'maintenance' } }, { id: 'c-2', ok: true, data: { done: 'maintenance' } }, { id: 'c-3', ok: true, data: { done: 'maintenance' } },
  ], 'answers on cmd/maintenance/res');

  const kinds: Array<[RejectReason, (i: number) => { topic: string; payload: unknown }]> = [
    ['malformed', (i) => ({ topic: 'maintenance', payload: i % 2 ? `{"envelope":${i}` : { envelope: '{"seq":', signature: 'AA' } })],
    ['malformed', (i) => ({ topic: 'maintenance', payload: signCommand({ ...envelope(clock, 100 + i), seq: -1 }, central.privateKey) })],
    ['bad-signature', (i) => {
      const s = signCommand(envelope(clock, 100 + i), central.privateKey);
      return { topic: 'maintenance', payload: { ...s, envelope: s.envelope.replace('"on":true', '"on":false') } };
    }],
    ['bad-signature', (i) => ({ topic: 'maintenance', payload: { ...signCommand(envelope(clock, 100 + i), stranger.privateKey) } })],
    ['unknown-key', (i) => ({ topic: 'maintenance', payload: signCommand(envelope(clock, 100 + i, { keyId: 'stolen' }), stranger.privateKey) })],
    ['wrong-station', (i) => ({ topic: 'maintenance', payload: signCommand(envelope(clock, 100 + i, { stationId: 'HCM-BT-002' }), central.privateKey) })],
    ['name-mismatch', (i) => ({ topic: 'restart', payload: signCommand(envelope(clock, 100 + i), central.privateKey) })],
    ['unknown-command', (i) => ({ topic: 'format-disk', payload: signCommand(envelope(clock, 100 + i, { name: 'format-disk' as 'restart' }), central.privateKey) })],
    ['expired', (i) => ({ topic: 'maintenance', payload: signCommand(envelope(clock, 100 + i, { expiresAt: clock.now() - 1 }), central.privateKey) })],
    ['not-yet-valid', (i) => ({ topic: 'maintenance', payload: signCommand(envelope(clock, 100 + i, { issuedAt: clock.now() + 3_600_000 }), central.privateKey) })],
    ['replayed', (i) => ({ topic: 'maintenance', payload: i % 2 ? valid[i % 3] : signCommand(envelope(clock, 1 + (i % 3)), central.privateKey) })],
  ];
  const picks = fc.sample(fc.tuple(fc.nat({ max: kinds.length - 1 }), fc.nat()), { numRuns: 10_000, seed: 7 });
  const expected: Record<string, number> = {};
  for (const [k, i] of picks) {
    const [reason, make] = kinds[k]!;
    expected[reason] = (expected[reason] ?? 0) + 1;
    const { topic, payload } = make(i);
    link.deliver('command', { name: topic }, payload);
  }
  await p.idle();
  t.equal(runs.length, 3, '0 of 10,000 invalid envelopes executed');
  t.same(p.rejected, expected, 'each was rejected for its own reason');
  t.comment(`figure 4: 10000 invalid envelopes, 0 executed; by reason ${JSON.stringify(p.rejected)}`);

  await p.stop();
  p = await processor(t, dir, clock, link, runs);
  for (const v of valid) link.deliver('command', { name: 'maintenance' }, v);
  await p.idle();
  t.equal(runs.length, 3, 'redelivered valid commands do not run again after a restart');
  t.equal(p.rejected.replayed, 3);
  link.deliver('command', { name: 'maintenance' }, signCommand(envelope(clock, 4), central.privateKey));
  await p.idle();
  t.same(runs.map((r) => r.seq), [1, 2, 3, 4], 'the next seq runs once');
});

t.test('desired config arrives retained on config/desired and is answered on cmd/config/res (its handler reports config/reported)', async (t) => {
  const dir = await tempDir(t);
  const clock = new ManualClock();
  const link = new FakeLink();
  link.setState('connected');
  const runs: Array<{ seq: number; persisted: number }> = [];
  const p = await processor(t, dir, clock, link, runs);
  const desired = signCommand(envelope(clock, 9, { name: 'config', args: { telemetry: { intervalS: 30 } } }), central.privateKey);
  link.deliver('configDesired', {}, desired, { retain: true });
  await p.idle();
  t.same(runs.map((r) => r.seq), [9]);
  t.same(link.published.map((m) => m.topic), ['cds/v1/HCM-BT-001/cmd/config/res']);
  link.deliver('configDesired', {}, desired, { retain: true });
  await p.idle();
  t.equal(link.published.length, 1, 'the retained copy seen again on reconnect is ignored quietly');
});

t.test('a command that throws answers with its error code; a missing handler is rejected', async (t) => {
  const dir = await tempDir(t);
  const clock = new ManualClock();
  const link = new FakeLink();
  link.setState('connected');
  const state = await openLinkState(dir, logger);
  const p = new CommandProcessor({
    link, clock, logger, state, keys: { 'central-1': pem(central.publicKey) },
    handlers: { selftest: async () => { throw Object.assign(new Error('printer'), {}); } },
  });
  await p.start();
  link.deliver('command', { name: 'selftest' }, signCommand(envelope(clock, 1, { name: 'selftest' }), central.privateKey));
  link.deliver('command', { name: 'logs' }, signCommand(envelope(clock, 2, { name: 'logs' }), central.privateKey));
  await p.idle();
  t.match(link.published.map((m) => m.payload), [
    { id: 'c-1', ok: false, error: { code: 'INTERNAL', message: 'printer' } },
    { id: 'c-2', ok: false, error: { code: 'CMD_REJECTED' } },
  ]);
  await p.stop();
});
