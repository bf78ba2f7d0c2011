// The layout audit: every screen the flow engine can show (test/fakes/screen-walk.ts: every step of
// every flow, with its help, errors, timeouts and the idle warning), drawn by the real page in
// Debian's Chromium at each panel a station may have, in Vietnamese and English, and checked by
// test/fakes/layout-audit.ts for overlapping or clipped text, text outside the window, small type,
// contrast under 7:1, keys not explained and a small VietQR code. One browser, one page per panel,
// all showing the same screen at once.
//
// The gallery a person reviews (docs/screens/, linked from the README) is written when
// CDS_SCREENS_DIR names a folder: `CDS_SCREENS_DIR=docs/screens npx tap test/integration/layout-audit.test.ts`.
import t from 'tap';
import pino from 'pino';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { DisplayServer } from '../../runtime/display/server.js';
import { loadFlowBundle, formatFlowProblems } from '../../runtime/flows/bundle.js';
import type { Screen } from '../../runtime/flows/screen-model.js';
import { ScriptedScreenFeed, RecordingInputSink } from '../fakes/screen-feed.js';
import { launchKiosk } from '../fakes/chromium.js';
import { walkScreens, type WalkedScreen } from '../fakes/screen-walk.js';
import { auditPage, type AuditInput, type LayoutViolation } from '../fakes/layout-audit.js';
import { flowsDir } from '../fakes/flow-kit.js';

declare const document: any;

/** The panels of docs/display.md: the 7" Pi panel, the 10" panels, full HD, and full HD portrait. */
const panels = [
  { width: 800, height: 480 }, { width: 1024, height: 600 }, { width: 1280, height: 800 },
  { width: 1920, height: 1080 }, { width: 1080, height: 1920 },
];
const rules = { minTypePx: 16, minContrast: 7, minQrFraction: 0.4 };
// Two languages of about 230 screens at five panels: longer than the default file timeout on a
// loaded two-core machine, well within the suite's budget.
t.setTimeout(600_000);
const gallery = process.env.CDS_SCREENS_DIR;

const loaded = await loadFlowBundle(flowsDir);
if (!loaded.ok) throw new Error(formatFlowProblems(loaded.problems).join('\n'));
const bundle = loaded.bundle;

const screensByLocale = { vi: walkScreens(bundle, 'vi'), en: walkScreens(bundle, 'en') };
const feed = new ScriptedScreenFeed(screensByLocale.vi[0]!.screen);
const server = new DisplayServer({ assetsDir: 'runtime/display/static', host: '127.0.0.1', port: 0, feed, input: new RecordingInputSink(), logger: pino({ level: 'silent' }) });
await server.start();
const kiosk = await launchKiosk();
t.teardown(async () => {
  await kiosk.close();
  await server.stop();
});

async function openPanel(size: { width: number; height: number }): Promise<Page> {
  const page = await kiosk.context.newPage();
  await page.setViewportSize(size);
  await page.goto(server.url);
  await page.waitForSelector('body[data-connected=true]');
  // Installed once per page, so each screen costs one round trip: wait for it, then audit it.
  await page.evaluate(`globalThis.auditPage = ${auditPage.toString()}`);
  return page;
}

/** Waits in the page until screen `seq` is drawn, then audits it. */
function auditWhenShown(page: Page, seq: number, input: AuditInput): Promise<LayoutViolation[]> {
  return page.evaluate(async ([s, i]) => {
    while (Number(document.body.dataset.seq) < (s as number)) await new Promise((r) => (globalThis as any).requestAnimationFrame(r));
    return (globalThis as any).auditPage(i) as LayoutViolation[];
  }, [seq, input] as const);
}
const pages = await Promise.all(panels.map(openPanel));

function auditInput(screen: Screen): AuditInput {
  return { ...rules, keys: screen.keys, keysOptional: screen.kind === 'maintenance' || screen.kind === 'out-of-service' };
}

/** Shows `screen` on every panel and returns each panel's violations. */
async function showAndAudit(screen: Screen, on: Page[] = pages): Promise<LayoutViolation[][]> {
  feed.show(screen);
  const seq = server.screenSeq;
  return Promise.all(on.map((page) => auditWhenShown(page, seq, auditInput(screen))));
}

