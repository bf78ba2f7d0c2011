/**
 * The resident display: an HTTP server on loopback that serves the kiosk page, its font, and the
 * current Screen over Server-Sent Events, and takes back what the resident pressed or touched.
 *
 * The page is thin: it draws the one Screen it was sent and forgets it when the next arrives or the
 * connection drops; nothing is stored in the browser. The server checks the Host and Origin of every
 * request (a loopback server is still reachable from any web page the browser opens through DNS
 * rebinding), validates every input event, and answers bad requests with an error envelope.
 *
 * Every key, Help included, goes to the session: the flow engine owns what the screen says, including
 * the explanation of the current screen that Help toggles, so the keypad and the page behave alike.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
// Only the encoder: the package index also loads its PNG (pngjs), terminal and SVG renderers.
import { create as createQr } from 'qrcode/lib/core/qrcode.js';
import type { AddressInfo } from 'node:net';
import type { Clock, TimerHandle } from '../kernel/clock.js';
import { systemClock } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';
import type { Screen, ScreenFeed } from '../flows/screen-model.js';
import { isKey, type InputEvent, type InputSink } from '../kernel/input.js';
import { StationError, toErrorShape, type ErrorShape } from '../kernel/errors.js';

export interface DisplayServerOptions {
  /** Loopback address to listen on. Default `127.0.0.1`. */
  host?: string;
  /** TCP port; 0 picks a free one (see {@link DisplayServer.url}). Default 8080. */
  port?: number;
  /** Where the current Screen comes from (the session). */
  feed: ScreenFeed;
  /** Where keys and touches go (the session). */
  input: InputSink;
  logger: Logger;
  /** Default the wall clock; drives the SSE keep-alive. */
  clock?: Clock;
  /** Folder holding index.html, display.css and display.js (InstallPaths.displayAssets). */
  assetsDir: string;
  /** Folder holding the Be Vietnam Pro woff2 files. Default the installed @fontsource/be-vietnam-pro. */
  fontsDir?: string;
  /** Milliseconds between SSE keep-alive comments. Default 15000. */
  keepAliveMs?: number;
  /** Longest POST body accepted, in bytes. Default 1024. */
  maxBodyBytes?: number;
  /**
   * Most event streams open at once. The kiosk needs one (two during a reload); the cap keeps a
   * runaway local client from exhausting the daemon's file descriptors. Default 8.
   */
  maxStreams?: number;
}

/** What the page receives for each Screen: the Screen, plus its QR drawn on the server. */
export interface DisplayView {
  /** Increases with every Screen, so the page and tests can tell screens apart. */
  seq: number;
  screen: Screen;
  /** The QR of `screen.qr.payload` as an SVG document, when the screen has one. */
  qrSvg?: string;
  /**
   * Digest of the page's files. A page that reconnects to a daemon serving different files (an
   * update was installed) reloads itself, so the kiosk never runs an old page against a new daemon.
   */
  pageVersion: string;
}

const LOOPBACK_HOSTS = ['127.0.0.1', '::1', 'localhost'];

/** Keys the page may send: every keypad key. Scans come only from the CCCD scanner, never the page. */
const PAGE_EVENT_TYPES = ['key', 'touch', 'text', 'emergency'] as const;
/** Longest text event: a CCCD is 12 digits; customer and bill codes stay well under 32. */
const MAX_TEXT_LENGTH = 32;
const TEXT_PATTERN = /^[0-9A-Za-z.\-]*$/;

/** The font files served: regular and bold, Vietnamese and Latin subsets (the page needs no others). */
const FONT_FILES = new Set(
  ['vietnamese', 'latin'].flatMap((subset) => [400, 700].map((w) => `be-vietnam-pro-${subset}-${w}-normal.woff2`)),
);
const STATIC_FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/display.css': { file: 'display.css', type: 'text/css; charset=utf-8' },
  '/display.js': { file: 'display.js', type: 'text/javascript; charset=utf-8' },
};

