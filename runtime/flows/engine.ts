/**
 * The flow engine: a pure transition `(definition, snapshot, event, context) → {snapshot, effects}`
 * in the manner of xstate v5. No I/O, no timers, no wall clock: time and randomness arrive in the
 * event context, and everything the outside world must do comes back as effects (show a screen,
 * measure, call central, record, print, pay, start or cancel a timer, emit analytics, wipe). The
 * session (runtime/flows/session.ts) runs the effects with injected services and feeds their results
 * back as events.
 *
 * Privacy rule: everything the resident gives (identity, measurements, inputs) lives only in
 * `snapshot.data` and `snapshot.step.value`; ending a run replaces both with empty values, and
 * {@link persistableSnapshot} leaves both out of what is written to disk.
 */
import { createHash } from 'node:crypto';
import type { InputEvent, Key } from '../kernel/input.js';
import type { Screen, ScreenKind, ScreenOption, ResultRow, Tone } from './screen-model.js';
import type { ErrorShape } from '../kernel/errors.js';
import type { RecordKind, RecordOptions, ReceiptLine, RpcService } from './ports.js';
import type { Measurement, MeasurementKind, MeasureProgress } from '../../drivers/types.js';
import type {
  FlowBundle, FlowDefinition, Locale, MenuOption, Outcome, PrintLine, Step, Text,
} from './types.js';
import type { FailureCause, SessionAnalyticsEvent, SessionOutcome, StepVisit } from '../analytics/events.js';
import { ageBandOf } from '../analytics/events.js';
import { parseCccd, validateCccdNumber } from '../../drivers/cccd.js';
import { maskCccd } from '../kernel/logger.js';
import { charsetOf, maxLengthOf, validateInput } from '../services/validators.js';
import { getPath, renderTemplate, resolveTemplateValue, setPath } from './template.js';
import type { HealthMeasurements, HealthThresholds } from '../services/health-classification.js';
import { defaultHealthThresholds, summariseHealth } from '../services/health-classification.js';
import { healthFhirBundle } from '../services/fhir.js';
import { contentPages } from './content-pages.js';
import { dossierTimelineRows } from '../services/dossier-timeline.js';

/** Engine settings from config (`flows.*`, `health.thresholds`, `station.*`). */
export interface EngineConfig {
  /** Default step timeout when a step has no `timeoutMs`; config `flows.stepTimeoutMs`, default 60 000. */
  stepTimeoutMs: number;
  /** Seconds of visible countdown before an idle session is wiped; config `flows.idleWarningSeconds`, default 20. */
  idleWarningSeconds: number;
  /** How long the built-in failure and abandoned screens stay; config `flows.noticeMs`, default 10 000. */
  noticeMs: number;
  /** Language a session starts in; config `station.locale`, default `vi`. */
  defaultLocale: Locale;
  /** Read-only station facts for templates (`{{station.building}}`) and records. */
  station: { id: string; name: string; building: string; floor: string; address: string; ward: string };
  healthThresholds: HealthThresholds;
}

export const defaultEngineConfig: EngineConfig = {
  stepTimeoutMs: 60_000,
  idleWarningSeconds: 20,
  noticeMs: 10_000,
  defaultLocale: 'vi',
  station: { id: 'station', name: 'Trạm công dân số', building: '', floor: '', address: '', ward: '' },
  healthThresholds: defaultHealthThresholds,
};

export interface EngineDefinition {
  bundle: FlowBundle;
  config: EngineConfig;
}

/** A payment the station asked central to create; kept beyond the session until central settles it. */
export interface PendingPayment {
  paymentId?: string;
  sessionId: string;
  flowId: string;
  amount: number;
  reference: string;
  state: 'CREATED' | 'PENDING' | 'PAID' | 'EXPIRED' | 'FAILED';
  /** Clock ms when the station asked for it. */
  requestedAt: number;
}

export interface PaymentRequest {
  sessionId: string;
  flowId: string;
  amount: number;
  reference: string;
  purpose: string;
  /** How long the QR stays payable. */
  expiresInMs: number;
}

/** The resident's identity as held in the session (never written to disk, never logged). */
export interface SessionIdentity {
  id: string;
  /** Shown instead of the number: `079*******45`. */
  masked: string;
  name?: string;
  birthDate?: string;
  birthYear?: number;
  sex?: 'male' | 'female';
  source: 'scan' | 'typed';
}

export type StepPhase = 'ready' | 'working' | 'failed';

/** What the current step is doing; reset on every step entry. */
export interface StepState {
  phase: StepPhase;
  /** Typed characters (input, identity). Personal: wiped with the session, never persisted. */
  value: string;
  attempts: number;
  /** Catalog key of the last refusal (invalid input, failed reading). */
  error?: string;
  page: number;
  /** The in-flight effect this step waits for. */
  effectId?: string;
  progress?: { label: string; value?: number; unit?: string; fraction?: number };
  consentAnswer?: boolean;
  /** Content pages fixed when the step was entered (items in force on that day). */
  pages?: Text[][];
  qr?: { payload: string; amount?: number; reference?: string; expiresAt?: number };
}

export interface RunState {
  /** The run's id in records and consent receipts. */
  sessionId: string;
  /** The run's id in its analytics event only. */
  analyticsId: string;
  flowId: string;
  flowVersion: number;
  startedAt: number;
  steps: StepVisit[];
  failureCause?: FailureCause;
  failureCode?: string;
  beneficiary?: SessionAnalyticsEvent['beneficiary'];
  /** Set once the run ended (at its end step); its analytics event went out then or is {@link held}. */
  ended?: SessionOutcome;
  /**
   * A completed run's analytics event, held back while its end screen shows because the feedback
   * question that follows belongs to the same visit; emitted with the rating when that question ends,
   * or as it is when the resident leaves before it is asked.
   */
  held?: SessionAnalyticsEvent;
  /** On a feedback run the engine started after a service: that service's held event, which this run completes. */
  parent?: SessionAnalyticsEvent;
}

/** The built-in screens a run ends on when the flow has no branch for a failure or refusal. */
export interface Notice {
  kind: 'failed' | 'abandoned';
  cause?: FailureCause | 'journal' | 'printer';
  code?: string;
}

export interface FlowSnapshot {
  version: 1;
  locale: Locale;
  maintenance: boolean;
  /** Absent at the home screen. */
  run?: RunState;
  stepId?: string;
  step: StepState;
  data: Record<string, unknown>;
  /** Interactive steps to return to with Back. */
  history: string[];
  /** Back is refused once something was submitted or paid. */
  committed: boolean;
  notice?: Notice;
  help: boolean;
  /** Visible countdown before the wipe; clock ms deadline. */
  idleUntil?: number;
  /** The one timer the engine waits on. */
  timerId?: string;
  /** Increments for every effect and timer id. */
  seq: number;
  /** Kept across runs until central settles it. */
  payment?: PendingPayment;
  /** Seconds of countdown shown (idle warning, payment); derived, kept so render stays pure. */
  countdown?: number;
}

export type FlowEffect =
  | { type: 'show'; screen: Screen }
  | { type: 'measure'; effectId: string; kind: MeasurementKind }
  | { type: 'rpc'; effectId: string; service: RpcService; params: Record<string, unknown>; timeoutMs: number }
  | { type: 'record'; effectId: string; kind: RecordKind; payload: Record<string, unknown>; options: RecordOptions }
  | { type: 'print'; effectId: string; lines: ReceiptLine[] }
  | { type: 'pay'; effectId: string; request: PaymentRequest }
  | { type: 'abort'; effectId: string }
  | { type: 'startTimer'; timerId: string; ms: number }
  | { type: 'cancelTimer'; timerId: string }
  | { type: 'analytics'; event: SessionAnalyticsEvent }
  /** The resident's data left the snapshot; the session drops anything it holds for them too. */
  | { type: 'wipe' }
  /** A payment's state changed; the session hands it to the reconciliation hook. */
  | { type: 'payment'; payment: PendingPayment };

