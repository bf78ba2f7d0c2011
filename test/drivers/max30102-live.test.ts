import t from 'tap';
import pino from 'pino';
import { Max30102Register as R, PulseOximeter, max30102Address } from '../../drivers/max30102.js';
import { SimMax30102 } from '../../drivers/simulators/max30102.js';
import { SimI2cBus } from '../../drivers/transports/i2c-sim.js';
import { DeviceHub } from '../../drivers/device-hub.js';
import type { LiveReading } from '../../drivers/types.js';
import type { DeviceReading } from '../../runtime/control/methods.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { runClockUntilSettled } from '../fakes/run-clock.js';

const logger = pino({ level: 'silent' });
const healthy = { heartRate: 72, spo2: 97, perfusionIndex: 2, noise: 5, seed: 11 };
const shutdown = 0x80;
const spo2Mode = 0x03;

function rig(finger: typeof healthy | null = healthy) {
  const clock = new ManualClock();
  const bus = new SimI2cBus({ seed: 3 });
  const device = new SimMax30102(clock, { finger });
  bus.attach(max30102Address, device);
  const writes: [number, number][] = [];
  const writeByte = bus.writeByte.bind(bus);
  bus.writeByte = async (addr, cmd, byte) => {
    writes.push([cmd, byte]);
    return writeByte(addr, cmd, byte);
  };
  const oximeter = new PulseOximeter(bus, clock, logger, { fingerTimeoutMs: 20_000 });
  const mode = () => bus.readByte(max30102Address, R.MODE_CONFIG);
  return { clock, bus, device, oximeter, writes, mode };
}

/** Main period of a trace by autocorrelation over 0.3–1.5 s at 50 points/s, in beats per minute. */
function bpmOf(trace: number[]): number {
  const mean = trace.reduce((s, v) => s + v, 0) / trace.length;
  const x = trace.map((v) => v - mean);
  let bestLag = 0;
  let best = -Infinity;
  for (let lag = 15; lag <= 75; lag++) {
    let sum = 0;
    for (let i = 0; i + lag < x.length; i++) sum += x[i]! * x[i + lag]!;
    if (sum > best) {
      best = sum;
      bestLag = lag;
    }
  }
  return (60 * 50) / bestLag;
}

t.test('watching alone powers the chip, streams finger, a 50 points/s trace and a labelled estimate', async (t) => {
  const { clock, device, oximeter, mode } = rig(null);
  const readings: LiveReading[] = [];
  t.equal(await mode(), 0x00, 'power-on state before anyone watches');
  const stop = oximeter.watchReadings((r) => readings.push(r));
  await clock.advance(1000);
  t.equal(await mode(), spo2Mode, 'LEDs on while watched');
  t.ok(readings.length >= 8, `a reading per poll (${readings.length})`);
  t.ok(readings.every((r) => r.fingerOn === false && r.ppg?.length === 0 && r.heartRate === null && r.spo2 === null), 'no finger: no trace, no estimate');

  readings.length = 0;
  device.placeFinger(healthy);
  await clock.advance(6000);
  t.ok(readings.every((r) => r.fingerOn === true), 'finger seen');
  const trace = readings.flatMap((r) => r.ppg ?? []);
  t.ok(Math.abs(trace.length - 300) <= 5, `about 50 points a second (${trace.length} in 6 s)`);
  t.ok(trace.every((v) => Number.isInteger(v)), 'whole numbers, small on the wire');
  const settled = trace.slice(100);
  const swing = Math.max(...settled) - Math.min(...settled);
  t.ok(swing > 500 && swing < 20_000, `the pulse swings the trace, DC removed (${swing})`);
  t.ok(Math.abs(bpmOf(settled) - 72) <= 6, `the trace beats at the finger's rate (${bpmOf(settled).toFixed(1)} bpm)`);
  t.ok(readings.every((r) => r.heartRate === null), 'no estimate before a full 10 s window after settling');

  readings.length = 0;
  await clock.advance(8000);
  const withEstimate = readings.filter((r) => r.heartRate != null);
  t.ok(withEstimate.length > 0, 'an estimate once a window is accepted');
  const last = readings.at(-1)!;
  t.ok(Math.abs(last.heartRate! - 72) <= 3, `heart rate ${last.heartRate}`);
  t.ok(Math.abs(last.spo2! - 97) <= 2, `SpO2 ${last.spo2}`);
  t.equal(last.label, 'reference value, not a diagnosis');

  readings.length = 0;
  device.removeFinger();
  await clock.advance(500);
  const off = readings.at(-1)!;
  t.same({ fingerOn: off.fingerOn, ppg: off.ppg, heartRate: off.heartRate, spo2: off.spo2 }, { fingerOn: false, ppg: [], heartRate: null, spo2: null }, 'finger lifted: estimate cleared at once');

  stop();
  await clock.advance(0);
  t.equal(await mode(), shutdown, 'shut down (LEDs off) when nobody watches');
  t.equal(clock.timerCount, 0, 'no polling left behind');
  const count = readings.length;
  await clock.advance(1000);
  t.equal(readings.length, count, 'nothing after stop');
  stop();
});

