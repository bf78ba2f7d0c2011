/**
 * The journal: append-only segment files that hold every business record until central's receipt
 * releases it (frame format in journal-format.ts). `append` resolves only once every byte of the
 * record was written and fdatasync returned; appends waiting together share one write and one sync
 * (group commit). Sequence numbers (global and per stream) are given at that write, so a write that
 * fails leaves no gap: the batch is rolled back to the last good offset and the numbers are reused.
 *
 * A failed or short write, ENOSPC or EIO rejects the batch (JOURNAL_FULL for lack of space,
 * JOURNAL_WRITE_FAILED otherwise), cuts the segment back to its last synced length and sets the
 * disk pressure state; the next append simply tries again, so the station carries on once space
 * returns. Kinds in `shedKinds` (analytics, telemetry) are refused first: they may not use the last
 * `reserveBytes` of the journal or of the disk.
 *
 * On open a torn tail (a write cut short) is truncated; a damaged record, mid-file or at the tail,
 * is copied to `quarantine/` and reported, never dropped in silence. A new segment is started by each
 * process and whenever the active one is full; its header and first records go in one write, then
 * fdatasync and fsync of the directory before anyone is told they are saved. A segment is deleted
 * once every record in it is released (markers still needed by older segments are carried forward).
 */
import { join } from 'node:path';
import { StationError } from '../kernel/errors.js';
import { TypedEmitter } from '../kernel/typed-emitter.js';
import type { CryptoBox } from './crypto-box.js';
import { FRAME_HEADER_BYTES, encodeFrame, scanSegment } from './journal-format.js';
import type { AppendEntry, ScannedFrame } from './journal-format.js';
import { nodeJournalFs, writeFileDurableVia, writeFully } from './journal-fs.js';
import { PressureGauge, isNoSpace } from './journal-pressure.js';
import type { JournalFile, JournalFs } from './journal-fs.js';

import type {
  AppendInput, DiskPressure, JournalEvents, JournalOptions, JournalRecord, JournalStats, QuarantinedRegion, RecoveryReport,
} from './journal-types.js';

export { FRAME_HEADER_BYTES, encodeFrame, scanSegment } from './journal-format.js';
export type { ScannedFrame, SegmentScan } from './journal-format.js';
export type {
  AppendInput, DiskPressure, JournalEvents, JournalOptions, JournalRecord, JournalStats, QuarantinedRegion, RecoveryReport,
} from './journal-types.js';

interface Segment {
  id: number;
  name: string;
  bytes: number;
  /** Sequence numbers of records appended in this segment and not yet released. */
  unreleased: Set<number>;
  /** Sequence numbers released by markers stored in this segment. */
  markers: number[];
}

type Pending =
  | { t: 'a'; input: AppendInput; at: number; estimate: number; resolve: (r: JournalRecord) => void; reject: (err: unknown) => void }
  | { t: 'r'; seqs: number[]; estimate: number; resolve: (r: null) => void; reject: (err: unknown) => void };

const segmentName = (id: number) => `seg-${String(id).padStart(12, '0')}.log`;

export class Journal {
  readonly events = new TypedEmitter<JournalEvents>();
  private readonly options: Required<Omit<JournalOptions, 'box'>> & { box: CryptoBox | null };
  private readonly fs: JournalFs;
  private segments = new Map<number, Segment>();
  private active: Segment | null = null;
  private file: JournalFile | null = null;
  private nextSegmentId = 1;
  private records = new Map<number, JournalRecord>();
  private segmentOf = new Map<number, number>();
  private nextSeq = 1;
  private nextStreamSeq = new Map<string, number>();
  private bytes = 0;
  private queue: Pending[] = [];
  private queuedBytes = 0;
  private flushing: Promise<void> | null = null;
  private state: 'new' | 'open' | 'closed' = 'new';
  private quarantinedCount = 0;
  private rotateWhenDrained = false;
  /** Set when a failed write could not be cut back yet: no new bytes go to the segment until it is. */
  private rollbackPending = false;
  private readonly gauge: PressureGauge;