/**
 * Only this origin may load scripts, styles, fonts and open the event stream; inline script is
 * never allowed, so text from a flow can never run as code even if it were inserted as markup.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "font-src 'self'", "connect-src 'self'",
  "img-src 'self' data:", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

export class DisplayServer {
  readonly name = 'display';
  private server: Server | undefined;
  private readonly clients = new Set<ServerResponse>();
  private unsubscribe: (() => void) | undefined;
  private keepAlive: TimerHandle | undefined;
  private viewJson = '';
  private seq = 0;
  private readonly clock: Clock;
  private readonly assets = new Map<string, Buffer>();
  private pageVersion = '';
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: DisplayServerOptions) {
    this.clock = options.clock ?? systemClock;
  }

  /**
   * The page's address, e.g. `http://127.0.0.1:8080/`: the bound one while listening (port 0 becomes
   * the real port), else the configured one, so status reports never throw.
   */
  get url(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    const host = address?.address ?? this.options.host ?? '127.0.0.1';
    const port = address?.port ?? this.options.port ?? 8080;
    return `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  }

  /** Number of the screen now showing: 1 for the first, one more for each screen the feed published. */
  get screenSeq(): number {
    return this.seq;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const host = this.options.host ?? '127.0.0.1';
    const port = this.options.port ?? 8080;
    if (!LOOPBACK_HOSTS.includes(host)) {
      // The page shows residents' data and takes their input: it must never be reachable from the lobby network.
      throw new StationError('COMPONENT_START_FAILED', `display host ${host} is not a loopback address (${LOOPBACK_HOSTS.join(', ')})`);
    }
    this.stopping = undefined;
    await this.loadAssets();
    this.show(this.options.feed.current());
    this.unsubscribe = this.options.feed.subscribe((screen) => this.show(screen));
    const server = createServer((req, res) => this.handle(req, res));
    // Slow or half-open clients must not hold sockets forever; the event stream is exempt below.
    server.requestTimeout = 10_000;
    server.headersTimeout = 5_000;
    this.server = server;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host, port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      this.unsubscribe();
      this.unsubscribe = undefined;
      this.server = undefined;
      throw new StationError('COMPONENT_START_FAILED', `display cannot listen on ${host}:${port}: ${(err as Error).message}`, { cause: err });
    }
    server.on('error', (err) => this.options.logger.error({ err: err.message }, 'display server error'));
    this.scheduleKeepAlive();
    this.options.logger.info({ url: this.url }, 'display serving');
  }

  /** Ends every event stream and closes the listener; bounded because no client is waited for. */
  async stop(): Promise<void> {
    if (!this.server) return;
    this.stopping ??= this.close(this.server);
    return this.stopping;
  }

  private async close(server: Server): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.clock.clearTimeout(this.keepAlive);
    this.keepAlive = undefined;
    for (const client of this.clients) client.end();
    this.clients.clear();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
    this.server = undefined;
    this.options.logger.info('display stopped');
  }

  private async loadAssets(): Promise<void> {
    const assetsDir = this.options.assetsDir;
    const fontsDir = this.options.fontsDir ?? defaultFontsDir();
    try {
      const digest = createHash('sha256');
      for (const { file } of Object.values(STATIC_FILES)) {
        const content = await readFile(join(assetsDir, file));
        this.assets.set(file, content);
        digest.update(content);
      }
      this.pageVersion = digest.digest('hex').slice(0, 16);
      for (const file of FONT_FILES) this.assets.set(file, await readFile(join(fontsDir, file)));
    } catch (err) {
      throw new StationError('COMPONENT_START_FAILED', `display assets missing: ${(err as Error).message}`, { cause: err });
    }
  }

  private show(screen: Screen): void {
    this.seq += 1;
    const view: DisplayView = { seq: this.seq, screen, pageVersion: this.pageVersion };
    if (screen.qr) {
      try {
        view.qrSvg = qrSvg(screen.qr.payload);
      } catch (err) {
        // A payload too long for a QR is an engine bug; the page still shows amount and reference.
        this.options.logger.error({ err: (err as Error).message, stepId: screen.stepId }, 'QR cannot be drawn');
      }
    }
    this.viewJson = JSON.stringify(view);
    for (const client of this.clients) writeEvent(client, 'screen', this.viewJson, this.seq);
  }

  private scheduleKeepAlive(): void {
    // A comment line every few seconds keeps the stream from looking dead to proxies and lets the
    // server notice clients that vanished without closing.
    this.keepAlive = this.clock.setTimeout(() => {
      for (const client of this.clients) client.write(': keep-alive\n\n');
      if (this.server) this.scheduleKeepAlive();
    }, this.options.keepAliveMs ?? 15_000);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    try {
      this.route(req, res);
    } catch (err) {
      this.options.logger.error({ err: (err as Error).message }, 'display request failed');
      if (!res.headersSent) sendError(res, 500, toErrorShape(err));
      else res.end();
    }
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    if (!this.hostAllowed(req.headers.host)) {
      sendError(res, 421, { code: 'INPUT_INVALID', message: 'this page is served only to the station itself' });
      return;
    }
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/input') {
      this.receiveInput(req, res);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      sendError(res, 405, { code: 'INPUT_INVALID', message: `${req.method ?? ''} is not allowed on ${path}` });
      return;
    }
    if (path === '/events') {
      this.openStream(req, res);
      return;
    }
    const asset = STATIC_FILES[path];
    if (asset) {
      send(res, 200, asset.type, this.assets.get(asset.file) ?? Buffer.alloc(0), { 'Content-Security-Policy': CONTENT_SECURITY_POLICY });
      return;
    }
    const font = path.startsWith('/fonts/') ? path.slice('/fonts/'.length) : '';
    if (FONT_FILES.has(font)) {
      send(res, 200, 'font/woff2', this.assets.get(font) ?? Buffer.alloc(0), { 'Cache-Control': 'public, max-age=31536000, immutable' });
      return;
    }
    sendError(res, 404, { code: 'INPUT_INVALID', message: `nothing at ${path}` });
  }

  /** Accepts only the names this server answers to: a page from elsewhere cannot rebind to it. */
  private hostAllowed(host: string | undefined): boolean {
    if (!host || !this.server) return false;
    const port = (this.server.address() as AddressInfo).port;
    return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(host.toLowerCase());
  }

  private openStream(req: IncomingMessage, res: ServerResponse): void {
    if (this.clients.size >= (this.options.maxStreams ?? 8)) {
      res.setHeader('Retry-After', '1');
      sendError(res, 503, { code: 'INPUT_INVALID', message: 'too many display connections' });
      return;
    }
    req.socket.setTimeout(0);
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
    });
    // The page retries after a second when the daemon restarts (WHATWG HTML §9.2 "retry" field).
    res.write('retry: 1000\n\n');
    writeEvent(res, 'screen', this.viewJson, this.seq);
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
  }

  private receiveInput(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      sendError(res, 405, { code: 'INPUT_INVALID', message: 'send input with POST' });
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !this.hostAllowed(origin.replace(/^http:\/\//, ''))) {
      sendError(res, 403, { code: 'INPUT_INVALID', message: 'input is accepted only from the station page' });
      return;
    }
    if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
      sendError(res, 415, { code: 'INPUT_INVALID', message: 'send input as application/json' });
      return;
    }
    const limit = this.options.maxBodyBytes ?? 1024;
    const chunks: Buffer[] = [];
    let size = 0;
    let rejected = false;
    req.on('data', (chunk: Buffer) => {
      if (rejected) return;
      size += chunk.length;
      if (size > limit) {
        rejected = true;
        sendError(res, 413, { code: 'INPUT_INVALID', message: `input body exceeds ${limit} bytes` }, true);
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => {
      rejected = true;
    });
    req.on('end', () => {
      if (rejected) return;
      const parsed = parseInputBody(Buffer.concat(chunks).toString('utf8'));
      if (!parsed.ok) {
        sendError(res, 400, parsed.error, false, parsed.id);
        return;
      }
      try {
        this.options.input.input(parsed.event);
      } catch (err) {
        // The session must never throw back at the page; if it does, the resident sees no crash.
        this.options.logger.error({ err: (err as Error).message }, 'input sink failed');
        sendError(res, 500, toErrorShape(err), false, parsed.id);
        return;
      }
      send(res, 200, 'application/json', JSON.stringify({ id: parsed.id ?? null, ok: true, data: { seq: this.seq } }));
    });
  }
}

export type ParsedInput =
  | { ok: true; id: string | number | undefined; event: InputEvent }
  | { ok: false; id: string | number | undefined; error: ErrorShape };

/** Validates a POST /input body: an InputEvent the page may send, with an optional request `id`. */
export function parseInputBody(text: string): ParsedInput {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    return invalid(undefined, `body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return invalid(undefined, 'body must be a JSON object such as {"type":"key","key":"1"}');
  }
  const record = body as Record<string, unknown>;
  const rawId = record.id;
  const id = typeof rawId === 'string' || typeof rawId === 'number' ? rawId : undefined;
  if (rawId !== undefined && id === undefined) return invalid(undefined, 'id must be a string or a number');
  const type = record.type;
  if (!(PAGE_EVENT_TYPES as readonly unknown[]).includes(type)) {
    return invalid(id, `type must be one of ${PAGE_EVENT_TYPES.join(', ')}`);
  }
  if (type === 'key' || type === 'touch') {
    if (!isKey(record.key)) return invalid(id, 'key must be one of 0-9, *, #, ok, back, help, home');
    return { ok: true, id, event: { type, key: record.key } };
  }
  if (type === 'text') {
    const value = record.text;
    if (typeof value !== 'string' || value.length > MAX_TEXT_LENGTH || !TEXT_PATTERN.test(value)) {
      return invalid(id, `text must be at most ${MAX_TEXT_LENGTH} letters, digits, dots or dashes`);
    }
    return { ok: true, id, event: { type: 'text', text: value } };
  }
  return { ok: true, id, event: { type: 'emergency' } };
}

