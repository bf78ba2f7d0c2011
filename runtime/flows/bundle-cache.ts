/**
 * The flow bundle as the build checked it. `npm run build` parses and validates flows/ once and
 * writes the bundle beside dist/; at start the station reads the flow files, and when their content
 * hash equals the cached bundle's it uses the cache instead of parsing YAML and compiling the flow
 * schema again: that work is most of a cold start on a Pi-class board. Any edited file changes the
 * hash and the files are checked in full, as before.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { FlowBundleResult } from './problems.js';
import type { FlowBundle } from './types.js';
import { flowSourcesDigest, readFlowSources } from './sources.js';

export async function loadFlowBundleCached(dir: string, cacheFile: string): Promise<FlowBundleResult & { cached?: boolean }> {
  const read = await readFlowSources(dir);
  if (!read.ok) return read;
  const digest = flowSourcesDigest(read.sources);
  try {
    const cached = JSON.parse(await readFile(cacheFile, 'utf8')) as FlowBundle;
    if (cached.digest === digest) return { ok: true, bundle: cached, cached: true };
  } catch {
    // No cache or an unreadable one: check the files in full.
  }
  const { parseFlowBundle } = await import('./bundle.js');
  return parseFlowBundle(read.sources);
}

/** Checks `dir` in full and writes the bundle to `cacheFile`; returns the problems when it is invalid. */
export async function writeFlowBundleCache(dir: string, cacheFile: string): Promise<FlowBundleResult> {
  const { loadFlowBundle } = await import('./bundle.js');
  const result = await loadFlowBundle(dir);
  if (result.ok) await writeFile(cacheFile, JSON.stringify(result.bundle));
  return result;
}
