/**
 * Central simulator: a development stand-in for the city's central services on the MQTT contract.
 * It answers every RPC with Vietnamese fixture data, confirms VietQR payments after a delay, sends
 * signed cumulative receipts per stream ("through stream seq N, except these missing"), signs
 * commands with the development key, and counts what it received (unique, duplicate, out of order,
 * gaps) per station. It can be told to misbehave for tests.
 *
 * Not found: a code central does not know (customer code, dossier code, CCCD or BHXH code, hospital)
 * is answered `{ id, ok: false, error: { code: 'NOT_FOUND', message } }`, a malformed request
 * `BAD_REQUEST`; a known customer with nothing due is an empty list (docs/services.md).
 *
 * Payments: the station polls RPC `payment-status` `{paymentId, amount}`. The simulator answers
 * `pending` until `paymentDelayMs` has passed since it first heard of that payment id (from the poll
 * or from a `payment` event), then `paid` with the amount and a bank reference.
 *
 * CLI: `node dist/scripts/central-sim.js --broker URL [--station ID] [--protocol 4|5]
 *       [--payment-delay-ms N] [--ca F --cert F --key F]`
 */
import { createPrivateKey, randomUUID } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import type { IClientOptions, IPublishPacket, MqttClient } from 'mqtt';
import type { Clock, TimerHandle } from '../runtime/kernel/clock.js';
import { systemClock } from '../runtime/kernel/clock.js';
import { createLogger } from '../runtime/kernel/logger.js';
import type { Logger } from '../runtime/kernel/logger.js';
import { signCommand } from '../runtime/link/commands.js';
import { signReceipt } from '../runtime/link/receipts.js';
import type { CommandEnvelope, CommandName } from '../runtime/link/commands.js';
import type { CommandResultPayload, EventPayload, RpcRequestPayload } from '../runtime/link/topics.js';
import { TOPIC_ROOT } from '../runtime/link/topics.js';
import * as fixtures from './central-sim/fixtures.js';

export const DEV_KEY_ID = 'central-dev-1';

/** The package's config/dev-keys directory, from scripts/, dist/scripts/ or the dist/bundle/ chunks. */
export function devKeyDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'config', 'dev-keys');
}

export interface Misbehaviour {
  /** Receipts are not sent (records stay in the station's journal and get resent). */
  dropReceipts?: boolean;
  /** Receipts go out without a signature (the station must release nothing on them). */
  unsignedReceipts?: boolean;
  /** RPC answers are sent this late (ms on the simulator's clock). */
  replyDelayMs?: number;
  /** RPC answers are random bytes instead of envelopes. */
  garbage?: boolean;
  /** These services answer `{ok:false, error:{code:'RPC_UNAVAILABLE'}}`. */
  unavailable?: string[];
}

export interface CentralSimOptions {
  url: string;
  /** Default 5; use 4 for the embedded aedes broker. */
  protocolVersion?: 4 | 5;
  /** Only this station (default: every station, `+`). */
  stationId?: string;
  tls?: { caFile: string; certFile: string; keyFile: string } | null;
  clientId?: string;
  clock?: Clock;
  logger?: Logger;
  /** Default 8 000 ms. */
  paymentDelayMs?: number;
  /** PEM of the Ed25519 key commands are signed with; default the development key. */
  commandKeyPem?: string;
  commandKeyId?: string;
  misbehave?: Misbehaviour;
}

export interface StationTally {
  /** Event messages received, duplicates included. */
  received: number;
  unique: number;
  duplicates: number;
  /** New event ids that arrived after a higher seq of the same stream (central puts them back in order). */
  outOfOrder: number;
  minSeq: number;
  maxSeq: number;
  status: string | null;
  birth: unknown;
}

interface PendingReply {
  resolve: (r: CommandResultPayload) => void;
  timer: TimerHandle;
}

