import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { TimeTrust } from '../../../runtime/platform/time-trust.js';
import { CommandProcessor, signCommand } from '../../../runtime/link/commands.js';
import { FakeLink } from '../../fakes/fake-link.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { silentLogger, tempDir } from '../../fakes/link-test-kit.js';
import { SeenCommands } from '../../../runtime/link/command-ids.js';

const built = Date.parse('2026-11-20T08:00:00Z');

t.test('a clock before the build date is not trusted, and says why', async (t) => {
  // A board without a clock chip that booted from an image saved at 1 January 2025.
  const clock = new ManualClock(Date.parse('2025-01-01T00:00:00Z'));
  let synced = false;
  const trust = new TimeTrust({ clock, notBefore: built, synchronized: () => synced });
  t.equal(trust.trusted(), false);
  t.same(trust.status(), {
    trusted: false,
    reason: 'the clock says 2025-01-01T00:00:00.000Z, before this release was built; waiting for time sync',
    notBefore: '2026-11-20T08:00:00.000Z',
    synchronized: false,
  });
  await clock.advance(built - clock.now());
  synced = true;
  t.equal(trust.trusted(), true, 'trusted from the build date on');
  t.same(trust.status(), { trusted: true, notBefore: '2026-11-20T08:00:00.000Z', synchronized: true });
});

t.test('no command runs while the clock is implausible; the same command runs once it is set', async (t) => {
  const central = generateKeyPairSync('ed25519');
  const clock = new ManualClock(Date.parse('2025-01-01T00:00:00Z'));
  const trust = new TimeTrust({ clock, notBefore: built });
  const link = new FakeLink();
  link.setState('connected');
  const runs: string[] = [];
  const logger = silentLogger();
  const p = new CommandProcessor({
    link, clock, logger, seen: await openSeenCommands(await tempDir(t), logger),
    keys: { 'central-1': central.publicKey.export({ type: 'spki', format: 'pem' }).toString() },
    handlers: { selftest: async () => { runs.push('selftest'); return {}; } },
    clockTrusted: () => trust.trusted(),
  });
  await p.start();
  t.teardown(() => p.stop());
  // Central's clock is right: the command was issued now, in real time, and expires in a minute.
  const issuedAt = built + 3_600_000;
  const command = signCommand({ stationId: 'HCM-BT-001', cmdId: 'c-1', seq: 3, issuedAt, expiresAt: issuedAt + 60_000, keyId: 'central-1', name: 'selftest', args: {} }, central.privateKey);
  link.deliver('command', { name: 'selftest' }, command);
  await p.idle();
  t.same(runs, []);
  t.equal(p.rejected['clock-untrusted'], 1);
  t.match(link.published[0]!.payload, { ok: false, error: { code: 'CMD_REJECTED', message: 'clock-untrusted' } });
  // A command captured long ago, expired for years, but not by the station's wrong clock.
  const old = Date.parse('2024-12-31T23:59:30Z');
  link.deliver('command', { name: 'selftest' }, signCommand({ stationId: 'HCM-BT-001', cmdId: 'c-old', seq: 2, issuedAt: old, expiresAt: old + 60_000, keyId: 'central-1', name: 'selftest', args: {} }, central.privateKey));
  await p.idle();
  t.same(runs, [], 'an expired command does not run on a clock that has not reached its expiry');
  t.equal(p.rejected['clock-untrusted'], 2);
  await clock.advance(issuedAt + 1000 - clock.now());
  link.deliver('command', { name: 'selftest' }, command);
  await p.idle();
  t.same(runs, ['selftest'], 'runs once the clock is plausible');
});

async function openSeenCommands(dir: string, logger: ReturnType<typeof silentLogger>): Promise<SeenCommands> {
  const seen = new SeenCommands({ dir, logger });
  await seen.open();
  return seen;
}
