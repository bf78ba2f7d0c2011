/**
 * `npm run bench:display`: how fast the resident display answers a key, and whether the page's
 * memory stays flat over a long day of screens, measured in Debian's Chromium.
 *
 * Latency: 200 key presses; each one makes the session push a new screen. For every press the page
 * records two times from the keydown: the first paint after it (the page's own highlight, the
 * baseline: what the browser costs with no round trip) and the first paint showing the new screen
 * (POST /input → session → SSE → render). Paint time is taken as a task queued from the next
 * animation frame, which runs after that frame is painted.
 *
 * Memory: 1,000 screens of every kind (menus, progress, results, VietQR payment); JS heap after a
 * forced garbage collection and DOM node / listener counts (Chrome DevTools Protocol) after the first
 * 100 and after all 1,000.
 *
 *   node dist/scripts/bench-display.js [--chromium /usr/bin/chromium] [--presses 200] [--screens 1000]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { chromium } from 'playwright-core';
import { DisplayServer } from '../runtime/display/server.js';
import type { Screen, ScreenFeed } from '../runtime/flows/screen-model.js';
import type { InputEvent, InputSink } from '../runtime/kernel/input.js';
import { buildVietQr } from '../runtime/services/vietqr.js';
import { findInstallPaths } from '../runtime/platform/install-paths.js';

// The page's globals inside page.evaluate (the DOM library is not in this project's types).
declare const document: any; // eslint-disable-line @typescript-eslint/no-explicit-any
declare const window: any; // eslint-disable-line @typescript-eslint/no-explicit-any
declare const performance: { now(): number };
declare function requestAnimationFrame(fn: () => void): void;

const { values: args } = parseArgs({
  options: {
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    presses: { type: 'string', default: '200' },
    screens: { type: 'string', default: '1000' },
  },
});
const presses = Number(args.presses);
const screenCount = Number(args.screens);

const keys: Screen['keys'] = [{ key: 'back', label: 'Quay lại' }, { key: 'home', label: 'Trang chủ' }, { key: 'help', label: 'Trợ giúp' }];

/** Screens shaped like the engine's, numbered so every one differs from the last. */
function screenNumber(n: number): Screen {
  switch (n % 5) {
    case 0:
      return {
        kind: 'menu', locale: 'vi', title: `Chọn dịch vụ (${n})`, keys,
        options: ['Khám sức khỏe', 'Thanh toán hóa đơn', 'Tra cứu hồ sơ', 'Báo tin an ninh', 'Bảo hiểm y tế', 'Góp ý'].map((label, i) => ({ key: String(i + 1) as Screen['keys'][number]['key'], label })),
      };
    case 1:
      return { kind: 'measure', locale: 'vi', title: `Đo huyết áp (${n})`, body: ['Ngồi yên, thả lỏng tay.'], keys, progress: { label: 'Áp lực vòng bít', value: 40 + (n % 140), unit: 'mmHg', fraction: (n % 100) / 100 } };
    case 2:
      return {
        kind: 'result', locale: 'vi', title: `Kết quả (${n})`, keys,
        rows: [
          { label: 'Huyết áp', value: `${110 + (n % 50)}/${70 + (n % 30)}`, unit: 'mmHg', tone: 'warning', band: 'Tăng huyết áp độ 1' },
          { label: 'SpO₂', value: String(90 + (n % 10)), unit: '%', tone: 'good', band: 'Bình thường' },
          { label: 'BMI', value: '24,1', tone: 'caution', band: 'Thừa cân' },
        ],
        body: ['Nên nghỉ ngơi và đo lại sau 1 tuần.'],
      };
    case 3: {
      const amount = 100_000 + n * 37;
      return {
        kind: 'pay', locale: 'vi', title: `Quét mã để thanh toán (${n})`, keys, countdown: 300,
        qr: { payload: buildVietQr({ bankBin: '970436', account: '0071000123456', amount, bill: `HD${n}` }), amount, reference: `HD${n}` },
      };
    }
    default:
      return { kind: 'input', locale: 'vi', title: `Nhập mã khách hàng (${n})`, keys, input: { mask: '__________', value: String(n).slice(0, 10), maxLength: 10, charset: 'digits' } };
  }
}

