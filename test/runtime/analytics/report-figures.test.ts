// Every figure of the usage report recounted from the raw session events, by the definitions in
// runtime/analytics/report/figures.ts, and compared with what the JSON, the table, the CSV and the
// SVG say: one definition per figure, the same number wherever it is shown.
import t from 'tap';
import { addSession, emptyDay, localDay, localHour, isoWeekday } from '../../../runtime/analytics/report/aggregate.js';
import type { DayAggregate } from '../../../runtime/analytics/report/aggregate.js';
import type { SessionAnalyticsEvent } from '../../../runtime/analytics/events.js';
import { buildReport } from '../../../runtime/analytics/report/model.js';
import { loadFlowLabels, pathOrder } from '../../../runtime/analytics/report/flow-labels.js';
import { loadFlowBundle } from '../../../runtime/flows/bundle.js';
import { renderCsv } from '../../../runtime/analytics/report/render-csv.js';
import { renderSvg } from '../../../runtime/analytics/report/render-svg.js';
import { renderTable } from '../../../runtime/analytics/report/render-table.js';
import { deviceFailureTotalLabel, totalsFigures } from '../../../runtime/analytics/report/figures.js';
import { elements, parseXml, textOf } from '../../fakes/xml-parse.js';
import { pilotEvents } from '../../fakes/simulated-pilot.js';

const base = pilotEvents.find((e) => e.service === 'health-check' && e.outcome === 'completed')!;
const step = (stepId: string, kind: string, outcome?: string) => ({ stepId, kind, enteredAt: base.startedAt, durationMs: 1000, ...(outcome ? { outcome } : {}) });
/** Runs the pilot model does not make: two devices failing in one run, abandoning after a failure, a failed run naming no cause. */
const edgeEvents: SessionAnalyticsEvent[] = [
  { ...base, sessionId: 'edge-1', outcome: 'completed', failureCause: 'device', lastStep: 'result',
    steps: [step('intro', 'info', 'ok'), step('weight', 'measure', 'error'), step('height', 'measure', 'timeout'), step('result', 'result', 'ok')] },
  { ...base, sessionId: 'edge-2', outcome: 'abandoned', failureCause: 'device', lastStep: 'height', feedback: undefined,
    steps: [step('intro', 'info', 'ok'), step('weight', 'measure', 'error'), step('height', 'measure')] },
  { ...base, sessionId: 'edge-3', outcome: 'failed', lastStep: 'spo2', feedback: undefined, steps: [step('intro', 'info', 'ok'), step('spo2', 'measure')] },
];
const events = [...pilotEvents, ...edgeEvents];

function aggregate(list: SessionAnalyticsEvent[]): DayAggregate[] {
  const days = new Map<string, DayAggregate>();
  for (const e of list) {
    const day = localDay(e.startedAt);
    if (!days.has(day)) days.set(day, emptyDay(day));
    addSession(days.get(day)!, e);
  }
  return [...days.values()];
}

/** The figures counted straight from the events, written out again here from the definitions. */
function recount(list: SessionAnalyticsEvent[]) {
  const cause = (e: SessionAnalyticsEvent) => e.failureCause ?? (e.outcome === 'failed' ? 'device' : undefined);
  const failing = (e: SessionAnalyticsEvent) => {
    if (cause(e) === undefined) return [];
    const at = new Set(e.steps.filter((v) => v.outcome === 'error' || (v.outcome === 'timeout' && v.kind === 'measure')).map((v) => v.stepId));
    return at.size > 0 ? [...at] : [e.lastStep];
  };
  const totals = (of: SessionAnalyticsEvent[]) => ({
    sessions: of.length,
    completed: of.filter((e) => e.outcome === 'completed').length,
    abandoned: of.filter((e) => e.outcome === 'abandoned').length,
    failedDevice: of.filter((e) => e.outcome === 'failed' && cause(e) === 'device').length,
    failedCentral: of.filter((e) => e.outcome === 'failed' && cause(e) === 'central').length,
    failedInput: of.filter((e) => e.outcome === 'failed' && cause(e) === 'input').length,
    deviceFailed: of.filter((e) => cause(e) === 'device').length,
    withCccd: of.filter((e) => e.beneficiary).length,
  });
  const services = [...new Set(list.map((e) => e.service))];
  const funnel = new Map<string, { reached: number; abandoned: number; failed: number }>();
  const device = new Map<string, number>();
  const ratings = new Map<string, number>();
  const heat = new Map<string, number>();
  for (const e of list) {
    for (const id of new Set([...e.steps.map((v) => v.stepId), e.lastStep])) {
      const f = funnel.get(`${e.service}|${id}`) ?? { reached: 0, abandoned: 0, failed: 0 };
      f.reached += 1;
      if (e.outcome === 'abandoned' && id === e.lastStep) f.abandoned += 1;
      if (failing(e).includes(id)) f.failed += 1;
      funnel.set(`${e.service}|${id}`, f);
    }
    if (cause(e) === 'device') for (const id of failing(e)) device.set(`${e.service}|${id}`, (device.get(`${e.service}|${id}`) ?? 0) + 1);
    if (e.feedback) for (const key of [`${e.service}|${e.feedback.rating ?? 'none'}`, `*|${e.feedback.rating ?? 'none'}`]) ratings.set(key, (ratings.get(key) ?? 0) + 1);
    const key = `${isoWeekday(localDay(e.startedAt))}|${localHour(e.startedAt)}`;
    heat.set(key, (heat.get(key) ?? 0) + 1);
  }
  return { totals: totals(list), services: new Map(services.map((s) => [s, totals(list.filter((e) => e.service === s))])), funnel, device, ratings, heat };
}

