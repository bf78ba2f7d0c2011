/**
 * The usage report: day aggregates of one or many stations, merged over a date range into the figures
 * a ward officer or the city reads (demand per service, time slots, funnels, beneficiaries, device
 * failures, residents' ratings). Every renderer (table, JSON, CSV, SVG) draws this one model, so a
 * number is the same wherever it appears.
 */
import { ageBands } from '../events.js';
import {
  durationBucketEdgesS, emptyServiceDay, mergeServiceDay, stationTimeZone,
} from './aggregate.js';
import type { DayAggregate, DurationStat, ServiceDay, StepStat } from './aggregate.js';

export const reportSchema = 1;

/** The days of one station; `site` is its station id, `name` where it stands (the station's configured name). */
export interface SiteDays {
  site: string;
  name?: string;
  days: DayAggregate[];
}

/** Names for ids, e.g. from the flow files (runtime/analytics/report/flow-labels.ts). */
export interface ReportLabels {
  service?: (service: string) => string | undefined;
  step?: (service: string, step: string) => string | undefined;
  /** The steps of a service in the order a resident walks them (the flow file's path from its start). */
  stepOrder?: (service: string) => readonly string[] | undefined;
}

export interface ReportOptions {
  /** First local day included, `YYYY-MM-DD`; default: the first day with data. */
  from?: string;
  /** Last local day included; default: the last day with data. */
  to?: string;
  /** Clock ms the report is made at. */
  generatedAt: number;
  /** Without labels, steps show their ids and services the built-in names. */
  labels?: ReportLabels;
}

export interface Totals {
  sessions: number;
  completed: number;
  abandoned: number;
  failedDevice: number;
  failedCentral: number;
  failedInput: number;
  /** Sessions in which a device failed, ended there or not (./figures.ts). */
  deviceFailed: number;
  /** Sessions where a CCCD was scanned. */
  withCccd: number;
}

export interface DurationSummary {
  count: number;
  /** Seconds, rounded; null when count is 0. */
  meanS: number | null;
  /** Estimated from the histogram (linear within a bucket); null when count is 0. */
  p50S: number | null;
  p90S: number | null;
  minS: number | null;
  maxS: number | null;
}

export interface FunnelStep {
  step: string;
  /** The step's title in the flow file, or its id; unique within the funnel (the id is added to a repeated title). */
  label: string;
  reached: number;
  abandoned: number;
  failed: number;
  /** Mean seconds a reaching session spent on the step, rounded. */
  meanS: number;
}

export interface ServiceSummary extends Totals {
  service: string;
  label: string;
  /** Completed / sessions in whole percent. */
  completionPct: number;
  /** Durations of completed sessions. */
  duration: DurationSummary;
  /**
   * Steps in path order: the flow file's path from its start (the main path, then each branch after
   * it), or, without flow files, the mean position at which sessions first reached the step.
   */
  funnel: FunnelStep[];
  /** Answers to the feedback question; null when no day in the range recorded ratings for the service. */
  ratings: RatingSummary | null;
}

/** The answers a resident can give, as the day aggregates key them. */
export const ratingValues = ['1', '2', '3', '4', '5'] as const;
export type RatingValue = (typeof ratingValues)[number];

/**
 * Answers to the 1..5 question asked after a service, over the days that recorded them. Days counted
 * before ratings were part of the visit hold no answer and no "unanswered": they are only counted in
 * `daysWithoutRatings` and `sessionsWithoutRatings`, so an old day never reads as residents declining.
 */
export interface RatingSummary {
  /** Asked and answered with a rating. */
  answered: number;
  /** Answers per rating. */
  distribution: Record<RatingValue, number>;
  /** Mean of the answers rounded to one decimal; null without answers. */
  mean: number | null;
  /** Asked and left unanswered. */
  unanswered: number;
  /** Days in the range (per service and station) with sessions counted before ratings existed. */
  daysWithoutRatings: number;
  /** Sessions on those days. */
  sessionsWithoutRatings: number;
}

export interface AgeBandRow {
  band: string;
  total: number;
  /** By sex as the CCCD states it: `male`, `female`, `unknown`. */
  sexes: Record<string, number>;
  /** By service id. */
  services: Record<string, number>;
}

