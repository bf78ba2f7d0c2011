import t from 'tap';
import type { Test } from 'tap';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../../runtime/kernel/logger.js';
import { StationAnalytics } from '../../../runtime/analytics/station-analytics.js';
import { reportCommand } from '../../../runtime/cli/report.js';
import { buildReport, serviceLabel } from '../../../runtime/analytics/report/model.js';
import { addSession, emptyDay, localMidnight } from '../../../runtime/analytics/report/aggregate.js';
import type { DayAggregate } from '../../../runtime/analytics/report/aggregate.js';
import type { SessionAnalyticsEvent } from '../../../runtime/analytics/events.js';
import { loadFlowLabels } from '../../../runtime/analytics/report/flow-labels.js';
import type { ReportModel } from '../../../runtime/analytics/report/model.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { elements, parseXml, textOf } from '../../fakes/xml-parse.js';
import { aggregateDays, identifyingStrings, pilotEvents, pilotSessionIds } from '../../fakes/simulated-pilot.js';

const afterPilot = Date.UTC(2026, 10, 25, 2, 0, 0);
const quiet = createLogger({ level: 'silent', destination: new Writable({ write(_c, _e, cb) { cb(); } }) });

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await reportCommand(argv, {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    clock: new ManualClock(afterPilot),
    flowsDir: 'flows',
  });
  return { code, out, err };
}

const dataDir = await mkdtemp(join(tmpdir(), 'report-'));
t.teardown(() => rm(dataDir, { recursive: true, force: true }));
{
  const analytics = new StationAnalytics({
    clock: new ManualClock(afterPilot), logger: quiet, dataDir, stationId: 'DKC-01',
    records: { record: async () => ({ eventId: 'x', recordedAt: 0 }) },
  });
  await analytics.start();
  for (const e of pilotEvents) analytics.sessionEnded(e);
  await analytics.stop();
}

/** Cells of a table section: the lines after `title`, its header and rule, split on the two-space gutter. */
function section(table: string, title: string): string[][] {
  const lines = table.split('\n');
  const at = lines.findIndex((l) => l.startsWith(title));
  if (at < 0) throw new Error(`no section ${title}`);
  const rows: string[][] = [];
  for (const line of lines.slice(at + 1)) {
    if (line.trim() === '') break;
    rows.push(line.trim().split(/\s{2,}/));
  }
  return rows;
}

t.test('the table, JSON and CSV report the pilot as counted from the events', async (t) => {
  const table = await run(['--data', dataDir]);
  t.equal(table.code, 0, table.err);
  const json = await run(['--data', dataDir, '--format', 'json']);
  const model = JSON.parse(json.out) as ReportModel;
  t.equal(model.totals.sessions, 1800);
  t.equal(model.totals.completed, pilotEvents.filter((e) => e.outcome === 'completed').length);
  t.equal(model.totals.withCccd, pilotEvents.filter((e) => e.beneficiary).length);
  t.equal(model.sites[0]!.site, 'DKC-01');
  // The station also keeps an (empty) record of the day it ran the report on.
  const days = [...aggregateDays(pilotEvents), emptyDay('2026-11-25')];
  const labels = await loadFlowLabels('flows');
  t.ok(labels, 'the flow files give the step names');
  t.same(model, buildReport([{ site: 'DKC-01', days }], { generatedAt: afterPilot, ...(labels ? { labels } : {}) }), 'disk round trip');
  t.equal(labels?.step?.('health-check', 'blood-pressure'), 'Đo huyết áp');
  t.equal(model.days, 61);

  const overview = section(table.out, 'TỔNG QUAN');
  t.same(overview[2], ['Tất cả dịch vụ', ...[model.totals.sessions, model.totals.completed, model.totals.abandoned, model.totals.failedDevice,
    model.totals.failedCentral, model.totals.failedInput, model.totals.withCccd].map(String)]);
  const services = section(table.out, 'THEO DỊCH VỤ').slice(2);
  for (const s of model.services) {
    const row = services.find((r) => r[0] === s.label);
    t.same(row?.slice(1, 7), [s.sessions, s.completed, s.abandoned, s.failedDevice, s.failedCentral, s.failedInput].map(String), s.service);
    t.equal(s.sessions, pilotEvents.filter((e) => e.service === s.service).length);
  }

  const csv = json.out && (await run(['--data', dataDir, '--format', 'csv'])).out;
  t.ok(csv.startsWith('\uFEFFsection,service,row,column,value\r\n'));
  const heat = csv.split('\r\n').filter((l) => l.startsWith('heatmap,')).map((l) => l.split(','));
  t.equal(heat.length, 7 * 24);
  t.equal(heat.reduce((n, r) => n + Number(r[4]), 0), 1800);
  for (const r of heat) t.equal(Number(r[4]), model.heatmap[Number(r[2]) - 1]![Number(r[3])]);
});

