/**
 * Central's desired config through the real command verification and the station's config handler:
 * only a signed, valid, newer document changes the desired layer and `config/reported`.
 */
import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandProcessor, signCommand, type CommandEnvelope } from '../../../runtime/link/commands.js';
import { loadLayeredConfig, layerFile } from '../../../runtime/config/layers.js';
import { StationConfigChanges } from '../../../runtime/station/config-change.js';
import { StartedParts } from '../../../runtime/station/context.js';
import type { CentralLink } from '../../../runtime/link/central-link.js';
import { FakeLink } from '../../fakes/fake-link.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { silentLogger } from '../../fakes/link-test-kit.js';
import { SeenCommands } from '../../../runtime/link/command-ids.js';

const logger = silentLogger();
const central = generateKeyPairSync('ed25519');
const forger = generateKeyPairSync('ed25519');
const publicPem = central.publicKey.export({ type: 'spki', format: 'pem' }).toString();

function board() {
  const root = mkdtempSync(join(tmpdir(), 'desired-'));
  const dataDir = join(root, 'data');
  mkdirSync(dataDir);
  const factoryFile = join(root, 'station.json');
  writeFileSync(factoryFile, readFileSync('config/sim.json'));
  return { factoryFile, dataDir };
}

/** One start of the station's config side: the link, the command processor, the config handler. */
async function start(t: any, where: { factoryFile: string; dataDir: string }, clock: ManualClock) {
  const link = new FakeLink();
  link.setState('connected');
  const layered = loadLayeredConfig(where);
  const parts = new StartedParts();
  parts.link = { link } as unknown as CentralLink;
  const refusals: string[] = [];
  const changes = new StationConfigChanges({ config: layered.config, layered, clock, logger, parts, refused: (topic, reason) => refusals.push(`${topic} ${reason}`) });
  const processor = new CommandProcessor({
    link, clock, logger, seen: await openSeenCommands(where.dataDir, logger), keys: { 'central-1': publicPem },
    handlers: { config: (args) => changes.desired.handle(args) },
  });
  await processor.start();
  t.teardown(() => processor.stop());
  const deliver = async (payload: unknown) => {
    link.deliver('configDesired', {}, payload, { retain: true });
    await processor.idle();
  };
  return { link, changes, processor, refusals, deliver };
}

let seq = 0;
function desired(clock: ManualClock, args: Record<string, unknown>, key = central.privateKey, over: Partial<CommandEnvelope> = {}) {
  seq++;
  return signCommand({ stationId: 'HCM-BT-001', cmdId: `d-${seq}`, seq, issuedAt: clock.now(), expiresAt: clock.now() + 60_000, keyId: 'central-1', name: 'config', args, ...over }, key);
}

const topics = (link: FakeLink) => link.published.map((p) => p.topic.replace('cds/v1/HCM-BT-001/', ''));

t.test('a signed, valid, newer desired document becomes the desired layer and is reported', async (t) => {
  const where = board();
  const clock = new ManualClock();
  const s = await start(t, where, clock);
  await s.deliver(desired(clock, { version: 1, config: { telemetry: { intervalS: 30 } } }));
  t.same(topics(s.link), ['config/reported', 'cmd/config/res'], 'reported once applied, then the answer');
  t.match(s.link.published[1]!.payload, { ok: true, data: { applied: true, version: 1, restartRequired: ['/telemetry/intervalS'] } });
  t.same(s.link.published[0]!.payload, { version: 1, desired: { telemetry: { intervalS: 30 } }, restartRequired: ['/telemetry/intervalS'], at: clock.now() });
  t.same(JSON.parse(readFileSync(layerFile(where.dataDir, 'desired'), 'utf8')), { version: 2, telemetry: { intervalS: 30 } });
  t.equal(s.changes.view().origins['/telemetry/intervalS'], 'desired');
});

t.test('unsigned, invalid and stale desired documents never change the layer nor config/reported', async (t) => {
  const where = board();
  const clock = new ManualClock();
  let s = await start(t, where, clock);
  await s.deliver(desired(clock, { version: 5, config: { telemetry: { intervalS: 30 } } }));
  const layerBefore = readFileSync(layerFile(where.dataDir, 'desired'), 'utf8');
  s.link.published.length = 0;

  const forged = desired(clock, { version: 6, config: { security: { commandKeys: { evil: 'x'.repeat(44) } } } }, forger.privateKey);
  await s.deliver(forged);
  t.same(topics(s.link), ['cmd/config/res'], 'a forged document is answered, not reported');
  t.match(s.link.published[0]!.payload, { ok: false, error: { code: 'CMD_REJECTED', message: 'bad-signature' } });
  await s.deliver(forged);
  await s.deliver(forged);
  t.equal(s.link.published.length, 1, 'the same retained document seen on each reconnect is answered once');
  t.equal(s.processor.rejected['bad-signature'], 3, 'and counted each time');

  await s.deliver(desired(clock, { version: 6, config: { telemetry: { intervalS: 0 } } }));
  t.match(s.link.published.at(-1)!.payload, { ok: false, error: { code: 'CONFIG_INVALID', message: /desired\.json: \/telemetry\/intervalS: expected a number >= 1/ } });
  await s.deliver(desired(clock, { version: 7, config: { dataDir: '/tmp/x' } }));
  t.match(s.link.published.at(-1)!.payload, { ok: false, error: { code: 'CONFIG_INVALID', message: /\/dataDir: the data directory is set by the factory file or --data only/ } });
  await s.deliver(desired(clock, { version: 5, config: { telemetry: { intervalS: 45 } } }));
  t.match(s.link.published.at(-1)!.payload, { ok: false, error: { code: 'CONFIG_STALE', message: 'desired version 5 is not above version 5 in effect' } });
  await s.deliver(desired(clock, { config: { telemetry: { intervalS: 45 } } }));
  t.match(s.link.published.at(-1)!.payload, { ok: false, error: { code: 'CONFIG_INVALID', message: /args\.version must be a positive integer/ } });
  t.notOk(topics(s.link).includes('config/reported'), 'config/reported never changed');
  t.equal(readFileSync(layerFile(where.dataDir, 'desired'), 'utf8'), layerBefore, 'the desired layer is as it was');
  t.same(s.refusals, ['config/desired invalid', 'config/desired invalid', 'config/desired stale', 'config/desired malformed']);
  t.equal(s.changes.desired.current().version, 5);

  // After a restart the version in effect is still known: an older document is still stale.
  await s.processor.stop();
  s = await start(t, where, clock);
  t.equal(s.changes.desired.current().version, 5);
  await s.deliver(desired(clock, { version: 4, config: { telemetry: { intervalS: 45 } } }));
  t.match(s.link.published.at(-1)!.payload, { ok: false, error: { code: 'CONFIG_STALE' } });
  t.ok(existsSync(layerFile(where.dataDir, 'desired')));
  t.equal(s.changes.view().config.telemetry.intervalS, 30);
});

async function openSeenCommands(dir: string, logger: ReturnType<typeof silentLogger>): Promise<SeenCommands> {
  const seen = new SeenCommands({ dir, logger });
  await seen.open();
  return seen;
}
