// The display server over plain HTTP: what it serves, what it refuses, the event stream, Help
// forwarding, the keep-alive on the injected clock, and a bounded stop.
import t, { type Test } from 'tap';
import { request } from 'node:http';
import { createServer } from 'node:net';
import pino from 'pino';
import fc from 'fast-check';
import jsQRModule from 'jsqr';
import { DisplayServer, parseInputBody, qrSvg } from '../../../runtime/display/server.js';
import { isStationError } from '../../../runtime/kernel/errors.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { ScriptedScreenFeed, RecordingInputSink } from '../../fakes/screen-feed.js';
import { sampleScreens, sampleQrPayload } from '../../fakes/screens.js';

const logger = pino({ level: 'silent' });
// jsqr is CommonJS whose export is the function and also carries it as `default`; NodeNext types see the latter.
const jsQR = jsQRModule.default;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(url: string, options: { method?: string; path?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  const target = new URL(options.path ?? '/', url);
  return new Promise((resolve, reject) => {
    const req = request(target, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

function post(url: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<Reply> {
  return call(url, { method: 'POST', path: '/input', headers, body });
}

/** An open event stream; `next(n)` resolves with the n-th complete event (1-based) seen so far. */
function stream(url: string) {
  const events: { event?: string; data?: string; id?: string; comment?: string; retry?: string }[] = [];
  let buffer = '';
  let ended = false;
  const waiters: (() => void)[] = [];
  const wake = () => waiters.splice(0).forEach((w) => w());
  const req = request(new URL('/events', url), (res) => {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const entry: (typeof events)[number] = {};
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) entry.comment = line.slice(1).trim();
          else {
            const [field, ...rest] = line.split(': ');
            (entry as Record<string, string>)[field!] = rest.join(': ');
          }
        }
        events.push(entry);
      }
      wake();
    });
    res.on('end', () => {
      ended = true;
      wake();
    });
  });
  req.on('error', () => {
    ended = true;
    wake();
  });
  req.end();
  return {
    events,
    get ended() {
      return ended;
    },
    async next(n: number) {
      while (events.length < n && !ended) await new Promise<void>((r) => waiters.push(r));
      return events[n - 1];
    },
    async closed() {
      while (!ended) await new Promise<void>((r) => waiters.push(r));
    },
    destroy: () => {
      req.destroy();
      ended = true;
      wake();
    },
  };
}

async function withServer(t: Test, options: { clock?: ManualClock } = {}) {
  const feed = new ScriptedScreenFeed(sampleScreens.home!);
  const sink = new RecordingInputSink();
  const server = new DisplayServer({ assetsDir: 'runtime/display/static', host: '127.0.0.1', port: 0, feed, input: sink, logger, ...options });
  await server.start();
  t.teardown(() => server.stop());
  return { server, feed, sink, url: server.url };
}

t.test('serves the page, its script, style and font with a strict policy', async (t) => {
  const { url } = await withServer(t);
  t.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const page = await call(url);
  t.equal(page.status, 200);
  t.match(page.headers['content-type'], 'text/html');
  t.match(page.body, 'Vui lòng chờ…');
  t.match(page.headers['content-security-policy'], "script-src 'self'");
  t.equal(page.headers['cache-control'], 'no-store');
  t.match((await call(url, { path: '/display.js' })).headers['content-type'], 'text/javascript');
  t.match((await call(url, { path: '/display.css' })).body, "font-family: 'Be Vietnam Pro'");
  const font = await call(url, { path: '/fonts/be-vietnam-pro-vietnamese-400-normal.woff2' });
  t.equal(font.status, 200);
  t.equal(font.headers['content-type'], 'font/woff2');
  t.equal(font.body.slice(0, 4), 'wOF2', 'a WOFF2 file');
  for (const path of ['/fonts/../package.json', '/fonts/be-vietnam-pro-latin-ext-400-normal.woff2', '/runtime/display-server.ts', '/%2e%2e/package.json']) {
    const reply = await call(url, { path });
    t.equal(reply.status, 404, `${path} is not served`);
    t.same(JSON.parse(reply.body).ok, false);
  }
  t.equal((await call(url, { method: 'DELETE' })).status, 405);
  const head = await call(url, { method: 'HEAD' });
  t.equal(head.status, 200);
  t.equal(head.body, '');
});

t.test('answers only to its own loopback name (no DNS rebinding)', async (t) => {
  const { url } = await withServer(t);
  const port = new URL(url).port;
  t.equal((await call(url, { headers: { host: 'evil.example:80' } })).status, 421);
  t.equal((await call(url, { headers: { host: `attacker.example:${port}` } })).status, 421);
  t.equal((await call(url, { headers: { host: `localhost:${port}` } })).status, 200);
  const foreign = await post(url, '{"type":"key","key":"1"}', { 'content-type': 'application/json', origin: 'http://evil.example' });
  t.equal(foreign.status, 403);
});

t.test('input: good events reach the sink; bad ones get a clear 400 and never a crash', async (t) => {
  const { url, sink } = await withServer(t);
  const good = await post(url, '{"id":7,"type":"key","key":"1"}');
  t.equal(good.status, 200);
  t.same(JSON.parse(good.body), { id: 7, ok: true, data: { seq: 1 } });
  t.equal((await post(url, '{"type":"touch","key":"ok"}')).status, 200);
  t.equal((await post(url, '{"type":"text","text":"079123456789"}')).status, 200);
  t.equal((await post(url, '{"type":"emergency"}')).status, 200);
  t.same(sink.events, [
    { type: 'key', key: '1' }, { type: 'touch', key: 'ok' }, { type: 'text', text: '079123456789' }, { type: 'emergency' },
  ]);

  const cases: [string, RegExp][] = [
    ['{"type":"key"', /body is not valid JSON/],
    ['[1,2]', /body must be a JSON object/],
    ['null', /body must be a JSON object/],
    ['{"type":"key","key":"A"}', /key must be one of 0-9, \*, #, ok, back, help, home/],
    ['{"type":"scan","text":"079123456789|||"}', /type must be one of key, touch, text, emergency/],
    ['{"type":"text","text":"<script>"}', /text must be at most 32 letters/],
    [`{"type":"text","text":"${'1'.repeat(33)}"}`, /text must be at most 32/],
    ['{"id":{},"type":"key","key":"1"}', /id must be a string or a number/],
  ];
  for (const [body, message] of cases) {
    const reply = await post(url, body);
    t.equal(reply.status, 400, body);
    const envelope = JSON.parse(reply.body);
    t.equal(envelope.ok, false);
    t.equal(envelope.error.code, 'INPUT_INVALID');
    t.match(envelope.error.message, message);
  }
  t.equal((await post(url, '{"type":"key","key":"1"}', { 'content-type': 'text/plain' })).status, 415);
  t.equal((await call(url, { path: '/input' })).status, 405);
  const big = await post(url, JSON.stringify({ type: 'text', text: 'x'.repeat(5000) }));
  t.equal(big.status, 413);
  t.equal(sink.events.length, 4, 'no bad request reached the engine');
  t.equal((await call(url)).status, 200, 'still serving');
});

t.test('a failing session answers 500 with an envelope, and the server keeps going', async (t) => {
  const { url, sink } = await withServer(t);
  sink.onInput = () => {
    throw new Error('engine broke');
  };
  const reply = await post(url, '{"type":"key","key":"1"}');
  t.equal(reply.status, 500);
  t.same(JSON.parse(reply.body), { id: null, ok: false, error: { code: 'INTERNAL', message: 'engine broke' } });
  sink.onInput = undefined;
  t.equal((await post(url, '{"type":"key","key":"2"}')).status, 200);
});

t.test('parseInputBody never throws and accepts only page events', async (t) => {
  fc.assert(fc.property(fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify(v))), (text) => {
    const parsed = parseInputBody(text);
    if (parsed.ok) return ['key', 'touch', 'text', 'emergency'].includes(parsed.event.type);
    return parsed.error.code === 'INPUT_INVALID' && parsed.error.message.length > 0;
  }), { numRuns: 500 });
  t.pass('500 random bodies');
});

