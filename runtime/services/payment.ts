/**
 * Payments by dynamic VietQR: the station shows a one-time code, the resident pays from a bank app,
 * and central (which sees the bank's credit notification) confirms. State machine:
 *
 *   CREATED ──QR shown──▶ PENDING ──central: paid────▶ PAID
 *                            │ ├────central: failed──▶ FAILED
 *                            │ ├────resident cancels─▶ FAILED (PAYMENT_CANCELLED)
 *                            │ └────deadline─────────▶ EXPIRED
 *   EXPIRED / FAILED ──central: paid (late)──▶ same state, `late` set, flagged for reconciliation
 *
 * Every state change is a `payment` record in the journal (RecordSink) before anyone is told about it,
 * so central sees the whole history even when the resident walked away. Open payments (PENDING, and
 * settled ones still inside the reconciliation window) are also kept in a small durable ledger file so
 * a restart neither forgets them nor resumes a stranger's session: on start, a PENDING payment past its
 * deadline becomes EXPIRED, and all of them keep being checked with central until the window closes.
 *
 * Confirmation reaches the service two ways, both idempotent: polling central's `payment-status` RPC
 * while a payment is open, and {@link PaymentService.confirm} called by the link when central pushes
 * an update. A confirmation for an unknown payment id is journaled too, never dropped.
 */
import type { Clock, TimerHandle } from '../kernel/clock.js';
import { isStationError, StationError, toErrorShape } from '../kernel/errors.js';
import type { ErrorShape } from '../kernel/errors.js';
import type { Logger } from '../kernel/logger.js';
import type { RecordSink, RpcClient } from '../flows/ports.js';
import { ADDITIONAL_FIELD_MAX, buildVietQr, foldToAscii } from './vietqr.js';

export type PaymentState = 'CREATED' | 'PENDING' | 'PAID' | 'EXPIRED' | 'FAILED';

/**
 * What a flow asks to be paid: the one shape from the engine's `pay` effect through the session to
 * the payment service (runtime/flows/engine/run.ts builds it).
 */
export interface PaymentRequest {
  /** The flow (service) asking, e.g. `bill-payment`, `bhyt-registration`. */
  service: string;
  /** The resident session the payment belongs to, when a flow asks. */
  sessionId?: string;
  /** Whole dong, positive. */
  amount: number;
  /** The bill or quote reference shown to the resident and put in VietQR 62/01 (folded, ≤ 25). */
  reference: string;
  /** What the transfer is for, in Vietnamese; folded into VietQR 62/08 after the payment code. */
  purpose?: string;
  /** How long this code is accepted; default the service's `timeoutMs`. */
  expiresInMs?: number;
}

/** A late or unexpected confirmation kept for central's reconciliation. */
export interface LateConfirmation {
  at: number;
  amount?: number;
  bankRef?: string;
}

export interface PaymentRecord {
  /** Unique on this station; also the code the resident's transfer carries (62/08), so central can match it. */
  paymentId: string;
  service: string;
  amount: number;
  reference: string;
  purpose: string;
  /** The EMVCo payload the QR encodes. */
  payload: string;
  state: PaymentState;
  createdAt: number;
  /** Clock ms when the code stops being accepted by the station. */
  expiresAt: number;
  settledAt?: number;
  /** Bank transaction reference reported by central. */
  bankRef?: string;
  /** Why it failed: PAYMENT_CANCELLED by the resident, or PAYMENT_FAILED (central's reason, AMOUNT_MISMATCH). */
  failure?: ErrorShape;
  /** Confirmation that arrived after the payment expired or was cancelled: money to reconcile. */
  late?: LateConfirmation;
}

/** What central says about a payment (RPC `payment-status` answer or pushed update). */
export interface PaymentStatusUpdate {
  paymentId: string;
  status: 'pending' | 'paid' | 'failed';
  /** Amount actually credited, in dong. */
  amount?: number;
  bankRef?: string;
  /** Central's reason when failed. */
  reason?: string;
}

