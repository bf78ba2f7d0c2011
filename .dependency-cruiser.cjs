/**
 * The import rules of docs/architecture.md, checked by `npm run lint` (and so by .ci/run).
 * Paths are relative to the repository root.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'An import cycle ties modules so that neither can be read, tested or loaded alone.',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'drivers-use-only-the-kernel',
      severity: 'error',
      comment: 'Drivers run on any station and in tests without the daemon: of runtime/ they may use only runtime/kernel/.',
      from: { path: '^drivers/' },
      to: { path: '^runtime/', pathNot: '^runtime/kernel/' },
    },
    {
      name: 'kernel-stands-alone',
      severity: 'error',
      comment: 'runtime/kernel/ is what drivers may import; it imports nothing else of the project.',
      from: { path: '^runtime/kernel/' },
      to: { path: '^(runtime/(?!kernel/)|drivers/|scripts/|test/|flows/)' },
    },
    {
      name: 'product-holds-no-development-tool',
      severity: 'error',
      comment: 'The daemon and the station command never carry the central simulator, the benchmarks or tests.',
      from: { path: '^(runtime|drivers)/' },
      to: { path: '^(scripts|test)/' },
    },
    {
      name: 'tui-speaks-through-control',
      severity: 'error',
      comment: 'The technician UI is a separate process; its only contract with the daemon is runtime/control/.',
      from: { path: '^runtime/tui/' },
      to: { path: '^(drivers/|runtime/(?!tui/|control/|kernel/))' },
    },
    {
      name: 'scripts-not-tests',
      severity: 'error',
      from: { path: '^scripts/' },
      to: { path: '^test/' },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      comment: 'A relative import that points nowhere (packages are checked by tsc). Generated files are not: config-validator.cjs beside the compiled config module, and the compiled modules scripts/build.mjs loads from dist/ (lint runs before the build).',
      from: {},
      to: { couldNotResolve: true, path: '^\\.', pathNot: ['^\\./config-validator\\.cjs$', '^\\.\\./dist/'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