function invalid(id: string | number | undefined, message: string): ParsedInput {
  return { ok: false, id, error: { code: 'INPUT_INVALID', message } };
}

/**
 * The QR symbol as a standalone SVG: one path of dark modules inside the four-module quiet zone the
 * QR standard requires (ISO/IEC 18004 §6.3.8). Error correction M is what VietQR bank apps print.
 */
export function qrSvg(payload: string): string {
  const { modules } = createQr(payload, { errorCorrectionLevel: 'M' });
  const quiet = 4;
  const size = modules.size + quiet * 2;
  let path = '';
  for (let row = 0; row < modules.size; row++) {
    for (let col = 0; col < modules.size; col++) {
      if (modules.get(row, col)) path += `M${col + quiet} ${row + quiet}h1v1h-1z`;
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" shape-rendering="crispEdges" role="img">` +
    `<rect width="${size}" height="${size}" fill="#fff"/><path fill="#000" d="${path}"/></svg>`;
}

function writeEvent(res: ServerResponse, event: string, data: string, id?: number): void {
  res.write(`event: ${event}\n${id === undefined ? '' : `id: ${id}\n`}data: ${data}\n\n`);
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function sendError(res: ServerResponse, status: number, error: ErrorShape, close = false, id?: string | number): void {
  const body = JSON.stringify({ id: id ?? null, ok: false, error });
  send(res, status, 'application/json', body, close ? { Connection: 'close' } : {});
}

function defaultFontsDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@fontsource/be-vietnam-pro')), 'files');
}
