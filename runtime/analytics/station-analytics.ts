/**
 * Usage analytics on the station: anonymous session events are counted into one aggregate per local
 * day (Asia/Ho_Chi_Minh), kept durably under `{dataDir}/analytics/`, and sent to central once a day as
 * an `analytics` record (and on command). Only counts and sums are kept (runtime/analytics/report/aggregate.ts);
 * the event itself, with its random session id, is dropped once counted.
 *
 * Files: `analytics/days/YYYY-MM-DD.json` (one day aggregate each, with a `.bak` last good copy) and
 * `analytics/state.json` (the last day sent to central). `station report --data DIR` reads the same
 * folder.
 */
import { mkdir, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock, TimerHandle } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';
import type { RecordSink, RecordedEvent } from '../flows/ports.js';
import type { SessionAnalyticsEvent, SessionAnalyticsSink } from './events.js';
import { DurableJsonFile } from '../platform/document-store.js';
import type { DocumentValidator } from '../platform/document-store.js';
import { StationError } from '../kernel/errors.js';
import {
  addDays, addSession, dayAggregateProblem, emptyDay, isDay, localDay, localMidnight, sessionEventProblem,
} from './report/aggregate.js';
import type { DayAggregate } from './report/aggregate.js';
import { buildReport } from './report/model.js';
import type { DurationSummary, RatingSummary, Totals } from './report/model.js';

export interface StationAnalyticsOptions {
  clock: Clock;
  logger: Logger;
  /** Where `analytics` records go (the journal/outbox). */
  records: RecordSink;
  /** The station's data directory; aggregates live in `{dataDir}/analytics/`. */
  dataDir: string;
  /** Copied into each record so files of many stations stay attributable; the topic also names it. */
  stationId: string;
  /** Where the station stands (its configured name), copied into each record so the city's report names sites, not ids. */
  stationName?: string;
  /** Minutes after local midnight when the previous day is sent; default 10. */
  sendAtMinute?: number;
  /** Delay before retrying a send the journal refused; default 3 600 000 ms. */
  retryMs?: number;
  /** Days kept on the station after they were sent; default 400. */
  retentionDays?: number;
}

/** The `analytics` section of the station config (config/schema.json). */
export interface AnalyticsConfig {
  sendAtMinute?: number;
  retryS?: number;
  retentionDays?: number;
}

/** The options the `analytics` config section sets; the composition root adds clock, logger, records, dataDir and stationId. */
export function analyticsTuning(config: AnalyticsConfig | undefined): Pick<StationAnalyticsOptions, 'sendAtMinute' | 'retryMs' | 'retentionDays'> {
  return {
    ...(config?.sendAtMinute !== undefined ? { sendAtMinute: config.sendAtMinute } : {}),
    ...(config?.retryS !== undefined ? { retryMs: config.retryS * 1000 } : {}),
    ...(config?.retentionDays !== undefined ? { retentionDays: config.retentionDays } : {}),
  };
}

/** The payload of an `event/analytics` record: one day aggregate plus who sent it and when. */
export interface AnalyticsRecord extends DayAggregate {
  stationId: string;
  /** The station's configured name (`station.name`), when it has one. */
  stationName?: string;
  /**
   * True when sent on command before the day ended. A later full record of the same day replaces
   * it; so does a later full one (a session that began before midnight and ended after the send).
   */
  partial: boolean;
  /** ISO time the record was made. */
  generatedAt: string;
}

export type SummaryRange = 'today' | 'week';

/** What the technician UI shows: today's or the last seven days' figures. */
export interface AnalyticsSummary {
  range: SummaryRange;
  from: string;
  to: string;
  totals: Totals;
  /** Sessions by local hour 0..23 over the range. */
  hours: number[];
  services: (Totals & { service: string; label: string; completionPct: number; duration: DurationSummary; ratings: RatingSummary | null })[];
  deviceFailures: { step: string; count: number }[];
  /** Last day sent to central, or null. */
  lastSentDay: string | null;
}

interface AnalyticsState {
  lastSentDay: string | null;
  /** Names the station in `station report` run on a copy of the data directory. */
  stationId: string;
}

const validateDay: DocumentValidator<DayAggregate> = (v) => {
  const problem = dayAggregateProblem(v);
  return problem === undefined ? { ok: true, value: v as DayAggregate } : { ok: false, reason: problem };
};

