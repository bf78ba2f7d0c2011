/**
 * Config layers for a station whose root file system is read-only. Lowest first:
 *
 *   factory     the file given to `station start --config` (/etc/citizen-station/station.json, read-only)
 *   site        written once by provisioning for this lobby
 *   desired     central's signed desired document (a device-shadow `desired` state)
 *   technician  what a technician applied on site (`config.apply`)
 *
 * Each upper layer is a JSON Merge Patch (RFC 7396) over the ones below; the merge is validated with
 * the schema, which fills the defaults. The three upper layers live in `{dataDir}/config/` on the
 * writable data partition and are written with the durable write, so a change survives a reboot of a
 * read-only root; the factory file is never written. `dataDir` itself comes from the factory file
 * (or `--data`) alone: the layers are found under it.
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeFileDurable } from '../kernel/durable-file.js';
import { StationError } from '../kernel/errors.js';
import { formatProblems, parseConfigText, validateConfig, type ConfigProblem, type StationConfig } from './config.js';
import { applyMergePatch, isJsonObject, leafPointers, pointerToken, type JsonObject } from './merge-patch.js';
import { CONFIG_VERSION, migrateConfig } from './migrations.js';

export const LAYER_NAMES = ['factory', 'site', 'desired', 'technician'] as const;
export type LayerName = (typeof LAYER_NAMES)[number];
export type WritableLayer = Exclude<LayerName, 'factory'>;
/** Where a value of the running config came from: a layer, or the schema's default. */
export type ConfigOrigin = LayerName | 'default';

export interface LayerInfo {
  name: LayerName;
  file: string;
  present: boolean;
  /** The format version the file was written in, before migration. */
  fromVersion?: number;
}

export interface LayeredConfig {
  config: StationConfig;
  /** Layer documents after migration (merge patches; the factory is a whole document). */
  documents: Partial<Record<LayerName, JsonObject>>;
  layers: LayerInfo[];
  /** JSON pointer of every leaf of `config` → where it came from. */
  origins: Record<string, ConfigOrigin>;
}

export interface LayerLocation {
  factoryFile: string;
  /** Overrides the factory file's `dataDir` (`station start --data`). */
  dataDir?: string;
}

/** The folder of the writable layers. */
export function layerDir(dataDir: string): string {
  return join(dataDir, 'config');
}

export function layerFile(dataDir: string, layer: WritableLayer): string {
  return join(layerDir(dataDir), `${layer}.json`);
}

function fail(file: string, problems: ConfigProblem[]): never {
  throw new StationError('CONFIG_INVALID', formatProblems(file, problems).join('\n'), { details: { problems, file } });
}

/** Reads one layer file; undefined when it does not exist. Throws CONFIG_INVALID naming the file. */
function readLayer(file: string, required: boolean): { document: JsonObject; fromVersion: number } | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (!required && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    fail(file, [{ path: '', message: `cannot read file: ${(err as Error).message}` }]);
  }
  const parsed = parseConfigText(text);
  if (!parsed.ok) fail(file, parsed.problems);
  const migrated = migrateConfig(parsed.value);
  if (!migrated.ok) fail(file, migrated.problems);
  return { document: migrated.document, fromVersion: migrated.from };
}

/** A layer above the factory may not move the data directory its own file lives in. */
export function layerProblems(document: JsonObject): ConfigProblem[] {
  return 'dataDir' in document ? [{ path: '/dataDir', message: 'the data directory is set by the factory file or --data only, never by a layer' }] : [];
}

/** Merges the layers given (lowest first) and validates the result. */
export function mergeLayers(documents: Partial<Record<LayerName, JsonObject>>): { merged: unknown; result: ReturnType<typeof validateConfig> } {
  let merged: unknown = {};
  for (const name of LAYER_NAMES) {
    const document = documents[name];
    if (document) merged = applyMergePatch(merged, document);
  }
  if (isJsonObject(merged)) merged.version = CONFIG_VERSION;
  return { merged, result: validateConfig(merged) };
}