t.test('the SVG is well-formed, Vietnamese, and says the same numbers as the table', async (t) => {
  const { code, out: svg } = await run(['--data', dataDir, '--format', 'svg']);
  t.equal(code, 0);
  const table = (await run(['--data', dataDir])).out;
  const root = parseXml(svg);
  t.equal(root.name, 'svg');
  t.equal(root.attrs.xmlns, 'http://www.w3.org/2000/svg');
  t.equal(root.attrs['xml:lang'], 'vi');
  const keyed = new Map<string, string>();
  for (const el of elements(root)) if (el.attrs['data-key']) keyed.set(el.attrs['data-key'], textOf(el));
  const all = textOf(root);
  for (const label of ['Thứ Hai', 'Chủ Nhật', 'Kiểm tra sức khỏe', 'Thanh toán hóa đơn', 'Phễu theo dịch vụ', 'Dịch vụ theo nhóm tuổi', 'Nữ']) {
    t.ok(all.includes(label), label);
  }

  const heat = section(table, 'LƯỢT SỬ DỤNG THEO THỨ VÀ GIỜ').slice(2);
  t.equal(heat.length, 7);
  let compared = 0;
  heat.forEach((row, d) => {
    for (let h = 0; h < 24; h++) {
      t.equal(keyed.get(`heatmap:${d + 1}:${h}`), row[h + 1], `heat map ${d + 1} ${h}`);
      compared++;
    }
    t.equal(keyed.get(`heatmap:${d + 1}:total`), row[25]);
  });
  t.equal(compared, 168);

  const serviceRows = section(table, 'THEO DỊCH VỤ').slice(2);
  const model = JSON.parse((await run(['--data', dataDir, '--format', 'json'])).out) as ReportModel;
  for (const s of model.services) {
    const row = serviceRows.find((r) => r[0] === s.label)!;
    t.equal(keyed.get(`service:${s.service}:sessions`), row[1]);
    t.equal(keyed.get(`service:${s.service}:completionPct`), row[7]);
    t.equal(keyed.get(`service:${s.service}:p50`), row[8]);
    const funnel = section(table, `PHỄU: ${s.label} `).slice(2);
    t.equal(funnel.length, s.funnel.length);
    funnel.forEach((f, i) => {
      const step = s.funnel[i]!;
      t.equal(f[0], step.label, 'the table names the step as the flow file does');
      t.equal(keyed.get(`funnel:${s.service}:${step.step}:reached`), f[1]);
      t.equal(keyed.get(`funnel:${s.service}:${step.step}:abandoned`), f[2]);
      t.equal(keyed.get(`funnel:${s.service}:${step.step}:failed`), f[3]);
    });
  }
  const ages = section(table, 'DỊCH VỤ THEO NHÓM TUỔI');
  const header = ages[0]!;
  for (const row of ages.slice(2)) {
    header.slice(1).forEach((col, i) => {
      const key = col === 'Nam' ? 'male' : col === 'Nữ' ? 'female' : col === 'Tổng' ? 'total'
        : `service:${model.services.find((s) => serviceLabel(s.service) === col)!.service}`;
      t.equal(keyed.get(`age:${row[0]}:${key}`), row[i + 1], `${row[0]} ${col}`);
    });
  }
  t.ok(model.ageBands.length >= 5);
  t.equal(keyed.get('totals:sessions'), '1800');
});

