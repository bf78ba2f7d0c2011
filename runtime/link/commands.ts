/**
 * Signed commands from central. A command arrives on `cmd/{name}` (or, for desired configuration,
 * retained on `config/desired`) as `{envelope, signature}`: `envelope` is a JSON text
 * `{stationId, cmdId, seq, issuedAt, expiresAt, keyId, name, args}` and `signature` the base64
 * Ed25519 signature (RFC 8032) over its UTF-8 bytes, so no canonical JSON is needed.
 *
 * A command runs only if: the envelope is well formed, `keyId` names a configured public key, the
 * signature verifies, it is addressed to this station, its name matches the topic, it is not
 * expired nor issued in the future beyond the allowed skew, and its `cmdId` was never accepted
 * before. The id is persisted with fsync (command-ids.ts) before the handler runs and kept until the
 * command expires, so a valid command runs exactly once even when it arrives late or out of order,
 * twice, or after a restart; `seq` is informational. Nothing runs while the station's clock is not
 * trusted (runtime/platform/time-trust.ts). Commands run one at a time; each answers on
 * `cmd/{name}/res`; desired config is reported on `config/reported` by its handler once applied
 * (runtime/config/desired-config.ts). Every refusal is counted by topic and reason
 * (inbound-refusals.ts); a retained refused document is answered once per start.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { Clock } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';
import { toErrorShape } from '../kernel/errors.js';
import { TypedEmitter } from '../kernel/typed-emitter.js';
import type { InboundMessage, LinkAlert, LinkPort } from './mqtt-link.js';
import type { SeenCommands } from './command-ids.js';
import { InboundRefusals } from './inbound-refusals.js';
import type { CommandResultPayload, SignedCommandPayload } from './topics.js';

export const COMMAND_NAMES = ['maintenance', 'rebirth', 'restart', 'config', 'flows', 'logs', 'selftest', 'analytics'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

export interface CommandEnvelope {
  stationId: string;
  cmdId: string;
  seq: number;
  /** Clock ms. */
  issuedAt: number;
  expiresAt: number;
  keyId: string;
  name: CommandName;
  args: Record<string, unknown>;
}

export type RejectReason =
  | 'malformed' | 'unknown-key' | 'bad-signature' | 'wrong-station' | 'name-mismatch' | 'unknown-command'
  | 'expired' | 'not-yet-valid' | 'replayed' | 'expiry-too-far' | 'replay-store-full' | 'not-persisted' | 'clock-untrusted';

export interface CommandContext {
  cmdId: string;
  seq: number;
  issuedAt: number;
}

/** Does the work; the value becomes `data` of the answer, a thrown StationError its `error`. */
export type CommandHandler = (args: Record<string, unknown>, context: CommandContext) => Promise<unknown>;

