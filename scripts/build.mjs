// Compiles the TypeScript sources to dist/ (production never runs a TypeScript loader), copies the
// static files the runtime serves or reads beside the compiled code, checks the flows and the config
// schema once, and bundles the `station` command into dist/bundle/ for a quick start on the board.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
for (const dir of ['runtime/display/static', 'runtime/flows/i18n']) {
  if (existsSync(dir)) cpSync(dir, `dist/${dir}`, { recursive: true, filter: (src) => !src.endsWith('.ts') });
}
chmodSync('dist/runtime/cli.js', 0o755);
// When this build was made: a board without a clock chip that says earlier has not synced its time
// yet (runtime/platform/time-trust.ts). SOURCE_DATE_EPOCH keeps reproducible builds reproducible.
const builtAt = process.env.SOURCE_DATE_EPOCH ? Number(process.env.SOURCE_DATE_EPOCH) * 1000 : Date.now();
writeFileSync('dist/build-info.json', JSON.stringify({ builtAt: new Date(builtAt).toISOString() }) + '\n');

// The config validator generated ahead of time with ajv's standalone code (runtime/config/config.ts).
const require = createRequire(import.meta.url);
const Ajv = require('ajv').default;
const standaloneCode = require('ajv/dist/standalone').default;
const { ajvOptions } = await import('../dist/runtime/config/config.js');
const ajv = new Ajv({ ...ajvOptions, code: { source: true } });
writeFileSync('dist/runtime/config/config-validator.cjs', standaloneCode(ajv, ajv.compile(JSON.parse(readFileSync('config/schema.json', 'utf8')))));

// The flow bundle checked once here, so a station does not parse YAML or compile the flow schema
// at every start (runtime/flows/bundle-cache.ts).
const { writeFlowBundleCache } = await import('../dist/runtime/flows/bundle-cache.js');
const flows = await writeFlowBundleCache('flows', 'dist/flows-bundle.json');
if (!flows.ok) {
  for (const p of flows.problems) console.error(`flows/${p.file} ${p.path || '/'}: ${p.reason}`);
  process.exit(1);
}