export class CentralSim {
  private readonly o: CentralSimOptions;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private client: MqttClient | null = null;
  private misbehaviour: Misbehaviour;
  private seen = new Map<string, Set<string>>();
  private streamSeq = new Map<string, number>();
  private tallies = new Map<string, StationTally>();
  private paymentsFirstSeen = new Map<string, number>();
  /** Per station and stream: every stream seq up to `through` is held; `above` are held beyond it. */
  private streamsHeld = new Map<string, { through: number; above: Map<number, EventPayload> }>();
  private receiptsDue = new Map<string, { stationId: string; stream: string }>();
  private signingKey: KeyObject | null = null;
  /** Signed receipts sent, per station (tests and benchmarks read it). */
  readonly receiptsSent = new Map<string, number>();
  private commandSeq: number;
  private replies = new Map<string, PendingReply>();
  /** Every event payload received, each stream in stream seq order (as central processes them; tests inspect it). */
  readonly events: Array<{ stationId: string; event: EventPayload }> = [];
  /** Every RPC request received, in arrival order (tests check what the flows sent). */
  readonly requests: Array<{ stationId: string; service: string; params: Record<string, unknown> }> = [];

  constructor(options: CentralSimOptions) {
    this.o = options;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? createLogger({ level: 'info' }).child({ component: 'central-sim' });
    this.misbehaviour = { ...options.misbehave };
    this.commandSeq = this.clock.now();
  }

  misbehave(m: Misbehaviour): void {
    this.misbehaviour = { ...m };
  }

  tally(stationId: string): StationTally {
    let t = this.tallies.get(stationId);
    if (!t) {
      t = { received: 0, unique: 0, duplicates: 0, outOfOrder: 0, minSeq: Infinity, maxSeq: 0, status: null, birth: null };
      this.tallies.set(stationId, t);
    }
    return t;
  }

  stations(): string[] {
    return [...this.tallies.keys()];
  }

  /** Seq numbers missing between the lowest and highest seen (a gap is a lost record). */
  gaps(stationId: string): number {
    const t = this.tally(stationId);
    return t.unique === 0 ? 0 : t.maxSeq - t.minSeq + 1 - t.unique;
  }

  async start(): Promise<void> {
    const o = this.o;
    const tls = o.tls ? { ca: readFileSync(o.tls.caFile), cert: readFileSync(o.tls.certFile), key: readFileSync(o.tls.keyFile), rejectUnauthorized: true } : {};
    const options: IClientOptions = {
      clientId: o.clientId ?? `central-sim-${randomUUID().slice(0, 8)}`,
      protocolVersion: o.protocolVersion ?? 5,
      clean: true,
      reconnectPeriod: 200,
      connectTimeout: 5000,
      ...tls,
    };
    const client = mqtt.connect(o.url, options);
    this.client = client;
    client.on('error', (err) => this.logger.debug({ err: err.message }, 'central-sim connection error'));
    client.on('message', (topic, payload, packet) => this.onMessage(topic, payload, packet));
    const station = o.stationId ?? '+';
    const subscribe = () => client.subscribeAsync([
      `${TOPIC_ROOT}/${station}/rpc/+/req`, `${TOPIC_ROOT}/${station}/event/+`, `${TOPIC_ROOT}/${station}/status`,
      `${TOPIC_ROOT}/${station}/birth`, `${TOPIC_ROOT}/${station}/cmd/+/res`, `${TOPIC_ROOT}/${station}/config/reported`,
    ], { qos: 1 }).catch((err: Error) => this.logger.warn({ err: err.message }, 'central-sim subscribe failed'));
    client.on('connect', () => void subscribe());
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    await subscribe();
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = null;
    for (const r of this.replies.values()) this.clock.clearTimeout(r.timer);
    this.replies.clear();
    if (client) await client.endAsync(true).catch(() => undefined);
  }

  /** Whether the simulator's own connection is up (tests wait for it after a broker restart). */
  get connected(): boolean {
    return this.client?.connected === true;
  }

