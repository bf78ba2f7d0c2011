/**
 * The technician's device tests over the control socket against the simulated devices behind the
 * real DeviceHub: the NIBP emulator inflating a cuff, the ESC/POS printer emulator, the buzzer.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { DeviceHub } from '../../../drivers/device-hub.js';
import { createSerialGpioDevices } from '../../../drivers/serial-gpio-devices.js';
import type { CccdScanner } from '../../../drivers/cccd.js';
import { ControlSocket } from '../../../runtime/control/server.js';
import { ControlClient } from '../../../runtime/control/client.js';
import type { DeviceReading } from '../../../runtime/control/methods.js';
import { registerTechnicianActions } from '../../../runtime/technician/actions.js';
import type { RecordKind } from '../../../runtime/flows/ports.js';
import { ManualClock, flushMicrotasks } from '../../fakes/manual-clock.js';

const log = pino({ level: 'silent' });

t.test('blood pressure, test receipt and beep through the device hub in simulation', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'technician-hub-'));
  const clock = new ManualClock();
  const built = createSerialGpioDevices(
    { bloodPressure: { mode: 'sim' }, printer: { mode: 'sim' }, cccdScanner: { mode: 'sim' }, keypad: { mode: 'sim' } },
    { clock, logger: log, dataDir: dir },
  );
  const hub = new DeviceHub(built.entries, clock, log);
  const started = hub.start();
  await clock.advance(300);
  await started;
  await built.indicators!.start();
  const audits: { kind: RecordKind; payload: Record<string, unknown> }[] = [];
  const control = new ControlSocket({ path: join(dir, 'control.sock'), mode: '0600', maxLineBytes: 65536, logger: log });
  registerTechnicianActions(control, {
    clock, logger: log, exportDir: dir, stationId: 'hcm-bt-dkc-01',
    audit: { record: async (kind, payload) => (audits.push({ kind, payload }), { eventId: `e${audits.length}`, recordedAt: clock.now() }) },
    measure: hub, printer: hub, readings: hub, signals: built.indicators!,
    scanner: built.entries.cccdScanner!.device as CccdScanner,
  });
  await control.start();
  const client = new ControlClient(join(dir, 'control.sock'));
  await client.connect();
  t.teardown(async () => {
    client.close();
    await control.stop();
    await built.indicators!.stop();
    await hub.stop();
    built.io!.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const cuff: number[] = [];
  client.onEvent((event, data) => {
    if (event === 'device.reading' && (data as DeviceReading).cuffPressure !== undefined) cuff.push((data as DeviceReading).cuffPressure!);
  });

  built.sim.nibp!.options = { systolic: 128, diastolic: 82, pulse: 70 };
  const measuring = client.call('devices.test', { device: 'bloodPressure', action: 'measure', operator: 'an' });
  let answer: Awaited<typeof measuring> | undefined;
  void measuring.then((a) => (answer = a));
  // The emulator inflates to systolic + 30 at 40 mmHg/s and deflates at 8 mmHg/s: about 25 s of clock.
  for (let s = 0; s < 60 && !answer; s++) {
    await clock.advance(1000);
    for (let i = 0; i < 4; i++) await flushMicrotasks();
  }
  t.match(answer, { ok: true, data: { device: 'bloodPressure', summary: /^128\/82 mmHg \(MAP \d+\), pulse 70\/min$/ } });
  t.ok(cuff.length > 5, `cuff pressure streamed to the technician (${cuff.length} updates)`);
  t.ok(Math.max(...cuff) >= 150, 'inflated above systolic');

  const printing = client.call('devices.test', { device: 'printer', action: 'print-test' });
  for (let i = 0; i < 20 && built.sim.printer!.received.length === 0; i++) {
    await clock.advance(100);
    await flushMicrotasks();
  }
  await clock.advance(1000);
  t.match(await printing, { ok: true, data: { summary: /test receipt sent/ } });
  t.ok(Buffer.from(built.sim.printer!.received).includes(Buffer.from('hcm-bt-dkc-01')), 'the station id reached the printer');

  const beeping = client.call('devices.test', { device: 'keypad', action: 'beep' });
  await flushMicrotasks();
  await clock.advance(400);
  t.match(await beeping, { ok: true, data: { summary: 'buzzer sounded for 0.3 s' } });

  t.same(audits.map((a) => [a.kind, a.payload.action, a.payload.outcome]), [
    ['audit', 'device.test', 'ok'], ['audit', 'device.test', 'ok'], ['audit', 'device.test', 'ok'],
  ]);
  t.notMatch(JSON.stringify(audits), /128|82/, 'no blood-pressure value in the audit trail');
});
