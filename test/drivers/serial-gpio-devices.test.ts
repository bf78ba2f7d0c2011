import t from 'tap';
import pino from 'pino';
import { DeviceHub } from '../../drivers/device-hub.js';
import { createSerialGpioDevices } from '../../drivers/serial-gpio-devices.js';
import type { Key } from '../../runtime/kernel/input.js';
import { ManualClock } from '../fakes/manual-clock.js';
import type { LiveReadingSource, ScaleCalibrationPort, ScanPort, SignalPort } from '../../runtime/technician/actions.js';
import type { CccdScanner } from '../../drivers/cccd.js';
import type { Hx711Scale } from '../../drivers/hx711-iio.js';
import type { MeasureService } from '../../drivers/types.js';
import type { ReceiptPrinter } from '../../runtime/flows/ports.js';

const log = pino({ level: 'silent' });

t.test('a simulated station: every serial and GPIO device behind the hub', async (t) => {
  const clock = new ManualClock();
  const built = createSerialGpioDevices(
    {
      bloodPressure: { mode: 'sim' },
      scale: { mode: 'sim' },
      height: { mode: 'sim', mountingHeightMm: 2100 },
      cccdScanner: { mode: 'sim' },
      printer: { mode: 'sim', codePage: 52 },
      keypad: { mode: 'sim' },
    },
    { clock, logger: log, dataDir: t.testdir() },
  );
  const hub = new DeviceHub(built.entries, clock, log);
  // The technician's ports are these very objects (checked by the compiler).
  const ports: [MeasureService, ReceiptPrinter, LiveReadingSource, SignalPort, ScanPort] = [
    hub, hub, hub, built.indicators!, built.entries.cccdScanner!.device as CccdScanner,
  ];
  t.equal(ports.length, 5);
  const calibration: ((s: Hx711Scale) => ScaleCalibrationPort) = (s) => s;
  t.ok(calibration);
  const started = hub.start();
  await clock.advance(300);
  await started;
  t.same(hub.statuses().map((s) => `${s.name}:${s.health}`).sort(), [
    'bloodPressure:ok', 'cccdScanner:ok', 'height:ok', 'keypad:ok', 'printer:ok', 'scale:ok',
  ]);
  await built.indicators!.start();
  const keys: Key[] = [];
  hub.events.on('key', t, (k) => keys.push(k));
  built.sim.keypad!.press('ok');
  await clock.advance(100);
  built.sim.keypad!.release();
  await clock.advance(100);
  t.same(keys, ['ok']);
  built.sim.height!.options.personHeightMm = 1580;
  const h = hub.measure('height');
  await clock.advance(1000);
  t.ok(Math.abs((await h).values.heightCm - 158) <= 0.3);
  await hub.print([{ text: 'Trạm công dân số', align: 'center' }]);
  t.ok(Buffer.from(built.sim.printer!.received).includes(Buffer.from([0x1b, 0x74, 52])));
  await built.indicators!.stop();
  await hub.stop();
  built.io!.close();
  t.equal(built.sim.gpio!.isExported(5), false, 'keypad lines released');
});

t.test('a real device without a transport is a config error naming the device', async (t) => {
  t.throws(() => createSerialGpioDevices({ bloodPressure: { mode: 'real', serial: { path: '/dev/x' } } }, { clock: new ManualClock(), logger: log, dataDir: '/tmp' }), {
    code: 'CONFIG_INVALID',
    message: /devices.bloodPressure/,
  });
});

t.test('the simulated scale and height rod stream from the phase the station gives them', async (t) => {
  const probeTimes = async (simStreamPhase?: () => number) => {
    const clock = new ManualClock();
    const opened = clock.now();
    const built = createSerialGpioDevices({ scale: { mode: 'sim' }, height: { mode: 'sim' } }, { clock, logger: log, dataDir: t.testdir(), ...(simStreamPhase ? { simStreamPhase } : {}) });
    const hub = new DeviceHub(built.entries, clock, log);
    const ready: Record<string, number> = {};
    hub.events.on('status', t, (s) => {
      if (s.health === 'ok') ready[s.name] = clock.now() - opened;
    });
    const started = hub.start();
    for (let i = 0; i < 100 && Object.keys(ready).length < 2; i++) await clock.advance(1);
    await started;
    await hub.stop();
    return { ready, phases: [built.sim.scale!.options.phaseMs, built.sim.height!.options.phaseMs] };
  };
  const atRandom = await probeTimes(() => 0.37);
  t.same(atRandom.phases, [37, 37]);
  t.same(atRandom.ready, { scale: 37, height: 37 }, 'both answer their probe at their first output, 37 ms in, not a full period after the port opened');
  const unset = await probeTimes();
  t.same(unset.phases, [0, 0]);
  t.same(unset.ready, { scale: 100, height: 100 }, 'without a phase, on a round clock, the first output is one period after opening');
});