export interface SiteSummary extends Totals {
  site: string;
  /** Where the station stands, or its id when no name came with its records. */
  name: string;
  days: number;
  completionPct: number;
  /** The most used service, or null without sessions. */
  topService: string | null;
  /** Local hour (0..23) with the most sessions, or null without sessions. */
  peakHour: number | null;
}

export interface ReportModel {
  schema: typeof reportSchema;
  generatedAt: string;
  timeZone: string;
  /** The range asked for or, when open, the days with data; null when nothing matched. */
  from: string | null;
  to: string | null;
  /** Distinct local days with data in the range (over all sites). */
  days: number;
  sites: SiteSummary[];
  totals: Totals;
  /** Sessions by ISO weekday (row 0 = Monday … 6 = Sunday) and local hour (column 0..23). */
  heatmap: number[][];
  services: ServiceSummary[];
  ageBands: AgeBandRow[];
  sexes: string[];
  /**
   * Sessions with a device failure by service and the step it happened on, most first; a session
   * where two devices failed is in two rows, so the rows add up to at least `totals.deviceFailed`.
   */
  deviceFailures: { service: string; step: string; label: string; count: number }[];
  /** Answers to the feedback question over all services; null when no day in the range recorded ratings. */
  ratings: RatingSummary | null;
}

/** Vietnamese names of the services (flow ids); unknown ids show as themselves. */
export const serviceLabels: Record<string, string> = {
  'health-check': 'Kiểm tra sức khỏe',
  'telehealth-appointment': 'Đặt lịch khám từ xa',
  'dossier-lookup': 'Tra cứu hồ sơ',
  'dossier-submission': 'Nộp hồ sơ',
  'bill-payment': 'Thanh toán hóa đơn',
  'security-report': 'Báo tin an ninh',
  emergency: 'Gọi khẩn cấp',
  'bhyt-registration': 'Đăng ký BHYT',
  'bhxh-lookup': 'Tra cứu BHXH',
  'digital-signature': 'Chữ ký số',
  notices: 'Thông báo, du lịch',
  feedback: 'Góp ý',
};

export const weekdayLabels = ['Thứ Hai', 'Thứ Ba', 'Thứ Tư', 'Thứ Năm', 'Thứ Sáu', 'Thứ Bảy', 'Chủ Nhật'] as const;
export const weekdayShort = ['T2', 'T3', 'T4', 'T5', 'T6', 'T7', 'CN'] as const;
export const sexLabels: Record<string, string> = { male: 'Nam', female: 'Nữ', unknown: 'Không rõ' };

export function serviceLabel(id: string): string {
  return serviceLabels[id] ?? id;
}

function pct(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((part / whole) * 100);
}

/** The `q` quantile in seconds from a bucketed histogram, interpolating linearly inside the bucket. */
function quantileS(stat: DurationStat, q: number): number | null {
  if (stat.count === 0 || stat.minMs === null || stat.maxMs === null) return null;
  const rank = q * stat.count;
  let below = 0;
  for (let i = 0; i < stat.histogram.length; i++) {
    const n = stat.histogram[i] ?? 0;
    if (n > 0 && below + n >= rank) {
      const lo = Math.max(i === 0 ? 0 : durationBucketEdgesS[i - 1]!, stat.minMs / 1000);
      const hi = Math.min(durationBucketEdgesS[i] ?? stat.maxMs / 1000, stat.maxMs / 1000);
      return Math.round(lo + (hi - lo) * ((rank - below) / n));
    }
    below += n;
  }
  return Math.round(stat.maxMs / 1000);
}

function durationSummary(stat: DurationStat): DurationSummary {
  if (stat.count === 0) return { count: 0, meanS: null, p50S: null, p90S: null, minS: null, maxS: null };
  return {
    count: stat.count,
    meanS: Math.round(stat.sumMs / stat.count / 1000),
    p50S: quantileS(stat, 0.5),
    p90S: quantileS(stat, 0.9),
    minS: Math.round((stat.minMs ?? 0) / 1000),
    maxS: Math.round((stat.maxMs ?? 0) / 1000),
  };
}

