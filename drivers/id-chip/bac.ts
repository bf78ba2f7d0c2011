/**
 * Basic Access Control, ICAO 9303 part 11 §4.3 and appendix D: the document basic access keys
 * from the MRZ, the mutual authentication both sides compute, and the session keys with their
 * send sequence counter. Pure; randomness is passed in so the appendix D worked example is a test.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { deriveKey, pad, retailMac, tdesDecrypt, tdesEncrypt } from './des.js';

/** The part of the MRZ the access key is made of (part 11 §4.3.2 "MRZ_information"). */
export interface MrzKey {
  /** Document number as printed in the MRZ, up to 9 characters (filled with `<`). */
  documentNumber: string;
  /** YYMMDD. */
  birthDate: string;
  /** YYMMDD. */
  expiryDate: string;
}

/** ICAO 9303 part 3 §4.9 check digit: weights 7 3 1, `<` = 0, A–Z = 10–35. */
export function checkDigit(text: string): string {
  const weights = [7, 3, 1];
  let sum = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const v = c === '<' ? 0 : /[0-9]/.test(c) ? Number(c) : /[A-Z]/.test(c) ? c.charCodeAt(0) - 55 : NaN;
    if (Number.isNaN(v)) throw new RangeError(`"${c}" is not an MRZ character`);
    sum += v * weights[i % 3]!;
  }
  return String(sum % 10);
}

/** MRZ_information = number ‖ check ‖ birth ‖ check ‖ expiry ‖ check. */
export function mrzInformation(key: MrzKey): string {
  const number = key.documentNumber.toUpperCase().padEnd(9, '<');
  if (!/^[0-9A-Z<]{9,}$/.test(number)) throw new RangeError('the document number holds characters an MRZ cannot');
  for (const [what, d] of [['birth', key.birthDate], ['expiry', key.expiryDate]] as const) {
    if (!/^\d{6}$/.test(d)) throw new RangeError(`the ${what} date must be YYMMDD`);
  }
  return `${number}${checkDigit(number)}${key.birthDate}${checkDigit(key.birthDate)}${key.expiryDate}${checkDigit(key.expiryDate)}`;
}

export interface KeyPair {
  enc: Buffer;
  mac: Buffer;
}

/** Document basic access keys (§9.7.2): Kseed = first 16 bytes of SHA-1(MRZ_information). */
export function documentKeys(key: MrzKey): KeyPair {
  const seed = createHash('sha1').update(mrzInformation(key), 'ascii').digest().subarray(0, 16);
  return { enc: deriveKey(seed, 1), mac: deriveKey(seed, 2) };
}

/** Session keys and the send sequence counter after a successful mutual authentication. */
export interface SessionKeys extends KeyPair {
  /** 8 bytes: the 4 low bytes of RND.IC ‖ the 4 low bytes of RND.IFD. */
  ssc: Buffer;
}

function sessionOf(kIfd: Uint8Array, kIc: Uint8Array, rndIc: Uint8Array, rndIfd: Uint8Array): SessionKeys {
  const seed = Buffer.alloc(16);
  for (let i = 0; i < 16; i++) seed[i] = kIfd[i]! ^ kIc[i]!;
  return {
    enc: deriveKey(seed, 1),
    mac: deriveKey(seed, 2),
    ssc: Buffer.concat([Buffer.from(rndIc.subarray(4, 8)), Buffer.from(rndIfd.subarray(4, 8))]),
  };
}

function macEquals(a: Buffer, b: Uint8Array): boolean {
  return b.length === 8 && timingSafeEqual(a, Buffer.from(b));
}

/** The terminal's EXTERNAL AUTHENTICATE data: E_IFD ‖ M_IFD over S = RND.IFD ‖ RND.IC ‖ K.IFD. */
export function terminalAuthenticate(keys: KeyPair, rndIc: Uint8Array, rndIfd: Uint8Array, kIfd: Uint8Array): Buffer {
  const e = tdesEncrypt(keys.enc, Buffer.concat([rndIfd, rndIc, kIfd]));
  return Buffer.concat([e, retailMac(keys.mac, pad(e))]);
}

/**
 * Checks the chip's answer (E_IC ‖ M_IC) and gives the session keys, or null when the MAC is
 * wrong or the chip did not echo our nonces (a wrong key, or not the chip we spoke to).
 */
export function terminalSession(keys: KeyPair, answer: Uint8Array, rndIc: Uint8Array, rndIfd: Uint8Array, kIfd: Uint8Array): SessionKeys | null {
  if (answer.length !== 40) return null;
  const e = answer.subarray(0, 32);
  if (!macEquals(retailMac(keys.mac, pad(e)), answer.subarray(32))) return null;
  const r = tdesDecrypt(keys.enc, e);
  if (!r.subarray(0, 8).equals(Buffer.from(rndIc)) || !r.subarray(8, 16).equals(Buffer.from(rndIfd))) return null;
  return sessionOf(kIfd, r.subarray(16, 32), rndIc, rndIfd);
}

/**
 * The chip's side of EXTERNAL AUTHENTICATE: checks the terminal's cryptogram against the challenge
 * it gave and answers E_IC ‖ M_IC with the session keys, or null (the chip then says 6300).
 */
export function chipAuthenticate(keys: KeyPair, command: Uint8Array, rndIc: Uint8Array, kIc: Uint8Array): { answer: Buffer; session: SessionKeys } | null {
  if (command.length !== 40) return null;
  const e = command.subarray(0, 32);
  if (!macEquals(retailMac(keys.mac, pad(e)), command.subarray(32))) return null;
  const s = tdesDecrypt(keys.enc, e);
  const rndIfd = s.subarray(0, 8);
  if (!s.subarray(8, 16).equals(Buffer.from(rndIc))) return null;
  const eIc = tdesEncrypt(keys.enc, Buffer.concat([rndIc, rndIfd, kIc]));
  return { answer: Buffer.concat([eIc, retailMac(keys.mac, pad(eIc))]), session: sessionOf(s.subarray(16, 32), kIc, rndIc, rndIfd) };
}
