import t from 'tap';
import pino from 'pino';
import { HeightFrameParser, HeightRod, HeightRodEmulator, decodeHeightFrame, encodeHeightFrame } from '../../drivers/height-rod.js';
import { createSimSerialLink } from '../../drivers/transports/serial-sim.js';
import type { Clock } from '../../runtime/clock.js';
import { ManualClock } from '../fakes/manual-clock.js';

const log = pino({ level: 'silent' });

t.test('decodes the DFRobot wiki example FF 07 A1 A7 = 1953 mm', async (t) => {
  t.same(decodeHeightFrame(Uint8Array.from([0xff, 0x07, 0xa1, 0xa7])), { distanceMm: 1953 });
  t.equal(decodeHeightFrame(Uint8Array.from([0xff, 0x07, 0xa1, 0xa6])), null, 'bad sum');
  t.equal(decodeHeightFrame(Uint8Array.from([0xfe, 0x07, 0xa1, 0xa6])), null, 'bad header');
  t.same([...encodeHeightFrame(1953)], [0xff, 0x07, 0xa1, 0xa7]);
});

t.test('parser skips garbage and torn frames', async (t) => {
  const p = new HeightFrameParser();
  const out = p.push(Uint8Array.from([0x12, 0xff, 0x07, 0xff, 0x07, 0xa1, 0xa7, 0x00, 0xff, 0x03]));
  t.same(out, [{ distanceMm: 1953 }]);
  t.same(p.push(Uint8Array.from([0xe8, 0xea])), [{ distanceMm: 1000 }]);
  t.equal(p.pending, 0);
});

function rig(person: number | null) {
  const clock = new ManualClock();
  const emulator = new HeightRodEmulator(clock, { mountingHeightMm: 2200, personHeightMm: person });
  const { link, port } = createSimSerialLink({ emulator });
  const rod = new HeightRod(link, clock, log, { mountingHeightMm: 2200 });
  return { clock, emulator, port, rod };
}

t.test('height = mounting height − distance once readings agree', async (t) => {
  const { clock, rod } = rig(1650);
  const probe = rod.probe();
  await clock.advance(200);
  const probed = await probe;
  t.ok(Math.abs((probed.distanceMm as number) - 550) <= 2, 'distance within the jitter');
  t.equal(probed.mountingHeightMm, 2200);
  const p = rod.measure();
  await clock.advance(1000);
  const m = await p;
  t.ok(Math.abs(m.values.heightCm - 165) <= 0.3, `height ${m.values.heightCm}`);
  await rod.close();
});

t.test('nobody under the rod: waits, then DEVICE_TIMEOUT, never a value', async (t) => {
  const { clock, rod } = rig(null);
  const p = rod.measure();
  p.catch(() => undefined);
  await clock.advance(16_000);
  await t.rejects(p, { code: 'DEVICE_TIMEOUT' });
  await rod.close();
});

t.test('faults: silence, unplug mid-frame, garbage; recovery after replug', async (t) => {
  const { clock, port, rod } = rig(1700);
  const health: string[] = [];
  rod.onHealthChange((r) => health.push(r.health));
  const probe = rod.probe();
  await clock.advance(200);
  await probe;

  port.setSilent(true);
  const silent = rod.measure();
  silent.catch(() => undefined);
  await clock.advance(2500);
  await t.rejects(silent, { code: 'DEVICE_TIMEOUT' });
  port.setSilent(false);

  const torn = rod.measure();
  torn.catch(() => undefined);
  port.unplugAfter(6);
  await clock.advance(500);
  await t.rejects(torn, { code: 'DEVICE_MISSING' });
  t.same(health, ['missing']);
  await t.rejects(rod.probe(), { code: 'DEVICE_MISSING' });

  port.replug();
  const again = rod.probe();
  await clock.advance(200);
  await again;
  const noisy = rod.measure();
  for (let i = 0; i < 30; i++) {
    port.injectGarbage(Uint8Array.from([0xff, 0x00, 0x10, 0x00, 0x55]));
    await clock.advance(50);
  }
  const m = await noisy;
  t.ok(Math.abs(m.values.heightCm - 170) <= 0.3, 'garbage frames (bad sums) never enter the reading');
  await rod.close();
});

