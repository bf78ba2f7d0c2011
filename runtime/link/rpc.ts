/**
 * Lookups at central (bills, dossiers, BHXH, telehealth slots, payment status) over MQTT
 * request/response. The request goes to `rpc/{service}/req` with the v5 Response Topic and
 * Correlation Data properties (MQTT 5 §4.10) and, for 3.1.1 brokers, the same `id` and `replyTo`
 * inside the payload; the answer on `rpc/{service}/res` is matched by either. The timeout runs on
 * the injected clock; errors are typed so a flow can say "service unavailable, try later".
 */
import { randomUUID } from 'node:crypto';
import type { Clock, TimerHandle } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';
import { StationError } from '../kernel/errors.js';
import type { InboundMessage, LinkPort } from './mqtt-link.js';
import type { RpcClient as RpcClientPort, RpcOptions, RpcService } from '../flows/ports.js';
import { topicFor } from './topics.js';
import type { RpcResponsePayload } from './topics.js';
import type { InboundRefusals } from './inbound-refusals.js';

export interface RpcClientOptions {
  link: LinkPort;
  clock: Clock;
  logger: Logger;
  /** Default timeout when the caller gives none; default 10 000 ms. */
  defaultTimeoutMs?: number;
  /** Correlation ids; default crypto.randomUUID. */
  newId?: () => string;
  /** Counts answers that are refused (not JSON, not an envelope, nobody waiting); default none. */
  refusals?: InboundRefusals;
}

interface Pending {
  service: string;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  timer: TimerHandle;
  cleanup: () => void;
}

export class RpcClient implements RpcClientPort {
  private readonly o: RpcClientOptions;
  private pending = new Map<string, Pending>();

  constructor(options: RpcClientOptions) {
    this.o = options;
  }

  async start(): Promise<void> {
    this.o.link.events.on('message', this, (m) => this.onMessage(m));
    this.o.link.events.on('state', this, (info) => {
      if (info.state !== 'connected') this.failAll(new StationError('RPC_UNAVAILABLE', 'The central link went offline', { transient: true }));
    });
  }

  async stop(): Promise<void> {
    this.o.link.events.offOwner(this);
    this.failAll(new StationError('RPC_UNAVAILABLE', 'The station is stopping', { transient: true }));
  }

  /** Requests waiting for an answer (for status output). */
  get waiting(): number {
    return this.pending.size;
  }

  call<T = unknown>(service: RpcService, params: Record<string, unknown>, options: RpcOptions = {}): Promise<T> {
    const { link, clock } = this.o;
    if (link.info().state !== 'connected') {
      return Promise.reject(new StationError('RPC_UNAVAILABLE', undefined, { transient: true }));
    }
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    const id = (this.o.newId ?? randomUUID)();
    const replyTo = topicFor(link.stationId, 'rpcResponse', { service });
    const timeoutMs = options.timeoutMs ?? this.o.defaultTimeoutMs ?? 10_000;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => this.settle(id, () => reject(options.signal?.reason));
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const timer = clock.setTimeout(() => {
        this.settle(id, () => reject(new StationError('RPC_TIMEOUT', `Central did not answer ${service} in ${timeoutMs} ms`, { transient: true })));
      }, timeoutMs);
      this.pending.set(id, {
        service, resolve: resolve as (v: unknown) => void, reject, timer,
        cleanup: () => options.signal?.removeEventListener('abort', onAbort),
      });
      link.publish('rpcRequest', { service }, { id, service, replyTo, params, sentAt: clock.now() }, {
        properties: { responseTopic: replyTo, correlationData: Buffer.from(id, 'utf8'), contentType: 'application/json', messageExpiryInterval: Math.ceil(timeoutMs / 1000) },
      }).then((outcome) => {
        if (outcome.reasonCode >= 0x80) {
          this.settle(id, (p) => p.reject(new StationError('RPC_UNAVAILABLE', `The broker refused the request (reason 0x${outcome.reasonCode.toString(16)})`, { transient: true })));
        }
      }, () => {
        this.settle(id, (p) => p.reject(new StationError('RPC_UNAVAILABLE', undefined, { transient: true })));
      });
    });
  }

  private settle(id: string, fn: (p: Pending) => void): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    this.o.clock.clearTimeout(p.timer);
    p.cleanup();
    fn(p);
  }

  private failAll(err: StationError): void {
    for (const id of [...this.pending.keys()]) this.settle(id, (p) => p.reject(err));
  }

  private onMessage(m: InboundMessage): void {
    if (m.name !== 'rpcResponse') return;
    const refuse = (reason: string) => this.o.refusals?.count('rpcResponse', reason, { service: m.params.service });
    let body: RpcResponsePayload;
    try {
      body = JSON.parse(m.payload.toString('utf8')) as RpcResponsePayload;
    } catch {
      return refuse('not-json');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return refuse('not-an-envelope');
    const id = m.properties.correlationData?.toString('utf8') ?? (typeof body.id === 'string' ? body.id : undefined);
    if (id === undefined) return refuse('no-correlation-id');
    const p = this.pending.get(id);
    // Late (after its timeout) or never asked for.
    if (!p) return refuse('no-pending-request');
    if (body.ok === true && 'data' in body) {
      this.settle(id, (q) => q.resolve(body.data));
    } else if (body.ok === false && typeof body.error?.code === 'string') {
      const unavailable = body.error.code === 'RPC_UNAVAILABLE' || body.error.code === 'UNAVAILABLE';
      this.settle(id, (q) => q.reject(new StationError(unavailable ? 'RPC_UNAVAILABLE' : 'RPC_FAILED', String(body.error.message ?? ''), {
        transient: unavailable, details: { service: p.service, centralCode: body.error.code },
      })));
    } else {
      refuse('not-an-envelope');
    }
  }
}
