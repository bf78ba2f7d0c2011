import t from 'tap';
import type { Test } from 'tap';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { isDeepStrictEqual } from 'node:util';
import { createLogger } from '../../../runtime/kernel/logger.js';
import { StationAnalytics, analyticsTuning, readDayAggregates } from '../../../runtime/analytics/station-analytics.js';
import type { AnalyticsRecord } from '../../../runtime/analytics/station-analytics.js';
import type { RecordKind, RecordSink, RecordedEvent } from '../../../runtime/flows/ports.js';
import type { SessionAnalyticsEvent } from '../../../runtime/analytics/events.js';
import { StationError } from '../../../runtime/kernel/errors.js';
import { SeededRandom } from '../../../drivers/transports/seeded-random.js';
import { modelSessionEvent, planUsage } from '../../../scripts/resident-behaviour.js';
import type { PlannedVisit } from '../../../scripts/resident-behaviour.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { jsonStrings, leaks } from '../../fakes/simulated-pilot.js';

/** Records kept in memory; `refuse` makes the next calls reject like a full journal. */
class MemoryRecords implements RecordSink {
  readonly records: { kind: RecordKind; payload: Record<string, unknown> }[] = [];
  refuse = false;
  async record(kind: RecordKind, payload: Record<string, unknown>): Promise<RecordedEvent> {
    if (this.refuse) throw new StationError('JOURNAL_FULL');
    this.records.push({ kind, payload: JSON.parse(JSON.stringify(payload)) as Record<string, unknown> });
    return { eventId: `DKC-01:1:${this.records.length}`, recordedAt: 0 };
  }
}

function memoryLogger() {
  const lines: string[] = [];
  const destination = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
  return { logger: createLogger({ level: 'debug', destination }), lines };
}

async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'analytics-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const pilotStart = '2026-09-26';
const pilot: PlannedVisit[] = planUsage({ sessions: 1800, days: 60, seed: 20260925, startDay: pilotStart });
const eventRng = new SeededRandom(7);
const pilotEvents: SessionAnalyticsEvent[] = pilot.map((v) => modelSessionEvent(v, eventRng));
/** The clock after the pilot: 2026-11-25 09:00 local. */
const afterPilot = Date.UTC(2026, 10, 25, 2, 0, 0);

/** Local day, ISO weekday and hour computed with ICU's time zone database, independently of aggregate.ts. */
const vnParts = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Asia/Ho_Chi_Minh', weekday: 'short', hour: '2-digit', hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
});
function vnTime(ms: number): { day: string; weekday: number; hour: number } {
  const p = Object.fromEntries(vnParts.formatToParts(ms).map((x) => [x.type, x.value]));
  return {
    day: `${p.year}-${p.month}-${p.day}`,
    weekday: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(p.weekday!) + 1,
    hour: Number(p.hour),
  };
}

function start(dir: string, clock: ManualClock, records: RecordSink, logger = memoryLogger().logger) {
  return new StationAnalytics({ clock, logger, records, dataDir: dir, stationId: 'DKC-01' });
}

