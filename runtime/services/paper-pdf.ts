/**
 * One PDF per paper: the pages scanned for it, each a JPEG image on a page of the size it was scanned
 * at, compressed until the file fits the size central accepts. pdf-lib (maintained, pure JavaScript,
 * no native build on the board, embeds JPEG streams as they are: DCTDecode, ISO 32000-1 §7.4.8) writes
 * the PDF; jpeg-js (pure JavaScript) encodes the pages, so quality and scale are chosen here.
 *
 * Compression ladder: JPEG quality 70, 50, 35 at full resolution, then the same at half resolution
 * (150 dpi scans become 75 dpi: still legible for printed text), then refused with PAPER_TOO_LARGE.
 */
import { encode } from 'jpeg-js';
import { PDFDocument } from 'pdf-lib';
import { StationError } from '../kernel/errors.js';

export interface PageImage {
  width: number;
  height: number;
  channels: 1 | 3;
  pixels: Uint8Array;
  dpi: number;
}

export interface PaperPdf {
  pdf: Uint8Array;
  pages: number;
  /** The rung of the ladder that fitted. */
  quality: number;
  scale: 1 | 2;
}

const ladder: Array<{ quality: number; scale: 1 | 2 }> = [
  { quality: 70, scale: 1 }, { quality: 50, scale: 1 }, { quality: 35, scale: 1 },
  { quality: 70, scale: 2 }, { quality: 50, scale: 2 }, { quality: 35, scale: 2 },
];

/** RGBA at 1/`scale` of the size (box filter), as jpeg-js takes it. */
function rgba(page: PageImage, scale: 1 | 2): { data: Buffer; width: number; height: number } {
  const width = Math.max(1, Math.floor(page.width / scale));
  const height = Math.max(1, Math.floor(page.height / scale));
  const data = Buffer.alloc(width * height * 4);
  const c = page.channels;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const sum = [0, 0, 0];
      for (let dy = 0; dy < scale; dy++) {
        for (let dx = 0; dx < scale; dx++) {
          const i = ((y * scale + dy) * page.width + (x * scale + dx)) * c;
          for (let k = 0; k < 3; k++) sum[k] = (sum[k] as number) + (page.pixels[i + (c === 3 ? k : 0)] as number);
        }
      }
      const o = (y * width + x) * 4;
      const n = scale * scale;
      data[o] = Math.round((sum[0] as number) / n);
      data[o + 1] = Math.round((sum[1] as number) / n);
      data[o + 2] = Math.round((sum[2] as number) / n);
      data[o + 3] = 255;
    }
  }
  return { data, width, height };
}

export function pageJpeg(page: PageImage, quality: number, scale: 1 | 2 = 1): Uint8Array {
  return encode(rgba(page, scale), quality).data;
}

/** A small JPEG of a page for the screen's preview (about `maxWidth` pixels wide). */
export function pagePreview(page: PageImage, maxWidth = 240): string {
  const step = Math.max(1, Math.ceil(page.width / maxWidth));
  const small: PageImage = { ...page, width: Math.floor(page.width / step), height: Math.floor(page.height / step), pixels: new Uint8Array(Math.floor(page.width / step) * Math.floor(page.height / step) * page.channels) };
  for (let y = 0; y < small.height; y++) {
    for (let x = 0; x < small.width; x++) {
      for (let k = 0; k < page.channels; k++) small.pixels[(y * small.width + x) * page.channels + k] = page.pixels[((y * step) * page.width + x * step) * page.channels + k] as number;
    }
  }
  return `data:image/jpeg;base64,${Buffer.from(pageJpeg(small, 60)).toString('base64')}`;
}

async function build(pages: PageImage[], quality: number, scale: 1 | 2, at: Date, title: string): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  // Fixed metadata from the injected clock: the same pages give the same bytes (checksums resume).
  doc.setTitle(title);
  doc.setCreationDate(at);
  doc.setModificationDate(at);
  doc.setProducer('citizen-station');
  doc.setCreator('citizen-station');
  for (const page of pages) {
    const image = await doc.embedJpg(pageJpeg(page, quality, scale));
    const w = (page.width / page.dpi) * 72;
    const h = (page.height / page.dpi) * 72;
    doc.addPage([w, h]).drawImage(image, { x: 0, y: 0, width: w, height: h });
  }
  return doc.save({ useObjectStreams: true });
}

/** Joins `pages` into one PDF no larger than `maxBytes`; rejects with PAPER_TOO_LARGE when no rung fits. */
export async function paperPdf(pages: PageImage[], maxBytes: number, nowMs: number, title: string): Promise<PaperPdf> {
  if (pages.length === 0) throw new StationError('INPUT_INVALID', 'a paper needs at least one scanned page');
  let smallest = Infinity;
  for (const rung of ladder) {
    const pdf = await build(pages, rung.quality, rung.scale, new Date(nowMs), title);
    if (pdf.length <= maxBytes) return { pdf, pages: pages.length, ...rung };
    smallest = Math.min(smallest, pdf.length);
  }
  throw new StationError('PAPER_TOO_LARGE', `the paper is ${smallest} bytes at the strongest compression; central accepts ${maxBytes}`, { details: { bytes: smallest, maxBytes } });
}
