// The whole station in-process with the simulation config: a press of the simulated emergency push
// button goes GPIO line → keypad scan → device hub → station → flow engine, the hotlines show, and
// the alert leaves as a priority `event/emergency` at the (embedded) broker.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { validateConfig } from '../../runtime/config.js';
import type { StationConfig } from '../../runtime/config.js';
import { LogBuffer } from '../../runtime/log-buffer.js';
import { createStation } from '../../runtime/station.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { silentLogger, tempDir, until } from '../fakes/link-test-kit.js';

t.test('the simulated emergency button starts the emergency flow and the alert reaches the broker', async (t) => {
  const dataDir = await tempDir(t);
  const doc = JSON.parse(readFileSync(join(process.cwd(), 'config', 'sim.json'), 'utf8'));
  doc.dataDir = dataDir;
  doc.mqtt.embeddedBroker = { enabled: true, host: '127.0.0.1', port: 0 };
  doc.centralSim = { enabled: false };
  doc.display = { enabled: false, host: '127.0.0.1', port: 0 };
  const checked = validateConfig(doc);
  if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
  const config: StationConfig = checked.config;
  const clock = new ManualClock(Date.parse('2026-11-25T01:00:00Z'));
  const station = createStation({
    config, configFile: join(dataDir, 'station.json'), clock, logger: silentLogger(), logBuffer: new LogBuffer(100),
    version: '0.0.0-test', transports: {},
  });
  t.teardown(() => station.stop());
  let started = false;
  const starting = station.start().then(() => (started = true));
  await until(clock, () => started, 'station started', 10);
  await starting;
  const sim = station.devices()!.sim;
  t.equal(sim.emergencyButton?.line, 26, 'the simulation has the button on the default line');

  const sub = await mqtt.connectAsync(station.brokerUrl()!, { protocolVersion: 4 });
  t.teardown(() => sub.endAsync());
  const alerts: Record<string, unknown>[] = [];
  sub.on('message', (topic, payload) => {
    if (topic === `cds/v1/${config.station.id}/event/emergency`) alerts.push(JSON.parse(payload.toString()));
  });
  await sub.subscribeAsync(`cds/v1/${config.station.id}/event/#`, { qos: 1 });

  await until(clock, () => station.flows().current().kind === 'home', 'home screen', 10);
  sim.emergencyButton!.press();
  await until(clock, () => station.flows().current().kind === 'emergency', 'emergency screen', 10);
  t.match(station.flows().current().body?.join(' '), /113.*114.*115/);
  await until(clock, () => alerts.length > 0, 'alert at the broker', 10);
  t.equal(alerts.length, 1);
  t.match(alerts[0], {
    kind: 'emergency', stream: 'priority:emergency',
    data: { flowId: 'emergency', stationId: config.station.id, ward: 'Phường Bình Trưng', building: 'Đảo Kim Cương, tháp Brilliant' },
  }, 'sent on the priority stream with where the station is');
  sim.emergencyButton!.release();
  await clock.advance(200);
  t.equal(alerts.length, 1, 'one press, one alert');
});
