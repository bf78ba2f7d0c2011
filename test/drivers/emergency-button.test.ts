import t from 'tap';
import pino from 'pino';
import { DeviceHub } from '../../drivers/device-hub.js';
import { EmergencyButtonReader, SimEmergencyButton, type EmergencyButtonChange } from '../../drivers/emergency-button.js';
import { GpioIoPlugin } from '../../drivers/johnny-five-io.js';
import { MatrixKeypad, SimKeypadMatrix } from '../../drivers/keypad.js';
import { createSerialGpioDevices } from '../../drivers/serial-gpio-devices.js';
import { SimGpio } from '../../drivers/transports/gpio-sim.js';
import type { GpioValue } from '../../drivers/transports/gpio.js';
import { ManualClock } from '../fakes/manual-clock.js';

const log = pino({ level: 'silent' });
const rows = [5, 6, 13, 19];
const cols = [12, 16, 20, 21];
const line = 26;

/** Feeds `level` every 10 ms over [from, to) and returns the times of confirmed presses. */
function run(reader: EmergencyButtonReader, samples: [from: number, to: number, level: GpioValue][]): number[] {
  const presses: number[] = [];
  for (const [from, to, level] of samples) {
    for (let now = from; now < to; now += 10) if (reader.feed(level, now)?.press) presses.push(now);
  }
  return presses;
}

t.test('reader: a press counts after debounceMs steady, once, and bounces do not count', async (t) => {
  const reader = new EmergencyButtonReader({ debounceMs: 30 });
  t.same(run(reader, [[0, 100, 1]]), [], 'released: nothing');
  // Contact bounce: low/high every 10 ms never stays 30 ms.
  const bouncing: [number, number, GpioValue][] = [];
  for (let i = 0; i < 10; i++) bouncing.push([100 + i * 10, 110 + i * 10, (i % 2) as GpioValue]);
  t.same(run(reader, bouncing), [], 'bounce is not a press');
  t.same(run(reader, [[200, 2000, 0]]), [230], 'one press 30 ms after the contact settled, held 1.8 s without repeating');
  t.same(run(reader, [[2000, 2100, 1], [2100, 2200, 0]]), [2130], 'a second press after a release counts again');
});

t.test('reader: a button already down at start (latched before a reboot) raises nothing until released', async (t) => {
  const reader = new EmergencyButtonReader({ debounceMs: 30 });
  t.same(run(reader, [[0, 500, 0]]), []);
  t.equal(reader.isDown, true);
  t.same(run(reader, [[500, 600, 1], [600, 700, 0]]), [630]);
});

t.test('reader: held past stuckMs is a fault once, cleared by the release', async (t) => {
  const reader = new EmergencyButtonReader({ debounceMs: 30, stuckMs: 1000 });
  reader.feed(1, 0);
  reader.feed(1, 40);
  const changes = [];
  for (let now = 100; now <= 1300; now += 10) {
    const c = reader.feed(0, now);
    if (c) changes.push({ now, ...c });
  }
  t.same(changes, [{ now: 130, press: true }, { now: 1100, stuck: { stuck: true, heldMs: 1000 } }]);
  reader.feed(1, 1310);
  t.same(reader.feed(1, 1340), { release: { heldMs: 1210 }, stuck: { stuck: false } }, 'released: the fault clears, with how long it was down');
});

t.test('reader: the release of a press is reported once, after debounceMs steady, bounces ignored', async (t) => {
  const reader = new EmergencyButtonReader({ debounceMs: 30 });
  const changes: ({ now: number } & EmergencyButtonChange)[] = [];
  const feed = (from: number, to: number, level: GpioValue) => {
    for (let now = from; now < to; now += 10) {
      const c = reader.feed(level, now);
      if (c) changes.push({ now, ...c });
    }
  };
  feed(0, 100, 1);
  feed(100, 500, 0);
  // Contact bounce while held (a knock on the head) never reads open 30 ms: no release.
  feed(500, 510, 1);
  feed(510, 1000, 0);
  t.same(changes, [{ now: 130, press: true }], 'the press only');
  // Bounce on release: open/closed every 10 ms, then open for good at 1100.
  for (let i = 0; i < 10; i++) feed(1000 + i * 10, 1010 + i * 10, (i % 2 === 0 ? 1 : 0) as GpioValue);
  feed(1100, 3000, 1);
  t.same(changes, [{ now: 130, press: true }, { now: 1130, release: { heldMs: 1000 } }], 'one release, 30 ms after the contact settled open; held from the closing edge to the opening edge');
  feed(3000, 3100, 0);
  feed(3100, 3400, 1);
  t.same(changes.slice(2), [{ now: 3030, press: true }, { now: 3130, release: { heldMs: 100 } }], 'the next press and release pair up again');
});

t.test('reader: a button down since start is not reported released (its press never counted)', async (t) => {
  const reader = new EmergencyButtonReader({ debounceMs: 30 });
  t.same(run(reader, [[0, 500, 0]]), []);
  const seen: EmergencyButtonChange[] = [];
  for (let now = 500; now < 700; now += 10) {
    const c = reader.feed(1, now);
    if (c) seen.push(c);
  }
  t.same(seen, []);
});