  constructor(options: JournalOptions) {
    this.options = {
      segmentBytes: 4 << 20,
      maxBytes: 64 << 20,
      maxRecordBytes: 1 << 20,
      fs: nodeJournalFs,
      shedKinds: ['analytics', 'telemetry'],
      reserveBytes: 1 << 20,
      diskCheckMs: 5000,
      ...options,
      box: options.box ?? null,
    };
    this.fs = this.options.fs;
    // Space comes back a segment at a time, so a segment must be a small part of the whole.
    this.options.segmentBytes = Math.min(this.options.segmentBytes, Math.floor(this.options.maxBytes / 4));
    this.options.reserveBytes = Math.min(this.options.reserveBytes, Math.floor(this.options.maxBytes / 4));
    const { dir, clock, logger, reserveBytes, maxBytes, diskCheckMs } = this.options;
    this.gauge = new PressureGauge({ fs: this.fs, dir, clock, logger, events: this.events, reserveBytes, maxBytes, checkMs: diskCheckMs }, () => this.bytes);
  }

  /** Recovers the segments on disk and starts a new active segment. */
  async open(): Promise<RecoveryReport> {
    const { dir } = this.options;
    await this.fs.mkdir(join(dir, 'quarantine'));
    const names = (await this.fs.readdir(dir)).filter((n) => /^seg-\d{12}\.log$/.test(n)).sort();
    const report: RecoveryReport = { segments: names.length, records: 0, released: 0, truncatedTailBytes: 0, quarantined: [] };
    const released = new Set<number>();
    for (const name of names) {
      const id = Number(name.slice(4, 16));
      this.nextSegmentId = Math.max(this.nextSegmentId, id + 1);
      const segment: Segment = { id, name, bytes: 0, unreleased: new Set(), markers: [] };
      segment.bytes = await this.recoverSegment(segment, name === names.at(-1), report, released);
      this.segments.set(id, segment);
      this.bytes += segment.bytes;
    }
    for (const seq of released) {
      if (this.records.delete(seq)) report.released++;
      this.segments.get(this.segmentOf.get(seq) ?? -1)?.unreleased.delete(seq);
    }
    report.records = this.records.size;
    this.quarantinedCount = report.quarantined.length;
    await this.gauge.refresh(true);
    // A full disk must not keep the station from starting: the first write tries again.
    await this.startSegment(Buffer.alloc(0)).catch((err: unknown) => {
      this.options.logger.error({ err }, 'journal could not start a new segment; the first record will try again');
    });
    this.state = 'open';
    await this.compact();
    if (report.quarantined.length > 0) {
      this.options.logger.error({ quarantined: report.quarantined }, 'journal records quarantined');
    }
    return report;
  }

  private async recoverSegment(segment: Segment, last: boolean, report: RecoveryReport, released: Set<number>): Promise<number> {
    const { dir } = this.options;
    const path = join(dir, segment.name);
    const buf = await this.fs.readFile(path);
    const scan = scanSegment(buf, this.options.maxRecordBytes);
    const keep: ScannedFrame[] = [];
    const bad: Array<{ offset: number; end: number; reason: QuarantinedRegion['reason'] }> =
      scan.corrupt.map((c) => ({ ...c, reason: 'crc' as const }));
    for (const frame of scan.frames) {
      const entry = frame.entry;
      if (entry.t === 'h') {
        this.nextSeq = Math.max(this.nextSeq, entry.nextSeq);
        for (const [stream, next] of Object.entries(entry.ss ?? {})) {
          if (Number.isSafeInteger(next)) this.nextStreamSeq.set(stream, Math.max(this.nextStreamSeq.get(stream) ?? 1, next));
        }
      } else if (entry.t === 'r') {
        for (const s of entry.seqs) released.add(s);
        segment.markers.push(...entry.seqs);
      } else {
        const record = this.decodeAppend(entry);
        if (!record) {
          bad.push({ offset: frame.offset, end: frame.offset + frame.length, reason: 'authentication' });
          continue;
        }
        this.records.set(record.seq, record);
        this.segmentOf.set(record.seq, segment.id);
        segment.unreleased.add(record.seq);
        this.nextSeq = Math.max(this.nextSeq, record.seq + 1);
        this.nextStreamSeq.set(record.stream, Math.max(this.nextStreamSeq.get(record.stream) ?? 1, record.streamSeq + 1));
      }
      keep.push(frame);
    }
    // A whole record with a damaged header at the very end is damage, not an interrupted write; so is
    // any tail of a segment that was closed (the next one was only started after it was synced).
    if (scan.tail && (scan.tail.complete || !last)) {
      bad.push({ offset: scan.tail.offset, end: scan.tail.offset + scan.tail.bytes, reason: 'corrupt-tail' });
    } else if (scan.tail) {
      report.truncatedTailBytes += scan.tail.bytes;
    }
    for (const region of bad) {
      const name = `${segment.name}.${region.offset}.bin`;
      await writeFileDurableVia(this.fs, join(dir, 'quarantine'), name, buf.subarray(region.offset, region.end));
      report.quarantined.push({ segment: segment.name, offset: region.offset, bytes: region.end - region.offset, reason: region.reason, file: join(dir, 'quarantine', name) });
    }
    if (bad.length > 0) {
      const kept = Buffer.concat(keep.map((f) => buf.subarray(f.offset, f.offset + f.length)));
      await writeFileDurableVia(this.fs, dir, segment.name, kept);
      return kept.length;
    }
    if (scan.tail) {
      const file = await this.fs.openExisting(path);
      try {
        await file.truncate(scan.tail.offset);
        await file.datasync();
      } finally {
        await file.close();
      }
      return scan.tail.offset;
    }
    return buf.length;
  }

