/** Small helpers shared by the central-link tests (journal, outbox, MQTT link, commands). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Logger } from '../../runtime/kernel/logger.js';
import type { ManualClock } from './manual-clock.js';

/** A logger that writes nothing, for tests that do not assert on log lines. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** A fresh directory under the OS temp dir, removed by `teardown`. */
export async function tempDir(t: { teardown: (fn: () => unknown) => void }, prefix = 'cds-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Advances the manual clock in steps until `cond` holds, letting network I/O run in between
 * (each advance yields to the event loop). The wall-clock guard only turns a hang into a failure.
 */
export async function until(clock: ManualClock, cond: () => boolean, what: string, stepMs = 10, guardMs = 20000): Promise<void> {
  const deadline = Date.now() + guardMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await clock.advance(stepMs);
  }
}
