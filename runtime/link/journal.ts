/**
 * The journal: append-only segment files that hold every business record until central's receipt
 * releases it. A record on disk is `length (u32 LE) | crc32 (u32 LE, zlib/IEEE) | payload (JSON)`.
 * `append` resolves only after fdatasync (appends waiting together share one write and one sync:
 * group commit). On open a torn tail is truncated and a corrupt record followed by valid ones is
 * copied to `quarantine/` and reported; personal bodies are sealed with AES-256-GCM and a record
 * that fails authentication is quarantined the same way. A segment is deleted once every record in
 * it is released (release markers still needed by older segments are carried forward first).
 *
 * Each process opening the journal starts a new segment whose first record is a header holding the
 * next sequence number, so sequence numbers never go back even after every segment was compacted.
 */
import { open, readdir, readFile, mkdir, unlink, truncate } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { join } from 'node:path';
import type { Clock } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';
import { StationError } from '../kernel/errors.js';
import { RecordShredded } from './crypto-box.js';
import type { RecordSealer } from './crypto-box.js';
import { fsyncDir, writeFileDurable } from '../platform/document-store.js';

/** Bytes before each payload: length and CRC-32. */
export const FRAME_HEADER_BYTES = 8;
const OPEN_BRACE = 0x7b;

export interface JournalRecord {
  seq: number;
  /** Idempotency key `{stationId}:{bootSeq}:{seq}`, fixed when the record was written. */
  eventId: string;
  kind: string;
  /** Delivery order is kept within a stream (default: the kind). */
  stream: string;
  recordedAt: number;
  personal: boolean;
  priority: boolean;
  body: Record<string, unknown>;
}

export interface AppendInput {
  kind: string;
  stream?: string;
  body: Record<string, unknown>;
  personal?: boolean;
  priority?: boolean;
}

/** A region of a segment that failed its check and was moved to `quarantine/`. */
export interface QuarantinedRegion {
  segment: string;
  offset: number;
  bytes: number;
  reason: 'crc' | 'authentication' | 'corrupt-tail';
  file: string;
}

export interface RecoveryReport {
  segments: number;
  records: number;
  released: number;
  /** Bytes cut from the end of the last segment of a previous run (an interrupted write). */
  truncatedTailBytes: number;
  quarantined: QuarantinedRegion[];
}

export interface JournalStats {
  segments: number;
  bytes: number;
  maxBytes: number;
  unreleased: number;
  oldestRecordedAt: number | null;
  quarantined: number;
}

export interface JournalOptions {
  /** Directory of the segment files; created if missing. */
  dir: string;
  /** `{stationId}:{bootSeq}`; a record's event id is this prefix and its sequence number. */
  idPrefix: string;
  clock: Clock;
  logger: Logger;
  /** Seals bodies of personal records; without it personal records are refused. */
  box?: RecordSealer | null;
  /** A new segment is started once the active one reaches this size; default 4 MiB. */
  segmentBytes?: number;
  /** Appends are refused with JOURNAL_FULL beyond this many bytes on disk; default 64 MiB. */
  maxBytes?: number;
  /** Largest single record; default 1 MiB. */
  maxRecordBytes?: number;
}

type HeaderEntry = { t: 'h'; nextSeq: number; at: number };
type AppendEntry = {
  t: 'a'; seq: number; id: string; kind: string; stream: string; at: number;
  pers?: 1; prio?: 1; body?: Record<string, unknown>; enc?: string;
};
type ReleaseEntry = { t: 'r'; seqs: number[] };
type Entry = HeaderEntry | AppendEntry | ReleaseEntry;

export interface ScannedFrame {
  offset: number;
  length: number;
  entry: Entry;
}

export interface SegmentScan {
  frames: ScannedFrame[];
  /** Regions between valid records that failed their check. */
  corrupt: Array<{ offset: number; end: number }>;
  /** Bytes after the last valid record with nothing valid behind them. */
  tail: { offset: number; bytes: number; complete: boolean } | null;
}

function isEntry(v: unknown): v is Entry {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  if (e.t === 'h') return Number.isSafeInteger(e.nextSeq);
  if (e.t === 'r') return Array.isArray(e.seqs) && e.seqs.every((s) => Number.isSafeInteger(s));
  if (e.t === 'a') {
    return Number.isSafeInteger(e.seq) && typeof e.id === 'string' && typeof e.kind === 'string'
      && typeof e.stream === 'string' && typeof e.at === 'number'
      && (typeof e.body === 'object' || typeof e.enc === 'string');
  }
  return false;
}