  private decodeAppend(entry: AppendEntry): JournalRecord | null {
    let body = entry.body;
    if (entry.enc !== undefined) {
      if (!this.options.box) return null;
      try {
        body = JSON.parse(this.options.box.open(Buffer.from(entry.enc, 'base64'), entry.id).toString('utf8'));
      } catch {
        return null;
      }
    }
    if (typeof body !== 'object' || body === null) return null;
    // Records from before stream numbering get theirs in file order, the same at every open.
    const streamSeq = entry.ss ?? this.nextStreamSeq.get(entry.stream) ?? 1;
    return {
      seq: entry.seq, eventId: entry.id, kind: entry.kind, stream: entry.stream, streamSeq, recordedAt: entry.at,
      personal: entry.pers === 1, priority: entry.prio === 1, body,
    };
  }

  /**
   * Starts the next segment with its header and `data` (the batch that did not fit) in one write,
   * then fdatasync and fsync of the directory: the new name must survive a power cut before any
   * record in it is acknowledged. On failure the half-made file is removed and nothing changes.
   */
  private async startSegment(data: Buffer, streamSeqs = this.nextStreamSeq): Promise<void> {
    const id = this.nextSegmentId++;
    const name = segmentName(id);
    const path = join(this.options.dir, name);
    const header = encodeFrame({ t: 'h', nextSeq: this.nextSeq, at: this.options.clock.now(), ss: Object.fromEntries(streamSeqs) });
    const bytes = Buffer.concat([header, data]);
    const file = await this.fs.create(path);
    try {
      await writeFully(file, bytes, 0);
      await file.datasync();
      await this.fs.fsyncDir(this.options.dir);
    } catch (err) {
      await file.close().catch(() => undefined);
      await this.fs.unlink(path).then(() => this.fs.fsyncDir(this.options.dir)).catch(() => undefined);
      throw err;
    }
    const previous = this.file;
    this.file = file;
    this.active = { id, name, bytes: bytes.length, unreleased: new Set(), markers: [] };
    this.segments.set(id, this.active);
    this.bytes += bytes.length;
    this.rollbackPending = false;
    await previous?.close().catch((err: unknown) => this.options.logger.warn({ err }, 'closing a finished journal segment failed'));
  }

  /**
   * Writes a record durably. Resolves after fdatasync; rejects with JOURNAL_FULL when there is no
   * room (journal limit, the reserve for a shed kind, or the disk), JOURNAL_WRITE_FAILED when the
   * storage failed, JOURNAL_CLOSED after close. A rejected record left nothing on disk.
   */
  async append(input: AppendInput): Promise<JournalRecord> {
    if (this.state !== 'open') throw new StationError('JOURNAL_CLOSED');
    const personal = input.personal === true;
    if (personal && !this.options.box) {
      throw new StationError('JOURNAL_CORRUPT', 'No journal key is provisioned for personal records');
    }
    const stream = input.stream ?? input.kind;
    const probe = this.encodeAppend(input, this.nextSeq + this.queue.length, 1, this.options.clock.now(), true);
    if (probe.length - FRAME_HEADER_BYTES > this.options.maxRecordBytes) {
      throw new StationError('INPUT_INVALID', 'The record is larger than the journal allows');
    }
    // Sealing adds the IV, tag and base64 growth; a small margin covers digits of later numbers.
    const estimate = probe.length + 16;
    const shed = this.options.shedKinds.includes(input.kind);
    const limit = this.options.maxBytes - (shed ? this.options.reserveBytes : 0);
    const disk = this.gauge.now;
    const diskShort = shed && disk.state !== 'ok';
    if (this.bytes + this.queuedBytes + estimate > limit || diskShort) {
      if (shed) disk.shed++;
      throw new StationError('JOURNAL_FULL', undefined, {
        transient: true, details: { bytes: this.bytes, maxBytes: this.options.maxBytes, shed, disk: disk.state },
      });
    }
    return new Promise<JournalRecord>((resolve, reject) => {
      this.queue.push({ t: 'a', input: { ...input, stream }, at: this.options.clock.now(), estimate, resolve, reject });
      this.queuedBytes += estimate;
      this.kick();
    });
  }

