/**
 * 3DES secure messaging after BAC, ICAO 9303 part 11 §9.8: commands carry their data encrypted
 * in DO'87', Le in DO'97' and a retail MAC in DO'8E' over the send sequence counter, the masked
 * header and those objects; responses carry DO'87', the status word in DO'99' and DO'8E'. The
 * counter goes up by one before every command and every response, on both sides.
 * Both sides live here: the reader wraps commands and unwraps responses, the card emulator the
 * reverse, so each is tested against the other and against appendix D.
 */
import { timingSafeEqual } from 'node:crypto';
import type { CommandApdu, ResponseApdu } from './apdu.js';
import { encodeResponse } from './apdu.js';
import type { SessionKeys } from './bac.js';
import { pad, retailMac, tdesDecrypt, tdesEncrypt, unpad } from './des.js';
import { encodeTlv, parseTlvList, type Tlv } from './tlv.js';

export class SecureMessagingError extends Error {
  constructor(reason: string) {
    super(`secure messaging: ${reason}`);
    this.name = 'SecureMessagingError';
  }
}

function increment(ssc: Buffer): void {
  for (let i = ssc.length - 1; i >= 0; i--) {
    ssc[i] = (ssc[i]! + 1) & 0xff;
    if (ssc[i] !== 0) return;
  }
}

function macOk(expected: Buffer, got: Tlv | undefined): boolean {
  return got !== undefined && got.value.length === 8 && timingSafeEqual(expected, got.value);
}

/** One secure messaging channel: the session keys and the counter both sides keep in step. */
export class SecureChannel {
  private readonly ssc: Buffer;

  constructor(private readonly keys: SessionKeys) {
    this.ssc = Buffer.from(keys.ssc);
  }

  /** The counter as it stands (for tests against appendix D). */
  get counter(): Buffer {
    return Buffer.from(this.ssc);
  }

  private mac(data: Buffer): Buffer {
    return retailMac(this.keys.mac, pad(Buffer.concat([this.ssc, data])));
  }

  /** Terminal side: the protected APDU for `c` (§9.8.5.1, appendix D.4). */
  wrapCommand(c: CommandApdu): Buffer {
    increment(this.ssc);
    const cla = c.cla | 0x0c;
    const header = pad(Buffer.from([cla, c.ins, c.p1, c.p2]));
    const do87 = c.data && c.data.length ? encodeTlv(0x87, Buffer.concat([Buffer.from([0x01]), tdesEncrypt(this.keys.enc, pad(c.data))])) : Buffer.alloc(0);
    const do97 = c.le !== undefined ? encodeTlv(0x97, Buffer.from([c.le >= 256 ? 0 : c.le])) : Buffer.alloc(0);
    const body = Buffer.concat([do87, do97]);
    const cc = this.mac(Buffer.concat([header, body]));
    const withMac = Buffer.concat([body, encodeTlv(0x8e, cc)]);
    return Buffer.concat([Buffer.from([cla, c.ins, c.p1, c.p2, withMac.length]), withMac, Buffer.from([0x00])]);
  }

  /** Terminal side: checks the MAC of a protected response and gives the plain data and status word. */
  unwrapResponse(r: ResponseApdu): ResponseApdu {
    increment(this.ssc);
    let objects: Tlv[];
    try {
      objects = parseTlvList(r.data);
    } catch (err) {
      throw new SecureMessagingError(`the response does not parse (${(err as Error).message})`);
    }
    const do87 = objects.find((o) => o.tag === 0x87);
    const do99 = objects.find((o) => o.tag === 0x99);
    const do8e = objects.find((o) => o.tag === 0x8e);
    if (!do99 || do99.value.length !== 2) throw new SecureMessagingError('the status word object (99) is missing');
    const covered = Buffer.concat([do87 ? r.data.subarray(do87.offset, do87.offset + do87.size) : Buffer.alloc(0), r.data.subarray(do99.offset, do99.offset + do99.size)]);
    if (!macOk(this.mac(covered), do8e)) throw new SecureMessagingError('the response MAC is wrong');
    let data: Buffer = Buffer.alloc(0);
    if (do87) {
      if (do87.value[0] !== 0x01 || (do87.value.length - 1) % 8 !== 0) throw new SecureMessagingError('the encrypted data object (87) is malformed');
      const plain = unpad(tdesDecrypt(this.keys.enc, do87.value.subarray(1)));
      if (!plain) throw new SecureMessagingError('the decrypted data has no padding');
      data = plain;
    }
    return { data, sw: do99.value.readUInt16BE(0) };
  }

  /** Chip side: checks and opens a protected command; null when its MAC or objects are wrong. */
  unwrapCommand(raw: CommandApdu): CommandApdu | null {
    increment(this.ssc);
    if ((raw.cla & 0x0c) !== 0x0c || !raw.data) return null;
    let objects: Tlv[];
    try {
      objects = parseTlvList(raw.data);
    } catch {
      return null;
    }
    const do87 = objects.find((o) => o.tag === 0x87);
    const do97 = objects.find((o) => o.tag === 0x97);
    const do8e = objects.find((o) => o.tag === 0x8e);
    const header = pad(Buffer.from([raw.cla, raw.ins, raw.p1, raw.p2]));
    const covered = Buffer.concat([header, ...[do87, do97].filter((o): o is Tlv => o !== undefined).map((o) => raw.data!.subarray(o.offset, o.offset + o.size))]);
    if (!macOk(this.mac(covered), do8e)) return null;
    const out: CommandApdu = { cla: raw.cla & ~0x0c, ins: raw.ins, p1: raw.p1, p2: raw.p2 };
    if (do87) {
      if (do87.value[0] !== 0x01 || (do87.value.length - 1) % 8 !== 0) return null;
      const plain = unpad(tdesDecrypt(this.keys.enc, do87.value.subarray(1)));
      if (!plain) return null;
      out.data = plain;
    }
    if (do97) out.le = do97.value[0] === 0 ? 256 : do97.value[0]!;
    return out;
  }

  /** Chip side: the protected response for `data` and `sw`. */
  wrapResponse(data: Uint8Array, sw: number): Buffer {
    increment(this.ssc);
    const do87 = data.length ? encodeTlv(0x87, Buffer.concat([Buffer.from([0x01]), tdesEncrypt(this.keys.enc, pad(data))])) : Buffer.alloc(0);
    const swBytes = Buffer.alloc(2);
    swBytes.writeUInt16BE(sw);
    const do99 = encodeTlv(0x99, swBytes);
    const cc = this.mac(Buffer.concat([do87, do99]));
    return encodeResponse(Buffer.concat([do87, do99, encodeTlv(0x8e, cc)]), sw);
  }
}
