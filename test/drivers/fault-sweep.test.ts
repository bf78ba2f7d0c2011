/**
 * A seeded sweep of serial faults across the hub's devices: each trial injects one fault (garbage
 * bursts, unplug at a random byte then replug, silence) during a measurement. Whatever happens,
 * a value that comes back must be the true one: the count of bogus readings must be 0.
 */
import t from 'tap';
import pino from 'pino';
import { DeviceHub } from '../../drivers/device-hub.js';
import { createSerialGpioDevices } from '../../drivers/serial-gpio-devices.js';
import { SeededRandom } from '../../drivers/transports/seeded-random.js';
import type { SimSerialPort } from '../../drivers/transports/serial-sim.js';
import type { MeasurementKind } from '../../drivers/types.js';
import { ManualClock } from '../fakes/manual-clock.js';

const log = pino({ level: 'silent' });
const trialsPerDevice = 12;

type Fault = 'none' | 'garbage' | 'unplug' | 'silence';

async function trial(kind: MeasurementKind, fault: Fault, rnd: SeededRandom) {
  const clock = new ManualClock();
  const built = createSerialGpioDevices(
    { bloodPressure: { mode: 'sim' }, scale: { mode: 'sim' }, height: { mode: 'sim', mountingHeightMm: 2200 } },
    { clock, logger: log, dataDir: '/nonexistent' },
  );
  const sim = built.sim;
  sim.scale!.options.loadKg = 55 + Math.round(rnd.between(0, 4000)) / 100;
  sim.height!.options.personHeightMm = 1500 + Math.round(rnd.between(0, 400));
  sim.nibp!.options = { systolic: 100 + Math.round(rnd.between(0, 60)), diastolic: 60 + Math.round(rnd.between(0, 25)), pulse: 60 + Math.round(rnd.between(0, 40)) };
  const hub = new DeviceHub(built.entries, clock, log, { healthCheckIntervalMs: 0 });
  const started = hub.start();
  await clock.advance(300);
  await started;
  const port: SimSerialPort = sim.ports[kind === 'weight' ? 'scale' : kind === 'height' ? 'height' : 'bloodPressure']!;
  const outcome = hub.measure(kind).then(
    (m) => ({ ok: true as const, values: m.values as unknown as Record<string, number> }),
    (err: { code: string }) => ({ ok: false as const, code: err.code }),
  );
  let settled: Awaited<typeof outcome> | undefined;
  void outcome.then((o) => (settled = o));
  const faultAt = Math.round(rnd.between(0, kind === 'bloodPressure' ? 20_000 : 1_000));
  const faultFor = Math.round(rnd.between(500, 5000));
  for (let now = 0; now < 200_000 && !settled; now += 100) {
    if (now === faultAt - (faultAt % 100)) {
      if (fault === 'garbage') for (let i = 0; i < 5; i++) port.injectGarbage(Uint8Array.from({ length: 12 }, () => Math.floor(rnd.between(0, 256))));
      if (fault === 'unplug') port.unplugAfter(Math.floor(rnd.between(0, 30)));
      if (fault === 'silence') port.setSilent(true);
    }
    if (now === faultAt - (faultAt % 100) + faultFor - (faultFor % 100)) {
      port.replug();
      port.setSilent(false);
    }
    if (fault === 'garbage' && rnd.next() < 0.05) port.injectGarbage(Uint8Array.from({ length: 6 }, () => Math.floor(rnd.between(0, 256))));
    await clock.advance(100);
  }
  const name = kind === 'weight' ? 'scale' : kind === 'height' ? 'height' : 'bloodPressure';
  const health = hub.statuses().find((s) => s.name === name)!.health;
  // The fault clears; within the backoff the device is back and measures the truth again.
  port.clearFaults();
  for (let i = 0; i < 40; i++) await clock.advance(1000);
  const again = hub.measure(kind).then((m) => m.values as unknown as Record<string, number>, (err: { code: string }) => err.code);
  let recovered: Record<string, number> | string | undefined;
  void again.then((v) => (recovered = v));
  for (let now = 0; now < 120_000 && recovered === undefined; now += 100) await clock.advance(100);
  const healthAfter = hub.statuses().find((s) => s.name === name)!.health;
  await hub.stop();
  const truth: Record<string, number> =
    kind === 'weight'
      ? { weightKg: sim.scale!.options.loadKg }
      : kind === 'height'
        ? { heightCm: sim.height!.options.personHeightMm! / 10 }
        : { systolic: sim.nibp!.options.systolic!, diastolic: sim.nibp!.options.diastolic!, pulse: sim.nibp!.options.pulse! };
  return { settled, truth, health, recovered, healthAfter };
}

t.test('seeded fault sweep: no bogus readings', async (t) => {
  const rnd = new SeededRandom(20261125);
  const faults: Fault[] = ['none', 'garbage', 'unplug', 'silence'];
  let bogus = 0;
  const tally: Record<string, number> = {};
  for (const kind of ['weight', 'height', 'bloodPressure'] as const) {
    for (let i = 0; i < trialsPerDevice; i++) {
      const fault = faults[i % faults.length]!;
      const { settled, truth, health, recovered, healthAfter } = await trial(kind, fault, rnd);
      const recoveredOk = typeof recovered === 'object' && Object.entries(truth).every(([k, v]) => Math.abs((recovered as Record<string, number>)[k]! - v) <= (k === 'heightCm' ? 0.3 : 0.001));
      t.ok(recoveredOk, `${kind}/${fault}: measures the true value after the fault clears (${JSON.stringify(recovered)})`);
      t.equal(healthAfter, 'ok', `${kind}/${fault}: healthy again`);
      t.ok(settled, `${kind}/${fault}: the measurement ended`);
      if (!settled) continue;
      const key = `${kind}/${fault}/${settled.ok ? 'value' : settled.code}`;
      tally[key] = (tally[key] ?? 0) + 1;
      if (settled.ok) {
        const wrong = Object.entries(truth).some(([k, v]) => Math.abs((settled.values[k] ?? NaN) - v) > (k === 'heightCm' ? 0.3 : 0.001));
        if (wrong) bogus++;
        if (fault === 'none') t.equal(health, 'ok');
      } else {
        t.ok(['DEVICE_MISSING', 'DEVICE_TIMEOUT', 'DEVICE_READ_FAILED'].includes(settled.code), `${key} is a device error`);
        if (fault === 'none') t.fail(`${kind} failed without a fault: ${settled.code}`);
      }
    }
  }
  t.equal(bogus, 0, 'bogus readings');
  t.comment(JSON.stringify(tally));
});
