// The Tests view's emergency button press test against the fake daemon, which runs the real
// technician handlers and the real EmergencyButtonTest on the same ManualClock as the UI.
import t, { type Test } from 'tap';
import { fitsTerminal, renderTui, settle } from '../../fakes/tui-app.js';
import { DiagnosticShell } from '../../../runtime/tui/diagnostic-shell.js';
import { startFakeDaemon } from '../../fakes/technician-daemon.js';

const keys = { enter: '\r', up: '\u001b[A' };

async function start(t: Test) {
  const daemon = await startFakeDaemon();
  const client = await daemon.client();
  const shell = new DiagnosticShell({ spawn: () => { throw new Error('no shell in this test'); } });
  const app = await renderTui(t, { client, clock: daemon.clock, shell, initialView: 'tests', close: () => daemon.close() });
  return {
    ...app,
    daemon,
    /** Moves the clock one second at a time, as the view's countdown does. */
    seconds: async (n: number) => {
      for (let i = 0; i < n; i++) {
        await daemon.clock.advance(1000);
        await settle();
      }
    },
  };
}

t.test('emergency button press test: refused in service, armed with seconds left, pressed, not pressed, all within 80x24', async (t) => {
  const ui = await start(t);
  await ui.press(keys.up);
  let f = await ui.until(/> emergency +press test: no alert sent \(maintenance only\)/);
  t.match(f, /> emergency +press test: no alert sent \(maintenance only\)/, 'the last row, reached by wrapping up');
  t.match(f, /Up\/Down choose {2}Enter run {2}c cancel button test/, 'the key hints name the cancel key');

  await ui.press(keys.enter);
  f = await ui.until(/FAIL emergency test: the station is in service; maintenance first \(7\)/);
  t.match(f, /FAIL emergency test: the station is in service; maintenance first \(7\)\n/, 'refused in service, saying why, on one row');
  t.notMatch(f, /ARMED/);

  ui.daemon.status.maintenance = { on: true, reason: 'button check' };
  await ui.press(keys.enter);
  f = await ui.until(/ARMED emergency button: press it now {2}30 s left {2}\(c cancels\)/);
  t.match(f, /ARMED emergency button: press it now {2}30 s left {2}\(c cancels\)/);
  fitsTerminal(t, f);
  await ui.seconds(3);
  t.match(await ui.until(/27 s left/), /ARMED emergency button: press it now {2}27 s left/, 'the seconds count down');
  await ui.press(keys.enter);
  t.match(ui.frame(), /27 s left/, 'Enter does not arm twice');

  t.equal(ui.daemon.pressEmergencyButton(), true, 'the press is captured, not forwarded');
  f = await ui.until(/PRESSED ✓/);
  t.match(f, /PRESSED ✓ 3\.0 s after arming: now release it \(twist a latched head free\)/, 'the press, and the release awaited');
  t.notMatch(f, /ARMED|emergency: pressed/, 'disarmed by the press; no result before the release');
  fitsTerminal(t, f);
  await ui.press(keys.enter);
  t.notMatch(ui.frame(), /ARMED/, 'Enter does not arm while the release is awaited');
  ui.daemon.releaseEmergencyButton(400);
  f = await ui.until(/OK {3}emergency: pressed ✓/);
  t.match(f, /OK {3}emergency: pressed ✓ 3\.0 s after arming, held 0\.4 s\n/);
  t.notMatch(f, /PRESSED/);
  fitsTerminal(t, f);
  t.equal(ui.daemon.pressEmergencyButton(), false, 'the next press goes to the flows');

  await ui.press(keys.enter);
  await ui.until(/ARMED.*30 s left/);
  await ui.seconds(31);
  f = await ui.until(/FAIL emergency test: not pressed within 30 s/);
  t.match(f, /FAIL emergency test: not pressed within 30 s/);
  t.notMatch(f, /ARMED/, 'disarmed when the window ended');

  await ui.press(keys.enter);
  await ui.until(/ARMED.*30 s left/);
  await ui.press('c');
  f = await ui.until(/not pressed \(cancelled\)/);
  t.match(f, /FAIL emergency test: not pressed \(cancelled\)/);
  t.notMatch(f, /ARMED/);

  await ui.press(keys.enter);
  await ui.until(/ARMED.*30 s left/);
  const other = await ui.daemon.client();
  t.match(await other.call('maintenance.set', { on: false, operator: 'tech-binh' } as { on: boolean }), { ok: true });
  f = await ui.until(/not pressed \(maintenance was turned off\)/);
  t.match(f, /FAIL emergency test: not pressed \(maintenance was turned off\)/);
  t.notMatch(f, /ARMED/);
  t.equal(ui.daemon.pressEmergencyButton(), false, 'in service again: the press is an alert');
  fitsTerminal(t, f);

  t.same(ui.daemon.sink.actions(), [
    'emergency.test.arm:failed:tech-an',
    'emergency.test.arm:ok:tech-an', 'emergency.test.result:ok:tech-an',
    'emergency.test.arm:ok:tech-an', 'emergency.test.result:failed:tech-an',
    'emergency.test.arm:ok:tech-an', 'emergency.test.result:failed:tech-an', 'emergency.test.cancel:ok:tech-an',
    'emergency.test.arm:ok:tech-an', 'emergency.test.result:failed:tech-an', 'maintenance.set:ok:tech-binh',
  ]);
});

