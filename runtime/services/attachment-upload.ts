/**
 * Sends a dossier's paper to central in chunks over the RPC service `dossier-attachment`, resumably:
 * central is first asked which chunks it already holds for this paper (same dossier, paper and
 * whole-file SHA-256), and only the others are sent. Each chunk carries its own SHA-256; central
 * assembles the paper once every chunk is there and answers `complete` only when the whole file's
 * SHA-256 matches. A station that died mid-upload (power cut, kill -9) sends the rest after restart,
 * and central never stores a chunk twice.
 *
 * Chunks are 48 KiB: base64 makes them 64 KiB on the wire, well under broker message limits
 * (mosquitto's default is 256 MB, but AWS IoT Core's is 128 KB) and small enough that a lost
 * connection costs little.
 */
import { createHash } from 'node:crypto';
import type { RpcClient } from '../flows/ports.js';
import { StationError } from '../kernel/errors.js';

export const CHUNK_BYTES = 48 * 1024;

export interface AttachmentRef {
  dossierId: string;
  paperId: string;
}

export interface UploadResult {
  sha256: string;
  size: number;
  chunks: number;
  /** Chunks sent by this call (the rest central already had). */
  sent: number;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Uploads `pdf`; resolves once central says the paper is complete and its checksum matches. */
export async function uploadAttachment(rpc: RpcClient, ref: AttachmentRef, pdf: Uint8Array, options: { chunkBytes?: number; timeoutMs?: number } = {}): Promise<UploadResult> {
  const chunkBytes = options.chunkBytes ?? CHUNK_BYTES;
  const whole = sha256(pdf);
  const total = Math.max(1, Math.ceil(pdf.length / chunkBytes));
  const base = { ...ref, sha256: whole, size: pdf.length, total };
  const rpcOptions = { timeoutMs: options.timeoutMs ?? 20_000 };
  const status = await rpc.call<{ received: number[]; complete: boolean }>('dossier-attachment', { op: 'status', ...base }, rpcOptions);
  if (status.complete) return { sha256: whole, size: pdf.length, chunks: total, sent: 0 };
  const have = new Set(status.received);
  let sent = 0;
  let complete = false;
  for (let index = 0; index < total; index++) {
    if (have.has(index)) continue;
    const chunk = pdf.subarray(index * chunkBytes, (index + 1) * chunkBytes);
    const answer = await rpc.call<{ complete: boolean }>('dossier-attachment', {
      op: 'chunk', ...base, index, chunkSha256: sha256(chunk), data: Buffer.from(chunk).toString('base64'),
    }, rpcOptions);
    sent += 1;
    complete = answer.complete;
  }
  if (!complete) {
    const final = await rpc.call<{ received: number[]; complete: boolean }>('dossier-attachment', { op: 'status', ...base }, rpcOptions);
    if (!final.complete) throw new StationError('RPC_FAILED', `central holds ${final.received.length} of ${total} chunks of ${ref.paperId}`, { transient: true });
  }
  return { sha256: whole, size: pdf.length, chunks: total, sent };
}
