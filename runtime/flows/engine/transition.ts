/**
 * The pure transition and its dispatch: input, timers and effect results; what of a snapshot is
 * written to disk and how a saved one is taken up again after a restart.
 */
import type { MeasurementKind } from '../../../drivers/types.js';
import { getPath, setPath } from '../template.js';
import type { EffectEvent, EngineDefinition, EngineEvent, EventContext, FlowSnapshot, PendingPayment, StepState, TransitionResult } from './state.js';
import { Tx } from './tx.js';
import { noteSkipped } from './skipped.js';
import { endRun, forgetResident, goHome, leave, noteFailure, releaseHeld, startRun, wipe } from './run.js';
import { renderScreen } from './render.js';
import { answerConsent, onChipResult, onInput } from './input.js';
import { onScanResult } from './scan-step.js';

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
    // Nobody pressed OK on the last screen: the resident has gone. The feedback question is asked
    // only when they answer the end screen themselves; asked now, the next person's first key
    // would rate this visit.
    wipe(tx);
    return;
  }
  const step = tx.step;
  if (!step) return;
  if (tx.s.step.phase === 'working') {
    tx.abortWork();
    tx.s.step = { ...tx.s.step, phase: 'ready', effectId: undefined };
    if (step.kind === 'identity') {
      // The chip took too long: the QR identity stands, as when no card is on the reader.
      tx.s.step = { ...tx.s.step, progress: undefined };
      leave(tx, 'ok');
      return;
    }
    if (step.kind === 'lookup') noteFailure(tx, 'central', 'RPC_TIMEOUT');
    if (step.kind === 'measure') {
      noteFailure(tx, 'device', 'DEVICE_TIMEOUT');
      noteSkipped(tx, step.measurement, 'failed');
    }
    if (step.kind === 'pay') tx.effects.push({ type: 'payment', payment: tx.s.payment as PendingPayment });
    leave(tx, 'timeout', { cause: step.kind === 'lookup' || step.kind === 'pay' ? 'central' : step.kind === 'measure' ? 'device' : step.kind === 'print' ? 'printer' : 'journal' });
    return;
  }
  if (step.kind === 'consent') {
    // Decree 13/2023/ND-CP art. 11: silence is not consent, so a timeout records a refusal.
    answerConsent(tx, false);
    return;
  }
  if (step.kind === 'measure') {
    // OK not pressed in time: asked once more, then skipped with a note on the result, never silently.
    if (!tx.s.step.reminded) {
      tx.s.step = { ...tx.s.step, reminded: true, error: 'measure.not-confirmed' };
      tx.setTimer(tx.stepTimeout(step));
      return;
    }
    noteSkipped(tx, step.measurement, 'timeout');
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
      // A phase in the words of the device measuring: "settling" is the scale's number for the
      // weight and the finger's signal for SpO2.
      const catalog = tx.def.bundle.catalogs[tx.s.locale];
      const phaseKey = [`measure.phase.${p.kind}.${p.phase}`, `measure.phase.${p.phase}`].find((k) => catalog[k] !== undefined);
      const label = phaseKey ? tx.text(phaseKey) : tx.text('measure.measuring');
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
        if (step.kind === 'measure') noteSkipped(tx, step.measurement, 'failed');
        leave(tx, 'error', { cause: 'device', code });
        return;
      }
      tx.s.step = { ...tx.s.step, phase: 'failed', error: 'measure.failed', progress: undefined };
      tx.setTimer(tx.stepTimeout(step));
      return;
    }
    case 'chip-read':
    case 'chip-failed':
      onChipResult(tx, event);
      return;
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
    case 'scanned':
    case 'scan-failed':
      if (step.kind === 'scan') onScanResult(tx, step, event, { leave, noteFailure });
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
