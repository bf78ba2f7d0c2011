/**
 * ESC/POS encoding for 58/80 mm thermal receipt printers (Epson "ESC/POS Command Reference";
 * the same subset is implemented by Xprinter, Rongta, Gprinter and the other printers found in
 * Vietnamese kiosks). Pure functions: text and receipt lines in, bytes out.
 *
 * Vietnamese: printers that carry code page WPC1258 (Windows-1258) print it after `ESC t n`.
 * Epson numbers WPC1258 as n = 52 (the Epson-family profiles of receipt-print-hq's
 * escpos-printer-db, capabilities.json, list `"52": "CP1258"`); clones differ (some put TCVN-3 at
 * 30/31 or WPC1258 elsewhere), so the table number comes from config (`devices.printer.codePage`)
 * and is checked on the printer's self-test page at installation.
 * Windows-1258 has precomposed vowels with circumflex, breve and horn (â ê ô ă ơ ư) and đ, but
 * tone marks are separate combining bytes after the vowel (0xCC grave, 0xEC acute, 0xDE tilde,
 * 0xD2 hook above, 0xF2 dot below). Without such a code page, text is folded to ASCII
 * ("Nguyễn Văn Đức" → "Nguyen Van Duc"), which residents read without trouble.
 */
import type { ReceiptLine } from './types.js';

const ESC = 0x1b;
const GS = 0x1d;
const DLE = 0x10;
const EOT = 0x04;
const LF = 0x0a;

export const escpos = {
  /** ESC @: initialise (clears modes, keeps the buffer's code page default). */
  init: (): number[] => [ESC, 0x40],
  /** ESC t n: select the character code table. */
  codeTable: (n: number): number[] => [ESC, 0x74, n & 0xff],
  /** ESC E n: emphasised (bold) on/off. */
  bold: (on: boolean): number[] => [ESC, 0x45, on ? 1 : 0],
  /** GS ! n: character size; high nibble width−1, low nibble height−1. */
  size: (width: number, height: number): number[] => [GS, 0x21, (((width - 1) & 7) << 4) | ((height - 1) & 7)],
  /** ESC a n: 0 left, 1 centre, 2 right. */
  align: (a: 'left' | 'center' | 'right'): number[] => [ESC, 0x61, a === 'left' ? 0 : a === 'center' ? 1 : 2],
  /** ESC d n: print and feed n lines. */
  feed: (lines: number): number[] => [ESC, 0x64, lines & 0xff],
  /** GS V 66 n: feed n dots then partial cut (function B). */
  cut: (feedDots = 3): number[] => [GS, 0x56, 66, feedDots & 0xff],
  /** DLE EOT n: real-time status (1 printer, 2 off-line cause, 4 roll paper sensor). */
  status: (n: 1 | 2 | 4): number[] => [DLE, EOT, n],
};

/** GS ( k function parameter bytes: pL pH cn fn [params]. */
function gsK(fn: number, params: number[]): number[] {
  const len = params.length + 2;
  return [GS, 0x28, 0x6b, len & 0xff, (len >> 8) & 0xff, 0x31, fn, ...params];
}

export type QrErrorCorrection = 'L' | 'M' | 'Q' | 'H';

/**
 * A QR code by GS ( k (cn 49): fn 65 model 2, fn 67 module size, fn 69 error correction
 * (48 L … 51 H), fn 80 store data (m = 48), fn 81 print. The payload is bytes (UTF-8 text or
 * an EMVCo VietQR string, which is ASCII).
 */
export function encodeQr(data: string, options: { moduleSize?: number; errorCorrection?: QrErrorCorrection } = {}): number[] {
  const bytes = [...Buffer.from(data, 'utf8')];
  const ecc = { L: 48, M: 49, Q: 50, H: 51 }[options.errorCorrection ?? 'M'];
  const size = Math.min(16, Math.max(1, options.moduleSize ?? 6));
  return [
    ...gsK(65, [50, 0]),
    ...gsK(67, [size]),
    ...gsK(69, [ecc]),
    ...gsK(80, [48, ...bytes]),
    ...gsK(81, [48]),
  ];
}

/** Vietnamese → ASCII: strips tone and vowel marks, đ → d, Đ → D; anything else non-ASCII → `?`. */
export function foldToAscii(text: string): string {
  return text
    .replace(/\u0111/g, 'd')
    .replace(/\u0110/g, 'D')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e\n]/g, '?');
}

