/**
 * FlowSession runs the pure flow engine (runtime/flows/engine.ts) against the station: it feeds
 * resident input, device and central results and timer ticks into `transition`, carries out the
 * effects with injected services, saves the snapshot after every step, and publishes the Screen the
 * display renders. It is the station's ScreenFeed and InputSink.
 *
 * Effects whose results arrive after the step moved on (an aborted measurement, a late RPC answer)
 * are dropped by the engine, which matches results to the effect id it is waiting for.
 */
import { randomUUID } from 'node:crypto';
import type { Clock, TimerHandle } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';
import { StationError, isStationError, toErrorShape } from '../kernel/errors.js';
import type { InputEvent, InputSink } from '../kernel/input.js';
import type { Screen, ScreenFeed } from './screen-model.js';
import type { ReceiptPrinter, RecordSink, RpcClient } from './ports.js';
import type { MeasureService, MeasurementKind } from '../../drivers/types.js';
import type { ErrorShape } from '../kernel/errors.js';
import type { FlowBundle } from './types.js';
import type { SessionAnalyticsSink } from '../analytics/events.js';
import type {
  EngineConfig, EngineEvent, FlowEffect, FlowSnapshot, PaymentRequest, PaymentState, PendingPayment,
} from './engine.js';
import { runPayEffect } from '../services/payment-effect.js';
import type { PaymentService } from '../services/payment.js';
import { initialSnapshot, persistableSnapshot, recoverSnapshot, renderScreen, transition } from './engine.js';

/** Where the snapshot goes after every step; see runtime/flows/snapshot-store.ts for the durable file. */
export interface SnapshotStore {
  save(snapshot: FlowSnapshot): Promise<void>;
  /** The last saved snapshot, or null when there is none (first start) or it is unreadable. */
  load(): Promise<FlowSnapshot | null>;
}

/** A state report from the payment service while the resident's QR is on screen. */
export interface PaymentUpdate {
  state: PaymentState;
  paymentId?: string;
  /** The VietQR payload to show (with CREATED). */
  qr?: string;
  /** Clock ms when the QR stops being payable. */
  expiresAt?: number;
  error?: ErrorShape;
}

/**
 * Creates a payment with central and reports its states. Resolves when the payment reached PAID,
 * EXPIRED or FAILED (reported through `onState` first); rejects with a StationError when it cannot be
 * started or recorded (JOURNAL_FULL, LINK_OFFLINE). Aborting only stops the waiting: a payment that
 * central already created stays there and is reconciled through {@link SessionHooks.onPayment}.
 */
export interface PaymentRunner {
  pay(request: PaymentRequest, options: { signal: AbortSignal; onState: (update: PaymentUpdate) => void }): Promise<unknown>;
}

/**
 * Central's "no such bill, dossier or BHXH number": runtime/link/rpc.ts turns an error envelope into
 * RPC_FAILED and keeps central's own code in `details.centralCode`.
 */
function isNotFound(err: unknown): boolean {
  return isStationError(err, 'RPC_FAILED') && err.details?.centralCode === 'NOT_FOUND';
}

/** The pay effect on runtime/services/payment.ts's PaymentService (its runPayEffect emits the states and cancels on abort). */
export function paymentRunnerFor(service: PaymentService): PaymentRunner {
  return {
    pay: (request, { signal, onState }) => runPayEffect(service, request.reference, request, (e) => {
      const update: PaymentUpdate = { state: e.state };
      if (e.paymentId) update.paymentId = e.paymentId;
      if (e.qr) update.qr = e.qr;
      if (e.expiresAt) update.expiresAt = e.expiresAt;
      if (e.error) update.error = e.error;
      onState(update);
    }, signal),
  };
}

export interface SessionHooks {
  /**
   * A payment changed state, or the resident left while it was pending (cancel, timeout, Home,
   * restart). The payment component reconciles it with central; called for every change.
   */
  onPayment?(payment: PendingPayment): void;
  /** The station restarted while this measurement ran: the device hub makes that device safe (cuff deflated). */
  onInterruptedMeasurement?(kind: MeasurementKind): void;
}

export interface FlowSessionOptions {
  bundle: FlowBundle;
  config: EngineConfig;
  clock: Clock;
  logger: Logger;
  measure: MeasureService;
  rpc: RpcClient;
  records: RecordSink;
  printer: ReceiptPrinter;
  /** Optional: without it a pay step takes its `error` outcome. */
  payments?: PaymentRunner;
  store: SnapshotStore;
  analytics: SessionAnalyticsSink;
  hooks?: SessionHooks;
  /** Random session and bundle ids; default crypto.randomUUID. */
  newId?: () => string;
}

