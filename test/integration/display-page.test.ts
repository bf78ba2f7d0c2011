// The display page in Debian's Chromium, driven by a scripted screen feed: what each screen shows,
// that keyboard keys and touches arrive as the engine's input events, that the layouts fit both
// panels with large enough targets, that the QR decodes to the payload, and that the page wipes
// itself and waits calmly while the daemon restarts.
import t from 'tap';
import pino from 'pino';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DisplayServer } from '../../runtime/display/server.js';
import type { Screen } from '../../runtime/flows/screen-model.js';
import { ScriptedScreenFeed, RecordingInputSink } from '../fakes/screen-feed.js';
import { sampleScreens, sampleQrPayload } from '../fakes/screens.js';
import { launchKiosk } from '../fakes/chromium.js';
import { decodeQrScreenshot } from '../fakes/qr-decode.js';

declare const document: any;
declare const localStorage: any;
declare const sessionStorage: any;
declare const getComputedStyle: (node: unknown) => { color: string; fontSize: string };
declare const innerHeight: number;

const shots = 'test-output/screens';
mkdirSync(shots, { recursive: true });

const feed = new ScriptedScreenFeed(sampleScreens.home!);
const sink = new RecordingInputSink();
const logger = pino({ level: 'silent' });
let server = new DisplayServer({ assetsDir: 'runtime/display/static', host: '127.0.0.1', port: 0, feed, input: sink, logger });
await server.start();
const kiosk = await launchKiosk();
t.teardown(async () => {
  await kiosk.close();
  await server.stop();
});
const page = await kiosk.context.newPage();
const pageErrors: string[] = [];
const requested: string[] = [];
page.on('pageerror', (e) => pageErrors.push(e.message));
page.on('request', (r) => requested.push(r.url()));
await page.goto(server.url);
await page.waitForSelector('body[data-connected=true]');

async function show(screen: Screen): Promise<void> {
  feed.show(screen);
  await page.waitForFunction((title: string) => document.getElementById('title').textContent === title, screen.title);
}

/** Text of the visible page, whitespace collapsed. */
async function visibleText(): Promise<string> {
  return (await page.innerText('body')).replace(/\s+/g, ' ');
}

t.test('home menu shows every option with its key number, in the shipped font', async (t) => {
  await show(sampleScreens.home!);
  const options = await page.$$eval('#screen .option', (nodes: any[]) =>
    nodes.map((n) => ({ key: n.dataset.key, badge: n.querySelector('.badge').textContent, label: n.querySelector('.label').textContent })));
  t.same(options, sampleScreens.home!.options!.map((o) => ({ key: o.key, badge: o.key, label: o.label })));
  t.equal(await page.getAttribute('html', 'lang'), 'vi');
  await page.evaluate(() => document.fonts.ready);
  t.ok(await page.evaluate(() => document.fonts.check('700 30px "Be Vietnam Pro"', 'Trạm công dân số')), 'Be Vietnam Pro bold covers the Vietnamese title');
  const fontFaces = await page.evaluate(() => [...document.fonts].filter((f: any) => f.status === 'loaded').map((f: any) => f.weight));
  t.ok(fontFaces.length >= 2, 'font faces loaded from the station');
  const origin = new URL(server.url).origin;
  t.same(requested.filter((u) => !u.startsWith(origin)), [], 'nothing fetched from anywhere but the station');
  t.ok(requested.some((u) => u.endsWith('/fonts/be-vietnam-pro-vietnamese-700-normal.woff2')), 'the Vietnamese subset is served locally');
});

