/**
 * BER-TLV as ICAO 9303 part 10 §4 uses it for the LDS files (EF.COM, DG1, DG13, SOD): one- or
 * multi-byte tags (ISO/IEC 8825-1: low five bits all set means more tag bytes follow, each with
 * bit 8 set while more follow) and definite lengths (short form < 0x80, long form 0x81–0x84).
 * Pure and total: malformed input gives a {@link TlvError} naming the offset and what was wrong,
 * never an exception of another kind and never a read past the buffer.
 */

export interface Tlv {
  /** The tag as a number (0x5F1F, 0x61, 0x7F61…). */
  tag: number;
  /** Constructed (bit 6 of the first tag byte): the value holds nested TLVs. */
  constructed: boolean;
  value: Buffer;
  /** Offset of the tag in the buffer given to {@link parseTlv}. */
  offset: number;
  /** Bytes taken by tag, length and value. */
  size: number;
}

export class TlvError extends Error {
  constructor(readonly offset: number, reason: string) {
    super(`TLV at byte ${offset}: ${reason}`);
    this.name = 'TlvError';
  }
}

/** Deepest nesting {@link parseTlvTree} follows; LDS files nest 4 levels at most. */
export const maxTlvDepth = 16;

/** Reads one TLV starting at `offset`; throws {@link TlvError} when it is malformed or truncated. */
export function parseTlv(bytes: Uint8Array, offset = 0): Tlv {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = offset;
  if (p >= buf.length) throw new TlvError(offset, 'no tag (the data ends here)');
  const first = buf[p++]!;
  if (first === 0x00 || first === 0xff) throw new TlvError(offset, `0x${first.toString(16).padStart(2, '0')} is padding, not a tag`);
  let tag = first;
  if ((first & 0x1f) === 0x1f) {
    let more = true;
    let count = 0;
    while (more) {
      if (p >= buf.length) throw new TlvError(offset, 'the tag is cut short');
      const b = buf[p++]!;
      tag = tag * 256 + b;
      more = (b & 0x80) !== 0;
      if (++count > 3) throw new TlvError(offset, 'the tag is longer than 4 bytes');
    }
  }
  if (p >= buf.length) throw new TlvError(offset, 'no length (the data ends after the tag)');
  const lenByte = buf[p++]!;
  let length: number;
  if (lenByte < 0x80) length = lenByte;
  else if (lenByte === 0x80) throw new TlvError(offset, 'indefinite length is not allowed in the LDS');
  else {
    const n = lenByte & 0x7f;
    if (n > 4) throw new TlvError(offset, `a ${n}-byte length field is longer than 4 bytes`);
    if (p + n > buf.length) throw new TlvError(offset, 'the length field is cut short');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[p++]!;
  }
  if (p + length > buf.length) throw new TlvError(offset, `the value needs ${length} bytes, only ${buf.length - p} remain`);
  return { tag, constructed: (first & 0x20) !== 0, value: buf.subarray(p, p + length), offset, size: p + length - offset };
}

/** Every TLV in `bytes`, one after another (the content of a constructed TLV). */
export function parseTlvList(bytes: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  let p = 0;
  while (p < bytes.length) {
    const tlv = parseTlv(bytes, p);
    out.push({ ...tlv });
    p += tlv.size;
  }
  return out;
}

/** A TLV with its constructed children parsed, to {@link maxTlvDepth}. */
export interface TlvNode extends Tlv {
  children?: TlvNode[];
}

export function parseTlvTree(bytes: Uint8Array, depth = 0): TlvNode[] {
  if (depth > maxTlvDepth) throw new TlvError(0, `nested deeper than ${maxTlvDepth} levels`);
  return parseTlvList(bytes).map((t) => (t.constructed ? { ...t, children: parseTlvTree(t.value, depth + 1) } : t));
}

/** The first TLV with `tag` among `list`, or a {@link TlvError} naming what is missing. */
export function requireTag(list: Tlv[], tag: number, what: string): Tlv {
  const found = list.find((t) => t.tag === tag);
  if (!found) throw new TlvError(0, `${what} (tag ${tag.toString(16).toUpperCase()}) is missing`);
  return found;
}

/** Encodes a definite length: short form below 128, else 0x81/0x82/0x83 and big-endian bytes. */
export function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** Encodes one TLV; `tag` is written big-endian in as many bytes as it needs. */
export function encodeTlv(tag: number, value: Uint8Array): Buffer {
  const tagBytes: number[] = [];
  for (let n = tag; n > 0; n = Math.floor(n / 256)) tagBytes.unshift(n & 0xff);
  return Buffer.concat([Buffer.from(tagBytes.length ? tagBytes : [0]), encodeLength(value.length), value]);
}