const labels = await loadFlowLabels(new URL('../../../flows', import.meta.url).pathname);
const model = buildReport([{ site: 'dkc-01', name: 'Đảo Kim Cương', days: aggregate(events) }], { generatedAt: Date.UTC(2026, 10, 25), ...(labels ? { labels } : {}) });
const want = recount(events);

t.test('the model holds the figures recounted from the raw events', async (t) => {
  t.same(model.totals, want.totals, 'totals');
  for (const s of model.services) {
    t.same(Object.fromEntries(totalsFigures.map((f) => [f.key, s[f.key]])), want.services.get(s.service), `totals of ${s.service}`);
    for (const f of s.funnel) {
      const w = want.funnel.get(`${s.service}|${f.step}`)!;
      t.same({ reached: f.reached, abandoned: f.abandoned, failed: f.failed }, w, `funnel ${s.service} ${f.step}`);
    }
  }
  t.same(new Map(model.deviceFailures.map((f) => [`${f.service}|${f.step}`, f.count])), want.device, 'device failures by service and step');
  const rated = new Map<string, number>();
  for (const s of [{ service: '*', ratings: model.ratings }, ...model.services]) {
    if (!s.ratings) continue;
    for (const [v, n] of Object.entries(s.ratings.distribution)) if (n > 0) rated.set(`${s.service}|${v}`, n);
    if (s.ratings.unanswered > 0) rated.set(`${s.service}|none`, s.ratings.unanswered);
  }
  t.same(rated, want.ratings, 'ratings');
  model.heatmap.forEach((row, d) => row.forEach((n, h) => t.equal(n, want.heat.get(`${d + 1}|${h}`) ?? 0, `heat map ${d + 1} ${h}`)));
});

t.test('the device failures agree: the summary, the funnels and the per-step table', async (t) => {
  const o = model.totals;
  t.equal(o.completed + o.abandoned + o.failedDevice + o.failedCentral + o.failedInput, o.sessions, 'outcomes add up to the sessions');
  t.ok(o.deviceFailed > o.failedDevice, 'runs that went on after a device failed are counted as meeting one');
  const rows = model.deviceFailures.reduce((n, f) => n + f.count, 0);
  t.ok(rows >= o.deviceFailed && model.deviceFailures.length > 0, `${rows} rows cover the ${o.deviceFailed} runs`);
  for (const f of model.deviceFailures) {
    const step = model.services.find((s) => s.service === f.service)!.funnel.find((x) => x.step === f.step)!;
    t.ok(step.failed >= f.count, `funnel of ${f.service} shows the ${f.count} failures at ${f.step}`);
  }
  const table = renderTable(model).split('\n');
  const total = table.find((l) => l.startsWith(deviceFailureTotalLabel))!;
  t.equal(total.trim().split(/\s{2,}/).pop(), String(o.deviceFailed), 'the table ends with the same total as the summary');
});