type Listener = (screen: Screen) => void;

export class FlowSession implements ScreenFeed, InputSink {
  private readonly options: FlowSessionOptions;
  private bundle: FlowBundle;
  private pendingBundle: FlowBundle | undefined;
  private snapshot: FlowSnapshot;
  /** What the engine rendered, before banners. */
  private rawScreen: Screen;
  private screen: Screen;
  private screenJson = '';
  private readonly listeners = new Set<Listener>();
  private readonly controllers = new Map<string, AbortController>();
  private readonly timers = new Map<string, TimerHandle>();
  private queue: EngineEvent[] = [];
  private dispatching = false;
  private running = false;
  private online = true;
  private saveChain: Promise<void> = Promise.resolve();
  private lastSavedKey = '';

  constructor(options: FlowSessionOptions) {
    this.options = options;
    this.bundle = options.bundle;
    this.snapshot = initialSnapshot(options.config);
    this.rawScreen = renderScreen({ bundle: this.bundle, config: options.config }, this.snapshot);
    this.screen = this.rawScreen;
  }

  /** Loads the last snapshot; an interrupted run is closed safely, never resumed. Shows the home screen. */
  async start(): Promise<void> {
    if (this.running) return;
    const saved = await this.options.store.load().catch((err: unknown) => {
      this.options.logger.warn({ err: toErrorShape(err) }, 'flow snapshot unreadable; starting fresh');
      return null;
    });
    this.running = true;
    const ctx = { now: this.options.clock.now(), entropy: this.newId(), analyticsId: this.newId() };
    const def = { bundle: this.bundle, config: this.options.config };
    const recovered = saved ? recoverSnapshot(def, { ...saved, maintenance: saved.maintenance ?? false }, ctx) : undefined;
    if (recovered?.interruptedMeasurement) {
      this.options.logger.warn({ kind: recovered.interruptedMeasurement }, 'station restarted during a measurement; making the device safe');
      this.callHook(() => this.options.hooks?.onInterruptedMeasurement?.(recovered.interruptedMeasurement as MeasurementKind));
    }
    if (saved?.run) this.options.logger.info({ flowId: saved.run.flowId, stepId: saved.stepId }, 'interrupted session closed after restart');
    this.snapshot = recovered?.snapshot ?? initialSnapshot(this.options.config);
    this.runEffects(recovered?.effects ?? [{ type: 'show', screen: renderScreen(def, this.snapshot) }]);
    this.persist(true);
    await this.saveChain;
  }

  /** Aborts whatever runs (a cuff deflates through the AbortSignal), cancels timers, saves. Idempotent. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const controller of this.controllers.values()) controller.abort(new StationError('DEVICE_ABORTED', 'The station is stopping'));
    this.controllers.clear();
    for (const handle of this.timers.values()) this.options.clock.clearTimeout(handle);
    this.timers.clear();
    this.queue = [];
    this.persist(true);
    await this.saveChain;
  }

  input(event: InputEvent): void {
    this.dispatch(event);
  }

  current(): Screen {
    return this.screen;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Maintenance mode: the home screen becomes the maintenance screen; a resident mid-flow may finish. */
  setMaintenance(on: boolean): void {
    this.dispatch({ type: 'maintenance', on });
  }

  /** The central link's state, shown as the offline banner on every screen. */
  setLinkOnline(online: boolean): void {
    if (this.online === online) return;
    this.online = online;
    this.publish(this.rawScreen, true);
  }

  /** A new validated bundle (central push). Applied at once when nobody is in a session, else when the session ends. */
  replaceBundle(bundle: FlowBundle): void {
    this.pendingBundle = bundle;
    this.applyPendingBundle();
  }

  /** Central settled a payment kept from an earlier session. */
  settlePayment(paymentId: string, state: 'PAID' | 'EXPIRED' | 'FAILED'): void {
    this.dispatch({ type: 'payment-settled', paymentId, state });
  }

  /**
   * The engine snapshot, for tests. Holds the resident's data while a session runs: the technician
   * mirror shows {@link current} (masked) instead.
   */
  state(): FlowSnapshot {
    return this.snapshot;
  }

