import t from 'tap';
import pino from 'pino';
import { ScaleEmulator, ScaleLineParser, SerialScale, StableWeightDetector, parseScaleLine } from '../../drivers/scale.js';
import { createSimSerialLink } from '../../drivers/transports/serial-sim.js';
import { ManualClock } from '../fakes/manual-clock.js';

const log = pino({ level: 'silent' });

t.test('parses both indicator line families', async (t) => {
  t.same(parseScaleLine('ST,GS,+  72.35kg'), { state: 'stable', kind: 'gross', weightKg: 72.35 });
  t.same(parseScaleLine('US,NT,-   0.20kg'), { state: 'unstable', kind: 'net', weightKg: -0.2 });
  t.same(parseScaleLine('OL,GS,+ 999.99kg'), { state: 'overload', kind: 'gross', weightKg: null });
  t.same(parseScaleLine('ST,+00072.35  kg'), { state: 'stable', kind: null, weightKg: 72.35 });
  t.same(parseScaleLine('US,+00072.40  kg'), { state: 'unstable', kind: null, weightKg: 72.4 });
  t.same(parseScaleLine('ST,+072350.0   g'), { state: 'stable', kind: null, weightKg: 72.35 });
  t.same(parseScaleLine('OL,+9999999E+19'), null, 'overload digits are not a weight line format here');
  t.same(parseScaleLine('OL,+'), { state: 'overload', kind: null, weightKg: null });
  t.equal(parseScaleLine('ST,GS,+  72.35'), null, 'no unit, no weight');
  t.equal(parseScaleLine('hello'), null);
  t.equal(parseScaleLine(''), null);
});

t.test('stable weight needs consecutive stable readings within the spread', async (t) => {
  const d = new StableWeightDetector({ samples: 3, maxSpreadKg: 0.05 });
  const st = (w: number) => ({ state: 'stable' as const, kind: null, weightKg: w });
  t.equal(d.push(st(70)), null);
  t.equal(d.push({ state: 'unstable', kind: null, weightKg: 70 }), null);
  t.equal(d.push(st(70)), null);
  t.equal(d.push(st(70.02)), null);
  t.equal(d.push(st(70.01)), 70.01);
  t.equal(d.push(st(71)), null, 'a jump breaks the window');
  t.equal(d.push(st(-3)), null, 'negative weight never settles');
});

t.test('line parser tolerates split lines and ignores junk', async (t) => {
  const p = new ScaleLineParser();
  t.same(p.push(Buffer.from('ST,GS,+  7')), []);
  t.same(p.push(Buffer.from('2.35kg\r\n\u0000\u00ffjunk\r\nUS,GS,+  1.00kg\n')), [
    { state: 'stable', kind: 'gross', weightKg: 72.35 },
    { state: 'unstable', kind: 'gross', weightKg: 1 },
  ]);
});

function rig(loadKg: number, format: 'gs' | 'ad' = 'gs') {
  const clock = new ManualClock();
  const emulator = new ScaleEmulator(clock, { loadKg, format });
  const { link, port } = createSimSerialLink({ emulator });
  const scale = new SerialScale(link, clock, log);
  return { clock, emulator, port, scale };
}

for (const format of ['gs', 'ad'] as const) {
  t.test(`measures a settled weight (${format} format) and tares`, async (t) => {
    const { clock, emulator, scale } = rig(0, format);
    const probe = scale.probe();
    await clock.advance(200);
    await probe;
    emulator.options.loadKg = 0.4;
    await clock.advance(2000);
    const tare = scale.tare();
    await clock.advance(300);
    await tare;
    emulator.options.loadKg = 64.15;
    const progress: number[] = [];
    const p = scale.measure({ onProgress: (x) => x.liveValue !== undefined && progress.push(x.liveValue) });
    await clock.advance(3000);
    t.same((await p).values, { weightKg: 63.75 });
    t.ok(progress.length > 0);
    await scale.close();
  });
}

t.test('overload is refused with DEVICE_IMPLAUSIBLE', async (t) => {
  const { clock, scale } = rig(400);
  const p = scale.measure();
  p.catch(() => undefined);
  await clock.advance(300);
  await t.rejects(p, { code: 'DEVICE_IMPLAUSIBLE' });
  await scale.close();
});

t.test('faults: silence, unplug mid-line, garbage; recovery after replug', async (t) => {
  const { clock, port, scale } = rig(58.2);
  const health: string[] = [];
  scale.onHealthChange((r) => health.push(r.health));
  const probe = scale.probe();
  await clock.advance(200);
  await probe;
  port.setSilent(true);
  const silent = scale.measure();
  silent.catch(() => undefined);
  await clock.advance(2500);
  await t.rejects(silent, { code: 'DEVICE_TIMEOUT' });
  port.setSilent(false);

  const torn = scale.measure();
  torn.catch(() => undefined);
  port.unplugAfter(7);
  await clock.advance(300);
  await t.rejects(torn, { code: 'DEVICE_MISSING' });
  t.same(health, ['missing']);
  port.replug();
  const again = scale.probe();
  await clock.advance(200);
  await again;
  const noisy = scale.measure();
  noisy.catch(() => undefined);
  for (let i = 0; i < 40; i++) {
    if (i % 10 === 0) port.injectGarbage(Buffer.from('ST,GS,+ 99'));
    await clock.advance(50);
  }
  t.same((await noisy).values, { weightKg: 58.2 }, 'torn lines merged with garbage never parse as weights');
  await scale.close();
});

t.test("streams weight lines through the driver's parser on the indicator grid, the first within a period of opening", async (t) => {
  const clock = new ManualClock();
  const emulator = new ScaleEmulator(clock, { loadKg: 72.35, periodMs: 130, phaseMs: 17 });
  await clock.advance(45);
  const { link } = createSimSerialLink({ emulator });
  const parser = new ScaleLineParser();
  const arrivals: number[] = [];
  const weights: (number | null)[] = [];
  link.events.on('data', arrivals, (chunk) => {
    for (const reading of parser.push(chunk)) {
      arrivals.push(clock.now());
      weights.push(reading.weightKg);
    }
  });
  const opened = clock.now();
  await link.open();
  await clock.advance(20 * 130);
  const first = arrivals[0]!;
  t.ok(first > opened && first <= opened + 130, 'first line within one period of opening');
  t.equal((first - 17) % 130, 0, 'on the grid 17 + k·130 of the clock');
  t.same(arrivals, Array.from({ length: 20 }, (_, k) => first + k * 130), 'one line per period, on the grid');
  t.same(weights, new Array(20).fill(72.35), 'whole weight lines, as the driver parses them');
  await link.close();
  await clock.advance(500);
  t.equal(arrivals.length, 20, 'no line once the port is closed');
  t.equal(clock.timerCount, 0, "closing the port cancelled the emulator's timer");
});
