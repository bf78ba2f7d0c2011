/**
 * The outbox: delivers journal records to central and releases them on central's receipt, and
 * carries best-effort telemetry.
 *
 * Business records: `record()` resolves once the journal has them on disk (fdatasync). Each stream
 * (the record kind) has at most `streamWindow` records sent and not yet receipted; every record
 * carries its stream seq, and central keeps each stream in order by it. Streams run side by side up
 * to `inFlight` publishes, priority records (emergency) first. A PUBACK moves a record to
 * "delivered, awaiting receipt"; central's signed cumulative `receipt` ("stream S through N, except
 * these missing") releases it from the journal and sends the missing ones again at once (see
 * receipts.ts: an unsigned, forged, expired or other-station receipt releases nothing and is counted);
 * no receipt within `receiptTimeoutMs`, or a reconnect, sends it again with the same event id. A v5 PUBACK
 * refusal (0x87 not authorized, 0x97 quota exceeded, …) keeps the record, flags it, raises an
 * alert and backs the stream off exponentially: no hot loop, no silent delete.
 *
 * Telemetry: kept in memory only, capped at `telemetryCap` with drop-oldest, expired after
 * `telemetryTtlMs`; both losses are counted and the count rides on the next sample sent.
 */
import type { Clock, TimerHandle } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';
import { TypedEmitter } from '../kernel/typed-emitter.js';
import type { Journal, JournalRecord } from './journal.js';
import type { LinkAlert, LinkPort, InboundMessage, LinkInfo } from './mqtt-link.js';
import type { RecordKind, RecordOptions, RecordSink, RecordedEvent, TelemetrySink } from '../flows/ports.js';
import { readPublicKey } from './commands.js';
import { verifyReceipt } from './receipts.js';
import type { ReceiptEnvelope, ReceiptRefusal } from './receipts.js';

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

interface Slot {
  record: JournalRecord;
  state: 'queued' | 'publishing' | 'delivered';
  /** Changes on every publish so a late answer to an abandoned attempt is ignored. */
  attempt: number;
  timer: TimerHandle | undefined;
  flag: FlaggedRecord | null;
}

interface StreamQueue {
  /** Queued seqs, ascending. */
  seqs: number[];
  /** Records of this stream published or delivered, not yet receipted. */
  outstanding: number;
  blockedUntil: number;
  refusals: number;
  priority: boolean;
  /** Stream seq → seq of every tracked (unreleased) record of this stream. */
  bySs: Map<number, number>;
  /** Tracked stream seqs in ascending order from `head`: the cumulative receipt consumes a prefix. */
  order: number[];
  head: number;
  /** Stream seqs at or below a receipt's `through` that central named missing: released by a later receipt. */
  held: Set<number>;
}

interface Sample {
  device: string;
  at: number;
  data: Record<string, unknown>;
}

export class Outbox implements RecordSink, TelemetrySink {
  readonly events = new TypedEmitter<OutboxEvents>();
  private readonly o: Required<Omit<OutboxOptions, 'journal' | 'link' | 'clock' | 'logger'>> & Pick<OutboxOptions, 'journal' | 'link' | 'clock' | 'logger'>;
  private slots = new Map<number, Slot>();
  private byEventId = new Map<string, number>();
  private streams = new Map<string, StreamQueue>();
  private publishing = 0;
  private resends = 0;
  private samples: Sample[] = [];
  private sampleHead = 0;
  private telemetryInFlight = 0;
  private telemetrySent = 0;
  private droppedCap = 0;
  private droppedExpired = 0;
  private droppedUnsent = 0;
  private unreportedDrops = 0;
  private wakeTimer: TimerHandle | undefined;
  private wakeAt = Infinity;
  private drainScheduled = false;
  private running = false;
  private receiptKeys = new Map<string, ReturnType<typeof readPublicKey>>();
  private receiptsAccepted = 0;
  private receiptsRefused: Partial<Record<ReceiptRefusal, number>> = {};

  constructor(options: OutboxOptions) {
    this.o = {
      inFlight: 128, streamWindow: 100, receiptKeys: {}, receiptTimeoutMs: 60_000, pubackTimeoutMs: 30_000, refusedBackoffMinMs: 5000,
      refusedBackoffMaxMs: 300_000, telemetryCap: 5000, telemetryTtlMs: 600_000, telemetryInFlight: 32, telemetryQos: 1,
      ...options,
    };
  }