  /** The payment kept for reconciliation, if any. */
  pendingPayment(): PendingPayment | undefined {
    return this.snapshot.payment;
  }

  /** Resolves once every snapshot write requested so far is on disk. */
  flushed(): Promise<void> {
    return this.saveChain;
  }

  private newId(): string {
    return (this.options.newId ?? randomUUID)();
  }

  private dispatch(event: EngineEvent): void {
    if (!this.running) return;
    this.queue.push(event);
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
        const ctx = { now: this.options.clock.now(), entropy: this.newId(), analyticsId: this.newId() };
        let result;
        try {
          result = transition({ bundle: this.bundle, config: this.options.config }, this.snapshot, next, ctx);
        } catch (err) {
          // A defect in the engine must not take the kiosk down: log it and start over at the home
          // screen with nothing of the resident kept.
          this.options.logger.error({ err: toErrorShape(err), event: next.type, flowId: this.snapshot.run?.flowId, stepId: this.snapshot.stepId }, 'flow transition failed');
          for (const controller of this.controllers.values()) controller.abort(new StationError('DEVICE_ABORTED', 'The session was reset'));
          this.controllers.clear();
          for (const handle of this.timers.values()) this.options.clock.clearTimeout(handle);
          this.timers.clear();
          // The visit is still counted: a service's event held for its feedback question goes out as it is.
          const run = this.snapshot.run;
          const held = run?.held ?? (run?.parent && !run.ended ? { ...run.parent, feedback: { rating: null } } : undefined);
          if (held) this.callHook(() => this.options.analytics.sessionEnded(held));
          const fresh: FlowSnapshot = { ...initialSnapshot(this.options.config), maintenance: this.snapshot.maintenance, seq: this.snapshot.seq, ...(this.snapshot.payment ? { payment: this.snapshot.payment } : {}) };
          result = { snapshot: fresh, effects: [{ type: 'show' as const, screen: renderScreen({ bundle: this.bundle, config: this.options.config }, fresh) }] };
        }
        this.snapshot = result.snapshot;
        this.runEffects(result.effects);
        this.applyPendingBundle();
        this.persist(false);
      }
    } finally {
      this.dispatching = false;
    }
  }

  private applyPendingBundle(): void {
    if (!this.pendingBundle || this.snapshot.run) return;
    this.bundle = this.pendingBundle;
    this.pendingBundle = undefined;
    this.options.logger.info({ digest: this.bundle.digest }, 'flow bundle applied');
    this.publish(renderScreen({ bundle: this.bundle, config: this.options.config }, this.snapshot));
  }

  /** Saves when the session moved to another step, phase or pending effect — not on every key. */
  private persist(force: boolean): void {
    const s = this.snapshot;
    const key = JSON.stringify([s.run?.sessionId, s.run?.ended, s.stepId, s.step.phase, s.step.effectId, s.notice, s.payment, s.maintenance]);
    if (!force && key === this.lastSavedKey) return;
    this.lastSavedKey = key;
    const copy = persistableSnapshot(s);
    this.saveChain = this.saveChain.then(() => this.options.store.save(copy)).catch((err: unknown) => {
      this.options.logger.error({ err: toErrorShape(err) }, 'flow snapshot not saved');
    });
  }

  private runEffects(effects: FlowEffect[]): void {
    for (const effect of effects) {
      try {
        this.runEffect(effect);
      } catch (err) {
        this.options.logger.error({ err: toErrorShape(err), effect: effect.type }, 'flow effect failed to start');
      }
    }
  }

  private runEffect(effect: FlowEffect): void {
    const o = this.options;
    switch (effect.type) {
      case 'show':
        this.publish(effect.screen);
        return;
      case 'startTimer': {
        const handle = o.clock.setTimeout(() => {
          this.timers.delete(effect.timerId);
          this.dispatch({ type: 'timer', timerId: effect.timerId });
        }, effect.ms);
        this.timers.set(effect.timerId, handle);
        return;
      }
      case 'cancelTimer':
        o.clock.clearTimeout(this.timers.get(effect.timerId));
        this.timers.delete(effect.timerId);
        return;
      case 'abort': {
        const controller = this.controllers.get(effect.effectId);
        this.controllers.delete(effect.effectId);
        controller?.abort(new StationError('DEVICE_ABORTED', 'The resident left the step'));
        return;
      }
      case 'measure': {
        const controller = this.track(effect.effectId);
        o.measure.measure(effect.kind, {
          signal: controller.signal,
          onProgress: (progress) => this.dispatch({ type: 'measure-progress', effectId: effect.effectId, progress }),
        }).then(
          (measurement) => this.settle(effect.effectId, { type: 'measured', effectId: effect.effectId, measurement }),
          (err: unknown) => this.settle(effect.effectId, { type: 'measure-failed', effectId: effect.effectId, error: toErrorShape(err) }),
        );
        return;
      }
      case 'rpc': {
        const controller = this.track(effect.effectId);
        o.rpc.call(effect.service, effect.params, { timeoutMs: effect.timeoutMs, signal: controller.signal }).then(
          (data) => this.settle(effect.effectId, { type: 'rpc-ok', effectId: effect.effectId, data }),
          (err: unknown) => this.settle(effect.effectId, isNotFound(err)
            ? { type: 'rpc-not-found', effectId: effect.effectId }
            : { type: 'rpc-failed', effectId: effect.effectId, error: toErrorShape(err) }),
        );
        return;
      }
      case 'record':
        // Not abortable: once handed to the journal a record is kept; the engine shows "recorded" only on `recorded`.
        o.records.record(effect.kind, effect.payload, effect.options).then(
          (recorded) => this.dispatch({ type: 'recorded', effectId: effect.effectId, eventId: recorded.eventId }),
          (err: unknown) => this.dispatch({ type: 'record-failed', effectId: effect.effectId, error: toErrorShape(err) }),
        );
        return;
      case 'print':
        o.printer.print(effect.lines).then(
          () => this.dispatch({ type: 'printed', effectId: effect.effectId }),
          (err: unknown) => this.dispatch({ type: 'print-failed', effectId: effect.effectId, error: toErrorShape(err) }),
        );
        return;
      case 'pay': {
        if (!o.payments) {
          this.dispatch({ type: 'pay-failed', effectId: effect.effectId, error: { code: 'PAYMENT_FAILED', message: 'No payment service on this station' } });
          return;
        }
        const controller = this.track(effect.effectId);
        o.payments.pay(effect.request, {
          signal: controller.signal,
          onState: (u) => this.dispatch({
            type: 'payment-state', effectId: effect.effectId, state: u.state,
            ...(u.paymentId ? { paymentId: u.paymentId } : {}), ...(u.qr ? { qr: u.qr } : {}),
            ...(u.expiresAt ? { expiresAt: u.expiresAt } : {}), ...(u.error ? { error: u.error } : {}),
          }),
        }).then(
          () => this.controllers.delete(effect.effectId),
          (err: unknown) => this.settle(effect.effectId, { type: 'pay-failed', effectId: effect.effectId, error: toErrorShape(err) }),
        );
        return;
      }
      case 'analytics': {
        const e = effect.event;
        o.logger.info({ service: e.service, outcome: e.outcome, lastStep: e.lastStep, durationMs: e.endedAt - e.startedAt, failureCode: e.failureCode }, 'session ended');
        this.callHook(() => o.analytics.sessionEnded(e));
        return;
      }
      case 'payment':
        this.callHook(() => o.hooks?.onPayment?.(effect.payment));
        return;
      case 'wipe':
        for (const [id, controller] of this.controllers) {
          controller.abort(new StationError('DEVICE_ABORTED', 'The session ended'));
          this.controllers.delete(id);
        }
        o.logger.debug('session wiped');
        return;
    }
  }

  private track(effectId: string): AbortController {
    const controller = new AbortController();
    this.controllers.set(effectId, controller);
    return controller;
  }

  /** Delivers a result unless the effect was aborted (its step is gone). */
  private settle(effectId: string, event: EngineEvent): void {
    const controller = this.controllers.get(effectId);
    if (!controller || controller.signal.aborted) return;
    this.controllers.delete(effectId);
    this.dispatch(event);
  }

  private callHook(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.options.logger.error({ err: toErrorShape(err) }, 'session listener failed');
    }
  }

  private publish(screen: Screen, force = false): void {
    this.rawScreen = screen;
    const shown: Screen = this.online ? screen : { ...screen, banners: { ...screen.banners, offline: true } };
    const json = JSON.stringify(shown);
    if (!force && json === this.screenJson) return;
    this.screenJson = json;
    this.screen = shown;
    for (const listener of [...this.listeners]) this.callHook(() => listener(shown));
  }
}
