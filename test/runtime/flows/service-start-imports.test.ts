import t from 'tap';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Metafile } from 'esbuild';

// The flow service starts from the bundle the build checked (runtime/flows/bundle-cache.ts); the YAML
// parser (the largest piece of the station's bundle) and the flow checker with its ajv schemas must be
// reached only through a dynamic import(), so that start never loads or compiles them. This bundles
// the service the way scripts/build.mjs bundles the station (esbuild, ESM chunks split at each
// import()) and follows the chunks the service's own chunk imports statically.
const root = fileURLToPath(new URL('../../../', import.meta.url));

async function serviceChunks(): Promise<{ outputs: Metafile['outputs']; entry: string; reached: Set<string>; lazy: Set<string> }> {
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['runtime/flows/service.ts'],
    outdir: 'out',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    write: false,
    metafile: true,
    logLevel: 'silent',
    external: ['ajv'],
  });
  const outputs = result.metafile.outputs;
  const entry = Object.keys(outputs).find((o) => outputs[o]?.entryPoint === 'runtime/flows/service.ts');
  if (!entry) throw new Error('no output for runtime/flows/service.ts');
  const reached = new Set<string>();
  const lazy = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const out = queue.shift() as string;
    if (reached.has(out)) continue;
    reached.add(out);
    for (const imp of outputs[out]?.imports ?? []) {
      if (imp.kind === 'dynamic-import') lazy.add(imp.path);
      else if (!imp.external) queue.push(imp.path);
    }
  }
  return { outputs, entry, reached, lazy };
}

t.test('starting the flow service loads no YAML parser, flow checker or ajv', async (t) => {
  const { outputs, reached, lazy } = await serviceChunks();
  const inputsOf = (outs: Iterable<string>) => [...outs].flatMap((o) => Object.keys(outputs[o]?.inputs ?? {}));
  const started = inputsOf(reached);

  t.ok(started.includes('runtime/flows/engine.ts'), 'the engine is on the start path (the check covers it)');
  t.ok(started.includes('runtime/flows/content-pages.ts'), 'content pages are on the start path');
  t.same(started.filter((i) => i.includes('node_modules/yaml/')), [], 'no yaml source is statically reachable');
  t.same(started.filter((i) => /runtime\/(flow|content)-bundle\.ts$/.test(i)), [], 'the checkers are not statically reachable');
  const externals = [...reached].flatMap((o) => (outputs[o]?.imports ?? []).filter((i) => i.external && i.kind !== 'dynamic-import').map((i) => i.path));
  t.notOk(externals.includes('ajv'), 'ajv is not imported at start');

  const later = inputsOf([...lazy].filter((o) => !reached.has(o)));
  t.ok(later.some((i) => i.includes('node_modules/yaml/')), 'yaml is in a chunk loaded through import()');
  t.ok(later.includes('runtime/flows/bundle.ts'), 'the flow checker is loaded through import()');
});