t.test('no report format contains a CCCD number, a name or a session id', async (t) => {
  const forbidden = identifyingStrings();
  const sessionIds = pilotSessionIds();
  t.ok(forbidden.length > 500 && sessionIds.size === 1800);
  for (const format of ['table', 'json', 'csv', 'svg']) {
    const { out } = await run(['--data', dataDir, '--format', format]);
    t.same(forbidden.filter((s) => out.includes(s)), [], format);
    t.same([...out.matchAll(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g)].filter((m) => sessionIds.has(m[0])), [], `${format}: no session id`);
    t.notMatch(out, /\d{9,}/, `${format}: no long digit run`);
  }
});

t.test('--from and --to select local days', async (t) => {
  const { out } = await run(['--data', dataDir, '--format', 'json', '--from', '2026-11-01', '--to', '2026-11-07']);
  const model = JSON.parse(out) as ReportModel;
  const vnDay = (ms: number) => new Date(ms + 7 * 3_600_000).toISOString().slice(0, 10);
  const expected = pilotEvents.filter((e) => vnDay(e.startedAt) >= '2026-11-01' && vnDay(e.startedAt) <= '2026-11-07');
  t.equal(model.totals.sessions, expected.length);
  t.equal(model.from, '2026-11-01');
  t.equal(model.days, 7);
  t.equal(model.services.find((s) => s.service === 'bill-payment')!.sessions, expected.filter((e) => e.service === 'bill-payment').length);
});

/**
 * Three days of known ratings: the 20th was counted before ratings existed (its services have no
 * `ratings`), dossier lookup was used only that day, and bill payment was asked twice and never answered.
 */
async function ratingsDataDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'report-ratings-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const visit = (day: string, service: string, minute: number, more: Partial<SessionAnalyticsEvent> = {}): SessionAnalyticsEvent => {
    const startedAt = localMidnight(day) + (9 * 60 + minute) * 60_000;
    return {
      sessionId: `00000000-0000-4000-8000-${String(minute).padStart(12, '0')}`, service, flowVersion: 1, startedAt, endedAt: startedAt + 120_000,
      outcome: 'completed', lastStep: 'done', steps: [{ stepId: 'done', kind: 'end', enteredAt: startedAt, durationMs: 120_000 }], locale: 'vi', ...more,
    };
  };
  const rated = (rating: number | null) => ({ feedback: { rating } });
  const day = (date: string, visits: [string, Partial<SessionAnalyticsEvent>?][]): DayAggregate => {
    const d = emptyDay(date);
    visits.forEach(([service, more], i) => addSession(d, visit(date, service, i, more)));
    return d;
  };
  const before = day('2026-11-20', [['health-check'], ['health-check'], ['health-check'], ['dossier-lookup'], ['dossier-lookup']]);
  for (const s of Object.values(before.services)) delete s.ratings;
  const days = [
    before,
    day('2026-11-21', [
      ['health-check', rated(5)], ['health-check', rated(5)], ['health-check', rated(4)], ['health-check', rated(2)], ['health-check', rated(null)],
      // Completed but not asked, and abandoned (never asked): neither is an unanswered ask.
      ['health-check'], ['health-check', { outcome: 'abandoned' }],
      ['bill-payment', rated(null)], ['bill-payment', rated(null)],
    ]),
    day('2026-11-22', [
      ['health-check', rated(3)], ['health-check', rated(4)],
      ['telehealth-appointment', rated(4)], ['telehealth-appointment', rated(4)], ['telehealth-appointment', rated(4)], ['telehealth-appointment', rated(5)],
    ]),
  ];
  await mkdir(join(dir, 'analytics', 'days'), { recursive: true });
  for (const d of days) await writeFile(join(dir, 'analytics', 'days', `${d.day}.json`), JSON.stringify(d));
  return dir;
}

