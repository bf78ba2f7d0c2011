/**
 * The day aggregate: what one station knows about one local day of use. It is the unit that is
 * persisted under `{dataDir}/analytics/days/`, sent to central as an `event/analytics` record, read
 * back by `station report` and merged across stations by scripts/fleet-report. Everything in it is a
 * count or a sum, so days and stations merge by addition and nothing identifies a resident: no session
 * id, no CCCD number, no name, only age band and sex of a scanned CCCD.
 */
import type { FailureCause, SessionAnalyticsEvent, SessionOutcome } from '../events.js';

/** Vietnam keeps UTC+07:00 all year (no daylight saving), so a fixed offset is exact. */
export const stationUtcOffsetMs = 7 * 3_600_000;
export const stationTimeZone = 'Asia/Ho_Chi_Minh';

export const dayAggregateSchema = 1;

/** Upper edges in seconds of the session duration histogram; the last bucket is open-ended. */
export const durationBucketEdgesS = [30, 60, 120, 180, 300, 600, 900, 1800] as const;

export type Outcome = SessionOutcome;
export type { FailureCause };

export interface DurationStat {
  count: number;
  sumMs: number;
  /** Null while count is 0 (JSON has no Infinity). */
  minMs: number | null;
  maxMs: number | null;
  /** Counts per bucket of {@link durationBucketEdgesS}, plus one open-ended bucket. */
  histogram: number[];
}

export interface StepStat {
  /** Sessions that showed this step at least once. */
  reached: number;
  /** Sessions abandoned while this step was the last one shown. */
  abandoned: number;
  /**
   * Sessions in which this step failed (see {@link failingSteps}): the run failed on it, or a device
   * failed on it and the run went on. Days counted before Dec 2026 hold only the first kind.
   */
  failed: number;
  /** Time spent on the step, summed over all visits. */
  durationMs: number;
  /** Sum over sessions of the step's first position in the session (0-based); orders the funnel. */
  positionSum: number;
}

export interface ServiceDay {
  sessions: number;
  completed: number;
  abandoned: number;
  failed: Record<FailureCause, number>;
  /**
   * Sessions in which a measuring device failed, whether the run ended there or went on (a health
   * check skips a broken device). Absent in days counted before it was kept.
   */
  deviceFailed?: number;
  /** Sessions started per local hour 0..23. */
  hours: number[];
  durations: Record<Outcome, DurationStat>;
  steps: Record<string, StepStat>;
  /** Sessions with a scanned CCCD, by age band then sex (as the flow engine names them). */
  beneficiaries: Record<string, Record<string, number>>;
  /**
   * Sessions with a device failure by the step it happened on (a measure step names its device,
   * e.g. `blood-pressure`), also those that went on and completed: {@link failingSteps}.
   */
  deviceFailures: Record<string, number>;
  /** Failures by error code (runtime/kernel/errors.ts), e.g. DEVICE_TIMEOUT, RPC_UNAVAILABLE. */
  failureCodes: Record<string, number>;
  /**
   * Answers to the feedback question asked after the service: `1`..`5` by rating, `none` when it was
   * asked and left unanswered. Absent in days counted before ratings were part of the visit.
   */
  ratings?: Record<string, number>;
}

export interface DayAggregate {
  schema: typeof dayAggregateSchema;
  /** Local date in Asia/Ho_Chi_Minh, `YYYY-MM-DD`. */
  day: string;
  /** ISO weekday of `day`: 1 = Monday … 7 = Sunday. */
  weekday: number;
  services: Record<string, ServiceDay>;
}

/** Local calendar date (`YYYY-MM-DD`) of a clock instant at +07:00. */
export function localDay(ms: number): string {
  return new Date(ms + stationUtcOffsetMs).toISOString().slice(0, 10);
}

/** Local hour 0..23 of a clock instant at +07:00. */
export function localHour(ms: number): number {
  return new Date(ms + stationUtcOffsetMs).getUTCHours();
}

