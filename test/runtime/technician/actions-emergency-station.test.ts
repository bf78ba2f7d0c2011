// The whole station in-process with the simulation config and the technician's emergency button
// test over the control socket: the simulated push button goes GPIO line → keypad scan → device
// hub → station, where an armed test captures the press. What leaves the station is asserted at the
// embedded broker, as test/runtime/station-emergency.test.ts does for the real alert; audit records
// are read from the journal (no central receipts here, so the audit stream sends one at a time).
import t from 'tap';
import mqtt from 'mqtt';
import { ControlClient } from '../../../runtime/control/client.js';
import type { EmergencyButtonTestReport } from '../../../runtime/control/methods.js';
import { until } from '../../fakes/link-test-kit.js';
import { startSimStation } from '../../fakes/sim-station.js';

t.test('an armed test captures the physical press without an alert; once disarmed a press raises the alert again', async (t) => {
  const { station, config, clock } = await startSimStation(t);
  const button = station.devices()!.sim.emergencyButton!;

  const sub = await mqtt.connectAsync(station.brokerUrl()!, { protocolVersion: 4 });
  t.teardown(() => sub.endAsync());
  const alerts: Record<string, unknown>[] = [];
  sub.on('message', (topic, payload) => {
    if (topic === `cds/v1/${config.station.id}/event/emergency`) alerts.push(JSON.parse(payload.toString()));
  });
  await sub.subscribeAsync(`cds/v1/${config.station.id}/event/#`, { qos: 1 });

  const client = new ControlClient(station.socketPath);
  await client.connect();
  t.teardown(() => client.close());
  const pushed: EmergencyButtonTestReport[] = [];
  client.onEvent((event, data) => {
    if (event === 'emergency.test') pushed.push(data as EmergencyButtonTestReport);
  });
  // Answers come over the real socket without the clock moving, so seconds left are exact.
  const call = (method: string, params: Record<string, unknown>) => client.call(method as 'emergency.test.status', params as Record<string, never>);
  const journal = () => station.link().journal!.unreleased();
  const priorityRecords = () => journal().filter((r) => r.kind === 'emergency' || r.priority);
  type Audit = { action: string; outcome: string; operator: string; detail: Record<string, unknown> };
  const audits = () => journal().filter((r) => r.kind === 'audit').map((r) => r.body as unknown as Audit);
  await until(clock, () => station.flows().current().kind === 'home', 'home screen', 10);

  // In service a resident may need the button: no test.
  const refused = await call('emergency.test.arm', { operator: 'kythuat.an' });
  t.match(refused, { ok: false, error: { code: 'MAINTENANCE_REQUIRED', message: /in service.*maintenance mode/ } });
  t.match((await call('emergency.test.status', {})), { ok: true, data: { state: 'idle' } }, 'nothing armed');
  await until(clock, () => audits().length >= 1, 'the refusal audited', 10);
  t.match(audits()[0], { action: 'emergency.test.arm', outcome: 'failed', operator: 'kythuat.an', detail: { error: 'MAINTENANCE_REQUIRED' } });

  t.match(await call('maintenance.set', { on: true, reason: 'button check', operator: 'kythuat.an' }), { ok: true });
  await until(clock, () => station.flows().current().kind === 'maintenance', 'maintenance screen', 10);

  t.match(await call('emergency.test.arm', { operator: 'kythuat.an', windowS: 121 }), { ok: false, error: { code: 'CONTROL_BAD_PARAMS', message: /from 5 to 120/ } });
  t.match(await call('emergency.test.arm', { operator: 'kythuat.an', windowS: 4 }), { ok: false, error: { code: 'CONTROL_BAD_PARAMS' } });

  // Armed: the press is the technician's, not an alert.
  const armedAt = clock.now();
  const armed = await call('emergency.test.arm', { operator: 'kythuat.an', windowS: 20 });
  t.match(armed, { ok: true, data: { state: 'armed', windowS: 20, secondsLeft: 20 } });
  await clock.advance(3000);
  t.match(await call('emergency.test.status', {}), { ok: true, data: { state: 'armed', secondsLeft: 17 } }, 'seconds left count down');
  const downAt = clock.now();
  button.press();
  await until(clock, () => pushed.some((p) => p.state === 'pressed'), 'the press reported to the technician', 10);
  const result = pushed.find((p) => p.state === 'pressed')!;
  t.match(result, { state: 'pressed', ended: 'pressed', windowS: 20 });
  t.ok(result.pressedAt! - armedAt >= 3000 && result.afterMs! >= 3000, `pressed ${result.afterMs} ms after arming`);
  t.equal(result.released, undefined, 'the release is not known yet');
  // Held 0.8 s: the release comes through the same scan, debounce and hub as the press.
  await clock.advance(downAt + 800 - clock.now());
  button.release();
  await until(clock, () => pushed.some((p) => p.released !== undefined), 'the release reported to the technician', 10);
  const held = pushed.find((p) => p.released !== undefined)!;
  t.match(held, { state: 'pressed', released: true, afterMs: result.afterMs });
  t.ok(Math.abs(held.heldMs! - 800) <= 20, `held ${held.heldMs} ms: the press's duration within one scan either way`);
  await until(clock, () => audits().some((a) => a.action === 'emergency.test.result'), 'the result audited', 10);
  t.match(audits().find((a) => a.action === 'emergency.test.arm' && a.outcome === 'ok'), { operator: 'kythuat.an', detail: { windowS: 20 } });
  t.match(audits().find((a) => a.action === 'emergency.test.result'), { outcome: 'ok', operator: 'kythuat.an', detail: { result: 'pressed', ended: 'pressed', windowS: 20, released: true, heldMs: held.heldMs } });
  // Long enough, in small steps that let the socket I/O run, for an alert to reach the broker.
  for (let i = 0; i < 300; i++) await clock.advance(10);
  t.equal(alerts.length, 0, 'no alert at the broker');
  t.same(priorityRecords(), [], 'no emergency record in the journal');
  t.equal(station.flows().current().kind, 'maintenance', 'the emergency flow did not start');
  t.match(await call('emergency.test.status', {}), { ok: true, data: { state: 'pressed', released: true } }, 'the result stays for the technician');

  // Cancelled: disarmed, result not pressed.
  t.match(await call('emergency.test.arm', { operator: 'kythuat.an' }), { ok: true, data: { state: 'armed', windowS: 30 } }, 'default window 30 s');
  t.match(await call('emergency.test.arm', { operator: 'kythuat.an' }), { ok: false, error: { code: 'DEVICE_BUSY' } }, 'one test at a time');
  t.match(await call('emergency.test.cancel', { operator: 'kythuat.binh' }), { ok: true, data: { state: 'not-pressed', ended: 'cancelled' } });
  await until(clock, () => audits().some((a) => a.action === 'emergency.test.result' && a.detail.ended === 'cancelled'), 'the cancel result audited', 10);
  t.match(audits().find((a) => a.action === 'emergency.test.cancel'), { outcome: 'ok', operator: 'kythuat.binh', detail: { state: 'not-pressed', ended: 'cancelled' } });
  t.match(audits().find((a) => a.detail.ended === 'cancelled' && a.action === 'emergency.test.result'), { outcome: 'failed', detail: { result: 'not-pressed' } });

  // Maintenance off disarms at once.
  t.match(await call('emergency.test.arm', { operator: 'kythuat.an', windowS: 60 }), { ok: true, data: { state: 'armed' } });
  t.match(await call('maintenance.set', { on: false, operator: 'kythuat.an' }), { ok: true });
  t.match(await call('emergency.test.status', {}), { ok: true, data: { state: 'not-pressed', ended: 'maintenance-off' } });
  t.match(pushed.at(-1), { state: 'not-pressed', ended: 'maintenance-off' }, 'the technician is told');

  // The window ends by itself; the next press is a real alert again (still in maintenance).
  t.match(await call('maintenance.set', { on: true, operator: 'kythuat.an' }), { ok: true });
  t.match(await call('emergency.test.arm', { operator: 'kythuat.an', windowS: 5 }), { ok: true, data: { state: 'armed', windowS: 5 } });
  await clock.advance(4900);
  t.match(await call('emergency.test.status', {}), { ok: true, data: { state: 'armed', secondsLeft: 1 } });
  await clock.advance(200);
  t.match(await call('emergency.test.status', {}), { ok: true, data: { state: 'not-pressed', ended: 'window-ended', windowS: 5 } });
  t.match(pushed.at(-1), { state: 'not-pressed', ended: 'window-ended' });
  await until(clock, () => audits().some((a) => a.action === 'emergency.test.result' && a.detail.ended === 'window-ended'), 'the timeout audited', 10);
  t.match(audits().find((a) => a.detail.ended === 'window-ended'), { outcome: 'failed', detail: { result: 'not-pressed', windowS: 5 } });

  button.press();
  await until(clock, () => station.flows().current().kind === 'emergency', 'emergency screen', 10);
  await until(clock, () => alerts.length > 0, 'alert at the broker', 10);
  t.match(alerts[0], { kind: 'emergency', stream: 'priority:emergency', data: { flowId: 'emergency', stationId: config.station.id } }, 'the press after the window is a real alert');
  button.release();
  await clock.advance(200);
  t.equal(alerts.length, 1, 'one press, one alert');
});
