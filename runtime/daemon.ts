/**
 * Entry of the daemon bundle (`dist/bundle/daemon.cjs`): `station start`, compiled to one CommonJS
 * file so the launcher can run it through V8's code cache (runtime/launcher.ts), which calls
 * {@link startDaemon} with how the bundle was compiled.
 */
import type { CacheOutcome } from './platform/code-cache.js';
import { runDaemonCommand } from './main.js';

/** `station start ARGS`; sets the exit code when the daemon ends. */
export function startDaemon(args: string[], codeCache: CacheOutcome | 'none'): void {
  runDaemonCommand(args, { stderr: (s) => process.stderr.write(s) }, { codeCache }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`station: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
