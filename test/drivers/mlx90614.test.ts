import t from 'tap';
import pino from 'pino';
import {
  InfraredThermometer, celsiusToRaw, decodeTemperatureWord, mlx90614Address, pec, rawToCelsius, readWordPec,
} from '../../drivers/mlx90614.js';
import { SimMlx90614 } from '../../drivers/simulators/mlx90614.js';
import { SimI2cBus } from '../../drivers/transports/i2c-sim.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { runClockUntilSettled } from '../fakes/run-clock.js';

const logger = pino({ level: 'silent' });

function rig(sim: ConstructorParameters<typeof SimMlx90614>[0] = {}, seed = 5) {
  const clock = new ManualClock();
  const bus = new SimI2cBus({ seed });
  const device = new SimMlx90614({ seed, ...sim });
  bus.attach(mlx90614Address, device);
  const thermometer = new InfraredThermometer(bus, clock, logger);
  return { clock, bus, device, thermometer };
}

t.test('PEC: CRC-8 (x^8+x^2+x+1) vectors published for the MLX90614', async (t) => {
  // Datasheet / SMBus application note example: SA 0x5A reads RAM 0x07 and receives 0xD2 0x3A,
  // the transaction B4 07 B5 D2 3A has PEC 0x30.
  t.equal(pec([0xb4, 0x07, 0xb5, 0xd2, 0x3a]), 0x30);
  t.equal(readWordPec(0x5a, 0x07, 0xd2, 0x3a), 0x30);
  // Write example: SA 0x5A writes EEPROM 0x02 with 0xC807: B4 22 07 C8, PEC 0x48.
  t.equal(pec([0xb4, 0x22, 0x07, 0xc8]), 0x48);
  // Application note, erase EEPROM 0x0E at address 0x00: 00 2E 00 00, PEC 0x6F.
  t.equal(pec([0x00, 0x2e, 0x00, 0x00]), 0x6f);
  // The CRC-8/SMBUS check value over the ASCII digits "123456789" is 0xF4.
  t.equal(pec(Buffer.from('123456789')), 0xf4);
  t.equal(pec([]), 0);
});

t.test('temperature words: byte order, scale, PEC and error flag', async (t) => {
  const ok = decodeTemperatureWord([0xd2, 0x3a, 0x30], 0x5a, 0x07);
  t.ok(ok.ok);
  if (ok.ok) {
    t.equal(ok.raw, 0x3ad2, 'low byte first');
    t.equal(Math.round(ok.celsius * 100) / 100, 28.01, '15058 × 0.02 − 273.15');
  }
  t.same(decodeTemperatureWord([0xd2, 0x3a, 0x31], 0x5a, 0x07), { ok: false, error: 'bad-pec' });
  t.same(decodeTemperatureWord([0x3a, 0xd2, 0x30], 0x5a, 0x07), { ok: false, error: 'bad-pec' }, 'swapped bytes are caught');
  t.same(decodeTemperatureWord([0xd2, 0x3a, 0x30], 0x5b, 0x07), { ok: false, error: 'bad-pec' }, 'PEC covers the address');
  const flagged = [0x00, 0x80, readWordPec(0x5a, 0x07, 0x00, 0x80)];
  t.same(decodeTemperatureWord(flagged, 0x5a, 0x07), { ok: false, error: 'error-flag' });
  t.same(decodeTemperatureWord([0xd2, 0x3a], 0x5a, 0x07), { ok: false, error: 'short' });
  t.equal(rawToCelsius(0x27ad), 10157 * 0.02 - 273.15);
  t.equal(Math.round(rawToCelsius(0x27ad) * 100) / 100, -70.01, 'datasheet range low end');
  t.equal(celsiusToRaw(36.6), 15488);
});

t.test('probe reads the ambient temperature or reports the thermometer missing', async (t) => {
  const { thermometer, bus } = rig({ ambientC: 26.11, noiseC: 0 });
  t.same(await thermometer.probe(), { ambientC: 26.11, transferErrors: 0, pecErrors: 0 });
  bus.detach(mlx90614Address);
  await t.rejects(thermometer.probe(), { code: 'DEVICE_MISSING', details: { errno: 'EREMOTEIO' } });
});

/** The body estimate the driver makes by default: skin + 0.19·(skin − ambient). */
const body = (skin: number, ambient = 27) => skin + 0.19 * (skin - ambient);

t.test('measure returns a body-temperature estimate from the median skin reading, with progress', async (t) => {
  const { clock, thermometer } = rig({ objectC: 35, ambientC: 27 });
  const phases: string[] = [];
  const run = await runClockUntilSettled(clock, thermometer.measure({ onProgress: (p) => phases.push(p.phase) }), { stepMs: 50 });
  t.ok(run.ok);
  if (run.ok) {
    t.equal(run.value.kind, 'temperature');
    t.equal(run.value.device, 'thermometer');
    t.ok(Math.abs(run.value.values.celsius - body(35)) <= 0.1, `${run.value.values.celsius} ≈ ${body(35).toFixed(2)}`);
  }
  t.same(phases, ['reading', 'reading', 'reading', 'reading', 'reading', 'done']);
});

