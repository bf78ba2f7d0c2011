import t from 'tap';
import pino from 'pino';
import {
  BloodPressureMonitor, NibpEmulator, NibpFrameParser, checksumOk, decodeNibpReply, encodeNibpBpData, nibpCommands,
  nibpErrorMessage, withChecksum,
} from '../../drivers/nibp.js';
import { createSimSerialLink } from '../../drivers/transports/serial-sim.js';
import { ManualClock } from '../fakes/manual-clock.js';

const log = pino({ level: 'silent' });
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

t.test('host commands match the published byte strings and sum to 0 mod 256', async (t) => {
  t.equal(hex(nibpCommands.startAdult), '3a20a6');
  t.equal(hex(nibpCommands.abort), '3a7901004c');
  t.equal(hex(nibpCommands.getBpData), '3a7903004a');
  t.equal(hex(nibpCommands.getCuffPressure), '3a79050048');
  for (const c of Object.values(nibpCommands)) t.ok(checksumOk(c));
});

t.test('decodes cuff pressure little-endian and the 24-byte BP record', async (t) => {
  // 0x3E 0x05 0x2C 0x01 sum: 300 mmHg = 0x012C, low byte first.
  t.same(decodeNibpReply(withChecksum([0x3e, 0x05, 0x2c, 0x01])), { type: 'cuff', mmHg: 300 });
  const record = Uint8Array.from(Buffer.from('3e18' + '7900' + '4f00' + '00' + '01' + '0000000000000000' + '4600' + '5d00' + '00' + '0000', 'hex'));
  const framed = withChecksum([...record]);
  t.equal(framed.length, 24);
  t.match(decodeNibpReply(framed), { type: 'bpData', systolic: 121, diastolic: 79, pulse: 70, map: 93, bpStatus: 1, errorCode: 0 });
  t.same(decodeNibpReply(withChecksum([0x3e, 0x04, 0x4f])), { type: 'status', code: 'O' });
  const bad = Uint8Array.from(framed);
  bad[3] ^= 1;
  t.equal(decodeNibpReply(bad), null, 'a flipped bit fails the checksum');
  t.equal(decodeNibpReply(Uint8Array.from([0x3e, 0x05, 0, 0])), null, 'length byte must match');
});

t.test('parser resynchronises after garbage and a torn frame', async (t) => {
  const p = new NibpFrameParser();
  const cuff = withChecksum([0x3e, 0x05, 0x64, 0x00]);
  const torn = cuff.subarray(0, 3);
  const out = p.push(Uint8Array.from([0x00, 0x3e, 0xff, 0x3e, ...torn, ...cuff, 0x12]));
  t.same(out, [{ type: 'cuff', mmHg: 100 }]);
  t.ok(p.pending <= 0x43);
});

t.test('error codes map to Vietnamese and English messages', async (t) => {
  t.match(nibpErrorMessage(1).vi, /Tín hiệu mạch yếu/);
  t.match(nibpErrorMessage(2).en, /moved/);
  t.match(nibpErrorMessage(87).vi, /Vòng bít/);
  t.match(nibpErrorMessage(42).vi, /mã 42/);
});

function rig(options = {}) {
  const clock = new ManualClock();
  const emulator = new NibpEmulator(clock, options);
  const { link, port } = createSimSerialLink({ emulator });
  const monitor = new BloodPressureMonitor(link, clock, log);
  return { clock, emulator, link, port, monitor };
}

async function runFor(clock: ManualClock, ms: number, step = 100) {
  for (let i = 0; i < ms; i += step) await clock.advance(step);
}

t.test('a full measurement inflates, deflates and returns the module values', async (t) => {
  const { clock, emulator, monitor } = rig({ systolic: 132, diastolic: 85, pulse: 66 });
  t.same(await monitor.probe(), { cuffPressure: 0 });
  const progress: (number | undefined)[] = [];
  const p = monitor.measure({ onProgress: (x) => progress.push(x.cuffPressure) });
  await runFor(clock, 40_000);
  const m = await p;
  t.same(m.values, { systolic: 132, diastolic: 85, map: 101, pulse: 66 });
  t.ok(Math.max(...progress.map((x) => x ?? 0)) >= 160, 'progress shows the cuff pressure');
  t.equal(emulator.starts, 1);
  t.equal(emulator.aborts, 0);
  // A second identical measurement is not mistaken for stale data.
  const p2 = monitor.measure();
  await runFor(clock, 40_000);
  t.same((await p2).values.systolic, 132);
  await monitor.close();
});