const { build } = await import('esbuild');
// Modules that packages require but the station never runs, replaced in the bundle by stand-ins
// that throw a clear error if ever used: neither parsed nor evaluated at start, fewer Node
// built-ins loaded. johnny-five's Board requires its REPL (Node's repl, readline, vm, domain) when it
// loads and firmata when given no IO plugin; the station always hands it an IO plugin with `repl:
// false` (drivers/indicators.ts). mqtt.js requires worker-timers (with @babel/runtime) for
// browser tabs; in Node it always takes the native timers.
const standIns = [
  { importer: /johnny-five[\\/]lib[\\/]board\.js$/, request: './repl', contents: "module.exports = class Repl { constructor() { throw new Error('the johnny-five REPL is not in the station bundle: create boards with repl: false'); } };" },
  { importer: /johnny-five[\\/]lib[\\/]board\.js$/, request: 'firmata', contents: "module.exports = { get Board() { throw new Error('firmata is not in the station bundle: give johnny-five an IO plugin'); } };" },
  { importer: /mqtt[\\/]build[\\/]lib[\\/]get-timer\.js$/, request: 'worker-timers', contents: "const refuse = () => { throw new Error('worker timers are not in the station bundle: mqtt.js uses the native timers in Node'); }; module.exports = { setInterval: refuse, clearInterval: refuse };" },
];
const unusedParts = {
  name: 'unused-package-parts',
  setup(b) {
    b.onResolve({ filter: /^(\.\/repl|firmata|worker-timers)$/ }, (args) => {
      const index = standIns.findIndex((s) => s.request === args.path && s.importer.test(args.importer));
      return index < 0 ? undefined : { path: String(index), namespace: 'stand-in' };
    });
    b.onLoad({ filter: /.*/, namespace: 'stand-in' }, (args) => ({ contents: standIns[Number(args.path)].contents, loader: 'js' }));
  },
};
// The station's commands as ES module chunks (esbuild, code split at each lazy import): loading a
// hundred small modules from an SD card was a large part of a cold start. Native addons and the
// packages loaded only by other commands stay outside; so does ajv, whose generated validator
// requires its runtime helpers by path.
const common = {
  plugins: [unusedParts],
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  // Whitespace and syntax only, names kept for stack traces: V8 keeps the source of every loaded
  // chunk in memory, and the smaller text is 2.5 MB less resident on the board.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  external: ['i2c-bus', 'onoff', 'epoll', 'node-pty', 'unix-dgram', 'serialport', '@serialport/bindings-cpp', 'ajv', 'ink', 'react', 'yoga-layout', 'playwright-core', '@pokusew/pcsclite'],
};
// The product's bundles hold no development tool: the central simulator, the fleet simulator and
// the benchmarks stay in scripts/, which only `npm start` and the developers' commands load.
function refuseDevelopmentCode(result, bundle) {
  const dev = Object.keys(result.metafile.inputs).filter((input) => input.startsWith('scripts/') || input.startsWith('test/'));
  if (dev.length > 0) {
    console.error(`${bundle}: holds development code (${dev.join(', ')}): the product must not import scripts/ or test/`);
    process.exit(1);
  }
}
refuseDevelopmentCode(await build({
  ...common,
  metafile: true,
  entryPoints: ['runtime/cli.ts'],
  outdir: 'dist/bundle',
  splitting: true,
  format: 'esm',
  // CommonJS packages bundled into ES modules still call require() for Node's built-ins.
  banner: { js: "import { createRequire as __stationRequire } from 'node:module'; const require = __stationRequire(import.meta.url);" },
}), 'dist/bundle/cli.js');
// `station start` as one CommonJS file that the launcher runs through V8's code cache
// (runtime/platform/code-cache.ts). Its lazy imports become lazy requires, so it loads no module through
// import(), which a vm.Script could only do with an experimental flag.
// What a station in service never runs stays in node_modules, required only when used: mqtt.js's
// full client (ws:// brokers and the central simulator), yaml (checking edited or pushed flow
// files) and aedes (the development broker). V8 holds the whole daemon bundle's text in memory.
const onDemand = {
  name: 'on-demand-packages',
  setup(b) {
    b.onResolve({ filter: /^(mqtt|yaml|aedes)$/ }, (args) => ({ path: args.path, external: true }));
  },
};
// CommonJS output: `import.meta.url` of the sources becomes the file's own URL.
const commonJs = {
  format: 'cjs',
  define: { 'import.meta.url': '__stationModuleUrl' },
  banner: { js: "const __stationModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
};
refuseDevelopmentCode(await build({
  ...common,
  ...commonJs,
  metafile: true,
  plugins: [...common.plugins, onDemand],
  entryPoints: ['runtime/daemon.ts'],
  outfile: 'dist/bundle/daemon.cjs',
  supported: { 'dynamic-import': false },
}), 'dist/bundle/daemon.cjs');
// V8 keeps a script's source in memory, as one byte a character only while all of it is ASCII: a
// single non-ASCII character (a `/đ/` in a regex, which esbuild cannot escape) doubles it.
const daemonSource = readFileSync('dist/bundle/daemon.cjs', 'latin1');
const wide = daemonSource.search(/[^\x00-\x7f]/);
if (wide >= 0) {
  console.error(`dist/bundle/daemon.cjs: non-ASCII text near "${daemonSource.slice(Math.max(0, wide - 60), wide + 20)}": write it as a \\u escape in the source`);
  process.exit(1);
}
// The installed `station` command (bin, the unit's ExecStart): a few lines of CommonJS.
await build({
  ...common,
  ...commonJs,
  entryPoints: ['runtime/launcher.ts'],
  outfile: 'dist/bundle/station.cjs',
  external: [...common.external, './cli.js'],
});
cpSync('dist/runtime/config/config-validator.cjs', 'dist/bundle/config-validator.cjs');
chmodSync('dist/bundle/cli.js', 0o755);
chmodSync('dist/bundle/station.cjs', 0o755);