export interface PaymentServiceOptions {
  clock: Clock;
  logger: Logger;
  records: RecordSink;
  rpc: RpcClient;
  /** Where open payments survive a restart; see openPaymentLedger in payment-ledger.ts. */
  ledger: PaymentLedger;
  stationId: string;
  /** Beneficiary bank BIN (6 digits). Config `payments.bankBin`. */
  bankBin: string;
  /** Beneficiary account (or card number with `service: QRIBFTTC`). Config `payments.account`. */
  account: string;
  /** Config `payments.cardService`; default false (account transfer, QRIBFTTA). */
  cardService?: boolean;
  /** How long a code is accepted. Config `payments.timeoutS`; default 300 s. */
  timeoutMs?: number;
  /** Interval of `payment-status` polls while a payment is open. Config `payments.pollIntervalS`; default 3 s. */
  pollIntervalMs?: number;
  /** Per-poll RPC deadline; default 5000 ms. */
  rpcTimeoutMs?: number;
  /** How long after expiry or cancellation central is still asked about the payment. Config `payments.reconcileWindowS`; default 86 400 s. */
  reconcileWindowMs?: number;
  /** Poll interval for settled payments inside the reconciliation window; default 60 s. */
  reconcileIntervalMs?: number;
}

/** Durable home of open payments. */
export interface PaymentLedger {
  load(): Promise<PaymentRecord[]>;
  save(payments: PaymentRecord[]): Promise<void>;
}

/** Live view of one payment for the pay step. */
export interface PaymentHandle {
  readonly paymentId: string;
  /** The current record (a copy). */
  current(): PaymentRecord;
  /** True while the last poll could not reach central. */
  centralReachable(): boolean;
  /** Called on every state or reachability change; returns the unsubscribe function. */
  subscribe(listener: (payment: PaymentRecord, centralReachable: boolean) => void): () => void;
  /** Resolves once the payment is PAID, EXPIRED or FAILED. */
  readonly settled: Promise<PaymentRecord>;
  /** The resident gave up: FAILED with PAYMENT_CANCELLED (still reconciled if money arrives). Never rejects. */
  cancel(): Promise<PaymentRecord>;
}

const settledStates: ReadonlySet<PaymentState> = new Set(['PAID', 'EXPIRED', 'FAILED']);

interface Open {
  record: PaymentRecord;
  listeners: Set<(p: PaymentRecord, reachable: boolean) => void>;
  reachable: boolean;
  settle?: (p: PaymentRecord) => void;
  expiryTimer?: TimerHandle;
  pollTimer?: TimerHandle;
  polling: boolean;
  /** Serialises state changes of this payment (journal writes are async). */
  chain: Promise<void>;
}

export class PaymentService {
  readonly name = 'payments';
  private readonly o: PaymentServiceOptions;
  private readonly open = new Map<string, Open>();
  /** Payments closed in this process, so central's repeated confirmations are recognised as duplicates. */
  private readonly closed = new Map<string, PaymentState>();
  private seq = 0;
  private running = false;

  constructor(options: PaymentServiceOptions) {
    this.o = options;
  }

  private get timeoutMs(): number {
    return this.o.timeoutMs ?? 300_000;
  }