t.test('ratings: answers by rating, mean and unanswered per service and in total; days without ratings stay apart', async (t) => {
  const dir = await ratingsDataDir(t);

  const json = await run(['--data', dir, '--format', 'json']);
  t.equal(json.code, 0, json.err);
  const model = JSON.parse(json.out) as ReportModel;
  t.same(model.services.map((s) => s.service), ['health-check', 'telehealth-appointment', 'bill-payment', 'dossier-lookup']);
  const of = (service: string) => model.services.find((s) => s.service === service)!.ratings;
  t.same(of('health-check'), {
    answered: 6, distribution: { 1: 0, 2: 1, 3: 1, 4: 2, 5: 2 }, mean: 3.8, unanswered: 1, daysWithoutRatings: 1, sessionsWithoutRatings: 3,
  }, '23 / 6 = 3.83; the 20th and the visits not asked count nowhere');
  t.same(of('telehealth-appointment'), {
    answered: 4, distribution: { 1: 0, 2: 0, 3: 0, 4: 3, 5: 1 }, mean: 4.3, unanswered: 0, daysWithoutRatings: 0, sessionsWithoutRatings: 0,
  }, '17 / 4 = 4.25 rounds up');
  t.same(of('bill-payment'), {
    answered: 0, distribution: { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 }, mean: null, unanswered: 2, daysWithoutRatings: 0, sessionsWithoutRatings: 0,
  }, 'asked twice, never answered');
  t.equal(of('dossier-lookup'), null, 'used only on a day without ratings: nothing recorded, not 0 answers');
  t.same(model.ratings, {
    answered: 10, distribution: { 1: 0, 2: 1, 3: 1, 4: 5, 5: 3 }, mean: 4, unanswered: 3, daysWithoutRatings: 2, sessionsWithoutRatings: 5,
  });

  const table = await run(['--data', dir]);
  const lines = table.out.split('\n');
  const at = lines.findIndex((l) => l.startsWith('ĐÁNH GIÁ CỦA NGƯỜI DÂN'));
  t.ok(at > 0, 'the table has a ratings section');
  t.equal(lines.slice(at, at + 8).join('\n'), [
    'ĐÁNH GIÁ CỦA NGƯỜI DÂN (câu hỏi 1–5 sau dịch vụ: số lượt trả lời theo điểm, điểm trung bình)',
    'Dịch vụ              Trả lời  1  2  3  4  5  Điểm TB  Không trả lời  Ghi chú',
    '───────────────────  ───────  ─  ─  ─  ─  ─  ───────  ─────────────  ─────────────────────────────────────────────────',
    'Tất cả dịch vụ            10  0  1  1  5  3      4,0              3  không tính 5 lượt của ngày chưa ghi nhận đánh giá',
    'Kiểm tra sức khỏe          6  0  1  1  2  2      3,8              1  không tính 3 lượt của ngày chưa ghi nhận đánh giá',
    'Đặt lịch khám từ xa        4  0  0  0  3  1      4,3              0',
    'Thanh toán hóa đơn         0  0  0  0  0  0        -              2',
    'Tra cứu hồ sơ              -  -  -  -  -  -        -              -  chưa ghi nhận đánh giá',
  ].join('\n'));
  t.equal(lines[at + 8], '', 'the section ends there');
  const ratingRows = section(table.out, 'ĐÁNH GIÁ CỦA NGƯỜI DÂN').slice(2);

  const csv = (await run(['--data', dir, '--format', 'csv'])).out.split('\r\n').map((l) => l.split(','));
  const csvRatings = (section: string, service: string) => Object.fromEntries(csv.filter((r) => r[0] === section && r[1] === service && /^rating/.test(r[3]!)).map((r) => [r[3], r[4]]));
  t.same(csvRatings('totals', ''), {
    ratings_answered: '10', ratings_1: '0', ratings_2: '1', ratings_3: '1', ratings_4: '5', ratings_5: '3', rating_mean: '4',
    ratings_unanswered: '3', rating_days_without_data: '2', rating_sessions_without_data: '5',
  });
  t.same(csvRatings('service', 'health-check'), {
    ratings_answered: '6', ratings_1: '0', ratings_2: '1', ratings_3: '1', ratings_4: '2', ratings_5: '2', rating_mean: '3.8',
    ratings_unanswered: '1', rating_days_without_data: '1', rating_sessions_without_data: '3',
  });
  t.same(csvRatings('service', 'bill-payment'), {
    ratings_answered: '0', ratings_1: '0', ratings_2: '0', ratings_3: '0', ratings_4: '0', ratings_5: '0', rating_mean: '',
    ratings_unanswered: '2', rating_days_without_data: '0', rating_sessions_without_data: '0',
  }, 'no answer: the mean is empty, the counts are 0');
  t.same(csvRatings('service', 'dossier-lookup'), {
    ratings_answered: '', ratings_1: '', ratings_2: '', ratings_3: '', ratings_4: '', ratings_5: '', rating_mean: '',
    ratings_unanswered: '', rating_days_without_data: '', rating_sessions_without_data: '',
  }, 'nothing recorded: every rating column is empty, not 0');

  const svg = (await run(['--data', dir, '--format', 'svg'])).out;
  const root = parseXml(svg);
  const keyed = new Map<string, string>();
  for (const el of elements(root)) if (el.attrs['data-key']) keyed.set(el.attrs['data-key'], textOf(el));
  t.equal(keyed.get('service:health-check:ratingMean'), '3,8');
  t.equal(keyed.get('service:telehealth-appointment:ratingMean'), '4,3');
  t.equal(keyed.get('service:bill-payment:ratingMean'), '-');
  t.equal(keyed.get('totals:ratingMean'), '4,0');
  t.ok(textOf(root).includes('chưa ghi nhận đánh giá'), 'the SVG says when nothing was recorded');
  const rows: [string, string][] = [['Tất cả dịch vụ', 'totals:'], ...model.services.map((s): [string, string] => [s.label, `service:${s.service}:`])];
  t.equal(ratingRows.length, rows.length);
  for (const [label, key] of rows) {
    const row = ratingRows.find((r) => r[0] === label)!;
    t.same([
      keyed.get(`${key}ratingsAnswered`), ...['1', '2', '3', '4', '5'].map((v) => keyed.get(`${key}ratings:${v}`)),
      keyed.get(`${key}ratingMean`), keyed.get(`${key}ratingsUnanswered`),
    ], row.slice(1, 9), `${label}: the SVG says the table's numbers`);
  }
});

