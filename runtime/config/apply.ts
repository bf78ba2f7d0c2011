/**
 * Applying a new configuration, from the technician UI (`config.apply`) or central's signed
 * `config` command: the same schema check as at start, then a durable write of the file the daemon
 * started from (the previous one kept as `.bak`). Keys the running station can take at once are
 * applied; every other changed key is listed as needing a restart, so nobody believes a change is
 * live when it is not.
 */
import { copyFile } from 'node:fs/promises';
import { writeFileDurable } from '../platform/document-store.js';
import { StationError } from '../kernel/errors.js';
import { formatProblems, validateConfig, type StationConfig } from './config.js';

export interface ConfigApplyResult {
  applied: boolean;
  /** JSON pointers of the changed keys that take effect only after a restart. */
  restartRequired: string[];
  /** JSON pointers of the changed keys already in effect. */
  live: string[];
}

/** Applies a key to the running station; returns false when it cannot be applied live. */
export type LiveApplier = (pointer: string, value: unknown) => boolean;

/** Every leaf whose value differs between two documents, as JSON pointers. */
export function changedPointers(before: unknown, after: unknown, base = ''): string[] {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => changedPointers(before[k], after[k], `${base}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`));
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [base || '/'];
}

export async function applyConfig(options: {
  file: string;
  current: StationConfig;
  candidate: unknown;
  applyLive: LiveApplier;
}): Promise<ConfigApplyResult> {
  const checked = validateConfig(options.candidate);
  if (!checked.ok) {
    throw new StationError('CONFIG_INVALID', formatProblems(options.file, checked.problems).join('\n'), { details: { problems: checked.problems } });
  }
  // The running dataDir is resolved (and maybe moved by --data), so it is not compared.
  const next = { ...checked.config, dataDir: options.current.dataDir };
  const changed = changedPointers(options.current, next);
  if (changed.length === 0) return { applied: false, restartRequired: [], live: [] };
  await copyFile(options.file, `${options.file}.bak`).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
  await writeFileDurable(options.file, JSON.stringify(options.candidate, null, 2) + '\n', 0o640);
  const live: string[] = [];
  const restartRequired: string[] = [];
  for (const pointer of changed) {
    const value = pointer.split('/').slice(1).reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], next);
    (options.applyLive(pointer, value) ? live : restartRequired).push(pointer);
  }
  return { applied: true, restartRequired, live };
}
