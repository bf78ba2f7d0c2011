// Compiles the TypeScript sources to dist/ (production never runs a TypeScript loader) and copies
// the static files the runtime serves or reads beside the compiled code.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
for (const dir of ['runtime/display/static', 'runtime/i18n']) {
  if (existsSync(dir)) cpSync(dir, `dist/${dir}`, { recursive: true, filter: (src) => !src.endsWith('.ts') });
}
chmodSync('dist/runtime/cli.js', 0o755);

// The flow bundle checked once here, so a station does not parse YAML or compile the flow schema
// at every start (runtime/flow-bundle-cache.ts).
const { writeFlowBundleCache } = await import('../dist/runtime/flow-bundle-cache.js');
const flows = await writeFlowBundleCache('flows', 'dist/flows-bundle.json');
if (!flows.ok) {
  for (const p of flows.problems) console.error(`flows/${p.file} ${p.path || '/'}: ${p.reason}`);
  process.exit(1);
}