const validateState: DocumentValidator<AnalyticsState> = (v) => {
  const o = v as AnalyticsState | null;
  if (typeof o !== 'object' || o === null) return { ok: false, reason: 'not an object' };
  if (o.lastSentDay !== null && !isDay(o.lastSentDay)) return { ok: false, reason: 'lastSentDay is not YYYY-MM-DD or null' };
  if (typeof o.stationId !== 'string') return { ok: false, reason: 'stationId is not a string' };
  return { ok: true, value: { lastSentDay: o.lastSentDay, stationId: o.stationId } };
};

/** The folder of day aggregates inside a data directory. */
export function analyticsDaysDir(dataDir: string): string {
  return join(dataDir, 'analytics', 'days');
}

/** The station id recorded beside the aggregates, or undefined when the folder has none. */
export async function readAnalyticsStationId(dataDir: string, logger: Logger): Promise<string | undefined> {
  const state = await new DurableJsonFile<AnalyticsState>({ path: join(dataDir, 'analytics', 'state.json'), validate: validateState, logger }).read();
  return state?.stationId;
}

/** Reads every valid day aggregate in `{dataDir}/analytics/days`, falling back to `.bak` copies. */
export async function readDayAggregates(dataDir: string, logger: Logger): Promise<DayAggregate[]> {
  const dir = analyticsDaysDir(dataDir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const days = new Set<string>();
  for (const name of names) {
    const m = /^(\d{4}-\d{2}-\d{2})\.json(\.bak)?$/.exec(name);
    if (m && isDay(m[1])) days.add(m[1]);
  }
  const out: DayAggregate[] = [];
  for (const day of [...days].sort()) {
    const value = await new DurableJsonFile<DayAggregate>({ path: join(dir, `${day}.json`), validate: validateDay, logger }).read();
    if (value && value.day === day) out.push(value);
  }
  return out;
}

/**
 * Counts session events into day aggregates and sends closed days to central. Give it to the
 * session runner as its {@link SessionAnalyticsSink}; register {@link StationAnalytics.summary} as
 * control method `analytics.summary` and {@link StationAnalytics.sendNow} behind the central command.
 */
export class StationAnalytics implements SessionAnalyticsSink {
  readonly name = 'analytics';
  readonly optional = true;
  private readonly log: Logger;
  private readonly days = new Map<string, DayAggregate>();
  private readonly dirty = new Set<string>();
  private state: AnalyticsState;
  private stateFile: DurableJsonFile<AnalyticsState> | undefined;
  private started = false;
  private stopped = false;
  private timer: TimerHandle | undefined;
  /** Events that arrived before start() loaded the days from disk. */
  private early: SessionAnalyticsEvent[] = [];
  private writing: Promise<void> | undefined;
  private sending: Promise<unknown> = Promise.resolve();
  /** Sent days that counted a session afterwards (started before midnight, ended after the send): sent again. */
  private readonly resend = new Set<string>();

  constructor(private readonly options: StationAnalyticsOptions) {
    this.log = options.logger;
    this.state = { lastSentDay: null, stationId: options.stationId };
  }

  private get dir(): string {
    return analyticsDaysDir(this.options.dataDir);
  }

  private dayFile(day: string): DurableJsonFile<DayAggregate> {
    return new DurableJsonFile<DayAggregate>({ path: join(this.dir, `${day}.json`), validate: validateDay, logger: this.log });
  }

  async start(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const day of await readDayAggregates(this.options.dataDir, this.log)) this.days.set(day.day, day);
    this.stateFile = new DurableJsonFile<AnalyticsState>({ path: join(this.options.dataDir, 'analytics', 'state.json'), validate: validateState, logger: this.log });
    const saved = await this.stateFile.read();
    this.state = { lastSentDay: saved?.lastSentDay ?? null, stationId: this.options.stationId };
    if (saved?.stationId !== this.options.stationId) await this.stateFile.write(this.state);
    this.started = true;
    this.stopped = false;
    // A day record exists for every day the station ran, so a day without sessions reads as "no use", not "no data".
    this.dayOf(localDay(this.options.clock.now()));
    for (const event of this.early.splice(0)) this.count(event);
    this.schedulePersist();
    this.log.info({ days: this.days.size, lastSentDay: this.state.lastSentDay }, 'analytics loaded');
    // Days that ended while the station was off go out now; a refusal is logged and retried by send().
    this.queueSend(false).catch(() => undefined);
    this.scheduleDaily();
  }

  /** Waits for pending writes and sends, then stops the daily timer. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** Counts one ended session; never throws (the session runner must not fail on analytics). */
  sessionEnded(event: SessionAnalyticsEvent): void {
    try {
      if (!this.started) {
        if (this.early.length < 10_000) this.early.push(event);
        return;
      }
      this.count(event);
      this.schedulePersist();
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'session event not counted');
    }
  }

  /** Resolves once every counted session is on disk and the sends under way have finished. */
  async flush(): Promise<void> {
    await this.sending.catch(() => undefined);
    while (this.writing) await this.writing;
  }

  /** The day aggregates in memory, oldest first (copies). */
  dayAggregates(): DayAggregate[] {
    return [...this.days.values()].sort((a, b) => a.day.localeCompare(b.day)).map((d) => structuredClone(d));
  }

  private dayOf(day: string): DayAggregate {
    let d = this.days.get(day);
    if (!d) {
      this.days.set(day, (d = emptyDay(day)));
      this.dirty.add(day);
    }
    return d;
  }

  private count(event: SessionAnalyticsEvent): void {
    const problem = sessionEventProblem(event);
    if (problem) {
      this.log.warn({ service: typeof event?.service === 'string' ? event.service : undefined, problem }, 'session event not counted');
      return;
    }
    const day = localDay(event.startedAt);
    addSession(this.dayOf(day), event);
    this.dirty.add(day);
    if (this.state.lastSentDay !== null && day <= this.state.lastSentDay) this.resend.add(day);
  }

  /** Writes dirty days one after another; sessions ending during a write are picked up by the next pass. */
  private schedulePersist(): void {
    if (this.writing || this.dirty.size === 0) return;
    this.writing = (async () => {
      try {
        while (this.dirty.size > 0) {
          const day = [...this.dirty][0]!;
          this.dirty.delete(day);
          const value = this.days.get(day);
          if (!value) continue;
          try {
            await this.dayFile(day).write(value);
          } catch (err) {
            this.log.error({ day, err: (err as Error).message }, 'analytics day not saved; retrying with the next session');
            this.dirty.add(day);
            break;
          }
        }
      } finally {
        this.writing = undefined;
      }
    })();
  }

  private scheduleDaily(delayMs?: number): void {
    if (this.stopped) return;
    this.options.clock.clearTimeout(this.timer);
    const now = this.options.clock.now();
    const sendAt = (this.options.sendAtMinute ?? 10) * 60_000;
    let at = localMidnight(localDay(now)) + sendAt;
    if (at <= now) at = localMidnight(addDays(localDay(now), 1)) + sendAt;
    const wait = delayMs === undefined ? at - now : Math.min(delayMs, at - now);
    this.timer = this.options.clock.setTimeout(() => this.onTimer(), wait);
  }

  private onTimer(): void {
    this.timer = undefined;
    if (this.stopped) return;
    this.dayOf(localDay(this.options.clock.now()));
    this.schedulePersist();
    this.scheduleDaily();
    this.queueSend(false).catch(() => undefined);
  }

  /**
   * Sends every ended day not yet sent and, when `includeToday`, today's figures so far as a partial
   * record. Sends run one at a time, so the timer and a command never send a day twice.
   */
  private queueSend(includeToday: boolean): Promise<{ day: string; eventId: string; partial: boolean }[]> {
    const run = this.sending.catch(() => undefined).then(() => this.send(includeToday));
    this.sending = run;
    return run;
  }

  private async send(includeToday: boolean): Promise<{ day: string; eventId: string; partial: boolean }[]> {
    const today = localDay(this.options.clock.now());
    const due = [...this.days.keys()]
      .filter((d) => d < today && (this.state.lastSentDay === null || d > this.state.lastSentDay || this.resend.has(d)))
      .sort();
    const sent: { day: string; eventId: string; partial: boolean }[] = [];
    const before = this.state.lastSentDay;
    // The state is written once per send, not per day: after a crash in between, central gets some
    // days twice (same content, it keeps one) rather than never.
    const saveProgress = async () => {
      if (this.state.lastSentDay !== before) await this.stateFile?.write(this.state);
    };
    try {
      for (const day of due) {
        const recorded = await this.recordDay(day, false);
        this.resend.delete(day);
        if (this.state.lastSentDay === null || day > this.state.lastSentDay) this.state = { ...this.state, lastSentDay: day };
        sent.push({ day, eventId: recorded.eventId, partial: false });
      }
      if (includeToday) {
        const recorded = await this.recordDay(today, true);
        sent.push({ day: today, eventId: recorded.eventId, partial: true });
      }
    } catch (err) {
      this.log.warn({ err: (err as Error).message, sent: sent.length }, 'analytics not sent; retrying later');
      await saveProgress().catch(() => undefined);
      this.scheduleDaily(this.options.retryMs ?? 3_600_000);
      throw err;
    }
    await saveProgress();
    if (sent.length > 0) this.log.info({ days: sent.map((s) => s.day) }, 'analytics sent');
    await this.prune(today);
    return sent;
  }

  private recordDay(day: string, partial: boolean): Promise<RecordedEvent> {
    const payload: AnalyticsRecord = {
      ...structuredClone(this.dayOf(day)),
      stationId: this.options.stationId,
      ...(this.options.stationName ? { stationName: this.options.stationName } : {}),
      partial,
      generatedAt: new Date(this.options.clock.now()).toISOString(),
    };
    return this.options.records.record('analytics', payload as unknown as Record<string, unknown>);
  }

  /** Forgets days older than the retention that central already has. */
  private async prune(today: string): Promise<void> {
    const keepFrom = addDays(today, -(this.options.retentionDays ?? 400));
    const old = [...this.days.keys()].filter((day) => day < keepFrom && this.state.lastSentDay !== null && day <= this.state.lastSentDay);
    if (old.length === 0) return;
    for (const day of old) {
      this.days.delete(day);
      this.dirty.delete(day);
    }
    // A write under way could put a file back after it was removed.
    while (this.writing) await this.writing;
    for (const day of old) {
      for (const name of [`${day}.json`, `${day}.json.bak`]) {
        await unlink(join(this.dir, name)).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') this.log.warn({ day, err: err.message }, 'old analytics day not removed');
        });
      }
    }
  }

  /**
   * Sends now what is due and today's partial figures (the central `analytics` command). Rejects
   * with the journal's error (e.g. JOURNAL_FULL) when a record cannot be made durable.
   */
  async sendNow(): Promise<{ day: string; eventId: string; partial: boolean }[]> {
    if (!this.started || this.stopped) throw new StationError('NOT_RUNNING', 'analytics is not running');
    return this.queueSend(true);
  }

  /** Handler of control method `analytics.summary`: `{range: 'today' | 'week'}`, default today. */
  summary(params: unknown): AnalyticsSummary {
    const range = (params as { range?: unknown } | null)?.range ?? 'today';
    if (range !== 'today' && range !== 'week') {
      throw new StationError('CONTROL_BAD_PARAMS', 'range must be "today" or "week"');
    }
    const now = this.options.clock.now();
    // Only the days in range: the status report asks for today on every call.
    const from = addDays(localDay(now), range === 'today' ? 0 : -6);
    const days = [...this.days.values()].filter((d) => d.day >= from);
    return analyticsSummary(days, range, now, this.state.lastSentDay);
  }
}

/** Today's or the last seven days' figures from day aggregates (the technician UI view). */
export function analyticsSummary(days: DayAggregate[], range: SummaryRange, now: number, lastSentDay: string | null = null): AnalyticsSummary {
  const to = localDay(now);
  const from = range === 'today' ? to : addDays(to, -6);
  const report = buildReport([{ site: 'station', days }], { from, to, generatedAt: now });
  const hours = new Array<number>(24).fill(0);
  for (const row of report.heatmap) row.forEach((n, h) => (hours[h] = (hours[h] ?? 0) + n));
  return {
    range, from, to, totals: report.totals, hours,
    services: report.services.map(({ funnel: _funnel, ...s }) => s),
    deviceFailures: report.deviceFailures,
    lastSentDay,
  };
}