  /** Loads open payments from the ledger, expires overdue ones, resumes checking them with central. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const now = this.o.clock.now();
    for (const record of await this.o.ledger.load()) {
      const entry = this.track(record);
      if (record.state === 'CREATED' || record.state === 'PENDING') {
        // The QR may still be on a phone screen somewhere; only the deadline decides.
        if (record.expiresAt <= now) await this.transition(entry, 'EXPIRED', {});
        else this.armExpiry(entry);
      }
      if (!this.reconcileOver(entry.record, now)) this.schedulePoll(entry, 0);
      else this.finishReconcile(entry);
    }
    await this.persist();
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const entry of this.open.values()) {
      this.o.clock.clearTimeout(entry.expiryTimer);
      this.o.clock.clearTimeout(entry.pollTimer);
    }
  }

  /**
   * Creates a payment and shows it: journals CREATED, builds the VietQR, journals PENDING. Rejects with
   * JOURNAL_FULL (no QR must be shown when its record cannot be kept) or INPUT_INVALID.
   */
  async create(request: PaymentRequest): Promise<PaymentHandle> {
    if (!Number.isSafeInteger(request.amount) || request.amount <= 0) {
      throw new StationError('INPUT_INVALID', 'the amount to pay must be a positive whole number of dong');
    }
    if (request.expiresInMs !== undefined && !(Number.isSafeInteger(request.expiresInMs) && request.expiresInMs > 0)) {
      throw new StationError('INPUT_INVALID', 'a payment needs a positive deadline');
    }
    const now = this.o.clock.now();
    this.seq = (this.seq + 1) % 1296;
    // Short and unambiguous: the code is read back from a bank statement line by central.
    const paymentId = `CDS${now.toString(36).toUpperCase()}${this.seq.toString(36).toUpperCase().padStart(2, '0')}`;
    const purposeText = cutAtWord(foldToAscii(`${paymentId} ${request.purpose ?? ''}`), ADDITIONAL_FIELD_MAX);
    const reference = foldToAscii(request.reference).slice(0, ADDITIONAL_FIELD_MAX).trim();
    const payload = buildVietQr({
      bankBin: this.o.bankBin,
      account: this.o.account,
      service: this.o.cardService ? 'QRIBFTTC' : 'QRIBFTTA',
      amount: request.amount,
      bill: reference,
      terminal: this.o.stationId.slice(0, ADDITIONAL_FIELD_MAX),
      purpose: purposeText,
    });
    const record: PaymentRecord = {
      paymentId, service: request.service, amount: request.amount, reference, purpose: purposeText, payload,
      state: 'CREATED', createdAt: now, expiresAt: now + (request.expiresInMs ?? this.timeoutMs),
    };
    await this.journal(record);
    const entry = this.track(record);
    let settle!: (p: PaymentRecord) => void;
    const settled = new Promise<PaymentRecord>((resolve) => (settle = resolve));
    entry.settle = settle;
    try {
      await this.transition(entry, 'PENDING', {});
    } catch (err) {
      // The QR is never shown; the CREATED record tells central the attempt stopped here.
      this.open.delete(paymentId);
      throw err;
    }
    this.armExpiry(entry);
    this.schedulePoll(entry, this.o.pollIntervalMs ?? 3000);
    await this.persist();
    return {
      paymentId,
      current: () => ({ ...entry.record }),
      centralReachable: () => entry.reachable,
      subscribe: (listener) => {
        entry.listeners.add(listener);
        return () => entry.listeners.delete(listener);
      },
      settled,
      cancel: () => this.cancel(entry),
    };
  }

  /** Central's word on a payment, pushed or polled. Idempotent; never throws. */
  async confirm(update: PaymentStatusUpdate): Promise<void> {
    const entry = this.open.get(update.paymentId);
    if (!entry) {
      if (update.status !== 'paid' || this.closed.has(update.paymentId)) return;
      // Money for a payment this station no longer tracks: keep the fact for reconciliation.
      this.o.logger.warn({ paymentId: update.paymentId }, 'confirmation for an unknown payment');
      try {
        await this.o.records.record('payment', {
          paymentId: update.paymentId, state: 'UNKNOWN', late: { at: this.o.clock.now(), amount: update.amount, bankRef: update.bankRef },
          reconcile: true,
        });
      } catch (err) {
        this.o.logger.error({ err: toErrorShape(err), paymentId: update.paymentId }, 'could not journal an unknown confirmation');
      }
      return;
    }
    try {
      await this.serialise(entry, () => this.apply(entry, update));
    } catch (err) {
      // Not journaled, so not applied: the next poll or push brings the same news again.
      this.o.logger.error({ err: toErrorShape(err), paymentId: update.paymentId }, 'could not record a payment update');
    }
  }

  private async apply(entry: Open, update: PaymentStatusUpdate): Promise<void> {
    const r = entry.record;
    if (update.status === 'pending') return;
    if (r.state === 'PENDING') {
      if (update.status === 'failed') {
        await this.transition(entry, 'FAILED', { failure: { code: 'PAYMENT_FAILED', message: update.reason ?? 'central reported a failed payment' } });
      } else if (update.amount !== undefined && update.amount !== r.amount) {
        // Money arrived but not the amount asked: not a payment of this bill; central reconciles it.
        await this.transition(entry, 'FAILED', {
          failure: { code: 'PAYMENT_FAILED', message: `AMOUNT_MISMATCH: received ${update.amount}, expected ${r.amount}` },
          late: this.lateOf(update),
        });
      } else {
        await this.transition(entry, 'PAID', update.bankRef ? { bankRef: update.bankRef } : {});
      }
      return;
    }
    if (update.status === 'paid' && (r.state === 'EXPIRED' || r.state === 'FAILED') && !r.late) {
      const next: PaymentRecord = { ...r, late: this.lateOf(update) };
      await this.journal(next, { reconcile: true });
      entry.record = next;
      this.o.logger.warn({ paymentId: r.paymentId, state: r.state }, 'payment confirmed after it was closed; flagged for reconciliation');
      this.finishReconcile(entry);
      await this.persist();
      this.notify(entry);
    }
  }