function totalsOf(s: ServiceDay): Totals {
  let withCccd = 0;
  for (const bySex of Object.values(s.beneficiaries)) for (const n of Object.values(bySex)) withCccd += n;
  return {
    sessions: s.sessions,
    completed: s.completed,
    abandoned: s.abandoned,
    failedDevice: s.failed.device,
    failedCentral: s.failed.central,
    failedInput: s.failed.input,
    deviceFailed: s.deviceFailed ?? 0,
    withCccd,
  };
}

/**
 * Ratings counted over the days that recorded them; `tally` says how many service-days did and did
 * not, since a merged {@link ServiceDay} cannot tell an old day from a day where nobody was asked.
 */
function ratingSummary(ratings: Record<string, number> | undefined, tally: RatingTally): RatingSummary | null {
  if (tally.daysWith === 0) return null;
  const distribution = Object.fromEntries(ratingValues.map((v) => [v, ratings?.[v] ?? 0])) as Record<RatingValue, number>;
  const answered = ratingValues.reduce((n, v) => n + distribution[v], 0);
  const sum = ratingValues.reduce((n, v) => n + Number(v) * distribution[v], 0);
  return {
    answered,
    distribution,
    // Integer numerator, so a mean exactly halfway (e.g. 4.25) rounds up as it reads, not by float error.
    mean: answered === 0 ? null : Math.round((sum * 10) / answered) / 10,
    unanswered: ratings?.none ?? 0,
    daysWithoutRatings: tally.daysWithout,
    sessionsWithoutRatings: tally.sessionsWithout,
  };
}

interface RatingTally {
  daysWith: number;
  daysWithout: number;
  sessionsWithout: number;
}

function tallyRatings(tally: RatingTally, s: ServiceDay): void {
  if (s.ratings === undefined) {
    tally.daysWithout += 1;
    tally.sessionsWithout += s.sessions;
  } else tally.daysWith += 1;
}

function bandOrder(a: string, b: string): number {
  const ia = (ageBands as readonly string[]).indexOf(a);
  const ib = (ageBands as readonly string[]).indexOf(b);
  if (ia >= 0 && ib >= 0) return ia - ib;
  if (ia >= 0 || ib >= 0) return ia >= 0 ? -1 : 1;
  return a.localeCompare(b);
}

/**
 * A service's steps in path order: the order given (the flow's path), then steps it does not name
 * (an older flow version) by mean first position, the more reached first on a tie.
 */
function orderSteps(s: ServiceDay, path: readonly string[] | undefined): { step: string; st: StepStat }[] {
  const rank = new Map((path ?? []).map((id, i) => [id, i]));
  const mean = (st: StepStat) => st.positionSum / Math.max(1, st.reached);
  return Object.entries(s.steps)
    .map(([step, st]) => ({ step, st }))
    .sort((a, b) => (rank.get(a.step) ?? Infinity) - (rank.get(b.step) ?? Infinity) || mean(a.st) - mean(b.st)
      || b.st.reached - a.st.reached || a.step.localeCompare(b.step));
}

/** Gives a title that two steps share the step id in brackets, so no two funnel rows read alike. */
function uniqueLabels(steps: FunnelStep[]): FunnelStep[] {
  const counts = new Map<string, number>();
  for (const f of steps) counts.set(f.label, (counts.get(f.label) ?? 0) + 1);
  return steps.map((f) => ((counts.get(f.label) ?? 0) > 1 && f.label !== f.step ? { ...f, label: `${f.label} (${f.step})` } : f));
}

function inRange(day: string, from: string | undefined, to: string | undefined): boolean {
  return (from === undefined || day >= from) && (to === undefined || day <= to);
}

/**
 * Merges the days of every site inside [from, to] into one report. When a site lists the same day
 * twice (a partial record sent on command, then the full one), the caller keeps one; here each
 * listed day is added once.
 */
