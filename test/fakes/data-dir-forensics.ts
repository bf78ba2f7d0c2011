/**
 * What someone holding a copy of the station's SD card (and, worst case, its master key) can read
 * of personal records: every byte of the data directory searched for canary values in clear, and
 * every sealed journal body tried against every data key the master key can unwrap.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CryptoBox } from '../../runtime/link/crypto-box.js';
import { scanSegment } from '../../runtime/link/journal.js';

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    if ((await stat(path)).isDirectory()) out.push(...(await filesUnder(path)));
    else out.push(path);
  }
  return out;
}

export interface Forensics {
  /** Canary values found in clear in any file. */
  inClear: number;
  /** Canary values recovered by opening sealed bodies with the master key's data keys. */
  withMasterKey: number;
  /** Sealed personal bodies still on disk (readable or not). */
  sealedBodies: number;
}

/** `master` is the box the key store wraps data keys with (the attacker who also stole the key). */
export async function readDataDir(dataDir: string, canaries: string[], master: CryptoBox): Promise<Forensics> {
  const files = await filesUnder(dataDir);
  let inClear = 0;
  const dataKeys: Buffer[] = [];
  const sealed: Array<{ enc: Buffer; id: string }> = [];
  for (const file of files) {
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (err) {
      // A temporary file renamed while the station runs.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    const text = bytes.toString('latin1');
    inClear += canaries.filter((c) => text.includes(c)).length;
    const keyId = /([0-9a-f]{32})\.key$/.exec(file)?.[1];
    if (keyId) {
      try {
        dataKeys.push(master.open(bytes, `data-key:${keyId}`));
      } catch {
        // Overwritten or not a wrapped key.
      }
    }
    if (/seg-\d+\.log$/.test(file)) {
      for (const f of scanSegment(bytes).frames) {
        const e = f.entry as { t: string; enc?: string; id?: string };
        if (e.t === 'a' && e.enc && e.id) sealed.push({ enc: Buffer.from(e.enc, 'base64'), id: e.id });
      }
    }
  }
  let withMasterKey = 0;
  for (const { enc, id } of sealed) {
    const candidates = [{ key: null as Buffer | null, body: enc }, ...dataKeys.map((key) => ({ key, body: enc.subarray(20) }))];
    for (const c of candidates) {
      try {
        const plain = (c.key ? new CryptoBox(c.key) : master).open(c.body, id).toString('utf8');
        withMasterKey += canaries.filter((x) => plain.includes(x)).length;
        break;
      } catch {
        // Not this key.
      }
    }
  }
  return { inClear, withMasterKey, sealedBodies: sealed.length };
}