/** ISO weekday (1 = Monday … 7 = Sunday) of a `YYYY-MM-DD` date. */
export function isoWeekday(day: string): number {
  const d = new Date(`${day}T00:00:00Z`).getUTCDay();
  return d === 0 ? 7 : d;
}

/** Clock ms of local midnight starting `day`. */
export function localMidnight(day: string): number {
  return Date.parse(`${day}T00:00:00Z`) - stationUtcOffsetMs;
}

/** `day` shifted by `n` calendar days. */
export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

export function isDay(value: unknown): value is string {
  return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`))
    && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value);
}

export function emptyDurationStat(): DurationStat {
  return { count: 0, sumMs: 0, minMs: null, maxMs: null, histogram: new Array<number>(durationBucketEdgesS.length + 1).fill(0) };
}

export function emptyServiceDay(): ServiceDay {
  return {
    sessions: 0,
    completed: 0,
    abandoned: 0,
    failed: { device: 0, central: 0, input: 0 },
    deviceFailed: 0,
    hours: new Array<number>(24).fill(0),
    durations: { completed: emptyDurationStat(), abandoned: emptyDurationStat(), failed: emptyDurationStat() },
    steps: {},
    beneficiaries: {},
    deviceFailures: {},
    failureCodes: {},
    ratings: {},
  };
}

export function emptyDay(day: string): DayAggregate {
  return { schema: dayAggregateSchema, day, weekday: isoWeekday(day), services: {} };
}

function addDuration(stat: DurationStat, ms: number): void {
  stat.count += 1;
  stat.sumMs += ms;
  stat.minMs = stat.minMs === null ? ms : Math.min(stat.minMs, ms);
  stat.maxMs = stat.maxMs === null ? ms : Math.max(stat.maxMs, ms);
  const s = ms / 1000;
  let bucket = durationBucketEdgesS.findIndex((edge) => s < edge);
  if (bucket < 0) bucket = durationBucketEdgesS.length;
  stat.histogram[bucket] = (stat.histogram[bucket] ?? 0) + 1;
}

function step(service: ServiceDay, id: string): StepStat {
  let s = service.steps[id];
  if (!s) service.steps[id] = s = { reached: 0, abandoned: 0, failed: 0, durationMs: 0, positionSum: 0 };
  return s;
}

const outcomes: readonly string[] = ['completed', 'abandoned', 'failed'];
const causes: readonly string[] = ['device', 'central', 'input'];

/**
 * Why an event cannot be counted, or undefined when it can. A malformed event must not reach the
 * aggregate: one NaN would make the day fail validation and stop it from being saved.
 */
export function sessionEventProblem(e: SessionAnalyticsEvent): string | undefined {
  if (typeof e !== 'object' || e === null) return 'not an object';
  if (typeof e.service !== 'string' || e.service === '') return 'service missing';
  if (!Number.isFinite(e.startedAt) || !Number.isFinite(e.endedAt)) return 'startedAt/endedAt not clock ms';
  if (!outcomes.includes(e.outcome)) return `outcome ${String(e.outcome)} unknown`;
  if (e.failureCause !== undefined && !causes.includes(e.failureCause)) return `failureCause ${String(e.failureCause)} unknown`;
  if (typeof e.lastStep !== 'string') return 'lastStep missing';
  if (!Array.isArray(e.steps) || !e.steps.every((v) => typeof v?.stepId === 'string' && Number.isFinite(v.durationMs))) return 'steps malformed';
  if (e.beneficiary !== undefined && (typeof e.beneficiary?.ageBand !== 'string' || typeof e.beneficiary?.sex !== 'string')) return 'beneficiary malformed';
  if (e.feedback !== undefined && (typeof e.feedback !== 'object' || e.feedback === null
    || !(e.feedback.rating === null || (Number.isInteger(e.feedback.rating) && e.feedback.rating >= 1 && e.feedback.rating <= 5)))) return 'feedback malformed';
  return undefined;
}

/** The cause of a run's failure; a failed run that names none is counted as a device failure. */
export function failureCauseOf(event: SessionAnalyticsEvent): FailureCause | undefined {
  return event.failureCause ?? (event.outcome === 'failed' ? 'device' : undefined);
}

/**
 * The steps a run failed on: the one definition behind the funnels' "failed at step" and the device
 * failure table. A flow may go on after a device fails (the health check skips that measurement),
 * so these are the steps left with an error (or a measurement that timed out), not necessarily the
 * last one; a run with a failure and no such step failed on the step it ended on. A run with no
 * failure failed nowhere.
 */
export function failingSteps(event: SessionAnalyticsEvent): Set<string> {
  const failing = new Set<string>();
  if (event.failureCause === undefined && event.outcome !== 'failed') return failing;
  for (const v of event.steps) {
    if (v.outcome === 'error' || (v.outcome === 'timeout' && v.kind === 'measure')) failing.add(v.stepId);
  }
  if (failing.size === 0) failing.add(event.lastStep);
  return failing;
}

/**
 * Adds one ended session to the aggregate of the day it started on (check it with
 * {@link sessionEventProblem} first). Only counts and sums are kept:
 * the caller's event (with its random session id) is not stored.
 */
export function addSession(day: DayAggregate, event: SessionAnalyticsEvent): void {
  let service = day.services[event.service];
  if (!service) day.services[event.service] = service = emptyServiceDay();
  service.sessions += 1;
  service.hours[localHour(event.startedAt)]! += 1;
  if (event.outcome === 'completed') service.completed += 1;
  else if (event.outcome === 'abandoned') service.abandoned += 1;
  else service.failed[failureCauseOf(event)!] += 1;
  const failing = failingSteps(event);
  if (failureCauseOf(event) === 'device') {
    service.deviceFailed = (service.deviceFailed ?? 0) + 1;
    for (const id of failing) service.deviceFailures[id] = (service.deviceFailures[id] ?? 0) + 1;
  }
  if (event.failureCode !== undefined) {
    service.failureCodes[event.failureCode] = (service.failureCodes[event.failureCode] ?? 0) + 1;
  }
  addDuration(service.durations[event.outcome], Math.max(0, event.endedAt - event.startedAt));

  const seen = new Set<string>();
  for (const visit of event.steps) {
    const s = step(service, visit.stepId);
    s.durationMs += Math.max(0, visit.durationMs);
    if (!seen.has(visit.stepId)) {
      seen.add(visit.stepId);
      s.reached += 1;
      s.positionSum += seen.size - 1;
    }
  }
  const last = step(service, event.lastStep);
  if (!seen.has(event.lastStep)) {
    last.reached += 1;
    last.positionSum += seen.size;
  }
  if (event.outcome === 'abandoned') last.abandoned += 1;
  for (const id of failing) step(service, id).failed += 1;

  if (event.beneficiary) {
    const band = (service.beneficiaries[event.beneficiary.ageBand] ??= {});
    band[event.beneficiary.sex] = (band[event.beneficiary.sex] ?? 0) + 1;
  }
  if (event.feedback) {
    const ratings = (service.ratings ??= {});
    const answer = event.feedback.rating === null ? 'none' : String(event.feedback.rating);
    ratings[answer] = (ratings[answer] ?? 0) + 1;
  }
}

function mergeDuration(into: DurationStat, from: DurationStat): void {
  into.count += from.count;
  into.sumMs += from.sumMs;
  if (from.minMs !== null) into.minMs = into.minMs === null ? from.minMs : Math.min(into.minMs, from.minMs);
  if (from.maxMs !== null) into.maxMs = into.maxMs === null ? from.maxMs : Math.max(into.maxMs, from.maxMs);
  from.histogram.forEach((n, i) => (into.histogram[i] = (into.histogram[i] ?? 0) + n));
}

/** Adds `from` into `into` (same service, any day or station). */
export function mergeServiceDay(into: ServiceDay, from: ServiceDay): void {
  into.sessions += from.sessions;
  into.completed += from.completed;
  into.abandoned += from.abandoned;
  for (const cause of ['device', 'central', 'input'] as const) into.failed[cause] += from.failed[cause];
  if (from.deviceFailed !== undefined) into.deviceFailed = (into.deviceFailed ?? 0) + from.deviceFailed;
  from.hours.forEach((n, h) => (into.hours[h] = (into.hours[h] ?? 0) + n));
  for (const outcome of ['completed', 'abandoned', 'failed'] as const) mergeDuration(into.durations[outcome], from.durations[outcome]);
  for (const [id, s] of Object.entries(from.steps)) {
    const t = step(into, id);
    t.reached += s.reached;
    t.abandoned += s.abandoned;
    t.failed += s.failed;
    t.durationMs += s.durationMs;
    t.positionSum += s.positionSum;
  }
  for (const [band, bySex] of Object.entries(from.beneficiaries)) {
    const t = (into.beneficiaries[band] ??= {});
    for (const [sex, n] of Object.entries(bySex)) t[sex] = (t[sex] ?? 0) + n;
  }
  for (const [device, n] of Object.entries(from.deviceFailures)) into.deviceFailures[device] = (into.deviceFailures[device] ?? 0) + n;
  for (const [code, n] of Object.entries(from.failureCodes)) into.failureCodes[code] = (into.failureCodes[code] ?? 0) + n;
  if (from.ratings) {
    const ratings = (into.ratings ??= {});
    for (const [answer, n] of Object.entries(from.ratings)) ratings[answer] = (ratings[answer] ?? 0) + n;
  }
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

function isCountRecord(v: unknown): v is Record<string, number> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every(isCount);
}

function isDurationStat(v: unknown): v is DurationStat {
  if (typeof v !== 'object' || v === null) return false;
  const d = v as DurationStat;
  return isCount(d.count) && typeof d.sumMs === 'number' && (d.minMs === null || typeof d.minMs === 'number')
    && (d.maxMs === null || typeof d.maxMs === 'number') && Array.isArray(d.histogram)
    && d.histogram.length === durationBucketEdgesS.length + 1 && d.histogram.every(isCount);
}

function isServiceDay(v: unknown): v is ServiceDay {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as ServiceDay;
  return isCount(s.sessions) && isCount(s.completed) && isCount(s.abandoned) && isCountRecord(s.failed)
    && ['device', 'central', 'input'].every((k) => k in s.failed) && (s.deviceFailed === undefined || isCount(s.deviceFailed))
    && Array.isArray(s.hours) && s.hours.length === 24 && s.hours.every(isCount)
    && typeof s.durations === 'object' && s.durations !== null
    && isDurationStat(s.durations.completed) && isDurationStat(s.durations.abandoned) && isDurationStat(s.durations.failed)
    && typeof s.steps === 'object' && s.steps !== null
    && Object.values(s.steps).every((st) => typeof st === 'object' && st !== null && isCount(st.reached) && isCount(st.abandoned)
      && isCount(st.failed) && typeof st.durationMs === 'number' && typeof st.positionSum === 'number')
    && typeof s.beneficiaries === 'object' && s.beneficiaries !== null && Object.values(s.beneficiaries).every(isCountRecord)
    && isCountRecord(s.deviceFailures) && isCountRecord(s.failureCodes)
    && (s.ratings === undefined || isCountRecord(s.ratings));
}

/** Checks a day aggregate read from disk or from central's records; returns a reason when it is not one. */
export function dayAggregateProblem(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null) return 'not an object';
  const d = v as DayAggregate;
  if (d.schema !== dayAggregateSchema) return `schema ${String(d.schema)} is not ${dayAggregateSchema}`;
  if (!isDay(d.day)) return 'day is not YYYY-MM-DD';
  if (typeof d.services !== 'object' || d.services === null) return 'services missing';
  for (const [name, s] of Object.entries(d.services)) if (!isServiceDay(s)) return `service ${name} is malformed`;
  return undefined;
}