export function buildReport(sites: SiteDays[], options: ReportOptions): ReportModel {
  const all = emptyServiceDay();
  const perService = new Map<string, ServiceDay>();
  const ratingTallies = new Map<string, RatingTally>();
  const allRatings: RatingTally = { daysWith: 0, daysWithout: 0, sessionsWithout: 0 };
  const heatmap = Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
  const distinctDays = new Set<string>();
  const siteSummaries: SiteSummary[] = [];

  for (const site of sites) {
    const siteAll = emptyServiceDay();
    const siteServices = new Map<string, number>();
    const siteDays = new Set<string>();
    for (const day of site.days) {
      if (!inRange(day.day, options.from, options.to)) continue;
      distinctDays.add(day.day);
      siteDays.add(day.day);
      for (const [service, s] of Object.entries(day.services)) {
        let into = perService.get(service);
        if (!into) perService.set(service, (into = emptyServiceDay()));
        mergeServiceDay(into, s);
        mergeServiceDay(all, s);
        mergeServiceDay(siteAll, s);
        let tally = ratingTallies.get(service);
        if (!tally) ratingTallies.set(service, (tally = { daysWith: 0, daysWithout: 0, sessionsWithout: 0 }));
        tallyRatings(tally, s);
        tallyRatings(allRatings, s);
        siteServices.set(service, (siteServices.get(service) ?? 0) + s.sessions);
        const row = heatmap[day.weekday - 1]!;
        s.hours.forEach((n, h) => (row[h] = (row[h] ?? 0) + n));
      }
    }
    const t = totalsOf(siteAll);
    let topService: string | null = null;
    for (const [service, n] of siteServices) {
      if (n > 0 && (topService === null || n > siteServices.get(topService)! || (n === siteServices.get(topService) && service < topService))) topService = service;
    }
    const peak = Math.max(...siteAll.hours);
    siteSummaries.push({
      site: site.site, name: site.name ?? site.site, days: siteDays.size, ...t, completionPct: pct(t.completed, t.sessions), topService,
      peakHour: peak > 0 ? siteAll.hours.indexOf(peak) : null,
    });
  }

  const services: ServiceSummary[] = [...perService.entries()]
    .map(([service, s]) => {
      const t = totalsOf(s);
      const funnel = uniqueLabels(orderSteps(s, options.labels?.stepOrder?.(service)).map(({ step, st }) => ({
        step, label: options.labels?.step?.(service, step) ?? step, reached: st.reached, abandoned: st.abandoned, failed: st.failed,
        meanS: st.reached === 0 ? 0 : Math.round(st.durationMs / st.reached / 1000),
      })));
      return {
        service, label: serviceLabels[service] ?? options.labels?.service?.(service) ?? service, ...t, completionPct: pct(t.completed, t.sessions),
        duration: durationSummary(s.durations.completed), funnel, ratings: ratingSummary(s.ratings, ratingTallies.get(service)!),
      };
    })
    .sort((a, b) => b.sessions - a.sessions || a.service.localeCompare(b.service));

  const bands = new Map<string, AgeBandRow>();
  const sexes = new Set<string>();
  for (const [service, s] of perService) {
    for (const [band, bySex] of Object.entries(s.beneficiaries)) {
      let row = bands.get(band);
      if (!row) bands.set(band, (row = { band, total: 0, sexes: {}, services: {} }));
      for (const [sex, n] of Object.entries(bySex)) {
        sexes.add(sex);
        row.total += n;
        row.sexes[sex] = (row.sexes[sex] ?? 0) + n;
        row.services[service] = (row.services[service] ?? 0) + n;
      }
    }
  }

  const sortedDays = [...distinctDays].sort();
  return {
    schema: reportSchema,
    generatedAt: new Date(options.generatedAt).toISOString(),
    timeZone: `${stationTimeZone} (UTC+07:00)`,
    from: options.from ?? sortedDays[0] ?? null,
    to: options.to ?? sortedDays[sortedDays.length - 1] ?? null,
    days: distinctDays.size,
    sites: siteSummaries,
    totals: totalsOf(all),
    heatmap,
    services,
    ageBands: [...bands.values()].sort((a, b) => bandOrder(a.band, b.band)),
    sexes: ['male', 'female', 'unknown'].filter((s) => sexes.has(s)).concat([...sexes].filter((s) => !['male', 'female', 'unknown'].includes(s)).sort()),
    deviceFailures: [...perService.entries()]
      .flatMap(([service, s]) => Object.entries(s.deviceFailures)
        .map(([step, count]) => ({ service, step, label: options.labels?.step?.(service, step) ?? step, count })))
      .sort((a, b) => b.count - a.count || a.service.localeCompare(b.service) || a.step.localeCompare(b.step)),
    ratings: ratingSummary(all.ratings, allRatings),
  };
}
