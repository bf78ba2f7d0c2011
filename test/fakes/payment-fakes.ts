/** In-memory stand-ins for the journal, central RPC and the payment ledger, for payment and flow tests. */
import { StationError } from '../../runtime/kernel/errors.js';
import type { RecordedEvent, RecordKind, RecordOptions, RecordSink, RpcClient, RpcOptions, RpcService } from '../../runtime/flows/ports.js';
import type { PaymentLedger, PaymentRecord } from '../../runtime/services/payment.js';

export interface StoredRecord {
  kind: RecordKind;
  payload: Record<string, unknown>;
  options: RecordOptions | undefined;
  eventId: string;
}

/** Keeps every record in order; `full` makes it refuse like a journal with no room. */
export class MemoryRecordSink implements RecordSink {
  readonly records: StoredRecord[] = [];
  full = false;
  private seq = 0;

  async record(kind: RecordKind, payload: Record<string, unknown>, options?: RecordOptions): Promise<RecordedEvent> {
    if (this.full) throw new StationError('JOURNAL_FULL');
    const eventId = `test-station:1:${++this.seq}`;
    this.records.push({ kind, payload: structuredClone(payload), options, eventId });
    return { eventId, recordedAt: 0 };
  }

  of(kind: RecordKind): Record<string, unknown>[] {
    return this.records.filter((r) => r.kind === kind).map((r) => r.payload);
  }
}

export type RpcHandler = (params: Record<string, unknown>) => unknown | Promise<unknown>;

/** Answers RPCs from per-service handlers; `offline` makes every call fail like a dropped link. */
export class FakeRpc implements RpcClient {
  readonly calls: { service: RpcService; params: Record<string, unknown> }[] = [];
  offline = false;
  private readonly handlers = new Map<RpcService, RpcHandler>();

  on(service: RpcService, handler: RpcHandler): this {
    this.handlers.set(service, handler);
    return this;
  }

  async call<T = unknown>(service: RpcService, params: Record<string, unknown>, _options?: RpcOptions): Promise<T> {
    this.calls.push({ service, params });
    if (this.offline) throw new StationError('RPC_UNAVAILABLE', undefined, { transient: true });
    const handler = this.handlers.get(service);
    if (!handler) throw new StationError('RPC_FAILED', `no handler for ${service}`);
    return (await handler(params)) as T;
  }
}

export class MemoryPaymentLedger implements PaymentLedger {
  saved: PaymentRecord[] = [];
  async load(): Promise<PaymentRecord[]> {
    return this.saved.map((p) => ({ ...p }));
  }
  async save(payments: PaymentRecord[]): Promise<void> {
    this.saved = payments.map((p) => ({ ...p }));
  }
}