t.test('the simulated pilot aggregates to the counts taken straight from the session events', async (t) => {
  const dir = await tempDir(t);
  const clock = new ManualClock(afterPilot);
  const { logger, lines } = memoryLogger();
  const analytics = start(dir, clock, new MemoryRecords(), logger);
  await analytics.start();
  for (const e of pilotEvents) analytics.sessionEnded(e);
  await analytics.flush();
  const days = analytics.dayAggregates();

  t.equal(pilotEvents.length, 1800);
  const expect = new Map<string, { sessions: number; completed: number; abandoned: number; device: number; central: number; input: number; withCccd: number }>();
  const cells = new Map<string, number>();
  const byDayService = new Map<string, number>();
  const bands = new Map<string, number>();
  const lastSteps = new Map<string, number>();
  for (const e of pilotEvents) {
    const x = expect.get(e.service) ?? { sessions: 0, completed: 0, abandoned: 0, device: 0, central: 0, input: 0, withCccd: 0 };
    x.sessions++;
    if (e.outcome === 'completed') x.completed++;
    if (e.outcome === 'abandoned') x.abandoned++;
    if (e.outcome === 'failed') x[e.failureCause!]++;
    if (e.beneficiary) {
      x.withCccd++;
      const k = `${e.service}|${e.beneficiary.ageBand}|${e.beneficiary.sex}`;
      bands.set(k, (bands.get(k) ?? 0) + 1);
    }
    if (e.outcome === 'abandoned') lastSteps.set(`${e.service}|${e.lastStep}`, (lastSteps.get(`${e.service}|${e.lastStep}`) ?? 0) + 1);
    expect.set(e.service, x);
    const v = vnTime(e.startedAt);
    cells.set(`${v.weekday}|${v.hour}`, (cells.get(`${v.weekday}|${v.hour}`) ?? 0) + 1);
    byDayService.set(`${v.day}|${e.service}`, (byDayService.get(`${v.day}|${e.service}`) ?? 0) + 1);
  }

  const got = new Map<string, { sessions: number; completed: number; abandoned: number; device: number; central: number; input: number; withCccd: number }>();
  const gotCells = new Map<string, number>();
  const gotDayService = new Map<string, number>();
  const gotBands = new Map<string, number>();
  const gotAbandoned = new Map<string, number>();
  for (const d of days) {
    for (const [service, s] of Object.entries(d.services)) {
      const x = got.get(service) ?? { sessions: 0, completed: 0, abandoned: 0, device: 0, central: 0, input: 0, withCccd: 0 };
      x.sessions += s.sessions;
      x.completed += s.completed;
      x.abandoned += s.abandoned;
      x.device += s.failed.device;
      x.central += s.failed.central;
      x.input += s.failed.input;
      for (const [band, bySex] of Object.entries(s.beneficiaries)) {
        for (const [sex, n] of Object.entries(bySex)) {
          x.withCccd += n;
          gotBands.set(`${service}|${band}|${sex}`, (gotBands.get(`${service}|${band}|${sex}`) ?? 0) + n);
        }
      }
      for (const [step, st] of Object.entries(s.steps)) {
        if (st.abandoned) gotAbandoned.set(`${service}|${step}`, (gotAbandoned.get(`${service}|${step}`) ?? 0) + st.abandoned);
      }
      got.set(service, x);
      s.hours.forEach((n, h) => n && gotCells.set(`${d.weekday}|${h}`, (gotCells.get(`${d.weekday}|${h}`) ?? 0) + n));
      if (s.sessions) gotDayService.set(`${d.day}|${service}`, s.sessions);
    }
  }
  const sorted = <V>(m: Map<string, V>) => [...m.entries()].sort(([a], [b]) => a.localeCompare(b));
  t.same(sorted(got), sorted(expect), 'per service: sessions, outcomes, failure causes, CCCD scans');
  t.same(sorted(gotCells), sorted(cells), 'weekday x hour in Asia/Ho_Chi_Minh');
  t.same(sorted(gotDayService), sorted(byDayService), 'local day x service');
  t.same(sorted(gotBands), sorted(bands), 'service x age band x sex');
  t.same(sorted(gotAbandoned), sorted(lastSteps), 'abandoned at which step');

  const completed = pilotEvents.filter((e) => e.service === 'health-check' && e.outcome === 'completed').map((e) => e.endedAt - e.startedAt);
  const hc = days.map((d) => d.services['health-check']).filter((s) => s !== undefined);
  t.equal(hc.reduce((n, s) => n + s.durations.completed.count, 0), completed.length);
  t.equal(hc.reduce((n, s) => n + s.durations.completed.sumMs, 0), completed.reduce((a, b) => a + b, 0));
  t.equal(Math.min(...hc.map((s) => s.durations.completed.minMs ?? Infinity)), Math.min(...completed));
  t.equal(Math.max(...hc.map((s) => s.durations.completed.maxMs ?? 0)), Math.max(...completed));

  // The behaviour model is realistic enough to be worth reporting on.
  const elderlyHealth = pilotEvents.filter((e) => e.service === 'health-check' && e.beneficiary && ['60-74', '75+'].includes(e.beneficiary.ageBand)).length;
  const healthWithCccd = pilotEvents.filter((e) => e.service === 'health-check' && e.beneficiary).length;
  t.ok(elderlyHealth / healthWithCccd > 0.5, 'most identified health checks are by residents over 60');
  const evening = pilotEvents.filter((e) => { const h = vnTime(e.startedAt).hour; return h >= 17 && h <= 21; }).length;
  t.ok(evening / 1800 > 0.3, 'evening peak');
  const bills = pilotEvents.filter((e) => e.service === 'bill-payment');
  t.ok(bills.filter((e) => Number(vnTime(e.startedAt).day.slice(8)) <= 7).length / bills.length > 0.4, 'bills cluster at month start');

  await analytics.stop();
  t.notMatch(lines.join(''), /079\d{9}/, 'no CCCD number in the logs');
});

