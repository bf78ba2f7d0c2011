/**
 * Config format versions. Every document (a whole file or one layer) is brought to the current
 * `version` before it is merged and validated, one step at a time, so a station provisioned years
 * ago, or a desired document from an older central, still reads. A step never guesses: what it
 * cannot carry over is a problem naming the path, as any other config error.
 */
import { isJsonObject, type JsonObject } from './merge-patch.js';
import type { ConfigProblem } from './config.js';

/** The format this runtime writes and validates. */
export const CONFIG_VERSION = 2;

interface Migration {
  from: number;
  /** What changed, for the technician who reads `station config migrate`. */
  summary: string;
  up(document: JsonObject): ConfigProblem[];
}

/**
 * Version 2 (the layered format): configuration comes in layers (runtime/config/layers.ts) and the
 * station is told what may set what. Nothing of version 1 is renamed; `dataDir` belongs to the
 * factory file alone, so a layer that moves it is refused instead of silently splitting the data.
 */
const migrations: Migration[] = [
  {
    from: 1,
    summary: 'version 2: configuration in layers (factory, site, desired, technician); nothing renamed',
    up: () => [],
  },
];

export type MigrationResult =
  | { ok: true; document: JsonObject; from: number; steps: string[] }
  | { ok: false; problems: ConfigProblem[] };

/**
 * Brings a document to {@link CONFIG_VERSION}; the input is not changed. A document without
 * `version` is taken as current (a layer written by this runtime may leave it out); a newer or an
 * unknown version is refused, since reading it as ours could drop keys we do not know.
 */
export function migrateConfig(document: unknown): MigrationResult {
  if (!isJsonObject(document)) return { ok: false, problems: [{ path: '', message: 'expected object' }] };
  const from = document.version ?? CONFIG_VERSION;
  if (!Number.isInteger(from) || (from as number) < 1) {
    return { ok: false, problems: [{ path: '/version', message: `expected a config format version from 1 to ${CONFIG_VERSION}` }] };
  }
  if ((from as number) > CONFIG_VERSION) {
    return { ok: false, problems: [{ path: '/version', message: `version ${String(from)} is newer than this station reads (${CONFIG_VERSION}); update the station first` }] };
  }
  const next = structuredClone(document);
  const steps: string[] = [];
  for (let v = from as number; v < CONFIG_VERSION; v++) {
    const step = migrations.find((m) => m.from === v);
    if (!step) return { ok: false, problems: [{ path: '/version', message: `no migration from version ${v}` }] };
    const problems = step.up(next);
    if (problems.length > 0) return { ok: false, problems };
    steps.push(step.summary);
  }
  if ('version' in document) next.version = CONFIG_VERSION;
  return { ok: true, document: next, from: from as number, steps };
}
