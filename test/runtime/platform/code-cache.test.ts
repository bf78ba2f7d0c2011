import t from 'tap';
import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDirectory, cacheFileName, compileWithCodeCache } from '../../../runtime/platform/code-cache.js';

const runs: string[] = (globalThis as { codeCacheRuns?: string[] }).codeCacheRuns = [];

/** A CommonJS bundle with enough functions for V8 to cache, that reports how it was loaded. */
function writeBundle(dir: string, marker: string): string {
  const file = join(dir, 'daemon.cjs');
  const functions = Array.from({ length: 50 }, (_, i) => `function f${i}(x) { return x * ${i} + ${i}; }`).join('\n');
  writeFileSync(
    file,
    `${functions}\nconst { basename } = require('node:path');\nlet sum = 0;\nfor (let i = 0; i < 50; i++) sum += eval('f' + i)(i);\n` +
      `globalThis.codeCacheRuns.push(\`${marker} \${basename(__filename)} \${module.exports === exports} \${sum}\`);\n`,
  );
  return file;
}

t.test('the cache directory: systemd\'s CacheDirectory, else XDG, else ~/.cache; none without a home', async (t) => {
  t.equal(cacheDirectory({ CACHE_DIRECTORY: '/var/cache/citizen-station:/var/cache/other', HOME: '/home/x' }), '/var/cache/citizen-station');
  t.equal(cacheDirectory({ XDG_CACHE_HOME: '/x/cache', HOME: '/home/x' }), '/x/cache/citizen-station');
  t.equal(cacheDirectory({ HOME: '/home/x' }), '/home/x/.cache/citizen-station');
  t.equal(cacheDirectory({}), undefined);
});

t.test('the first start writes the cache, the next uses it; a rebuilt bundle never reads the old one', async (t) => {
  const dir = t.testdir({ cache: {} });
  const cacheDir = join(dir, 'cache');
  const file = writeBundle(dir, 'first');

  const cold = compileWithCodeCache(file, cacheDir);
  t.equal(cold.outcome, 'miss');
  cold.run();
  t.same(runs.splice(0), ['first daemon.cjs true 41650'], 'evaluated as a CommonJS module of its own file');
  t.equal(cold.writeCache(), true);
  t.same(readdirSync(cacheDir), [cacheFileName(file)]);
  t.match(cacheFileName(file), new RegExp(`^daemon\\.cjs-\\d+-\\d+-${process.version.replace(/\./g, '\\.')}-${process.arch}\\.v8cache$`));

  const warm = compileWithCodeCache(file, cacheDir);
  t.equal(warm.outcome, 'hit', 'V8 took the cached data');
  warm.run();
  t.same(runs.splice(0), ['first daemon.cjs true 41650'], 'the cached code runs the same');
  t.equal(warm.writeCache(), false, 'nothing to write on a hit');

  // Same length, other content, a later modification time: a new build.
  writeBundle(dir, 'other');
  utimesSync(file, new Date(), new Date(Date.now() + 60_000));
  const rebuilt = compileWithCodeCache(file, cacheDir);
  t.equal(rebuilt.outcome, 'miss', 'the old build\'s cache is not even read');
  rebuilt.run();
  t.same(runs.splice(0), ['other daemon.cjs true 41650'], 'the new code runs, not the cached old one');
  t.equal(rebuilt.writeCache(), true);
  t.same(readdirSync(cacheDir), [cacheFileName(file)], 'the old build\'s cache file is removed');
});

t.test('data V8 refuses is a miss and is written again; without a usable directory the bundle still runs', async (t) => {
  const dir = t.testdir({ cache: {} });
  const cacheDir = join(dir, 'cache');
  const file = writeBundle(dir, 'refused');
  writeFileSync(join(cacheDir, cacheFileName(file)), Buffer.alloc(4096, 0x5a));
  const refused = compileWithCodeCache(file, cacheDir);
  t.equal(refused.outcome, 'rejected');
  refused.run();
  t.equal(runs.splice(0).length, 1);
  t.equal(refused.writeCache(), true);
  t.not(readFileSync(join(cacheDir, cacheFileName(file)))[0], 0x5a, 'replaced by real cached data');
  t.equal(compileWithCodeCache(file, cacheDir).outcome, 'hit');

  const off = compileWithCodeCache(file, undefined);
  t.equal(off.outcome, 'off');
  t.equal(off.writeCache(), false);

  const blocked = join(dir, 'not-a-directory');
  writeFileSync(blocked, '');
  const unwritable = compileWithCodeCache(file, blocked);
  t.equal(unwritable.outcome, 'miss');
  unwritable.run();
  t.equal(runs.splice(0).length, 1, 'the bundle ran');
  t.equal(unwritable.writeCache(), false, 'a cache that cannot be written is given up quietly');
  t.notOk(existsSync(join(blocked, cacheFileName(file))));
});