t.test('two watchers share one poll; the chip stays on until the last one stops', async (t) => {
  const { clock, oximeter, mode } = rig();
  const a: LiveReading[] = [];
  const b: LiveReading[] = [];
  const stopA = oximeter.watchReadings((r) => a.push(r));
  const stopB = oximeter.watchReadings((r) => b.push(r));
  await clock.advance(1000);
  t.same(a, b, 'the same readings');
  t.equal(clock.timerCount, 1, 'one poll timer');
  stopA();
  await clock.advance(500);
  t.equal(await mode(), spo2Mode, 'still on for the second');
  stopB();
  await clock.advance(0);
  t.equal(await mode(), shutdown);
  // Stopping and watching again at once: the new watcher is served once the old loop has ended.
  const c: LiveReading[] = [];
  const stopC = oximeter.watchReadings((r) => c.push(r));
  stopC();
  const stopD = oximeter.watchReadings((r) => c.push(r));
  await clock.advance(500);
  t.ok(c.length >= 3, `a watcher that came back is served (${c.length})`);
  stopD();
  await clock.advance(0);
  t.equal(clock.timerCount, 0);
});

t.test('a measurement in progress is not disturbed by a watcher, and feeds it', async (t) => {
  const alone = rig();
  const undisturbed = await runClockUntilSettled(alone.clock, alone.oximeter.measure());

  const { clock, oximeter, writes, mode } = rig();
  const measuring = oximeter.measure();
  await clock.advance(3000);
  const writesBefore = writes.length;
  const readings: LiveReading[] = [];
  const stop = oximeter.watchReadings((r) => readings.push(r));
  const run = await runClockUntilSettled(clock, measuring);
  t.ok(run.ok && undisturbed.ok, 'both measured');
  if (!run.ok || !undisturbed.ok) return;
  t.same(run.value.values, undisturbed.value.values, 'same values as without a watcher');
  t.equal(run.elapsedMs + 3000, undisturbed.elapsedMs, 'same duration');
  t.same(writes.slice(writesBefore, writesBefore + 1), [[R.MODE_CONFIG, shutdown]], 'no register written during the measurement; the next write is its shutdown');
  const trace = readings.flatMap((r) => r.ppg ?? []);
  t.ok(trace.length > 300, `the measurement's own polls fed the trace (${trace.length} points)`);
  const final = readings.find((r) => r.heartRate != null);
  t.same(final && { heartRate: final.heartRate, spo2: final.spo2, label: final.label },
    { heartRate: run.value.values.heartRate, spo2: run.value.values.spo2, label: 'reference value, not a diagnosis' }, 'the accepted reading reaches the view');

  await clock.advance(1000);
  t.equal(await mode(), spo2Mode, 'the view takes the chip back after the measurement');
  t.ok(readings.at(-1)!.fingerOn, 'and keeps streaming');
  stop();
  await clock.advance(0);
  t.equal(await mode(), shutdown);
});

t.test('a measurement started while watching takes the chip over and hands it back', async (t) => {
  const { clock, oximeter, mode } = rig();
  const readings: LiveReading[] = [];
  const stop = oximeter.watchReadings((r) => readings.push(r));
  await clock.advance(4000);
  const run = await runClockUntilSettled(clock, oximeter.measure());
  t.ok(run.ok, 'measured');
  if (run.ok) t.ok(Math.abs(run.value.values.heartRate - 72) <= 3);
  t.ok(run.elapsedMs >= 12_000 && run.elapsedMs <= 14_000, `a full settle and window of its own (${run.elapsedMs} ms)`);
  const during = readings.length;
  await clock.advance(1000);
  t.ok(readings.length > during, 'still streaming afterwards');
  t.equal(await mode(), spo2Mode);
  stop();
  await oximeter.close();
  t.equal(await mode(), shutdown);
  t.equal(clock.timerCount, 0, 'close leaves no timer');
});

t.test('close stops the view; a missing sensor ends it with one unavailable reading', async (t) => {
  const { clock, bus, oximeter, mode } = rig();
  const readings: LiveReading[] = [];
  oximeter.watchReadings((r) => readings.push(r));
  await clock.advance(500);
  await oximeter.close();
  t.equal(await mode(), shutdown);
  t.equal(clock.timerCount, 0);

  await oximeter.probe();
  await clock.advance(500);
  t.ok(readings.length > 5, 'a probe after close resumes the view');
  bus.detach(max30102Address);
  await clock.advance(500);
  t.same(readings.at(-1), { phase: 'unavailable', fingerOn: false, heartRate: null, spo2: null });
  t.equal(clock.timerCount, 0, 'no retry loop against a missing sensor');
});

t.test('through the device hub: readings carry the device name and time', async (t) => {
  const { clock, oximeter } = rig();
  const hub = new DeviceHub({ spo2: { device: oximeter, mode: 'sim' } }, clock, logger, { healthCheckIntervalMs: 0 });
  await hub.start();
  const readings: DeviceReading[] = [];
  const stop = hub.watch('spo2', (r) => readings.push(r));
  await clock.advance(1000);
  t.ok(readings.length >= 8);
  t.match(readings.at(-1), { device: 'spo2', at: clock.now(), fingerOn: true });
  stop();
  await hub.stop();
  t.equal(clock.timerCount, 0);
});
