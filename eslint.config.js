// Code lint (`npm run lint`); the import rules between rooms are in .dependency-cruiser.cjs.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-output/**', 'runtime/display/static/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      // A leading underscore marks a parameter an interface requires, or a field left out of a copy.
      // A variable a closure reads before its one assignment (a timer the abort handler clears) stays `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // A source file over 500 lines says why at its top (an eslint-disable comment with the reason).
    files: ['runtime/**', 'drivers/**'],
    rules: { 'max-lines': ['error', { max: 500 }] },
  },
  {
    // Only the composition root and the installed launcher read the environment (docs/architecture.md).
    files: ['runtime/**', 'drivers/**'],
    ignores: ['runtime/main.ts', 'runtime/launcher.ts'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'only runtime/main.ts reads the environment; take the value as a parameter' }],
    },
  },
  {
    // Tests build partial configs and payloads on purpose.
    files: ['test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
