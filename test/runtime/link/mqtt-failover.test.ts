// The station's link to a broker cluster: given the nodes' URLs, it moves to another node when
// the one it uses dies, and back when that one dies in turn. Two real mosquittos stand in for
// two nodes (the station depends only on standard MQTT, whichever node answers).
import t from 'tap';
import mqtt from 'mqtt';
import { MqttLink } from '../../../runtime/link/mqtt-link.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { silentLogger, until } from '../../fakes/link-test-kit.js';
import { startMosquitto } from '../../fakes/mosquitto.js';
import type { Mosquitto } from '../../fakes/mosquitto.js';

const logger = silentLogger();
const birth = () => ({ versions: {}, devices: [], flows: [], capabilities: [] });

/** Whether a fresh subscriber on `broker` sees the station's retained `online` status there. */
async function onlineAt(broker: Mosquitto): Promise<boolean> {
  const client = await mqtt.connectAsync(broker.url, { clientId: `probe-${Math.random().toString(16).slice(2)}`, protocolVersion: 5 });
  try {
    const seen = new Promise<boolean>((resolve) => {
      client.on('message', (_topic, payload) => resolve(JSON.parse(payload.toString()).state === 'online'));
      setTimeout(() => resolve(false), 2000);
    });
    await client.subscribeAsync('cds/v1/hcm-bt-001/status', { qos: 1 });
    return await seen;
  } finally {
    await client.endAsync();
  }
}

t.test('a link with two nodes fails over to the live one and back', async (t) => {
  const a = await startMosquitto(t);
  const b = await startMosquitto(t);
  const clock = new ManualClock();
  const link = new MqttLink({
    url: a.url, fallbackUrls: [b.url], stationId: 'hcm-bt-001', bootSeq: 1, birth, clock, logger,
    reconnectMinMs: 200, reconnectMaxMs: 2000, random: () => 0.5,
  });
  await link.start();
  t.teardown(() => link.stop());
  await until(clock, () => link.info().state === 'connected', 'connected to a');
  t.equal(link.info().url, a.url, 'the first URL first');

  await a.kill9();
  await until(clock, () => link.info().state === 'connected' && link.info().url === b.url, 'moved to b', 50);
  t.ok(await onlineAt(b), 'the station announced itself on b');

  await a.start();
  await b.kill9();
  await until(clock, () => link.info().state === 'connected' && link.info().url === a.url, 'back on a', 50);
  t.ok(await onlineAt(a), 'and on a again');
  await b.start();
});

t.test('a dropped connection is retried on the same node first', async (t) => {
  const a = await startMosquitto(t);
  const b = await startMosquitto(t);
  const clock = new ManualClock();
  const link = new MqttLink({
    url: a.url, fallbackUrls: [b.url], stationId: 'hcm-bt-001', bootSeq: 1, birth, clock, logger,
    reconnectMinMs: 200, reconnectMaxMs: 2000, random: () => 0.5,
  });
  await link.start();
  t.teardown(() => link.stop());
  await until(clock, () => link.info().state === 'connected', 'connected to a');
  // A restart that is quick enough: the station comes back to the same node.
  await a.kill9();
  await a.start();
  await until(clock, () => link.info().state === 'connected', 'reconnected', 50);
  t.equal(link.info().url, a.url, 'still on a');
});
