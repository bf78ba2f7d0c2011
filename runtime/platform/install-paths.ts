/**
 * Where the station is installed: the folder holding package.json, config/, flows/ and dist/. An
 * entry point (runtime/main.ts, runtime/cli.ts, a script) finds it once from its own location and
 * passes it down; no other module looks for its own install folder.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface InstallPaths {
  /** The package root. */
  root: string;
  /** The package version from package.json. */
  version: string;
  /** The flow files shipped with this version. */
  flowsDir: string;
  /** The flow bundle `npm run build` checked (runtime/flows/bundle-cache.ts). */
  flowBundleCache: string;
  /** The resident page's files: the compiled copy when running from dist/, else the sources. */
  displayAssets: string;
}

/** The paths of the installation at `root`; `compiled` when the code runs from dist/. */
export function installPathsAt(root: string, options: { version?: string; compiled?: boolean } = {}): InstallPaths {
  return {
    root,
    version: options.version ?? '0.0.0',
    flowsDir: join(root, 'flows'),
    flowBundleCache: join(root, 'dist', 'flows-bundle.json'),
    displayAssets: options.compiled ? join(root, 'dist', 'runtime', 'display', 'static') : join(root, 'runtime', 'display', 'static'),
  };
}

/** Walks up from the entry module `entryUrl` (its `import.meta.url`) to the citizen-station package. */
export function findInstallPaths(entryUrl: string): InstallPaths {
  const entry = fileURLToPath(entryUrl);
  const compiled = entry.split(sep).includes('dist');
  let dir = dirname(entry);
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'citizen-station') return installPathsAt(dir, { compiled, ...(pkg.version ? { version: pkg.version } : {}) });
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`no citizen-station package.json above ${entry}`);
    dir = up;
  }
}