function frameAt(buf: Buffer, pos: number, maxRecordBytes: number): ScannedFrame | null {
  if (pos + FRAME_HEADER_BYTES > buf.length) return null;
  const length = buf.readUInt32LE(pos);
  if (length < 2 || length > maxRecordBytes || pos + FRAME_HEADER_BYTES + length > buf.length) return null;
  if (buf[pos + FRAME_HEADER_BYTES] !== OPEN_BRACE) return null;
  const payload = buf.subarray(pos + FRAME_HEADER_BYTES, pos + FRAME_HEADER_BYTES + length);
  if (crc32(payload) !== buf.readUInt32LE(pos + 4)) return null;
  let entry: unknown;
  try {
    entry = JSON.parse(payload.toString('utf8'));
  } catch {
    return null;
  }
  return isEntry(entry) ? { offset: pos, length: FRAME_HEADER_BYTES + length, entry } : null;
}

/**
 * Splits one segment's bytes into valid frames, corrupt regions and a tail. Pure and total: it never
 * throws, whatever the bytes. After a bad frame it resynchronises on the next offset where a frame
 * with a matching CRC starts; if none follows, the rest is the tail.
 */
export function scanSegment(buf: Buffer, maxRecordBytes = 1 << 20): SegmentScan {
  const frames: ScannedFrame[] = [];
  const corrupt: SegmentScan['corrupt'] = [];
  let tail: SegmentScan['tail'] = null;
  let pos = 0;
  while (pos < buf.length) {
    const frame = frameAt(buf, pos, maxRecordBytes);
    if (frame) {
      frames.push(frame);
      pos += frame.length;
      continue;
    }
    let next = -1;
    for (let q = buf.indexOf(OPEN_BRACE, pos + 1 + FRAME_HEADER_BYTES); q !== -1; q = buf.indexOf(OPEN_BRACE, q + 1)) {
      if (frameAt(buf, q - FRAME_HEADER_BYTES, maxRecordBytes)) {
        next = q - FRAME_HEADER_BYTES;
        break;
      }
    }
    if (next === -1) {
      const declared = pos + FRAME_HEADER_BYTES <= buf.length ? buf.readUInt32LE(pos) : Infinity;
      tail = { offset: pos, bytes: buf.length - pos, complete: pos + FRAME_HEADER_BYTES + declared <= buf.length };
      break;
    }
    corrupt.push({ offset: pos, end: next });
    pos = next;
  }
  return { frames, corrupt, tail };
}