/** Raw 32-byte Ed25519 public keys are wrapped in this SPKI DER prefix (RFC 8410 §4). */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** Reads an Ed25519 public key from PEM (SPKI) or base64 of the raw 32 bytes. */
export function readPublicKey(text: string): KeyObject {
  if (text.includes('-----BEGIN')) return createPublicKey(text);
  const raw = Buffer.from(text.trim(), 'base64');
  if (raw.length !== 32) throw new Error('An Ed25519 public key must be PEM or 32 bytes in base64');
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

/** Central's side (and the simulator's): signs an envelope. */
export function signCommand(envelope: CommandEnvelope, privateKey: KeyObject | string): SignedCommandPayload {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  const text = JSON.stringify(envelope);
  return { envelope: text, signature: sign(null, Buffer.from(text, 'utf8'), key).toString('base64') };
}

export interface VerifyContext {
  stationId: string;
  keys: ReadonlyMap<string, KeyObject>;
  now: number;
  /** The command name from the topic (`config` for config/desired). */
  topicName: string;
  /** Accepted clock difference for `issuedAt` in the future; default 300 000 ms. */
  maxSkewMs?: number;
  /** False while the clock is implausible (runtime/platform/time-trust.ts): expiry cannot be checked. */
  clockTrusted?: boolean;
}

export type VerifyResult =
  | { ok: true; envelope: CommandEnvelope }
  | { ok: false; reason: RejectReason; cmdId: string | null };

function wellFormed(v: unknown): v is CommandEnvelope {
  const e = v as Record<string, unknown> | null;
  return typeof e === 'object' && e !== null
    && typeof e.stationId === 'string' && typeof e.cmdId === 'string' && e.cmdId.length > 0 && e.cmdId.length <= 128
    && Number.isSafeInteger(e.seq) && (e.seq as number) > 0
    && Number.isFinite(e.issuedAt) && Number.isFinite(e.expiresAt)
    && typeof e.keyId === 'string' && typeof e.name === 'string'
    && typeof e.args === 'object' && e.args !== null && !Array.isArray(e.args);
}

/** The checks, pure: nothing is executed or persisted here. */
export function verifyCommand(payload: Buffer, ctx: VerifyContext): VerifyResult {
  let outer: SignedCommandPayload;
  let envelope: unknown;
  try {
    outer = JSON.parse(payload.toString('utf8')) as SignedCommandPayload;
    if (typeof outer?.envelope !== 'string' || typeof outer.signature !== 'string') return { ok: false, reason: 'malformed', cmdId: null };
    envelope = JSON.parse(outer.envelope);
  } catch {
    return { ok: false, reason: 'malformed', cmdId: null };
  }
  if (!wellFormed(envelope)) return { ok: false, reason: 'malformed', cmdId: null };
  const cmdId = envelope.cmdId;
  const key = ctx.keys.get(envelope.keyId);
  if (!key) return { ok: false, reason: 'unknown-key', cmdId };
  const signature = Buffer.from(outer.signature, 'base64');
  let good = false;
  try {
    good = signature.length === 64 && verify(null, Buffer.from(outer.envelope, 'utf8'), key, signature);
  } catch {
    good = false;
  }
  if (!good) return { ok: false, reason: 'bad-signature', cmdId };
  if (envelope.stationId !== ctx.stationId) return { ok: false, reason: 'wrong-station', cmdId };
  if (!(COMMAND_NAMES as readonly string[]).includes(envelope.name)) return { ok: false, reason: 'unknown-command', cmdId };
  if (envelope.name !== ctx.topicName) return { ok: false, reason: 'name-mismatch', cmdId };
  if (ctx.clockTrusted === false) return { ok: false, reason: 'clock-untrusted', cmdId };
  if (ctx.now >= envelope.expiresAt) return { ok: false, reason: 'expired', cmdId };
  if (envelope.issuedAt > ctx.now + (ctx.maxSkewMs ?? 300_000)) return { ok: false, reason: 'not-yet-valid', cmdId };
  return { ok: true, envelope };
}

export interface CommandProcessorOptions {
  link: LinkPort;
  clock: Clock;
  logger: Logger;
  /** keyId → Ed25519 public key (PEM or base64 raw), from config `security.commandKeys`. */
  keys: Record<string, string>;
  /** Accepted command ids, persisted before a command runs (opened by the caller). */
  seen: SeenCommands;
  /** Counts and logs refused commands; default one of its own. */
  refusals?: InboundRefusals;
  /** Filled by the composition root; a command without a handler is answered with CMD_REJECTED. */
  handlers: Partial<Record<CommandName, CommandHandler>>;
  maxSkewMs?: number;
  /** False while the wall clock is implausible; such commands are refused, not run late or early. */
  clockTrusted?: () => boolean;
}

export interface CommandEvents {
  alert: LinkAlert;
  executed: { name: CommandName; cmdId: string; seq: number; ok: boolean };
}

export class CommandProcessor {
  readonly events = new TypedEmitter<CommandEvents>();
  private readonly o: CommandProcessorOptions;
  private readonly refusals: InboundRefusals;
  private keys = new Map<string, KeyObject>();
  private chain: Promise<void> = Promise.resolve();
  /** Rejections by reason since start. */
  readonly rejected: Partial<Record<RejectReason, number>> = {};
  executed = 0;
  /** Digests of retained payloads refused and answered since start. */
  private readonly refusedRetained = new Set<string>();

  constructor(options: CommandProcessorOptions) {
    this.o = options;
    this.refusals = options.refusals ?? new InboundRefusals({ clock: options.clock, logger: options.logger });
  }

  async start(): Promise<void> {
    for (const [id, text] of Object.entries(this.o.keys)) this.keys.set(id, readPublicKey(text));
    this.o.link.events.on('message', this, (m) => {
      if (m.name === 'command' || m.name === 'configDesired') this.chain = this.chain.then(() => this.handle(m));
    });
  }

  /** Stops taking commands and waits for the running one. */
  async stop(): Promise<void> {
    this.o.link.events.offOwner(this);
    await this.chain;
  }

  /** Waits until every command received so far has been handled (tests). */
  idle(): Promise<void> {
    return this.chain;
  }

  private async handle(m: InboundMessage): Promise<void> {
    const topicName = m.name === 'configDesired' ? 'config' : m.params.name ?? '';
    const result = verifyCommand(m.payload, {
      stationId: this.o.link.stationId, keys: this.keys, now: this.o.clock.now(),
      topicName, ...(this.o.maxSkewMs !== undefined ? { maxSkewMs: this.o.maxSkewMs } : {}),
      ...(this.o.clockTrusted ? { clockTrusted: this.o.clockTrusted() } : {}),
    });
    if (!result.ok) return this.refuse(m, topicName, result.reason, result.cmdId);
    const env = result.envelope;
    let remembered: Awaited<ReturnType<SeenCommands['remember']>>;
    try {
      remembered = await this.o.seen.remember(env.cmdId, env.expiresAt, this.o.clock.now());
    } catch (err) {
      this.o.logger.error({ err }, 'could not persist the command id; command not run');
      return this.refuse(m, topicName, 'not-persisted', env.cmdId);
    }
    if (remembered !== 'ok') {
      const reason = remembered === 'seen' ? 'replayed' : remembered === 'full' ? 'replay-store-full' : 'expiry-too-far';
      return this.refuse(m, topicName, reason, env.cmdId);
    }
    const handler = this.o.handlers[env.name];
    let answer: CommandResultPayload;
    if (!handler) {
      answer = { id: env.cmdId, ok: false, error: { code: 'CMD_REJECTED', message: `no handler for ${env.name}` } };
    } else {
      try {
        const data = await handler(env.args, { cmdId: env.cmdId, seq: env.seq, issuedAt: env.issuedAt });
        answer = { id: env.cmdId, ok: true, data: data ?? null };
      } catch (err) {
        answer = { id: env.cmdId, ok: false, error: toErrorShape(err) };
      }
    }
    this.executed++;
    this.o.logger.info({ command: env.name, cmdId: env.cmdId, seq: env.seq, ok: answer.ok }, 'command executed');
    this.events.emit('executed', { name: env.name, cmdId: env.cmdId, seq: env.seq, ok: answer.ok });
    await this.answer(m, env.name, answer);
  }

  private async refuse(m: InboundMessage, topicName: string, reason: RejectReason, cmdId: string | null): Promise<void> {
    this.rejected[reason] = (this.rejected[reason] ?? 0) + 1;
    this.refusals.count(m.name, reason, { command: /^[a-z-]{1,32}$/.test(topicName) ? topicName : 'other' });
    // The retained desired config comes back on every reconnect; seeing it again is not an attack.
    if (m.retain && reason === 'replayed') return;
    // Any other retained refusal (expired, bad signature…) also comes back on every reconnect:
    // answered once per start, counted each time.
    if (m.retain) {
      const digest = createHash('sha256').update(m.payload).digest('hex');
      if (this.refusedRetained.has(digest)) return;
      this.refusedRetained.add(digest);
    }
    this.events.emit('alert', { code: 'COMMAND_REJECTED', message: `Command rejected: ${reason}`, at: this.o.clock.now(), details: { reason, topic: topicName } });
    if (/^[a-z-]{1,32}$/.test(topicName)) {
      await this.answer(m, topicName, { id: cmdId ?? '', ok: false, error: { code: 'CMD_REJECTED', message: reason } });
    }
  }

  private async answer(m: InboundMessage, name: string, answer: CommandResultPayload): Promise<void> {
    try {
      // `config/reported` says what the station runs, so only the config handler publishes it, once
      // a desired document is applied; a refusal is answered here alone.
      await this.o.link.publish('commandResult', { name }, answer);
    } catch (err) {
      this.o.logger.warn({ err: (err as Error).message, name }, 'command answer not sent (link offline)');
    }
  }
}
