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
