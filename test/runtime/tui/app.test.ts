import t, { type Test } from 'tap';
import { fitsTerminal, renderTui, settle, type TuiApp } from '../../fakes/tui-app.js';
import { viewRows, type ViewId } from '../../../runtime/tui/app.js';
import { DiagnosticShell, type PtyProcess, type PtySpawn } from '../../../runtime/tui/diagnostic-shell.js';
import { ReconnectingClient } from '../../../runtime/tui/reconnecting-client.js';
import { ControlClient } from '../../../runtime/control/client.js';
import { startFakeDaemon, type FakeDaemon } from '../../fakes/technician-daemon.js';

const keys = { enter: '\r', esc: '\u001b', up: '\u001b[A', down: '\u001b[B', tab: '\t', backspace: '\u007f' };

interface Ui extends TuiApp {
  daemon: FakeDaemon;
  spawned: { file: string; args: string[]; proc: FakePty }[];
}

class FakePty implements PtyProcess {
  written: string[] = [];
  killed: string | undefined;
  private data = new Set<(d: string) => void>();
  private exit = new Set<(e: { exitCode: number }) => void>();
  onData(l: (d: string) => void) {
    this.data.add(l);
    return { dispose: () => this.data.delete(l) };
  }
  onExit(l: (e: { exitCode: number }) => void) {
    this.exit.add(l);
    return { dispose: () => this.exit.delete(l) };
  }
  write(d: string) {
    this.written.push(d);
  }
  resize() {}
  kill(signal?: string) {
    this.killed = signal;
  }
  emit(d: string) {
    for (const l of this.data) l(d);
  }
  end(code: number) {
    for (const l of this.exit) l({ exitCode: code });
  }
}

async function start(t: Test, initialView: ViewId = 'dashboard', reconnecting = false): Promise<Ui> {
  const daemon = await startFakeDaemon();
  const client = reconnecting ? new ReconnectingClient(() => new ControlClient(daemon.socketPath)) : await daemon.client();
  if (client instanceof ReconnectingClient) t.teardown(() => client.close());
  const spawned: Ui['spawned'] = [];
  const spawn: PtySpawn = (file, args) => {
    const proc = new FakePty();
    spawned.push({ file, args, proc });
    return proc;
  };
  const shell = new DiagnosticShell({ spawn });
  const app = await renderTui(t, { client, clock: daemon.clock, shell, initialView, close: () => daemon.close() });
  return { ...app, daemon, spawned };
}

t.test('the dashboard shows link, outbox, devices, sessions and alerts in words, within 80x24', async (t) => {
  const ui = await start(t);
  const f = await ui.until(/citizen-station hcm-bt-dkc-01 v0\.1\.0 {2}IN SERVICE {2}link OFFLINE {2}tech tech-an/);
  fitsTerminal(t, f);
  t.match(f, /citizen-station hcm-bt-dkc-01 v0\.1\.0 {2}IN SERVICE {2}link OFFLINE {2}tech tech-an/);
  t.match(f, /\[1 Dashboard\]/, 'the current view is bracketed, not only highlighted');
  t.match(f, /Link +OFFLINE {2}mqtts:\/\/broker\.cds\.hcmc\.vn:8883 {2}since 08:57:55/);
  t.match(f, /last error: connect ECONNREFUSED/);
  t.match(f, /Outbox +3 waiting, oldest 2m05s, 1 flagged/);
  t.match(f, /Sessions +14 today/);
  t.match(f, /\[ OK \] spo2/);
  t.match(f, /\[FAIL\] thermometer +real no answer at 0x5a/);
  t.match(f, /\[WARN\] printer +sim +paper low/);
  t.match(f, /! COMPONENT thermometer failed: no answer at 0x5a/);
  t.match(f, /LINK_OFFLINE: central unreachable/);
  t.match(f, /1-9\/Tab views {2}q quit/);

  ui.daemon.status.outbox = { depth: 0, oldestAgeS: null, flagged: 0, telemetryDropped: 0 };
  await ui.daemon.clock.advance(1999);
  await settle();
  t.match(await ui.until(/3 waiting/), /3 waiting/, 'no refresh before the poll interval');
  await ui.daemon.clock.advance(1);
  await settle();
  t.match(await ui.until(/Outbox +0 waiting, oldest -, 0 flagged/), /Outbox +0 waiting, oldest -, 0 flagged/, 'refreshed on the clock');
});

