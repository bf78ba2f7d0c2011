import t from 'tap';
import { createSimSerialLink } from '../../../drivers/transports/serial-sim.js';
import type { DeviceEmulator } from '../../../drivers/transports/serial-sim.js';
import { SimGpio } from '../../../drivers/transports/gpio-sim.js';
import { flushMicrotasks } from '../../fakes/manual-clock.js';
import { gpioContract, serialLinkContract } from '../../contracts/serial-gpio.js';

/** A TX–RX jumper: everything written comes straight back. */
class Loopback implements DeviceEmulator {
  private send: ((b: Uint8Array) => void) | undefined;
  attach(send: (b: Uint8Array) => void): void {
    this.send = send;
  }
  detach(): void {
    this.send = undefined;
  }
  receive(bytes: Buffer): void {
    this.send?.(bytes);
  }
}

t.test('simulated serial link', async (t) => {
  serialLinkContract(t, async () => ({ link: createSimSerialLink({ emulator: new Loopback() }).link, settle: flushMicrotasks }));
});

t.test('simulated GPIO', async (t) => {
  gpioContract(t, async () => {
    const gpio = new SimGpio();
    // The jumper: line 23 reads whatever line 24 drives.
    gpio.onWrite((line, value) => line === 24 && gpio.set(23, value));
    return { gpio, output: 24, input: 23, settle: flushMicrotasks };
  });
});

// On a station board with a TX–RX jumper: STATION_TEST_SERIAL_LOOPBACK=/dev/ttyUSB0 npx tap …
const serialPath = process.env['STATION_TEST_SERIAL_LOOPBACK'];
if (serialPath !== undefined) t.test('real serial link', async (t) => {
  const { createRealSerialLink } = await import('../../../drivers/transports/serial-real.js');
  serialLinkContract(t, async () => ({
    link: createRealSerialLink({ path: serialPath, baudRate: 9600 }),
    settle: () => new Promise((r) => setTimeout(r, 500)),
  }));
});

// With BCM 24 jumpered to BCM 23: STATION_TEST_GPIO_LOOPBACK=24,23 npx tap …
const gpioPair = process.env['STATION_TEST_GPIO_LOOPBACK'];
if (gpioPair !== undefined) t.test('real GPIO', async (t) => {
  const { createRealGpio } = await import('../../../drivers/transports/gpio-real.js');
  const [output, input] = gpioPair.split(',').map(Number) as [number, number];
  gpioContract(t, async () => ({ gpio: createRealGpio(), output, input, settle: () => new Promise((r) => setTimeout(r, 50)) }));
});
