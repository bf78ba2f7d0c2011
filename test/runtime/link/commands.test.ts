import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { CommandProcessor, COMMAND_NAMES, readPublicKey, signCommand, verifyCommand } from '../../../runtime/link/commands.js';
import type { CommandEnvelope, RejectReason } from '../../../runtime/link/commands.js';
import { SeenCommands } from '../../../runtime/link/command-ids.js';
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

async function openSeen(dir: string): Promise<SeenCommands> {
  const seen = new SeenCommands({ dir, logger });
  await seen.open();
  return seen;
}

async function processor(t: Tap, dir: string, clock: ManualClock, link: FakeLink, runs: Array<{ seq: number; persisted: boolean }>) {
  const p = new CommandProcessor({
    link, clock, logger, seen: await openSeen(dir), keys: { 'central-1': pem(central.publicKey) },
    handlers: Object.fromEntries(COMMAND_NAMES.map((n) => [n, async (_args: Record<string, unknown>, ctx: { seq: number; cmdId: string }) => {
      const onDisk = JSON.parse(await readFile(join(dir, 'command-ids.json'), 'utf8')) as { seen: Record<string, number> };
      runs.push({ seq: ctx.seq, persisted: ctx.cmdId in onDisk.seen });
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
    stationId: 'HCM-BT-001', keys: new Map([['central-1', fromRaw]]), now: clock.now(), topicName: 'maintenance',
  });
  t.equal(res.ok, true);
});

// Reliability figure 4.
t.test('10,000 invalid envelopes: none executed; valid ones run exactly once, also across a restart', async (t) => {
  const dir = await tempDir(t);
  const clock = new ManualClock();
  const link = new FakeLink();
  link.setState('connected');
  const runs: Array<{ seq: number; persisted: boolean }> = [];
  let p = await processor(t, dir, clock, link, runs);

  const valid = [1, 2, 3].map((seq) => signCommand(envelope(clock, seq), central.privateKey));
  for (const v of valid) link.deliver('command', { name: 'maintenance' }, v);
  await p.idle();
  t.same(runs.map((r) => r.seq), [1, 2, 3]);
  t.ok(runs.every((r) => r.persisted), 'each command id was on disk before its command ran');
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
  const runs: Array<{ seq: number; persisted: boolean }> = [];
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
  const p = new CommandProcessor({
    link, clock, logger, seen: await openSeen(dir), keys: { 'central-1': pem(central.publicKey) },
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

t.test('a late valid command runs exactly once, in any order, also across a restart; ids are forgotten only after expiry', async (t) => {
  const dir = await tempDir(t);
  const clock = new ManualClock();
  const link = new FakeLink();
  link.setState('connected');
  const runs: Array<{ seq: number; persisted: boolean }> = [];
  let p = await processor(t, dir, clock, link, runs);
  // Central sent 5, 6, 7; the broker delivers 7 first, then the late 5 and 6, then all three again.
  const sent = [5, 6, 7].map((seq) => signCommand(envelope(clock, seq), central.privateKey));
  for (const c of [sent[2]!, sent[0]!, sent[1]!, ...sent]) link.deliver('command', { name: 'maintenance' }, c);
  const proto = signCommand(envelope(clock, 8, { cmdId: '__proto__' }), central.privateKey);
  link.deliver('command', { name: 'maintenance' }, proto);
  link.deliver('command', { name: 'maintenance' }, proto);
  await p.idle();
  t.same(runs.map((r) => r.seq), [7, 5, 6, 8], 'late commands with a lower seq still run, each once');
  t.equal(p.rejected.replayed, 4, 'the second copies are refused as replays');
  t.ok(runs.every((r) => r.persisted), 'each id was on disk before its command ran');

  await p.stop();
  p = await processor(t, dir, clock, link, runs);
  for (const c of [...sent, proto]) link.deliver('command', { name: 'maintenance' }, c);
  await p.idle();
  t.equal(runs.length, 4, 'after a restart none of them runs again');
  t.equal(p.rejected.replayed, 4);

  const tooFar = signCommand(envelope(clock, 9, { expiresAt: clock.now() + 2 * 86_400_000 }), central.privateKey);
  link.deliver('command', { name: 'maintenance' }, tooFar);
  await p.idle();
  t.equal(p.rejected['expiry-too-far'], 1, 'a command valid for longer than the replay window is refused');

  await clock.advance(60_001);
  link.deliver('command', { name: 'maintenance' }, signCommand(envelope(clock, 10), central.privateKey));
  await p.idle();
  const onDisk = JSON.parse(await readFile(join(dir, 'command-ids.json'), 'utf8')) as { seen: Record<string, number> };
  t.same(Object.keys(onDisk.seen), ['c-10'], 'expired ids are dropped: the set stays as small as one expiry window');
  link.deliver('command', { name: 'maintenance' }, sent[0]!);
  await p.idle();
  t.equal(p.rejected.expired, 1, 'a forgotten id cannot be replayed: its command has expired');
  t.equal(runs.length, 5);
});