t.test('no aggregate on disk or in a record holds a CCCD number, a name or a session id', async (t) => {
  const dir = await tempDir(t);
  const clock = new ManualClock(afterPilot);
  const records = new MemoryRecords();
  const analytics = start(dir, clock, records);
  await analytics.start();
  for (const e of pilotEvents) analytics.sessionEnded(e);
  await analytics.flush();
  await analytics.sendNow();
  await analytics.stop();
  const files = await readdir(join(dir, 'analytics', 'days'));
  const onDisk: unknown[] = [];
  let diskText = '';
  for (const f of files) {
    const text = await readFile(join(dir, 'analytics', 'days', f), 'utf8');
    diskText += text;
    onDisk.push(JSON.parse(text));
  }
  const sentText = JSON.stringify(records.records);
  t.ok(diskText.length > 10_000 && sentText.length > 10_000);
  const forbidden = pilot.flatMap((v) => [v.resident.cccd, v.resident.fullName, v.resident.qr.split('|')[1]!, v.resident.birthDate]);
  t.ok(new Set(forbidden).size > 400);
  for (const [what, strings, text] of [['disk', jsonStrings(onDisk), diskText], ['records', jsonStrings(records.records), sentText]] as const) {
    t.same(leaks(strings, new Set(forbidden)), [], `${what}: no CCCD number, old ID number, name or birth date`);
    t.same(leaks(strings, pilotEvents.map((e) => e.sessionId)), [], `${what}: no session id`);
    t.notMatch(text, /\d{9,}/, 'no long digit run at all');
    t.notMatch(text, /Nguyễn|Trần|Thị|Văn/);
  }
});

t.test('aggregates survive a restart and later sessions add to them', async (t) => {
  const dir = await tempDir(t);
  const clock = new ManualClock(afterPilot);
  const first = start(dir, clock, new MemoryRecords());
  await first.start();
  for (const e of pilotEvents.slice(0, 900)) first.sessionEnded(e);
  await first.stop();
  const before = first.dayAggregates();

  const second = start(dir, clock, new MemoryRecords());
  await second.start();
  t.same(second.dayAggregates(), before, 'same aggregates after restart');
  for (const e of pilotEvents.slice(900)) second.sessionEnded(e);
  await second.stop();

  const reference = start(await tempDir(t), clock, new MemoryRecords());
  await reference.start();
  for (const e of pilotEvents) reference.sessionEnded(e);
  await reference.stop();
  t.same(await readDayAggregates(dir, memoryLogger().logger), reference.dayAggregates(), 'split run equals one run');
});

t.test('a damaged day file falls back to its last good copy', async (t) => {
  const dir = await tempDir(t);
  const clock = new ManualClock(afterPilot);
  const a = start(dir, clock, new MemoryRecords());
  await a.start();
  const today = pilotEvents.filter((e) => e.startedAt < afterPilot).slice(-3).map((e) => ({ ...e, startedAt: afterPilot - 60_000, endedAt: afterPilot }));
  a.sessionEnded(today[0]!);
  await a.flush();
  a.sessionEnded(today[1]!);
  await a.stop();
  await writeFile(join(dir, 'analytics', 'days', '2026-11-25.json'), '{"schema":1,"day":"2026-11-25","serv');
  const { logger, lines } = memoryLogger();
  const b = start(dir, clock, new MemoryRecords(), logger);
  await b.start();
  const day = b.dayAggregates().find((d) => d.day === '2026-11-25');
  t.equal(Object.values(day!.services).reduce((n, s) => n + s.sessions, 0), 1, 'the copy before the last write');
  t.match(lines.join(''), /last good copy/);
  await b.stop();
});

