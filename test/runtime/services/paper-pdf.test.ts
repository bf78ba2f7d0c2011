import t from 'tap';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { PDFDocument } from 'pdf-lib';
import { paperPdf, pagePreview } from '../../../runtime/services/paper-pdf.js';
import type { PageImage } from '../../../runtime/services/paper-pdf.js';
import { PaperVault } from '../../../runtime/services/paper-vault.js';
import { CryptoBox } from '../../../runtime/link/crypto-box.js';

/** A grey A5-ish page at 100 dpi with text-like stripes and noise (noise resists compression). */
function page(seed: number, noise: number): PageImage {
  const width = 580;
  const height = 820;
  const pixels = new Uint8Array(width * height);
  let x = seed;
  for (let i = 0; i < pixels.length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    const row = Math.floor(i / width);
    const ink = row % 24 < 8 && (i % width) % 7 < 5 ? 30 : 235;
    pixels[i] = Math.max(0, Math.min(255, ink + ((x >> 16) % (2 * noise + 1)) - noise));
  }
  return { width, height, channels: 1, pixels, dpi: 100 };
}

const now = Date.UTC(2026, 10, 25, 2, 0, 0);

t.test('pages are joined into one PDF page per scan, at the size they were scanned', async (t) => {
  const out = await paperPdf([page(1, 4), page(2, 4)], 2_000_000, now, 'Hợp đồng thuê nhà');
  const doc = await PDFDocument.load(out.pdf);
  t.equal(doc.getPageCount(), 2);
  const { width, height } = doc.getPage(0).getSize();
  t.equal(Math.round(width), Math.round((580 / 100) * 72));
  t.equal(Math.round(height), Math.round((820 / 100) * 72));
  t.equal(out.quality, 70, 'the first rung fits a generous limit');
  const again = await paperPdf([page(1, 4), page(2, 4)], 2_000_000, now, 'Hợp đồng thuê nhà');
  t.same(Buffer.from(again.pdf), Buffer.from(out.pdf), 'the same pages give the same bytes (a resumed upload keeps its checksum)');
  t.match(pagePreview(page(1, 4)), /^data:image\/jpeg;base64,\/9j\//);
});

t.test('compressed down the ladder to fit the limit, refused when nothing fits', async (t) => {
  const pages = [page(3, 60), page(4, 60)];
  const loose = await paperPdf(pages, 10_000_000, now, 'x');
  const tight = await paperPdf(pages, Math.floor(loose.pdf.length * 0.45), now, 'x');
  t.ok(tight.pdf.length <= loose.pdf.length * 0.45, `${tight.pdf.length} bytes under the limit`);
  t.ok(tight.quality < 70 || tight.scale === 2, `compressed harder (quality ${tight.quality}, scale ${tight.scale})`);
  await t.rejects(paperPdf(pages, 5_000, now, 'x'), { code: 'PAPER_TOO_LARGE', message: /central accepts 5000/ });
  t.comment(`two noisy pages: ${loose.pdf.length} bytes at q70; ${tight.pdf.length} bytes at q${tight.quality} scale 1/${tight.scale}`);
});

t.test('the vault keeps papers sealed and releasing a dossier makes them unreadable and gone', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'paper-vault-'));
  const vault = new PaperVault(dir, new CryptoBox(randomBytes(32)));
  const pdf = (await paperPdf([page(5, 4)], 2_000_000, now, 'Giấy chứng sinh')).pdf;
  await vault.put('sess-1', 'birth-certificate', pdf);
  const onDisk = await readFile(join(dir, 'sess-1', 'birth-certificate.pdf'));
  t.notOk(onDisk.includes(Buffer.from('%PDF')), 'no plain PDF at rest');
  t.same(await vault.get('sess-1', 'birth-certificate'), Buffer.from(pdf));
  t.same(await vault.papers('sess-1'), ['birth-certificate']);
  const stolenKey = await readFile(join(dir, 'sess-1', 'key'));
  await writeFile(join(dir, 'sess-1', 'birth-certificate.pdf'), Buffer.concat([onDisk.subarray(0, 40), Buffer.from([onDisk[40]! ^ 1]), onDisk.subarray(41)]));
  await t.rejects(vault.get('sess-1', 'birth-certificate'), { code: 'JOURNAL_CORRUPT' }, 'a tampered paper does not open');
  await vault.release('sess-1');
  t.same(await readdir(dir), [], 'released: key and papers are gone');
  t.ok(stolenKey.length > 0);
  await t.rejects(vault.get('sess-1', 'birth-certificate'));
  await t.rejects(vault.put('../etc', 'x', pdf), { code: 'INPUT_INVALID' });
});