/** The host's side of the wire: opens the port and notes the clock time of every whole frame that arrives. */
async function listen(clock: ManualClock, emulator: HeightRodEmulator) {
  const { link, port } = createSimSerialLink({ emulator });
  const parser = new HeightFrameParser();
  const arrivals: number[] = [];
  const distances: number[] = [];
  link.events.on('data', arrivals, (chunk) => {
    for (const frame of parser.push(chunk)) {
      arrivals.push(clock.now());
      distances.push(frame.distanceMm);
    }
  });
  await link.open();
  return { link, port, arrivals, distances };
}

const start = new ManualClock().now();

t.test('free-running: the first frame after opening comes at the next point of the device grid, not a full period later', async (t) => {
  const clock = new ManualClock();
  const emulator = new HeightRodEmulator(clock, { mountingHeightMm: 2200, personHeightMm: 1650, periodMs: 100 });
  await clock.advance(30);
  const { link, arrivals } = await listen(clock, emulator);
  await clock.advance(69);
  t.same(arrivals, [], 'nothing before the grid point');
  await clock.advance(1);
  t.same(arrivals, [start + 100], 'first frame 70 ms after opening at grid+30');
  await clock.advance(100);
  t.same(arrivals, [start + 100, start + 200]);
  await link.close();

  const phased = new ManualClock();
  const emu = new HeightRodEmulator(phased, { mountingHeightMm: 2200, personHeightMm: 1650, periodMs: 200, phaseMs: 170 });
  await phased.advance(30);
  const wire = await listen(phased, emu);
  await phased.advance(139);
  t.same(wire.arrivals, [], 'phase 170 of 200: nothing before 140 ms');
  await phased.advance(1);
  t.same(wire.arrivals, [start + 170]);
  await phased.advance(400);
  t.same(wire.arrivals, [start + 170, start + 370, start + 570]);
  await wire.link.close();

  const onGrid = new ManualClock();
  const emuOnGrid = new HeightRodEmulator(onGrid, { mountingHeightMm: 2200, personHeightMm: 1650, periodMs: 100 });
  const exact = await listen(onGrid, emuOnGrid);
  await onGrid.advance(99);
  t.same(exact.arrivals, [], 'opened exactly on a grid point: that frame is already gone');
  await onGrid.advance(1);
  t.same(exact.arrivals, [start + 100]);
  await exact.link.close();
});

t.test('free-running: frames stay on the grid after many periods, even when timers fire late', async (t) => {
  const clock = new ManualClock();
  // A loaded host's timers fire late; the device's cycle must not move with them.
  const lateMs = 7;
  const late: Clock = {
    now: () => clock.now(),
    setTimeout: (fn, ms) => clock.setTimeout(fn, ms + lateMs),
    clearTimeout: (h) => clock.clearTimeout(h),
  };
  const emulator = new HeightRodEmulator(late, { mountingHeightMm: 2200, personHeightMm: 1650, periodMs: 130, phaseMs: 17 });
  await clock.advance(45);
  const { link, arrivals, distances } = await listen(clock, emulator);
  for (let i = 0; i < 50; i++) await clock.advance(1300);
  t.equal(arrivals.length, 500, 'one frame per period over 500 periods');
  t.same(
    arrivals.filter((at) => (at - lateMs - 17) % 130 !== 0),
    [],
    'every frame on phase + k·period of the clock (plus the timer lateness, never accumulated)',
  );
  const first = arrivals[0]! - lateMs;
  t.ok(first > start + 45 && first <= start + 45 + 130, 'first frame within one period of opening');
  t.same(arrivals.slice(1).map((at, i) => at - arrivals[i]!), new Array(499).fill(130), 'no drift between frames');
  t.same(distances.filter((d) => Math.abs(d - 550) > 2), [], 'whole, valid frames on the wire');
  await link.close();
});

t.test('free-running: closing and reopening mid-period resumes on the same grid', async (t) => {
  const clock = new ManualClock();
  const emulator = new HeightRodEmulator(clock, { mountingHeightMm: 2200, personHeightMm: 1650, periodMs: 100 });
  await clock.advance(30);
  const first = await listen(clock, emulator);
  await clock.advance(220);
  t.same(first.arrivals, [start + 100, start + 200]);
  await first.link.close();
  await clock.advance(170);
  t.same(first.arrivals, [start + 100, start + 200], 'nothing while closed');
  const second = await listen(clock, emulator);
  await clock.advance(79);
  t.same(second.arrivals, [], 'reopened at grid+20: nothing for 80 ms');
  await clock.advance(1);
  t.same(second.arrivals, [start + 500]);
  await clock.advance(200);
  t.same(second.arrivals, [start + 500, start + 600, start + 700]);
  await second.link.close();
});