  /** Signs and sends a command; resolves with the station's answer, or null after `timeoutMs`. */
  async sendCommand(stationId: string, name: CommandName, args: Record<string, unknown> = {}, opts: { timeoutMs?: number; ttlMs?: number; envelope?: Partial<CommandEnvelope>; asDesiredConfig?: boolean } = {}): Promise<CommandResultPayload | null> {
    const now = this.clock.now();
    const envelope: CommandEnvelope = {
      stationId, cmdId: randomUUID(), seq: ++this.commandSeq, issuedAt: now, expiresAt: now + (opts.ttlMs ?? 60_000),
      keyId: this.o.commandKeyId ?? DEV_KEY_ID, name, args, ...opts.envelope,
    };
    const signed = signCommand(envelope, this.key());
    const answer = new Promise<CommandResultPayload | null>((resolve) => {
      const timer = this.clock.setTimeout(() => {
        this.replies.delete(envelope.cmdId);
        resolve(null);
      }, opts.timeoutMs ?? 10_000);
      this.replies.set(envelope.cmdId, { resolve, timer });
    });
    // Desired configuration is retained on config/desired so a station that was offline picks it up.
    const topic = opts.asDesiredConfig ? `${TOPIC_ROOT}/${stationId}/config/desired` : `${TOPIC_ROOT}/${stationId}/cmd/${name}`;
    await this.client!.publishAsync(topic, JSON.stringify(signed), { qos: 1, retain: opts.asDesiredConfig === true });
    return answer;
  }

  private publish(topic: string, body: string | Buffer, properties?: IPublishPacket['properties']): void {
    const v5 = (this.o.protocolVersion ?? 5) === 5;
    this.client?.publish(topic, body, { qos: 1, ...(v5 && properties ? { properties } : {}) }, (err) => {
      if (err) this.logger.debug({ err: err.message, topic }, 'central-sim publish failed');
    });
  }

  private onMessage(topic: string, payload: Buffer, packet: IPublishPacket): void {
    const parts = topic.split('/');
    const stationId = parts[2]!;
    const rest = parts.slice(3);
    try {
      if (rest[0] === 'event') this.onEvent(stationId, payload);
      else if (rest[0] === 'rpc' && rest[2] === 'req') this.onRpc(stationId, rest[1]!, payload, packet);
      else if (rest[0] === 'status') this.tally(stationId).status = payload.length ? (JSON.parse(payload.toString()) as { state: string }).state : null;
      else if (rest[0] === 'birth') this.tally(stationId).birth = payload.length ? JSON.parse(payload.toString()) : null;
      else if ((rest[0] === 'cmd' && rest[2] === 'res') || rest[0] === 'config') this.onCommandResult(payload);
    } catch (err) {
      this.logger.warn({ topic, err: (err as Error).message }, 'central-sim could not read a message');
    }
  }

  private onEvent(stationId: string, payload: Buffer): void {
    const event = JSON.parse(payload.toString('utf8')) as EventPayload;
    const t = this.tally(stationId);
    t.received++;
    let seen = this.seen.get(stationId);
    if (!seen) this.seen.set(stationId, (seen = new Set()));
    if (seen.has(event.eventId)) {
      t.duplicates++;
    } else {
      seen.add(event.eventId);
      t.unique++;
      t.minSeq = Math.min(t.minSeq, event.seq);
      t.maxSeq = Math.max(t.maxSeq, event.seq);
      const key = `${stationId}\u0000${event.stream}`;
      if ((this.streamSeq.get(key) ?? 0) > event.seq) t.outOfOrder++;
      this.streamSeq.set(key, Math.max(this.streamSeq.get(key) ?? 0, event.seq));
      // A station from before stream numbering: taken as it comes.
      if (!(Number.isSafeInteger(event.streamSeq) && event.streamSeq > 0)) this.events.push({ stationId, event });
      const paymentId = (event.data as { paymentId?: unknown }).paymentId;
      if (event.kind === 'payment' && typeof paymentId === 'string' && !this.paymentsFirstSeen.has(paymentId)) {
        this.paymentsFirstSeen.set(paymentId, this.clock.now());
      }
    }
    const ordered = Number.isSafeInteger(event.streamSeq) && event.streamSeq > 0;
    if (ordered) this.hold(stationId, event);
    if (this.misbehaviour.dropReceipts) return;
    const key = `${stationId}\u0000${event.stream}`;
    if (this.receiptsDue.size === 0) setImmediate(() => this.sendReceipts());
    this.receiptsDue.set(key, { stationId, stream: event.stream });
  }

