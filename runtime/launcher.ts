#!/usr/bin/env node
/**
 * The `station` command as installed (`dist/bundle/station.cjs`, the package's bin and the unit's
 * ExecStart). `station start` runs the daemon bundle (`daemon.cjs`, CommonJS) through V8's code
 * cache (runtime/platform/code-cache.ts), so a restart of the kiosk does not compile the daemon again; every
 * other subcommand loads the ES module command (`cli.js`). Like the composition root, this entry
 * reads the environment: only for where the cache lives. How the bundle was compiled goes to the
 * daemon as an argument, for its ready line.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDirectory, compileWithCodeCache } from './platform/code-cache.js';

/** Long enough for the start to have compiled what it runs; the daemon is ready well before. */
const cacheWriteDelayMs = 3000;

const here = dirname(fileURLToPath(import.meta.url));
if (process.argv[2] === 'start') {
  const daemon = compileWithCodeCache(join(here, 'daemon.cjs'), cacheDirectory(process.env));
  const bundle = daemon.run() as { startDaemon(args: string[], codeCache: string): void };
  bundle.startDaemon(process.argv.slice(3), daemon.outcome);
  if (daemon.outcome === 'miss' || daemon.outcome === 'rejected') setTimeout(() => daemon.writeCache(), cacheWriteDelayMs).unref();
} else {
  void import('./cli.js');
}
