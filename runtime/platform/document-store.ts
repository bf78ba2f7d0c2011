/**
 * Durable JSON documents (state, config, link counters) for lowdb. lowdb's own TextFile adapter
 * (steno) renames a temp file without fsync, so a power cut can leave an empty or old file; this
 * adapter writes tmp → fsync → rename → fsync(dir), keeps the previous good copy as `.bak`, and
 * validates what it reads, falling back to the good copy when the main file is damaged.
 */
import { readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Low } from 'lowdb';
import type { Adapter } from 'lowdb';
import type { Logger } from '../kernel/logger.js';
import { writeFileDurable } from '../kernel/durable-file.js';

export { fsyncDir, writeFileDurable } from '../kernel/durable-file.js';

/** Returns the document when it is valid, otherwise a reason it is not. */
export type DocumentValidator<T> = (value: unknown) => { ok: true; value: T } | { ok: false; reason: string };

export interface DurableJsonFileOptions<T> {
  path: string;
  validate: DocumentValidator<T>;
  logger: Logger;
}

export class DurableJsonFile<T> implements Adapter<T> {
  private readonly options: DurableJsonFileOptions<T>;
  /** Set when the last read fell back to the good copy or found nothing valid. */
  lastReadProblem: string | null = null;

  constructor(options: DurableJsonFileOptions<T>) {
    this.options = options;
  }

  private get backup(): string {
    return `${this.options.path}.bak`;
  }

  private async readValid(path: string): Promise<{ value: T } | { missing: true } | { reason: string }> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { missing: true };
      return { reason: (err as Error).message };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return { reason: 'not valid JSON' };
    }
    const checked = this.options.validate(parsed);
    return checked.ok ? { value: checked.value } : { reason: checked.reason };
  }

  async read(): Promise<T | null> {
    this.lastReadProblem = null;
    const main = await this.readValid(this.options.path);
    if ('value' in main) return main.value;
    const bak = await this.readValid(this.backup);
    if ('value' in bak) {
      if ('reason' in main) {
        this.lastReadProblem = `${this.options.path}: ${main.reason}; using the last good copy`;
        this.options.logger.warn({ path: this.options.path, reason: main.reason }, 'document damaged, using last good copy');
      }
      return bak.value;
    }
    if ('reason' in main) {
      this.lastReadProblem = `${this.options.path}: ${main.reason}; no good copy`;
      this.options.logger.error({ path: this.options.path, reason: main.reason }, 'document damaged and no good copy');
    }
    return null;
  }

  async write(data: T): Promise<void> {
    const checked = this.options.validate(data);
    if (!checked.ok) throw new Error(`Refusing to write an invalid document to ${this.options.path}: ${checked.reason}`);
    const current = await this.readValid(this.options.path);
    if ('value' in current) await rename(this.options.path, this.backup);
    else if ('reason' in current) await unlink(this.options.path);
    await writeFileDurable(this.options.path, JSON.stringify(data, null, 2));
  }
}

/** A lowdb document on the durable adapter; `defaults` is used when nothing valid is on disk. */
export async function openDocument<T>(options: DurableJsonFileOptions<T> & { defaults: T }): Promise<Low<T>> {
  const db = new Low<T>(new DurableJsonFile<T>(options), options.defaults);
  await db.read();
  return db;
}

/** Counters the central link keeps across restarts. */
export interface LinkState {
  /** Incremented on every start; part of every event id and of the `status` payload. */
  bootSeq: number;
  /** Highest command sequence number accepted (persisted before the command runs). */
  lastCommandSeq: number;
}

export const validateLinkState: DocumentValidator<LinkState> = (v) => {
  const o = v as Partial<LinkState> | null;
  if (typeof o !== 'object' || o === null) return { ok: false, reason: 'not an object' };
  if (!Number.isSafeInteger(o.bootSeq) || (o.bootSeq as number) < 0) return { ok: false, reason: 'bootSeq is not a counter' };
  if (!Number.isSafeInteger(o.lastCommandSeq) || (o.lastCommandSeq as number) < 0) return { ok: false, reason: 'lastCommandSeq is not a counter' };
  return { ok: true, value: { bootSeq: o.bootSeq as number, lastCommandSeq: o.lastCommandSeq as number } };
};

/** Opens `link-state.json` in `dir`, increments and persists the boot counter, returns the document. */
export async function openLinkState(dir: string, logger: Logger): Promise<Low<LinkState>> {
  const db = await openDocument<LinkState>({
    path: join(dir, 'link-state.json'), validate: validateLinkState, logger, defaults: { bootSeq: 0, lastCommandSeq: 0 },
  });
  db.data.bootSeq += 1;
  await db.write();
  return db;
}
