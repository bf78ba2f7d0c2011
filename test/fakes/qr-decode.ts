import { createRequire } from 'node:module';
import type { BrowserContext } from 'playwright-core';

declare const document: any;
declare const Image: any;
declare const jsQR: (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;

const jsQrPath = createRequire(import.meta.url).resolve('jsqr/dist/jsQR.js');

/**
 * Decodes the QR in a screenshot with jsQR, in a blank page of the same browser (the station page's
 * content security policy rightly forbids injected scripts). Returns null when no code is found.
 */
export async function decodeQrScreenshot(context: BrowserContext, png: Buffer): Promise<string | null> {
  const page = await context.newPage();
  try {
    await page.addScriptTag({ path: jsQrPath });
    return await page.evaluate(async (base64: string) => {
      const img = new Image();
      img.src = `data:image/png;base64,${base64}`;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.width;
      canvas.height = img.height;
      const ctx = canvas.getContext('2d');
      ctx.drawImage(img, 0, 0);
      const pixels = ctx.getImageData(0, 0, img.width, img.height);
      return jsQR(pixels.data, img.width, img.height)?.data ?? null;
    }, png.toString('base64'));
  } finally {
    await page.close();
  }
}
