/**
 * JSON Merge Patch (RFC 7396): how one config layer changes the ones below it. An object merges key
 * by key, `null` removes a key, anything else (arrays included) replaces. The same rules as central's
 * device-shadow documents, so a desired document from central is a layer as it stands.
 */

export type JsonObject = { [key: string]: unknown };

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 7396 §2 MergePatch(target, patch); returns a new value, the inputs are not changed. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return structuredClone(patch);
  const result: JsonObject = isJsonObject(target) ? structuredClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

/**
 * The smallest patch that turns `from` into `to`: only what differs, `null` for a removed key.
 * `applyMergePatch(from, createMergePatch(from, to))` equals `to` whenever `to` holds no null value.
 */
export function createMergePatch(from: unknown, to: unknown): unknown {
  if (!isJsonObject(from) || !isJsonObject(to)) return structuredClone(to);
  const patch: JsonObject = {};
  for (const key of Object.keys(from)) if (!(key in to)) patch[key] = null;
  for (const [key, value] of Object.entries(to)) {
    if (!(key in from)) patch[key] = structuredClone(value);
    else if (JSON.stringify(from[key]) !== JSON.stringify(value)) patch[key] = createMergePatch(from[key], value);
  }
  return patch;
}

/** Escapes one key for a JSON pointer (RFC 6901 §3). */
export function pointerToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Every leaf of a document as a JSON pointer; an array or an empty object counts as one leaf. */
export function leafPointers(value: unknown, base = ''): string[] {
  if (!isJsonObject(value) || Object.keys(value).length === 0) return [base || '/'];
  return Object.entries(value).flatMap(([k, v]) => leafPointers(v, `${base}/${pointerToken(k)}`));
}

/** The value at a JSON pointer, or undefined. */
export function valueAt(document: unknown, pointer: string): unknown {
  if (pointer === '/' || pointer === '') return document;
  return pointer
    .split('/')
    .slice(1)
    .reduce<unknown>((o, k) => (isJsonObject(o) ? o[k.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined), document);
}