export type EffectEvent =
  | { type: 'measured'; effectId: string; measurement: Measurement }
  | { type: 'measure-progress'; effectId: string; progress: MeasureProgress }
  | { type: 'measure-failed'; effectId: string; error: ErrorShape }
  | { type: 'rpc-ok'; effectId: string; data: unknown }
  | { type: 'rpc-failed'; effectId: string; error: ErrorShape }
  /**
   * Central answered that what was asked for does not exist (its error code NOT_FOUND: an unknown
   * customer, dossier or BHXH number). An answer about the resident's input, not a central failure.
   */
  | { type: 'rpc-not-found'; effectId: string }
  | { type: 'recorded'; effectId: string; eventId: string }
  | { type: 'record-failed'; effectId: string; error: ErrorShape }
  | { type: 'printed'; effectId: string }
  | { type: 'print-failed'; effectId: string; error: ErrorShape }
  /** The payment could not be started or recorded (JOURNAL_FULL, central refused). */
  | { type: 'pay-failed'; effectId: string; error: ErrorShape }
  | {
    type: 'payment-state'; effectId: string; state: PendingPayment['state']; paymentId?: string;
    qr?: string; expiresAt?: number; error?: ErrorShape;
  };

export type EngineEvent =
  | InputEvent
  | EffectEvent
  | { type: 'timer'; timerId: string }
  | { type: 'maintenance'; on: boolean }
  /** Central settled a payment kept from an earlier run. */
  | { type: 'payment-settled'; paymentId: string; state: 'PAID' | 'EXPIRED' | 'FAILED' };

/** What the session supplies with every event: the clock and fresh randomness (UUIDs). */
export interface EventContext {
  now: number;
  /** A fresh UUID: the id of a run this event starts (records, consent receipts), FHIR bundle ids. */
  entropy: string;
  /**
   * A second, independent UUID: the analytics id of a run this event starts. Kept apart from the
   * run's id, which travels in personal records, so analytics can never be joined to an identity.
   */
  analyticsId: string;
}

export interface TransitionResult {
  snapshot: FlowSnapshot;
  effects: FlowEffect[];
}

const emptyStep: StepState = { phase: 'ready', value: '', attempts: 0, page: 0 };

export function initialSnapshot(config: EngineConfig): FlowSnapshot {
  return { version: 1, locale: config.defaultLocale, maintenance: false, step: emptyStep, data: {}, history: [], committed: false, help: false, seq: 0 };
}

/** Working steps run an effect on entry; their timeout is a deadline, not an inactivity limit. */
const workingKinds = new Set(['lookup', 'pay', 'submit', 'print']);

/** Mutable scratch for one transition; the input snapshot is never modified. */
class Tx {
  s: FlowSnapshot;
  effects: FlowEffect[] = [];
  constructor(readonly def: EngineDefinition, snapshot: FlowSnapshot, readonly ctx: EventContext) {
    this.s = { ...snapshot };
  }

  get flow(): FlowDefinition | undefined {
    return this.s.run ? this.def.bundle.flows[this.s.run.flowId] : undefined;
  }

  get step(): Step | undefined {
    return this.s.stepId && this.flow ? this.flow.steps[this.s.stepId] : undefined;
  }

  nextId(prefix: string): string {
    this.s.seq += 1;
    return `${prefix}-${this.s.seq}`;
  }

  setTimer(ms: number): void {
    this.clearTimer();
    const id = this.nextId('t');
    this.s.timerId = id;
    this.effects.push({ type: 'startTimer', timerId: id, ms });
  }

  clearTimer(): void {
    if (this.s.timerId) this.effects.push({ type: 'cancelTimer', timerId: this.s.timerId });
    this.s.timerId = undefined;
  }

  abortWork(): void {
    if (this.s.step.effectId) this.effects.push({ type: 'abort', effectId: this.s.step.effectId });
  }

  text(t: Text | undefined, extra?: Record<string, unknown>): string {
    return resolveText(this.def.bundle, this.s.locale, t, extra ? { ...this.s.data, ...extra } : this.s.data);
  }

  stepTimeout(step: Step): number {
    return step.timeoutMs ?? (step.kind === 'end' ? this.def.config.noticeMs : this.def.config.stepTimeoutMs);
  }
}

export function resolveText(bundle: FlowBundle, locale: Locale, t: Text | undefined, data: unknown): string {
  if (t === undefined) return '';
  const raw = typeof t === 'string' ? bundle.catalogs[locale][t] ?? bundle.catalogs.vi[t] ?? t : t[locale];
  return renderTemplate(raw, data);
}

function stationData(config: EngineConfig): Record<string, unknown> {
  return { ...config.station };
}

/** Starts a run of `flowId` with fresh, empty resident data; `parent` is the held event of the service a feedback run follows. */
function startRun(tx: Tx, flowId: string, carry: Record<string, unknown> = {}, parent?: SessionAnalyticsEvent): void {
  const flow = tx.def.bundle.flows[flowId];
  if (!flow) return;
  tx.s.run = {
    sessionId: tx.ctx.entropy, analyticsId: tx.ctx.analyticsId, flowId, flowVersion: flow.version, startedAt: tx.ctx.now, steps: [],
    ...(parent ? { parent } : {}),
  };
  tx.s.data = { station: stationData(tx.def.config), session: { id: tx.ctx.entropy }, ...carry };
  tx.s.history = [];
  tx.s.committed = false;
  tx.s.notice = undefined;
  tx.s.help = false;
  tx.s.idleUntil = undefined;
  enterStep(tx, flow.start);
}

function enterStep(tx: Tx, stepId: string): void {
  const flow = tx.flow;
  const step = flow?.steps[stepId];
  if (!flow || !step || !tx.s.run) return;
  tx.s.stepId = stepId;
  tx.s.step = { ...emptyStep };
  tx.s.help = false;
  tx.s.countdown = undefined;
  tx.s.run = { ...tx.s.run, steps: [...tx.s.run.steps, { stepId, kind: step.kind, enteredAt: tx.ctx.now, durationMs: 0 }] };
  tx.setTimer(tx.stepTimeout(step));
  switch (step.kind) {
    case 'menu': {
      const list = step.optionsFrom ? getPath(tx.s.data, step.optionsFrom.path) : undefined;
      if (step.optionsFrom && (!Array.isArray(list) || list.length === 0)) leave(tx, 'empty');
      break;
    }
    case 'info': {
      const content = step.contentFrom ? tx.def.bundle.contents[step.contentFrom] : undefined;
      if (content) tx.s.step = { ...tx.s.step, pages: contentPages(content, tx.ctx.now) };
      break;
    }
    case 'measure':
      if (step.autoStart) startMeasure(tx, step.measurement);
      break;
    case 'lookup': {
      const effectId = tx.nextId('rpc');
      tx.s.step = { ...tx.s.step, phase: 'working', effectId };
      const params: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(step.params ?? {})) params[k] = resolveTemplateValue(v, tx.s.data);
      tx.effects.push({ type: 'rpc', effectId, service: step.service, params, timeoutMs: tx.stepTimeout(step) });
      break;
    }
    case 'submit': {
      const effectId = tx.nextId('rec');
      tx.s.step = { ...tx.s.step, phase: 'working', effectId };
      tx.effects.push({
        type: 'record', effectId, kind: step.record, payload: submitPayload(tx, step),
        options: { personal: step.personal ?? false, priority: step.priority ?? false },
      });
      break;
    }
    case 'print': {
      const effectId = tx.nextId('prn');
      tx.s.step = { ...tx.s.step, phase: 'working', effectId };
      tx.effects.push({ type: 'print', effectId, lines: printLines(tx, step.lines ?? [], step.linesFrom) });
      break;
    }
    case 'pay': {
      const amount = Number(resolveTemplateValue(step.amount, tx.s.data));
      const reference = String(resolveTemplateValue(step.reference, tx.s.data) ?? '');
      if (!Number.isSafeInteger(amount) || amount <= 0) {
        leave(tx, 'failed', { cause: 'central', code: 'PAYMENT_FAILED' });
        return;
      }
      const effectId = tx.nextId('pay');
      tx.s.step = { ...tx.s.step, phase: 'working', effectId };
      const request: PaymentRequest = {
        sessionId: tx.s.run.sessionId, flowId: flow.id, amount, reference,
        purpose: step.purpose ? String(resolveTemplateValue(step.purpose, tx.s.data) ?? '') : '', expiresInMs: tx.stepTimeout(step),
      };
      tx.s.payment = { sessionId: request.sessionId, flowId: flow.id, amount, reference, state: 'CREATED', requestedAt: tx.ctx.now };
      tx.effects.push({ type: 'pay', effectId, request });
      break;
    }
    case 'end': {
      endRun(tx, step.outcome ?? 'completed');
      break;
    }
    default:
      break;
  }
}

