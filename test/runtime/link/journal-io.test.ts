// Storage failures under the journal: a full disk, short writes, EIO. Nothing is acknowledged that
// is not wholly written and synced; a failed write leaves nothing behind and no gap in the numbers.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../../../runtime/link/journal.js';
import type { DiskPressure, JournalOptions } from '../../../runtime/link/journal.js';
import { CrashFs } from '../../fakes/crash-fs.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { silentLogger } from '../../fakes/link-test-kit.js';

const DIR = '/data/journal';

function journal(fs: CrashFs | undefined, extra: Partial<JournalOptions> = {}) {
  return new Journal({
    dir: DIR, idPrefix: 'HCM-BT-001:1', clock: new ManualClock(), logger: silentLogger(), segmentBytes: 16 << 10,
    maxBytes: 1 << 20, reserveBytes: 4096, ...(fs ? { fs } : {}), ...extra,
  });
}

const body = (i: number) => ({ i, amount: 352_000, provider: 'EVN HCMC', pad: 'x'.repeat(200) });

t.test('a full disk refuses the record that does not fit whole, keeps every acknowledged one, and recovers without a restart', async (t) => {
  const fs = new CrashFs();
  fs.capacity = 8 << 10;
  const j = journal(fs);
  const pressure: DiskPressure['state'][] = [];
  j.events.on('pressure', t, (p) => pressure.push(p.state));
  await j.open();
  const acked: number[] = [];
  const refusals: unknown[] = [];
  for (let i = 0; i < 60; i++) {
    try {
      acked.push((await j.append({ kind: 'payment', body: body(i) })).seq);
    } catch (err) {
      refusals.push(err);
    }
  }
  const refused = refusals.length;
  t.match(refusals, refusals.map(() => ({ code: 'JOURNAL_FULL', transient: true, details: { disk: 'full' } })), 'each refusal says there is no room');
  t.ok(refused > 0 && acked.length > 10, `${acked.length} acknowledged, ${refused} refused`);
  t.same(acked, acked.map((_, i) => i + 1), 'no gap in the acknowledged numbers');
  t.equal(j.pressure().state, 'full');
  t.equal(j.pressure().lastError, 'ENOSPC');
  await t.rejects(j.append({ kind: 'analytics', body: { screen: 'home' } }), { code: 'JOURNAL_FULL', details: { shed: true } }, 'analytics are shed first');
  // Space returns (central released records elsewhere, a technician cleaned up): the next append works.
  fs.capacity = 64 << 10;
  const after = await j.append({ kind: 'payment', body: body(99) });
  t.equal(after.seq, acked.length + 1, 'the refused records left no gap');
  t.equal(j.pressure().state, 'ok');
  t.equal(j.pressure().lastError, null);
  t.same(pressure, ['full', 'ok'], 'the pressure changes were announced');
  await j.close();
  const again = journal(new CrashFs(new Map(fs.names().map((n) => [n, fs.read(n)!]))));
  const report = await again.open();
  t.same(again.unreleased().map((r) => r.seq), [...acked, after.seq], 'exactly the acknowledged records are on disk');
  t.same(report.quarantined, [], 'and nothing half-written is left to quarantine');
  t.equal(report.truncatedTailBytes, 0);
  await again.close();
});

t.test('a short write is completed; a short write followed by ENOSPC is rolled back', async (t) => {
  const fs = new CrashFs();
  const j = journal(fs);
  await j.open();
  fs.faults.push({ op: 'short', bytes: 17 });
  const whole = await j.append({ kind: 'payment', body: body(1) });
  t.equal(whole.seq, 1, 'the rest of a short write was written and the record acknowledged');
  const sizeBefore = fs.read(fs.names().find((n) => n.endsWith('.log'))!)!.length;
  fs.faults.push({ op: 'short', bytes: 40 }, { op: 'write', code: 'ENOSPC' });
  await t.rejects(j.append({ kind: 'payment', body: body(2) }), { code: 'JOURNAL_FULL' });
  t.equal(fs.read(fs.names().find((n) => n.endsWith('.log'))!)!.length, sizeBefore, 'the 40 bytes written were cut off again');
  t.equal((await j.append({ kind: 'payment', body: body(3) })).seq, 2, 'the next record takes the number the failed one did not use');
  await j.close();
  const again = journal(new CrashFs(new Map(fs.names().map((n) => [n, fs.read(n)!]))));
  await again.open();
  t.same(again.unreleased().map((r) => r.body.i), [1, 3]);
  await again.close();
});

