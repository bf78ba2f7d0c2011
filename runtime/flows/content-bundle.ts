/**
 * Content bundles: pages central can update without touching a flow (tourism and local notices).
 * A bundle is `flows/content/<id>.yaml`, checked against `flows/content/schema.json`; a bad one is
 * refused with file, JSON path and reason, like a flow file, and the caller keeps its last good one.
 * The `info` step's `contentFrom: <id>` shows one page per item in force today (runtime/flows/content-pages.ts,
 * which the engine loads without this parser).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ValidateFunction } from 'ajv';
import type { ContentBundle } from './content-pages.js';
import contentSchema from '../../flows/content/schema.json' with { type: 'json' };

export type { ContentBundle, ContentItem } from './content-pages.js';

export interface ContentProblem {
  file: string;
  path: string;
  reason: string;
}

export type ContentBundleResult = { ok: true; bundle: ContentBundle } | { ok: false; problems: ContentProblem[] };

const require = createRequire(import.meta.url);
let compiled: ValidateFunction | undefined;

/** The station's own flows/content/schema.json, compiled in (never a pushed one). */
function contentValidator(): ValidateFunction {
  if (compiled) return compiled;
  const AjvCtor = require('ajv') as typeof import('ajv').default;
  compiled = new AjvCtor({ allErrors: true, strict: false }).compile(contentSchema as object);
  return compiled;
}

/** Checks one bundle's text; `file` is its name, e.g. `notices.yaml`. */
export function parseContentBundle(file: string, text: string): ContentBundleResult {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (err) {
    return { ok: false, problems: [{ file, path: '', reason: `not valid YAML: ${(err as Error).message.split('\n')[0]}` }] };
  }
  const validate = contentValidator();
  if (!validate(value)) {
    return {
      ok: false,
      problems: (validate.errors ?? []).map((e) => {
        let reason = e.message ?? 'is invalid';
        if (e.keyword === 'additionalProperties') reason = `has an unknown field "${String((e.params as { additionalProperty: string }).additionalProperty)}"`;
        return { file, path: e.instancePath, reason };
      }),
    };
  }
  const bundle = value as ContentBundle;
  const expectedId = file.replace(/\.(ya?ml|json)$/, '');
  if (bundle.id !== expectedId) return { ok: false, problems: [{ file, path: '/id', reason: `must equal the file name "${expectedId}"` }] };
  const seen = new Set<string>();
  for (const [i, item] of bundle.items.entries()) {
    if (seen.has(item.id)) return { ok: false, problems: [{ file, path: `/items/${i}/id`, reason: `item id "${item.id}" appears twice` }] };
    seen.add(item.id);
  }
  return { ok: true, bundle };
}

/** Reads `<dir>/<id>.yaml`. */
export async function loadContentBundle(dir: string, id: string): Promise<ContentBundleResult> {
  const file = `${id}.yaml`;
  let text: string;
  try {
    text = await readFile(join(dir, file), 'utf8');
  } catch (err) {
    return { ok: false, problems: [{ file, path: '', reason: `cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }] };
  }
  return parseContentBundle(file, text);
}
