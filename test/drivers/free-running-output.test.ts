import t from 'tap';
import { FreeRunningOutput } from '../../drivers/free-running-output.js';
import type { OutputCycle } from '../../drivers/free-running-output.js';
import type { Clock } from '../../runtime/kernel/clock.js';
import { ManualClock } from '../fakes/manual-clock.js';

/** The clock starts at 0, so the expected tick times read as `phaseMs + k·periodMs`. */
function rig(cycle: OutputCycle, clockFor: (clock: ManualClock) => Clock = (clock) => clock) {
  const clock = new ManualClock(0);
  const output = new FreeRunningOutput(clockFor(clock), () => cycle);
  const ticks: number[] = [];
  const tick = () => ticks.push(clock.now());
  return { clock, output, ticks, tick };
}

t.test('the first tick comes at the next grid point strictly after start, not a period after it', async (t) => {
  const { clock, output, ticks, tick } = rig({ periodMs: 200, phaseMs: 170 });
  await clock.advance(30);
  output.start(tick);
  await clock.advance(139);
  t.same(ticks, [], 'phase 170 of 200, started at 30: nothing before 170');
  await clock.advance(1);
  t.same(ticks, [170], 'the device was already mid-cycle: 140 ms, not a whole period');
  await clock.advance(400);
  t.same(ticks, [170, 370, 570]);
  output.stop();

  const onGrid = rig({ periodMs: 200, phaseMs: 170 });
  await onGrid.clock.advance(170);
  onGrid.output.start(onGrid.tick);
  await onGrid.clock.advance(199);
  t.same(onGrid.ticks, [], 'started exactly on a grid point: that frame is already gone');
  await onGrid.clock.advance(1);
  t.same(onGrid.ticks, [370]);
  onGrid.output.stop();
});

t.test('ticks stay on the grid over many periods when every timer fires late', async (t) => {
  // A loaded host's timers fire late by a varying amount; the device's cycle must not move with them.
  const lateness: number[] = [];
  const { clock, output, ticks, tick } = rig({ periodMs: 130, phaseMs: 17 }, (clock) => ({
    now: () => clock.now(),
    setTimeout: (fn, ms) => {
      const late = (lateness.length * 7) % 13;
      lateness.push(late);
      return clock.setTimeout(fn, ms + late);
    },
    clearTimeout: (h) => clock.clearTimeout(h),
  }));
  await clock.advance(45);
  output.start(tick);
  await clock.advance(500 * 130);
  t.equal(ticks.length, 500, 'one tick per period over 500 periods');
  t.ok(new Set(lateness).size > 10, 'the timers were late by many different amounts');
  t.same(
    ticks.map((at, k) => at - lateness[k]!),
    Array.from({ length: 500 }, (_, k) => 147 + k * 130),
    'each tick due at 17 + k·130: the lateness of one timer never carries into the next',
  );
  output.stop();
});

t.test('a timer late past grid points: the next tick is the next one due, without a burst of the missed ones', async (t) => {
  let stallMs = 0;
  const { clock, output, ticks } = rig({ periodMs: 100, phaseMs: 0 }, (clock) => ({
    now: () => clock.now(),
    setTimeout: (fn, ms) => {
      const handle = clock.setTimeout(fn, ms + stallMs);
      stallMs = 0;
      return handle;
    },
    clearTimeout: (h) => clock.clearTimeout(h),
  }));
  await clock.advance(30);
  output.start(() => {
    ticks.push(clock.now());
    // The host stalls for 250 ms right after the first frame: the timer for 200 fires at 450.
    if (ticks.length === 1) stallMs = 250;
  });
  await clock.advance(670);
  t.same(ticks, [100, 450, 500, 600, 700], 'one late frame, then back on the grid; 300 and 400 are not replayed');
  output.stop();
});

t.test('stopping and restarting mid-period resumes on the same grid', async (t) => {
  const { clock, output, ticks, tick } = rig({ periodMs: 100, phaseMs: 40 });
  output.stop();
  t.equal(clock.timerCount, 0, 'stop before any start is harmless');
  await clock.advance(30);
  output.start(tick);
  await clock.advance(220);
  t.same(ticks, [40, 140, 240]);
  output.stop();
  output.stop();
  t.equal(clock.timerCount, 0, 'stopped twice: no timer left');
  await clock.advance(170);
  t.same(ticks, [40, 140, 240], 'nothing while stopped');
  output.start(tick);
  await clock.advance(19);
  t.same(ticks, [40, 140, 240], 'restarted at 420: the device kept its cycle, next frame at 440');
  await clock.advance(1);
  t.same(ticks, [40, 140, 240, 440]);
  await clock.advance(200);
  t.same(ticks, [40, 140, 240, 440, 540, 640]);
  output.stop();
});

t.test('a tick that stops the output ends its chain', async (t) => {
  const { clock, output, ticks } = rig({ periodMs: 100, phaseMs: 0 });
  output.start(() => {
    ticks.push(clock.now());
    // The port closes while the frame is being sent (an unplug mid-frame).
    if (ticks.length === 2) output.stop();
  });
  await clock.advance(1000);
  t.same(ticks, [100, 200], 'no frame after the stop');
  t.equal(clock.timerCount, 0, 'no timer left behind');
});

t.test('a tick that restarts the output leaves only the new chain', async (t) => {
  const { clock, output, ticks: first } = rig({ periodMs: 100, phaseMs: 0 });
  const second: number[] = [];
  output.start(() => {
    first.push(clock.now());
    if (first.length === 2) output.start(() => second.push(clock.now()));
  });
  await clock.advance(450);
  t.same(first, [100, 200], 'the old chain ended with the tick that restarted it');
  t.same(second, [300, 400], 'the new chain starts strictly after the restart');
  t.equal(clock.timerCount, 1, 'one timer: one stream');
  output.stop();
  t.equal(clock.timerCount, 0, 'stop reaches the new chain');
  await clock.advance(500);
  t.same([first, second], [[100, 200], [300, 400]], 'nothing from either chain after the stop');
});

t.test('starting twice gives one stream', async (t) => {
  const { clock, output, ticks, tick } = rig({ periodMs: 100, phaseMs: 0 });
  const replaced: number[] = [];
  output.start(() => replaced.push(clock.now()));
  await clock.advance(50);
  output.start(tick);
  output.start(tick);
  t.equal(clock.timerCount, 1, 'one timer after three starts');
  await clock.advance(300);
  t.same(ticks, [100, 200, 300], 'one tick per grid point');
  t.same(replaced, [], 'the first start’s tick never fires');
  output.stop();
});

t.test('the cycle is read at every frame: a changed period and phase apply from the next frame', async (t) => {
  const clock = new ManualClock(0);
  // A fresh cycle object, as the emulators build one from their options at every call.
  let cycle: OutputCycle = { periodMs: 100, phaseMs: 0 };
  const output = new FreeRunningOutput(clock, () => cycle);
  const ticks: number[] = [];
  output.start(() => {
    ticks.push(clock.now());
    if (ticks.length === 2) cycle = { periodMs: 250, phaseMs: 70 };
  });
  await clock.advance(900);
  t.same(ticks, [100, 200, 320, 570, 820], 'after 200 the frames follow 70 + k·250, not 200 + k·250');
  output.stop();
});
