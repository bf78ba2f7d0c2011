/**
 * Document scanner through SANE's `scanimage` (sane-utils): one page per call, 8-bit grey or colour,
 * as PNM on stdout, decoded here. `decodePnm` is pure and unit-tested with byte vectors from the
 * Netpbm format specification (P5 greyscale, P6 colour: the header `P5|P6 <ws> width <ws> height <ws>
 * maxval <one ws>`, `#` comments allowed between tokens, then rows of samples, one byte each when
 * maxval < 256). scanimage writes a `# SANE data follows` comment after the magic number.
 */
import { StationError } from '../runtime/kernel/errors.js';
import type { ScanProcess } from './transports/sane-process.js';

export interface ScannedPage {
  width: number;
  height: number;
  /** 1 (grey) or 3 (RGB). */
  channels: 1 | 3;
  /** Row-major samples, 0..255. */
  pixels: Uint8Array;
  /** Dots per inch it was scanned at (for the PDF page size). */
  dpi: number;
}

/** Decodes a binary PGM (P5) or PPM (P6) image with maxval 255. */
export function decodePnm(bytes: Uint8Array): Omit<ScannedPage, 'dpi'> {
  let pos = 0;
  const token = (): string => {
    for (;;) {
      while (pos < bytes.length && /\s/.test(String.fromCharCode(bytes[pos] as number))) pos += 1;
      if (bytes[pos] === 0x23) {
        while (pos < bytes.length && bytes[pos] !== 0x0a) pos += 1;
        continue;
      }
      break;
    }
    const start = pos;
    while (pos < bytes.length && !/\s/.test(String.fromCharCode(bytes[pos] as number))) pos += 1;
    return String.fromCharCode(...bytes.subarray(start, pos));
  };
  const magic = token();
  if (magic !== 'P5' && magic !== 'P6') throw new StationError('DEVICE_READ_FAILED', `not a binary PGM/PPM page (magic ${JSON.stringify(magic.slice(0, 4))})`);
  const width = Number(token());
  const height = Number(token());
  const maxval = Number(token());
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 20_000 || height > 20_000) {
    throw new StationError('DEVICE_READ_FAILED', `implausible page size ${width}x${height}`);
  }
  if (maxval !== 255) throw new StationError('DEVICE_READ_FAILED', `only 8-bit pages are read (maxval ${maxval})`);
  pos += 1; // the single whitespace after maxval
  const channels = magic === 'P5' ? 1 : 3;
  const need = width * height * channels;
  if (bytes.length - pos < need) throw new StationError('DEVICE_READ_FAILED', `page cut short: ${bytes.length - pos} of ${need} bytes`);
  return { width, height, channels, pixels: bytes.slice(pos, pos + need) };
}

export interface DocumentScannerOptions {
  /** SANE device name, e.g. `test` (simulation) or `epjitsu:libusb:001:004`; config `devices.documentScanner.device`. */
  device: string;
  /** Default 150 dpi: legible text, a few hundred kB per A4 page before compression. */
  dpi?: number;
  /** `Gray` (default) or `Color`. */
  mode?: 'Gray' | 'Color';
  /** Default 60 000 ms. */
  timeoutMs?: number;
  /** Extra backend options, e.g. `['--test-picture', 'Grid']` for the test backend. */
  extraArgs?: string[];
}

export class DocumentScanner {
  constructor(private readonly process: ScanProcess, private readonly o: DocumentScannerOptions) {}

  /** Scans the page on the glass. Rejects with DEVICE_MISSING, DEVICE_TIMEOUT or DEVICE_READ_FAILED. */
  async scanPage(): Promise<ScannedPage> {
    const dpi = this.o.dpi ?? 150;
    const mode = this.o.mode ?? 'Gray';
    const args = ['-d', this.o.device, '--format=pnm', '--mode', mode, '--resolution', String(dpi), ...(this.o.extraArgs ?? [])];
    // A4 at 300 dpi in colour is ~26 MB: anything beyond that is not a page.
    const bytes = await this.process.run(args, { timeoutMs: this.o.timeoutMs ?? 60_000, maxBytes: 32 * 1024 * 1024 });
    return { ...decodePnm(bytes), dpi };
  }
}