function startMeasure(tx: Tx, kind: MeasurementKind): void {
  const step = tx.step;
  if (!step) return;
  const effectId = tx.nextId('msr');
  tx.s.step = { ...tx.s.step, phase: 'working', effectId, error: undefined, progress: { label: tx.text('measure.measuring') } };
  tx.setTimer(tx.stepTimeout(step));
  tx.effects.push({ type: 'measure', effectId, kind });
}

/**
 * Ends the run once; the resident's data stays until the run's screens are gone. One visit is one
 * analytics event: a feedback run the engine started after a service emits that service's held event
 * with the rating instead of its own, and a completed run that will be followed by the feedback
 * question holds its event until then.
 */
function endRun(tx: Tx, outcome: SessionOutcome): void {
  const run = tx.s.run;
  if (!run || run.ended) return;
  const steps = run.steps.map((v, i, all) => (i === all.length - 1 ? { ...v, durationMs: tx.ctx.now - v.enteredAt } : v));
  if (run.parent) {
    const rating = tx.s.data.rating;
    tx.s.run = { ...run, steps, ended: outcome };
    tx.effects.push({ type: 'analytics', event: { ...run.parent, feedback: { rating: isRating(rating) ? rating : null } } });
    return;
  }
  const event: SessionAnalyticsEvent = {
    sessionId: run.analyticsId, service: run.flowId, flowVersion: run.flowVersion, startedAt: run.startedAt, endedAt: tx.ctx.now,
    outcome, lastStep: tx.s.stepId ?? '', steps, locale: tx.s.locale,
    ...(run.failureCause ? { failureCause: run.failureCause } : {}),
    ...(run.failureCode ? { failureCode: run.failureCode } : {}),
    ...(run.beneficiary ? { beneficiary: run.beneficiary } : {}),
  };
  if (outcome === 'completed' && offersFeedback(tx)) {
    tx.s.run = { ...run, steps, ended: outcome, held: event };
    return;
  }
  tx.s.run = { ...run, steps, ended: outcome };
  tx.effects.push({ type: 'analytics', event });
}

/** The feedback flow saves the answer at `rating` (flows/feedback.yaml). */
function isRating(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 5;
}

/** Whether the feedback question follows the current run when it completes. */
function offersFeedback(tx: Tx): boolean {
  const flow = tx.flow;
  return flow !== undefined && flow.feedback !== false && flow.id !== 'feedback' && tx.def.bundle.flows.feedback !== undefined;
}

/** A held event whose feedback question will not be asked after all (Home or an emergency on the end screen, a restart). */
function releaseHeld(tx: Tx): void {
  const held = tx.s.run?.held;
  if (!held || !tx.s.run) return;
  const { held: _held, ...run } = tx.s.run;
  tx.s.run = run;
  tx.effects.push({ type: 'analytics', event: held });
}

/** Leaves the session entirely: every trace of the resident goes, the home (or maintenance) screen shows. */
function goHome(tx: Tx, outcome: SessionOutcome = 'abandoned'): void {
  tx.abortWork();
  if (tx.s.run && !tx.s.run.ended) endRun(tx, outcome);
  wipe(tx);
}

function wipe(tx: Tx): void {
  tx.clearTimer();
  releaseHeld(tx);
  forgetResident(tx);
  tx.effects.push({ type: 'wipe' });
}

/** Back to the home state: no run, no step, no data, no history, the station's language. */
function forgetResident(tx: Tx): void {
  tx.s.run = undefined;
  tx.s.stepId = undefined;
  tx.s.step = { ...emptyStep };
  tx.s.data = {};
  tx.s.history = [];
  tx.s.committed = false;
  tx.s.notice = undefined;
  tx.s.help = false;
  tx.s.idleUntil = undefined;
  tx.s.countdown = undefined;
  tx.s.locale = tx.def.config.defaultLocale;
}

/** Records why a run failed (first cause wins) for analytics. */
function noteFailure(tx: Tx, cause: FailureCause, code?: string): void {
  if (!tx.s.run || tx.s.run.failureCause) return;
  tx.s.run = { ...tx.s.run, failureCause: cause, ...(code ? { failureCode: code } : {}) };
}

/**
 * Takes `outcome` from the current step: the flow's branch if it has one, else `next` for ok/skip,
 * else the built-in failure or abandoned screen.
 */
function leave(tx: Tx, outcome: Outcome, failure?: { cause: Notice['cause']; code?: string }): void {
  const step = tx.step;
  const run = tx.s.run;
  if (!step || !run) return;
  const last = run.steps[run.steps.length - 1];
  if (last) {
    tx.s.run = { ...run, steps: [...run.steps.slice(0, -1), { ...last, durationMs: tx.ctx.now - last.enteredAt, outcome }] };
  }
  let target = step.on?.[outcome];
  if (target === undefined && (outcome === 'ok' || outcome === 'skip')) target = step.next;
  if (target === undefined && /^[0-9]$/.test(outcome) && 'options' in step) {
    target = step.options?.find((o) => o.key === outcome)?.next;
  }
  if (target !== undefined) {
    if (isInteractive(step) && step.back !== false) tx.s.history = [...tx.s.history, tx.s.stepId as string];
    if (step.kind === 'submit' || (step.kind === 'pay' && outcome === 'ok')) {
      tx.s.committed = true;
      tx.s.history = [];
    }
    enterStep(tx, target);
    return;
  }
  tx.clearTimer();
  const failed = outcome === 'error' || outcome === 'timeout' || outcome === 'failed' || outcome === 'expired';
  tx.s.notice = failed
    ? { kind: 'failed', ...(failure?.cause ? { cause: failure.cause } : {}), ...(failure?.code ? { code: failure.code } : {}) }
    : { kind: 'abandoned' };
  tx.s.step = { ...emptyStep };
  endRun(tx, failed ? 'failed' : 'abandoned');
  tx.setTimer(tx.def.config.noticeMs);
}

function isInteractive(step: Step): boolean {
  return !workingKinds.has(step.kind) && step.kind !== 'end' && step.kind !== 'consent';
}

/** After an end screen or a notice: the feedback flow when the run completed and the flow offers it, else home. */
function finishRun(tx: Tx): void {
  const held = tx.s.run?.held;
  const flow = tx.flow;
  if (held && flow) {
    const locale = tx.s.locale;
    tx.effects.push({ type: 'wipe' });
    startRun(tx, 'feedback', { feedbackFor: flow.id }, held);
    tx.s.locale = locale;
    return;
  }
  wipe(tx);
}

function submitPayload(tx: Tx, step: Extract<Step, { kind: 'submit' }>): Record<string, unknown> {
  const run = tx.s.run as RunState;
  const payload: Record<string, unknown> = { flowId: run.flowId, flowVersion: run.flowVersion, sessionId: run.sessionId, at: tx.ctx.now };
  for (const [k, v] of Object.entries(step.payload ?? {})) payload[k] = resolveTemplateValue(v, tx.s.data);
  if (step.payloadFrom === 'health-fhir') {
    const identity = tx.s.data.identity as SessionIdentity | undefined;
    const shareIdentity = getPath(tx.s.data, 'consent.telehealth-share') === true;
    payload.fhir = healthFhirBundle((tx.s.data.measurements ?? {}) as HealthMeasurements, {
      bundleId: tx.ctx.entropy, at: tx.ctx.now, ...(shareIdentity && identity ? { subjectCccd: identity.id } : {}),
    });
  }
  return payload;
}

