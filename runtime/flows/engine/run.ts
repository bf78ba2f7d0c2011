/**
 * A run of one flow: starting it, entering steps, leaving with an outcome, ending and wiping the
 * resident's data. Shared by the event handlers (input.ts, transition.ts).
 */
import type { ReceiptLine } from '../ports.js';
import type { MeasurementKind } from '../../../drivers/types.js';
import type { Outcome, PrintLine, Step } from '../types.js';
import type { FailureCause, SessionAnalyticsEvent, SessionOutcome } from '../../analytics/events.js';
import { getPath, renderTemplate, resolveTemplateValue } from '../template.js';
import type { HealthMeasurements } from '../../services/health-classification.js';
import { summariseHealth } from '../../services/health-classification.js';
import { healthFhirBundle } from '../../services/fhir.js';
import { contentPages } from '../content-pages.js';
import { type EngineConfig, type Notice, type PaymentRequest, type RunState, type SessionIdentity, emptyStep } from './state.js';
import { formatLocalTime, healthAdvice, healthUnit } from './texts.js';
import { Tx } from './tx.js';

/** Working steps run an effect on entry; their timeout is a deadline, not an inactivity limit. */
const workingKinds = new Set(['lookup', 'pay', 'submit', 'print']);

function stationData(config: EngineConfig): Record<string, unknown> {
  return { ...config.station };
}

/** Starts a run of `flowId` with fresh, empty resident data; `parent` is the held event of the service a feedback run follows. */
export function startRun(tx: Tx, flowId: string, carry: Record<string, unknown> = {}, parent?: SessionAnalyticsEvent): void {
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

export function enterStep(tx: Tx, stepId: string): void {
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
        service: flow.id, sessionId: tx.s.run.sessionId, amount, reference,
        purpose: step.purpose ? String(resolveTemplateValue(step.purpose, tx.s.data) ?? '') : '', expiresInMs: tx.stepTimeout(step),
      };
      tx.s.payment = { sessionId: tx.s.run.sessionId, flowId: flow.id, amount, reference, state: 'CREATED', requestedAt: tx.ctx.now };
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

export function startMeasure(tx: Tx, kind: MeasurementKind): void {
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
export function endRun(tx: Tx, outcome: SessionOutcome): void {
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
export function releaseHeld(tx: Tx): void {
  const held = tx.s.run?.held;
  if (!held || !tx.s.run) return;
  const { held: _held, ...run } = tx.s.run;
  tx.s.run = run;
  tx.effects.push({ type: 'analytics', event: held });
}

/** Leaves the session entirely: every trace of the resident goes, the home (or maintenance) screen shows. */
export function goHome(tx: Tx, outcome: SessionOutcome = 'abandoned'): void {
  tx.abortWork();
  if (tx.s.run && !tx.s.run.ended) endRun(tx, outcome);
  wipe(tx);
}

export function wipe(tx: Tx): void {
  tx.clearTimer();
  releaseHeld(tx);
  forgetResident(tx);
  tx.effects.push({ type: 'wipe' });
}

/** Back to the home state: no run, no step, no data, no history, the station's language. */
export function forgetResident(tx: Tx): void {
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
export function noteFailure(tx: Tx, cause: FailureCause, code?: string): void {
  if (!tx.s.run || tx.s.run.failureCause) return;
  tx.s.run = { ...tx.s.run, failureCause: cause, ...(code ? { failureCode: code } : {}) };
}

/**
 * Takes `outcome` from the current step: the flow's branch if it has one, else `next` for ok/skip,
 * else the built-in failure or abandoned screen.
 */
export function leave(tx: Tx, outcome: Outcome, failure?: { cause: Notice['cause']; code?: string }): void {
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
export function finishRun(tx: Tx): void {
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
