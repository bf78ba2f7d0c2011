// Reliability figure 5: two stations with their own certificates cannot reach each other's topics.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import mqtt from 'mqtt';
import { CentralLink } from '../../../runtime/link/central-link.js';
import { CentralSim, DEV_KEY_ID, devKeyDir } from '../../../scripts/central-sim.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { silentLogger, tempDir, until } from '../../fakes/link-test-kit.js';
import { startMosquitto } from '../../fakes/mosquitto.js';

const logger = silentLogger();

t.test('each station is confined to its own subtree by certificate identity and the ACL template', async (t) => {
  const acl = await readFile(new URL('../../../config/mosquitto/acl.template', import.meta.url), 'utf8');
  const broker = await startMosquitto(t, { tls: true, clients: ['HCM-BT-001', 'HCM-BT-002', 'central'], acl });
  const clock = new ManualClock();
  const pub = await readFile(`${devKeyDir()}/central-dev.ed25519.pub.pem`, 'utf8');
  const restarts: string[] = [];
  const station = async (id: string) => {
    const s = new CentralLink({
      stationId: id, dataDir: await tempDir(t), clock, logger, box: null,
      mqtt: { url: broker.url, protocolVersion: 5, tls: broker.client(id), birth: () => ({ versions: {}, devices: [], flows: [], capabilities: [] }) },
      commandKeys: { [DEV_KEY_ID]: pub }, commandHandlers: { restart: async () => (restarts.push(id), 'ok') },
    });
    await s.start();
    t.teardown(() => s.stop());
    return s;
  };
  const sim = new CentralSim({ url: broker.url, protocolVersion: 5, tls: broker.client('central'), clock, logger });
  await sim.start();
  t.teardown(() => sim.stop());
  const a = await station('HCM-BT-001');
  const b = await station('HCM-BT-002');
  await until(clock, () => a.status().link.state === 'connected' && b.status().link.state === 'connected', 'both stations connected', 0);
  t.pass('the ACL lets each station announce itself (will, birth, status) and subscribe to its own topics');

  // Station 001's certificate, used by an attacker client, tries the other station's topics and `#`.
  const attacker = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'intruder', ...(await broker.clientPem('HCM-BT-001')), rejectUnauthorized: true });
  t.teardown(() => attacker.endAsync(true));
  const leaked: string[] = [];
  attacker.on('message', (topic) => leaked.push(topic));
  const subReasons = new Map<string, number>();
  for (const filter of ['#', 'cds/v1/HCM-BT-002/#', 'cds/v1/+/event/+', 'cds/v1/HCM-BT-002/cmd/#', '$SYS/#']) {
    const granted = await attacker.subscribeAsync(filter, { qos: 1 });
    subReasons.set(filter, granted[0]!.qos);
  }
  const pubReasons = new Map<string, number>();
  for (const topic of ['cds/v1/HCM-BT-002/event/payment', 'cds/v1/HCM-BT-002/receipt', 'cds/v1/HCM-BT-002/cmd/restart', 'cds/v1/HCM-BT-002/status', 'cds/v1/HCM-BT-001/receipt']) {
    try {
      const packet = await attacker.publishAsync(topic, JSON.stringify({ eventIds: ['HCM-BT-002:1:1'], forged: true }), { qos: 1 });
      pubReasons.set(topic, (packet as { reasonCode?: number } | undefined)?.reasonCode ?? 0);
    } catch (err) {
      pubReasons.set(topic, (err as { code: number }).code);
    }
  }

  // Real traffic for station 002 meanwhile: events, receipts, a command.
  for (let i = 0; i < 10; i++) await b.record('payment', { i });
  await until(clock, () => sim.tally('HCM-BT-002').unique === 10 && b.status().depth === 0, 'station 002 traffic', 0);
  const answer = await sim.sendCommand('HCM-BT-002', 'restart', {});
  t.match(answer, { ok: true });
  await a.record('feedback', { stars: 5 });
  await until(clock, () => a.status().depth === 0, 'station 001 traffic', 0);

  const foreign = leaked.filter((topic) => !topic.startsWith('cds/v1/HCM-BT-001/'));
  t.same(foreign, [], '0 messages of another station (or of #, $SYS) reached the intruder');
  t.ok(leaked.every((topic) => topic === 'cds/v1/HCM-BT-001/receipt'), 'only its own identity\'s receipts reached it');
  t.same(restarts, ['HCM-BT-002'], 'only the signed command from central ran; the forged publishes reached no station');
  t.equal(sim.tally('HCM-BT-002').unique, 10, 'central saw no forged event for station 002');
  // mosquitto 2.0 grants the SUBACK and applies the read ACL to each delivery instead (checked above).
  for (const [filter, code] of subReasons) t.ok(code === 0x87 || code === 1, `subscribe ${filter}: SUBACK 0x${code.toString(16)}, nothing delivered`);
  for (const [topic, code] of pubReasons) t.equal(code, 0x87, `publish ${topic}: 0x87 not authorized`);
  t.comment(`figure 5: ${foreign.length} messages leaked; SUBACK ${JSON.stringify(Object.fromEntries(subReasons))}; PUBACK ${JSON.stringify(Object.fromEntries(pubReasons))}`);
});
