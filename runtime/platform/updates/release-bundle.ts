/**
 * A release of the station software as central ships it, over the link or on a technician's USB
 * stick: a folder with the files of the release and `release.json`, `{manifest, keyId, signature}`.
 * `manifest` is a JSON text `{version, createdAt, files: [{path, size, sha256}]}` and `signature` the
 * base64 Ed25519 signature (RFC 8032) over its UTF-8 bytes, made with central's release key: a key
 * of its own (`security.releaseKeys`), so a key that signs commands cannot ship code.
 *
 * This module checks the signature and the manifest's shape only; each file's size and digest are
 * checked while it is copied (release-install.ts), so a file is read once.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { verify, type KeyObject } from 'node:crypto';

export interface ReleaseFile {
  /** Relative, `/`-separated, no `..`. */
  path: string;
  size: number;
  /** Hex SHA-256 of the content. */
  sha256: string;
}

export interface ReleaseManifest {
  version: string;
  createdAt: string;
  files: ReleaseFile[];
}

export type ReleaseRefusal = 'unreadable' | 'malformed' | 'unknown-key' | 'bad-signature' | 'bad-manifest';

export type ReleaseCheck = { ok: true; manifest: ReleaseManifest; keyId: string } | { ok: false; reason: ReleaseRefusal; message: string };

/** Semantic version, the name of the release's folder: nothing a path could be made of. */
export const releaseVersionPattern = /^\d{1,4}\.\d{1,4}\.\d{1,4}(?:-[0-9A-Za-z.]{1,32})?$/;

function safePath(path: unknown): path is string {
  return typeof path === 'string' && path.length > 0 && path.length <= 255 && !path.startsWith('/') && !path.includes('\\') && !path.includes('\0')
    && path.split('/').every((part) => part !== '' && part !== '.' && part !== '..') && path !== 'release.json';
}

function manifestProblem(m: unknown): string | undefined {
  const v = m as Partial<ReleaseManifest> | null;
  if (typeof v !== 'object' || v === null) return 'the manifest is not an object';
  if (typeof v.version !== 'string' || !releaseVersionPattern.test(v.version)) return 'version must be a semantic version such as 1.4.0';
  if (typeof v.createdAt !== 'string' || !Number.isFinite(Date.parse(v.createdAt))) return 'createdAt must be an ISO date';
  if (!Array.isArray(v.files) || v.files.length === 0 || v.files.length > 20000) return 'files must list 1 to 20000 files';
  const seen = new Set<string>();
  for (const [i, f] of v.files.entries()) {
    if (!safePath(f?.path)) return `files[${i}].path must be a relative path inside the release`;
    if (seen.has(f.path)) return `files[${i}].path ${f.path} is listed twice`;
    seen.add(f.path);
    if (!Number.isSafeInteger(f.size) || f.size < 0) return `files[${i}].size must be a byte count`;
    if (typeof f.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(f.sha256)) return `files[${i}].sha256 must be 64 hex digits`;
  }
  return undefined;
}

/** Checks `release.json` in a release folder against central's release keys. */
export async function checkRelease(dir: string, keys: ReadonlyMap<string, KeyObject>): Promise<ReleaseCheck> {
  let outer: { manifest?: unknown; keyId?: unknown; signature?: unknown };
  try {
    outer = JSON.parse(await readFile(join(dir, 'release.json'), 'utf8')) as typeof outer;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code ? { ok: false, reason: 'unreadable', message: `release.json: ${(err as Error).message}` } : { ok: false, reason: 'malformed', message: 'release.json is not JSON' };
  }
  if (typeof outer?.manifest !== 'string' || typeof outer.keyId !== 'string' || typeof outer.signature !== 'string') {
    return { ok: false, reason: 'malformed', message: 'release.json must hold manifest (text), keyId and signature' };
  }
  const key = keys.get(outer.keyId);
  if (!key) return { ok: false, reason: 'unknown-key', message: `key ${JSON.stringify(outer.keyId.slice(0, 64))} is not one of central's release keys` };
  const signature = Buffer.from(outer.signature, 'base64');
  let good = false;
  try {
    good = signature.length === 64 && verify(null, Buffer.from(outer.manifest, 'utf8'), key, signature);
  } catch {
    good = false;
  }
  if (!good) return { ok: false, reason: 'bad-signature', message: 'the manifest signature does not verify' };
  let manifest: unknown;
  try {
    manifest = JSON.parse(outer.manifest);
  } catch {
    return { ok: false, reason: 'bad-manifest', message: 'the signed manifest is not JSON' };
  }
  const problem = manifestProblem(manifest);
  if (problem) return { ok: false, reason: 'bad-manifest', message: problem };
  return { ok: true, manifest: manifest as ReleaseManifest, keyId: outer.keyId };
}