  private lateOf(update: PaymentStatusUpdate): LateConfirmation {
    const late: LateConfirmation = { at: this.o.clock.now() };
    if (update.amount !== undefined) late.amount = update.amount;
    if (update.bankRef) late.bankRef = update.bankRef;
    return late;
  }

  /** A copy of a tracked payment. */
  get(paymentId: string): PaymentRecord | undefined {
    const e = this.open.get(paymentId);
    return e ? { ...e.record } : undefined;
  }

  /** Payments still pending or inside their reconciliation window (technician view). */
  list(): PaymentRecord[] {
    return [...this.open.values()].map((e) => ({ ...e.record }));
  }

  private async cancel(entry: Open): Promise<PaymentRecord> {
    await this.serialise(entry, async () => {
      if (entry.record.state !== 'PENDING') return;
      // The step's deadline and the code's expiry are the same instant; whichever timer fires first,
      // a payment stopped at its deadline expired, it was not cancelled.
      if (this.o.clock.now() >= entry.record.expiresAt) await this.transition(entry, 'EXPIRED', {});
      else await this.transition(entry, 'FAILED', { failure: { code: 'PAYMENT_CANCELLED', message: 'cancelled by the resident' } });
    }).catch((err: unknown) => {
      // Not journaled: the payment stays PENDING and expires at its deadline instead.
      this.o.logger.error({ err: toErrorShape(err), paymentId: entry.record.paymentId }, 'could not record the cancellation');
    });
    return { ...entry.record };
  }

  private track(record: PaymentRecord): Open {
    const entry: Open = { record, listeners: new Set(), reachable: true, polling: false, chain: Promise.resolve() };
    this.open.set(record.paymentId, entry);
    return entry;
  }

  private serialise(entry: Open, fn: () => Promise<void>): Promise<void> {
    const next = entry.chain.then(fn);
    entry.chain = next.catch(() => undefined);
    return next;
  }

  private armExpiry(entry: Open): void {
    const delay = Math.max(0, entry.record.expiresAt - this.o.clock.now());
    entry.expiryTimer = this.o.clock.setTimeout(() => {
      void this.serialise(entry, async () => {
        if (entry.record.state === 'PENDING' || entry.record.state === 'CREATED') await this.transition(entry, 'EXPIRED', {});
      }).catch((err) => this.o.logger.error({ err: toErrorShape(err), paymentId: entry.record.paymentId }, 'could not expire payment'));
    }, delay);
  }

  /**
   * Changes state, journals it (durable before anyone hears of it), updates the ledger and listeners.
   * On a journal failure the state in memory is left as it was and the error propagates.
   */
  private async transition(entry: Open, state: PaymentState, changes: Partial<PaymentRecord>): Promise<void> {
    const next: PaymentRecord = { ...entry.record, ...changes, state };
    if (settledStates.has(state)) next.settledAt = this.o.clock.now();
    await this.journal(next);
    entry.record = next;
    this.o.logger.info({ paymentId: next.paymentId, state, service: next.service }, 'payment state');
    if (settledStates.has(state)) {
      this.o.clock.clearTimeout(entry.expiryTimer);
      // Paid payments need no more checking; expired and failed ones are watched for late money.
      if (state === 'PAID') this.finishReconcile(entry);
    }
    await this.persist();
    // Listeners hear the change before `settled` resolves, so the screen never misses the last state.
    this.notify(entry);
    if (settledStates.has(state)) entry.settle?.({ ...next });
  }

  private notify(entry: Open): void {
    for (const l of entry.listeners) {
      try {
        l({ ...entry.record }, entry.reachable);
      } catch (err) {
        this.o.logger.error({ err: toErrorShape(err) }, 'payment listener failed');
      }
    }
  }

