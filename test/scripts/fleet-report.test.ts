import t from 'tap';
import type { Test } from 'tap';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import {
  analyticsFromLine, collectFromBroker, fleetReport, fleetReportCommand, readAnalyticsFiles,
} from '../../scripts/fleet-report.js';
import type { ReceivedAnalytics } from '../../scripts/fleet-report.js';
import { simulateUsage } from '../../scripts/simulate-usage.js';
import { loadFlowLabels } from '../../runtime/analytics/report/flow-labels.js';
import { reportCommand } from '../../runtime/cli/report.js';
import type { ReportModel } from '../../runtime/analytics/report/model.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { startMosquitto } from '../fakes/mosquitto.js';
import { parseXml } from '../fakes/xml-parse.js';

interface Io { stdout: { write(s: string): unknown }; stderr: { write(s: string): unknown } }
const silent: Io = { stdout: { write: () => true }, stderr: { write: () => true } };
const clock = new ManualClock(Date.UTC(2026, 10, 25, 2, 0, 0));

async function temp(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fleet-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function run(fn: (io: Io) => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await fn({ stdout: { write: (s: string) => ((out += s), true) }, stderr: { write: (s: string) => ((err += s), true) } });
  return { code, out, err };
}

const stations = [
  { id: 'DKC-01', sessions: 400, seed: 1 },
  { id: 'BT-02', sessions: 150, seed: 2 },
  { id: 'TD-03', sessions: 250, seed: 3 },
];

/** Three simulated stations, each with its own data directory and its records file. */
async function fleet(t: Test) {
  const out: { id: string; dataDir: string; recordsFile: string; model: ReportModel }[] = [];
  for (const s of stations) {
    const dataDir = await temp(t);
    const r = await simulateUsage({ sessions: s.sessions, days: 20, seed: s.seed, dataDir, startDay: '2026-10-01', stationId: s.id, drive: 'model' }, silent);
    const own = await run((io) => reportCommand(['--data', dataDir, '--format', 'json'], { ...io, clock, flowsDir: 'flows' }));
    out.push({ id: s.id, dataDir, recordsFile: r.recordsFile, model: JSON.parse(own.out) as ReportModel });
  }
  return out;
}

t.test('the fleet report from files equals the sum of the stations and compares them', async (t) => {
  const sites = await fleet(t);
  const r = await run((io) => fleetReportCommand([...sites.map((s) => s.recordsFile), '--format', 'json'], io, clock));
  t.equal(r.code, 0, r.err);
  const model = JSON.parse(r.out) as ReportModel;
  t.same(model.sites.map((s) => s.site), ['BT-02', 'DKC-01', 'TD-03']);
  t.equal(model.totals.sessions, 800);
  for (const s of sites) {
    const row = model.sites.find((x) => x.site === s.id)!;
    t.equal(row.sessions, s.model.totals.sessions, `${s.id} sessions`);
    t.equal(row.completed, s.model.totals.completed);
    t.equal(row.days, 20, 'one record per simulated day');
  }
  const heat = model.heatmap.flat();
  const summed = sites.map((s) => s.model.heatmap.flat()).reduce((a, b) => a.map((n, i) => n + b[i]!));
  t.same(heat, summed, 'heat map adds up across sites');

  const table = await run((io) => fleetReportCommand([...sites.map((s) => s.dataDir), '--from', '2026-10-01', '--to', '2026-10-20'], io, clock));
  t.match(table.out, /SO SÁNH CÁC TRẠM/);
  t.match(table.out, /DKC-01\s+20\s+400/);
  const svg = await run((io) => fleetReportCommand([...sites.map((s) => s.recordsFile), '--format', 'svg'], io, clock));
  const root = parseXml(svg.out);
  t.equal(root.name, 'svg');
  t.match(svg.out, /data-key="site:DKC-01:sessions">400</);
});

t.test('duplicates count once and a full day replaces the partial sent on command', async (t) => {
  const [site] = await fleet(t);
  const file = site!.recordsFile;
  const lines = (await readFile(file, 'utf8')).trim().split('\n');
  const first = JSON.parse(lines[0]!) as { topic: string; payload: Record<string, unknown> };
  const inflated = structuredClone(first);
  inflated.payload.partial = true;
  inflated.payload.generatedAt = '2099-01-01T00:00:00.000Z';
  // A newer partial record of the same day with an extra service: used instead of the full one, it would change the totals.
  const services = inflated.payload.services as Record<string, unknown>;
  services['inflated'] = structuredClone(Object.values(services)[0]);
  t.ok(services['inflated'], 'the first day has sessions to inflate');
  const dup = join(await temp(t), 'capture.jsonl');
  // As central would see it: the outbox envelope, a resend of every record, and an early partial.
  const envelopes = lines.map((l) => {
    const { topic, payload } = JSON.parse(l) as { topic: string; payload: unknown };
    return `${topic} ${JSON.stringify({ eventId: 'x', kind: 'analytics', data: payload })}`;
  });
  await writeFile(dup, [...envelopes, ...lines, JSON.stringify(inflated), 'garbage', ''].join('\n'));
  const r = await run((io) => fleetReportCommand([dup, '--format', 'json'], io, clock));
  const model = JSON.parse(r.out) as ReportModel;
  t.equal(model.totals.sessions, site!.model.totals.sessions);
  t.notOk(model.services.some((x) => x.service === 'inflated'), 'the full record won over the newer partial');
  t.same(model.heatmap, site!.model.heatmap);
  t.match(r.err, /1 messages or lines were not analytics records/);
});

t.test('record shapes: envelope, capture, mosquitto_sub -v line; other kinds are skipped', async (t) => {
  const record = { schema: 1, day: '2026-10-01', weekday: 4, services: {}, stationId: 'X-1', partial: false, generatedAt: 'g' };
  const a = analyticsFromLine(JSON.stringify({ kind: 'analytics', data: record })) as ReceivedAnalytics;
  t.equal(a.stationId, 'X-1');
  const b = analyticsFromLine(`cds/v1/TOPIC-9/event/analytics ${JSON.stringify({ data: record })}`) as ReceivedAnalytics;
  t.equal(b.stationId, 'TOPIC-9', 'the topic names the station');
  t.equal(typeof analyticsFromLine(JSON.stringify({ kind: 'payment', data: record })), 'string');
  t.equal(typeof analyticsFromLine(JSON.stringify({ ...record, schema: 2 })), 'string');
  t.equal(analyticsFromLine('   '), undefined);
  const dir = await temp(t);
  await appendFile(join(dir, 'a.jsonl'), JSON.stringify(record) + '\n');
  await appendFile(join(dir, 'notes.txt'), 'not read\n');
  t.same((await readAnalyticsFiles([dir])).records.length, 1);
});

t.test('usage errors exit 2', async (t) => {
  for (const argv of [[], ['--broker', 'mqtt://127.0.0.1:1', 'file.jsonl'], ['x', '--format', 'pdf'], ['x', '--from', '2026-1-1'], ['--broker', 'mqtt://h', '--duration', '0']]) {
    const r = await run((io) => fleetReportCommand(argv, io, clock));
    t.equal(r.code, 2, argv.join(' '));
    t.match(r.err, /Usage: npm run fleet-report/);
  }
  const missing = await run((io) => fleetReportCommand(['/nonexistent/records.jsonl'], io, clock));
  t.equal(missing.code, 1);
});

t.test('records published by stations are collected from a real broker', async (t) => {
  const broker = await startMosquitto(t);
  const sites = await fleet(t);
  const expected = await run((io) => fleetReportCommand([...sites.map((s) => s.recordsFile), '--format', 'json'], io, clock));
  const messages = (await Promise.all(sites.map((s) => readFile(s.recordsFile, 'utf8'))))
    .flatMap((text) => text.trim().split('\n').map((l) => JSON.parse(l) as { topic: string; payload: unknown }));

  const stop = new AbortController();
  const received: ReceivedAnalytics[] = [];
  let subscribed!: () => void;
  const ready = new Promise<void>((r) => (subscribed = r));
  const collecting = collectFromBroker({
    url: broker.url, durationMs: 60_000, signal: stop.signal, onSubscribed: subscribed,
    onRecord: (r) => {
      received.push(r);
      if (received.length === messages.length) stop.abort();
    },
  });
  await ready;
  const publisher = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
  t.teardown(() => publisher.endAsync());
  for (const m of messages) {
    await publisher.publishAsync(m.topic, JSON.stringify({ eventId: 'e', kind: 'analytics', data: m.payload }), { qos: 1 });
  }
  const collected = await collecting;
  t.equal(collected.records.length, messages.length);
  t.equal(collected.skipped, 0);
  const model = JSON.parse(expected.out) as ReportModel;
  const fromBroker = fleetReport(collected.records, {}, clock.now(), await loadFlowLabels('flows'));
  t.same({ ...fromBroker, generatedAt: '' }, { ...model, generatedAt: '' });
});