t.test('module error becomes DEVICE_READ_FAILED with the Vietnamese message, never a value', async (t) => {
  const { clock, monitor } = rig({ errorCode: 2 });
  const p = monitor.measure();
  p.catch(() => undefined);
  await runFor(clock, 40_000);
  await t.rejects(p, { code: 'DEVICE_READ_FAILED', message: /cử động/ });
  await monitor.close();
});

t.test('aborting the signal deflates the cuff', async (t) => {
  const { clock, emulator, monitor } = rig();
  const ac = new AbortController();
  const p = monitor.measure({ signal: ac.signal });
  p.catch(() => undefined);
  await runFor(clock, 2000);
  t.ok(emulator.pressure > 40, 'cuff is inflating');
  ac.abort(new Error('resident walked away'));
  await runFor(clock, 200);
  await t.rejects(p, { code: 'DEVICE_ABORTED' });
  t.equal(emulator.aborts, 1);
  t.equal(emulator.pressure, 0);
  await monitor.close();
});

t.test('overall timeout deflates the cuff and rejects DEVICE_TIMEOUT', async (t) => {
  const { clock, emulator, monitor } = rig({ inflateRate: 1 });
  const p = new BloodPressureMonitor((monitor as unknown as { link: never }).link, clock, log, { measurementTimeoutMs: 5000 }).measure();
  p.catch(() => undefined);
  await runFor(clock, 6000);
  await t.rejects(p, { code: 'DEVICE_TIMEOUT' });
  t.equal(emulator.aborts, 1);
});

t.test('close() during a measurement deflates the cuff', async (t) => {
  const { clock, emulator, monitor } = rig();
  const p = monitor.measure();
  p.catch(() => undefined);
  await runFor(clock, 1500);
  await monitor.close();
  await t.rejects(p, { code: 'DEVICE_ABORTED' });
  t.ok(emulator.aborts >= 1);
  t.equal(emulator.pressure, 0);
});

t.test('faults: silence, unplug mid-frame and garbage give no value; recovery after replug', async (t) => {
  const { clock, port, monitor, emulator } = rig();
  await monitor.probe();
  const health: string[] = [];
  monitor.onHealthChange((r) => health.push(r.health));

  port.setSilent(true);
  const silent = monitor.measure();
  silent.catch(() => undefined);
  await runFor(clock, 3000);
  await t.rejects(silent, { code: 'DEVICE_TIMEOUT' });
  port.setSilent(false);

  const torn = monitor.measure();
  torn.catch(() => undefined);
  await runFor(clock, 3000);
  port.unplugAfter(10);
  await runFor(clock, 3000);
  await t.rejects(torn, { code: 'DEVICE_MISSING' });
  t.same(health, ['missing']);
  await t.rejects(monitor.probe(), { code: 'DEVICE_MISSING' });
  port.replug();
  await monitor.probe();

  const noisy = monitor.measure();
  for (let i = 0; i < 400; i++) {
    await clock.advance(100);
    if (i % 7 === 0) port.injectGarbage(Uint8Array.from([0x3e, 0x18, 0x00, 0x3e, 0x05, 0xff]));
  }
  t.same((await noisy).values.systolic, 120, 'garbage between replies does not corrupt the reading');
  t.ok(emulator.starts >= 2);
  await monitor.close();
});

t.test('encodeNibpBpData round-trips', async (t) => {
  const f = encodeNibpBpData({ systolic: 300, diastolic: 2, map: 280, pulse: 250, bpStatus: 1, errorCode: 89 });
  t.match(decodeNibpReply(f), { systolic: 300, diastolic: 2, map: 280, pulse: 250, errorCode: 89 });
});
