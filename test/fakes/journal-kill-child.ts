/**
 * The writer the kill -9 test kills: appends batches for ever and prints each acknowledged seq.
 * Bundled to plain JavaScript by the test. Its bytes reach the file only at fdatasync (pageCacheFs),
 * so a kill is a power cut for anything not synced.
 */
import { Journal } from '../../runtime/link/journal.js';
import { pageCacheFs } from './page-cache-fs.js';

const dir = process.argv[2]!;
const clock = { now: () => Date.now(), setTimeout: (f: () => void, ms: number) => setTimeout(f, ms), clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout) };
const logger = { error() {}, warn() {}, info() {}, debug() {}, child() { return logger; } };
const j = new Journal({ dir, idPrefix: 'HCM-BT-001:1', clock: clock as never, logger: logger as never, segmentBytes: Number(process.argv[3] ?? 65536), fs: pageCacheFs });
await j.open();
for (;;) {
  const batch = [];
  for (let k = 0; k < 1 + Math.floor(Math.random() * 10); k++) {
    batch.push(j.append({ kind: 'payment', body: { amount: 50000, pad: 'x'.repeat(Math.floor(Math.random() * 300)) } })
      .then((r) => process.stdout.write(`ack ${r.seq}\n`)));
  }
  await Promise.all(batch);
}
