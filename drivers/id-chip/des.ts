/**
 * The DES-based primitives of ICAO 9303 part 11 §9.8 (3DES secure messaging): 2-key 3DES in CBC
 * mode with a zero IV, ISO/IEC 9797-1 padding method 2, the retail MAC (ISO/IEC 9797-1 MAC
 * algorithm 3 with DES) and key derivation from a seed (§9.7.1).
 *
 * Node 20's OpenSSL 3 refuses single DES (`des-ecb`, `des-cbc` live in the legacy provider), so the
 * single-DES chain of the retail MAC runs as 2-key 3DES with both halves equal: E(K1, D(K1, E(K1, x)))
 * is E(K1, x).
 */
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';

const zeroIv = Buffer.alloc(8);

/** ISO/IEC 9797-1 padding method 2: 0x80 then zeros up to a multiple of 8. */
export function pad(data: Uint8Array): Buffer {
  const padded = Buffer.alloc((Math.floor(data.length / 8) + 1) * 8);
  Buffer.from(data).copy(padded);
  padded[data.length] = 0x80;
  return padded;
}

/** Removes method-2 padding; null when the tail is not `80 00…`. */
export function unpad(data: Uint8Array): Buffer | null {
  let i = data.length - 1;
  while (i >= 0 && data[i] === 0x00) i--;
  if (i < 0 || data[i] !== 0x80 || data.length - i > 8) return null;
  return Buffer.from(data.subarray(0, i));
}

function run(encrypt: boolean, algorithm: string, key: Buffer, iv: Buffer | null, data: Uint8Array): Buffer {
  const c = encrypt ? createCipheriv(algorithm, key, iv) : createDecipheriv(algorithm, key, iv);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

/** 2-key 3DES-CBC, zero IV, no padding added (the caller pads). `key` is 16 bytes. */
export function tdesEncrypt(key: Uint8Array, data: Uint8Array, iv: Buffer = zeroIv): Buffer {
  return run(true, 'des-ede-cbc', Buffer.from(key), iv, data);
}

export function tdesDecrypt(key: Uint8Array, data: Uint8Array, iv: Buffer = zeroIv): Buffer {
  return run(false, 'des-ede-cbc', Buffer.from(key), iv, data);
}

/**
 * Retail MAC over already padded `data`: DES-CBC under Ka over every block, then the last block
 * decrypted under Kb and encrypted under Ka (ISO/IEC 9797-1 MAC algorithm 3). `key` = Ka‖Kb.
 */
export function retailMac(key: Uint8Array, padded: Uint8Array): Buffer {
  if (padded.length === 0 || padded.length % 8 !== 0) throw new RangeError('the MAC input must be padded to 8-byte blocks');
  const ka = Buffer.from(key.subarray(0, 8));
  const kaKa = Buffer.concat([ka, ka]);
  const head = padded.subarray(0, padded.length - 8);
  const iv = head.length ? tdesEncrypt(kaKa, head).subarray(-8) : zeroIv;
  return tdesEncrypt(Buffer.from(key.subarray(0, 16)), padded.subarray(-8), Buffer.from(iv));
}

/** Sets each byte's lowest bit so the byte has odd parity (DES keys, §9.7.1.2 note). */
export function adjustParity(key: Uint8Array): Buffer {
  const out = Buffer.from(key);
  for (let i = 0; i < out.length; i++) {
    let ones = 0;
    for (let b = out[i]! >> 1; b; b >>= 1) ones += b & 1;
    out[i] = (out[i]! & 0xfe) | (ones % 2 === 0 ? 1 : 0);
  }
  return out;
}

/** Key derivation for 3DES (§9.7.1): SHA-1(seed ‖ counter), first 16 bytes, parity adjusted. Counter 1 = ENC, 2 = MAC. */
export function deriveKey(seed: Uint8Array, counter: 1 | 2): Buffer {
  const c = Buffer.alloc(4);
  c.writeUInt32BE(counter);
  return adjustParity(createHash('sha1').update(seed).update(c).digest().subarray(0, 16));
}
