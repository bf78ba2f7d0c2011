import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { StationHealthReporter } from '../../../runtime/platform/station-health.js';
import { ManualClock, flushMicrotasks } from '../../fakes/manual-clock.js';

t.test('samples the thermal zone, disk and outbox on the interval and sends telemetry', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'health-'));
  const zone = join(dir, 'temp');
  writeFileSync(zone, '61234\n');
  const clock = new ManualClock();
  const sent: { device: string; payload: Record<string, unknown> }[] = [];
  let delivered: (() => void) | undefined;
  const nextSample = () => new Promise<void>((resolve) => (delivered = resolve));
  let depth = 3;
  const reporter = new StationHealthReporter({
    clock, logger: pino({ level: 'silent' }), intervalS: 60, dataDir: dir, thermalZoneFile: zone,
    sink: {
      telemetry: (device, payload) => {
        sent.push({ device, payload });
        delivered?.();
      },
    },
    lagMs: () => 7, outboxDepth: () => depth, rssBytes: () => 50 * 1048576,
  });
  let arrived = nextSample();
  await reporter.start();
  await clock.advance(0);
  await arrived;
  t.equal(sent.length, 1, 'first sample at start');
  t.equal(sent[0]!.device, 'station');
  t.match(sent[0]!.payload, { cpuTempC: 61.2, rssMb: 50, eventLoopLagMs: 7, outboxDepth: 3 });
  t.ok((sent[0]!.payload.diskFreeMb as number) > 0);
  depth = 5;
  await flushMicrotasks();
  t.equal(clock.timerCount, 1, 'the next sample is scheduled');
  await clock.advance(59_999);
  t.equal(sent.length, 1, 'nothing before the interval');
  arrived = nextSample();
  await clock.advance(1);
  await arrived;
  t.equal(sent.length, 2);
  t.equal(sent[1]!.payload.outboxDepth, 5);
  await reporter.stop();
  await clock.advance(120_000);
  t.equal(sent.length, 2, 'no samples after stop');
});

t.test('a board without a thermal zone reports null, not a made-up temperature', async (t) => {
  const clock = new ManualClock();
  const reporter = new StationHealthReporter({
    clock, logger: pino({ level: 'silent' }), intervalS: 60, dataDir: tmpdir(), thermalZoneFile: '/nonexistent/temp',
    sink: { telemetry: () => undefined }, lagMs: () => 0, outboxDepth: () => 0,
  });
  const s = await reporter.sample();
  t.equal(s.cpuTempC, null);
});
