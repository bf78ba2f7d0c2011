/**
 * Reading flow files and hashing them: the light half of the flow bundle, kept apart so a station
 * starting from its build-time bundle cache loads neither the YAML parser nor the schema validator.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FlowProblem } from './problems.js';

export interface FlowSource {
  /** File name, e.g. `health-check.yaml`. */
  name: string;
  text: string;
}

/** Content hash of a set of flow sources, independent of their order. */
export function flowSourcesDigest(sources: FlowSource[]): string {
  const hash = createHash('sha256');
  // Code-unit order: the same on every machine, and no ICU collator to build at start (4 ms on a cold start here).
  for (const source of [...sources].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    hash.update(source.name).update('\0').update(source.text).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

/** The flow files of `dir`, its `content/` bundles and its `procedures/` files, as {@link loadFlowBundle} reads them. */
export async function readFlowSources(dir: string): Promise<{ ok: true; sources: FlowSource[] } | { ok: false; problems: FlowProblem[] }> {
  const sources: FlowSource[] = [];
  const isFlowFile = (n: string) => /\.(ya?ml|json)$/.test(n) && n !== 'schema.json';
  try {
    for (const name of (await readdir(dir)).filter(isFlowFile)) sources.push({ name, text: await readFile(join(dir, name), 'utf8') });
  } catch (err) {
    return { ok: false, problems: [{ file: dir, path: '', reason: `cannot read the flows directory: ${(err as Error).message}` }] };
  }
  for (const sub of ['content', 'procedures']) {
    const subDir = join(dir, sub);
    if (!existsSync(subDir)) continue;
    for (const name of (await readdir(subDir)).filter(isFlowFile)) {
      sources.push({ name: `${sub}/${name}`, text: await readFile(join(subDir, name), 'utf8') });
    }
  }
  return { ok: true, sources };
}
