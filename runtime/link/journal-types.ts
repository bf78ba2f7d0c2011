/**
 * The journal's public types: records, recovery report, disk pressure, options. Kept apart from
 * the class so the file holding the write path stays readable.
 */
import type { Clock } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';
import type { CryptoBox } from './crypto-box.js';
import type { JournalFs } from './journal-fs.js';

export interface JournalRecord {
  seq: number;
  /** Idempotency key `{stationId}:{bootSeq}:{seq}`, fixed when the record was written. */
  eventId: string;
  kind: string;
  /** Delivery order is kept within a stream (default: the kind). */
  stream: string;
  /** Position in its stream, from 1, without gaps; central's cumulative receipts count by it. */
  streamSeq: number;
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

/**
 * How close the journal is to running out of room. `full`: the last write failed for lack of
 * space (or the journal is at its limit); `low`: less than the reserve is left, shed kinds are
 * refused; `ok` otherwise.
 */
export interface DiskPressure {
  state: 'ok' | 'low' | 'full';
  /** Free bytes on the data file system at the last check; null when unknown. */
  freeBytes: number | null;
  /** Error code of the last failed write (ENOSPC, EIO, ESHORTWRITE); null once a write succeeds. */
  lastError: string | null;
  /** Writes that failed and were rolled back since open. */
  failedWrites: number;
  /** Records of shed kinds refused to keep room for business records, since open. */
  shed: number;
}

export interface JournalStats {
  segments: number;
  bytes: number;
  maxBytes: number;
  unreleased: number;
  oldestRecordedAt: number | null;
  quarantined: number;
  disk: DiskPressure;
}

export interface JournalEvents {
  /** The pressure state changed (ok → low → full and back). */
  pressure: DiskPressure;
}

export interface JournalOptions {
  /** Directory of the segment files; created if missing. */
  dir: string;
  /** `{stationId}:{bootSeq}`; a record's event id is this prefix and its sequence number. */
  idPrefix: string;
  clock: Clock;
  logger: Logger;
  /** Seals bodies of personal records; without it personal records are refused. */
  box?: CryptoBox | null;
  /** A new segment is started once the active one reaches this size; default 4 MiB. */
  segmentBytes?: number;
  /** Appends are refused with JOURNAL_FULL beyond this many bytes on disk; default 64 MiB. */
  maxBytes?: number;
  /** Largest single record; default 1 MiB. */
  maxRecordBytes?: number;
  /** File I/O; default node:fs (tests inject failing and crashing file systems). */
  fs?: JournalFs;
  /** Kinds refused first when room runs short; default analytics and telemetry. */
  shedKinds?: readonly string[];
  /** Room kept for business records, in the journal and on the disk; default 1 MiB. */
  reserveBytes?: number;
  /** How often free disk space is read again; default 5 000 ms. */
  diskCheckMs?: number;
}