t.test('keyboard keys arrive as keypad keys', async (t) => {
  await show(sampleScreens.identity!);
  const before = sink.events.length;
  for (const key of ['1', '7', '0', '*', '#', 'Enter', 'Backspace', 'Escape', 'Home', 'Numpad5', 'NumpadEnter']) await page.keyboard.press(key);
  await sink.waitFor(before + 11);
  t.same(sink.events.slice(before).map((e) => (e.type === 'key' ? e.key : e.type)),
    ['1', '7', '0', '*', '#', 'ok', 'back', 'back', 'home', '5', 'ok']);
  t.ok(sink.events.slice(before).every((e) => e.type === 'key'), 'typed as key events');
  await page.keyboard.press('a');
  await page.keyboard.press('Tab');
  await page.keyboard.press('1');
  await sink.waitFor(before + 12);
  t.same(sink.events.slice(before + 11), [{ type: 'key', key: '1' }], 'other keys are ignored');
});

t.test('touches arrive as touch events carrying the option key', async (t) => {
  await show(sampleScreens.home!);
  const before = sink.events.length;
  await page.click('text=Thanh toán hóa đơn');
  await page.click('#keys [data-key=help]');
  await show(sampleScreens.identity!);
  await page.click('#screen .pad [data-key="4"]');
  await page.click('#keys [data-key=back]');
  await sink.waitFor(before + 4);
  t.same(sink.events.slice(before), [
    { type: 'touch', key: '2' }, { type: 'touch', key: 'help' }, { type: 'touch', key: '4' }, { type: 'touch', key: 'back' },
  ]);
});

t.test('F1 and h send the Help key; the key bar shows what each key does', async (t) => {
  await show(sampleScreens.pay!);
  const before = sink.events.length;
  await page.keyboard.press('F1');
  await page.keyboard.press('h');
  await sink.waitFor(before + 2);
  t.same(sink.events.slice(before), [{ type: 'key', key: 'help' }, { type: 'key', key: 'help' }]);
  const bar = await page.$$eval('#keys [data-key]', (nodes: any[]) => nodes.map((n) => `${n.dataset.key}=${n.innerText.replace(/\s+/g, ' ')}`));
  t.same(bar, ['back=◀ Hủy', 'help=? Trợ giúp']);
});

t.test('measurement progress, results, payment, receipt, errors', async (t) => {
  await show(sampleScreens.measureBp!);
  t.match(await visibleText(), /Áp lực vòng bít 142 ?mmHg/);
  t.equal(await page.getAttribute('.bar', 'aria-valuenow'), '55');
  await show(sampleScreens.measureSpo2!);
  t.match(await visibleText(), /Thời gian còn lại 12 ?giây/);
  await show(sampleScreens.measureScale!);
  t.match(await visibleText(), /Đang ổn định 61.4 ?kg/);
  t.equal(await page.$$eval('.bar', (n: any[]) => n.length), 0, 'no bar while the scale has no fraction');

  await show(sampleScreens.lookup!);
  t.match(await visibleText(), 'Đang hỏi Tổng công ty Điện lực TP.HCM');
  t.equal(await page.$$eval('#screen .spinner', (n: any[]) => n.length), 1, 'a working step shows a spinner');

  await show(sampleScreens.result!);
  const rows = await page.$$eval('.rows tr', (trs: any[]) => trs.map((tr) => ({
    text: tr.innerText.replace(/\s+/g, ' ').trim(), band: tr.querySelector('.band')?.className,
  })));
  t.same(rows, [
    { text: 'Huyết áp 148/95mmHg Tăng huyết áp độ 1', band: 'band tone-warning' },
    { text: 'SpO₂ 97% Bình thường', band: 'band tone-good' },
    { text: 'Nhịp tim 78lần/phút Bình thường', band: 'band tone-good' },
    { text: 'BMI 24,1 Thừa cân', band: 'band tone-caution' },
  ]);
  const warningColour = await page.$eval('.tone-warning', (n: any) => getComputedStyle(n).color);
  const goodColour = await page.$eval('.tone-good', (n: any) => getComputedStyle(n).color);
  t.not(warningColour, goodColour, 'bands are colour-coded');
  t.match(await visibleText(), 'Nên nghỉ ngơi, ăn nhạt');

  await show(sampleScreens.pay!);
  t.match(await page.innerText('.amount'), /^186\.500 đồng$/);
  t.equal(await page.innerText('.reference'), 'HD2611-004512');
  const qrBox = await page.$eval('.qr', (n: any) => n.getBoundingClientRect().height);
  t.ok(qrBox >= 600 * 0.55, `QR drawn large (${Math.round(qrBox)} px of 600)`);
  const png = await page.locator('.qr').screenshot();
  t.equal(await decodeQrScreenshot(kiosk.context, png), sampleQrPayload, 'the QR on screen decodes to the payload');
  await page.waitForFunction(() => Number(document.querySelector('.countdown .seconds').textContent) < 300, undefined, { timeout: 3000 });
  t.pass('the payment countdown ticks between updates');

  await show(sampleScreens.payEnglish!);
  t.equal(await page.getAttribute('html', 'lang'), 'en');
  t.equal(await page.innerText('.amount'), '186,500 VND');
  t.match(await visibleText(), /Amount .* Bill reference HD2611-004512 Time left: 1\d\d s/);

  await show(sampleScreens.receipt!);
  t.match(await visibleText(), /Số tiền 186\.500 ?đồng/);
  await show(sampleScreens.error!);
  t.equal(await page.getAttribute('body', 'data-tone'), 'danger');
  t.match(await visibleText(), 'Quấn lại vòng bít sát tay rồi nhấn OK');
  t.match(await page.innerText('#keys'), 'Đo lại');
});

