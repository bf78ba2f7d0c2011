// Security figures against a real mosquitto running the shipped mosquitto.conf and ACL with TLS,
// attacked with a real station certificate (hcm-bt-a01) as a rogue station would.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import { CentralLink } from '../../../runtime/link/central-link.js';
import { CryptoBox } from '../../../runtime/link/crypto-box.js';
import { FileKeyStore } from '../../../runtime/link/key-store.js';
import { CentralSim, DEV_KEY_ID, devKeyDir } from '../../../scripts/central-sim.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { silentLogger, tempDir, until } from '../../fakes/link-test-kit.js';
import { startMosquitto } from '../../fakes/mosquitto.js';
import { readDataDir } from '../../fakes/data-dir-forensics.js';
import { signReceipt } from '../../../runtime/link/receipts.js';
import { generateKeyPairSync } from 'node:crypto';

const logger = silentLogger();
const A = 'hcm-bt-a01';
const B = 'hcm-bt-b01';

t.test('one certificate, one station: attacks with a real station certificate on the shipped broker config', async (t) => {
  const broker = await startMosquitto(t, { shipped: true, clients: [A, B, 'central'] });
  const clock = new ManualClock();
  const master = new CryptoBox(randomBytes(32));
  const dataDir = await tempDir(t);
  const ran: string[] = [];
  const b = new CentralLink({
    stationId: B, dataDir, clock, logger, box: master, keyStore: new FileKeyStore(master),
    mqtt: { url: broker.url, protocolVersion: 5, tls: broker.client(B), birth: () => ({ versions: {}, devices: [], flows: [], capabilities: [] }) },
    commandKeys: { [DEV_KEY_ID]: await readFile(`${devKeyDir()}/central-dev.ed25519.pub.pem`, 'utf8') },
    commandHandlers: { restart: async () => (ran.push('restart'), 'ok'), config: async () => (ran.push('config'), 'ok') },
  });
  const sim = new CentralSim({ url: broker.url, protocolVersion: 5, tls: broker.client('central'), clock, logger });
  await sim.start();
  t.teardown(() => sim.stop());
  await b.start();
  t.teardown(() => b.stop());
  await until(clock, () => b.status().link.state === 'connected' && sim.tally(B).status === 'online', 'station B online', 0);
  let bLeftConnected = 0;
  b.events.on('state', t, (s) => {
    if (s.state !== 'connected') bLeftConnected++;
  });

  const rogue = async (clientId: string): Promise<MqttClient> =>
    mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId, clean: true, reconnectPeriod: 0, ...(await broker.clientPem(A)), rejectUnauthorized: true });

  // 1. Takeover: A's certificate asks for B's client id, 100 times.
  let accepted = 0;
  let refused = 0;
  for (let i = 0; i < 100; i++) {
    try {
      const c = await rogue(B);
      accepted++;
      await c.endAsync(true);
    } catch {
      refused++;
    }
  }
  await until(clock, () => true, 'settle', 0);
  const offlines = sim.tally(B).statuses.filter((s) => s.state === 'offline').length;
  t.equal(bLeftConnected, 0, 'station B stayed connected through 100 takeover attempts');
  t.equal(offlines, 0, 'central saw no false offline for B');
  t.equal(b.status().link.state, 'connected');
  t.comment(`figure takeover: 100 attempts with A's certificate and B's client id: ${accepted} connected as A (the broker uses the certificate CN), ${refused} refused, 0 as B; B disconnected ${bLeftConnected} times; central saw ${offlines} offline for B`);

  // 2. Cross-station reads and 3. forged publishes, by the rogue certificate.
  const attacker = await rogue('intruder');
  t.teardown(() => attacker.endAsync(true));
  const leaked: string[] = [];
  attacker.on('message', (topic) => leaked.push(topic));
  for (const filter of ['#', `cds/v1/${B}/#`, 'cds/v1/+/event/+', `cds/v1/${B}/cmd/#`, `cds/v1/${B}/receipt`, '$SYS/#']) await attacker.subscribeAsync(filter, { qos: 1 });
  const forged = new Map<string, number>();
  const forgedBody = JSON.stringify({ eventIds: [`${B}:1:1`], envelope: '{}', signature: 'AA==', state: 'offline' });
  for (const path of ['receipt', 'cmd/restart', 'config/desired', 'status', 'birth', 'event/payment', 'rpc/bills/res', 'config/reported']) {
    try {
      const packet = await attacker.publishAsync(`cds/v1/${B}/${path}`, forgedBody, { qos: 1 });
      forged.set(path, (packet as { reasonCode?: number } | undefined)?.reasonCode ?? 0);
    } catch (err) {
      forged.set(path, (err as { code: number }).code);
    }
  }
  // Real traffic for B meanwhile: personal records with canary values, central's receipts, a signed command.
  const canaries = Array.from({ length: 10 }, (_, i) => `0792010${String(10000 + i)}`);
  for (const c of canaries) await b.record('health-record', { cccd: c, spo2: 97 }, { personal: true });
  await until(clock, () => sim.tally(B).unique === 10 && b.status().depth === 0, 'B records receipted', 0);
  t.match(await sim.sendCommand(B, 'restart', {}), { ok: true });
  const foreign = leaked.filter((topic) => !topic.startsWith(`cds/v1/${A}/`));
  t.same(foreign, [], 'cross-station reads: 0 of B\'s messages reached A\'s certificate');
  for (const [path, code] of forged) t.equal(code, 0x87, `forged publish on B's ${path}: 0x87 not authorized`);
  t.same(ran, ['restart'], 'only central\'s signed command ran on B');
  t.comment(`figure cross-station reads: ${foreign.length} leaked; forged publishes: ${[...forged.values()].filter((c) => c === 0x87).length}/${forged.size} refused by the broker`);

  // 4. Forged receipts and unsigned desired config, sent with central's own certificate.
  await b.record('feedback', { stars: 1 });
  sim.misbehave({ dropReceipts: true });
  await until(clock, () => sim.tally(B).unique === 11, 'B feedback delivered', 0);
  const before = b.status().depth;
  await sim.publishRaw(B, 'receipt', '{"eventIds": "all"}');
  await sim.publishRaw(B, 'receipt', 'not json');
  // A receipt that would release the whole stream, signed by a key central never registered.
  const stranger = generateKeyPairSync('ed25519').privateKey;
  const now = clock.now();
  const forgedReceipt = { stationId: B, keyId: DEV_KEY_ID, stream: 'feedback', through: 1_000_000, missing: [], issuedAt: now, expiresAt: now + 60_000 };
  await sim.publishRaw(B, 'receipt', JSON.stringify(signReceipt(forgedReceipt, stranger)));
  await sim.publishRaw(B, 'config/desired', JSON.stringify({ envelope: JSON.stringify({ name: 'config', args: { telemetry: { intervalS: 1 } } }), signature: '' }), { retain: true });
  await sim.publishRaw(B, 'config/desired', JSON.stringify({ telemetry: { intervalS: 1 } }), { retain: true });
  await until(clock, () => (b.status().refused.byTopic.configDesired?.malformed ?? 0) >= 2 && (b.status().refused.byTopic.receipt ? Object.values(b.status().refused.byTopic.receipt!).reduce((x, y) => x + y) : 0) >= 3, 'refusals counted', 0);
  t.equal(b.status().depth, before, 'malformed and forged receipts released nothing');
  t.same(ran, ['restart'], 'unsigned desired config never ran');
  t.same(b.status().refused.byTopic.receipt, { malformed: 2, 'bad-signature': 1 }, 'each refused receipt counted by reason');
  t.comment(`figure refusals at B: ${JSON.stringify(b.status().refused)}`);
  sim.misbehave({});

  // 5. The data directory after central released B's personal records.
  await b.shredded();
  const read = await readDataDir(dataDir, canaries, master);
  t.equal(read.inClear, 0, 'no canary in clear');
  t.equal(read.withMasterKey, 0, 'no released canary readable even with the master key');
  t.comment(`figure data dir after release: ${read.inClear} canaries in clear, ${read.withMasterKey} readable with the master key, ${read.sealedBodies} sealed bodies still on disk`);

  // 6. Session numbering: a dropped connection's will carries its bdSeq; the next online a higher one.
  const link = b.link as unknown as { client: MqttClient };
  link.client.stream.destroy();
  await until(clock, () => sim.tally(B).statuses.filter((s) => s.state === 'online').length >= 2, 'B back online', 100);
  const seen = sim.tally(B).statuses.map((s) => `${s.state}:${s.bootSeq}.${s.bdSeq}`);
  t.same(seen, ['online:1.1', 'offline:1.1', 'online:1.2'], 'the will names the connection it ends; central can order offline against online');
  t.comment(`figure statuses seen by central: ${seen.join(' ')}`);
  b.events.offOwner(t);
});