  private async journal(record: PaymentRecord, extra: Record<string, unknown> = {}): Promise<void> {
    const { payload: _qr, ...rest } = record;
    await this.o.records.record('payment', { ...rest, stationId: this.o.stationId, ...extra }, { personal: true });
  }

  private reconcileOver(record: PaymentRecord, now: number): boolean {
    if (record.state === 'PAID' || record.late) return true;
    if (!settledStates.has(record.state)) return false;
    return now - (record.settledAt ?? record.expiresAt) > (this.o.reconcileWindowMs ?? 86_400_000);
  }

  private finishReconcile(entry: Open): void {
    this.o.clock.clearTimeout(entry.pollTimer);
    this.open.delete(entry.record.paymentId);
    this.closed.set(entry.record.paymentId, entry.record.state);
    // Bounded: duplicates arrive within minutes; older ones are journaled as unknown, which is still safe.
    if (this.closed.size > 1000) this.closed.delete(this.closed.keys().next().value as string);
  }

  private schedulePoll(entry: Open, delay: number): void {
    if (!this.running) return;
    this.o.clock.clearTimeout(entry.pollTimer);
    entry.pollTimer = this.o.clock.setTimeout(() => void this.poll(entry), delay);
  }

  private async poll(entry: Open): Promise<void> {
    if (!this.running || entry.polling || this.open.get(entry.record.paymentId) !== entry) return;
    if (this.reconcileOver(entry.record, this.o.clock.now())) {
      this.finishReconcile(entry);
      await this.persist();
      return;
    }
    entry.polling = true;
    const r = entry.record;
    try {
      const answer = await this.o.rpc.call<Partial<PaymentStatusUpdate>>(
        'payment-status',
        { paymentId: r.paymentId, amount: r.amount, ...(r.reference ? { reference: r.reference } : {}) },
        { timeoutMs: this.o.rpcTimeoutMs ?? 5000 },
      );
      this.setReachable(entry, true);
      const status = answer?.status;
      if (status === 'paid' || status === 'failed' || status === 'pending') {
        const update: PaymentStatusUpdate = { paymentId: r.paymentId, status };
        if (typeof answer.amount === 'number') update.amount = answer.amount;
        if (typeof answer.bankRef === 'string') update.bankRef = answer.bankRef;
        if (typeof answer.reason === 'string') update.reason = answer.reason;
        await this.confirm(update);
      }
    } catch (err) {
      // Central unreachable or slow: the payment stays as it is and is asked about again.
      if (isStationError(err)) this.setReachable(entry, false);
      this.o.logger.warn({ err: toErrorShape(err), paymentId: r.paymentId }, 'payment status check failed');
    } finally {
      entry.polling = false;
    }
    if (this.open.get(entry.record.paymentId) !== entry) return;
    const pending = !settledStates.has(entry.record.state);
    this.schedulePoll(entry, pending ? (this.o.pollIntervalMs ?? 3000) : (this.o.reconcileIntervalMs ?? 60_000));
  }

  private setReachable(entry: Open, reachable: boolean): void {
    if (entry.reachable === reachable) return;
    entry.reachable = reachable;
    this.notify(entry);
  }

  private async persist(): Promise<void> {
    try {
      // Minimised at rest: the bill reference (it can hold a customer code), the purpose and the QR
      // are not needed to reconcile a payment with central after a restart, so they are not kept.
      await this.o.ledger.save([...this.open.values()].map((e) => ({ ...e.record, reference: '', purpose: '', payload: '' })));
    } catch (err) {
      // The journal already holds every state change; the ledger only speeds up restart recovery.
      this.o.logger.error({ err: toErrorShape(err) }, 'could not save the payment ledger');
    }
  }
}

/**
 * At most `max` characters, ending on a whole word: a bank app shows the purpose as it is, and a
 * cut word ("Tien dien 1" for "Tien dien 11/2026") reads as a different bill.
 */
export function cutAtWord(text: string, max: number): string {
  const trimmed = text.trim();
  if (trimmed.length <= max) return trimmed;
  const cut = trimmed.slice(0, max + 1);
  const space = cut.lastIndexOf(' ');
  return (space > 0 ? cut.slice(0, space) : trimmed.slice(0, max)).trim();
}