t.test('usage errors exit 2 with a message; an empty folder gives an empty report', async (t) => {
  for (const argv of [['--format', 'pdf'], ['--from', '2026-13-01'], ['--from', '2026-11-02', '--to', '2026-11-01'], ['--bogus']]) {
    const r = await run(['--data', dataDir, ...argv]);
    t.equal(r.code, 2, argv.join(' '));
    t.ok(r.err.length > 0);
    t.equal(r.out, '');
  }
  let viaIo = '';
  t.equal(await reportCommand(['--format', 'json'], { stdout: { write: (s: string) => (viaIo += s) }, stderr: { write: () => true }, dataDir, flowsDir: 'flows' }), 0);
  t.equal((JSON.parse(viaIo) as ReportModel).totals.sessions, 1800, 'the data directory the station passes when --data is absent');
  const help = await run(['--help']);
  t.equal(help.code, 0);
  t.match(help.out, /--format table\|json\|csv\|svg/);
  const empty = await mkdtemp(join(tmpdir(), 'report-empty-'));
  t.teardown(() => rm(empty, { recursive: true, force: true }));
  const r = await run(['--data', empty, '--format', 'svg']);
  t.equal(r.code, 0);
  t.match(r.err, /No analytics/);
  t.doesNotThrow(() => parseXml(r.out));
});

t.test('the XML check itself rejects what is not well-formed', async (t) => {
  for (const bad of ['<a><b></a></b>', '<a x="1" x="2"/>', '<a>&nbsp;</a>', '<a>x & y</a>', '<a/><b/>', '<a x=1/>', '<a>', 'text']) {
    t.throws(() => parseXml(bad), bad);
  }
  t.equal(textOf(parseXml('<?xml version="1.0"?><a>Thứ &amp; <b>Hai</b></a>')), 'Thứ & Hai');
});
