/**
 * What a step module (form-step.ts, scan-step.ts) needs from run.ts, handed in by its callers so the
 * step modules do not import run.ts, which enters them (no import cycles between the engine's parts).
 */
import type { FailureCause } from '../../analytics/events.js';
import type { Outcome } from '../types.js';
import type { Notice } from './state.js';
import type { Tx } from './tx.js';

export interface RunOps {
  leave(tx: Tx, outcome: Outcome, failure?: { cause: Notice['cause']; code?: string }): void;
  noteFailure(tx: Tx, cause: FailureCause, code?: string): void;
}