t.test('each ended day goes to central once, ten minutes after local midnight', async (t) => {
  const dir = await tempDir(t);
  const clock = new ManualClock(afterPilot);
  const records = new MemoryRecords();
  const analytics = start(dir, clock, records);
  await analytics.start();
  await analytics.flush();
  t.equal(records.records.length, 0, 'nothing is due on a fresh station');
  const e = pilotEvents[0]!;
  analytics.sessionEnded({ ...e, startedAt: afterPilot + 60_000, endedAt: afterPilot + 300_000 });
  analytics.sessionEnded({ ...e, startedAt: Date.UTC(2026, 10, 25, 16, 59), endedAt: Date.UTC(2026, 10, 25, 17, 2) });
  // 2026-11-25 ends at 17:00 UTC; the send is due at 17:10 UTC (00:10 +07:00).
  await clock.advance(Date.UTC(2026, 10, 25, 17, 9, 59) - afterPilot);
  await analytics.flush();
  t.equal(records.records.length, 0);
  await clock.advance(1000);
  await analytics.flush();
  t.equal(records.records.length, 1);
  const rec = records.records[0]!;
  t.equal(rec.kind, 'analytics');
  const payload = rec.payload as unknown as AnalyticsRecord;
  t.equal(payload.day, '2026-11-25');
  t.equal(payload.weekday, 3, 'Wednesday');
  t.equal(payload.stationId, 'DKC-01');
  t.equal(payload.partial, false);
  t.equal(payload.services[e.service]!.sessions, 2);
  t.equal(payload.services[e.service]!.hours[9], 1);
  t.equal(payload.services[e.service]!.hours[23], 1, '16:59 UTC is 23:59 in Hồ Chí Minh City');

  await clock.advance(86_400_000);
  await analytics.flush();
  t.equal(records.records.length, 2, 'an empty day the station ran is sent too');
  t.same(Object.keys((records.records[1]!.payload as unknown as AnalyticsRecord).services), []);
  await analytics.stop();
  t.equal(clock.timerCount, 0, 'stop clears the daily timer');

  const again = start(dir, clock, records);
  await again.start();
  await again.flush();
  t.equal(records.records.length, 2, 'a restart does not send a day twice');
  await again.stop();
});

t.test('a refused send is retried; a command sends due days and a partial today', async (t) => {
  const dir = await tempDir(t);
  const clock = new ManualClock(afterPilot);
  const records = new MemoryRecords();
  const analytics = new StationAnalytics({ clock, logger: memoryLogger().logger, records, dataDir: dir, stationId: 'DKC-01', retryMs: 600_000 });
  await analytics.start();
  for (const e of pilotEvents.slice(0, 50)) analytics.sessionEnded(e);
  records.refuse = true;
  await clock.advance(Date.UTC(2026, 10, 25, 17, 10) - afterPilot);
  await analytics.flush();
  t.equal(records.records.length, 0);
  records.refuse = false;
  await clock.advance(599_999);
  await analytics.flush();
  t.equal(records.records.length, 0, 'not before the retry delay');
  await clock.advance(1);
  await analytics.flush();
  const days = new Set(pilotEvents.slice(0, 50).map((e) => vnTime(e.startedAt).day));
  t.equal(records.records.length, days.size + 1, 'every pilot day with sessions and the day the station started');
  t.same(records.records.map((r) => r.payload.day), [...days, '2026-11-25'].sort());

  const sent = await analytics.sendNow();
  t.same(sent.map((s) => [s.day, s.partial]), [['2026-11-26', true]]);
  await t.rejects(new StationAnalytics({ clock, logger: memoryLogger().logger, records, dataDir: dir, stationId: 'x' }).sendNow(), { code: 'NOT_RUNNING' });
  await analytics.stop();
  await analytics.stop();
});

t.test('analytics.summary gives today and this week; a bad range is refused', async (t) => {
  const dir = await tempDir(t);
  const clock = new ManualClock(afterPilot);
  const analytics = start(dir, clock, new MemoryRecords());
  await analytics.start();
  for (const e of pilotEvents) analytics.sessionEnded(e);
  const e = pilotEvents[0]!;
  analytics.sessionEnded({ ...e, service: 'notices', outcome: 'completed', startedAt: afterPilot - 1000, endedAt: afterPilot, feedback: { rating: 4 } });
  const today = analytics.summary({ range: 'today' });
  t.equal(today.from, '2026-11-25');
  t.equal(today.totals.sessions, 1);
  t.same(today.services[0]!.ratings, {
    answered: 1, distribution: { 1: 0, 2: 0, 3: 0, 4: 1, 5: 0 }, mean: 4, unanswered: 0, daysWithoutRatings: 0, sessionsWithoutRatings: 0,
  }, 'the summary carries the ratings the Usage view shows');
  t.equal(today.hours[8], 1, '08:59:59 local');
  t.same(analytics.summary({}), today, 'today by default');
  const week = analytics.summary({ range: 'week' });
  t.equal(week.from, '2026-11-19');
  const expected = pilotEvents.filter((x) => vnTime(x.startedAt).day >= '2026-11-19').length + 1;
  t.equal(week.totals.sessions, expected);
  t.equal(week.services.reduce((n, s) => n + s.sessions, 0), expected);
  t.throws(() => analytics.summary({ range: 'year' }), { code: 'CONTROL_BAD_PARAMS' });
  await analytics.stop();
});