t.test('the skin-to-body model and the calibration offset are configurable', async (t) => {
  const clock = new ManualClock();
  const bus = new SimI2cBus();
  bus.attach(mlx90614Address, new SimMlx90614({ objectC: 35, ambientC: 22, noiseC: 0 }));
  const skinOnly = new InfraredThermometer(bus, clock, logger, { heatBalanceK: 0 });
  const skin = await runClockUntilSettled(clock, skinOnly.measure(), { stepMs: 50 });
  t.ok(skin.ok && skin.value.values.celsius === 35, 'k = 0 reports the skin');
  const colderRoom = await runClockUntilSettled(clock, new InfraredThermometer(bus, clock, logger).measure(), { stepMs: 50 });
  t.ok(colderRoom.ok && colderRoom.value.values.celsius === Math.round(body(35, 22) * 10) / 10, 'a colder room means a warmer body for the same skin');
  const offset = await runClockUntilSettled(clock, new InfraredThermometer(bus, clock, logger, { heatBalanceK: 0, offsetC: 0.4 }).measure(), { stepMs: 50 });
  t.ok(offset.ok && offset.value.values.celsius === 35.4);
});

t.test('implausible readings are refused with a message, never returned', async (t) => {
  for (const objectC of [24, 47]) {
    const { clock, thermometer } = rig({ objectC });
    const run = await runClockUntilSettled(clock, thermometer.measure(), { stepMs: 50 });
    t.notOk(run.ok);
    if (!run.ok) t.match(run.error, { code: 'DEVICE_IMPLAUSIBLE', message: objectC < 30 ? /too low/ : /too high/ });
  }
  const { clock, thermometer } = rig({ objectC: 36, noiseC: 1 });
  const run = await runClockUntilSettled(clock, thermometer.measure(), { stepMs: 50 });
  t.notOk(run.ok);
  if (!run.ok) t.match(run.error, { code: 'DEVICE_IMPLAUSIBLE', message: /hold still/ });
});

t.test('a bad PEC is retried; a PEC that never checks fails the measurement', async (t) => {
  const some = rig({ objectC: 36.6, badPecRate: 0.3 });
  const run = await runClockUntilSettled(some.clock, some.thermometer.measure(), { stepMs: 50 });
  t.ok(run.ok, 'recovered by retrying');
  t.ok(some.thermometer.stats.pecErrors > 0, `${some.thermometer.stats.pecErrors} PEC errors retried`);
  const all = rig({ objectC: 36.6, badPecRate: 1 });
  const bad = await runClockUntilSettled(all.clock, all.thermometer.measure(), { stepMs: 50 });
  t.notOk(bad.ok);
  if (!bad.ok) t.match(bad.error, { code: 'DEVICE_READ_FAILED', details: { error: 'bad-pec' } });
  t.equal(all.thermometer.stats.pecErrors, 3, 'three attempts');
});

t.test('the error flag is never a temperature', async (t) => {
  const { clock, thermometer, device } = rig();
  device.errorFlag = true;
  const run = await runClockUntilSettled(clock, thermometer.measure(), { stepMs: 50 });
  t.notOk(run.ok);
  if (!run.ok) t.match(run.error, { code: 'DEVICE_READ_FAILED', details: { error: 'error-flag' } });
  device.errorFlag = false;
  const again = await runClockUntilSettled(clock, thermometer.measure(), { stepMs: 50 });
  t.ok(again.ok, 'recovers when the flag clears');
});

for (const code of ['EREMOTEIO', 'EIO'] as const) {
  t.test(`bus faults ${code}: 10% retried, 100% surfaced, recovery`, async (t) => {
    const { clock, bus, thermometer } = rig({ objectC: 35.5, ambientC: 27 });
    bus.setFaults(mlx90614Address, { errorRate: 0.1, errorCode: code });
    let bogus = 0;
    let good = 0;
    for (let i = 0; i < 20; i++) {
      const run = await runClockUntilSettled(clock, thermometer.measure(), { stepMs: 50 });
      if (run.ok && Math.abs(run.value.values.celsius - body(35.5)) > 0.2) bogus++;
      if (run.ok) good++;
    }
    t.equal(bogus, 0, '0 bogus readings');
    t.ok(good >= 19, `${good}/20 measured through 10% faults`);
    bus.setFaults(mlx90614Address, { errorRate: 1, errorCode: code });
    const run = await runClockUntilSettled(clock, thermometer.measure(), { stepMs: 50 });
    t.notOk(run.ok);
    if (!run.ok) t.match(run.error, { code: code === 'EIO' ? 'DEVICE_READ_FAILED' : 'DEVICE_MISSING', details: { errno: code } });
    bus.setFaults(mlx90614Address, undefined);
    t.ok((await runClockUntilSettled(clock, thermometer.measure(), { stepMs: 50 })).ok, 'recovers');
  });
}

t.test('abort and close', async (t) => {
  const { clock, thermometer } = rig();
  const ac = new AbortController();
  const p = thermometer.measure({ signal: ac.signal });
  await clock.advance(250);
  ac.abort(new Error('session ended'));
  const run = await runClockUntilSettled(clock, p, { stepMs: 50 });
  t.notOk(run.ok);
  if (!run.ok) t.match(run.error, { code: 'DEVICE_ABORTED' });
  t.equal(clock.timerCount, 0);
  await thermometer.close();
  await t.rejects(thermometer.measure(), { code: 'NOT_RUNNING' });
});
