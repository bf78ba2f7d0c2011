import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveGpioBase } from '../../../drivers/transports/gpio-real.js';
import { SimGpio } from '../../../drivers/transports/gpio-sim.js';

function fakeSysfs(t: { testdir(): string }, chips: Record<string, { label: string; base: number }>): string {
  const root = t.testdir();
  for (const [chip, { label, base }] of Object.entries(chips)) {
    mkdirSync(join(root, chip));
    writeFileSync(join(root, chip, 'label'), `${label}\n`);
    writeFileSync(join(root, chip, 'base'), `${base}\n`);
  }
  writeFileSync(join(root, 'export'), '');
  return root;
}

t.test('resolves the header chip base on old and new kernels', async (t) => {
  t.equal(resolveGpioBase(fakeSysfs(t, { gpiochip0: { label: 'pinctrl-bcm2835', base: 0 } })), 0);
  t.equal(resolveGpioBase(fakeSysfs(t, { gpiochip504: { label: 'raspberrypi-exp-gpio', base: 504 }, gpiochip512: { label: 'pinctrl-bcm2711', base: 512 } })), 512);
  t.equal(resolveGpioBase(fakeSysfs(t, { gpiochip512: { label: 'gpio-brcmstb@107d508500', base: 512 }, gpiochip571: { label: 'pinctrl-rp1', base: 571 } })), 571);
  t.throws(() => resolveGpioBase(fakeSysfs(t, { gpiochip0: { label: 'something-else', base: 0 } })), { code: 'DEVICE_MISSING', message: /something-else@0/ });
  t.throws(() => resolveGpioBase('/nonexistent/gpio'), { code: 'DEVICE_MISSING' });
});

t.test('sim lines: outputs record, inputs deliver edges', async (t) => {
  const gpio = new SimGpio();
  const out = gpio.open(4, 'out');
  out.write(0);
  t.equal(gpio.level(4), 0);
  const input = gpio.open(5, 'in', 'falling');
  const edges: number[] = [];
  const stop = input.watch((v) => edges.push(v));
  gpio.set(5, 0);
  gpio.set(5, 1);
  gpio.set(5, 0);
  stop();
  gpio.set(5, 1);
  gpio.set(5, 0);
  t.same(edges, [0, 0]);
  t.throws(() => input.write(1), { code: 'INTERNAL' });
  t.throws(() => gpio.open(99, 'in'), { code: 'DEVICE_MISSING' });
  input.unexport();
  t.equal(gpio.isExported(5), false);
});
