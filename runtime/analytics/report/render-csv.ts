/**
 * The report as one tidy CSV (RFC 4180) for spreadsheets: `section,service,row,column,value`, one
 * number per line, ids rather than labels so formulas keep working when a label changes. Starts with
 * a UTF-8 byte order mark so Excel, which ward offices use, does not read the text as a legacy code page.
 */
import type { RatingSummary, ReportModel, Totals } from './model.js';
import { ratingValues } from './model.js';
import { totalsFigures } from './figures.js';

function cell(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const totalsColumns: [keyof Totals, string][] = totalsFigures.map((f) => [f.key, f.csv]);

/**
 * Rating columns; every value is empty when no day recorded ratings, so a spreadsheet tells "no
 * ratings recorded" from 0 answers. `rating_mean` is empty without answers and uses a dot, as a number.
 */
function ratingColumns(r: RatingSummary | null): [string, number | null][] {
  return [
    ['ratings_answered', r?.answered ?? null],
    ...ratingValues.map((v): [string, number | null] => [`ratings_${v}`, r?.distribution[v] ?? null]),
    ['rating_mean', r?.mean ?? null],
    ['ratings_unanswered', r?.unanswered ?? null],
    ['rating_days_without_data', r?.daysWithoutRatings ?? null],
    ['rating_sessions_without_data', r?.sessionsWithoutRatings ?? null],
  ];
}

export function renderCsv(model: ReportModel): string {
  const lines: string[] = ['section,service,row,column,value'];
  const add = (section: string, service: string, row: string | number, column: string, value: string | number | null) =>
    lines.push([section, service, String(row), column, value].map(cell).join(','));
  add('range', '', '', 'from', model.from);
  add('range', '', '', 'to', model.to);
  add('range', '', '', 'days', model.days);
  for (const [key, column] of totalsColumns) add('totals', '', '', column, model.totals[key]);
  for (const [column, value] of ratingColumns(model.ratings)) add('totals', '', '', column, value);
  for (const s of model.services) {
    for (const [key, column] of totalsColumns) add('service', s.service, '', column, s[key]);
    add('service', s.service, '', 'completion_pct', s.completionPct);
    for (const [key, column] of [['meanS', 'duration_mean_s'], ['p50S', 'duration_p50_s'], ['p90S', 'duration_p90_s'], ['minS', 'duration_min_s'], ['maxS', 'duration_max_s']] as const) {
      add('service', s.service, '', column, s.duration[key]);
    }
    for (const [column, value] of ratingColumns(s.ratings)) add('service', s.service, '', column, value);
  }
  // Rows are ISO weekdays (1 = Monday) and columns local hours.
  model.heatmap.forEach((row, d) => row.forEach((n, h) => add('heatmap', '', d + 1, String(h), n)));
  for (const s of model.services) {
    for (const f of s.funnel) {
      add('funnel', s.service, f.step, 'reached', f.reached);
      add('funnel', s.service, f.step, 'abandoned', f.abandoned);
      add('funnel', s.service, f.step, 'failed', f.failed);
      add('funnel', s.service, f.step, 'mean_s', f.meanS);
    }
  }
  for (const b of model.ageBands) {
    for (const sex of model.sexes) add('age_band', '', b.band, sex, b.sexes[sex] ?? 0);
    add('age_band', '', b.band, 'total', b.total);
    for (const [service, n] of Object.entries(b.services).sort()) add('age_band', service, b.band, 'sessions', n);
  }
  for (const f of model.deviceFailures) add('device_failure', f.service, f.step, 'count', f.count);
  for (const s of model.sites) {
    add('site', '', s.site, 'name', s.name);
    add('site', '', s.site, 'days', s.days);
    for (const [key, column] of totalsColumns) add('site', '', s.site, column, s[key]);
    add('site', '', s.site, 'completion_pct', s.completionPct);
    add('site', '', s.site, 'top_service', s.topService);
    add('site', '', s.site, 'peak_hour', s.peakHour);
  }
  return '\uFEFF' + lines.join('\r\n') + '\r\n';
}
