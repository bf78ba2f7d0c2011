/**
 * Applying a configuration change to one writable layer (runtime/config/layers.ts): the technician's
 * whole document from `config.apply`, or central's desired merge patch. The layers with the change
 * pass the same schema check as at start, then the layer is written durably on the data partition
 * (the factory file on the read-only root is never touched). Keys the running station can take at
 * once are applied; every other changed key is listed as needing a restart, so nobody believes a
 * change is live when it is not.
 */
import { StationError } from '../kernel/errors.js';
import { formatProblems, validateConfig, type ConfigProblem, type StationConfig } from './config.js';
import { LAYER_NAMES, configOrigins, layerFile, layerProblems, mergeLayers, writeLayer, type LayeredConfig, type WritableLayer } from './layers.js';
import { createMergePatch, isJsonObject, leafPointers, valueAt, type JsonObject } from './merge-patch.js';
import { migrateConfig } from './migrations.js';

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
export function changedPointers(before: unknown, after: unknown): string[] {
  const leaves = [...new Set([...leafPointers(before), ...leafPointers(after)])].sort();
  return leaves.filter((p) => JSON.stringify(valueAt(before, p)) !== JSON.stringify(valueAt(after, p)));
}

function invalid(file: string, problems: ConfigProblem[]): never {
  throw new StationError('CONFIG_INVALID', formatProblems(file, problems).join('\n'), { details: { problems } });
}

export interface ApplyOptions {
  /** The layers as loaded at start or after the last change; replaced by the answer's `layered`. */
  layered: LayeredConfig;
  /** The configuration the station runs with. */
  current: StationConfig;
  layer: WritableLayer;
  /**
   * `whole`: a complete document (what `config.get` shows, edited); the layer keeps only what differs
   * from the layers below. `patch`: a merge patch that becomes the layer as it stands.
   */
  form: 'whole' | 'patch';
  candidate: unknown;
  applyLive: LiveApplier;
}

/** The new layer document for a candidate, checked on its own. */
function layerDocument(options: ApplyOptions, file: string): JsonObject {
  const migrated = migrateConfig(options.candidate);
  if (!migrated.ok) invalid(file, migrated.problems);
  const dataDir = options.layered.config.dataDir;
  if (options.form === 'patch') {
    const problems = layerProblems(migrated.document);
    if (problems.length > 0) invalid(file, problems);
    return migrated.document;
  }
  const whole = validateConfig({ ...migrated.document, dataDir });
  if (!whole.ok) invalid(file, whole.problems);
  const below = LAYER_NAMES.slice(0, LAYER_NAMES.indexOf(options.layer));
  const lower = mergeLayers(Object.fromEntries(below.map((n) => [n, options.layered.documents[n]]))).result;
  if (!lower.ok) invalid(file, lower.problems);
  const patch = createMergePatch({ ...lower.config, dataDir }, { ...whole.config, dataDir });
  return isJsonObject(patch) ? patch : {};
}

export async function applyConfig(options: ApplyOptions): Promise<ConfigApplyResult & { layered: LayeredConfig }> {
  const dataDir = options.layered.config.dataDir;
  const file = layerFile(dataDir, options.layer);
  const document = layerDocument(options, file);
  delete document.version;
  const documents = { ...options.layered.documents, [options.layer]: document };
  const merged = mergeLayers(documents).result;
  if (!merged.ok) invalid(file, merged.problems);
  const next: StationConfig = { ...merged.config, dataDir };
  const layered: LayeredConfig = {
    config: next,
    documents,
    layers: options.layered.layers.map((l) => (l.name === options.layer ? { name: l.name, file, present: true } : l)),
    origins: configOrigins(next, documents),
  };
  const changed = changedPointers(options.current, next).filter((p) => p !== '/version');
  if (changed.length === 0 && JSON.stringify(options.layered.documents[options.layer] ?? {}) === JSON.stringify(document)) {
    return { applied: false, restartRequired: [], live: [], layered: options.layered };
  }
  await writeLayer(dataDir, options.layer, document);
  const live: string[] = [];
  const restartRequired: string[] = [];
  for (const pointer of changed) (options.applyLive(pointer, valueAt(next, pointer)) ? live : restartRequired).push(pointer);
  return { applied: true, restartRequired, live, layered };
}
