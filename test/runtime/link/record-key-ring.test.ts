// Crypto-shredding: a released personal record cannot be read from the data directory, even with the master key.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Journal } from '../../../runtime/link/journal.js';
import { CryptoBox } from '../../../runtime/link/crypto-box.js';
import { FileKeyStore } from '../../../runtime/link/key-store.js';
import { RecordKeyRing } from '../../../runtime/link/record-key-ring.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { silentLogger, tempDir } from '../../fakes/link-test-kit.js';
import { readDataDir } from '../../fakes/data-dir-forensics.js';

const logger = silentLogger();

async function open(dataDir: string, master: CryptoBox, legacy: CryptoBox | null = null) {
  const ring = new RecordKeyRing({ dir: join(dataDir, 'keys'), keyStore: new FileKeyStore(master), logger, legacy });
  await ring.load();
  const journal = new Journal({ dir: join(dataDir, 'journal'), idPrefix: 'hcm-bt-01:1', clock: new ManualClock(), logger, box: ring });
  const report = await journal.open();
  await ring.retainOnly(journal.unreleased().map((r) => r.eventId));
  return { ring, journal, report };
}

const canary = (i: number) => `07920100${String(1000 + i)}`;

t.test('released personal records: 0 canary values in the data directory, even with the master key', async (t) => {
  const dataDir = await tempDir(t);
  const master = new CryptoBox(randomBytes(32));
  const { ring, journal } = await open(dataDir, master);
  const canaries = Array.from({ length: 20 }, (_, i) => canary(i));
  const records = [];
  for (const c of canaries) records.push(await journal.append({ kind: 'health-record', personal: true, body: { cccd: c, name: `Nguyễn Văn ${c}` } }));
  await journal.append({ kind: 'analytics', body: { sessions: 1 } });
  await ring.settle();
  const before = await readDataDir(dataDir, canaries, master);
  t.equal(before.inClear, 0, 'sealed: nothing in clear before release');
  t.equal(before.withMasterKey, 20, 'the forensic read works: with the master key every unreleased canary is found');

  await ring.settle();
  await journal.release(records.slice(0, 15).map((r) => r.seq));
  await ring.shred(records.slice(0, 15).map((r) => r.eventId));
  const after = await readDataDir(dataDir, canaries, master);
  t.equal(after.inClear, 0);
  t.equal(after.withMasterKey, 5, 'only the 5 unreleased records open; the 15 released ones do not, at once');
  t.ok(after.sealedBodies >= 20, 'though their ciphertext is still in the active segment');
  t.comment(`figure: data dir after release of 15 of 20 personal records: ${after.inClear} in clear, ${after.withMasterKey - 5} of 15 released readable with the master key, ${after.sealedBodies} sealed bodies on disk`);

  await journal.close();
  const again = await open(dataDir, master);
  t.equal(again.report.quarantined.length, 0, 'a shredded record reads as released on restart, not as damage');
  t.same(again.journal.unreleased().filter((r) => r.personal).map((r) => r.body.cccd), canaries.slice(15), 'the unreleased ones still open after a restart');
  await again.journal.close();
  await again.ring.settle();
});

t.test('a crash between the release marker and the key destruction: the next start destroys the keys', async (t) => {
  const dataDir = await tempDir(t);
  const master = new CryptoBox(randomBytes(32));
  const { journal, ring } = await open(dataDir, master);
  const canaries = [canary(1), canary(2)];
  const a = await journal.append({ kind: 'report', personal: true, body: { cccd: canaries[0] } });
  await journal.append({ kind: 'report', personal: true, body: { cccd: canaries[1] } });
  await journal.release([a.seq]);
  await journal.close();
  await ring.settle();
  t.equal((await readDataDir(dataDir, canaries, master)).withMasterKey, 2, 'released, but its key survived the crash');
  const again = await open(dataDir, master);
  t.equal((await readDataDir(dataDir, canaries, master)).withMasterKey, 1, 'after the start only the unreleased record opens');
  t.equal(again.ring.stats().spares, 4, 'spares from before the crash were destroyed and made anew');
  t.equal((await readdir(join(dataDir, 'keys'))).filter((n) => n.endsWith('.key')).length, 5, 'one live key and four spares on disk');
  await again.journal.close();
  await again.ring.settle();
});

t.test('records sealed with the old single journal key still open; a wrong master key opens nothing', async (t) => {
  const dataDir = await tempDir(t);
  const old = new CryptoBox(randomBytes(32));
  const legacy = new Journal({ dir: join(dataDir, 'journal'), idPrefix: 'hcm-bt-01:1', clock: new ManualClock(), logger, box: old });
  await legacy.open();
  await legacy.append({ kind: 'report', personal: true, body: { cccd: canary(3) } });
  await legacy.close();
  const { journal, ring } = await open(dataDir, old, old);
  t.same(journal.unreleased().map((r) => r.body.cccd), [canary(3)]);
  await journal.append({ kind: 'report', personal: true, body: { cccd: canary(4) } });
  await journal.close();
  await ring.settle();
  const stranger = new RecordKeyRing({ dir: join(dataDir, 'keys'), keyStore: new FileKeyStore(new CryptoBox(randomBytes(32))), logger });
  await stranger.load();
  t.equal(stranger.stats().unreadable, 5, 'a card moved to a board with another master key: no data key unwraps');
});

t.test('many personal records at once all get a key; when no key can be written the append fails plainly', async (t) => {
  const dataDir = await tempDir(t);
  const master = new CryptoBox(randomBytes(32));
  const { ring, journal } = await open(dataDir, master);
  const all = await Promise.all(Array.from({ length: 30 }, (_, i) => journal.append({ kind: 'report', personal: true, body: { cccd: canary(i) } })));
  t.equal(new Set(all.map((r) => r.seq)).size, 30, '30 concurrent personal records written');
  await ring.settle();
  const failing = new RecordKeyRing({
    dir: join(dataDir, 'keys'), logger, spares: 1,
    keyStore: { wrap: async () => { throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }); }, unwrap: async (w, id) => master.open(w, `data-key:${id}`) },
  });
  await t.rejects(failing.load(), /ENOSPC/, 'start reports a data partition that cannot take a key');
  await t.rejects(async () => failing.ready(), { code: 'JOURNAL_FULL', transient: true }, 'a personal append is refused, not hung');
  await journal.close();
});

t.test('sequence numbers never go back when every record on disk was shredded', async (t) => {
  const dataDir = await tempDir(t);
  const master = new CryptoBox(randomBytes(32));
  const { ring, journal } = await open(dataDir, master);
  const written = [];
  for (let i = 0; i < 3; i++) written.push(await journal.append({ kind: 'report', personal: true, body: { cccd: canary(i) } }));
  await journal.release(written.map((r) => r.seq));
  await ring.shred(written.map((r) => r.eventId));
  await journal.close();
  await ring.settle();
  const again = await open(dataDir, master);
  const next = await again.journal.append({ kind: 'report', personal: true, body: { cccd: canary(9) } });
  t.equal(next.seq, 4, 'the next record continues after the shredded ones');
  await again.journal.close();
  await again.ring.settle();
});
