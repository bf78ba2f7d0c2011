/**
 * Replay protection for central's signed commands by command id: a command id is remembered,
 * durably, before its command runs, and kept until the command's own expiry has passed (after
 * that the command is refused as expired anyway). So a valid command runs exactly once even when
 * it arrives late, out of order, twice, or after a restart, and the remembered set stays bounded
 * by the commands of one expiry window, which `maxWindowMs` caps.
 */
import { join } from 'node:path';
import type { Low } from 'lowdb';
import type { Logger } from '../kernel/logger.js';
import { openDocument } from '../platform/document-store.js';
import type { DocumentValidator } from '../platform/document-store.js';

export interface SeenCommandsDocument {
  /** cmdId → the command's `expiresAt` (clock ms). */
  seen: Record<string, number>;
}

export const validateSeenCommands: DocumentValidator<SeenCommandsDocument> = (v) => {
  const seen = (v as { seen?: unknown } | null)?.seen;
  if (typeof seen !== 'object' || seen === null || Array.isArray(seen)) return { ok: false, reason: '"seen" is not an object' };
  for (const [id, at] of Object.entries(seen)) {
    if (!Number.isFinite(at)) return { ok: false, reason: `"seen.${id}" is not a time` };
  }
  // No prototype: a command id such as `__proto__` must be stored like any other.
  return { ok: true, value: { seen: Object.assign(Object.create(null) as Record<string, number>, seen) } };
};

export interface SeenCommandsOptions {
  /** Directory holding `command-ids.json`. */
  dir: string;
  logger: Logger;
  /** Commands expiring further ahead than this are refused; default 86 400 000 ms (one day). */
  maxWindowMs?: number;
  /** At most this many ids are remembered; a new command is refused while the set is full. Default 10 000. */
  maxEntries?: number;
}

export type Remembered = 'ok' | 'seen' | 'window-too-long' | 'full';

export class SeenCommands {
  private readonly o: SeenCommandsOptions;
  private doc: Low<SeenCommandsDocument> | null = null;

  constructor(options: SeenCommandsOptions) {
    this.o = options;
  }

  async open(): Promise<void> {
    this.doc = await openDocument<SeenCommandsDocument>({
      path: join(this.o.dir, 'command-ids.json'), validate: validateSeenCommands, logger: this.o.logger, defaults: { seen: Object.create(null) as Record<string, number> },
    });
  }

  get size(): number {
    return Object.keys(this.doc?.data.seen ?? {}).length;
  }

  /** Whether the command may run; 'ok' only after its id is on disk (fsync). Throws when that write fails. */
  async remember(cmdId: string, expiresAt: number, now: number): Promise<Remembered> {
    const doc = this.doc;
    if (!doc) throw new Error('SeenCommands is not open');
    const seen = doc.data.seen;
    if (Object.hasOwn(seen, cmdId)) return 'seen';
    if (expiresAt - now > (this.o.maxWindowMs ?? 86_400_000)) return 'window-too-long';
    for (const [id, at] of Object.entries(seen)) if (at <= now) delete seen[id];
    if (Object.keys(seen).length >= (this.o.maxEntries ?? 10_000)) return 'full';
    seen[cmdId] = expiresAt;
    try {
      await doc.write();
    } catch (err) {
      delete seen[cmdId];
      throw err;
    }
    return 'ok';
  }
}
