/**
 * ISO/IEC 7816-4 command and response APDUs in their short form (what ICAO 9303 part 10 reading
 * needs: Lc and Le up to 255/256), and the status words the reader acts on.
 */

export interface CommandApdu {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data?: Buffer;
  /** Expected length; 256 is written as 00. Absent: no Le byte. */
  le?: number;
}

export const SW = {
  ok: 0x9000,
  /** 6282: end of file reached before Le bytes. */
  endOfFile: 0x6282,
  /** 6300: authentication failed (BAC: wrong access key). */
  authFailed: 0x6300,
  wrongLength: 0x6700,
  /** 6982: security status not satisfied (no BAC yet). */
  securityStatus: 0x6982,
  /** 6985: conditions of use not satisfied (EXTERNAL AUTHENTICATE without GET CHALLENGE). */
  conditions: 0x6985,
  /** 6987/6988: secure messaging data objects missing or wrong. */
  smMissing: 0x6987,
  smIncorrect: 0x6988,
  fileNotFound: 0x6a82,
  wrongP1P2: 0x6b00,
  insNotSupported: 0x6d00,
  claNotSupported: 0x6e00,
} as const;

export function encodeCommand(c: CommandApdu): Buffer {
  const parts: Buffer[] = [Buffer.from([c.cla, c.ins, c.p1, c.p2])];
  if (c.data && c.data.length > 0) {
    if (c.data.length > 255) throw new RangeError('command data over 255 bytes needs extended length');
    parts.push(Buffer.from([c.data.length]), c.data);
  }
  if (c.le !== undefined) parts.push(Buffer.from([c.le >= 256 ? 0 : c.le]));
  return Buffer.concat(parts);
}

/** Parses a short command APDU (the chip's side); null when the lengths do not add up. */
export function parseCommand(bytes: Uint8Array): CommandApdu | null {
  const b = Buffer.from(bytes);
  if (b.length < 4) return null;
  const head = { cla: b[0]!, ins: b[1]!, p1: b[2]!, p2: b[3]! };
  if (b.length === 4) return head;
  if (b.length === 5) return { ...head, le: b[4] === 0 ? 256 : b[4]! };
  const lc = b[4]!;
  if (lc === 0 || b.length < 5 + lc) return null;
  const data = b.subarray(5, 5 + lc);
  if (b.length === 5 + lc) return { ...head, data };
  if (b.length === 6 + lc) return { ...head, data, le: b[5 + lc] === 0 ? 256 : b[5 + lc]! };
  return null;
}

export interface ResponseApdu {
  data: Buffer;
  sw: number;
}

/**
 * Splits a response into data and status word. A response shorter than two bytes is not a
 * response: @pokusew/pcsclite hands back an empty buffer when the card went away mid-command.
 */
export function parseResponse(bytes: Uint8Array): ResponseApdu | null {
  if (bytes.length < 2) return null;
  const b = Buffer.from(bytes);
  return { data: b.subarray(0, b.length - 2), sw: b.readUInt16BE(b.length - 2) };
}

export function encodeResponse(data: Uint8Array, sw: number): Buffer {
  const tail = Buffer.alloc(2);
  tail.writeUInt16BE(sw);
  return Buffer.concat([Buffer.from(data), tail]);
}

export function swHex(sw: number): string {
  return sw.toString(16).toUpperCase().padStart(4, '0');
}