t.test('views switch with digits and Tab', async (t) => {
  const ui = await start(t);
  await ui.press('4');
  t.match(await ui.until(/\[4 Journal\]/), /\[4 Journal\]/);
  await ui.press(keys.tab);
  t.match(await ui.until(/\[5 Logs\]/), /\[5 Logs\]/);
  await ui.press('9');
  t.match(await ui.until(/Board\[9 Usage\]/), /Board\[9 Usage\]/, 'the current tab is bracketed in place of its spaces');
  await ui.press(keys.tab);
  t.match(await ui.until(/\[1 Dashboard\]/), /\[1 Dashboard\]/, 'Tab wraps around');
});

t.test('devices: a PPG sparkline while a finger is on, cuff pressure, the scale raw and calibrated', async (t) => {
  const ui = await start(t, 'devices');
  t.match(await ui.until(/>\[ OK \] spo2/), />\[ OK \] spo2/);
  t.equal(ui.daemon.watchers('spo2'), 1, 'readings stream for the selected device');
  ui.daemon.emitReading({ device: 'spo2', at: 0, fingerOn: true, ppg: [10, 20, 40, 80, 40, 20, 10, 20, 40, 80] });
  await ui.daemon.clock.advance(100);
  await settle();
  let f = await ui.until(/Finger: ON/);
  fitsTerminal(t, f);
  t.match(f, /Finger: ON/);
  t.match(f, /PPG \(IR, newest right\):\n.*▁▂▄█▄▂▁▂▄█/);
  ui.daemon.emitReading({ device: 'spo2', at: 1, fingerOn: false });
  await ui.daemon.clock.advance(100);
  await settle();
  f = await ui.until(/Finger: OFF/);
  t.match(f, /Finger: OFF/);
  t.notMatch(f, /PPG/, 'no sparkline without a finger');

  await ui.press(keys.down);
  t.equal(ui.daemon.watchers('spo2'), 0, 'leaving a device stops its stream');
  t.equal(ui.daemon.watchers('bloodPressure'), 1);
  ui.daemon.emitReading({ device: 'bloodPressure', at: 2, phase: 'inflating', cuffPressure: 150 });
  await ui.daemon.clock.advance(100);
  await settle();
  t.match(await ui.until(/Phase: inflating\n.*Cuff: 150 mmHg \[#{14}\.{14}\]/), /Phase: inflating\n.*Cuff: 150 mmHg \[#{14}\.{14}\]/);

  await ui.press(keys.down);
  ui.daemon.emitReading({ device: 'scale', at: 3, raw: 428_412, value: 20, unit: 'kg', stable: true });
  await ui.daemon.clock.advance(100);
  await settle();
  t.match(await ui.until(/Raw: 428412\n.*Calibrated: 20 kg {2}STABLE/), /Raw: 428412\n.*Calibrated: 20 kg {2}STABLE/);
});

t.test('device tests: blood pressure with live cuff, the CCCD masked, scale tare and span, all audited', async (t) => {
  const ui = await start(t, 'tests');
  t.match(await ui.until(/> bloodPressure +measure/), /> bloodPressure +measure/);
  await ui.press(keys.enter);
  await ui.daemon.clock.advance(0);
  await settle();
  t.match(await ui.until(/RUNNING bloodPressure measure.* phase inflating {2}cuff 142 mmHg/), /RUNNING bloodPressure measure.* phase inflating {2}cuff 142 mmHg/);
  ui.daemon.finishMeasurement();
  await settle();
  let f = await ui.until(/OK {3}bloodPressure measure: 118\/76 mmHg \(MAP 90\), pulse 72\/min/);
  t.match(f, /OK {3}bloodPressure measure: 118\/76 mmHg \(MAP 90\), pulse 72\/min/);
  fitsTerminal(t, f);

  await ui.press(keys.down, keys.down, keys.down, keys.down, keys.down, keys.down, keys.down);
  t.match(await ui.until(/> cccdScanner +read a CCCD/), /> cccdScanner +read a CCCD/);
  await ui.press(keys.enter);
  f = await ui.until(/cccdScanner read: CCCD 079\*{7}45 read/);
  t.match(f, /cccdScanner read: CCCD 079\*{7}45 read/);
  t.notMatch(f, /1234567|Nguyễn/, 'the number and name never reach the screen');

  await ui.press(keys.up, keys.up);
  t.match(await ui.until(/> scale +tare/), /> scale +tare/);
  await ui.press(keys.enter);
  t.match(await ui.until(/scale tare: saved, zero 8412, 1\.0 counts\/kg/), /scale tare: saved, zero 8412, 1\.0 counts\/kg/);
  await ui.press(keys.down, keys.enter);
  t.match(await ui.until(/Known weight on the scale, kg: /), /Known weight on the scale, kg: /);
  await ui.press('4');
  t.match(await ui.until(/\[3 Tests\]/), /\[3 Tests\]/, 'digits go to the field, not to the view switch');
  await ui.type('0x');
  await ui.press(keys.backspace, '0', keys.enter);
  f = await ui.until(/scale calibrate: saved, zero 8412, 10500\.0 counts\/kg/);
  t.match(f, /scale calibrate: saved, zero 8412, 10500\.0 counts\/kg/);
  t.equal(ui.daemon.calibration?.knownKg, 40, 'typed 40: x filtered out, the backspace took the 0 back');

  t.same(ui.daemon.sink.actions(), [
    'device.test:ok:tech-an', 'device.test:ok:tech-an', 'scale.tare:ok:tech-an', 'scale.span:ok:tech-an',
  ]);
  t.notMatch(JSON.stringify(ui.daemon.sink.records), /118|079|Nguyễn/, 'no value or identity in the audit trail');
});

t.test('journal: waiting and flagged records, retry and a redacted export', async (t) => {
  const ui = await start(t, 'journal');
  let f = await ui.until(/Outbox: 3 waiting, oldest 2m05s, 1 flagged/);
  fitsTerminal(t, f);
  t.match(f, /Outbox: 3 waiting, oldest 2m05s, 1 flagged/);
  t.match(f, / {2}hcm-bt-dkc-01:1:9 +analytics +5s +waiting/);
  t.match(f, /! hcm-bt-dkc-01:1:8 +feedback +1m00s +FLAGGED 0x97 x3/);
  t.match(f, / {2}hcm-bt-dkc-01:1:7 +health-record\* +2m05s +waiting/);
  await ui.press('f');
  f = await ui.until(/FLAGGED only \(1 of 1\)/);
  t.match(f, /FLAGGED only \(1 of 1\)/);
  t.notMatch(f, /1:9/);
  await ui.press('r');
  t.match(await ui.until(/OK: 1 flagged record\(s\) sent again/), /OK: 1 flagged record\(s\) sent again/);
  t.same(ui.daemon.retried, [undefined]);
  await ui.press('e');
  await ui.until(/Last export/);
  t.match(await ui.until(/OK: exported 3 record\(s\) with personal data removed; file shown below/), /OK: exported 3 record\(s\) with personal data removed; file shown below/);
  t.match(await ui.until(/Last export: 3 record\(s\), personal data removed:\n.*\/journal-export-2026-11-25T02-00-00-000Z\.json/), /Last export: 3 record\(s\), personal data removed:\n.*\/journal-export-2026-11-25T02-00-00-000Z\.json/);
  t.same(ui.daemon.sink.actions(), ['journal.retry:ok:tech-an', 'journal.export:ok:tech-an']);
});

t.test('logs: tail, follow, filter by level and component, pause', async (t) => {
  const daemonLine = (level: number, component: string, msg: string) => JSON.stringify({ level, time: '2026-11-25T02:00:01.000Z', component, msg });
  const ui = await start(t);
  ui.daemon.logs.write(daemonLine(30, 'link', 'connecting to central'));
  ui.daemon.logs.write(daemonLine(40, 'outbox', 'broker refused a record'));
  await ui.press('5');
  let f = await ui.until(/Level >= INFO \(l\) {2}Component: all \(c\) {2}FOLLOWING \(space\) {2}2 lines/);
  t.match(f, /Level >= INFO \(l\) {2}Component: all \(c\) {2}FOLLOWING \(space\) {2}2 lines/);
  t.match(f, /02:00:01 INFO {2}link: connecting to central\n.*02:00:01 WARN {2}outbox: broker refused a record/);
  ui.daemon.logs.write(daemonLine(50, 'link', 'tls handshake failed'));
  await settle();
  t.match(await ui.until(/!02:00:01 ERROR link: tls handshake failed/), /!02:00:01 ERROR link: tls handshake failed/, 'followed live, marked without colour');
  await ui.press('l');
  f = await ui.until(/Level >= WARN/);
  t.match(f, /Level >= WARN/);
  t.notMatch(f, /connecting to central/);
  await ui.press('c');
  f = await ui.until(/Component: link/);
  t.match(f, /Component: link/);
  t.notMatch(f, /broker refused/);
  t.match(f, /tls handshake failed/);
  await ui.press(' ');
  ui.daemon.logs.write(daemonLine(50, 'link', 'second failure'));
  await settle();
  t.match(await ui.until(/PAUSED/), /PAUSED/);
  t.notMatch(ui.frame(), /second failure/, 'paused view does not move');
  await ui.press(' ');
  t.match(await ui.until(/second failure/), /second failure/, 'following again shows what came meanwhile');
});

t.test('config: edit a value, validate, apply, and hear that a restart is needed', async (t) => {
  const ui = await start(t, 'config');
  let f = await ui.until(/File: \/etc\/citizen-station\/station\.json/);
  fitsTerminal(t, f);
  t.match(f, /File: \/etc\/citizen-station\/station\.json/);
  t.match(f, /"intervalS": 60/);
  await ui.press('e');
  await ui.until(/Path \(e\.g\./);
  await ui.type('/telemetry/intervalS');
  await ui.press(keys.enter);
  await ui.until(/\/telemetry\/intervalS = \(JSON\)/);
  await ui.type('0');
  await ui.press(keys.enter);
  f = await ui.until(/Changed: \/telemetry\/intervalS {2}INVALID/);
  t.match(f, /Changed: \/telemetry\/intervalS {2}INVALID/);
  t.match(f, /! \/telemetry\/intervalS: expected a number >= 1/);
  await ui.press('a');
  t.match(await ui.until(/ERROR: the change has problems/), /ERROR: the change has problems/);
  await ui.press('x', 'e');
  await ui.until(/Path \(e\.g\./);
  await ui.type('/mqtt/url');
  await ui.press(keys.enter);
  await ui.until(/\/mqtt\/url = \(JSON\)/);
  await ui.type('"mqtts://broker2.cds.hcmc.vn:8883"');
  await ui.press(keys.enter);
  t.match(await ui.until(/Changed: \/mqtt\/url {2}VALID \(a applies\)/), /Changed: \/mqtt\/url {2}VALID \(a applies\)/);
  await ui.press('a');
  f = await ui.until(/RESTART NEEDED for \/mqtt\/url\n.*sudo systemctl restart citizen-station/);
  t.match(f, /RESTART NEEDED for \/mqtt\/url\n.*sudo systemctl restart citizen-station/);
  t.match(f, /OK: applied; a RESTART IS NEEDED for it to take effect/);
  t.match(f, /"url": "mqtts:\/\/broker2\.cds\.hcmc\.vn:8883"/, 'shows the config the daemon now holds');
  t.same(ui.daemon.sink.actions(), ['config.apply:ok:tech-an']);
});

t.test('maintenance on with a reason, then off, both audited', async (t) => {
  const ui = await start(t, 'maintenance');
  t.match(await ui.until(/The station is IN SERVICE/), /The station is IN SERVICE/);
  await ui.press('m');
  await ui.until(/Reason \(shown to central\)/);
  await ui.type('thay giấy máy in');
  await ui.press(keys.enter);
  let f = await ui.until(/OK: maintenance ON: residents see "out of service"; central is told/);
  t.match(f, /OK: maintenance ON: residents see "out of service"; central is told/);
  t.match(f, /The station is IN MAINTENANCE {2}\(reason: thay giấy máy in\)/);
  t.match(f, /MAINTENANCE {2}link OFFLINE/, 'the header says it too');
  t.same(ui.daemon.status.maintenance, { on: true, reason: 'thay giấy máy in' });
  await ui.press('m');
  t.match(await ui.until(/Back in service now\? y \/ n/), /Back in service now\? y \/ n/);
  await ui.press('y');
  f = await ui.until(/OK: maintenance OFF/);
  t.match(f, /OK: maintenance OFF/);
  t.match(f, /The station is IN SERVICE/);
  t.same(ui.daemon.sink.actions(), ['maintenance.set:ok:tech-an', 'maintenance.set:ok:tech-an']);
  t.same(ui.daemon.sink.records.map((r) => (r.payload.detail as { on: boolean }).on), [true, false]);
});

t.test('board tools: a listed command runs in the pane, audited first; keys reach it; Esc ends it', async (t) => {
  const ui = await start(t, 'shell');
  t.match(await ui.until(/> systemctl status citizen-station\n/), /> systemctl status citizen-station\n/);
  await ui.press(keys.down, keys.down, keys.down, keys.down);
  t.match(await ui.until(/> i2cdetect -y 1/), /> i2cdetect -y 1/);
  await ui.press(keys.enter);
  t.equal(ui.spawned.length, 1);
  t.same([ui.spawned[0]!.file, ...ui.spawned[0]!.args], ['i2cdetect', '-y', '1']);
  t.same(ui.daemon.sink.records.map((r) => [r.payload.action, (r.payload.detail as { command: string }).command]), [['tui.shell.run', 'i2c-scan']]);
  const pty = ui.spawned[0]!.proc;
  pty.emit('     0  1  2  3\r\n50: -- -- -- -- -- -- -- 57\r\n\u001b[1m50:\u001b[0m 5a\r\n');
  await settle();
  let f = await ui.until(/RUNNING \(keys go to the tool/);
  fitsTerminal(t, f);
  t.match(f, /RUNNING \(keys go to the tool/);
  t.match(f, /\$ i2cdetect -y 1\n.*0 {2}1 {2}2 {2}3\n.*-- 57\n.*50: 5a/);
  await ui.press('q');
  t.same(pty.written, ['q'], 'q goes to the tool while it runs, it does not quit the UI');
  await ui.press('\u0003');
  t.same(pty.written, ['q', '\u0003'], 'Ctrl-C reaches the tool');
  pty.end(0);
  await settle();
  t.match(await ui.until(/ENDED exit 0/), /ENDED exit 0/);
  await ui.press(keys.esc);
  f = await ui.until(/Board tools \(Up\/Down choose/);
  t.match(f, /Board tools \(Up\/Down choose/);
  t.match(f, /1-9\/Tab views/, 'global keys back');
});

t.test('every view fits 80x24 with no colour needed', async (t) => {
  const ui = await start(t);
  for (const k of ['1', '2', '3', '4', '5', '6', '7', '8']) {
    await ui.press(k);
    fitsTerminal(t, ui.frame());
  }
  t.equal(viewRows + 5, 24, 'header, tabs, view, message and keys rows: 24 with the cursor row');
});

t.test('the UI survives a daemon restart: it says so, reconnects on its next poll and follows the log again', async (t) => {
  const line = (msg: string) => JSON.stringify({ level: 30, time: '2026-11-25T02:00:01.000Z', component: 'station', msg });
  const ui = await start(t, 'logs', true);
  ui.daemon.logs.write(line('before the restart'));
  t.match(await ui.until(/before the restart/), /INFO {2}station: before the restart/);
  await ui.daemon.stopControl();
  await ui.daemon.clock.advance(2000);
  t.match(await ui.until(/DAEMON UNREACHABLE/), /citizen-station {2}DAEMON UNREACHABLE: DAEMON_UNREACHABLE: /);
  await ui.daemon.startControl();
  await ui.daemon.clock.advance(2000);
  t.match(await ui.until(/citizen-station hcm-bt-dkc-01/), /IN SERVICE/, 'back on the next poll');
  ui.daemon.logs.write(line('after the restart'));
  t.match(await ui.until(/after the restart/), /after the restart/, 'the log subscription was renewed');
});

t.test('keys typed before a field is drawn reach it (fast typing, a slow SSH link batching keys)', async (t) => {
  const ui = await start(t, 'maintenance');
  await ui.press('mabc\r');
  t.match(await ui.until(/IN MAINTENANCE/), /The station is IN MAINTENANCE {2}\(reason: abc\)/, 'the opening key is not typed, the rest is');
  await ui.press('6');
  await ui.until(/"intervalS": 60/);
  await ui.press('e/telemetry/intervalS\r30\r');
  t.match(await ui.until(/Changed:/), /Changed: \/telemetry\/intervalS {2}VALID \(a applies\)/, 'both fields of the dialog got their keys');
  t.match(ui.frame(), /\[6 Config\]/, 'the digits went to the fields, not to the view switch');
});