/**
 * Which layer set each leaf: the topmost layer whose patch reached it, else the schema default.
 * A patch replacing a whole object or array owns everything under it.
 */
export function configOrigins(config: unknown, documents: Partial<Record<LayerName, JsonObject>>): Record<string, ConfigOrigin> {
  const owner = new Map<string, LayerName>();
  const clearUnder = (pointer: string) => {
    for (const key of [...owner.keys()]) if (key === pointer || key.startsWith(`${pointer}/`)) owner.delete(key);
  };
  const walk = (patch: JsonObject, base: string, layer: LayerName) => {
    for (const [key, value] of Object.entries(patch)) {
      const pointer = `${base}/${pointerToken(key)}`;
      if (isJsonObject(value)) {
        owner.delete(pointer);
        walk(value, pointer, layer);
      } else {
        clearUnder(pointer);
        if (value !== null) owner.set(pointer, layer);
      }
    }
  };
  for (const name of LAYER_NAMES) {
    const document = documents[name];
    if (document) walk(document, '', name);
  }
  const origins: Record<string, ConfigOrigin> = {};
  for (const leaf of leafPointers(config)) {
    let origin: ConfigOrigin = 'default';
    for (let p = leaf; p.length > 0; p = p.slice(0, p.lastIndexOf('/'))) {
      const found = owner.get(p);
      if (found) {
        origin = found;
        break;
      }
    }
    origins[leaf] = origin;
  }
  return origins;
}

/**
 * Reads the factory file and the layers above it, migrates each, merges and validates. Throws
 * CONFIG_INVALID naming the file (and path) at fault; a broken upper layer names its own file, so a
 * technician knows which to remove to get the factory behaviour back.
 */
export function loadLayeredConfig(location: LayerLocation): LayeredConfig {
  const factoryFile = resolve(location.factoryFile);
  const factory = readLayer(factoryFile, true)!;
  const factoryChecked = validateConfig(factory.document);
  if (!factoryChecked.ok) fail(factoryFile, factoryChecked.problems);
  const dataDir = resolve(location.dataDir ?? factoryChecked.config.dataDir);
  const documents: Partial<Record<LayerName, JsonObject>> = { factory: factory.document };
  const layers: LayerInfo[] = [{ name: 'factory', file: factoryFile, present: true, fromVersion: factory.fromVersion }];
  for (const name of LAYER_NAMES) {
    if (name === 'factory') continue;
    const file = layerFile(dataDir, name);
    const layer = readLayer(file, false);
    layers.push({ name, file, present: layer !== undefined, ...(layer ? { fromVersion: layer.fromVersion } : {}) });
    if (!layer) continue;
    const problems = layerProblems(layer.document);
    if (problems.length > 0) fail(file, problems);
    documents[name] = layer.document;
  }
  const { result } = mergeLayers(documents);
  if (!result.ok) {
    // Name the lowest layer with which the merge stops being valid: that file is the one to fix.
    const culprit = layers.find((l, i) => l.present && !mergeLayers(Object.fromEntries(LAYER_NAMES.slice(0, i + 1).map((n) => [n, documents[n]]))).result.ok);
    fail(culprit?.file ?? factoryFile, result.problems);
  }
  const config = { ...result.config, dataDir };
  return { config, documents, layers, origins: configOrigins(config, documents) };
}

/** Writes (or, with undefined, empties) one upper layer durably on the data partition. */
export async function writeLayer(dataDir: string, layer: WritableLayer, document: JsonObject | undefined): Promise<string> {
  const file = layerFile(dataDir, layer);
  await mkdir(layerDir(dataDir), { recursive: true, mode: 0o750 });
  const body = { version: CONFIG_VERSION, ...(document ?? {}) };
  await writeFileDurable(file, JSON.stringify(body, null, 2) + '\n', 0o640);
  return file;
}