t.test('idle countdown, maintenance, out of service, offline banner', async (t) => {
  await show(sampleScreens.idle!);
  t.match(await page.innerText('.countdown'), /2\d|1\d/);
  await show(sampleScreens.maintenance!);
  t.match(await visibleText(), 'Trạm đang được bảo trì');
  t.equal(await page.innerText('#banners'), '', 'the maintenance screen does not repeat itself in a banner');
  t.equal(await page.$$eval('#keys', (n: any[]) => n[0].getBoundingClientRect().height), 0, 'no empty key bar');
  await show({ ...sampleScreens.result!, title: 'Kết quả (bảo trì sắp bắt đầu)', banners: { maintenance: true } });
  t.match(await page.innerText('#banners'), 'Trạm đang bảo trì', 'over a resident\'s screen the banner shows');
  await show(sampleScreens.outOfService!);
  t.match(await visibleText(), 'Tạm ngừng phục vụ');
  t.equal(await page.innerText('#banners'), '');
  await show(sampleScreens.offlineHome!);
  t.match(await page.innerText('#banners'), 'Mất kết nối với trung tâm');
});

for (const viewport of [{ width: 1024, height: 600 }, { width: 1920, height: 1080 }]) {
  t.test(`every screen fits ${viewport.width}x${viewport.height} with targets of 48 px or more`, async (t) => {
    await page.setViewportSize(viewport);
    for (const [name, screen] of Object.entries(sampleScreens)) {
      await show(screen);
      const layout = await page.evaluate(() => {
        const main = document.getElementById('screen');
        const keys = document.getElementById('keys').getBoundingClientRect();
        const small = [...document.querySelectorAll('button')]
          .filter((b: any) => b.offsetParent !== null)
          .map((b: any) => b.getBoundingClientRect())
          .filter((r: any) => r.width < 48 || r.height < 48).length;
        return {
          overflow: main.scrollHeight > main.clientHeight + 1 || main.scrollWidth > main.clientWidth + 1,
          keysVisible: keys.bottom <= innerHeight + 0.5,
          small,
          fontPx: parseFloat(getComputedStyle(document.body).fontSize),
        };
      });
      t.same(layout.overflow, false, `${name}: content fits`);
      t.ok(layout.keysVisible, `${name}: key bar on screen`);
      t.equal(layout.small, 0, `${name}: no touch target under 48 px`);
      t.ok(layout.fontPx >= 24, `${name}: body text ${layout.fontPx} px`);
      await page.screenshot({ path: `${shots}/${name}-${viewport.width}x${viewport.height}.png` });
    }
  });
}

