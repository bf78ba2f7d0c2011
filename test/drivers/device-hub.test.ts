import t from 'tap';
import pino from 'pino';
import { DeviceHub, implausibility } from '../../drivers/device-hub.js';
import { BloodPressureMonitor, NibpEmulator } from '../../drivers/nibp.js';
import { ScaleEmulator, SerialScale } from '../../drivers/scale.js';
import { CccdScanner, CccdScannerEmulator } from '../../drivers/cccd.js';
import { EscPosPrinterEmulator, EscPosReceiptPrinter } from '../../drivers/receipt-printer.js';
import { createSimSerialLink } from '../../drivers/transports/serial-sim.js';
import type { Measurement, StationDevice } from '../../drivers/types.js';
import { ManualClock, flushMicrotasks } from '../fakes/manual-clock.js';

const log = pino({ level: 'silent' });

/** An SpO2 device whose next reading the test chooses. */
class ScriptedOximeter implements StationDevice {
  readonly name = 'spo2' as const;
  next: Measurement<'spo2'>['values'] = { spo2: 97, heartRate: 70, perfusionIndex: 2 };
  constructor(private readonly clock: ManualClock) {}
  async probe() {
    return { partId: 0x15 };
  }
  async close() {}
  async measure(): Promise<Measurement> {
    return { kind: 'spo2', at: this.clock.now(), device: 'spo2', values: this.next };
  }
}

function rig() {
  const clock = new ManualClock();
  const nibpEmu = new NibpEmulator(clock, {});
  const nibp = createSimSerialLink({ emulator: nibpEmu });
  const scaleEmu = new ScaleEmulator(clock, { loadKg: 61.3 });
  const scale = createSimSerialLink({ emulator: scaleEmu });
  const scanEmu = new CccdScannerEmulator();
  const scan = createSimSerialLink({ emulator: scanEmu });
  const printEmu = new EscPosPrinterEmulator();
  const print = createSimSerialLink({ emulator: printEmu });
  const oximeter = new ScriptedOximeter(clock);
  const hub = new DeviceHub(
    {
      bloodPressure: { device: new BloodPressureMonitor(nibp.link, clock, log), mode: 'sim' },
      scale: { device: new SerialScale(scale.link, clock, log), mode: 'sim' },
      cccdScanner: { device: new CccdScanner(scan.link, clock, log), mode: 'sim' },
      printer: { device: new EscPosReceiptPrinter(print.link, clock, log, { cp1258Table: null }), mode: 'sim' },
      spo2: { device: oximeter, mode: 'sim' },
    },
    clock,
    log,
    { disabled: ['thermometer'] },
  );
  return { clock, hub, nibp, nibpEmu, scale, scaleEmu, scanEmu, printEmu, oximeter };
}

async function startHub(h: ReturnType<typeof rig>) {
  const started = h.hub.start();
  await h.clock.advance(300);
  await started;
}

t.test('implausibility refuses SpO2 0 and 130, BP 0/0, negative weight', async (t) => {
  const m = <K extends Measurement['kind']>(kind: K, values: Measurement<K>['values']) => ({ kind, values, at: 0, device: 'spo2' }) as Measurement;
  t.match(implausibility(m('spo2', { spo2: 0, heartRate: 70, perfusionIndex: 1 })), /spo2 0/);
  t.match(implausibility(m('spo2', { spo2: 130, heartRate: 70, perfusionIndex: 1 })), /spo2 130/);
  t.match(implausibility(m('bloodPressure', { systolic: 0, diastolic: 0, map: 0, pulse: 0 })), /systolic 0/);
  t.match(implausibility(m('bloodPressure', { systolic: 120, diastolic: 130, map: 125, pulse: 70 })), /not above/);
  t.match(implausibility(m('weight', { weightKg: -1 })), /weightKg -1/);
  t.match(implausibility(m('temperature', { celsius: Number.NaN })), /not a number/);
  t.equal(implausibility(m('height', { heightCm: 165 })), null);
});

t.test('start probes every device; statuses list them, disabled included', async (t) => {
  const h = rig();
  await startHub(h);
  const byName = Object.fromEntries(h.hub.statuses().map((s) => [s.name, s.health]));
  t.same(byName, { bloodPressure: 'ok', scale: 'ok', cccdScanner: 'ok', printer: 'ok', spo2: 'ok', thermometer: 'disabled' });
  await h.hub.stop();
  await h.hub.stop();
});

t.test('routes measurements, one per device at a time, refuses implausible values', async (t) => {
  const h = rig();
  await startHub(h);
  const w = h.hub.measure('weight');
  await t.rejects(h.hub.measure('weight'), { code: 'DEVICE_BUSY' });
  await h.clock.advance(3000);
  t.same((await w).values, { weightKg: 61.3 });
  t.same((await h.hub.measure('spo2')).values.spo2, 97);
  h.oximeter.next = { spo2: 130, heartRate: 70, perfusionIndex: 2 };
  await t.rejects(h.hub.measure('spo2'), { code: 'DEVICE_IMPLAUSIBLE', message: /spo2 130/ });
  t.equal(h.hub.statuses().find((s) => s.name === 'spo2')!.health, 'degraded');
  h.oximeter.next = { spo2: 96, heartRate: 70, perfusionIndex: 2 };
  await h.hub.measure('spo2');
  t.equal(h.hub.statuses().find((s) => s.name === 'spo2')!.health, 'ok', 'a good reading clears degraded');
  await t.rejects(h.hub.measure('temperature'), { code: 'DEVICE_MISSING' });
  await h.hub.stop();
});

