import t from 'tap';
import type { Test } from 'tap';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulateUsage, simulateUsageCommand } from '../../scripts/simulate-usage.js';
import { planUsage } from '../../scripts/resident-behaviour.js';
import { reportCommand } from '../../runtime/cli/report.js';
import type { ReportModel } from '../../runtime/analytics/report/model.js';
import type { SessionAnalyticsEvent } from '../../runtime/analytics/events.js';
import { ManualClock } from '../fakes/manual-clock.js';

const io = () => {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: { write: (s: string) => (out.stdout += s) }, stderr: { write: (s: string) => (out.stderr += s) } } };
};

async function temp(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'simulate-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function report(dir: string, ...argv: string[]): Promise<ReportModel> {
  const { out, io: x } = io();
  t.equal(await reportCommand(['--data', dir, '--format', 'json', ...argv], { ...x, clock: new ManualClock(), flowsDir: 'flows' }), 0);
  return JSON.parse(out.stdout) as ReportModel;
}

async function allText(dir: string): Promise<string> {
  let text = '';
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) text += await readFile(join(entry.parentPath, entry.name), 'utf8');
  }
  return text;
}

/** Local day and hour in Asia/Ho_Chi_Minh from ICU's time zone data, independent of the code under test. */
const vn = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Ho_Chi_Minh', weekday: 'short', hour: '2-digit', hourCycle: 'h23' });
function cell(ms: number): string {
  const p = Object.fromEntries(vn.formatToParts(ms).map((x) => [x.type, x.value]));
  return `${['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(p.weekday!)}|${Number(p.hour)}`;
}

t.test('the pilot on the real flows: 1,800 visits over 60 days, counted exactly, reproducible, with nobody in it', async (t) => {
  const a = await temp(t);
  const events: SessionAnalyticsEvent[] = [];
  const options = { sessions: 1800, days: 60, seed: 42, startDay: '2026-09-26', stationId: 'DKC-01' };
  const result = await simulateUsage({ ...options, dataDir: a, observe: (e) => events.push(e) }, io().io);
  t.same([result.visits, result.firstDay, result.lastDay], [1800, '2026-09-26', '2026-11-24']);
  t.equal(result.sessions, events.length);
  t.equal(events.length, 1800, 'one visit, one session: the feedback question after a service is part of its visit');
  t.same(events.filter((e) => e.service === 'feedback'), [], 'no feedback sessions of their own (no home-menu feedback in these flows)');
  t.equal(result.records, 60, 'one record per day, sent at 00:10 of the next day');

  const model = await report(a);
  t.equal(model.totals.sessions, events.length);
  const services = new Map<string, number[]>();
  for (const e of events) {
    const row = services.get(e.service) ?? [0, 0, 0, 0, 0, 0, 0];
    row[0]!++;
    row[['completed', 'abandoned'].indexOf(e.outcome) + 1]! += e.outcome === 'failed' ? 0 : 1;
    if (e.outcome === 'failed') row[{ device: 3, central: 4, input: 5 }[e.failureCause!]]!++;
    if (e.beneficiary) row[6]!++;
    services.set(e.service, row);
  }
  t.same(
    new Map(model.services.map((s) => [s.service, [s.sessions, s.completed, s.abandoned, s.failedDevice, s.failedCentral, s.failedInput, s.withCccd]])),
    services,
    'per service: sessions, completed, abandoned, failures by cause, CCCD scanned',
  );
  const cells = new Map<string, number>();
  for (const e of events) cells.set(cell(e.startedAt), (cells.get(cell(e.startedAt)) ?? 0) + 1);
  model.heatmap.forEach((row, d) => row.forEach((n, h) => t.equal(n, cells.get(`${d}|${h}`) ?? 0, `heat map ${d} ${h}`)));
  for (const s of ['health-check', 'bill-payment', 'dossier-lookup', 'telehealth-appointment', 'notices']) {
    t.ok(model.services.some((x) => x.service === s && x.completed > 0), `${s} completed on the real flows`);
  }
  t.ok(model.totals.withCccd > 100, 'CCCDs were scanned');
  t.ok(model.ageBands.some((b) => b.band === '75+' && (b.services['health-check'] ?? 0) > 0), 'elderly health checks');
  t.ok(model.deviceFailures.length > 0 && model.totals.failedCentral > 0, 'devices and central failed sometimes');

  // Ratings: on the completed visits that asked for one, and counted per service in the day aggregates.
  t.same(events.filter((e) => e.feedback && e.outcome !== 'completed'), [], 'only completed services ask for a rating');
  t.same(events.filter((e) => e.service === 'notices' && e.feedback), [], 'notices (feedback: false) ask none');
  const rated = events.filter((e) => typeof e.feedback?.rating === 'number');
  t.ok(rated.length > 100 && events.some((e) => e.outcome === 'completed' && e.service !== 'notices' && typeof e.feedback?.rating !== 'number'), 'some answered, some did not');
  const ratings = new Map<string, number>();
  for (const e of events) if (e.feedback) ratings.set(`${e.service}|${e.feedback.rating ?? 'none'}`, (ratings.get(`${e.service}|${e.feedback.rating ?? 'none'}`) ?? 0) + 1);
  const counted = new Map<string, number>();
  for (const name of await readdir(join(a, 'analytics', 'days'))) {
    if (!name.endsWith('.json')) continue;
    const day = JSON.parse(await readFile(join(a, 'analytics', 'days', name), 'utf8')) as { services: Record<string, { ratings?: Record<string, number> }> };
    for (const [service, s] of Object.entries(day.services)) for (const [answer, n] of Object.entries(s.ratings ?? {})) counted.set(`${service}|${answer}`, (counted.get(`${service}|${answer}`) ?? 0) + n);
  }
  t.same(counted, ratings, 'the day aggregates count ratings per service as the events carry them');

  const residents = planUsage({ ...options }).map((v) => v.resident);
  const text = await allText(a);
  t.same(residents.filter((r) => text.includes(r.cccd) || text.includes(r.fullName)), [], 'no CCCD number or name on disk or in the records');
  const ids = new Set(events.map((e) => e.sessionId));
  t.same([...text.matchAll(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g)].filter((m) => ids.has(m[0])), [], 'no session id');
  t.ok(ids.size === events.length && [...ids][0]!.length === 36, 'session ids are UUIDs, so the pattern above would find them');
  t.notMatch(text, /\d{9,}/);

});

