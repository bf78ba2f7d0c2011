// The whole station in-process with the simulation config: a press of the simulated emergency push
// button goes GPIO line → keypad scan → device hub → station → flow engine, the hotlines show, and
// the alert leaves as a priority `event/emergency` at the (embedded) broker.
import t from 'tap';
import mqtt from 'mqtt';
import { until } from '../../fakes/link-test-kit.js';
import { startSimStation } from '../../fakes/sim-station.js';

t.test('the simulated emergency button starts the emergency flow and the alert reaches the broker', async (t) => {
  const { station, config, clock } = await startSimStation(t);
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
