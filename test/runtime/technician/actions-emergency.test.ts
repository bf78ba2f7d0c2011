/**
 * The emergency button test's rules over the control socket with the real interceptor and a
 * ManualClock: what a press does while armed and after, the window bounds, the pushed result, the
 * buzzer and LED, and the audit records. The whole station path is in
 * technician-actions-emergency-station.test.ts.
 */
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { ControlSocket } from '../../../runtime/control/server.js';
import { ControlClient } from '../../../runtime/control/client.js';
import type { EmergencyButtonTestReport } from '../../../runtime/control/methods.js';
import { EmergencyButtonTest, emergencyTestReleaseWaitMs } from '../../../runtime/technician/emergency-button-drill.js';
import type { RecordKind, RecordSink } from '../../../runtime/flows/ports.js';
import { registerTechnicianActions } from '../../../runtime/technician/actions.js';
import { ManualClock, flushMicrotasks } from '../../fakes/manual-clock.js';

const logger = pino({ level: 'silent' });

class MemorySink implements RecordSink {
  records: { kind: RecordKind; payload: Record<string, unknown> }[] = [];
  async record(kind: RecordKind, payload: Record<string, unknown>) {
    this.records.push({ kind, payload });
    return { eventId: `st:1:${this.records.length}`, recordedAt: 0 };
  }
  audits(action: string) {
    return this.records.filter((r) => r.kind === 'audit' && r.payload.action === action).map((r) => r.payload);
  }
}