  /** Loads unreleased journal records (the journal must be open) and starts draining when connected. */
  async start(): Promise<void> {
    for (const [id, text] of Object.entries(this.o.receiptKeys)) this.receiptKeys.set(id, readPublicKey(text));
    for (const record of this.o.journal.unreleased()) this.track(record);
    this.o.link.events.on('state', this, (info) => {
      if (info.state === 'connected') this.resendAwaiting();
    });
    this.o.link.events.on('message', this, (m) => this.onMessage(m));
    this.running = true;
    this.scheduleDrain();
  }

  /** Stops sending; records stay in the journal for the next start. Idempotent. */
  async stop(): Promise<void> {
    this.running = false;
    this.o.link.events.offOwner(this);
    this.o.clock.clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    for (const slot of this.slots.values()) {
      this.o.clock.clearTimeout(slot.timer);
      slot.timer = undefined;
    }
  }

  async record(kind: RecordKind, payload: Record<string, unknown>, options: RecordOptions = {}): Promise<RecordedEvent> {
    const record = await this.o.journal.append({
      kind, body: payload, personal: options.personal === true, priority: options.priority === true,
      ...(options.priority ? { stream: `priority:${kind}` } : {}),
    });
    this.track(record);
    this.scheduleDrain();
    return { eventId: record.eventId, recordedAt: record.recordedAt };
  }

  telemetry(device: string, data: Record<string, unknown>): void {
    if (this.samples.length - this.sampleHead >= this.o.telemetryCap) {
      this.sampleHead++;
      this.droppedCap++;
      this.unreportedDrops++;
      if (this.droppedCap === 1 || this.droppedCap % 1000 === 0) {
        this.alert('TELEMETRY_DROPPED', 'Telemetry queue full: oldest samples dropped', { dropped: this.droppedCap });
      }
    }
    this.samples.push({ device, at: this.o.clock.now(), data });
    if (this.sampleHead > 4096 && this.sampleHead * 2 > this.samples.length) {
      this.samples = this.samples.slice(this.sampleHead);
      this.sampleHead = 0;
    }
    this.scheduleDrain();
  }

  status(): OutboxStatus {
    const stats = this.o.journal.stats();
    let awaiting = 0;
    const flagged: FlaggedRecord[] = [];
    for (const s of this.slots.values()) {
      if (s.state === 'delivered') awaiting++;
      if (s.flag) flagged.push({ ...s.flag });
    }
    return {
      depth: stats.unreleased,
      oldestAgeMs: stats.oldestRecordedAt === null ? null : this.o.clock.now() - stats.oldestRecordedAt,
      publishing: this.publishing, awaitingReceipt: awaiting, resends: this.resends, flagged,
      receipts: { accepted: this.receiptsAccepted, refused: { ...this.receiptsRefused } },
      telemetry: { queued: this.samples.length - this.sampleHead, sent: this.telemetrySent, droppedCap: this.droppedCap, droppedExpired: this.droppedExpired, droppedUnsent: this.droppedUnsent },
      link: this.o.link.info(),
    };
  }

  private alert(code: LinkAlert['code'], message: string, details: Record<string, unknown>): void {
    this.o.logger.warn({ code, ...details }, message);
    this.events.emit('alert', { code, message, at: this.o.clock.now(), details });
  }

  private track(record: JournalRecord): void {
    if (this.slots.has(record.seq)) return;
    this.slots.set(record.seq, { record, state: 'queued', attempt: 0, timer: undefined, flag: null });
    this.byEventId.set(record.eventId, record.seq);
    const q = this.stream(record);
    q.bySs.set(record.streamSeq, record.seq);
    if (q.order.length === q.head || q.order[q.order.length - 1]! < record.streamSeq) q.order.push(record.streamSeq);
    else {
      const at = q.order.findIndex((s, i) => i >= q.head && s >= record.streamSeq);
      if (q.order[at] !== record.streamSeq) q.order.splice(at, 0, record.streamSeq);
    }
    this.enqueue(record);
  }

  private stream(record: JournalRecord): StreamQueue {
    let q = this.streams.get(record.stream);
    if (!q) {
      q = { seqs: [], outstanding: 0, blockedUntil: 0, refusals: 0, priority: record.priority, bySs: new Map(), order: [], head: 0, held: new Set() };
      this.streams.set(record.stream, q);
    }
    return q;
  }

  /**
   * After a reconnect, records that were delivered but not receipted go again at once: their
   * receipt may have been lost with the connection, and waiting `receiptTimeoutMs` with a full
   * window would stall the stream.
   */
  private resendAwaiting(): void {
    for (const slot of this.slots.values()) {
      if (slot.state !== 'delivered') continue;
      this.o.clock.clearTimeout(slot.timer);
      slot.timer = undefined;
      this.requeue(slot);
    }
    this.scheduleDrain();
  }