  /**
   * Central's side of ordered delivery: a stream's records are held by stream seq. The first seq
   * heard of a stream is where this (memoryless) simulator starts counting.
   */
  private hold(stationId: string, event: EventPayload): void {
    const key = `${stationId}\u0000${event.stream}`;
    const ss = event.streamSeq;
    let held = this.streamsHeld.get(key);
    if (!held) this.streamsHeld.set(key, (held = { through: ss - 1, above: new Map() }));
    if (ss <= held.through || held.above.has(ss)) return;
    held.above.set(ss, event);
    for (let next = held.above.get(held.through + 1); next; next = held.above.get(held.through + 1)) {
      held.above.delete(held.through + 1);
      held.through++;
      this.events.push({ stationId, event: next });
    }
  }

  /** One signed receipt per stream that got events in this burst, once the messages already read are handled. */
  private sendReceipts(): void {
    const now = this.clock.now();
    for (const [key, { stationId, stream }] of this.receiptsDue) {
      const held = this.streamsHeld.get(key);
      if (!held) continue;
      let highest = held.through;
      for (const ss of held.above.keys()) highest = Math.max(highest, ss);
      const missing: number[] = [];
      for (let ss = held.through + 1; ss < highest && missing.length <= 1000; ss++) if (!held.above.has(ss)) missing.push(ss);
      const through = missing.length > 1000 ? held.through : highest;
      const envelope = {
        stationId, keyId: this.o.commandKeyId ?? DEV_KEY_ID, stream, through, missing: through === highest ? missing : [],
        issuedAt: now, expiresAt: now + 300_000,
      };
      const body = this.misbehaviour.unsignedReceipts ? { envelope: JSON.stringify(envelope) } : signReceipt(envelope, this.key());
      this.publish(`${TOPIC_ROOT}/${stationId}/receipt`, JSON.stringify(body));
      this.receiptsSent.set(stationId, (this.receiptsSent.get(stationId) ?? 0) + 1);
    }
    this.receiptsDue.clear();
  }

  private key(): KeyObject {
    this.signingKey ??= createPrivateKey(this.o.commandKeyPem ?? readFileSync(join(devKeyDir(), 'central-dev.ed25519.key.pem'), 'utf8'));
    return this.signingKey;
  }

  private answer(service: string, params: Record<string, unknown>): unknown {
    switch (service) {
      case 'bills': return fixtures.bills(params);
      case 'dossiers': return fixtures.dossiers(params);
      case 'bhxh': return fixtures.bhxh(params);
      case 'hospitals': return fixtures.hospitals();
      case 'telehealth-slots': return fixtures.telehealthSlots({ from: this.tomorrow(), ...params });
      case 'bhyt-quote': return fixtures.bhytQuote(params);
      case 'payment-status': return this.paymentStatus(params);
      default: throw new fixtures.FixtureError('UNKNOWN_SERVICE', `Dịch vụ ${service} không tồn tại`);
    }
  }

  /** Tomorrow in Ho Chi Minh City (UTC+7, no daylight saving) by the simulator's clock: the first day slots are offered. */
  private tomorrow(): string {
    return new Date(this.clock.now() + 7 * 3_600_000 + 86_400_000).toISOString().slice(0, 10);
  }