/** Gallery: each step once at 1024x600 in Vietnamese, and home and payment at every panel in both languages. */
function galleryShots(walked: WalkedScreen, locale: string, firstOfStep: boolean): number[] {
  if (!gallery) return [];
  const everywhere = walked.screen.kind === 'home' || walked.screen.kind === 'pay';
  if (everywhere && firstOfStep) return panels.map((_, i) => i);
  return locale === 'vi' && firstOfStep ? [1] : [];
}

for (const locale of ['vi', 'en'] as const) {
  t.test(`every screen at every panel, ${locale}`, async (t) => {
    const walked = screensByLocale[locale];
    const found = panels.map(() => [] as string[]);
    const shotOf = new Set<string>();
    if (gallery) mkdirSync(gallery, { recursive: true });
    for (const w of walked) {
      const results = await showAndAudit(w.screen);
      results.forEach((violations, i) => {
        for (const v of violations) found[i]!.push(`${w.name} [${w.path.join(' > ')}] ${v.rule} ${v.where}: ${v.detail}`);
      });
      const step = `${w.screen.flowId ?? 'home'}.${w.screen.stepId ?? w.screen.kind}.${w.screen.kind}${w.screen.body?.length ? '' : '-bare'}`;
      const first = !shotOf.has(step);
      shotOf.add(step);
      for (const i of galleryShots(w, locale, first)) {
        const size = panels[i]!;
        await pages[i]!.screenshot({ path: join(gallery as string, `${size.width}x${size.height}-${locale}-${w.name}.png`) });
      }
    }
    // Every violation, for the person fixing them (the assertion shows the first ones).
    mkdirSync('test-output', { recursive: true });
    writeFileSync(`test-output/layout-audit-${locale}.txt`, panels.map((size, i) => found[i]!.map((v) => `${size.width}x${size.height} ${v}`).join('\n')).join('\n'));
    panels.forEach((size, i) => {
      const list = found[i]!;
      t.same(list.slice(0, 25), [], `${walked.length} screens at ${size.width}x${size.height} in ${locale}: ${list.length} violations`);
    });
    t.comment(`layout audit, ${locale}: ${walked.length} screens x ${panels.length} panels`);
  });
}

t.test('loading the page asks for nothing the server does not have', async (t) => {
  const page = await kiosk.context.newPage();
  t.teardown(() => page.close());
  const failed: string[] = [];
  page.on('response', (r) => {
    if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
  });
  await page.goto(server.url);
  await page.waitForSelector('body[data-connected=true]');
  t.same(failed, [], 'nothing missing on load');
  // Headless Chromium never asks for /favicon.ico, the kiosk's windowed one does on every load:
  // the page must name an icon that needs no request.
  t.equal(await page.getAttribute('link[rel=icon]', 'href'), 'data:,', 'the icon is inline, so the kiosk asks for no /favicon.ico');
});

t.test('the audit fails on a panel shrunk below the smallest supported size', async (t) => {
  const home = screensByLocale.vi.find((w) => w.screen.kind === 'home' && !w.path.length) as WalkedScreen;
  const small = await openPanel({ width: 640, height: 360 });
  t.teardown(() => small.close());
  const [violations] = await showAndAudit(home.screen, [small]);
  t.ok(violations!.some((v) => v.rule === 'clipped' || v.rule === 'hidden-key' || v.rule === 'type-size'), 'the home menu does not hold at 640x360');
});

t.test('the audit fails on a planted overlap, a covered countdown and low contrast', async (t) => {
  const pay = screensByLocale.vi.find((w) => w.screen.kind === 'pay' && w.screen.qr) as WalkedScreen;
  const page = pages[1]!;
  const [clean] = await showAndAudit(pay.screen, [page]);
  t.same(clean, [], 'the payment screen is clean as drawn');
  // Planted through the CSSOM: the page's CSP refuses style tags, which is right.
  await page.evaluate(() => {
    document.querySelector('.countdown').style.marginTop = '-3rem';
    for (const label of document.querySelectorAll('.fact-label')) label.style.color = '#777';
  });
  const violations = (await page.evaluate(auditPage, auditInput(pay.screen))).map((v) => v.rule);
  t.ok(violations.includes('overlap'), 'the countdown moved onto the reference is an overlap');
  t.ok(violations.includes('contrast'), 'grey labels are under 7:1');
});

t.test('the audit fails when a screen names no keys', async (t) => {
  const home = screensByLocale.vi[0]!.screen;
  const [violations] = await showAndAudit({ ...home, keys: [] }, [pages[1]!]);
  t.ok(violations!.some((v) => v.rule === 'keys'), 'a screen without its keys explained');
});