t.test('a module error never becomes a value', async (t) => {
  const h = rig();
  await startHub(h);
  h.nibpEmu.options.errorCode = 1;
  const p = h.hub.measure('bloodPressure');
  p.catch(() => undefined);
  for (let i = 0; i < 400; i++) await h.clock.advance(100);
  await t.rejects(p, { code: 'DEVICE_READ_FAILED' });
  await h.hub.stop();
});

t.test('unplug → missing, reopen with backoff, ok again after replug', async (t) => {
  const h = rig();
  const seen: string[] = [];
  h.hub.events.on('status', t, (s) => s.name === 'bloodPressure' && seen.push(s.health));
  await startHub(h);
  h.nibp.port.unplug();
  await flushMicrotasks();
  t.equal(h.hub.statuses().find((s) => s.name === 'bloodPressure')!.health, 'missing');
  await h.clock.advance(1000);
  await h.clock.advance(2000);
  t.equal(h.hub.statuses().find((s) => s.name === 'bloodPressure')!.health, 'missing', 'still unplugged');
  await t.rejects(h.hub.measure('bloodPressure'), { code: 'DEVICE_MISSING' });
  h.nibp.port.replug();
  await h.clock.advance(8000);
  t.equal(h.hub.statuses().find((s) => s.name === 'bloodPressure')!.health, 'ok');
  t.same(seen.filter((h, i) => h !== seen[i - 1]), ['starting', 'ok', 'missing', 'ok'], 'reason updates aside, one round trip');
  const m = h.hub.measure('bloodPressure');
  for (let i = 0; i < 400; i++) await h.clock.advance(100);
  t.same((await m).values.systolic, 120);
  await h.hub.stop();
});

t.test('scans, printer health and stop deflating the cuff', async (t) => {
  const h = rig();
  await startHub(h);
  const scans: string[] = [];
  const rejected: string[] = [];
  h.hub.events.on('scan', t, (s) => scans.push(s.id));
  h.hub.events.on('scanRejected', t, (r) => rejected.push(r.error));
  h.scanEmu.show('079088001234|023456789|Nguyễn Văn An|15031988|Nam|Q1|01062021');
  h.scanEmu.show('079088001234|023456789|Nguyễn Văn An|15031989|Nam|Q1|01062021');
  await flushMicrotasks();
  t.same(scans, ['079088001234']);
  t.equal(rejected.length, 1);
  h.printEmu.paperOut = true;
  await t.rejects(h.hub.print([{ text: 'x' }]), { code: 'PRINTER_PAPER_OUT' });
  t.match(h.hub.statuses().find((s) => s.name === 'printer'), { health: 'degraded', reason: 'paper out' });
  const bp = h.hub.measure('bloodPressure');
  bp.catch(() => undefined);
  for (let i = 0; i < 20; i++) await h.clock.advance(100);
  t.ok(h.nibpEmu.pressure > 0);
  await h.hub.stop();
  await t.rejects(bp, { code: 'DEVICE_ABORTED' });
  t.ok(h.nibpEmu.aborts >= 1, 'stop deflated the cuff');
});

t.test('an idle device that goes silent is found by the health check and recovers', async (t) => {
  const h = rig();
  await startHub(h);
  h.scale.port.setSilent(true);
  await h.clock.advance(60_000);
  await h.clock.advance(2500);
  t.match(h.hub.statuses().find((s) => s.name === 'scale'), { health: 'missing', reason: /no answer/ });
  await t.rejects(
    (async () => {
      const p = h.hub.measure('weight');
      p.catch(() => undefined);
      await h.clock.advance(2500);
      return p;
    })(),
    { code: 'DEVICE_MISSING' },
    'a silent device gives no value',
  );
  h.scale.port.setSilent(false);
  for (let i = 0; i < 40; i++) await h.clock.advance(1000);
  t.equal(h.hub.statuses().find((s) => s.name === 'scale')!.health, 'ok');
  await h.hub.stop();
  t.equal(h.clock.timerCount, 0, 'stop leaves no timers behind');
});

t.test('live readings for the technician: raw frames and measurement progress', async (t) => {
  const h = rig();
  await startHub(h);
  const scale: unknown[] = [];
  const stopScale = h.hub.watch('scale', (r) => scale.push(r));
  await h.clock.advance(300);
  t.ok(scale.length >= 2);
  t.match(scale[0], { device: 'scale', raw: 61.3, value: 61.3, unit: 'kg' });
  stopScale();
  const n = scale.length;
  await h.clock.advance(300);
  t.equal(scale.length, n, 'stopped');
  const cuff: number[] = [];
  h.hub.watch('bloodPressure', (r) => r.cuffPressure !== undefined && cuff.push(r.cuffPressure));
  const bp = h.hub.measure('bloodPressure');
  for (let i = 0; i < 400; i++) await h.clock.advance(100);
  await bp;
  t.ok(Math.max(...cuff) >= 150, 'cuff pressure streamed while measuring');
  await h.hub.stop();
});