t.test('the same seed gives the same data on the real flows', async (t) => {
  const runs: ReportModel[] = [];
  for (const dir of [await temp(t), await temp(t)]) {
    await simulateUsage({ sessions: 150, days: 7, seed: 11, startDay: '2026-11-02', dataDir: dir }, io().io);
    runs.push({ ...(await report(dir)), generatedAt: '' });
  }
  t.same(runs[0], runs[1]);
  t.equal(runs[0]!.totals.sessions, 150);
});

t.test('the behaviour model alone gives the same kind of data, faster', async (t) => {
  const dir = await temp(t);
  const events: SessionAnalyticsEvent[] = [];
  const result = await simulateUsage({ sessions: 600, days: 20, seed: 3, startDay: '2026-10-01', dataDir: dir, drive: 'model', observe: (e) => events.push(e) }, io().io);
  t.equal(result.sessions, 600);
  t.equal(result.records, 20);
  const model = await report(dir);
  t.equal(model.totals.sessions, 600);
  t.equal(model.totals.completed, events.filter((e) => e.outcome === 'completed').length);
  const other = await temp(t);
  await simulateUsage({ sessions: 600, days: 20, seed: 4, startDay: '2026-10-01', dataDir: other, drive: 'model' }, io().io);
  t.notSame((await report(other)).heatmap, model.heatmap, 'another seed, other data');
});

t.test('the command line checks its arguments', async (t) => {
  for (const argv of [['--sessions', '0'], ['--days', 'x'], ['--start', '2026-02-30'], ['--seed', '1.5'], ['--drive', 'robot'], ['--nope']]) {
    const { out, io: x } = io();
    t.equal(await simulateUsageCommand(argv, x), 2, argv.join(' '));
    t.match(out.stderr, /Usage: npm run simulate-usage/);
  }
  const dir = await temp(t);
  const { out, io: x } = io();
  t.equal(await simulateUsageCommand(['--sessions', '50', '--days', '3', '--seed', '9', '--data', dir, '--start', '2026-11-01'], x), 0);
  t.match(out.stdout, /50 visits \(50 sessions, driven by the session\) from 2026-11-01 to 2026-11-03/);
  t.equal((await report(dir)).totals.sessions, 50);
});
