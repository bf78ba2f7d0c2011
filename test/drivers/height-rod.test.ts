import t from 'tap';
import pino from 'pino';
import { HeightFrameParser, HeightRod, HeightRodEmulator, decodeHeightFrame, encodeHeightFrame } from '../../drivers/height-rod.js';
import { createSimSerialLink } from '../../drivers/transports/serial-sim.js';
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

t.test("streams frames through the driver's parser on the module grid, the first within a period of opening", async (t) => {
  const clock = new ManualClock();
  const emulator = new HeightRodEmulator(clock, { mountingHeightMm: 2200, personHeightMm: 1650, periodMs: 130, phaseMs: 17 });
  await clock.advance(45);
  const { link } = createSimSerialLink({ emulator });
  const parser = new HeightFrameParser();
  const arrivals: number[] = [];
  const distances: number[] = [];
  link.events.on('data', arrivals, (chunk) => {
    for (const frame of parser.push(chunk)) {
      arrivals.push(clock.now());
      distances.push(frame.distanceMm);
    }
  });
  const opened = clock.now();
  await link.open();
  await clock.advance(20 * 130);
  const first = arrivals[0]!;
  t.ok(first > opened && first <= opened + 130, 'first frame within one period of opening');
  t.equal((first - 17) % 130, 0, 'on the grid 17 + k·130 of the clock');
  t.same(arrivals, Array.from({ length: 20 }, (_, k) => first + k * 130), 'one frame per period, on the grid');
  t.same(distances.filter((d) => Math.abs(d - 550) > 2), [], 'whole frames with valid sums, as the driver parses them');
  await link.close();
  await clock.advance(500);
  t.equal(arrivals.length, 20, 'no frame once the port is closed');
  t.equal(clock.timerCount, 0, "closing the port cancelled the emulator's timer");
});
