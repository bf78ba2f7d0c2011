/**
 * The journal's bytes on disk. A segment is a run of frames `length (u32 LE) | crc32 (u32 LE,
 * zlib/IEEE) | payload (JSON)`; the payload is a header, an append or a release marker. Pure: the
 * scan never throws, whatever the bytes.
 */
import { crc32 } from 'node:zlib';

/** Bytes before each payload: length and CRC-32. */
export const FRAME_HEADER_BYTES = 8;
const OPEN_BRACE = 0x7b;

/**
 * First frame of every segment: the next global sequence number and, per stream, the next stream
 * sequence number, so neither goes back even after every record was released and compacted.
 */
export type HeaderEntry = { t: 'h'; nextSeq: number; at: number; ss?: Record<string, number> };
/**
 * A business record. `ss` is its sequence number within its stream (central's receipts count by
 * it); `kid` names the data key a sealed body (`enc`) is under, when keys are per record.
 */
export type AppendEntry = {
  t: 'a'; seq: number; id: string; kind: string; stream: string; at: number; ss?: number;
  pers?: 1; prio?: 1; body?: Record<string, unknown>; enc?: string; kid?: string;
};
/** Records released by central's receipt (global sequence numbers). */
export type ReleaseEntry = { t: 'r'; seqs: number[] };
export type Entry = HeaderEntry | AppendEntry | ReleaseEntry;

export interface ScannedFrame {
  offset: number;
  length: number;
  entry: Entry;
}

export interface SegmentScan {
  frames: ScannedFrame[];
  /** Regions between valid records that failed their check. */
  corrupt: Array<{ offset: number; end: number }>;
  /**
   * Bytes after the last valid record with nothing valid behind them. `complete` when they hold a
   * whole record whose header is damaged (declared length fits, or the bytes after the header are a
   * whole entry): that is damage to kept data, never an interrupted write.
   */
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
      && (e.ss === undefined || Number.isSafeInteger(e.ss))
      && (typeof e.body === 'object' || typeof e.enc === 'string');
  }
  return false;
}

function parseEntry(payload: Buffer): Entry | null {
  try {
    const entry: unknown = JSON.parse(payload.toString('utf8'));
    return isEntry(entry) ? entry : null;
  } catch {
    return null;
  }
}

function frameAt(buf: Buffer, pos: number, maxRecordBytes: number): ScannedFrame | null {
  if (pos + FRAME_HEADER_BYTES > buf.length) return null;
  const length = buf.readUInt32LE(pos);
  if (length < 2 || length > maxRecordBytes || pos + FRAME_HEADER_BYTES + length > buf.length) return null;
  if (buf[pos + FRAME_HEADER_BYTES] !== OPEN_BRACE) return null;
  const payload = buf.subarray(pos + FRAME_HEADER_BYTES, pos + FRAME_HEADER_BYTES + length);
  if (crc32(payload) !== buf.readUInt32LE(pos + 4)) return null;
  const entry = parseEntry(payload);
  return entry ? { offset: pos, length: FRAME_HEADER_BYTES + length, entry } : null;
}

/**
 * Whether the bytes from `pos` to the end are a whole frame whose header is damaged. A write cut
 * short leaves a proper prefix of a JSON object, which never parses; a flipped length or CRC field
 * leaves the whole payload behind it.
 */
function holdsWholeRecord(buf: Buffer, pos: number): boolean {
  if (pos + FRAME_HEADER_BYTES >= buf.length) return false;
  const declared = buf.readUInt32LE(pos);
  if (pos + FRAME_HEADER_BYTES + declared <= buf.length) return true;
  const rest = buf.subarray(pos + FRAME_HEADER_BYTES);
  return rest[0] === OPEN_BRACE && (crc32(rest) === buf.readUInt32LE(pos + 4) || parseEntry(rest) !== null);
}

/**
 * Splits one segment's bytes into valid frames, corrupt regions and a tail. After a bad frame it
 * resynchronises on the next offset where a frame with a matching CRC starts; if none follows, the
 * rest is the tail.
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
      tail = { offset: pos, bytes: buf.length - pos, complete: holdsWholeRecord(buf, pos) };
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