t.test('nothing about a resident stays in the page after the screen changes', async (t) => {
  await page.setViewportSize({ width: 1024, height: 600 });
  await show(sampleScreens.result!);
  await show(sampleScreens.home!);
  const html = await page.content();
  for (const trace of ['148/95', 'Tăng huyết áp', '079']) t.notMatch(html, trace, `no "${trace}" in the DOM`);
  t.same(await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie]), [0, 0, '']);
});

t.test('a daemon restart shows "please wait", wipes the screen, and the page comes back by itself', async (t) => {
  await show(sampleScreens.identity!);
  const port = Number(new URL(server.url).port);
  await server.stop();
  await page.waitForSelector('body[data-connected=false]');
  t.match(await page.innerText('#wait'), 'Vui lòng chờ…');
  t.equal(await page.innerText('#screen'), '', 'the typed CCCD digits are gone');
  t.notMatch(await page.content(), '079');
  await page.screenshot({ path: `${shots}/please-wait.png` });
  feed.show(sampleScreens.home!);
  server = new DisplayServer({ assetsDir: 'runtime/display/static', host: '127.0.0.1', port, feed, input: sink, logger });
  await server.start();
  await page.waitForSelector('body[data-connected=true]', { timeout: 10_000 });
  t.equal(await page.textContent('#title'), sampleScreens.home!.title);
  t.same(pageErrors, [], 'no script errors in the page');
});

t.test('a daemon that comes back with updated page files makes the page reload itself', async (t) => {
  await page.evaluate(() => {
    (globalThis as any).loadedBefore = true;
  });
  const port = Number(new URL(server.url).port);
  const updated = mkdtempSync(join(tmpdir(), 'cds-page-'));
  t.teardown(() => rmSync(updated, { recursive: true, force: true }));
  cpSync('runtime/display/static', updated, { recursive: true });
  appendFileSync(join(updated, 'display.css'), '\n/* updated */\n');
  await server.stop();
  await page.waitForSelector('body[data-connected=false]');
  server = new DisplayServer({ host: '127.0.0.1', port, feed, input: sink, logger, assetsDir: updated });
  await server.start();
  await page.waitForFunction(() => (globalThis as any).loadedBefore === undefined && document.body.dataset.connected === 'true', undefined, { timeout: 10_000 });
  t.equal(await page.textContent('#title'), sampleScreens.home!.title, 'reloaded and showing the current screen');
  t.ok(requested.filter((u) => u.endsWith('/display.css')).length >= 2, 'the stylesheet was fetched again');
  t.same(pageErrors, []);
});

t.test('an HTTP error on the event stream (which ends EventSource for good) is retried by the page', async (t) => {
  const port = Number(new URL(server.url).port);
  await server.stop();
  await page.waitForSelector('body[data-connected=false]');
  let refused = 0;
  const stand = createServer((req, res) => {
    if (req.url === '/events') refused += 1;
    res.writeHead(503, { 'Content-Type': 'text/plain' }).end('starting');
  });
  await new Promise<void>((r) => stand.listen(port, '127.0.0.1', r));
  while (refused < 2) await new Promise((r) => setTimeout(r, 50));
  t.ok(refused >= 2, 'the page kept asking after a 503');
  t.match(await page.innerText('#wait'), 'Vui lòng chờ…');
  await new Promise<void>((r) => {
    stand.close(() => r());
    stand.closeAllConnections();
  });
  server = new DisplayServer({ assetsDir: 'runtime/display/static', host: '127.0.0.1', port, feed, input: sink, logger });
  await server.start();
  await page.waitForSelector('body[data-connected=true]', { timeout: 10_000 });
  t.equal(await page.textContent('#title'), sampleScreens.home!.title);
});