t.test('the table, the CSV and the SVG print the recounted figures', async (t) => {
  const table = renderTable(model).split('\n');
  const overview = table[table.findIndex((l) => l.startsWith('TỔNG QUAN')) + 3]!.trim().split(/\s{2,}/);
  t.same(overview.slice(1), totalsFigures.map((f) => String(want.totals[f.key])), 'overview row');
  const csv = new Map(renderCsv(model).replace(/^\uFEFF/, '').trim().split('\r\n').slice(1).map((l) => {
    const cells = l.split(',');
    return [cells.slice(0, 4).join('|'), cells[4]!];
  }));
  for (const f of totalsFigures) {
    t.equal(csv.get(`totals|||${f.csv}`), String(want.totals[f.key]), `csv total ${f.csv}`);
    for (const [service, w] of want.services) t.equal(csv.get(`service|${service}||${f.csv}`), String(w[f.key]), `csv ${service} ${f.csv}`);
  }
  for (const [key, n] of want.device) {
    const [service, stepId] = key.split('|');
    t.equal(csv.get(`device_failure|${service}|${stepId}|count`), String(n), `csv device ${key}`);
  }
  t.equal(csv.get('site||dkc-01|name'), 'Đảo Kim Cương', 'csv site name');
  const keyed = new Map<string, string>();
  for (const el of elements(parseXml(renderSvg(model)))) if (el.attrs['data-key']) keyed.set(el.attrs['data-key'], textOf(el));
  for (const f of totalsFigures) t.equal(keyed.get(`totals:${f.key}`), String(want.totals[f.key]), `svg total ${f.key}`);
  for (const [key, n] of want.device) t.equal(keyed.get(`device:${key.replace('|', ':')}`), String(n), `svg device ${key}`);
  t.equal(keyed.get('device:total'), String(want.totals.deviceFailed), 'svg device total');
  for (const [key, w] of want.funnel) {
    const [service, stepId] = key.split('|');
    t.equal(keyed.get(`funnel:${service}:${stepId}:failed`), String(w.failed), `svg funnel failed ${key}`);
  }
});

t.test('simulated residents give every rating, and the report shows it', async (t) => {
  const r = model.ratings!;
  for (const v of ['1', '2', '3', '4', '5'] as const) t.ok(r.distribution[v] > 0, `${r.distribution[v]} answers of ${v}`);
  t.ok(r.unanswered > r.answered, 'most residents leave the question unanswered');
});

t.test('funnels follow the flow path, not the mean position', async (t) => {
  const loaded = await loadFlowBundle(new URL('../../../flows', import.meta.url).pathname);
  if (!loaded.ok) throw new Error('flow files do not load');
  const flow = loaded.bundle.flows['health-check']!;
  const path = pathOrder(flow);
  t.same(path.slice(0, 8), ['intro', 'consent', 'weight', 'height', 'spo2', 'blood-pressure', 'temperature', 'result'], 'main path first');
  t.ok(path.indexOf('refused') > path.indexOf('result'), 'the refusal branch after the main path');
  // More residents refuse consent than go on: by mean position the refusal would come before the weight.
  const refusing = Array.from({ length: 30 }, (_, i): SessionAnalyticsEvent => ({
    ...base, sessionId: `r${i}`, outcome: 'completed', lastStep: 'refused', feedback: undefined,
    steps: [step('intro', 'info', 'ok'), step('consent', 'consent', 'refused'), step('refused', 'end')],
  }));
  const measuring = Array.from({ length: 10 }, (_, i): SessionAnalyticsEvent => ({
    ...base, sessionId: `m${i}`, outcome: 'completed', lastStep: 'result', feedback: undefined,
    steps: ['intro', 'consent', 'weight', 'height', 'result'].map((id) => step(id, 'measure', 'ok')),
  }));
  const funnel = buildReport([{ site: 'x', days: aggregate([...refusing, ...measuring]) }], { generatedAt: 0, ...(labels ? { labels } : {}) })
    .services[0]!.funnel.map((f) => f.step);
  t.same(funnel, ['intro', 'consent', 'weight', 'height', 'result', 'refused']);
  const unlabelled = buildReport([{ site: 'x', days: aggregate([...refusing, ...measuring]) }], { generatedAt: 0 }).services[0]!.funnel.map((f) => f.step);
  t.equal(unlabelled[0], 'intro', 'without flow files the mean position still orders them');
});