export function encodeFrame(entry: Entry): Buffer {
  const payload = Buffer.from(JSON.stringify(entry), 'utf8');
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32LE(payload.length, 0);
  frame.writeUInt32LE(crc32(payload), 4);
  payload.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

interface Segment {
  id: number;
  name: string;
  bytes: number;
  /** Sequence numbers of records appended in this segment and not yet released. */
  unreleased: Set<number>;
  /** Sequence numbers released by markers stored in this segment. */
  markers: number[];
}

interface Pending {
  frame: Buffer;
  resolve: () => void;
  reject: (err: unknown) => void;
}

const segmentName = (id: number) => `seg-${String(id).padStart(12, '0')}.log`;

export class Journal {
  private readonly options: Required<Omit<JournalOptions, 'box'>> & { box: RecordSealer | null };
  private segments = new Map<number, Segment>();
  private active: Segment | null = null;
  private fh: FileHandle | null = null;
  private records = new Map<number, JournalRecord>();
  private segmentOf = new Map<number, number>();
  private nextSeq = 1;
  private bytes = 0;
  private queue: Pending[] = [];
  private queuedBytes = 0;
  private flushing: Promise<void> | null = null;
  private state: 'new' | 'open' | 'closed' = 'new';
  private quarantinedCount = 0;
  private rotateWhenDrained = false;

  constructor(options: JournalOptions) {
    this.options = {
      segmentBytes: 4 << 20,
      maxBytes: 64 << 20,
      maxRecordBytes: 1 << 20,
      ...options,
      box: options.box ?? null,
    };
    // Space comes back a segment at a time, so a segment must be a small part of the whole.
    this.options.segmentBytes = Math.min(this.options.segmentBytes, Math.floor(this.options.maxBytes / 4));
  }

  /** Recovers the segments on disk and starts a new active segment. */
  async open(): Promise<RecoveryReport> {
    const { dir } = this.options;
    await mkdir(join(dir, 'quarantine'), { recursive: true });
    const names = (await readdir(dir)).filter((n) => /^seg-\d{12}\.log$/.test(n)).sort();
    const report: RecoveryReport = { segments: names.length, records: 0, released: 0, truncatedTailBytes: 0, quarantined: [] };
    const released = new Set<number>();
    let maxId = 0;
    for (const name of names) {
      const id = Number(name.slice(4, 16));
      maxId = Math.max(maxId, id);
      const segment: Segment = { id, name, bytes: 0, unreleased: new Set(), markers: [] };
      segment.bytes = await this.recoverSegment(segment, name === names.at(-1), report, released);
      this.segments.set(id, segment);
      this.bytes += segment.bytes;
    }
    for (const seq of released) {
      if (this.records.delete(seq)) report.released++;
      const seg = this.segments.get(this.segmentOf.get(seq) ?? -1);
      seg?.unreleased.delete(seq);
    }
    report.records = this.records.size;
    this.quarantinedCount = report.quarantined.length;
    await this.startSegment(maxId + 1);
    this.state = 'open';
    await this.compact();
    if (report.quarantined.length > 0) {
      this.options.logger.error({ quarantined: report.quarantined }, 'journal records quarantined');
    }
    return report;
  }

  private async recoverSegment(segment: Segment, last: boolean, report: RecoveryReport, released: Set<number>): Promise<number> {
    const path = join(this.options.dir, segment.name);
    const buf = await readFile(path);
    const scan = scanSegment(buf, this.options.maxRecordBytes);
    const keep: ScannedFrame[] = [];
    const bad: Array<{ offset: number; end: number; reason: QuarantinedRegion['reason'] }> =
      scan.corrupt.map((c) => ({ ...c, reason: 'crc' as const }));
    for (const frame of scan.frames) {
      const entry = frame.entry;
      if (entry.t === 'h') {
        this.nextSeq = Math.max(this.nextSeq, entry.nextSeq);
      } else if (entry.t === 'r') {
        for (const s of entry.seqs) released.add(s);
        segment.markers.push(...entry.seqs);
      } else {
        const record = this.decodeAppend(entry);
        if (!record) {
          bad.push({ offset: frame.offset, end: frame.offset + frame.length, reason: 'authentication' });
          continue;
        }
        this.nextSeq = Math.max(this.nextSeq, entry.seq + 1);
        // Its data key was destroyed when central's receipt released it: released, not damaged.
        if (record === 'shredded') released.add(entry.seq);
        else {
          this.records.set(record.seq, record);
          this.segmentOf.set(record.seq, segment.id);
          segment.unreleased.add(record.seq);
        }
      }
      keep.push(frame);
    }
    // A complete frame that fails its CRC at the very end is damage, not an interrupted write: keep a copy.
    if (scan.tail && (scan.tail.complete || !last)) {
      bad.push({ offset: scan.tail.offset, end: scan.tail.offset + scan.tail.bytes, reason: 'corrupt-tail' });
    } else if (scan.tail) {
      report.truncatedTailBytes += scan.tail.bytes;
    }
    for (const region of bad) {
      const file = join(this.options.dir, 'quarantine', `${segment.name}.${region.offset}.bin`);
      await writeFileDurable(file, buf.subarray(region.offset, region.end));
      report.quarantined.push({ segment: segment.name, offset: region.offset, bytes: region.end - region.offset, reason: region.reason, file });
    }
    if (bad.length > 0) {
      const kept = Buffer.concat(keep.map((f) => buf.subarray(f.offset, f.offset + f.length)));
      await writeFileDurable(path, kept);
      return kept.length;
    }
    if (scan.tail) {
      await truncate(path, scan.tail.offset);
      const fh = await open(path, 'r+');
      try {
        await fh.datasync();
      } finally {
        await fh.close();
      }
      return scan.tail.offset;
    }
    return buf.length;
  }

  private decodeAppend(entry: AppendEntry): JournalRecord | 'shredded' | null {
    let body = entry.body;
    if (entry.enc !== undefined) {
      if (!this.options.box) return null;
      try {
        body = JSON.parse(this.options.box.open(Buffer.from(entry.enc, 'base64'), entry.id).toString('utf8'));
      } catch (err) {
        return err instanceof RecordShredded ? 'shredded' : null;
      }
    }
    if (typeof body !== 'object' || body === null) return null;
    return {
      seq: entry.seq, eventId: entry.id, kind: entry.kind, stream: entry.stream, recordedAt: entry.at,
      personal: entry.pers === 1, priority: entry.prio === 1, body,
    };
  }

  private async startSegment(id: number): Promise<void> {
    const name = segmentName(id);
    const fh = await open(join(this.options.dir, name), 'a');
    const header = encodeFrame({ t: 'h', nextSeq: this.nextSeq, at: this.options.clock.now() });
    await fh.write(header);
    await fh.datasync();
    await fsyncDir(this.options.dir);
    const previous = this.fh;
    this.fh = fh;
    this.active = { id, name, bytes: header.length, unreleased: new Set(), markers: [] };
    this.segments.set(id, this.active);
    this.bytes += header.length;
    await previous?.close();
  }

  /**
   * Writes a record durably. Resolves after fdatasync; rejects with JOURNAL_FULL when the record
   * would take the journal past its size limit, JOURNAL_CLOSED after close.
   */
  async append(input: AppendInput): Promise<JournalRecord> {
    if (this.state !== 'open') throw new StationError('JOURNAL_CLOSED');
    const personal = input.personal === true;
    if (personal && !this.options.box) {
      throw new StationError('JOURNAL_CORRUPT', 'No journal key is provisioned for personal records');
    }
    if (personal) await this.options.box!.ready?.();
    const seq = this.nextSeq;
    const record: JournalRecord = {
      seq, eventId: `${this.options.idPrefix}:${seq}`, kind: input.kind, stream: input.stream ?? input.kind,
      recordedAt: this.options.clock.now(), personal, priority: input.priority === true, body: input.body,
    };
    const entry: AppendEntry = { t: 'a', seq, id: record.eventId, kind: record.kind, stream: record.stream, at: record.recordedAt };
    if (personal) {
      entry.pers = 1;
      entry.enc = this.options.box!.seal(Buffer.from(JSON.stringify(input.body), 'utf8'), record.eventId).toString('base64');
    } else {
      entry.body = input.body;
    }
    if (record.priority) entry.prio = 1;
    const frame = encodeFrame(entry);
    if (frame.length - FRAME_HEADER_BYTES > this.options.maxRecordBytes) {
      throw new StationError('INPUT_INVALID', 'The record is larger than the journal allows');
    }
    if (this.bytes + this.queuedBytes + frame.length > this.options.maxBytes) {
      throw new StationError('JOURNAL_FULL', undefined, { transient: true, details: { bytes: this.bytes, maxBytes: this.options.maxBytes } });
    }
    this.nextSeq++;
    await this.enqueue(frame);
    this.records.set(seq, record);
    this.segmentOf.set(seq, this.active!.id);
    this.active!.unreleased.add(seq);
    return record;
  }

  /** Whether a record of about `bytes` would fit (the payment flow asks before taking money). */
  hasRoomFor(bytes: number): boolean {
    return this.bytes + this.queuedBytes + bytes + FRAME_HEADER_BYTES <= this.options.maxBytes;
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
    this.active!.markers.push(...live);
    // When everything in a sizeable active segment is released, start a new one so it can be deleted.
    if (this.active!.unreleased.size === 0 && (this.active!.bytes >= this.options.segmentBytes / 4 || this.bytes > this.options.maxBytes / 2)) {
      this.rotateWhenDrained = true;
    }
    await this.enqueue(encodeFrame({ t: 'r', seqs: live }));
    await this.compact();
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
      unreleased: this.records.size, oldestRecordedAt: oldest, quarantined: this.quarantinedCount,
    };
  }

  private enqueue(frame: Buffer): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ frame, resolve, reject });
      this.queuedBytes += frame.length;
      this.flushing ??= this.flush().finally(() => {
        this.flushing = null;
      });
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      const data = Buffer.concat(batch.map((p) => p.frame));
      this.queuedBytes -= data.length;
      try {
        if (this.active!.bytes + data.length > this.options.segmentBytes && this.active!.unreleased.size + this.active!.markers.length > 0) {
          await this.startSegment(this.active!.id + 1);
        }
        await this.fh!.write(data);
        await this.fh!.datasync();
        this.active!.bytes += data.length;
        this.bytes += data.length;
        if (this.rotateWhenDrained) {
          this.rotateWhenDrained = false;
          if (this.active!.unreleased.size === 0) await this.startSegment(this.active!.id + 1);
        }
        for (const p of batch) p.resolve();
      } catch (err) {
        this.options.logger.error({ err }, 'journal write failed');
        for (const p of batch) p.reject(new StationError('JOURNAL_CORRUPT', 'The journal write failed', { cause: err }));
      }
    }
  }

  /** Deletes segments whose records are all released, carrying still-needed release markers forward. */
  private async compact(): Promise<void> {
    for (const segment of [...this.segments.values()]) {
      if (segment === this.active || segment.unreleased.size > 0) continue;
      const carry = segment.markers.filter((s) => {
        const owner = this.segmentOf.get(s);
        return owner !== undefined && owner !== segment.id && this.segments.has(owner);
      });
      if (carry.length > 0) {
        this.active!.markers.push(...carry);
        await this.enqueue(encodeFrame({ t: 'r', seqs: carry }));
      }
      if (!this.segments.has(segment.id)) continue;
      this.segments.delete(segment.id);
      for (const [seq, owner] of this.segmentOf) if (owner === segment.id) this.segmentOf.delete(seq);
      this.bytes -= segment.bytes;
      await unlink(join(this.options.dir, segment.name));
      await fsyncDir(this.options.dir);
    }
  }

  /** Waits for queued writes, then closes the active segment. Idempotent. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    while (this.flushing) await this.flushing;
    await this.fh?.close();
    this.fh = null;
  }
}

