/** The outbox's options, status and events (runtime/link/outbox.ts). */
import type { Clock } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';
import type { Journal } from './journal.js';
import type { LinkAlert, LinkInfo, LinkPort } from './mqtt-link.js';
import type { ReceiptRefusal } from './receipts.js';
import type { InboundRefusals } from './inbound-refusals.js';

export interface OutboxOptions {
  journal: Journal;
  link: LinkPort;
  clock: Clock;
  logger: Logger;
  /** Record publishes awaiting PUBACK across all streams; default 32. */
  inFlight?: number;
  /**
   * Records of one stream sent and not yet receipted; default 100. Central orders a stream by its
   * stream seq and names what it misses in its receipt, so a wide window keeps order too.
   */
  streamWindow?: number;
  /** keyId → Ed25519 public key (PEM or base64 raw) that central signs receipts with (the command keys). */
  receiptKeys?: Record<string, string>;
  /** Resend a delivered record when central's receipt has not come; default 60 000 ms. */
  receiptTimeoutMs?: number;
  /** A publish with no PUBACK after this long is tried again; default 30 000 ms. */
  pubackTimeoutMs?: number;
  /** First back-off after a broker refusal; doubles per refusal up to the max. Default 5 000 ms. */
  refusedBackoffMinMs?: number;
  /** Default 300 000 ms. */
  refusedBackoffMaxMs?: number;
  /** Telemetry samples kept while offline; default 5 000. */
  telemetryCap?: number;
  /** Telemetry older than this is dropped unsent; default 600 000 ms. */
  telemetryTtlMs?: number;
  /** Telemetry publishes awaiting PUBACK; default 32. */
  telemetryInFlight?: number;
  /** Default 1. */
  telemetryQos?: 0 | 1;
  /** Counts refused receipts (not JSON, wrong shape); default none. */
  refusals?: InboundRefusals;
}

export interface FlaggedRecord {
  eventId: string;
  kind: string;
  reasonCode: number;
  refusals: number;
  flaggedAt: number;
  retryAt: number;
}

export interface OutboxStatus {
  /** Business records in the journal not yet released by a receipt. */
  depth: number;
  oldestAgeMs: number | null;
  publishing: number;
  awaitingReceipt: number;
  resends: number;
  flagged: FlaggedRecord[];
  /** Receipts that released records, and those refused by reason (nothing released). */
  receipts: { accepted: number; refused: Partial<Record<ReceiptRefusal, number>> };
  telemetry: { queued: number; sent: number; droppedCap: number; droppedExpired: number; droppedUnsent: number };
  link: LinkInfo;
}

export interface OutboxEvents {
  alert: LinkAlert;
  released: { eventIds: string[] };
}