t.test('the event stream sends the current screen, then every new one, each once', async (t) => {
  const { url, feed } = await withServer(t);
  const s = stream(url);
  t.teardown(s.destroy);
  t.same(await s.next(1), { retry: '1000' });
  const first = await s.next(2);
  t.equal(first?.event, 'screen');
  t.equal(first?.id, '1');
  t.same(JSON.parse(first!.data!).screen, sampleScreens.home);
  t.match(JSON.parse(first!.data!).pageVersion, /^[0-9a-f]{16}$/, 'the page files digest travels with each screen');
  feed.show(sampleScreens.pay!);
  const pay = JSON.parse((await s.next(3))!.data!);
  t.equal(pay.seq, 2);
  t.equal(pay.screen.qr.payload, sampleQrPayload);
  t.match(pay.qrSvg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" viewBox="0 0 \d+ \d+"/);
  const late = stream(url);
  t.teardown(late.destroy);
  t.equal(JSON.parse((await late.next(2))!.data!).screen.title, sampleScreens.pay!.title, 'a late page gets the current screen');
});

t.test('a payload too long for a QR is logged; the screen still goes out without the code', async (t) => {
  const { url, feed } = await withServer(t);
  const s = stream(url);
  t.teardown(s.destroy);
  await s.next(2);
  feed.show({ ...sampleScreens.pay!, qr: { payload: '9'.repeat(8000), amount: 1000 } });
  const view = JSON.parse((await s.next(3))!.data!);
  t.equal(view.qrSvg, undefined);
  t.equal(view.screen.qr.amount, 1000);
  feed.show(sampleScreens.home!);
  t.equal(JSON.parse((await s.next(4))!.data!).screen.kind, 'home', 'still serving');
});

t.test('Help, like every key, goes to the session, which owns what the screen says', async (t) => {
  const { url, sink } = await withServer(t);
  t.equal((await post(url, '{"type":"key","key":"help"}')).status, 200);
  t.equal((await post(url, '{"type":"touch","key":"help"}')).status, 200);
  t.same(sink.events, [{ type: 'key', key: 'help' }, { type: 'touch', key: 'help' }]);
});

t.test('keep-alive comments follow the injected clock', async (t) => {
  const clock = new ManualClock();
  const { url } = await withServer(t, { clock });
  const s = stream(url);
  t.teardown(s.destroy);
  await s.next(2);
  await clock.advance(14_999);
  t.equal(s.events.length, 2);
  await clock.advance(1);
  t.same(await s.next(3), { comment: 'keep-alive' });
  await clock.advance(15_000);
  t.same(await s.next(4), { comment: 'keep-alive' });
});

t.test('stop ends open streams, unsubscribes, is bounded and idempotent; start can follow', async (t) => {
  const feed = new ScriptedScreenFeed(sampleScreens.home!);
  const server = new DisplayServer({ assetsDir: 'runtime/display/static', host: '127.0.0.1', port: 0, feed, input: new RecordingInputSink(), logger });
  await server.start();
  const url = server.url;
  const streams = [stream(url), stream(url), stream(url)];
  await Promise.all(streams.map((s) => s.next(2)));
  t.equal(feed.subscriberCount, 1);
  const began = Date.now();
  await Promise.all([server.stop(), server.stop()]);
  await Promise.all(streams.map((s) => s.closed()));
  t.ok(Date.now() - began < 1000, 'stopped promptly with clients connected');
  t.equal(feed.subscriberCount, 0);
  await server.stop();
  t.equal(server.url, 'http://127.0.0.1:0/', 'the configured address once stopped');
  await server.start();
  t.equal((await call(server.url)).status, 200, 'restarts');
  await server.stop();
});

t.test('event streams are capped; a closed one frees its place', async (t) => {
  const feed = new ScriptedScreenFeed(sampleScreens.home!);
  const server = new DisplayServer({ assetsDir: 'runtime/display/static', host: '127.0.0.1', port: 0, feed, input: new RecordingInputSink(), logger, maxStreams: 2 });
  await server.start();
  t.teardown(() => server.stop());
  const first = stream(server.url);
  const second = stream(server.url);
  await Promise.all([first.next(2), second.next(2)]);
  const third = await call(server.url, { path: '/events' });
  t.equal(third.status, 503);
  t.equal(third.headers['retry-after'], '1');
  first.destroy();
  let reply: Reply | undefined;
  // The server sees the close a moment after the client; try until the place is free.
  for (let i = 0; i < 100 && reply?.status !== 200; i++) {
    const s = stream(server.url);
    reply = { status: (await s.next(1))?.retry === '1000' ? 200 : 503, headers: {}, body: '' };
    s.destroy();
  }
  t.equal(reply?.status, 200);
  second.destroy();
});

t.test('refuses to listen anywhere but loopback', async (t) => {
  for (const host of ['0.0.0.0', '::', '192.168.1.20']) {
    const feed = new ScriptedScreenFeed(sampleScreens.home!);
    const server = new DisplayServer({ assetsDir: 'runtime/display/static', host, port: 0, feed, input: new RecordingInputSink(), logger });
    const err = await server.start().catch((e: unknown) => e);
    t.ok(isStationError(err, 'COMPONENT_START_FAILED'), host);
    t.match((err as Error).message, 'not a loopback address');
    t.equal(feed.subscriberCount, 0);
  }
});

t.test('a busy port is a start failure with the address in the message', async (t) => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => blocker.close(() => r())));
  const port = (blocker.address() as { port: number }).port;
  const feed = new ScriptedScreenFeed(sampleScreens.home!);
  const server = new DisplayServer({ assetsDir: 'runtime/display/static', host: '127.0.0.1', port, feed, input: new RecordingInputSink(), logger });
  const err = await server.start().catch((e: unknown) => e);
  t.ok(isStationError(err, 'COMPONENT_START_FAILED'));
  t.match((err as Error).message, `127.0.0.1:${port}`);
  t.equal(feed.subscriberCount, 0, 'nothing left subscribed');
  t.equal(server.url, `http://127.0.0.1:${port}/`, 'a status report can still name it');
});

t.test('the QR SVG decodes to its payload', async (t) => {
  for (const payload of [sampleQrPayload, 'HELLO', 'Tiền nước tháng 11']) {
    const svg = qrSvg(payload);
    const size = Number(/viewBox="0 0 (\d+) /.exec(svg)![1]);
    const scale = 4;
    const width = size * scale;
    const pixels = new Uint8ClampedArray(width * width * 4).fill(255);
    for (const [, x, y] of svg.matchAll(/M(\d+) (\d+)h1v1h-1z/g)) {
      for (let dy = 0; dy < scale; dy++) {
        for (let dx = 0; dx < scale; dx++) {
          const i = ((Number(y) * scale + dy) * width + Number(x) * scale + dx) * 4;
          pixels[i] = pixels[i + 1] = pixels[i + 2] = 0;
        }
      }
    }
    t.equal(jsQR(pixels, width, width)?.data, payload);
  }
});
