import t from 'tap';
import type { Test } from 'tap';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulateUsage, simulateUsageCommand } from '../../scripts/simulate-usage.js';
import { planUsage } from '../../scripts/resident-behaviour.js';
import { reportCommand } from '../../runtime/report/cli.js';
import type { ReportModel } from '../../runtime/report/model.js';
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

async function report(dir: string): Promise<ReportModel> {
  const { out, io: x } = io();
  t.equal(await reportCommand(['--data', dir, '--format', 'json'], { ...x, clock: new ManualClock() }), 0);
  return JSON.parse(out.stdout) as ReportModel;
}

async function allText(dir: string): Promise<string> {
  let text = '';
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) text += await readFile(join(entry.parentPath, entry.name), 'utf8');
  }
  return text;
}

t.test('the pilot run: 1,800 sessions over 60 days, reproducible from its seed, with nobody in it', async (t) => {
  const a = await temp(t);
  const b = await temp(t);
  const result = await simulateUsage({ sessions: 1800, days: 60, seed: 42, dataDir: a, startDay: '2026-09-26', stationId: 'DKC-01' }, io().io);
  t.same([result.sessions, result.firstDay, result.lastDay], [1800, '2026-09-26', '2026-11-24']);
  t.equal(result.records, 61, 'one full record per simulated day and the (empty) partial of the day they were sent on');
  await simulateUsage({ sessions: 1800, days: 60, seed: 42, dataDir: b, startDay: '2026-09-26', stationId: 'DKC-01' }, io().io);
  const ra = await report(a);
  t.equal(ra.totals.sessions, 1800);
  t.equal(ra.from, '2026-09-26');
  t.same({ ...ra, generatedAt: '' }, { ...(await report(b)), generatedAt: '' }, 'same seed, same data');

  const lines = (await readFile(result.recordsFile, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { topic: string; payload: { day: string; partial: boolean } });
  t.equal(lines.length, 61);
  t.ok(lines.every((l) => l.topic === 'cds/v1/DKC-01/event/analytics'));
  t.same(lines.filter((l) => l.payload.partial).map((l) => l.payload.day), ['2026-11-25']);

  const residents = planUsage({ sessions: 1800, days: 60, seed: 42, startDay: '2026-09-26' }).map((v) => v.resident);
  const text = await allText(a);
  t.same(residents.filter((r) => text.includes(r.cccd) || text.includes(r.fullName)), [], 'no CCCD number or name on disk');
  t.notMatch(text, /\d{9,}/);

  const other = await temp(t);
  await simulateUsage({ sessions: 1800, days: 60, seed: 43, dataDir: other, startDay: '2026-09-26' }, io().io);
  t.notSame((await report(other)).heatmap, ra.heatmap, 'another seed, other data');
});

t.test('the command line checks its arguments', async (t) => {
  for (const argv of [['--sessions', '0'], ['--days', 'x'], ['--start', '2026-02-30'], ['--seed', '1.5'], ['--nope']]) {
    const { out, io: x } = io();
    t.equal(await simulateUsageCommand(argv, x), 2, argv.join(' '));
    t.match(out.stderr, /Usage: npm run simulate-usage/);
  }
  const dir = await temp(t);
  const { out, io: x } = io();
  t.equal(await simulateUsageCommand(['--sessions', '50', '--days', '3', '--seed', '9', '--data', dir, '--start', '2026-11-01'], x), 0);
  t.match(out.stdout, /50 sessions from 2026-11-01 to 2026-11-03/);
  t.equal((await report(dir)).totals.sessions, 50);
});