function printLines(tx: Tx, lines: PrintLine[], from: 'health' | undefined): ReceiptLine[] {
  const out: ReceiptLine[] = lines.map((l) => {
    const line: ReceiptLine = {};
    if (l.text !== undefined) line.text = tx.text(l.text);
    if (l.bold !== undefined) line.bold = l.bold;
    if (l.size !== undefined) line.size = l.size;
    if (l.align !== undefined) line.align = l.align;
    if (l.qr !== undefined) line.qr = renderTemplate(l.qr, tx.s.data);
    return line;
  });
  if (from === 'health') {
    const summary = summariseHealth((tx.s.data.measurements ?? {}) as HealthMeasurements, tx.def.config.healthThresholds);
    out.push({ text: tx.text('health.receipt-title'), bold: true, align: 'center' });
    out.push({ text: formatLocalTime(tx.ctx.now), align: 'center' });
    if (summary.findings.length === 0) out.push({ text: tx.text('health.nothing-measured') });
    for (const f of summary.findings) {
      const band = f.classification ? ` - ${tx.text(`health.${f.item}.${f.classification.band}`)}` : '';
      out.push({ text: `${tx.text(`health.${f.item}`)}: ${f.value} ${healthUnit(tx.def.bundle, tx.s.locale, f)}${band}` });
    }
    for (const line of healthAdvice(tx.def.bundle, tx.s.locale, summary)) out.push({ text: line });
  }
  return out;
}