const toneMarks = new Set(['\u0300', '\u0301', '\u0303', '\u0309', '\u0323']);
let cp1258: Map<string, number> | undefined;

/** Unicode → Windows-1258 byte for the upper half, built from the platform's own decoder (ICU). */
function cp1258Table(): Map<string, number> {
  if (!cp1258) {
    cp1258 = new Map();
    const decoder = new TextDecoder('windows-1258');
    for (let b = 0x80; b <= 0xff; b++) {
      const ch = decoder.decode(Uint8Array.of(b));
      if (ch !== '\ufffd' && !cp1258.has(ch)) cp1258.set(ch, b);
    }
  }
  return cp1258;
}

/**
 * Encodes text in Windows-1258: each character is tried precomposed, then as its base letter
 * (keeping circumflex, breve, horn) followed by a combining tone byte; characters the code page
 * lacks are folded to ASCII.
 */
export function encodeCp1258(text: string): number[] {
  const table = cp1258Table();
  const out: number[] = [];
  for (const ch of text.normalize('NFC')) {
    const code = ch.codePointAt(0)!;
    if (code < 0x80) {
      out.push(code);
      continue;
    }
    const direct = table.get(ch);
    if (direct !== undefined) {
      out.push(direct);
      continue;
    }
    const parts = [...ch.normalize('NFD')];
    const tones = parts.filter((p) => toneMarks.has(p));
    const base = parts.filter((p) => !toneMarks.has(p)).join('').normalize('NFC');
    const baseByte = base.length === 1 ? (base.codePointAt(0)! < 0x80 ? base.codePointAt(0)! : table.get(base)) : undefined;
    const toneBytes = tones.map((m) => table.get(m));
    if (baseByte !== undefined && toneBytes.every((b) => b !== undefined)) {
      out.push(baseByte, ...(toneBytes as number[]));
    } else {
      out.push(...Buffer.from(foldToAscii(ch), 'latin1'));
    }
  }
  return out;
}

export interface ReceiptEncoding {
  /** `ESC t` table number of WPC1258 on this printer, or null to fold Vietnamese to ASCII. */
  cp1258Table: number | null;
}

/** A whole receipt: init, code page, each line with its modes, feed and cut. */
export function encodeReceipt(lines: ReceiptLine[], encoding: ReceiptEncoding): Uint8Array {
  const out: number[] = [...escpos.init()];
  if (encoding.cp1258Table !== null) out.push(...escpos.codeTable(encoding.cp1258Table));
  for (const line of lines) {
    out.push(...escpos.align(line.align ?? 'left'));
    if (line.qr !== undefined) {
      out.push(...encodeQr(line.qr), LF);
      continue;
    }
    out.push(...escpos.bold(line.bold ?? false), ...escpos.size(line.size ?? 1, line.size ?? 1));
    const text = (line.text ?? '').replace(/[\r\n]+/g, ' ');
    out.push(...(encoding.cp1258Table !== null ? encodeCp1258(text) : [...Buffer.from(foldToAscii(text), 'latin1')]), LF);
  }
  out.push(...escpos.bold(false), ...escpos.size(1, 1), ...escpos.align('left'), ...escpos.feed(3), ...escpos.cut());
  return Uint8Array.from(out);
}

export interface PrinterStatus {
  /** DLE EOT 1 bit 3. */
  offline: boolean;
  /** DLE EOT 4 bits 5–6: roll paper end detected. */
  paperOut: boolean;
  /** DLE EOT 4 bits 2–3: roll paper near end. */
  paperNearEnd: boolean;
}

/** A DLE EOT reply byte always has bit 1 and bit 4 set and bits 0 and 7 clear. */
export function isStatusByte(b: number): boolean {
  return (b & 0x93) === 0x12;
}

/** Combines the DLE EOT 1 (printer) and DLE EOT 4 (paper sensor) reply bytes. Pure. */
export function decodeStatus(printer: number, paper: number): PrinterStatus {
  return {
    offline: (printer & 0x08) !== 0,
    paperOut: (paper & 0x60) !== 0,
    paperNearEnd: (paper & 0x0c) !== 0,
  };
}
