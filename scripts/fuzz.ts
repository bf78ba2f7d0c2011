/**
 * `npm run fuzz`: every frame parser's properties, 100 000 runs each, from a printed seed so a
 * failure can be replayed (`npm run fuzz -- --seed N --runs M`). I2C targets join in when
 * scripts/fuzz-targets-i2c.ts exports `i2cFuzzTargets` in the same shape. Exits 1 on any failure.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { countFailures, serialFuzzTargets } from './fuzz-targets.js';
import type { FuzzTarget } from './fuzz-targets.js';

function option(name: string): number | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : undefined;
}

async function i2cTargets(): Promise<FuzzTarget[]> {
  const here = dirname(fileURLToPath(import.meta.url));
  const file = join(here, 'fuzz-targets-i2c.js');
  if (!existsSync(file)) return [];
  const mod = (await import(pathToFileURL(file).href)) as { i2cFuzzTargets?: FuzzTarget[] };
  return mod.i2cFuzzTargets ?? [];
}

async function main(): Promise<void> {
  const runs = option('runs') ?? 100_000;
  const seed = option('seed') ?? (Date.now() ^ (process.pid << 8)) >>> 0;
  const targets = [...serialFuzzTargets, ...(await i2cTargets())];
  console.log(`fuzz: seed ${seed}, ${runs} runs per property, ${targets.length} parsers`);
  let total = 0;
  for (const target of targets) {
    for (const property of target.properties) {
      const started = process.hrtime.bigint();
      const { failures, example } = countFailures(property, runs, seed);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      total += failures;
      console.log(`${target.name.padEnd(16)} ${property.name.padEnd(72)} failures ${String(failures).padStart(6)}  ${ms.toFixed(0)} ms`);
      if (example !== undefined) console.log(`  first failing input: ${JSON.stringify(example).slice(0, 500)}`);
    }
  }
  console.log(`fuzz: seed ${seed}, total failures ${total}`);
  process.exitCode = total === 0 ? 0 : 1;
}

await main();
