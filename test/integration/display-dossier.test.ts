// Dossier submission in Debian's Chromium, keypad only (keyboard keys stand in for the keypad): the
// CCCD renewal filed from the home menu to the receipt screen, every form field and the review drawn
// by the real page, and the scan step's preview shown as an image, then gone with the session.
import t, { type Test } from 'tap';
import pino from 'pino';
import { mkdirSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DisplayServer } from '../../runtime/display/server.js';
import type { InputSink } from '../../runtime/kernel/input.js';
import { serviceStation, flowsDir, type ServiceStation } from '../fakes/service-station.js';
import { launchKiosk } from '../fakes/chromium.js';
import { DossierDesk, loadProcedureDir } from '../../scripts/central-sim/dossier-desk.js';
import { DocumentScanner } from '../../drivers/document-scanner.js';
import { PaperDesk } from '../../runtime/services/paper-desk.js';
import { PaperVault } from '../../runtime/services/paper-vault.js';
import { CryptoBox } from '../../runtime/link/crypto-box.js';
import type { RpcClient } from '../../runtime/flows/ports.js';

declare const document: any;

const shots = 'test-output/screens';
mkdirSync(shots, { recursive: true });
const kiosk = await launchKiosk();
t.teardown(() => kiosk.close());

const keyboardKeys: Record<string, string> = {
  '0': '0', '1': '1', '2': '2', '3': '3', '4': '4', '5': '5', '6': '6', '7': '7', '8': '8', '9': '9',
  '*': '*', '#': '#', ok: 'Enter', back: 'Escape', help: 'F1', home: 'Home',
};

/** A grey 64 x 80 page, as a scanner would send it. */
const page = Buffer.concat([Buffer.from('P5\n64 80\n255\n'), Buffer.from(Array.from({ length: 64 * 80 }, (_, i) => (i % 64 < 32 ? 40 : 220)))]);

async function station(t: Test): Promise<{ s: ServiceStation; press: (...keys: string[]) => Promise<void>; text: () => Promise<string>; pageOf: () => import('playwright-core').Page; count: () => number }> {
  const central: RpcClient = { call: (service, params, options) => s.rpc.call(service, params, options) };
  const papers = new PaperDesk({
    scanner: new DocumentScanner({ run: async () => page }, { device: 'test', dpi: 75 }),
    vault: new PaperVault(await mkdtemp(join(tmpdir(), 'display-dossier-')), new CryptoBox(randomBytes(32))), rpc: central,
  });
  const s: ServiceStation = await serviceStation({ papers });
  const desk = new DossierDesk(loadProcedureDir(join(flowsDir, 'procedures')));
  s.rpc.on('dossier-intake', (p) => desk.intake(p, s.clock.now()));
  s.rpc.on('dossier-attachment', (p) => desk.attachment(p));
  s.rpc.on('payment-status', (p) => ({ paymentId: p['paymentId'], status: 'paid', amount: p['amount'] }));
  let arrived = 0;
  const counted: InputSink = { input: (event) => { arrived += 1; s.session.input(event); } };
  const server = new DisplayServer({ assetsDir: 'runtime/display/static', host: '127.0.0.1', port: 0, feed: s.session, input: counted, logger: pino({ level: 'silent' }), clock: s.clock });
  await server.start();
  const p = await kiosk.context.newPage();
  t.teardown(async () => {
    await p.close();
    await server.stop();
    await s.stop();
  });
  await p.goto(server.url);
  await p.waitForSelector('body[data-connected=true]');
  let presses = 0;
  const settle = async () => {
    for (let i = 0; i < 500 && s.screen().kind === 'lookup'; i++) {
      await new Promise((r) => setImmediate(r));
      await s.clock.advance(0);
    }
    await p.waitForFunction((seq: number) => Number(document.body.dataset.seq) >= seq, server.screenSeq);
  };
  return {
    s,
    pageOf: () => p,
    count: () => presses,
    text: async () => (await p.innerText('body')).replace(/\s+/g, ' '),
    press: async (...keys: string[]) => {
      for (const group of keys) {
        for (const key of /^\d{2,}$/.test(group) ? [...group] : [group]) {
          const before = arrived;
          presses += 1;
          await p.keyboard.press(keyboardKeys[key] as string);
          const deadline = Date.now() + 5000;
          while (arrived === before) {
            if (Date.now() > deadline) throw new Error(`${key} never reached the session`);
            await new Promise((r) => setTimeout(r, 2));
          }
          await s.clock.advance(0);
          await settle();
        }
      }
    },
  };
}

t.test('CCCD renewal filed keypad only in Chromium, from the home menu to the receipt', async (t) => {
  const r = await station(t);
  const started = Date.now();
  await r.press('4', '4', '1', '1');
  t.equal(await r.pageOf().getAttribute('body', 'data-kind'), 'identity');
  await r.press('079085001234', 'ok');
  t.match(await r.text(), '1. Họ, chữ đệm và tên khai sinh', 'the first form field is drawn');
  t.match(await r.text(), 'cán bộ sẽ gọi điện');
  await r.press('ok', '15061985', 'ok');
  t.match(await r.text(), 'Đang chọn: Nam', 'the sex from the CCCD number is offered');
  await r.press('ok', 'ok', '1', '0912345678', 'ok', '3', '1', '20112026', 'ok');
  t.match(await r.text(), 'Ngày này đã qua', 'the refusal is drawn');
  await r.pageOf().screenshot({ path: `${shots}/dossier-field-refused.png` });
  await r.press('01122026', 'ok', '1');
  t.equal(await r.pageOf().getAttribute('body', 'data-kind'), 'confirm', 'the review');
  await r.pageOf().screenshot({ path: `${shots}/dossier-review.png` });
  await r.press('*', '*');
  t.match(await r.text(), '70.000 ₫', 'the fee on the review\'s last page');
  await r.press('ok');
  t.equal(await r.pageOf().getAttribute('body', 'data-kind'), 'pay', 'the VietQR for the fee');
  t.ok(await r.pageOf().$('#screen .qr svg'), 'the QR is drawn');
  await r.pageOf().screenshot({ path: `${shots}/dossier-fee.png` });
  t.comment(`CCCD renewal in Chromium: ${r.count()} key presses to the fee QR, ${Date.now() - started} ms wall clock`);
});

t.test('the scan step shows the page just scanned, and nothing of it remains after Home', async (t) => {
  const r = await station(t);
  await r.press('4', '1', '1', '1', '079085001234', 'ok');
  await r.press('1', 'ok', '15061985', 'ok', 'ok', 'ok', '0912345678', 'ok', 'ok', 'ok', '2', '079158001234', 'ok', '1', '12', 'ok', '6', 'ok');
  t.equal(await r.pageOf().getAttribute('body', 'data-kind'), 'confirm');
  await r.press('ok', 'ok');
  const img = await r.pageOf().$('#screen img.preview');
  t.ok(img, 'the preview image is on screen');
  t.ok(await r.pageOf().evaluate(() => (document.querySelector('#screen img.preview') as any).naturalWidth > 0), 'and it decodes');
  await r.pageOf().screenshot({ path: `${shots}/dossier-scan-preview.png` });
  await r.press('home');
  t.notOk(await r.pageOf().$('img.preview'), 'gone once the resident left');
  t.notOk((await r.pageOf().content()).includes('data:image/jpeg'), 'no trace of the scan in the DOM');
});
