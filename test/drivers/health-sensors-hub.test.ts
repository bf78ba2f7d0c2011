import t from 'tap';
import pino from 'pino';
import { DeviceHub } from '../../drivers/device-hub.js';
import { createSimulatedHealthSensors } from '../../drivers/simulators/health-sensors.js';
import { PulseOximeter } from '../../drivers/max30102.js';
import { InfraredThermometer } from '../../drivers/mlx90614.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { runClockUntilSettled } from '../fakes/run-clock.js';

const logger = pino({ level: 'silent' });

function station(seed = 2) {
  const clock = new ManualClock();
  const sim = createSimulatedHealthSensors(clock, { seed });
  const hub = new DeviceHub({
    spo2: { device: new PulseOximeter(sim.bus, clock, logger), mode: 'sim' },
    thermometer: { device: new InfraredThermometer(sim.bus, clock, logger), mode: 'sim' },
  }, clock, logger);
  return { clock, sim, hub };
}

const health = (hub: DeviceHub, name: string) => hub.statuses().find((s) => s.name === name)?.health;

t.test('the hub probes both I2C sensors and measures through them', async (t) => {
  const { clock, hub } = station();
  await hub.start();
  t.equal(health(hub, 'spo2'), 'ok');
  t.equal(health(hub, 'thermometer'), 'ok');
  t.match(hub.statuses().find((s) => s.name === 'spo2')?.detail, { partId: 0x15 });
  const spo2 = await runClockUntilSettled(clock, hub.measure('spo2'));
  t.ok(spo2.ok && spo2.value.kind === 'spo2' && Math.abs(spo2.value.values.spo2 - 97) <= 2);
  const temp = await runClockUntilSettled(clock, hub.measure('temperature'));
  t.ok(temp.ok && temp.value.kind === 'temperature' && Math.abs(temp.value.values.celsius - (35.1 + 0.19 * (35.1 - 27))) <= 0.2);
  await hub.stop();
});

t.test('an unplugged thermometer goes missing, then recovers when plugged back', async (t) => {
  const { clock, sim, hub } = station();
  await hub.start();
  sim.bus.detach(0x5a);
  const failed = await runClockUntilSettled(clock, hub.measure('temperature'));
  t.notOk(failed.ok, 'no value from an unplugged sensor');
  if (!failed.ok) t.match(failed.error, { code: 'DEVICE_MISSING' });
  t.equal(health(hub, 'thermometer'), 'missing');
  t.equal(health(hub, 'spo2'), 'ok', 'the other sensor on the bus is unaffected');
  sim.bus.attach(0x5a, sim.thermometer);
  await clock.advance(5000);
  t.equal(health(hub, 'thermometer'), 'ok', 'recovered by the hub probe with backoff');
  const again = await runClockUntilSettled(clock, hub.measure('temperature'));
  t.ok(again.ok);
  await hub.stop();
});

t.test('a resident who never places a finger does not make the sensor look broken', async (t) => {
  const { clock, sim, hub } = station();
  sim.oximeter.removeFinger();
  await hub.start();
  const run = await runClockUntilSettled(clock, hub.measure('spo2'));
  t.notOk(run.ok);
  if (!run.ok) t.match(run.error, { code: 'DEVICE_READ_FAILED', details: { reason: 'no-finger' } });
  t.equal(health(hub, 'spo2'), 'ok');
  await hub.stop();
});

t.test('stopping the hub leaves the SpO2 LEDs off', async (t) => {
  const { hub, sim } = station();
  await hub.start();
  await hub.stop();
  t.equal((await sim.bus.readByte(0x57, 0x09)) & 0x80, 0x80, 'MODE_CONFIG SHDN set');
});