  private encodeAppend(input: AppendInput, seq: number, streamSeq: number, at: number, probe = false): Buffer {
    const id = `${this.options.idPrefix}:${seq}`;
    const stream = input.stream ?? input.kind;
    const entry: AppendEntry = { t: 'a', seq, id, kind: input.kind, stream, at, ss: streamSeq };
    if (input.personal === true) {
      entry.pers = 1;
      const plain = Buffer.from(JSON.stringify(input.body), 'utf8');
      entry.enc = probe ? 'x'.repeat(Math.ceil((plain.length + 28) / 3) * 4) : this.options.box!.seal(plain, id).toString('base64');
    } else {
      entry.body = input.body;
    }
    if (input.priority === true) entry.prio = 1;
    return encodeFrame(entry);
  }

  /** Whether a record of about `bytes` would fit (the payment flow asks before taking money). */
  hasRoomFor(bytes: number): boolean {
    return this.bytes + this.queuedBytes + bytes + FRAME_HEADER_BYTES <= this.options.maxBytes && this.gauge.now.state !== 'full';
  }

  /**
   * Marks records as acknowledged by central. The marker is written with the next group commit;
   * losing it in a crash only means a harmless resend. Unknown or already released seqs are ignored.
   */
  async release(seqs: number[]): Promise<void> {
    if (this.state !== 'open') throw new StationError('JOURNAL_CLOSED');
    const live = seqs.filter((s) => this.records.has(s));
    if (live.length === 0) return;
    for (const s of live) {
      this.records.delete(s);
      this.segments.get(this.segmentOf.get(s) ?? -1)?.unreleased.delete(s);
    }
    // When everything in a sizeable active segment is released, start a new one so it can be deleted.
    const active = this.active;
    if (active && active.unreleased.size === 0 && (active.bytes >= this.options.segmentBytes / 4 || this.bytes > this.options.maxBytes / 2)) {
      this.rotateWhenDrained = true;
    }
    await this.writeMarker(live);
    await this.compact();
  }

  private writeMarker(seqs: number[]): Promise<null> {
    return new Promise<null>((resolve, reject) => {
      const estimate = encodeFrame({ t: 'r', seqs }).length;
      this.queue.push({ t: 'r', seqs, estimate, resolve, reject });
      this.queuedBytes += estimate;
      this.kick();
    });
  }

  /** Unreleased records in sequence order. */
  unreleased(): JournalRecord[] {
    return [...this.records.values()].sort((a, b) => a.seq - b.seq);
  }

  get(seq: number): JournalRecord | undefined {
    return this.records.get(seq);
  }

  stats(): JournalStats {
    let oldest: number | null = null;
    for (const r of this.records.values()) if (oldest === null || r.recordedAt < oldest) oldest = r.recordedAt;
    return {
      segments: this.segments.size, bytes: this.bytes, maxBytes: this.options.maxBytes,
      unreleased: this.records.size, oldestRecordedAt: oldest, quarantined: this.quarantinedCount, disk: this.pressure(),
    };
  }

  /** The disk pressure state now (status, birth, telemetry, the technician's screen). */
  pressure(): DiskPressure {
    return { ...this.gauge.now };
  }