t.test('a test armed elsewhere is shown with its seconds left, and its end found without a push', async (t) => {
  const ui = await start(t);
  ui.daemon.status.maintenance = { on: true };
  const other = await ui.daemon.client();
  t.match(await other.call('emergency.test.arm', { operator: 'tech-binh', windowS: 60 }), { ok: true });
  await ui.press('1');
  await ui.until(/\[1 Dashboard\]/);
  await ui.daemon.clock.advance(10_000);
  await ui.press('3');
  const f = await ui.until(/ARMED emergency button: press it now {2}50 s left/);
  t.match(f, /ARMED emergency button: press it now {2}50 s left/);
  // Armed by the other connection: the push goes there; this view learns the press from its poll.
  t.equal(ui.daemon.pressEmergencyButton(), true);
  await ui.seconds(1);
  t.match(await ui.until(/PRESSED ✓/), /PRESSED ✓ 10\.0 s after arming: now release it/);
  t.notMatch(ui.frame(), /ARMED/);
  ui.daemon.releaseEmergencyButton(1_250);
  await ui.seconds(1);
  t.match(await ui.until(/emergency: pressed ✓/), /OK {3}emergency: pressed ✓ 10\.0 s after arming, held 1\.3 s/);
  t.notMatch(ui.frame(), /PRESSED/);
});

t.test('a button still down when the daemon stops waiting for its release: FAIL, still held, within 80 columns', async (t) => {
  const ui = await start(t);
  ui.daemon.status.maintenance = { on: true };
  await ui.press(keys.up, keys.enter);
  await ui.until(/ARMED.*30 s left/);
  await ui.seconds(12);
  t.equal(ui.daemon.pressEmergencyButton(), true);
  await ui.until(/PRESSED ✓ 12\.0 s after arming/);
  await ui.seconds(9);
  t.match(ui.frame(), /PRESSED ✓ 12\.0 s after arming/, 'still waiting 9 s after the press');
  await ui.seconds(1);
  const f = await ui.until(/emergency: pressed ✓/);
  t.match(f, /FAIL emergency: pressed ✓ 12\.0 s after arming, still held: latched\?\n/);
  t.notMatch(f, /PRESSED|ARMED/);
  fitsTerminal(t, f);
  t.same(ui.daemon.sink.actions(), ['emergency.test.arm:ok:tech-an', 'emergency.test.result:failed:tech-an']);
});
