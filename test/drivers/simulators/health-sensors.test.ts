import t from 'tap';
import pino from 'pino';
import { createSimulatedHealthSensors } from '../../../drivers/simulators/health-sensors.js';
import { PulseOximeter } from '../../../drivers/max30102.js';
import { InfraredThermometer } from '../../../drivers/mlx90614.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { runClockUntilSettled } from '../../fakes/run-clock.js';

const logger = pino({ level: 'silent' });

t.test('both sensors share one simulated bus and measure through the real drivers', async (t) => {
  const clock = new ManualClock();
  const sim = createSimulatedHealthSensors(clock, { seed: 4 });
  const oximeter = new PulseOximeter(sim.bus, clock, logger);
  const thermometer = new InfraredThermometer(sim.bus, clock, logger);
  t.match(await oximeter.probe(), { partId: 0x15 });
  t.match(await thermometer.probe(), { ambientC: Number });
  const spo2 = await runClockUntilSettled(clock, oximeter.measure());
  const temp = await runClockUntilSettled(clock, thermometer.measure());
  t.ok(spo2.ok && Math.abs(spo2.value.values.spo2 - 97) <= 2 && Math.abs(spo2.value.values.heartRate - 72) <= 3);
  t.ok(temp.ok && Math.abs(temp.value.values.celsius - (35.1 + 0.19 * (35.1 - 27))) <= 0.2);
  sim.oximeter.removeFinger();
  sim.bus.detach(0x5a);
  await t.rejects(thermometer.probe(), { code: 'DEVICE_MISSING' });
  t.match(await oximeter.probe(), { partId: 0x15 }, 'the other device is unaffected');
});
