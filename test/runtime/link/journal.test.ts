import t from 'tap';
import { randomBytes } from 'node:crypto';
import { appendFile, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { Journal, scanSegment, encodeFrame, FRAME_HEADER_BYTES } from '../../../runtime/link/journal.js';
import { CryptoBox } from '../../../runtime/link/crypto-box.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { silentLogger, tempDir } from '../../fakes/link-test-kit.js';

const logger = silentLogger();
const key = CryptoBox.fromText('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff');

function journal(dir: string, extra: Partial<ConstructorParameters<typeof Journal>[0]> = {}) {
  return new Journal({ dir, idPrefix: 'HCM-BT-001:1', clock: new ManualClock(), logger, box: key, ...extra });
}

async function segmentFiles(dir: string) {
  return (await readdir(dir)).filter((n) => n.startsWith('seg-')).sort();
}

t.test('records survive a reopen with their event ids and bodies, in order', async (t) => {
  const dir = await tempDir(t);
  const j = journal(dir);
  await j.open();
  const a = await j.append({ kind: 'payment', body: { amount: 352000, provider: 'EVN HCMC' } });
  const b = await j.append({ kind: 'consent', body: { cccd: '079203001245' }, personal: true });
  t.equal(a.eventId, 'HCM-BT-001:1:1');
  t.equal(b.eventId, 'HCM-BT-001:1:2');
  await j.close();
  const raw = (await Promise.all((await segmentFiles(dir)).map((n) => readFile(join(dir, n))))).join('');
  t.notOk(raw.includes('079203001245'), 'the personal body is not on disk in clear');
  t.ok(raw.includes('EVN HCMC'), 'non-personal bodies are plain JSON');
  const again = journal(dir);
  const report = await again.open();
  t.equal(report.records, 2);
  t.same(again.unreleased().map((r) => [r.seq, r.eventId, r.body]), [
    [1, 'HCM-BT-001:1:1', { amount: 352000, provider: 'EVN HCMC' }],
    [2, 'HCM-BT-001:1:2', { cccd: '079203001245' }],
  ]);
  const c = await again.append({ kind: 'payment', body: { n: 3 } });
  t.equal(c.seq, 3, 'sequence numbers continue after a reopen');
  await again.close();
});

t.test('concurrent appends share fdatasync calls and all resolve', async (t) => {
  const dir = await tempDir(t);
  const j = journal(dir);
  await j.open();
  const recs = await Promise.all(Array.from({ length: 200 }, (_, i) => j.append({ kind: 'analytics', body: { i } })));
  t.same(recs.map((r) => r.seq), Array.from({ length: 200 }, (_, i) => i + 1));
  await j.close();
  const j2 = journal(dir);
  t.equal((await j2.open()).records, 200);
  await j2.close();
});

t.test('a torn tail is truncated and the valid prefix kept', async (t) => {
  const dir = await tempDir(t);
  const j = journal(dir);
  await j.open();
  for (let i = 0; i < 5; i++) await j.append({ kind: 'payment', body: { i } });
  await j.close();
  const [name] = await segmentFiles(dir);
  const path = join(dir, name!);
  const half = encodeFrame({ t: 'a', seq: 6, id: 'x:1:6', kind: 'payment', stream: 'payment', at: 0, body: { i: 5 } });
  await appendFile(path, half.subarray(0, half.length - 7));
  const before = (await stat(path)).size;
  const j2 = journal(dir);
  const report = await j2.open();
  t.equal(report.records, 5);
  t.equal(report.truncatedTailBytes, half.length - 7);
  t.same(report.quarantined, [], 'an interrupted write is not reported as damage');
  t.equal((await stat(path)).size, before - (half.length - 7), 'the file was cut at the last valid record');
  t.equal((await j2.append({ kind: 'payment', body: {} })).seq, 6, 'no gap: the torn seq is reused');
  await j2.close();
});

t.test('a corrupt record followed by valid ones is quarantined and reported', async (t) => {
  const dir = await tempDir(t);
  const j = journal(dir);
  await j.open();
  for (let i = 0; i < 5; i++) await j.append({ kind: 'payment', body: { i, text: 'hoá đơn tiền điện' } });
  await j.close();
  const [name] = await segmentFiles(dir);
  const path = join(dir, name!);
  const buf = await readFile(path);
  const scan = scanSegment(buf);
  const third = scan.frames[3]!;
  buf[third.offset + FRAME_HEADER_BYTES + 10] ^= 0x04;
  await writeFile(path, buf);
  const j2 = journal(dir);
  const report = await j2.open();
  t.same(j2.unreleased().map((r) => r.body.i), [0, 1, 3, 4]);
  t.equal(report.quarantined.length, 1);
  t.match(report.quarantined[0], { reason: 'crc', offset: third.offset, bytes: third.length });
  const saved = await readFile(report.quarantined[0]!.file);
  t.equal(saved.length, third.length, 'the damaged bytes are kept for inspection');
  await j2.close();
  const j3 = journal(dir);
  t.same((await j3.open()).quarantined, [], 'the segment was rewritten, the damage is reported once');
  t.equal(j3.stats().unreleased, 4);
  await j3.close();
});

t.test('a tampered personal record with a recomputed CRC fails authentication and is quarantined', async (t) => {
  const dir = await tempDir(t);
  const j = journal(dir);
  await j.open();
  await j.append({ kind: 'consent', body: { cccd: '079203001245' }, personal: true });
  await j.append({ kind: 'consent', body: { cccd: '079203009999' }, personal: true });
  await j.close();
  const [name] = await segmentFiles(dir);
  const path = join(dir, name!);
  const buf = await readFile(path);
  const frame = scanSegment(buf).frames[1]!;
  const entry = JSON.parse(buf.subarray(frame.offset + 8, frame.offset + frame.length).toString());
  const sealed = Buffer.from(entry.enc, 'base64');
  sealed[sealed.length - 1]! ^= 1;
  entry.enc = sealed.toString('base64');
  const forged = encodeFrame(entry);
  await writeFile(path, Buffer.concat([buf.subarray(0, frame.offset), forged, buf.subarray(frame.offset + frame.length)]));
  const j2 = journal(dir);
  const report = await j2.open();
  t.same(report.quarantined.map((q) => q.reason), ['authentication']);
  t.same(j2.unreleased().map((r) => r.body.cccd), ['079203009999']);
  await j2.close();
  const wrongKey = journal(dir, { box: new CryptoBox(randomBytes(32)) });
  const r3 = await wrongKey.open();
  t.same(r3.quarantined.map((q) => q.reason), ['authentication'], 'a wrong key cannot read personal records');
  await wrongKey.close();
});

t.test('segments are deleted once every record in them is released; markers are carried forward', async (t) => {
  const dir = await tempDir(t);
  const j = journal(dir, { segmentBytes: 600 });
  await j.open();
  const recs = [];
  for (let i = 0; i < 12; i++) recs.push(await j.append({ kind: 'payment', body: { i, pad: 'x'.repeat(80) } }));
  const segsBefore = (await segmentFiles(dir)).length;
  t.ok(segsBefore >= 3, `rotated into ${segsBefore} segments`);
  // Release all but the first record: markers land in the newest segment, older segments stay needed.
  await j.release(recs.slice(1).map((r) => r.seq));
  const afterPartial = await segmentFiles(dir);
  t.ok(afterPartial.length < segsBefore, 'fully released segments were deleted');
  await j.close();
  const j2 = journal(dir, { segmentBytes: 600 });
  const report = await j2.open();
  t.same(j2.unreleased().map((r) => r.seq), [1], 'released records stay released after reopen');
  t.equal(report.records, 1);
  await j2.release([1]);
  t.same(j2.unreleased(), []);
  t.equal((await segmentFiles(dir)).length, 1, 'only the active segment remains');
  const next = await j2.append({ kind: 'payment', body: {} });
  t.equal(next.seq, 13, 'sequence numbers never go back after compaction');
  await j2.close();
  const j3 = journal(dir);
  await j3.open();
  t.equal((await j3.append({ kind: 'payment', body: {} })).seq, 14);
  await j3.close();
});

t.test('a full journal refuses records with JOURNAL_FULL and keeps what it has', async (t) => {
  const dir = await tempDir(t);
  const j = journal(dir, { maxBytes: 2000 });
  await j.open();
  let accepted = 0;
  let refused = 0;
  for (let i = 0; i < 40; i++) {
    try {
      await j.append({ kind: 'payment', body: { i, pad: 'y'.repeat(50) } });
      accepted++;
    } catch (err) {
      t.match(err, { code: 'JOURNAL_FULL', transient: true });
      refused++;
    }
  }
  t.ok(accepted > 5 && refused > 0, `accepted ${accepted}, refused ${refused}`);
  t.notOk(j.hasRoomFor(200));
  await j.release(j.unreleased().map((r) => r.seq));
  t.ok(j.hasRoomFor(200), 'room returns once central released the records');
  await j.close();
  await t.rejects(j.append({ kind: 'payment', body: {} }), { code: 'JOURNAL_CLOSED' });
});

// Reliability figure 3: truncation at every byte offset and 10,000 random bit flips.
t.test('truncation at every offset and 10,000 bit flips: exact valid records, never throws, every corruption flagged', async (t) => {
  const frames = Array.from({ length: 12 }, (_, i) => encodeFrame({
    t: 'a', seq: i + 1, id: `s:1:${i + 1}`, kind: 'payment', stream: 'payment', at: 1000 + i, body: { i, vnd: 100000 * i },
  }));
  const ends: number[] = [];
  frames.reduce((acc, f) => (ends.push(acc + f.length), acc + f.length), 0);
  const whole = Buffer.concat(frames);
  let truncations = 0;
  for (let cut = 0; cut <= whole.length; cut++) {
    const scan = scanSegment(whole.subarray(0, cut));
    const expected = ends.filter((e) => e <= cut).length;
    if (scan.frames.length !== expected || scan.corrupt.length !== 0) t.fail(`cut at ${cut}`);
    truncations++;
  }
  t.equal(truncations, whole.length + 1, `${truncations} truncation offsets recovered exactly`);

  let flagged = 0;
  let midFile = 0;
  const rng = fc.sample(fc.tuple(fc.nat({ max: whole.length - 1 }), fc.nat({ max: 7 })), { numRuns: 10000, seed: 4242 });
  for (const [offset, bit] of rng) {
    const damaged = Buffer.from(whole);
    damaged[offset]! ^= 1 << bit;
    const hit = ends.findIndex((e) => offset < e);
    const scan = scanSegment(damaged);
    const seqs = scan.frames.map((f) => (f.entry as { seq: number }).seq);
    const expected = Array.from({ length: 12 }, (_, i) => i + 1).filter((s) => s !== hit + 1);
    if (JSON.stringify(seqs) !== JSON.stringify(expected)) t.fail(`flip at ${offset}.${bit} gave ${seqs}`);
    const isLast = hit === frames.length - 1;
    if (!isLast && scan.corrupt.length === 1) midFile++;
    if (scan.corrupt.length + (scan.tail ? 1 : 0) === 1) flagged++;
  }
  const lastFlips = rng.filter(([o]) => o >= ends.at(-2)!).length;
  t.equal(flagged, 10000, 'every flip was flagged as a corrupt region or a damaged tail');
  t.equal(midFile, 10000 - lastFlips, 'every flip before the last record was quarantined as mid-file corruption');
  t.comment(`figure 3: ${truncations} truncations exact; 10000 flips: ${midFile} mid-file quarantined, ${lastFlips} in the last record cut as tail; 0 throws`);
});

t.test('truncating the segment file on disk at sampled offsets reopens to the valid prefix', async (t) => {
  const dir = await tempDir(t);
  const j = journal(dir);
  await j.open();
  for (let i = 0; i < 6; i++) await j.append({ kind: 'payment', body: { i } });
  await j.close();
  const [name] = await segmentFiles(dir);
  const original = await readFile(join(dir, name!));
  const ends = scanSegment(original).frames.map((f) => f.offset + f.length);
  for (let cut = 0; cut <= original.length; cut += 17) {
    const d = await tempDir(t);
    await writeFile(join(d, name!), original.subarray(0, cut));
    const r = journal(d);
    const report = await r.open();
    t.equal(report.records, Math.max(0, ends.filter((e) => e <= cut).length - 1), `cut ${cut}`);
    t.same(report.quarantined, []);
    await r.close();
  }
});

t.test('frames are length | crc32 | JSON payload, little-endian', async (t) => {
  const frame = encodeFrame({ t: 'r', seqs: [1, 2] });
  const payload = Buffer.from('{"t":"r","seqs":[1,2]}');
  t.equal(frame.readUInt32LE(0), payload.length);
  t.equal(frame.readUInt32LE(4), crc32(payload));
  t.same(frame.subarray(8), payload);
});

t.test('every bit flip in the length field of the last, synced record is quarantined and reported, never cut as a torn write', async (t) => {
  let quarantined = 0;
  for (let bit = 0; bit < 32; bit++) {
    const dir = await tempDir(t);
    const j = journal(dir);
    await j.open();
    for (let i = 0; i < 3; i++) await j.append({ kind: 'payment', body: { i, amount: 120000 } });
    await j.close();
    const [name] = await segmentFiles(dir);
    const path = join(dir, name!);
    const buf = await readFile(path);
    const last = scanSegment(buf).frames.at(-1)!;
    buf[last.offset + (bit >> 3)]! ^= 1 << (bit & 7);
    await writeFile(path, buf);
    const j2 = journal(dir);
    const report = await j2.open();
    if (report.quarantined.length === 1 && report.quarantined[0]!.reason === 'corrupt-tail' && report.truncatedTailBytes === 0) quarantined++;
    else t.fail(`flip of length bit ${bit}: ${JSON.stringify({ q: report.quarantined, cut: report.truncatedTailBytes })}`);
    await j2.close();
  }
  t.equal(quarantined, 32, '32 of 32 flips quarantined');
});