  private enqueue(record: JournalRecord): void {
    const q = this.stream(record);
    const seqs = q.seqs;
    if (seqs.length === 0 || seqs[seqs.length - 1]! < record.seq) {
      seqs.push(record.seq);
    } else {
      let i = seqs.findIndex((s) => s > record.seq);
      if (i === -1) i = seqs.length;
      if (seqs[i - 1] !== record.seq) seqs.splice(i, 0, record.seq);
    }
  }

  /**
   * A technician's retry: lifts the refusal back-off of the streams holding these flagged records
   * (every flagged record when `eventIds` is undefined) and drains now. Returns how many were
   * flagged; they stay flagged until the broker accepts them.
   */
  retryFlagged(eventIds?: string[]): number {
    const wanted = eventIds ? new Set(eventIds) : undefined;
    const now = this.o.clock.now();
    let count = 0;
    for (const slot of this.slots.values()) {
      if (!slot.flag || (wanted && !wanted.has(slot.record.eventId))) continue;
      count++;
      slot.flag.retryAt = now;
      const q = this.streams.get(slot.record.stream);
      if (q) q.blockedUntil = now;
    }
    if (count > 0) this.scheduleDrain();
    return count;
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    queueMicrotask(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  private wakeAtTime(at: number): void {
    if (at >= this.wakeAt) return;
    this.o.clock.clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = this.o.clock.setTimeout(() => {
      this.wakeTimer = undefined;
      this.wakeAt = Infinity;
      this.drain();
    }, Math.max(0, at - this.o.clock.now()));
  }

  private drain(): void {
    if (!this.running || this.o.link.info().state !== 'connected') return;
    const now = this.o.clock.now();
    const ordered = [...this.streams.values()].sort((a, b) => Number(b.priority) - Number(a.priority));
    for (const q of ordered) {
      if (this.publishing >= this.o.inFlight) break;
      if (q.blockedUntil > now) {
        if (q.seqs.length > 0) this.wakeAtTime(q.blockedUntil);
        continue;
      }
      while (q.outstanding < this.o.streamWindow && q.seqs.length > 0 && this.publishing < this.o.inFlight) {
        const slot = this.slots.get(q.seqs.shift()!);
        if (slot) this.publishRecord(q, slot);
      }
    }
    this.drainTelemetry(now);
  }

  private publishRecord(q: StreamQueue, slot: Slot): void {
    const attempt = ++slot.attempt;
    if (attempt > 1) this.resends++;
    slot.state = 'publishing';
    q.outstanding++;
    this.publishing++;
    const r = slot.record;
    let settled = false;
    const settle = () => {
      if (settled) return false;
      settled = true;
      this.publishing--;
      this.o.clock.clearTimeout(slot.timer);
      slot.timer = undefined;
      return slot.attempt === attempt && this.slots.get(r.seq) === slot;
    };
    slot.timer = this.o.clock.setTimeout(() => {
      if (!settle()) return;
      this.requeue(slot);
    }, this.o.pubackTimeoutMs);
    this.o.link.publish('event', { kind: r.kind }, {
      eventId: r.eventId, seq: r.seq, kind: r.kind, stream: r.stream, streamSeq: r.streamSeq, recordedAt: r.recordedAt, sentAt: this.o.clock.now(), data: r.body,
    }, { properties: { contentType: 'application/json', userProperties: { eventId: r.eventId } } }).then((outcome) => {
      if (!settle()) return this.scheduleDrain();
      if (outcome.reasonCode >= 0x80) {
        this.refused(q, slot, outcome.reasonCode);
      } else {
        q.refusals = 0;
        slot.flag = null;
        slot.state = 'delivered';
        slot.timer = this.o.clock.setTimeout(() => {
          slot.timer = undefined;
          if (this.slots.get(r.seq) === slot && slot.state === 'delivered') this.requeue(slot);
        }, this.o.receiptTimeoutMs);
      }
      this.scheduleDrain();
    }, () => {
      if (settle()) this.requeue(slot);
    });
  }

  private requeue(slot: Slot): void {
    const q = this.streams.get(slot.record.stream);
    if (q && slot.state !== 'queued') q.outstanding--;
    slot.state = 'queued';
    this.enqueue(slot.record);
    this.scheduleDrain();
  }

  private refused(q: StreamQueue, slot: Slot, reasonCode: number): void {
    q.refusals++;
    const now = this.o.clock.now();
    const backoff = Math.min(this.o.refusedBackoffMaxMs, this.o.refusedBackoffMinMs * 2 ** Math.min(q.refusals - 1, 20));
    q.blockedUntil = now + backoff;
    slot.flag = {
      eventId: slot.record.eventId, kind: slot.record.kind, reasonCode, refusals: (slot.flag?.refusals ?? 0) + 1,
      flaggedAt: slot.flag?.flaggedAt ?? now, retryAt: now + backoff,
    };
    this.alert('OUTBOX_FLAGGED', `The broker refused event ${slot.record.eventId}; kept and retried later`, {
      eventId: slot.record.eventId, reasonCode, retryInMs: backoff,
    });
    this.requeue(slot);
    this.wakeAtTime(q.blockedUntil);
  }

  private onMessage(m: InboundMessage): void {
    if (m.name !== 'receipt') return;
    const check = verifyReceipt(m.payload, { stationId: this.o.link.stationId, keys: this.receiptKeys, now: this.o.clock.now() });
    if (!check.ok) {
      this.receiptsRefused[check.reason] = (this.receiptsRefused[check.reason] ?? 0) + 1;
      this.alert('RECEIPT_REFUSED', `A receipt was refused (${check.reason}); nothing released`, { reason: check.reason, refused: this.receiptsRefused[check.reason] });
      return;
    }
    this.receiptsAccepted++;
    this.applyReceipt(check.receipt);
  }

  /** Releases what central holds of one stream and sends what it names missing again at once. */
  private applyReceipt(receipt: ReceiptEnvelope): void {
    const q = this.streams.get(receipt.stream);
    if (!q) return;
    const missing = new Set(receipt.missing);
    const release: number[] = [];
    for (const ss of q.held) {
      if (ss <= receipt.through && !missing.has(ss)) {
        q.held.delete(ss);
        release.push(ss);
      }
    }
    while (q.head < q.order.length && q.order[q.head]! <= receipt.through) {
      const ss = q.order[q.head++]!;
      if (!q.bySs.has(ss)) continue;
      if (missing.has(ss)) q.held.add(ss);
      else release.push(ss);
    }
    if (q.head > 1024 && q.head * 2 > q.order.length) {
      q.order = q.order.slice(q.head);
      q.head = 0;
    }
    for (const ss of missing) {
      const slot = this.slots.get(q.bySs.get(ss) ?? -1);
      if (slot?.state === 'delivered') {
        this.o.clock.clearTimeout(slot.timer);
        slot.timer = undefined;
        this.requeue(slot);
      }
    }
    const seqs: number[] = [];
    const released: string[] = [];
    const unqueue = new Set<number>();
    for (const ss of release) {
      const seq = q.bySs.get(ss)!;
      q.bySs.delete(ss);
      const slot = this.slots.get(seq)!;
      this.o.clock.clearTimeout(slot.timer);
      if (slot.state === 'queued') unqueue.add(seq);
      else q.outstanding--;
      slot.state = 'queued';
      this.slots.delete(seq);
      this.byEventId.delete(slot.record.eventId);
      seqs.push(seq);
      released.push(slot.record.eventId);
    }
    if (unqueue.size > 0) q.seqs = q.seqs.filter((s) => !unqueue.has(s));
    this.scheduleDrain();
    if (seqs.length === 0) return;
    this.o.journal.release(seqs).then(() => this.events.emit('released', { eventIds: released }), (err) => {
      this.o.logger.error({ err }, 'releasing acknowledged records failed; they will be resent after restart');
    });
  }

  private drainTelemetry(now: number): void {
    if (!this.running || this.o.link.info().state !== 'connected') return;
    while (this.telemetryInFlight < this.o.telemetryInFlight && this.sampleHead < this.samples.length) {
      const sample = this.samples[this.sampleHead]!;
      this.samples[this.sampleHead] = undefined as unknown as Sample;
      this.sampleHead++;
      if (now - sample.at > this.o.telemetryTtlMs) {
        this.droppedExpired++;
        this.unreportedDrops++;
        continue;
      }
      const dropped = this.unreportedDrops;
      this.unreportedDrops = 0;
      this.telemetryInFlight++;
      this.o.link.publish('telemetry', { device: sample.device }, {
        device: sample.device, at: sample.at, data: sample.data, ...(dropped > 0 ? { dropped } : {}),
      }, { qos: this.o.telemetryQos }).then(() => {
        this.telemetryInFlight--;
        this.telemetrySent++;
        this.drainTelemetry(this.o.clock.now());
      }, () => {
        this.telemetryInFlight--;
        this.droppedUnsent++;
        this.unreportedDrops += dropped + 1;
      });
    }
    if (this.sampleHead === this.samples.length && this.sampleHead > 0) {
      this.samples = [];
      this.sampleHead = 0;
    }
  }
}

