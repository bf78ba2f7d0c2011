/**
 * Runs the daemon's CommonJS bundle through V8's code cache. Node 20 has no compile cache of its own
 * (`module.enableCompileCache` came with Node 22), and parsing and compiling the bundled daemon at
 * every start was about a third of the start on a small board. The first start compiles as usual;
 * once the station has run for a moment the launcher writes V8's cached data for every function
 * compiled so far, and the next starts deserialize it instead of compiling.
 *
 * The cache file is named after the bundle's size and modification time and Node's version and
 * architecture, so a rebuilt or edited bundle never meets the cache of another (V8 itself checks
 * only the source length, its version and its flags). V8 refusing the data (`cachedDataRejected`,
 * e.g. other flags) counts as a miss and the file is written again. Without a writable cache
 * directory the bundle simply runs uncached.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';

export type CacheOutcome = 'hit' | 'miss' | 'rejected' | 'off';

export interface CachedBundle {
  outcome: CacheOutcome;
  /** The cache file this bundle and this Node use; undefined without a cache directory. */
  cacheFile: string | undefined;
  /** Evaluates the bundle as Node's CommonJS loader would (`require`, `module`, `__filename` of the file). */
  run(): unknown;
  /**
   * Writes V8's cached data for what has been compiled so far (nothing to do on a hit). Returns
   * whether a file was written; a failure (read-only or full disk) leaves the station uncached.
   */
  writeCache(): boolean;
}

/**
 * Where the cache lives: systemd's `CacheDirectory=` (`$CACHE_DIRECTORY`, the first when several
 * are given), else `$XDG_CACHE_HOME` or `~/.cache`, under `citizen-station`.
 */
export function cacheDirectory(env: Record<string, string | undefined>): string | undefined {
  const systemd = env.CACHE_DIRECTORY?.split(':')[0];
  if (systemd) return systemd;
  const base = env.XDG_CACHE_HOME || (env.HOME ? join(env.HOME, '.cache') : undefined);
  return base ? join(base, 'citizen-station') : undefined;
}

/** Cache file name for `bundle` under this Node; other names in the directory belong to other builds. */
export function cacheFileName(bundle: string): string {
  const { size, mtimeMs } = statSync(bundle);
  return `${basename(bundle)}-${size}-${Math.trunc(mtimeMs)}-${process.version}-${process.arch}.v8cache`;
}

/** Compiles the CommonJS bundle `file`, from V8's cached data when there is some that fits. */
export function compileWithCodeCache(file: string, cacheDir: string | undefined): CachedBundle {
  const cacheFile = cacheDir ? join(cacheDir, cacheFileName(file)) : undefined;
  let cachedData: Buffer | undefined;
  if (cacheFile) {
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      // No cache yet: compiled from source, written by writeCache().
    }
  }
  const source = readFileSync(file, 'utf8');
  // The wrapper of Node's CommonJS loader, on the bundle's first line so line numbers stay true.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) { ${source}\n})`, {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
  });
  const outcome: CacheOutcome = !cacheFile ? 'off' : !cachedData ? 'miss' : script.cachedDataRejected ? 'rejected' : 'hit';
  return {
    outcome,
    cacheFile,
    run: () => {
      const module = { exports: {} };
      (script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
      return module.exports;
    },
    writeCache: () => {
      if (!cacheFile || outcome === 'hit') return false;
      try {
        mkdirSync(dirname(cacheFile), { recursive: true, mode: 0o700 });
        const partial = `${cacheFile}.${process.pid}`;
        writeFileSync(partial, script.createCachedData(), { mode: 0o600 });
        renameSync(partial, cacheFile);
        // Caches of earlier builds or Node versions are never read again.
        const prefix = `${basename(file)}-`;
        for (const name of readdirSync(dirname(cacheFile))) {
          if (name.startsWith(prefix) && name.endsWith('.v8cache') && name !== basename(cacheFile)) unlinkSync(join(dirname(cacheFile), name));
        }
        return true;
      } catch {
        return false;
      }
    },
  };
}