t.test('EIO on fdatasync rejects the batch, cuts it off, and the next write goes on from the good offset', async (t) => {
  const fs = new CrashFs();
  const j = journal(fs);
  await j.open();
  await j.append({ kind: 'payment', body: body(1) });
  fs.faults.push({ op: 'datasync', code: 'EIO' });
  const failed = await Promise.allSettled([j.append({ kind: 'payment', body: body(2) }), j.append({ kind: 'consent-free', body: body(3) })]);
  t.same(failed.map((f) => f.status), ['rejected', 'rejected'], 'every record of the failed group commit is refused');
  t.match((failed[0] as PromiseRejectedResult).reason, { code: 'JOURNAL_WRITE_FAILED', transient: true, details: { code: 'EIO' } });
  t.equal(j.pressure().failedWrites, 1);
  const next = await j.append({ kind: 'payment', body: body(4) });
  t.same([next.seq, next.streamSeq], [2, 2], 'no gap, globally or in the stream');
  await j.close();
  // Power cut right now: what is on the medium is exactly the acknowledged records.
  const synced = new Map(fs.names().map((n) => [n, fs.read(n)!]));
  const again = journal(new CrashFs(synced));
  const report = await again.open();
  t.same(again.unreleased().map((r) => r.body.i), [1, 4], 'the refused records are not there to be delivered');
  t.equal(report.truncatedTailBytes, 0, 'not even as a tail: they were cut off when the write failed');
  await again.close();
});

t.test('a failed cut-back is retried before any new byte is written', async (t) => {
  const fs = new CrashFs();
  const j = journal(fs);
  await j.open();
  await j.append({ kind: 'payment', body: body(1) });
  fs.faults.push({ op: 'datasync', code: 'EIO' }, { op: 'truncate', code: 'EIO' });
  await t.rejects(j.append({ kind: 'payment', body: body(2) }), { code: 'JOURNAL_WRITE_FAILED' });
  await j.append({ kind: 'payment', body: body(3) });
  await j.close();
  const again = journal(new CrashFs(new Map(fs.names().map((n) => [n, fs.read(n)!]))));
  const report = await again.open();
  t.same(again.unreleased().map((r) => r.body.i), [1, 3]);
  t.same(report.quarantined, []);
  await again.close();
});

t.test('shed kinds keep the reserve free for business records', async (t) => {
  const j = journal(new CrashFs(), { maxBytes: 16 << 10, reserveBytes: 4 << 10 });
  await j.open();
  let analytics = 0;
  for (;;) {
    try {
      await j.append({ kind: 'analytics', body: body(analytics) });
      analytics++;
    } catch (err) {
      t.match(err, { code: 'JOURNAL_FULL', details: { shed: true } });
      break;
    }
  }
  let payments = 0;
  while (j.hasRoomFor(400)) {
    await j.append({ kind: 'payment', body: body(payments) });
    payments++;
  }
  t.ok(payments >= 8, `${payments} payments still fit after ${analytics} analytics records were stopped at the reserve`);
  t.equal(j.pressure().shed, 1);
  await j.close();
});

t.test('a real 256 KiB tmpfs filling up: every acknowledged record is on it whole after reopen', { skip: process.getuid?.() !== 0 ? 'needs root to mount a tmpfs' : false }, async (t) => {
  const mnt = await mkdtemp(join(tmpdir(), 'cds-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt]);
  } catch {
    await rm(mnt, { recursive: true, force: true });
    t.comment('mount -t tmpfs is not allowed here: nothing to check');
    return;
  }
  t.teardown(async () => {
    execFileSync('umount', [mnt]);
    await rm(mnt, { recursive: true, force: true });
  });
  const dir = join(mnt, 'journal');
  const j = new Journal({ dir, idPrefix: 'HCM-BT-001:1', clock: new ManualClock(), logger: silentLogger(), segmentBytes: 64 << 10, maxBytes: 1 << 20, reserveBytes: 0 });
  await j.open();
  const acked: number[] = [];
  let refused = 0;
  for (let i = 0; i < 2000 && refused < 20; i++) {
    const batch = Array.from({ length: 4 }, (_, k) => j.append({ kind: 'payment', body: { ...body(i * 4 + k), pad: 'y'.repeat(100 + ((i * 37 + k * 101) % 700)) } }));
    for (const r of await Promise.allSettled(batch)) {
      if (r.status === 'fulfilled') acked.push(r.value.seq);
      else refused++;
    }
  }
  await j.close();
  const again = new Journal({ dir, idPrefix: 'check', clock: new ManualClock(), logger: silentLogger(), segmentBytes: 64 << 10, maxBytes: 1 << 20 });
  const report = await again.open().catch((err: Error) => err);
  if (report instanceof Error) {
    t.fail(`reopen on the full tmpfs failed: ${report.message}`);
    return;
  }
  const present = new Set(again.unreleased().map((r) => r.seq));
  const lost = acked.filter((s) => !present.has(s)).length;
  t.comment(`tmpfs 256 KiB: ${acked.length} acknowledged, ${refused} refused, ${lost} acknowledged lost, ${report.truncatedTailBytes} torn bytes cut, ${report.quarantined.length} quarantined`);
  t.ok(refused > 0, 'the disk did fill up');
  t.equal(lost, 0, 'no acknowledged record lost');
  t.same(report.quarantined, []);
  await again.close();
});
