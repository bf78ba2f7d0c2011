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
 *
 * The parts: engine/state.ts (settings, snapshot, events, effects), engine/transition.ts (the
 * transition and its dispatch), engine/input.ts (keys, typing, scans), engine/run.ts (starting,
 * entering and leaving steps, wiping), engine/render.ts (the screen of a snapshot), engine/texts.ts.
 */
export {
  defaultEngineConfig, initialSnapshot,
  type EffectEvent, type EngineConfig, type EngineDefinition, type EngineEvent, type EventContext, type FlowEffect,
  type FlowSnapshot, type Notice, type PaymentRequest, type PaymentState, type PendingPayment, type RunState, type SessionIdentity,
  type StepPhase, type StepState, type TransitionResult,
} from './engine/state.js';
export { persistableSnapshot, recoverSnapshot, transition } from './engine/transition.js';
export { renderScreen } from './engine/render.js';
export { formatLocalTime, resolveText } from './engine/texts.js';
