import type { Test } from 'tap';
import pino from 'pino';
import type { Clock } from '../../runtime/kernel/clock.js';
import { PulseOximeter, Max30102Register, max30102Address, max30102PartId } from '../../drivers/max30102.js';
import { InfraredThermometer, Mlx90614Ram, decodeTemperatureWord, mlx90614Address } from '../../drivers/mlx90614.js';
import type { I2cBus } from '../../drivers/transports/i2c.js';
import { isI2cError } from '../../drivers/transports/i2c.js';

export interface I2cContractRig {
  bus: I2cBus;
  clock: Clock;
  /** An address with nothing on it, to see how a NACK comes back. */
  emptyAddress: number;
}

/**
 * What the drivers rely on from an I2C bus carrying the station's MAX30102 and MLX90614. Run
 * against the simulated bus always (test/drivers/i2c-contract.test.ts) and against the real bus
 * when the test environment names one, so the simulator cannot drift from the hardware.
 */
export function i2cHealthSensorContract(t: Test, makeRig: () => Promise<I2cContractRig>): void {
  const logger = pino({ level: 'silent' });

  t.test('MAX30102 answers its part id with an SMBus read byte', async (t) => {
    const { bus } = await makeRig();
    t.equal(await bus.readByte(max30102Address, Max30102Register.PART_ID), max30102PartId);
  });

  t.test('FIFO pointers read as one 3-byte block, each a 5-bit value', async (t) => {
    const { bus } = await makeRig();
    const buffer = Buffer.alloc(3);
    const r = await bus.readI2cBlock(max30102Address, Max30102Register.FIFO_WR_PTR, 3, buffer);
    t.equal(r.bytesRead, 3);
    t.ok([...buffer].every((b) => b <= 0x1f));
  });

  t.test('MLX90614 words come with a PEC that checks', async (t) => {
    const { bus } = await makeRig();
    const buffer = Buffer.alloc(3);
    await bus.readI2cBlock(mlx90614Address, Mlx90614Ram.ambient, 3, buffer);
    const word = decodeTemperatureWord(buffer, mlx90614Address, Mlx90614Ram.ambient);
    t.ok(word.ok, 'PEC matches');
    if (word.ok) t.ok(word.celsius > 0 && word.celsius < 50, `ambient ${word.celsius.toFixed(2)} °C`);
    const word2 = await bus.readWord(mlx90614Address, Mlx90614Ram.ambient);
    t.equal(word2 & 0x8000, 0, 'readWord reads the word (PEC dropped), error flag clear');
  });

  t.test('an empty address fails with an errno error, not a value', async (t) => {
    const { bus, emptyAddress } = await makeRig();
    const err = await bus.readByte(emptyAddress, 0).then(() => null, (e: unknown) => e);
    t.ok(isI2cError(err), `rejected with ${(err as Error | null)?.message}`);
  });

  t.test('the drivers probe both sensors', async (t) => {
    const { bus, clock } = await makeRig();
    t.match(await new PulseOximeter(bus, clock, logger).probe(), { partId: max30102PartId });
    const ambient = (await new InfraredThermometer(bus, clock, logger).probe()).ambientC;
    t.ok(ambient > 0 && ambient < 50);
  });
}
