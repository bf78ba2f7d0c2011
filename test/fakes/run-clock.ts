import type { ManualClock } from './manual-clock.js';

/**
 * Advances the manual clock in steps until `promise` settles, so a driver that polls on the clock
 * runs to completion. Returns the settled outcome and the clock time it took.
 */
export async function runClockUntilSettled<T>(
  clock: ManualClock,
  promise: Promise<T>,
  options: { stepMs?: number; maxMs?: number } = {},
): Promise<{ ok: true; value: T; elapsedMs: number } | { ok: false; error: unknown; elapsedMs: number }> {
  const step = options.stepMs ?? 100;
  const max = options.maxMs ?? 120_000;
  const start = clock.now();
  let outcome: { ok: true; value: T } | { ok: false; error: unknown } | null = null;
  promise.then((value) => (outcome = { ok: true, value }), (error: unknown) => (outcome = { ok: false, error }));
  while (outcome === null && clock.now() - start < max) await clock.advance(step);
  await clock.advance(0);
  if (outcome === null) throw new Error(`did not settle within ${max} ms of clock time`);
  return { ...(outcome as { ok: true; value: T } | { ok: false; error: unknown }), elapsedMs: clock.now() - start };
}