  private kick(): void {
    this.flushing ??= this.flush().finally(() => {
      this.flushing = null;
      // Work queued between the loop's last check and this callback would otherwise wait forever.
      if (this.queue.length > 0) this.kick();
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      for (const p of batch) this.queuedBytes -= p.estimate;
      const segmentAtStart = this.active;
      const goodOffset = segmentAtStart?.bytes ?? 0;
      const streamSeqs = new Map(this.nextStreamSeq);
      const frames: Buffer[] = [];
      const made: Array<JournalRecord | null> = [];
      let seq = this.nextSeq;
      let inPlace = false;
      try {
        for (const p of batch) {
          if (p.t === 'r') {
            frames.push(encodeFrame({ t: 'r', seqs: p.seqs }));
            made.push(null);
            continue;
          }
          const stream = p.input.stream!;
          const ss = streamSeqs.get(stream) ?? 1;
          streamSeqs.set(stream, ss + 1);
          frames.push(this.encodeAppend(p.input, seq, ss, p.at));
          made.push({
            seq, eventId: `${this.options.idPrefix}:${seq}`, kind: p.input.kind, stream, streamSeq: ss, recordedAt: p.at,
            personal: p.input.personal === true, priority: p.input.priority === true, body: p.input.body,
          });
          seq++;
        }
        const data = Buffer.concat(frames);
        if (this.rollbackPending) await this.rollBack(goodOffset);
        if (!segmentAtStart || (segmentAtStart.bytes + data.length > this.options.segmentBytes
          && segmentAtStart.unreleased.size + segmentAtStart.markers.length > 0)) {
          await this.startSegment(data, this.nextStreamSeq);
        } else {
          inPlace = true;
          await writeFully(this.file!, data, goodOffset);
          // Release markers alone are not synced: one lost in a power cut only means a harmless
          // resend, and the next record's fdatasync takes them along. A drain then costs no sync per receipt.
          if (batch.some((p) => p.t === 'a')) await this.file!.datasync();
          segmentAtStart.bytes += data.length;
          this.bytes += data.length;
        }
      } catch (err) {
        await this.failed(batch, err, inPlace || this.rollbackPending ? goodOffset : null);
        continue;
      }
      this.nextSeq = seq;
      this.nextStreamSeq = streamSeqs;
      await this.gauge.wrote();
      const segment = this.active!;
      batch.forEach((p, i) => {
        const record = made[i];
        if (p.t === 'a' && record) {
          this.records.set(record.seq, record);
          this.segmentOf.set(record.seq, segment.id);
          segment.unreleased.add(record.seq);
          p.resolve(record);
        } else if (p.t === 'r') {
          segment.markers.push(...p.seqs);
          p.resolve(null);
        }
      });
      await this.afterCommit();
    }
  }

  /** Rotation once everything in the active segment is released, and the periodic free-space check. */
  private async afterCommit(): Promise<void> {
    if (this.rotateWhenDrained) {
      this.rotateWhenDrained = false;
      if (this.active?.unreleased.size === 0) {
        await this.startSegment(Buffer.alloc(0)).catch((err: unknown) => this.options.logger.warn({ err }, 'starting a new journal segment failed'));
      }
    }
    await this.gauge.refresh(false);
  }

  /** Cuts the active segment back to `offset` (its last synced length) and syncs that. */
  private async rollBack(offset: number): Promise<void> {
    await this.file!.truncate(offset);
    await this.file!.datasync();
    this.rollbackPending = false;
  }

  private async failed(batch: Pending[], err: unknown, goodOffset: number | null): Promise<void> {
    const code = String((err as { code?: unknown }).code ?? 'EIO');
    const noSpace = isNoSpace(code);
    if (goodOffset !== null) {
      this.rollbackPending = true;
      await this.rollBack(goodOffset).catch((cause: unknown) => {
        this.options.logger.error({ err: cause }, 'journal could not cut back a failed write; retried before the next one');
      });
    }
    this.options.logger.error({ code, records: batch.length, rolledBackTo: goodOffset }, 'journal write failed; nothing of it was kept');
    const error = noSpace
      ? new StationError('JOURNAL_FULL', 'The storage is full: the record was not kept', { transient: true, cause: err, details: { disk: 'full' } })
      : new StationError('JOURNAL_WRITE_FAILED', undefined, { transient: true, cause: err, details: { code } });
    await this.gauge.failed(code);
    for (const p of batch) p.reject(error);
  }

  /** Deletes segments whose records are all released, carrying still-needed release markers forward. */
  private async compact(): Promise<void> {
    for (const segment of [...this.segments.values()]) {
      if (segment === this.active || segment.unreleased.size > 0) continue;
      const carry = segment.markers.filter((s) => {
        const owner = this.segmentOf.get(s);
        return owner !== undefined && owner !== segment.id && this.segments.has(owner);
      });
      if (carry.length > 0) await this.writeMarker(carry);
      if (!this.segments.has(segment.id)) continue;
      this.segments.delete(segment.id);
      for (const [seq, owner] of this.segmentOf) if (owner === segment.id) this.segmentOf.delete(seq);
      this.bytes -= segment.bytes;
      await this.fs.unlink(join(this.options.dir, segment.name));
      await this.fs.fsyncDir(this.options.dir);
    }
  }

  /** Waits for queued writes, then closes the active segment. Idempotent. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    while (this.flushing) await this.flushing;
    await this.file?.close();
    this.file = null;
  }
}