t.test('keypad scan reads the emergency line: one event per press, keys unaffected', async (t) => {
  const clock = new ManualClock();
  const gpio = new SimGpio();
  const matrix = new SimKeypadMatrix(gpio, { rows, cols });
  const button = new SimEmergencyButton(gpio, line);
  const keypad = new MatrixKeypad(new GpioIoPlugin(gpio), clock, log, { rows, cols, emergency: line });
  const events: string[] = [];
  keypad.events.on('emergency', t, (e) => events.push(`emergency@${e.at}`));
  keypad.events.on('key', t, (k) => events.push(k));
  const releases: { at: number; heldMs: number }[] = [];
  keypad.events.on('emergencyReleased', t, (e) => releases.push(e));
  t.match(await keypad.probe(), { emergencyLine: line });
  await clock.advance(100);
  button.press();
  await clock.advance(5000);
  t.match(events, [/^emergency@\d+$/], 'held 5 s: one event');
  t.ok(Number(events[0]!.split('@')[1]) - 100 >= 30, 'confirmed only after the debounce time');
  matrix.press('5');
  await clock.advance(100);
  matrix.release();
  button.release();
  await clock.advance(100);
  button.press();
  await clock.advance(15);
  button.release();
  await clock.advance(100);
  t.equal(events.length, 2, 'a 15 ms blip is no press');
  t.equal(events[1], '5', 'a key pressed while the button is down still counts');
  t.equal(releases.length, 1, 'the release of the 5 s press once; the blip has none');
  t.ok(releases[0]!.heldMs >= 5090 && releases[0]!.heldMs <= 5110, `held ${releases[0]!.heldMs} ms`);
  t.ok(releases[0]!.at - Number(events[0]!.split('@')[1]) >= 5100, 'reported after the release settled');
  button.press();
  await clock.advance(100);
  t.equal(events.length, 3);
  await keypad.close();
  button.release();
  button.press();
  await clock.advance(1000);
  t.equal(events.length, 3, 'nothing after close');
});

t.test('a stuck emergency button degrades the keypad and the release clears it', async (t) => {
  const clock = new ManualClock();
  const gpio = new SimGpio();
  const button = new SimEmergencyButton(gpio, line);
  const keypad = new MatrixKeypad(new GpioIoPlugin(gpio), clock, log, { rows, cols, emergency: line, stuckMs: 2000 });
  const health: string[] = [];
  const presses: number[] = [];
  keypad.onHealthChange((r) => health.push(`${r.health}${r.reason ? `: ${r.reason}` : ''}`));
  keypad.events.on('emergency', t, (e) => presses.push(e.at));
  await keypad.probe();
  await clock.advance(50);
  button.press();
  await clock.advance(1900);
  t.same(health, []);
  await clock.advance(200);
  t.match(health, [/^degraded: emergency button reads pressed for 2 s/]);
  t.equal(presses.length, 1, 'the stuck button raised its one alert, no more');
  button.release();
  await clock.advance(100);
  t.same(health.slice(1), ['ok']);
  await keypad.close();
});

t.test('a button latched down before start raises no alert and is reported stuck', async (t) => {
  const clock = new ManualClock();
  const gpio = new SimGpio();
  const button = new SimEmergencyButton(gpio, line);
  button.press();
  const keypad = new MatrixKeypad(new GpioIoPlugin(gpio), clock, log, { rows, cols, emergency: line, stuckMs: 1000 });
  const health: string[] = [];
  const presses: number[] = [];
  keypad.onHealthChange((r) => health.push(r.health));
  keypad.events.on('emergency', t, (e) => presses.push(e.at));
  await keypad.probe();
  await clock.advance(1500);
  t.same(presses, []);
  t.same(health, ['degraded']);
  button.release();
  await clock.advance(100);
  button.press();
  await clock.advance(100);
  t.equal(presses.length, 1, 'the first press after the release counts');
  t.same(health, ['degraded', 'ok']);
  await keypad.close();
});

t.test('the hub forwards the simulated station\'s emergency button (default line 26): emergency for the press, emergencyReleased for its release', async (t) => {
  const clock = new ManualClock();
  const built = createSerialGpioDevices({ keypad: { mode: 'sim' } }, { clock, logger: log, dataDir: t.testdir() });
  t.equal(built.sim.emergencyButton!.line, 26);
  const hub = new DeviceHub(built.entries, clock, log);
  const seen: string[] = [];
  hub.events.on('emergency', t, (e) => seen.push(`emergency@${e.at}`));
  hub.events.on('key', t, (k) => seen.push(k));
  hub.events.on('emergencyReleased', t, (e) => seen.push(`released@${e.at} held ${e.heldMs}`));
  const started = hub.start();
  await clock.advance(100);
  await started;
  t.match(hub.statuses().find((s) => s.name === 'keypad'), { health: 'ok', detail: { emergencyLine: 26 } });
  built.sim.emergencyButton!.press();
  await clock.advance(3000);
  built.sim.emergencyButton!.release();
  await clock.advance(100);
  t.match(seen, [/^emergency@\d+$/, /^released@\d+ held 3000$/], 'one press held 3 s, then its release');
  await hub.stop();
  built.sim.emergencyButton!.press();
  await clock.advance(200);
  t.equal(seen.length, 2, 'nothing once the hub stopped');
  built.io!.close();
  t.equal(built.sim.gpio!.isExported(26), false, 'the button line is released with the others');
});

t.test('the line number comes from devices.keypad.emergency', async (t) => {
  const clock = new ManualClock();
  const built = createSerialGpioDevices({ keypad: { mode: 'sim', emergency: 4 } }, { clock, logger: log, dataDir: t.testdir() });
  const keypad = built.entries.keypad!.device as MatrixKeypad;
  let n = 0;
  keypad.events.on('emergency', t, () => n++);
  await keypad.probe();
  await clock.advance(100);
  built.sim.gpio!.set(26, 0);
  await clock.advance(100);
  t.equal(n, 0, 'line 26 is not the button here');
  t.equal(built.sim.emergencyButton!.line, 4);
  built.sim.emergencyButton!.press();
  await clock.advance(100);
  t.equal(n, 1);
  await keypad.close();
});