t.test('a session that began before midnight and ended after the send makes its day go again', async (t) => {
  const dir = await tempDir(t);
  const clock = new ManualClock(afterPilot);
  const records = new MemoryRecords();
  const analytics = start(dir, clock, records);
  await analytics.start();
  const e = pilotEvents.find((x) => x.outcome === 'completed')!;
  analytics.sessionEnded({ ...e, startedAt: afterPilot, endedAt: afterPilot + 60_000 });
  await clock.advance(Date.UTC(2026, 10, 25, 17, 10) - afterPilot);
  await analytics.flush();
  t.equal(records.records.length, 1);
  // Began 23:58 local on the 25th, ended 00:20 on the 26th, after the 00:10 send.
  analytics.sessionEnded({ ...e, startedAt: Date.UTC(2026, 10, 25, 16, 58), endedAt: Date.UTC(2026, 10, 25, 17, 20) });
  await clock.advance(86_400_000);
  await analytics.flush();
  const days = records.records.map((r) => [r.payload.day, (r.payload as unknown as AnalyticsRecord).services[e.service]?.sessions ?? 0]);
  t.same(days, [['2026-11-25', 1], ['2026-11-25', 2], ['2026-11-26', 0]], 'the 25th again with both sessions, then the 26th');
  await analytics.stop();
});

t.test('the analytics config section maps onto the component options', async (t) => {
  t.same(analyticsTuning(undefined), {});
  t.same(analyticsTuning({ sendAtMinute: 30, retryS: 600, retentionDays: 90 }), { sendAtMinute: 30, retryMs: 600_000, retentionDays: 90 });
  const dir = await tempDir(t);
  const clock = new ManualClock(afterPilot);
  const records = new MemoryRecords();
  const analytics = new StationAnalytics({ clock, logger: memoryLogger().logger, records, dataDir: dir, stationId: 'DKC-01', ...analyticsTuning({ sendAtMinute: 30 }) });
  await analytics.start();
  await clock.advance(Date.UTC(2026, 10, 25, 17, 29, 59) - afterPilot);
  await analytics.flush();
  t.equal(records.records.length, 0);
  await clock.advance(1000);
  await analytics.flush();
  t.equal(records.records.length, 1, 'sent at 00:30 local');
  await analytics.stop();
});

t.test('a malformed event is logged and skipped; the day stays valid and keeps being saved', async (t) => {
  const dir = await tempDir(t);
  const clock = new ManualClock(afterPilot);
  const { logger, lines } = memoryLogger();
  const analytics = start(dir, clock, new MemoryRecords(), logger);
  await analytics.start();
  const e = { ...pilotEvents[0]!, startedAt: afterPilot, endedAt: afterPilot + 1000 };
  const bad = [
    { ...e, outcome: 'exploded' }, { ...e, failureCause: 'printer', outcome: 'failed' }, { ...e, startedAt: Number.NaN },
    { ...e, steps: [{ stepId: 3 }] }, null, { ...e, beneficiary: { ageBand: 7 } },
  ] as unknown as SessionAnalyticsEvent[];
  t.doesNotThrow(() => bad.forEach((b) => analytics.sessionEnded(b)));
  analytics.sessionEnded(e);
  await analytics.stop();
  const saved = await readDayAggregates(dir, logger);
  t.equal(saved.find((d) => d.day === '2026-11-25')?.services[e.service]?.sessions, 1, 'only the good event counted, and saved');
  t.equal(lines.filter((l) => l.includes('session event not counted')).length, bad.length);
});

