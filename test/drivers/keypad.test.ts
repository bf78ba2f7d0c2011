import t from 'tap';
import pino from 'pino';
import five from 'johnny-five';
import { GpioIoPlugin, IO_MODES } from '../../drivers/johnny-five-io.js';
import { KeyDebouncer, MatrixKeypad, SimKeypadMatrix } from '../../drivers/keypad.js';
import { StatusIndicators, connectBoard } from '../../drivers/indicators.js';
import { SimGpio } from '../../drivers/transports/gpio-sim.js';
import type { Key } from '../../runtime/kernel/input.js';
import { ManualClock, flushMicrotasks } from '../fakes/manual-clock.js';

const log = pino({ level: 'silent' });
const rows = [5, 6, 13, 19];
const cols = [12, 16, 20, 21];

t.test('debouncer: steady for debounceMs, one press per press, none while bouncing', async (t) => {
  const d = new KeyDebouncer(30);
  t.equal(d.feed('5', 0), undefined);
  t.equal(d.feed(null, 10), undefined, 'bounce');
  t.equal(d.feed('5', 20), undefined);
  t.equal(d.feed('5', 40), undefined, 'only 20 ms steady');
  t.equal(d.feed('5', 50), '5');
  t.equal(d.feed('5', 200), undefined, 'holding does not repeat');
  t.equal(d.feed(null, 210), undefined);
  t.equal(d.feed(null, 250), undefined, 'release is not an event');
  t.equal(d.feed('ok', 260), undefined);
  t.equal(d.feed('ok', 290), 'ok');
});

t.test('IO plugin follows the johnny-five contract', async (t) => {
  const gpio = new SimGpio();
  const io = new GpioIoPlugin(gpio);
  t.equal(io.pins.length, 28);
  t.same(io.pins[17]!.supportedModes, [IO_MODES.INPUT, IO_MODES.OUTPUT]);
  const ready = new Promise((r) => io.once('ready', r));
  io.open();
  await ready;
  t.equal(io.isReady, true);
  io.pinMode(17, IO_MODES.OUTPUT);
  io.digitalWrite(17, 0);
  t.equal(gpio.level(17), 0);
  const seen: number[] = [];
  io.digitalRead(22, (v) => seen.push(v));
  await flushMicrotasks();
  gpio.set(22, 0);
  t.same(seen, [1, 0]);
  t.throws(() => io.analogWrite(17), { code: 'INTERNAL' });
  t.throws(() => io.pinMode(40, IO_MODES.OUTPUT), { code: 'INTERNAL' });
  io.close();
  t.equal(gpio.isExported(17), false);
});

t.test('johnny-five Led and buzzer Pin drive the lines through the plugin', async (t) => {
  const clock = new ManualClock();
  const gpio = new SimGpio();
  const io = new GpioIoPlugin(gpio);
  const ind = new StatusIndicators(io, clock, { ledLine: 26, buzzerLine: 18 });
  await ind.start();
  t.equal(gpio.level(26), 0);
  ind.setLed(true);
  t.equal(gpio.level(26), 1);
  const beep = ind.beep(100);
  t.equal(gpio.level(18), 1);
  await clock.advance(99);
  t.equal(gpio.level(18), 1);
  await clock.advance(1);
  await beep;
  t.equal(gpio.level(18), 0);
  const levels: number[] = [];
  const blink = ind.blink(1000);
  for (let i = 0; i < 4; i++) {
    levels.push(gpio.level(26));
    await clock.advance(250);
  }
  await blink;
  t.same(levels, [1, 0, 1, 0], 'blinks at 2 Hz');
  t.equal(gpio.level(26), 0, 'and ends off');
  void ind.beep(100);
  await ind.stop();
  t.equal(gpio.level(18), 0);
  t.equal(gpio.level(26), 0);
  const board = await connectBoard(new GpioIoPlugin(new SimGpio()), clock);
  t.ok(board instanceof five.Board);
});

t.test('matrix keypad: every key of the 4x4 legend, debounced on the clock, ghosting ignored', async (t) => {
  const clock = new ManualClock();
  const gpio = new SimGpio();
  const matrix = new SimKeypadMatrix(gpio, { rows, cols });
  const keypad = new MatrixKeypad(new GpioIoPlugin(gpio), clock, log, { rows, cols });
  const keys: Key[] = [];
  keypad.events.on('key', t, (k) => keys.push(k));
  t.same(await keypad.probe(), { rows: 4, cols: 4 });
  const all: Key[] = ['1', '2', '3', 'ok', '4', '5', '6', 'back', '7', '8', '9', 'help', '*', '0', '#', 'home'];
  for (const k of all) {
    matrix.press(k);
    await clock.advance(100);
    matrix.release();
    await clock.advance(100);
  }
  t.same(keys, all);
  keys.length = 0;
  matrix.press('1');
  await clock.advance(15);
  matrix.release();
  await clock.advance(100);
  t.same(keys, [], 'a 15 ms blip is bounce, not a press');
  matrix.press('1');
  matrix.press('5');
  await clock.advance(200);
  t.same(keys, [], 'two keys at once are ignored');
  matrix.release('5');
  await clock.advance(100);
  t.same(keys, ['1']);
  await keypad.close();
  t.equal(clock.timerCount, 0, 'scanning stopped');
});

t.test('a layout that does not match the wiring is refused', async (t) => {
  const keypad = new MatrixKeypad(new GpioIoPlugin(new SimGpio()), new ManualClock(), log, { rows: [1, 2], cols });
  await t.rejects(keypad.probe(), { code: 'CONFIG_INVALID' });
});

t.test('a key held down past stuckMs is reported as stuck, and ok once released', async (t) => {
  const clock = new ManualClock();
  const gpio = new SimGpio();
  const matrix = new SimKeypadMatrix(gpio, { rows, cols });
  const keypad = new MatrixKeypad(new GpioIoPlugin(gpio), clock, log, { rows, cols, stuckMs: 2000 });
  const health: string[] = [];
  keypad.onHealthChange((r) => health.push(`${r.health}${r.reason ? `: ${r.reason}` : ''}`));
  await keypad.probe();
  matrix.press('#');
  await clock.advance(1900);
  t.same(health, []);
  await clock.advance(200);
  t.match(health, [/degraded: key # reads pressed/]);
  matrix.release();
  await clock.advance(100);
  t.equal(health[1], 'ok');
  await keypad.close();
});
