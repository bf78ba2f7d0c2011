/**
 * The flow engine's state: its settings, the snapshot a session carries between events, the events
 * it takes and the effects it asks for. Plain data only (runtime/flows/engine.ts describes the engine).
 */
import type { InputEvent } from '../../kernel/input.js';
import type { Screen } from '../screen-model.js';
import type { ErrorShape } from '../../kernel/errors.js';
import type { RecordKind, RecordOptions, ReceiptLine, RpcService } from '../ports.js';
import type { Measurement, MeasurementKind, MeasureProgress } from '../../../drivers/types.js';
import type { FlowBundle, Locale, Text } from '../types.js';
import type { FailureCause, SessionAnalyticsEvent, SessionOutcome, StepVisit } from '../../analytics/events.js';
import type { HealthThresholds } from '../../services/health-classification.js';
import type { PaymentRequest, PaymentState } from '../../services/payment.js';
import { defaultHealthThresholds } from '../../services/health-classification.js';

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
  /** The station has a chip reader (`devices.idChip`): a scanned QR is followed by a chip read; default false. */
  chipReader?: boolean;
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
  state: PaymentState;
  /** Clock ms when the station asked for it. */
  requestedAt: number;
}

export type { PaymentRequest, PaymentState } from '../../services/payment.js';

/** The resident's identity as held in the session (never written to disk, never logged). */
export interface SessionIdentity {
  id: string;
  /** Shown instead of the number: `079*******45`. */
  masked: string;
  name?: string;
  birthDate?: string;
  birthYear?: number;
  sex?: 'male' | 'female';
  /**
   * How the identity was established, sent to central with it: the chip read and passive
   * authentication passed, the chip read without a master list to verify it, the printed QR, or
   * typed digits.
   */
  source: 'chip-verified' | 'chip-read' | 'qr' | 'typed';
}

/** What the chip reader needs to open a card: the QR's number, birth and issue dates. */
export interface ChipAccessRequest {
  id: string;
  birthDate: string;
  issueDate: string;
}

export type StepPhase = 'ready' | 'working' | 'failed';

/** What the current step is doing; reset on every step entry. */
export interface StepState {
  phase: StepPhase;
  /** Typed characters (input, identity). Personal: wiped with the session, never persisted. */
  value: string;
  attempts: number;
  /** A measure step already asked again once because OK was not pressed in time. */
  reminded?: boolean;
  /** What the refusal's text names (the wrong part of the value). */
  errorParams?: Record<string, string>;
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
  | { type: 'readChip'; effectId: string; access: ChipAccessRequest }
  /** A scan step's work: scan a page, join a paper into its sealed PDF, or send the dossier's papers. */
  | { type: 'scan'; effectId: string; op: 'page' | 'finish' | 'upload'; dossierId: string; paperId?: string; title?: string }
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
  | { type: 'chip-read'; effectId: string; identity: { id: string; name: string; birthDate: string; sex: 'male' | 'female'; source: 'chip-verified' | 'chip-read' } }
  | { type: 'chip-failed'; effectId: string; error: ErrorShape }
  | { type: 'recorded'; effectId: string; eventId: string }
  | { type: 'record-failed'; effectId: string; error: ErrorShape }
  | { type: 'printed'; effectId: string }
  | { type: 'scanned'; effectId: string; pages?: number; preview?: string }
  | { type: 'scan-failed'; effectId: string; error: ErrorShape }
  | { type: 'print-failed'; effectId: string; error: ErrorShape }
  /** The payment could not be started or recorded (JOURNAL_FULL, central refused). */
  | { type: 'pay-failed'; effectId: string; error: ErrorShape }
  | {
    type: 'payment-state'; effectId: string; state: PaymentState; paymentId?: string;
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

export const emptyStep: StepState = { phase: 'ready', value: '', attempts: 0, page: 0 };

export function initialSnapshot(config: EngineConfig): FlowSnapshot {
  return { version: 1, locale: config.defaultLocale, maintenance: false, step: emptyStep, data: {}, history: [], committed: false, help: false, seq: 0 };
}
