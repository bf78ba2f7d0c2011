/** Measurements a health check went on without, and why, so the result says so instead of leaving a silent gap. */
import type { MeasurementKind } from '../../../drivers/types.js';
import { getPath, setPath } from '../template.js';
import type { Tx } from './tx.js';

/** `skipped`: the resident pressed 0; `timeout`: OK was not pressed, even when asked again; `failed`: the device gave no reading. */
export type SkipReason = 'skipped' | 'timeout' | 'failed';

/** Where the reasons live in session data (wiped with it). */
export const SKIPPED_PATH = 'skippedMeasurements';

export function noteSkipped(tx: Tx, kind: MeasurementKind, reason: SkipReason): void {
  tx.s.data = setPath(tx.s.data, `${SKIPPED_PATH}.${kind}`, reason);
}

/** The measurements skipped in this session, in the order they were skipped. */
export function skippedMeasurements(data: Record<string, unknown>): [MeasurementKind, SkipReason][] {
  const found = getPath(data, SKIPPED_PATH);
  if (!found || typeof found !== 'object') return [];
  return Object.entries(found as Record<string, SkipReason>) as [MeasurementKind, SkipReason][];
}