  private paymentStatus(params: Record<string, unknown>) {
    const paymentId = String(params.paymentId ?? '');
    if (!paymentId) throw new fixtures.FixtureError('BAD_REQUEST', 'paymentId is required');
    const now = this.clock.now();
    if (!this.paymentsFirstSeen.has(paymentId)) this.paymentsFirstSeen.set(paymentId, now);
    const due = this.paymentsFirstSeen.get(paymentId)! + (this.o.paymentDelayMs ?? 8000);
    if (now < due) return { paymentId, status: 'pending' };
    return {
      paymentId, status: 'paid', ...(typeof params.amount === 'number' ? { amount: params.amount } : {}),
      bankRef: `FT${String(due).slice(-10)}`, paidAt: due,
    };
  }

  private onRpc(stationId: string, service: string, payload: Buffer, packet: IPublishPacket): void {
    const req = JSON.parse(payload.toString('utf8')) as RpcRequestPayload;
    this.requests.push({ stationId, service, params: req.params ?? {} });
    const props = packet.properties ?? {};
    const own = `${TOPIC_ROOT}/${stationId}/rpc/`;
    const replyTo = [props.responseTopic, req.replyTo].find((r): r is string => typeof r === 'string' && r.startsWith(own))
      ?? `${own}${service}/res`;
    const correlation = props.correlationData ?? Buffer.from(String(req.id), 'utf8');
    let body: string | Buffer;
    if (this.misbehaviour.garbage) {
      body = Buffer.from([0xff, 0x00, 0x7b, 0x22, 0x69]);
    } else if (this.misbehaviour.unavailable?.includes(service)) {
      body = JSON.stringify({ id: req.id, ok: false, error: { code: 'RPC_UNAVAILABLE', message: 'Hệ thống đang bảo trì' } });
    } else {
      try {
        body = JSON.stringify({ id: req.id, ok: true, data: this.answer(service, req.params ?? {}) });
      } catch (err) {
        const code = err instanceof fixtures.FixtureError ? err.code : 'INTERNAL';
        body = JSON.stringify({ id: req.id, ok: false, error: { code, message: (err as Error).message } });
      }
    }
    const send = () => this.publish(replyTo, body, { correlationData: correlation, contentType: 'application/json' });
    const delay = this.misbehaviour.replyDelayMs ?? 0;
    if (delay > 0) this.clock.setTimeout(send, delay);
    else send();
  }

  private onCommandResult(payload: Buffer): void {
    const res = JSON.parse(payload.toString('utf8')) as CommandResultPayload;
    const waiting = this.replies.get(res.id);
    if (!waiting) return;
    this.replies.delete(res.id);
    this.clock.clearTimeout(waiting.timer);
    waiting.resolve(res);
  }
}

/** Starts a simulator (the daemon's `npm start` runs one in-process next to the embedded broker). */
export async function startCentralSim(options: CentralSimOptions): Promise<CentralSim> {
  const sim = new CentralSim(options);
  await sim.start();
  return sim;
}

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(argv: string[]): Promise<void> {
  const url = arg(argv, 'broker');
  if (!url) {
    process.stderr.write('usage: central-sim --broker URL [--station ID] [--protocol 4|5] [--payment-delay-ms N] [--ca F --cert F --key F]\n');
    process.exitCode = 2;
    return;
  }
  const ca = arg(argv, 'ca');
  const cert = arg(argv, 'cert');
  const key = arg(argv, 'key');
  const stationId = arg(argv, 'station');
  const sim = await startCentralSim({
    url, protocolVersion: arg(argv, 'protocol') === '4' ? 4 : 5,
    ...(stationId ? { stationId } : {}),
    ...(ca && cert && key ? { tls: { caFile: ca, certFile: cert, keyFile: key } } : {}),
    paymentDelayMs: Number(arg(argv, 'payment-delay-ms') ?? 8000),
  });
  process.stdout.write(`central-sim connected to ${url}\n`);
  const shutdown = () => void sim.stop().then(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  void main(process.argv.slice(2));
}
