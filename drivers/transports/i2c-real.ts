import type { I2cBus } from './i2c.js';

/**
 * Opens `/dev/i2c-{busNumber}` through i2c-bus. Only the composition root calls this; the native
 * module is loaded here, on demand, so simulation and tests never load it.
 */
export async function openRealI2cBus(busNumber: number): Promise<I2cBus> {
  const i2c = await import('i2c-bus');
  const bus = await i2c.openPromisified(busNumber);
  return bus as unknown as I2cBus;
}
