// The retained birth tells central what the station has. The link connects while the devices still
// probe and the flows load, so its first birth lists them as starting; once the start is complete
// the station says it again, and again when a device's health changes.
import t from 'tap';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { until } from '../../fakes/link-test-kit.js';
import { simStation, startSimStation } from '../../fakes/sim-station.js';

type Birth = { devices: { id: string; state: string }[]; flows: { id: string; version: string }[]; bootSeq: number };

t.test('the retained birth lists every device probed and every flow once the station has started', async (t) => {
  const { station, config, clock } = await simStation(t);
  let started = false;
  const starting = station.start().then(() => (started = true));
  // The simulated scale and height rod answer on the test's clock, the broker in real time: the link
  // connects and sends its first birth while they are still probing.
  for (let i = 0; i < 500 && station.status().link.state !== 'connected'; i++) await new Promise((r) => setTimeout(r, 10));
  t.equal(station.status().link.state, 'connected');
  t.equal(started, false, 'the link connected before the devices answered');
  await until(clock, () => started, 'station started', 10);
  await starting;

  const births: Birth[] = [];
  const sub = await mqtt.connectAsync(station.brokerUrl()!, { protocolVersion: 4 });
  t.teardown(() => sub.endAsync());
  sub.on('message', (topic, payload) => {
    if (topic === `cds/v1/${config.station.id}/birth`) births.push(JSON.parse(payload.toString()) as Birth);
  });
  await sub.subscribeAsync(`cds/v1/${config.station.id}/birth`, { qos: 1 });
  await until(clock, () => births.length > 0, 'the retained birth', 10);
  const retained = births.at(-1)!;
  const enabled = Object.entries(config.devices).filter(([, d]) => d && d.enabled !== false).map(([name]) => name).sort();
  t.same(retained.devices.map((d) => d.id).sort(), enabled, 'every enabled device is listed');
  t.same(retained.devices.filter((d) => d.state !== 'ok'), [], 'each with the health its probe found, none still starting');
  const flowFiles = readdirSync(join(process.cwd(), 'flows')).filter((f) => /\.ya?ml$/.test(f)).length;
  t.equal(retained.flows.length, flowFiles, 'every flow with its version');
  t.equal(retained.bootSeq, station.link().bootSeq);
});

t.test('a device\'s health change reaches central in the birth once it has held for a second', async (t) => {
  const { station, config, clock } = await startSimStation(t);

  const births: Birth[] = [];
  const sub = await mqtt.connectAsync(station.brokerUrl()!, { protocolVersion: 4 });
  t.teardown(() => sub.endAsync());
  sub.on('message', (topic, payload) => {
    if (topic === `cds/v1/${config.station.id}/birth`) births.push(JSON.parse(payload.toString()) as Birth);
  });
  await sub.subscribeAsync(`cds/v1/${config.station.id}/birth`, { qos: 1 });
  await until(clock, () => births.length > 0, 'the retained birth', 10);
  const printer = () => births.at(-1)!.devices.find((d) => d.id === 'printer')?.state;
  t.equal(printer(), 'ok');

  const port = station.devices()!.sim.ports.printer!;
  port.unplug();
  await clock.advance(900);
  t.equal(printer(), 'ok', 'not before the change has held for a second');
  await until(clock, () => printer() === 'missing', 'the unplugged printer in the birth', 10);
  const afterUnplug = births.length;
  port.replug();
  await until(clock, () => printer() === 'ok', 'the printer back in the birth', 100);
  t.equal(births.length, afterUnplug + 1, 'one birth for the replug, none for the reopen attempts in between');
});
