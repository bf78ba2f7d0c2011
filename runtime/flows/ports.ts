/**
 * The services the flow engine and other components use from the central link, the journal and the
 * printer. Implementations live in runtime/ (link, outbox, rpc) and drivers/ (printer); tests pass fakes.
 */
import type { ReceiptLine, ReceiptPrinter } from '../../drivers/types.js';
import type { ErrorShape } from '../kernel/errors.js';

export type { ReceiptLine, ReceiptPrinter };

/** Kinds of business records: each becomes `event/{kind}` at central. */
export type RecordKind =
  | 'transaction' | 'payment' | 'consent' | 'report' | 'emergency' | 'health-record' | 'dossier'
  | 'appointment' | 'insurance' | 'signature-request' | 'feedback' | 'analytics' | 'audit';

export interface RecordOptions {
  /** The payload holds personal data: encrypted at rest, deleted once central acknowledged it. */
  personal?: boolean;
  /** Sent ahead of other streams (emergency). */
  priority?: boolean;
}

export interface RecordedEvent {
  /** Idempotency key `{stationId}:{bootSeq}:{seq}`. */
  eventId: string;
  /** Clock ms when the record became durable. */
  recordedAt: number;
}

/**
 * Durable business records. `record` resolves only after the record is on disk (fdatasync) and
 * queued for delivery; it rejects with JOURNAL_FULL when no room is left (never drops).
 */
export interface RecordSink {
  record(kind: RecordKind, payload: Record<string, unknown>, options?: RecordOptions): Promise<RecordedEvent>;
}

/** Best-effort telemetry (QoS 0/1, TTL, cap, drop-oldest). */
export interface TelemetrySink {
  telemetry(device: string, payload: Record<string, unknown>): void;
}

/** Lookup services answered by central over MQTT request/response. */
export type RpcService =
  | 'bills' | 'dossiers' | 'bhxh' | 'telehealth-slots' | 'bhyt-quote' | 'payment-status' | 'hospitals' | 'dossier-intake' | 'dossier-attachment';

export interface RpcOptions {
  /** Default 10 000 ms. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Rejects with StationError RPC_TIMEOUT, RPC_UNAVAILABLE (link down) or RPC_FAILED (central said no). */
export interface RpcClient {
  call<T = unknown>(service: RpcService, params: Record<string, unknown>, options?: RpcOptions): Promise<T>;
}

/** A response envelope, as on the control socket and MQTT RPC: `{id, ok, data | error}`. */
export type Envelope<T = unknown> =
  | { id: string; ok: true; data: T }
  | { id: string; ok: false; error: ErrorShape };


