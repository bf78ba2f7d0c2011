import t from 'tap';
import { execFileSync } from 'node:child_process';
import { decodePnm, DocumentScanner } from '../../drivers/document-scanner.js';
import { SpawnScanProcess } from '../../drivers/transports/sane-process.js';
import type { ScanProcess } from '../../drivers/transports/sane-process.js';

const ascii = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));

t.test('decodePnm reads P5 and P6 with comments, refuses what is not an 8-bit page', async (t) => {
  // Netpbm: magic, whitespace, width, height, maxval, exactly one whitespace, then the samples.
  const p5 = new Uint8Array([...ascii('P5\n# SANE data follows\n3 2\n255\n'), 0, 128, 255, 10, 20, 30]);
  t.same(decodePnm(p5), { width: 3, height: 2, channels: 1, pixels: new Uint8Array([0, 128, 255, 10, 20, 30]) });
  const p6 = new Uint8Array([...ascii('P6 1 1 255 '), 1, 2, 3]);
  t.same(decodePnm(p6), { width: 1, height: 1, channels: 3, pixels: new Uint8Array([1, 2, 3]) });
  t.throws(() => decodePnm(ascii('P4\n1 1\n')), { code: 'DEVICE_READ_FAILED', message: /magic "P4"/ });
  t.throws(() => decodePnm(ascii('P5\n2 2\n65535\n')), { message: /only 8-bit pages/ });
  t.throws(() => decodePnm(new Uint8Array([...ascii('P5\n2 2\n255\n'), 1, 2])), { message: /cut short: 2 of 4 bytes/ });
  t.throws(() => decodePnm(ascii('P5\n0 2\n255\n')), { message: /implausible page size/ });
});

t.test('the scanner asks scanimage for one PNM page at the set resolution and mode', async (t) => {
  const calls: string[][] = [];
  const fake: ScanProcess = { run: async (args) => { calls.push(args); return Buffer.from([...ascii('P5 2 1 255\n'), 7, 9]); } };
  const page = await new DocumentScanner(fake, { device: 'test', dpi: 100 }).scanPage();
  t.same(calls, [['-d', 'test', '--format=pnm', '--mode', 'Gray', '--resolution', '100']]);
  t.same(page, { width: 2, height: 1, channels: 1, pixels: new Uint8Array([7, 9]), dpi: 100 });
});

let haveScanimage = true;
try {
  execFileSync('scanimage', ['--version'], { stdio: 'ignore' });
} catch {
  haveScanimage = false;
}

t.test('real scanimage with the SANE test backend', { skip: haveScanimage ? false : 'scanimage (sane-utils) is not installed' }, async (t) => {
  const scanner = new DocumentScanner(new SpawnScanProcess(), { device: 'test', dpi: 75, extraArgs: ['--test-picture', 'Grid'] });
  const page = await scanner.scanPage();
  // The test backend's default area is 80 x 100 mm: at 75 dpi 236 x 295 pixels.
  t.equal(page.width, 236);
  t.equal(page.height, 295);
  t.equal(page.channels, 1);
  t.ok(new Set(page.pixels).size > 1, 'the grid picture is not blank');
  const colour = await new DocumentScanner(new SpawnScanProcess(), { device: 'test', dpi: 50, mode: 'Color' }).scanPage();
  t.equal(colour.channels, 3);
  await t.rejects(new DocumentScanner(new SpawnScanProcess(), { device: 'nosuch:device' }).scanPage(), { code: 'DEVICE_MISSING' });
  await t.rejects(new DocumentScanner(new SpawnScanProcess('scanimage-not-installed'), { device: 'test' }).scanPage(), { code: 'DEVICE_MISSING', message: /sane-utils/ });
});