class BenchFeed implements ScreenFeed, InputSink {
  private screen = screenNumber(0);
  private count = 0;
  private readonly listeners = new Set<(s: Screen) => void>();
  current(): Screen {
    return this.screen;
  }
  subscribe(listener: (s: Screen) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  next(): void {
    this.count += 1;
    this.screen = screenNumber(this.count);
    for (const l of this.listeners) l(this.screen);
  }
  input(_event: InputEvent): void {
    this.next();
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const ms = (v: number) => `${v.toFixed(1)} ms`;
const mib = (v: number) => `${(v / 1024 / 1024).toFixed(2)} MiB`;

async function main(): Promise<void> {
  const feed = new BenchFeed();
  const server = new DisplayServer({ assetsDir: findInstallPaths(import.meta.url).displayAssets, host: '127.0.0.1', port: 0, feed, input: feed, logger: pino({ level: 'warn' }) });
  await server.start();
  const profile = await mkdtemp(join(tmpdir(), 'cds-bench-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: args.chromium,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1024, height: 600 },
  });
  try {
    const page = await context.newPage();
    await page.goto(server.url);
    await page.waitForSelector('body[data-connected=true]');

    // Instrumentation runs through the DevTools protocol, which the page's CSP does not govern.
    await page.evaluate(() => {
      const w = window;
      w.benchLocal = [];
      w.benchRemote = [];
      let pressedAt = 0;
      const afterPaint = (fn: () => void) => requestAnimationFrame(() => setTimeout(fn, 0));
      document.addEventListener('keydown', () => {
        pressedAt = performance.now();
        const at = pressedAt;
        afterPaint(() => w.benchLocal.push(performance.now() - at));
      }, { capture: true });
      new w.MutationObserver(() => {
        const at = pressedAt;
        afterPaint(() => w.benchRemote.push(performance.now() - at));
      }).observe(document.getElementById('title'), { childList: true, characterData: true, subtree: true });
    });
    const digits = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0'];
    for (let i = 0; i < presses; i++) {
      await page.keyboard.press(digits[i % digits.length]!);
      await page.waitForFunction((n: number) => window.benchRemote.length >= n && window.benchLocal.length >= n, i + 1, { polling: 'raf' });
    }
    const { local, remote } = await page.evaluate(() => ({ local: window.benchLocal as number[], remote: window.benchRemote as number[] }));
    local.sort((a, b) => a - b);
    remote.sort((a, b) => a - b);

    const cdp = await context.newCDPSession(page);
    const sample = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      const heap = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
      const dom = (await cdp.send('Memory.getDOMCounters')) as { nodes: number; jsEventListeners: number; documents: number };
      return { heap: heap.usedSize, nodes: dom.nodes, listeners: dom.jsEventListeners };
    };
    let seq = Number(await page.getAttribute('body', 'data-seq'));
    const show = async (count: number) => {
      for (let i = 0; i < count; i++) {
        feed.next();
        seq += 1;
        await page.waitForFunction((s: number) => Number(document.body.dataset.seq) >= s, seq, { polling: 'raf' });
      }
    };
    await show(100);
    const warm = await sample();
    await show(screenCount - 100);
    const end = await sample();

    const rows: [string, string, string, string][] = [
      ['keypress → repaint', 'p50', 'p95', 'max'],
      [`round trip (${presses} presses)`, ms(percentile(remote, 50)), ms(percentile(remote, 95)), ms(remote.at(-1)!)],
      ['baseline: local highlight only', ms(percentile(local, 50)), ms(percentile(local, 95)), ms(local.at(-1)!)],
      ['ratio round trip / baseline', `${(percentile(remote, 50) / percentile(local, 50)).toFixed(2)}x`, `${(percentile(remote, 95) / percentile(local, 95)).toFixed(2)}x`, ''],
    ];
    const memory: [string, string, string, string][] = [
      ['page memory (after GC)', 'after 100', `after ${screenCount}`, 'growth'],
      ['JS heap used', mib(warm.heap), mib(end.heap), `${(((end.heap - warm.heap) / warm.heap) * 100).toFixed(1)} %`],
      ['DOM nodes', String(warm.nodes), String(end.nodes), String(end.nodes - warm.nodes)],
      ['JS event listeners', String(warm.listeners), String(end.listeners), String(end.listeners - warm.listeners)],
    ];
    const print = (table: string[][]) => {
      const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
      for (const row of table) console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
      console.log('');
    };
    console.log(`bench:display  Chromium ${context.browser()?.version() ?? ''}  viewport 1024x600\n`);
    print(rows);
    print(memory);
    console.log(`target: round-trip p95 <= 50 ms (measured ${ms(percentile(remote, 95))})`);
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
    await server.stop();
  }
}

await main();