async function rig(t: Test, withButton = true) {
  const dir = mkdtempSync(join(tmpdir(), 'emergency-test-'));
  const clock = new ManualClock(Date.parse('2026-11-25T02:00:00Z'));
  const sink = new MemorySink();
  const station = { maintenance: true };
  const signalled: string[] = [];
  const test = new EmergencyButtonTest({
    clock, logger, audit: sink, maintenance: () => station.maintenance,
    signals: () => ({ beep: async (ms) => void signalled.push(`beep ${ms}`), blink: async (ms) => void signalled.push(`blink ${ms}`) }),
  });
  // What station.ts does with the hub's `emergency` event.
  const alerts: number[] = [];
  const hubPress = () => {
    if (!test.capture({ at: clock.now() })) alerts.push(clock.now());
  };
  const control = new ControlSocket({ path: join(dir, 'control.sock'), mode: '0600', maxLineBytes: 65536, logger });
  registerTechnicianActions(control, { clock, logger, audit: sink, exportDir: dir, stationId: 'hcm-bt-dkc-01', ...(withButton ? { emergencyTest: test } : {}) });
  await control.start();
  const client = new ControlClient(join(dir, 'control.sock'));
  await client.connect();
  const pushed: EmergencyButtonTestReport[] = [];
  client.onEvent((event, data) => {
    if (event === 'emergency.test') pushed.push(data as EmergencyButtonTestReport);
  });
  t.teardown(async () => {
    test.stop();
    client.close();
    await control.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { clock, sink, station, signalled, test, alerts, hubPress, client, pushed };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 8; i++) await flushMicrotasks();
}

t.test('outside maintenance arming is refused, audited, and the button stays live', async (t) => {
  const r = await rig(t);
  r.station.maintenance = false;
  const res = await r.client.call('emergency.test.arm', { operator: 'kythuat.an' });
  t.match(res, { ok: false, error: { code: 'MAINTENANCE_REQUIRED', message: /a resident may need the emergency button.*maintenance mode/ } });
  t.match(r.sink.audits('emergency.test.arm'), [{ outcome: 'failed', operator: 'kythuat.an', detail: { windowS: 'default', error: 'MAINTENANCE_REQUIRED' } }]);
  r.hubPress();
  t.equal(r.alerts.length, 1, 'the press is an alert');
  t.same(r.signalled, []);
});

t.test('the window must be 5-120 whole seconds', async (t) => {
  const r = await rig(t);
  for (const windowS of [4, 121, 10.5, '30']) {
    const res = await r.client.call('emergency.test.arm', { windowS } as never);
    t.match(res, { ok: false, error: { code: 'CONTROL_BAD_PARAMS', message: /from 5 to 120/ } }, `windowS ${JSON.stringify(windowS)}`);
  }
  t.match(await r.client.call('emergency.test.arm', { windowS: 5 }), { ok: true, data: { state: 'armed', windowS: 5, secondsLeft: 5 } });
  t.match(await r.client.call('emergency.test.cancel', {}), { ok: true });
  t.match(await r.client.call('emergency.test.arm', { windowS: 120 }), { ok: true, data: { state: 'armed', windowS: 120 } });
});

t.test('armed: the first press is captured, reported, beeped, then its release with the hold time; the next press is an alert again', async (t) => {
  const r = await rig(t);
  const armedAt = r.clock.now();
  t.match(await r.client.call('emergency.test.arm', { operator: 'kythuat.an', windowS: 30 }), { ok: true, data: { state: 'armed', armedAt, windowS: 30, secondsLeft: 30 } });
  await r.clock.advance(12_400);
  t.match(await r.client.call('emergency.test.status', {}), { ok: true, data: { state: 'armed', secondsLeft: 18 } });
  r.hubPress();
  await settle();
  t.same(r.alerts, [], 'no alert');
  const press = { state: 'pressed', windowS: 30, armedAt, ended: 'pressed', pressedAt: armedAt + 12_400, afterMs: 12_400 };
  t.same(r.pushed, [press], 'the technician hears the press');
  t.same(r.signalled.sort(), ['beep 200', 'blink 1000'], 'buzzer and LED answer the press');
  t.match(r.sink.audits('emergency.test.arm'), [{ outcome: 'ok', operator: 'kythuat.an', detail: { windowS: 30 } }]);
  t.same(r.sink.audits('emergency.test.result'), [], 'the result waits for the release');
  t.match(await r.client.call('emergency.test.arm', {}), { ok: false, error: { code: 'DEVICE_BUSY', message: /still down: release it/ } }, 'no new test while the pressed button is down');
  await r.clock.advance(400);
  r.test.released({ heldMs: 430 });
  await settle();
  t.same(r.pushed, [press, { ...press, released: true, heldMs: 430 }], 'then its release, with the hold time the driver measured');
  t.same(r.sink.audits('emergency.test.result'), [{
    action: 'emergency.test.result', outcome: 'ok', operator: 'kythuat.an', at: '2026-11-25T02:00:12.800Z',
    detail: { result: 'pressed', ended: 'pressed', windowS: 30, afterMs: 12_400, released: true, heldMs: 430 },
  }]);
  r.hubPress();
  t.equal(r.alerts.length, 1, 'one press passes the test; the next is a real alert');
  r.test.released({ heldMs: 200 });
  t.match(await r.client.call('emergency.test.status', {}), { ok: true, data: { state: 'pressed', afterMs: 12_400, released: true, heldMs: 430 } }, 'a resident\'s release changes nothing');
  await r.clock.advance(60_000);
  t.equal(r.pushed.length, 2, 'nothing more after the end');
  t.equal(r.sink.audits('emergency.test.result').length, 1, 'one result');
});

t.test('a button still down when the wait for its release ends is reported and audited as not released', async (t) => {
  const r = await rig(t);
  t.match(await r.client.call('emergency.test.arm', { operator: 'kythuat.an', windowS: 30 }), { ok: true });
  await r.clock.advance(2_000);
  r.hubPress();
  await settle();
  t.match(r.pushed, [{ state: 'pressed', afterMs: 2_000 }]);
  t.notOk('released' in r.pushed[0]!, 'the press alone: the release is not known yet');
  await r.clock.advance(emergencyTestReleaseWaitMs - 1);
  t.equal(r.pushed.length, 1, 'still waiting');
  await r.clock.advance(1);
  await settle();
  t.same(r.pushed[1], { state: 'pressed', windowS: 30, armedAt: r.pushed[0]!.armedAt, ended: 'pressed', pressedAt: r.pushed[0]!.pressedAt, afterMs: 2_000, released: false });
  t.same(r.sink.audits('emergency.test.result').map((a) => [a.outcome, a.detail]), [
    ['failed', { result: 'pressed', ended: 'pressed', windowS: 30, afterMs: 2_000, released: false }],
  ], 'a button that stays down fails: it cannot raise the next alert');
  r.test.released({ heldMs: 15_000 });
  await settle();
  t.equal(r.pushed.length, 2, 'a release after the wait changes nothing');
  t.match(r.test.report(), { state: 'pressed', released: false });
  t.match(await r.client.call('emergency.test.arm', {}), { ok: true }, 'a new test can be armed');
  t.equal(r.alerts.length, 0);
});

t.test('stopping while the release is awaited audits the press without it', async (t) => {
  const r = await rig(t);
  t.match(await r.client.call('emergency.test.arm', { operator: 'kythuat.an' }), { ok: true });
  r.hubPress();
  r.test.stop();
  await settle();
  t.same(r.sink.audits('emergency.test.result').map((a) => [a.outcome, a.detail]), [['ok', { result: 'pressed', ended: 'pressed', windowS: 30, afterMs: 0 }]]);
  await r.clock.advance(emergencyTestReleaseWaitMs);
  t.equal(r.sink.audits('emergency.test.result').length, 1, 'the wait ended with the stop');
});

t.test('the window ends by itself: not pressed, audited, presses are alerts again', async (t) => {
  const r = await rig(t);
  t.match(await r.client.call('emergency.test.arm', { operator: 'kythuat.an', windowS: 10 }), { ok: true });
  await r.clock.advance(9_999);
  t.match(r.test.report(), { state: 'armed', secondsLeft: 1 });
  await r.clock.advance(1);
  await settle();
  t.match(r.pushed, [{ state: 'not-pressed', ended: 'window-ended', windowS: 10 }]);
  t.match(r.sink.audits('emergency.test.result'), [{ outcome: 'failed', operator: 'kythuat.an', detail: { result: 'not-pressed', ended: 'window-ended', windowS: 10 } }]);
  r.hubPress();
  t.equal(r.alerts.length, 1);
  t.same(r.signalled, []);
});

t.test('cancel disarms and is audited with who cancelled', async (t) => {
  const r = await rig(t);
  t.match(await r.client.call('emergency.test.arm', { operator: 'kythuat.an' }), { ok: true, data: { windowS: 30 } });
  t.match(await r.client.call('emergency.test.arm', { operator: 'kythuat.an' }), { ok: false, error: { code: 'DEVICE_BUSY', message: /already armed \(30 s left\)/ } });
  t.match(await r.client.call('emergency.test.cancel', { operator: 'kythuat.binh' }), { ok: true, data: { state: 'not-pressed', ended: 'cancelled' } });
  r.hubPress();
  t.equal(r.alerts.length, 1, 'the press after the cancel is an alert');
  t.match(r.sink.audits('emergency.test.cancel'), [{ outcome: 'ok', operator: 'kythuat.binh', detail: { state: 'not-pressed', ended: 'cancelled' } }]);
  t.match(r.sink.audits('emergency.test.result'), [{ outcome: 'failed', operator: 'kythuat.an', detail: { result: 'not-pressed', ended: 'cancelled' } }]);
  t.match(await r.client.call('emergency.test.cancel', {}), { ok: true, data: { state: 'not-pressed', ended: 'cancelled' } }, 'cancelling again changes nothing');
  t.equal(r.sink.audits('emergency.test.result').length, 1);
});

t.test('maintenance off disarms, told at once or found at the press', async (t) => {
  const r = await rig(t);
  t.match(await r.client.call('emergency.test.arm', {}), { ok: true });
  r.station.maintenance = false;
  r.test.maintenanceChanged(false);
  await settle();
  t.match(r.pushed, [{ state: 'not-pressed', ended: 'maintenance-off' }]);
  r.hubPress();
  t.equal(r.alerts.length, 1);

  // Had the station not said so, the press itself finds maintenance over and is an alert.
  r.station.maintenance = true;
  t.match(await r.client.call('emergency.test.arm', {}), { ok: true });
  r.station.maintenance = false;
  r.hubPress();
  t.equal(r.alerts.length, 2, 'a press after maintenance ended is never swallowed');
  t.match(r.test.report(), { state: 'not-pressed', ended: 'maintenance-off' });
  t.same(r.signalled, []);
});

t.test('a client that closes stops hearing; a station without the keypad says the button is missing', async (t) => {
  const r = await rig(t);
  t.match(await r.client.call('emergency.test.arm', {}), { ok: true });
  r.client.close();
  await settle();
  r.hubPress();
  t.same(r.alerts, [], 'still captured after the technician left');
  t.match(r.test.report(), { state: 'pressed' });

  const bare = await rig(t, false);
  t.match(await bare.client.call('emergency.test.arm', {}), { ok: false, error: { code: 'DEVICE_MISSING', message: /the emergency button is not configured/ } });
  t.match(await bare.client.call('emergency.test.status', {}), { ok: false, error: { code: 'DEVICE_MISSING' } });
});