/** Ho Chi Minh City time (UTC+7, no daylight saving) as `25/11/2026 09:00`. */
export function formatLocalTime(ms: number): string {
  const d = new Date(ms + 7 * 3600_000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${p(d.getUTCMonth() + 1)}/${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`;
}

/** A unit in words where a language has its own (heart rate: `lần/phút`), else the symbol (kg, mmHg, °C). */
function healthUnit(bundle: FlowBundle, locale: Locale, f: { item: string; unit: string }): string {
  const key = `health.${f.item}.unit`;
  return bundle.catalogs[locale][key] !== undefined ? resolveText(bundle, locale, key, {}) : f.unit;
}

/** Plain advice per finding that has some, then the "see a doctor" line where warranted. */
function healthAdvice(bundle: FlowBundle, locale: Locale, summary: ReturnType<typeof summariseHealth>): string[] {
  const t = (key: string) => resolveText(bundle, locale, key, {});
  const lines: string[] = [];
  for (const f of summary.findings) {
    const key = f.classification ? `health.advice.${f.item}.${f.classification.band}` : undefined;
    if (key && bundle.catalogs[locale][key] !== undefined) lines.push(t(key));
  }
  if (summary.findings.length > 0) {
    if (summary.urgent) lines.push(t('health.see-doctor-urgent'));
    else if (summary.seeDoctor) lines.push(t('health.see-doctor'));
    else if (summary.findings.some((f) => f.classification)) lines.push(t('health.all-good'));
  }
  lines.push(t('health.disclaimer'));
  return lines;
}

function keyOf(event: InputEvent): Key | undefined {
  return event.type === 'key' || event.type === 'touch' ? event.key : undefined;
}

function isEffectEvent(event: EngineEvent): event is EffectEvent {
  return 'effectId' in event;
}

/** The pure transition. The returned snapshot is new; `snapshot` is not modified. */
export function transition(def: EngineDefinition, snapshot: FlowSnapshot, event: EngineEvent, ctx: EventContext): TransitionResult {
  const tx = new Tx(def, snapshot, ctx);
  handle(tx, event);
  tx.effects.push({ type: 'show', screen: renderScreen(def, tx.s) });
  return { snapshot: tx.s, effects: tx.effects };
}

function handle(tx: Tx, event: EngineEvent): void {
  if (event.type === 'maintenance') {
    tx.s.maintenance = event.on;
    return;
  }
  if (event.type === 'payment-settled') {
    if (tx.s.payment && tx.s.payment.paymentId === event.paymentId) {
      const settled = { ...tx.s.payment, state: event.state };
      tx.effects.push({ type: 'payment', payment: settled });
      tx.s.payment = undefined;
    }
    return;
  }
  if (event.type === 'emergency') {
    if (tx.s.run?.flowId === 'emergency' && !tx.s.run.ended) return;
    goHome(tx);
    startRun(tx, 'emergency');
    return;
  }
  if (event.type === 'timer') {
    if (event.timerId !== tx.s.timerId) return;
    tx.s.timerId = undefined;
    onTimer(tx);
    return;
  }
  if (isEffectEvent(event)) {
    onEffectResult(tx, event);
    return;
  }
  onInput(tx, event);
}

function onTimer(tx: Tx): void {
  if (tx.s.idleUntil !== undefined) {
    const left = Math.ceil((tx.s.idleUntil - tx.ctx.now) / 1000);
    if (left <= 0) {
      goHome(tx, 'abandoned');
      return;
    }
    tx.s.countdown = left;
    tx.setTimer(Math.min(1000, tx.s.idleUntil - tx.ctx.now));
    return;
  }
  if (!tx.s.run) return;
  if (tx.s.notice || tx.step?.kind === 'end') {
    finishRun(tx);
    return;
  }
  const step = tx.step;
  if (!step) return;
  if (tx.s.step.phase === 'working') {
    tx.abortWork();
    tx.s.step = { ...tx.s.step, phase: 'ready', effectId: undefined };
    if (step.kind === 'lookup') noteFailure(tx, 'central', 'RPC_TIMEOUT');
    if (step.kind === 'measure') noteFailure(tx, 'device', 'DEVICE_TIMEOUT');
    if (step.kind === 'pay') tx.effects.push({ type: 'payment', payment: tx.s.payment as PendingPayment });
    leave(tx, 'timeout', { cause: step.kind === 'lookup' || step.kind === 'pay' ? 'central' : step.kind === 'measure' ? 'device' : step.kind === 'print' ? 'printer' : 'journal' });
    return;
  }
  if (step.kind === 'consent') {
    // Decree 13/2023/ND-CP art. 11: silence is not consent, so a timeout records a refusal.
    answerConsent(tx, false);
    return;
  }
  if (step.on?.timeout !== undefined) {
    leave(tx, 'timeout');
    return;
  }
  tx.s.idleUntil = tx.ctx.now + tx.def.config.idleWarningSeconds * 1000;
  tx.s.countdown = tx.def.config.idleWarningSeconds;
  tx.setTimer(1000);
}

function onEffectResult(tx: Tx, event: EffectEvent): void {
  const step = tx.step;
  if (event.type === 'payment-state' && tx.s.payment && (!step || event.effectId !== tx.s.step.effectId)) {
    // A payment from a step the resident has left: keep its state for reconciliation only.
    tx.s.payment = { ...tx.s.payment, state: event.state, ...(event.paymentId ? { paymentId: event.paymentId } : {}) };
    tx.effects.push({ type: 'payment', payment: tx.s.payment });
    if (event.state === 'PAID' || event.state === 'EXPIRED' || event.state === 'FAILED') tx.s.payment = undefined;
    return;
  }
  if (!step || event.effectId !== tx.s.step.effectId) return;
  switch (event.type) {
    case 'measure-progress': {
      const p = event.progress;
      const phaseKey = `measure.phase.${p.phase}`;
      const label = tx.def.bundle.catalogs[tx.s.locale][phaseKey] !== undefined ? tx.text(phaseKey) : tx.text('measure.measuring');
      const progress: StepState['progress'] = { label };
      if (p.cuffPressure !== undefined) Object.assign(progress, { value: Math.round(p.cuffPressure), unit: 'mmHg' });
      else if (p.liveValue !== undefined) Object.assign(progress, { value: p.liveValue, unit: p.kind === 'weight' ? 'kg' : p.kind === 'height' ? 'cm' : undefined });
      else if (p.secondsLeft !== undefined) Object.assign(progress, { value: Math.ceil(p.secondsLeft), unit: 's' });
      tx.s.step = { ...tx.s.step, progress };
      return;
    }
    case 'measured': {
      if (step.kind !== 'measure') return;
      tx.s.data = setPath(tx.s.data, `measurements.${step.measurement}`, event.measurement);
      tx.s.step = { ...tx.s.step, phase: 'ready', effectId: undefined };
      leave(tx, 'ok');
      return;
    }
    case 'measure-failed': {
      tx.s.step = { ...tx.s.step, effectId: undefined, attempts: tx.s.step.attempts + 1 };
      const code = event.error.code;
      if (code === 'DEVICE_ABORTED') {
        tx.s.step = { ...tx.s.step, phase: 'ready' };
        return;
      }
      noteFailure(tx, 'device', code);
      if (code === 'DEVICE_MISSING' || code === 'DEVICE_BUSY' || tx.s.step.attempts >= 2) {
        tx.s.data = setPath(tx.s.data, 'error.code', code);
        leave(tx, 'error', { cause: 'device', code });
        return;
      }
      tx.s.step = { ...tx.s.step, phase: 'failed', error: 'measure.failed', progress: undefined };
      tx.setTimer(tx.stepTimeout(step));
      return;
    }
    case 'rpc-ok': {
      if (step.kind !== 'lookup') return;
      tx.s.data = setPath(tx.s.data, step.save, event.data);
      tx.s.step = { ...tx.s.step, phase: 'ready', effectId: undefined };
      const probe = step.emptyPath ? getPath(event.data, step.emptyPath) : event.data;
      const empty = probe === undefined || probe === null || (Array.isArray(probe) && probe.length === 0);
      leave(tx, empty && step.on?.empty !== undefined ? 'empty' : empty && step.emptyPath ? 'empty' : 'ok');
      return;
    }
    case 'rpc-not-found': {
      if (step.kind !== 'lookup') return;
      tx.s.step = { ...tx.s.step, phase: 'ready', effectId: undefined };
      if (step.on?.empty !== undefined || step.emptyPath) {
        // docs/services.md: "not found" is the empty answer, so the flow shows its own screen.
        tx.s.data = setPath(tx.s.data, step.save, undefined);
        leave(tx, 'empty');
        return;
      }
      // A lookup that has no empty answer (a hospital list, a quote) cannot be "not found" by the resident's input.
      tx.s.data = setPath(tx.s.data, 'error.code', 'RPC_FAILED');
      noteFailure(tx, 'central', 'RPC_FAILED');
      leave(tx, 'error', { cause: 'central', code: 'RPC_FAILED' });
      return;
    }
    case 'rpc-failed': {
      tx.s.step = { ...tx.s.step, phase: 'ready', effectId: undefined };
      tx.s.data = setPath(tx.s.data, 'error.code', event.error.code);
      noteFailure(tx, 'central', event.error.code);
      leave(tx, event.error.code === 'RPC_TIMEOUT' ? 'timeout' : 'error', { cause: 'central', code: event.error.code });
      return;
    }
    case 'recorded': {
      tx.s.step = { ...tx.s.step, phase: 'ready', effectId: undefined };
      if (step.kind === 'consent') {
        const agreed = tx.s.step.consentAnswer === true;
        tx.s.data = setPath(tx.s.data, `consent.${step.purpose}`, agreed);
        leave(tx, agreed ? 'ok' : 'refused');
        return;
      }
      if (step.kind === 'submit' && step.save) tx.s.data = setPath(tx.s.data, step.save, { eventId: event.eventId });
      leave(tx, 'ok');
      return;
    }
    case 'record-failed': {
      tx.s.step = { ...tx.s.step, phase: 'ready', effectId: undefined };
      tx.s.data = setPath(tx.s.data, 'error.code', event.error.code);
      noteFailure(tx, 'device', event.error.code);
      if (step.kind === 'consent' && tx.s.step.consentAnswer !== true) {
        // A refusal needs no receipt to be honoured: nothing will be collected.
        leave(tx, 'refused');
        return;
      }
      leave(tx, 'error', { cause: 'journal', code: event.error.code });
      return;
    }
    case 'printed':
      tx.s.step = { ...tx.s.step, phase: 'ready', effectId: undefined };
      leave(tx, 'ok');
      return;
    case 'print-failed':
      tx.s.step = { ...tx.s.step, phase: 'ready', effectId: undefined };
      noteFailure(tx, 'device', event.error.code);
      leave(tx, 'error', { cause: 'printer', code: event.error.code });
      return;
    case 'pay-failed': {
      tx.s.step = { ...tx.s.step, phase: 'ready', effectId: undefined };
      tx.s.data = setPath(tx.s.data, 'error.code', event.error.code);
      const journal = event.error.code.startsWith('JOURNAL');
      noteFailure(tx, journal ? 'device' : 'central', event.error.code);
      if (tx.s.payment) tx.effects.push({ type: 'payment', payment: { ...tx.s.payment, state: 'FAILED' } });
      tx.s.payment = undefined;
      leave(tx, 'error', { cause: journal ? 'journal' : 'central', code: event.error.code });
      return;
    }
    case 'payment-state': {
      if (step.kind !== 'pay' || !tx.s.payment) return;
      tx.s.payment = { ...tx.s.payment, state: event.state, ...(event.paymentId ? { paymentId: event.paymentId } : {}) };
      tx.effects.push({ type: 'payment', payment: tx.s.payment });
      if (event.qr) {
        tx.s.step = {
          ...tx.s.step,
          qr: { payload: event.qr, amount: tx.s.payment.amount, reference: tx.s.payment.reference, ...(event.expiresAt ? { expiresAt: event.expiresAt } : {}) },
        };
      }
      if (event.expiresAt) tx.s.countdown = Math.max(0, Math.ceil((event.expiresAt - tx.ctx.now) / 1000));
      if (event.state === 'CREATED' || event.state === 'PENDING') return;
      const save = step.save;
      if (save) tx.s.data = setPath(tx.s.data, save, { paymentId: tx.s.payment.paymentId, state: event.state });
      tx.s.payment = undefined;
      tx.s.step = { ...tx.s.step, phase: 'ready', effectId: undefined };
      if (event.state === 'PAID') leave(tx, 'ok');
      else if (!event.paymentId && event.error?.code.startsWith('JOURNAL')) {
        // Refused before any QR existed because the journal could not record it: a station fault.
        noteFailure(tx, 'device', event.error.code);
        leave(tx, 'error', { cause: 'journal', code: event.error.code });
      } else {
        noteFailure(tx, 'central', event.error?.code ?? (event.state === 'EXPIRED' ? 'PAYMENT_EXPIRED' : 'PAYMENT_FAILED'));
        leave(tx, event.state === 'EXPIRED' ? 'expired' : 'failed', { cause: 'central', code: event.state === 'EXPIRED' ? 'PAYMENT_EXPIRED' : 'PAYMENT_FAILED' });
      }
      return;
    }
  }
}

function onInput(tx: Tx, event: InputEvent): void {
  const key = keyOf(event);
  if (tx.s.idleUntil !== undefined) {
    // Any key answers "are you still there?"; it does nothing else.
    tx.s.idleUntil = undefined;
    tx.s.countdown = undefined;
    const step = tx.step;
    if (key === 'home') goHome(tx);
    else if (step) tx.setTimer(tx.stepTimeout(step));
    return;
  }
  if (!tx.s.run) {
    onHomeInput(tx, event, key);
    return;
  }
  if (key === 'home') {
    goHome(tx);
    return;
  }
  if (tx.s.notice || tx.step?.kind === 'end') {
    if (key === 'ok' || key === '#' || key === 'back') finishRun(tx);
    return;
  }
  const step = tx.step;
  if (!step) return;
  if (key === 'help') {
    tx.s.help = !tx.s.help;
    restartInactivity(tx, step);
    return;
  }
  if (tx.s.help && (key === 'back' || key === 'ok' || key === '#')) {
    tx.s.help = false;
    restartInactivity(tx, step);
    return;
  }
  if (key === 'back') {
    // A record, receipt or payment already on its way cannot be taken back; a measurement in
    // progress is stopped by the measure step itself.
    const working = tx.s.step.phase === 'working';
    if (working && step.kind !== 'lookup') {
      if (step.kind !== 'measure') return;
    } else {
      goBack(tx);
      return;
    }
  }
  restartInactivity(tx, step);
  switch (step.kind) {
    case 'menu':
    case 'info':
    case 'result': {
      const option = liveOptions(tx.def.bundle, tx.s.locale, tx.s.data, step).find((o) => o.key === key);
      if (option) {
        const save = 'save' in step ? step.save : undefined;
        if (save) tx.s.data = setPath(tx.s.data, save, option.value);
        leave(tx, option.fromList ? 'ok' : (option.key as Outcome));
        return;
      }
      const pages = pageCount(tx, step);
      if (key === '6' && tx.s.step.page + 1 < pages) tx.s.step = { ...tx.s.step, page: tx.s.step.page + 1 };
      else if (key === '4' && tx.s.step.page > 0) tx.s.step = { ...tx.s.step, page: tx.s.step.page - 1 };
      else if ((key === 'ok' || key === '#') && step.kind !== 'menu') leave(tx, 'ok');
      return;
    }
    case 'confirm':
      if (key === '1' || key === 'ok' || key === '#') leave(tx, 'ok');
      else if (key === '2') leave(tx, 'cancel');
      return;
    case 'consent':
      if (tx.s.step.phase === 'working') return;
      if (key === '1') answerConsent(tx, true);
      else if (key === '2') answerConsent(tx, false);
      return;
    case 'input':
      onTyping(tx, event, key, charsetOf(step.validator), maxLengthOf(step.validator, step), () => {
        const value = tx.s.step.value;
        if (value === '' && step.optional) {
          leave(tx, 'skip');
          return;
        }
        const checked = value === '' ? { ok: false as const, reason: 'invalid.empty' } : validateInput(step.validator, value, step);
        if (checked.ok) {
          tx.s.data = setPath(tx.s.data, step.save, checked.value);
          leave(tx, 'ok');
        } else refuse(tx, checked.reason, step.maxAttempts ?? 3);
      });
      return;
    case 'identity':
      // Every CCCD starts with 0, so skipping is OK on an empty field, never the 0 key.
      if ((key === 'ok' || key === '#') && step.optional && tx.s.step.value === '') {
        leave(tx, 'skip');
        return;
      }
      if (event.type === 'scan') {
        const parsed = parseCccd(event.text);
        if (!parsed.ok) {
          refuse(tx, 'identity.scan-unreadable', step.maxAttempts ?? 3);
          return;
        }
        const v = parsed.value;
        setIdentity(tx, { id: v.id, masked: maskCccd(v.id), name: v.name, birthDate: v.birthDate, sex: v.sex, source: 'scan' });
        leave(tx, 'ok');
        return;
      }
      if (step.allowTyped === false) return;
      onTyping(tx, event, key, 'digits', 12, () => {
        const value = tx.s.step.value;
        const checked = validateInput('cccd12', value);
        const info = checked.ok ? validateCccdNumber(value) : undefined;
        if (!checked.ok || !info?.ok) {
          refuse(tx, checked.ok ? 'invalid.cccd' : checked.reason, step.maxAttempts ?? 3);
          return;
        }
        setIdentity(tx, { id: value, masked: maskCccd(value), birthYear: info.value.birthYear, sex: info.value.sex, source: 'typed' });
        leave(tx, 'ok');
      });
      return;
    case 'measure': {
      const skippable = step.skippable !== false;
      if (tx.s.step.phase === 'working') {
        if (key === '0' || key === 'back') {
          tx.abortWork();
          tx.s.step = { ...tx.s.step, phase: 'ready', effectId: undefined, progress: undefined };
          if (key === '0' && skippable) leave(tx, 'skip');
        }
        return;
      }
      if (key === '0' && skippable) leave(tx, 'skip');
      else if (key === 'ok' || key === '#') startMeasure(tx, step.measurement);
      return;
    }
    case 'pay':
      if (key === '2') {
        tx.abortWork();
        if (tx.s.payment) tx.effects.push({ type: 'payment', payment: tx.s.payment });
        tx.s.step = { ...tx.s.step, phase: 'ready', effectId: undefined };
        leave(tx, 'cancel');
      }
      return;
    default:
      return;
  }
}

function onHomeInput(tx: Tx, event: InputEvent, key: Key | undefined): void {
  if (tx.s.maintenance) return;
  if (key === 'help') {
    tx.s.help = !tx.s.help;
    return;
  }
  if (key === '*') {
    tx.s.locale = tx.s.locale === 'vi' ? 'en' : 'vi';
    return;
  }
  if (tx.s.help && (key === 'back' || key === 'ok')) {
    tx.s.help = false;
    return;
  }
  const entry = tx.def.bundle.homeMenu.find((m) => m.key === key);
  if (!entry || event.type === 'scan' || event.type === 'text') return;
  const locale = tx.s.locale;
  startRun(tx, entry.flowId);
  tx.s.locale = locale;
}

function restartInactivity(tx: Tx, step: Step): void {
  if (tx.s.step.phase === 'working') return;
  tx.setTimer(tx.stepTimeout(step));
}

function goBack(tx: Tx): void {
  const previous = tx.s.history[tx.s.history.length - 1];
  if (previous === undefined) {
    if (!tx.s.committed) goHome(tx);
    return;
  }
  tx.abortWork();
  tx.s.history = tx.s.history.slice(0, -1);
  const run = tx.s.run;
  if (run) {
    const last = run.steps[run.steps.length - 1];
    if (last) tx.s.run = { ...run, steps: [...run.steps.slice(0, -1), { ...last, durationMs: tx.ctx.now - last.enteredAt, outcome: 'back' }] };
  }
  enterStep(tx, previous);
}

function onTyping(tx: Tx, event: InputEvent, key: Key | undefined, charset: 'digits' | 'code', max: number, submit: () => void): void {
  const allowed = charset === 'digits' ? /[0-9]/ : /[0-9A-Za-z.\-]/;
  if (event.type === 'text' || event.type === 'scan') {
    const text = [...event.text.trim()].filter((ch) => allowed.test(ch)).join('').slice(0, max);
    tx.s.step = { ...tx.s.step, value: charset === 'code' ? text.toUpperCase() : text, error: undefined };
    if (event.type === 'scan') submit();
    return;
  }
  if (key === undefined) return;
  if (/^[0-9]$/.test(key)) {
    if (tx.s.step.value.length < max) tx.s.step = { ...tx.s.step, value: tx.s.step.value + key, error: undefined };
  } else if (key === '*') {
    tx.s.step = { ...tx.s.step, value: tx.s.step.value.slice(0, -1), error: undefined };
  } else if (key === 'ok' || key === '#') {
    submit();
  }
}

/** Shows why the value was refused; after `maxAttempts` refusals the step gives the error outcome. */
function refuse(tx: Tx, reason: string, maxAttempts: number): void {
  const attempts = tx.s.step.attempts + 1;
  tx.s.step = { ...tx.s.step, attempts, error: reason, value: '' };
  if (attempts >= maxAttempts) {
    noteFailure(tx, 'input', 'INPUT_INVALID');
    tx.s.data = setPath(tx.s.data, 'error.code', 'INPUT_INVALID');
    leave(tx, 'error', { cause: 'input', code: 'INPUT_INVALID' });
  }
}

function setIdentity(tx: Tx, identity: SessionIdentity): void {
  tx.s.data = { ...tx.s.data, identity };
  const run = tx.s.run;
  if (!run) return;
  // Beneficiary figures come only from a scanned card (its printed date of birth), never from typed digits.
  const band = identity.source === 'scan' && identity.birthDate ? ageBandOf(identity.birthDate, tx.ctx.now) : undefined;
  if (band) tx.s.run = { ...run, beneficiary: { ageBand: band, sex: identity.sex ?? 'unknown' } };
}

function answerConsent(tx: Tx, agreed: boolean): void {
  const step = tx.step;
  const run = tx.s.run;
  if (!step || step.kind !== 'consent' || !run) return;
  const text = tx.text(step.text);
  const effectId = tx.nextId('rec');
  tx.s.step = { ...tx.s.step, phase: 'working', effectId, consentAnswer: agreed };
  tx.setTimer(tx.stepTimeout(step));
  tx.effects.push({
    type: 'record', effectId, kind: 'consent',
    payload: {
      sessionId: run.sessionId, flowId: run.flowId, flowVersion: run.flowVersion, purpose: step.purpose,
      granted: agreed, at: tx.ctx.now, locale: tx.s.locale, text,
      textSha256: createHash('sha256').update(text).digest('hex'),
    },
    options: { personal: false, priority: false },
  });
}

/** The info step's own pages, then its content bundle's pages. */
function infoPages(step: Extract<Step, { kind: 'info' }>, state: StepState): Text[][] {
  return [...(step.pages ?? []), ...(state.pages ?? [])];
}

function pageCount(tx: Tx, step: Step): number {
  if (step.kind === 'info') return 1 + infoPages(step, tx.s.step).length;
  if (step.kind === 'result' && step.list) {
    const list = getPath(tx.s.data, step.list.path);
    const size = step.list.pageSize ?? 5;
    return Array.isArray(list) ? Math.max(1, Math.ceil(list.length / size)) : 1;
  }
  return 1;
}

// ---------------------------------------------------------------------------------------------
// Rendering: the snapshot as the Screen the display draws. Pure.

const screenKindOf: Record<Step['kind'], ScreenKind> = {
  menu: 'menu', info: 'info', input: 'input', identity: 'identity', consent: 'consent', measure: 'measure',
  lookup: 'lookup', confirm: 'confirm', pay: 'pay', submit: 'lookup', print: 'lookup', result: 'result', end: 'end',
};

export function renderScreen(def: EngineDefinition, s: FlowSnapshot): Screen {
  const { bundle } = def;
  const locale = s.locale;
  const t = (text: Text | undefined, data: unknown = s.data) => resolveText(bundle, locale, text, data);
  const fnKeys = (extra: { key: Key; label: string }[] = [], back = true): Screen['keys'] => [
    ...extra,
    ...(back ? [{ key: 'back' as Key, label: t('key.back') }] : []),
    { key: 'home', label: t('key.home') },
    { key: 'help', label: t('key.help') },
  ];
  const base = { locale, ...(s.maintenance ? { banners: { maintenance: true } } : {}) };

  if (s.idleUntil !== undefined) {
    return {
      ...base, kind: 'idle-warning', title: t('idle.title'), body: [t('idle.body')], countdown: s.countdown ?? 0, tone: 'caution',
      keys: [{ key: 'ok', label: t('key.ok') }, { key: 'home', label: t('key.home') }],
      ...(s.run ? { flowId: s.run.flowId } : {}),
    };
  }
  if (!s.run) {
    if (s.maintenance) {
      return {
        ...base, kind: 'maintenance', title: t('maintenance.title'), body: [t('maintenance.body'), t('maintenance.emergency')],
        tone: 'caution', keys: [],
      };
    }
    const options: ScreenOption[] = bundle.homeMenu.map((m) => {
      const flow = bundle.flows[m.flowId] as FlowDefinition;
      return { key: m.key, label: t(flow.title), ...(flow.menu?.hint ? { hint: t(flow.menu.hint) } : {}) };
    });
    return {
      ...base, kind: 'home', title: t('home.title'), body: s.help ? [t('home.help')] : [t('home.body')], options,
      help: t('home.help'), keys: [{ key: '*', label: t('key.language') }, { key: 'help', label: t('key.help') }],
    };
  }
  const flow = bundle.flows[s.run.flowId] as FlowDefinition;
  const ids = { flowId: flow.id, ...(s.stepId ? { stepId: s.stepId } : {}) };
  if (s.notice) {
    const failed = s.notice.kind === 'failed';
    const body = failed
      ? [t(`failure.${s.notice.cause ?? 'generic'}`), ...(s.notice.code ? [t('failure.code', { code: s.notice.code })] : []), t('end.auto-home')]
      : [t('end.abandoned.body'), t('end.auto-home')];
    return {
      ...base, ...ids, kind: failed ? 'error' : 'end', title: failed ? t('failure.title') : t('end.abandoned.title'), body,
      tone: failed ? 'danger' : 'neutral', ...(s.notice.code ? { errorCode: s.notice.code } : {}),
      keys: [{ key: 'ok', label: t('key.ok') }, { key: 'home', label: t('key.home') }],
    };
  }
  const step = flow.steps[s.stepId as string] as Step;
  const help = step.help ? t(step.help) : undefined;
  const screen: Screen = {
    ...base, ...ids, kind: flow.id === 'emergency' ? 'emergency' : screenKindOf[step.kind], title: t(step.title),
    body: (step.body ?? []).map((b) => t(b)), keys: [],
    ...(help ? { help } : {}),
  };
  const body = screen.body as string[];
  const canBack = s.history.length > 0 ? step.back !== false : !s.committed;
  const okKey = { key: 'ok' as Key, label: t('key.ok') };
  switch (step.kind) {
    case 'menu':
      screen.options = liveOptions(bundle, locale, s.data, step).map((o) => ({ key: o.key, label: o.label, ...(o.hint ? { hint: o.hint } : {}) }));
      screen.keys = fnKeys([], canBack);
      break;
    case 'info': {
      const extra = infoPages(step, s.step);
      if (s.step.page > 0) screen.body = (extra[s.step.page - 1] ?? []).map((b) => t(b));
      const pages = 1 + extra.length;
      if (pages > 1) screen.progress = { label: t('list.page', { page: s.step.page + 1, pages }), fraction: (s.step.page + 1) / pages };
      if (step.options) screen.options = optionsOf(step.options, t);
      screen.keys = fnKeys([...(step.next || step.on?.ok ? [okKey] : []), ...pageKeys(s.step.page, pages, t)], canBack);
      break;
    }
    case 'input': {
      const max = maxLengthOf(step.validator, step);
      screen.input = {
        value: step.personal ? maskTyped(s.step.value) : s.step.value, maxLength: max, charset: charsetOf(step.validator),
        ...(step.mask ? { mask: step.mask } : {}), ...(step.placeholder ? { placeholder: t(step.placeholder) } : {}),
      };
      body.push(t('input.hint'));
      if (step.optional) body.push(t('input.optional'));
      if (s.step.error) addError(screen, t(s.step.error), s.step.attempts, step.maxAttempts ?? 3, t);
      screen.keys = fnKeys([okKey, { key: '*', label: t('key.delete') }], canBack);
      break;
    }
    case 'identity': {
      const identity = s.data.identity as SessionIdentity | undefined;
      body.push(t('identity.instruction'));
      if (identity) body.push(t('identity.read', { masked: identity.masked }));
      if (step.optional) body.push(t('identity.skip'));
      screen.input = { value: maskTyped(s.step.value), maxLength: 12, charset: 'digits', mask: '#### #### ####' };
      if (s.step.error) addError(screen, t(s.step.error), s.step.attempts, step.maxAttempts ?? 3, t);
      screen.keys = fnKeys([okKey, { key: '*', label: t('key.delete') }], canBack);
      break;
    }
    case 'consent':
      body.push(t(step.text), t('consent.silence'));
      if (s.step.phase === 'working') screen.progress = { label: t('consent.saving') };
      else screen.options = [{ key: '1', label: t('consent.agree') }, { key: '2', label: t('consent.decline') }];
      screen.keys = fnKeys([], canBack);
      break;
    case 'measure': {
      const skippable = step.skippable !== false;
      if (s.step.phase === 'working') {
        screen.progress = s.step.progress ?? { label: t('measure.measuring') };
        body.push(t('measure.cancel'));
      } else {
        if (s.step.error) {
          screen.tone = 'caution';
          body.push(t(s.step.error));
        } else body.push(t('measure.start'));
        if (skippable) body.push(t('measure.skip'));
      }
      screen.keys = fnKeys([...(s.step.phase !== 'working' ? [okKey] : []), ...(skippable ? [{ key: '0' as Key, label: t('key.skip') }] : [])], canBack);
      break;
    }
    case 'lookup':
    case 'submit':
    case 'print':
      screen.progress = { label: t(`working.${step.kind}`) };
      screen.keys = fnKeys([], false);
      break;
    case 'confirm':
      screen.rows = (step.rows ?? []).map((r) => ({ label: t(r.label), value: renderTemplate(r.value, s.data), ...(r.unit ? { unit: r.unit } : {}) }));
      screen.options = [{ key: '1', label: t('confirm.yes') }, { key: '2', label: t('confirm.no') }];
      screen.keys = fnKeys([okKey], canBack);
      break;
    case 'pay':
      if (s.step.qr) {
        screen.qr = { payload: s.step.qr.payload, ...(s.step.qr.amount !== undefined ? { amount: s.step.qr.amount } : {}), ...(s.step.qr.reference ? { reference: s.step.qr.reference } : {}) };
        body.push(t('pay.scan'), t('pay.waiting'));
        if (s.countdown !== undefined) screen.countdown = s.countdown;
      } else screen.progress = { label: t('working.pay') };
      screen.options = [{ key: '2', label: t('pay.cancel') }];
      screen.keys = fnKeys([], false);
      break;
    case 'result': {
      const rows: ResultRow[] = (step.rows ?? []).map((r) => ({ label: t(r.label), value: renderTemplate(r.value, s.data), ...(r.unit ? { unit: r.unit } : {}) }));
      if (step.rowsFrom === 'health') {
        const summary = summariseHealth((getPath(s.data, step.source ?? 'measurements') ?? {}) as HealthMeasurements, def.config.healthThresholds);
        for (const f of summary.findings) {
          rows.push({
            label: t(`health.${f.item}`), value: f.value, unit: healthUnit(bundle, locale, f),
            ...(f.classification ? { tone: f.classification.tone as Tone, band: t(`health.${f.item}.${f.classification.band}`) } : {}),
          });
        }
        if (summary.findings.length === 0) body.push(t('health.nothing-measured'));
        body.push(...healthAdvice(bundle, locale, summary));
        screen.tone = summary.urgent ? 'danger' : summary.seeDoctor ? 'warning' : 'good';
      }
      if (step.rowsFrom === 'dossier-timeline') rows.push(...dossierTimelineRows(getPath(s.data, step.source ?? 'dossier'), locale));
      let pages = 1;
      if (step.list) {
        const list = getPath(s.data, step.list.path);
        const size = step.list.pageSize ?? 5;
        const items = Array.isArray(list) ? list : [];
        pages = Math.max(1, Math.ceil(items.length / size));
        for (const item of items.slice(s.step.page * size, (s.step.page + 1) * size)) {
          const scope = { ...s.data, item };
          const label = typeof step.list.label === 'string' ? step.list.label : step.list.label[locale];
          rows.push({ label: renderTemplate(label, scope), value: renderTemplate(step.list.value, scope) });
        }
        if (items.length === 0) body.push(t('list.empty'));
        if (pages > 1) screen.progress = { label: t('list.page', { page: s.step.page + 1, pages }), fraction: (s.step.page + 1) / pages };
      }
      if (step.tone) screen.tone = step.tone;
      screen.rows = rows;
      if (step.options) screen.options = optionsOf(step.options, t);
      screen.keys = fnKeys([...(step.next || step.on?.ok ? [okKey] : []), ...pageKeys(s.step.page, pages, t)], canBack);
      break;
    }
    case 'end':
      body.push(t('end.auto-home'));
      screen.tone = step.outcome === 'failed' ? 'danger' : step.outcome === 'abandoned' ? 'neutral' : 'good';
      screen.keys = [okKey, { key: 'home', label: t('key.home') }];
      break;
  }
  if (s.help && help) {
    screen.body = [help];
    screen.keys = [{ key: 'back', label: t('key.close-help') }, { key: 'home', label: t('key.home') }];
  }
  return screen;
}

/** A menu option as the resident sees it: from the flow file, or built from a list in session data. */
interface LiveOption {
  key: Key;
  label: string;
  hint?: string;
  /** Stored at the step's `save` path when chosen. */
  value: unknown;
  /** Built by `optionsFrom`: choosing it gives the ok outcome. */
  fromList: boolean;
}

const listKeys: Key[] = ['1', '2', '3', '4', '5', '6', '7', '8', '9'];

function liveOptions(bundle: FlowBundle, locale: Locale, data: Record<string, unknown>, step: Step): LiveOption[] {
  const out: LiveOption[] = [];
  const fixed = 'options' in step ? step.options ?? [] : [];
  for (const o of fixed) {
    out.push({
      key: o.key, label: resolveText(bundle, locale, o.label, data), value: o.value ?? o.key, fromList: false,
      ...(o.hint ? { hint: resolveText(bundle, locale, o.hint, data) } : {}),
    });
  }
  if (step.kind === 'menu' && step.optionsFrom) {
    const from = step.optionsFrom;
    const list = getPath(data, from.path);
    const free = listKeys.filter((k) => !fixed.some((o) => o.key === k));
    (Array.isArray(list) ? list : []).slice(0, free.length).forEach((item: unknown, i) => {
      const scope = { ...data, item };
      out.push({
        key: free[i] as Key, label: renderTemplate(from.label, scope), fromList: true,
        value: from.value ? resolveTemplateValue(from.value, scope) : item,
        ...(from.hint ? { hint: renderTemplate(from.hint, scope) } : {}),
      });
    });
  }
  return out;
}

function optionsOf(options: MenuOption[], t: (x: Text | undefined) => string): ScreenOption[] {
  return options.map((o) => ({ key: o.key, label: t(o.label), ...(o.hint ? { hint: t(o.hint) } : {}) }));
}

function pageKeys(page: number, pages: number, t: (x: Text | undefined) => string): { key: Key; label: string }[] {
  const keys: { key: Key; label: string }[] = [];
  if (page > 0) keys.push({ key: '4', label: t('key.prev-page') });
  if (page + 1 < pages) keys.push({ key: '6', label: t('key.next-page') });
  return keys;
}

function addError(screen: Screen, message: string, attempts: number, max: number, t: (x: Text | undefined, d?: unknown) => string): void {
  screen.tone = 'caution';
  (screen.body as string[]).push(message);
  const left = max - attempts;
  if (left > 0 && attempts > 0) (screen.body as string[]).push(t('input.attempts-left', { left }));
}

/** Typed personal digits stay hidden except the first three and the last two, like a scanned CCCD. */
function maskTyped(value: string): string {
  return value.length <= 5 ? value : maskCccd(value);
}

/**
 * What is written to disk after every step: where the session was and what is still pending, never
 * the resident's data (identity, measurements, typed values) — a restart can only abort, so it
 * never needs them, and a stranger can never be shown them.
 */
export function persistableSnapshot(s: FlowSnapshot): FlowSnapshot {
  const { countdown: _countdown, ...rest } = s;
  return { ...rest, data: {}, step: { ...s.step, value: '', qr: undefined, consentAnswer: undefined }, idleUntil: undefined };
}

/**
 * After a restart: the interrupted run is closed (analytics `abandoned`, or `failed` when it had
 * failed), an interrupted measurement is reported so the device is made safe, a pending payment is
 * handed over for reconciliation, and the home screen shows. Nothing is resumed.
 */
export function recoverSnapshot(def: EngineDefinition, saved: FlowSnapshot, ctx: EventContext): TransitionResult & { interruptedMeasurement?: MeasurementKind } {
  const tx = new Tx(def, { ...saved, data: {}, step: { ...saved.step, value: '' } }, ctx);
  const step = tx.step;
  const interruptedMeasurement = step?.kind === 'measure' && saved.step.phase === 'working' ? step.measurement : undefined;
  tx.s.timerId = undefined;
  tx.s.idleUntil = undefined;
  if (tx.s.run && !tx.s.run.ended) endRun(tx, tx.s.run.failureCause ? 'failed' : 'abandoned');
  releaseHeld(tx);
  if (saved.payment) tx.effects.push({ type: 'payment', payment: saved.payment });
  forgetResident(tx);
  tx.effects.push({ type: 'show', screen: renderScreen(def, tx.s) });
  return { snapshot: tx.s, effects: tx.effects, ...(interruptedMeasurement ? { interruptedMeasurement } : {}) };
}
