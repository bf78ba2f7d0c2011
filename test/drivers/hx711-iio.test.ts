import t from 'tap';
import type { Test } from 'tap';
import pino from 'pino';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Hx711Scale, parseIioRaw, rawToKg } from '../../drivers/hx711-iio.js';
import { ManualClock } from '../fakes/manual-clock.js';

const log = pino({ level: 'silent' });
/** Reads the simulated sysfs folder synchronously, so samples land when the manual clock says. */
const readText = async (path: string) => readFileSync(path, 'utf8');

t.test('parses sysfs counts within 24 bits', async (t) => {
  t.equal(parseIioRaw('123456\n'), 123456);
  t.equal(parseIioRaw('-8388608'), -8388608);
  t.equal(parseIioRaw('8388608'), null);
  t.equal(parseIioRaw(''), null);
  t.equal(parseIioRaw('12a'), null);
  t.equal(rawToKg(150_000, { zeroRaw: 50_000, kgPerCount: 0.0005, calibratedAt: 'x' }), 50);
});

function rig(t: Test) {
  const dir = t.testdir({ 'iio:device0': { in_voltage0_raw: '50000\n' } });
  const iio = join(dir, 'iio:device0');
  const calibrationFile = join(dir, 'scale-calibration.json');
  const clock = new ManualClock();
  const scale = new Hx711Scale(clock, log, { iioDevice: iio, calibrationFile, samples: 4, readText });
  const setRaw = (v: number | string) => writeFileSync(join(iio, 'in_voltage0_raw'), `${v}\n`);
  return { dir, iio, calibrationFile, clock, scale, setRaw };
}

t.test('calibrate, persist durably, reload, measure', async (t) => {
  const r = rig(t);
  t.same(await r.scale.probe(), { raw: 50000, calibrated: false });
  await t.rejects(r.scale.measure(), { code: 'DEVICE_READ_FAILED', message: /hiệu chuẩn/ });
  const ac = new AbortController();
  const zero = r.scale.readStableRaw(ac.signal);
  await r.clock.advance(500);
  t.equal(await zero, 50000);
  await r.scale.save({ zeroRaw: 50000, kgPerCount: 0.0005, knownKg: 20, calibratedAt: '2026-11-25T02:00:00.000Z' });
  t.same(JSON.parse(readFileSync(r.calibrationFile, 'utf8')).kgPerCount, 0.0005);
  const again = new Hx711Scale(r.clock, log, { iioDevice: r.iio, calibrationFile: r.calibrationFile, samples: 4, readText });
  await again.probe();
  t.same(again.current()?.zeroRaw, 50000, 'calibration survives a restart');
  r.setRaw(194_000);
  const m = again.measure();
  await r.clock.advance(1000);
  t.same((await m).values, { weightKg: 72 });
});

t.test('read errors and a vanished device never become weights', async (t) => {
  const r = rig(t);
  await r.scale.save({ zeroRaw: 50000, kgPerCount: 0.0005, calibratedAt: 'x' });
  const health: string[] = [];
  r.scale.onHealthChange((h) => health.push(h.health));
  r.setRaw('garbage');
  await t.rejects(r.scale.readRaw(), { code: 'DEVICE_READ_FAILED' });
  const m = r.scale.measure();
  m.catch(() => undefined);
  await r.clock.advance(2000);
  r.setRaw(150_000);
  await r.clock.advance(1000);
  t.same((await m).values, { weightKg: 50 }, 'bad samples were skipped, not averaged in');
  rmSync(r.iio, { recursive: true });
  const gone = r.scale.measure();
  gone.catch(() => undefined);
  await r.clock.advance(200);
  await t.rejects(gone, { code: 'DEVICE_MISSING' });
  t.ok(health.length === 0 || health.includes('missing'));
});
