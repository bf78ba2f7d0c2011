// Crash-state testing in the manner of SQLite's crash VFS: the journal runs a workload on a file
// system that knows what was synced; after every operation the disks a power cut could leave are
// enumerated (unsynced suffix dropped, unsynced writes reordered, a write torn at 512-byte sectors,
// directory entries synced or not) and the journal is reopened on each.
import t from 'tap';
import { Journal } from '../../../runtime/link/journal.js';
import type { JournalRecord } from '../../../runtime/link/journal.js';
import { CryptoBox } from '../../../runtime/link/crypto-box.js';
import { CrashFs, crashImages } from '../../fakes/crash-fs.js';
import type { CrashSnapshot } from '../../fakes/crash-fs.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { silentLogger } from '../../fakes/link-test-kit.js';

const DIR = '/data/journal';
const key = CryptoBox.fromText('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff');
const logger = silentLogger();

function journal(fs: CrashFs, segmentBytes: number) {
  return new Journal({ dir: DIR, idPrefix: 'HCM-BT-001:1', clock: new ManualClock(), logger, box: key, fs, segmentBytes, maxBytes: 1 << 22, reserveBytes: 0 });
}

/** A small deterministic random source (the workload must be the same on every run). */
function lcg(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

interface Workload {
  snaps: CrashSnapshot[];
  /** Body tag → the record as acknowledged and the number of file operations done when it was. */
  acked: Map<string, { record: JournalRecord; atOp: number }>;
  /** Every body submitted, by tag. */
  submitted: Map<string, string>;
  /** Seqs whose release was asked for (they may or may not be gone after a crash). */
  released: Set<number>;
}

async function runWorkload(seed: number, segmentBytes: number, appends: number): Promise<Workload> {
  const fs = new CrashFs();
  const snaps: CrashSnapshot[] = [];
  fs.onOp = (f) => snaps.push(f.snapshot());
  const w: Workload = { snaps, acked: new Map(), submitted: new Map(), released: new Set() };
  const rnd = lcg(seed);
  let j = journal(fs, segmentBytes);
  await j.open();
  let n = 0;
  while (n < appends) {
    const batch = [];
    for (let k = 1 + rnd(5); k > 0 && n < appends; k--, n++) {
      const tag = `r${n}`;
      const kind = ['payment', 'consent', 'report'][rnd(3)]!;
      const body = { tag, amount: 1000 * n, pad: 'x'.repeat(rnd(300)) };
      w.submitted.set(tag, JSON.stringify(body));
      batch.push(j.append({ kind, body, personal: kind === 'consent' }).then((record) => {
        w.acked.set(tag, { record, atOp: fs.ops });
      }));
    }
    await Promise.all(batch);
    if (rnd(3) === 0) {
      const live = j.unreleased().map((r) => r.seq).filter(() => rnd(2) === 0);
      live.forEach((s) => w.released.add(s));
      await j.release(live);
    }
    if (rnd(8) === 0) {
      await j.close();
      j = journal(fs, segmentBytes);
      await j.open();
    }
  }
  await j.close();
  return w;
}

interface Verdict {
  states: number;
  lost: number;
  invalid: number;
  throws: number;
  reused: number;
  /** Gaps in the kept sequence by how the crash image came about. */
  gaps: Record<string, number>;
  /** Gaps with no quarantined region to tell of them. */
  silentGaps: number;
  firstProblem: string | null;
}

async function verify(w: Workload, segmentBytes: number): Promise<Verdict> {
  const v: Verdict = { states: 0, lost: 0, invalid: 0, throws: 0, reused: 0, gaps: {}, silentGaps: 0, firstProblem: null };
  const problem = (what: string) => {
    v.firstProblem ??= what;
  };
  for (const snap of w.snaps) {
    for (const { kind, image } of crashImages(snap)) {
      v.states++;
      const fs = new CrashFs(image);
      const j = journal(fs, segmentBytes);
      let quarantined = 0;
      try {
        quarantined = (await j.open()).quarantined.length;
      } catch (err) {
        v.throws++;
        problem(`open threw after op ${snap.ops}: ${(err as Error).message}`);
        continue;
      }
      const found = j.unreleased();
      const bySeq = new Map(found.map((r) => [r.seq, r]));
      for (const [tag, a] of w.acked) {
        if (a.atOp > snap.ops || w.released.has(a.record.seq)) continue;
        const r = bySeq.get(a.record.seq);
        if (!r || r.body.tag !== tag) {
          v.lost++;
          problem(`acknowledged ${tag} (seq ${a.record.seq}) missing after a crash at op ${snap.ops}`);
        }
      }
      for (const r of found) {
        if (w.submitted.get(String(r.body.tag)) !== JSON.stringify(r.body)) {
          v.invalid++;
          problem(`seq ${r.seq} accepted with a body never submitted, crash at op ${snap.ops}`);
        }
      }
      const seqs = found.map((r) => r.seq);
      for (let i = 1; i < seqs.length; i++) {
        for (let s = seqs[i - 1]! + 1; s < seqs[i]!; s++) if (!w.released.has(s)) v.gaps[kind] = (v.gaps[kind] ?? 0) + 1;
      }
      if (seqs.length > 0 && seqs.at(-1)! - seqs[0]! + 1 > seqs.length && quarantined === 0 && ![...Array(seqs.at(-1)! - seqs[0]!).keys()].every((i) => bySeq.has(seqs[0]! + i) || w.released.has(seqs[0]! + i))) {
        v.silentGaps++;
        problem(`a gap after a crash at op ${snap.ops} with nothing quarantined`);
      }
      const next = await j.append({ kind: 'payment', body: { tag: 'after' } }).catch(() => null);
      if (!next || (seqs.length > 0 && next.seq <= seqs.at(-1)!)) {
        v.reused++;
        problem(`after a crash at op ${snap.ops} the next record got seq ${next?.seq}, last kept ${seqs.at(-1)}`);
      }
      await j.close();
    }
  }
  return v;
}

for (const [seed, segmentBytes, appends] of [[7, 1024, 150], [11, 4096, 200]] as const) {
  t.test(`crash states, ${segmentBytes}-byte segments, ${appends} records: nothing acknowledged lost, nothing torn accepted, open never throws`, async (t) => {
    const w = await runWorkload(seed, segmentBytes, appends);
    const v = await verify(w, segmentBytes);
    t.comment(`crash states: ${v.states} tried over ${w.snaps.length} crash points, ${w.acked.size} records acknowledged; acknowledged lost ${v.lost}, invalid accepted ${v.invalid}, open threw ${v.throws}, seq reused ${v.reused}, seq gaps ${JSON.stringify(v.gaps)}`);
    t.equal(v.throws, 0, 'open never throws');
    t.equal(v.lost, 0, 'every acknowledged record is present');
    t.equal(v.invalid, 0, 'nothing that was not written whole is accepted as a record');
    t.equal(v.silentGaps, 0, 'a gap (only from an unacknowledged write torn out of order) always comes with a quarantined region');
    t.equal(v.reused, 0, 'a sequence number still on disk is never given again');
    t.equal(v.firstProblem, null, 'no problem');
    t.ok(v.states > 800, `${v.states} states`);
  });
}
