/**
 * Entry of the daemon bundle (`dist/bundle/daemon.cjs`): `station start`, compiled to one CommonJS
 * file so the launcher can run it through V8's code cache (runtime/launcher.ts).
 */
import { runDaemonCommand } from './main.js';

runDaemonCommand(process.argv.slice(3), { stderr: (s) => process.stderr.write(s) }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`station: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
