import t from 'tap';
import { systemClock } from '../../runtime/kernel/clock.js';
import { createSimulatedHealthSensors } from '../../drivers/simulators/health-sensors.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { i2cHealthSensorContract } from '../contracts/i2c-health-sensors.js';

t.test('simulated bus', async (t) => {
  i2cHealthSensorContract(t, async () => {
    const clock = new ManualClock();
    return { bus: createSimulatedHealthSensors(clock).bus, clock, emptyAddress: 0x0b };
  });
});

// On a station board: STATION_TEST_I2C_BUS=1 npx tap test/drivers/i2c-contract.test.ts
// (registered only then, so CI machines without the sensors report no skipped test).
const realBus = process.env['STATION_TEST_I2C_BUS'];
if (realBus !== undefined) t.test('real bus', async (t) => {
  const { openRealI2cBus } = await import('../../drivers/transports/i2c-real.js');
  const bus = await openRealI2cBus(Number(realBus));
  t.teardown(() => bus.close());
  i2cHealthSensorContract(t, async () => ({ bus, clock: systemClock, emptyAddress: 0x0b }));
});