t.test('splitting the events across days files, restarts or stations never changes the merged totals', async (t) => {
  const { buildReport } = await import('../../../runtime/analytics/report/model.js');
  const { aggregateDays } = await import('../../fakes/simulated-pilot.js');
  const fc = await import('fast-check');
  const whole = buildReport([{ site: 'a', days: aggregateDays(pilotEvents) }], { generatedAt: 0 });
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 40, maxLength: 40 }), (assign) => {
    // Each of 40 chunks of the pilot goes to one of four "stations"; the merged report is the same.
    const parts: SessionAnalyticsEvent[][] = [[], [], [], []];
    pilotEvents.forEach((ev, i) => parts[assign[Math.floor((i * 40) / pilotEvents.length)]!]!.push(ev));
    const merged = buildReport(parts.map((p, i) => ({ site: `s${i}`, days: aggregateDays(p) })), { generatedAt: 0 });
    const strip = (m: typeof whole) => ({ ...m, sites: [], days: 0 });
    // Deep equality without regard to key order (which follows arrival order in the records).
    return isDeepStrictEqual(strip(merged), strip(whole))
      && merged.sites.reduce((n, s) => n + s.sessions, 0) === 1800;
  }), { numRuns: 25 });
  t.pass('merging is exact');
});

t.test('sessions ending before start are counted; days older than the retention go once central has them', async (t) => {
  const dir = await tempDir(t);
  const clock = new ManualClock(afterPilot);
  const records = new MemoryRecords();
  const early = new StationAnalytics({ clock, logger: memoryLogger().logger, records, dataDir: dir, stationId: 'DKC-01' });
  for (const e of pilotEvents) early.sessionEnded(e);
  await early.start();
  t.equal(early.dayAggregates().reduce((n, d) => n + Object.values(d.services).reduce((m, s) => m + s.sessions, 0), 0), 1800, 'counted at start');
  await early.stop();
  t.equal(records.records.length, 60, 'the pilot days had ended, so they went at start');

  const analytics = new StationAnalytics({ clock, logger: memoryLogger().logger, records, dataDir: dir, stationId: 'DKC-01', retentionDays: 30 });
  await analytics.start();
  await clock.advance(Date.UTC(2026, 10, 25, 17, 10) - afterPilot);
  await analytics.flush();
  t.equal(records.records.length, 61, 'then the 25th');
  const kept = analytics.dayAggregates().map((d) => d.day);
  t.equal(kept[0], '2026-10-27', 'thirty days back from the 26th');
  const files = (await readdir(join(dir, 'analytics', 'days'))).filter((f) => f.endsWith('.json'));
  t.same(files.map((f) => f.slice(0, 10)).sort(), kept, 'their files are gone too');
  await analytics.stop();
});

t.test('ratings of the feedback question are counted on their service, merge by addition, and older days without them still load', async (t) => {
  const { addSession, dayAggregateProblem, emptyDay, emptyServiceDay, mergeServiceDay, sessionEventProblem } = await import('../../../runtime/analytics/report/aggregate.js');
  const at = Date.parse('2026-11-24T03:00:00Z');
  const base: SessionAnalyticsEvent = {
    sessionId: '6f1c2d3e-0000-4000-8000-000000000001', service: 'bill-payment', flowVersion: 1, startedAt: at, endedAt: at + 90_000,
    outcome: 'completed', lastStep: 'done', steps: [{ stepId: 'done', kind: 'end', enteredAt: at + 90_000, durationMs: 0 }], locale: 'vi',
  };
  const day = emptyDay('2026-11-24');
  for (const feedback of [{ rating: 5 }, { rating: 5 }, { rating: 2 }, { rating: null }, undefined]) {
    const e = feedback ? { ...base, feedback } : base;
    t.equal(sessionEventProblem(e), undefined);
    addSession(day, e);
  }
  const bill = day.services['bill-payment']!;
  t.equal(bill.sessions, 5, 'a rating adds no session');
  t.same(bill.ratings, { 5: 2, 2: 1, none: 1 }, 'asked four times: three answers, one unanswered; the fifth visit was not asked');
  t.equal(sessionEventProblem({ ...base, feedback: { rating: 7 } }), 'feedback malformed');
  t.equal(sessionEventProblem({ ...base, feedback: { rating: 2.5 } }), 'feedback malformed');

  const older = structuredClone(bill);
  delete older.ratings;
  t.equal(dayAggregateProblem({ ...day, services: { 'bill-payment': older } }), undefined, 'a day counted before ratings existed is still valid');
  const merged = emptyServiceDay();
  mergeServiceDay(merged, older);
  mergeServiceDay(merged, bill);
  t.same(merged.ratings, { 5: 2, 2: 1, none: 1 });
  t.equal(merged.sessions, 10);
});
