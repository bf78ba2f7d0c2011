/**
 * Central's signed cumulative receipts. A receipt arrives on `receipt` as `{envelope, signature}`:
 * `envelope` is a JSON text `{stationId, keyId, stream, through, missing, issuedAt, expiresAt}` and
 * `signature` the base64 Ed25519 signature (RFC 8032) over its UTF-8 bytes, exactly as commands are
 * signed, with the same keys (config `security.commandKeys`, rotated the same way).
 *
 * Meaning: central holds every record of `stream` with a stream seq ≤ `through` except those listed
 * in `missing` (which it asks for again). Only a receipt that is well formed, signed by a known key,
 * addressed to this station and within its validity releases anything; every refusal is counted by
 * reason and logged.
 */
import { sign, verify, createPrivateKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { SignedCommandPayload } from './topics.js';

export interface ReceiptEnvelope {
  stationId: string;
  keyId: string;
  stream: string;
  /** Central holds every stream seq up to this one, except `missing`. */
  through: number;
  /** Stream seqs ≤ `through` that central has not got (asked for again). */
  missing: number[];
  /** Clock ms. */
  issuedAt: number;
  expiresAt: number;
}

export type ReceiptRefusal =
  | 'malformed' | 'unsigned' | 'unknown-key' | 'bad-signature' | 'wrong-station' | 'expired' | 'not-yet-valid';

export type ReceiptCheck = { ok: true; receipt: ReceiptEnvelope } | { ok: false; reason: ReceiptRefusal };

/** Central's side (and the simulator's): signs a receipt. */
export function signReceipt(envelope: ReceiptEnvelope, privateKey: KeyObject | string): SignedCommandPayload {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  const text = JSON.stringify(envelope);
  return { envelope: text, signature: sign(null, Buffer.from(text, 'utf8'), key).toString('base64') };
}

function wellFormed(v: unknown): v is ReceiptEnvelope {
  const e = v as Record<string, unknown> | null;
  return typeof e === 'object' && e !== null
    && typeof e.stationId === 'string' && typeof e.keyId === 'string' && typeof e.stream === 'string' && e.stream.length > 0
    && Number.isSafeInteger(e.through) && (e.through as number) >= 0
    && Array.isArray(e.missing) && e.missing.length <= 10_000
    && e.missing.every((s) => Number.isSafeInteger(s) && s > 0 && s <= (e.through as number))
    && Number.isFinite(e.issuedAt) && Number.isFinite(e.expiresAt);
}

export interface ReceiptContext {
  stationId: string;
  keys: ReadonlyMap<string, KeyObject>;
  now: number;
  /** Accepted clock difference for `issuedAt` in the future; default 300 000 ms. */
  maxSkewMs?: number;
}

/** The checks, pure: nothing is released here. */
export function verifyReceipt(payload: Buffer, ctx: ReceiptContext): ReceiptCheck {
  let outer: Record<string, unknown>;
  let envelope: unknown;
  try {
    outer = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
    if (typeof outer !== 'object' || outer === null) return { ok: false, reason: 'malformed' };
    if (typeof outer.envelope !== 'string') return { ok: false, reason: Array.isArray(outer.eventIds) ? 'unsigned' : 'malformed' };
    if (typeof outer.signature !== 'string') return { ok: false, reason: 'unsigned' };
    envelope = JSON.parse(outer.envelope);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (!wellFormed(envelope)) return { ok: false, reason: 'malformed' };
  const key = ctx.keys.get(envelope.keyId);
  if (!key) return { ok: false, reason: 'unknown-key' };
  const signature = Buffer.from(outer.signature as string, 'base64');
  let good = false;
  try {
    good = signature.length === 64 && verify(null, Buffer.from(outer.envelope as string, 'utf8'), key, signature);
  } catch {
    good = false;
  }
  if (!good) return { ok: false, reason: 'bad-signature' };
  if (envelope.stationId !== ctx.stationId) return { ok: false, reason: 'wrong-station' };
  if (ctx.now >= envelope.expiresAt) return { ok: false, reason: 'expired' };
  if (envelope.issuedAt > ctx.now + (ctx.maxSkewMs ?? 300_000)) return { ok: false, reason: 'not-yet-valid' };
  return { ok: true, receipt: envelope };
}
