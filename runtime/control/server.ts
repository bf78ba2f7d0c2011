/**
 * The technician control socket: a Unix socket speaking JSON lines. Requests are
 * `{id, method, params}`; every request gets exactly one envelope `{id, ok, data | error}`.
 * Nothing a client sends can crash the daemon: malformed lines, unknown methods, handler errors and
 * oversized lines all become error envelopes.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { chmod, mkdir, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../kernel/logger.js';
import { StationError, toErrorShape, type ErrorShape } from '../kernel/errors.js';
import type { ControlEvents, ControlMethod, ControlMethods, ControlRequest } from './methods.js';

export interface ControlContext {
  /** Pushes a notification to this client (for subscriptions). */
  push<E extends keyof ControlEvents>(event: E, data: ControlEvents[E]): void;
  /** Runs `fn` when the client disconnects. */
  onClose(fn: () => void): void;
}

export type ControlHandler<M extends ControlMethod> = (
  params: ControlMethods[M]['params'],
  context: ControlContext,
) => Promise<ControlMethods[M]['result']> | ControlMethods[M]['result'];

export interface ControlSocketOptions {
  path: string;
  /** Octal file mode of the socket, e.g. `0660`. */
  mode: string;
  /** Longest request line accepted. */
  maxLineBytes: number;
  logger: Logger;
}

type AnyHandler = (params: unknown, context: ControlContext) => unknown;

export class ControlSocket {
  readonly name = 'control-socket';
  private server: Server | undefined;
  private readonly handlers = new Map<string, AnyHandler>();
  private readonly sockets = new Set<Socket>();

  constructor(private readonly options: ControlSocketOptions) {}

  /** Registers the handler of one method of the typed map. */
  handle<M extends ControlMethod>(method: M, handler: ControlHandler<M>): void;
  /** Registers a method added by another component (its types live in its own map). */
  handle(method: string, handler: AnyHandler): void;
  handle(method: string, handler: AnyHandler): void {
    this.handlers.set(method, handler);
  }

  methods(): string[] {
    return [...this.handlers.keys()].sort();
  }

  async start(): Promise<void> {
    const { path, mode } = this.options;
    await mkdir(dirname(path), { recursive: true });
    await removeStaleSocket(path);
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.options.logger.error({ err: err.message }, 'control socket error'));
    await chmod(path, parseInt(mode, 8));
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    const closers: (() => void)[] = [];
    let buffered = '';
    const context: ControlContext = {
      push: (event, data) => {
        if (!socket.destroyed) socket.write(JSON.stringify({ event, data }) + '\n');
      },
      onClose: (fn) => closers.push(fn),
    };
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.trim()) void this.answer(socket, line, context);
      }
      if (Buffer.byteLength(buffered) > this.options.maxLineBytes) {
        buffered = '';
        this.reply(socket, { id: null, ok: false, error: new StationError('CONTROL_LINE_TOO_LONG', `request line longer than ${this.options.maxLineBytes} bytes`).toShape() });
        socket.end();
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.sockets.delete(socket);
      for (const fn of closers) {
        try {
          fn();
        } catch (err) {
          this.options.logger.warn({ err: (err as Error).message }, 'control subscription cleanup failed');
        }
      }
    });
  }

  private async answer(socket: Socket, line: string, context: ControlContext): Promise<void> {
    let request: ControlRequest;
    try {
      request = parseRequest(line);
    } catch (err) {
      this.reply(socket, { id: requestIdOf(line), ok: false, error: toErrorShape(err) });
      return;
    }
    const handler = this.handlers.get(request.method);
    if (!handler) {
      this.reply(socket, {
        id: request.id,
        ok: false,
        error: { code: 'CONTROL_UNKNOWN_METHOD', message: `unknown method "${request.method}"; known: ${this.methods().join(', ')}` },
      });
      return;
    }
    try {
      const data = await handler(request.params ?? {}, context);
      this.reply(socket, { id: request.id, ok: true, data: data ?? null });
    } catch (err) {
      if (!(err instanceof StationError)) {
        this.options.logger.error({ method: request.method, err: (err as Error)?.message }, 'control handler failed');
      }
      this.reply(socket, { id: request.id, ok: false, error: toErrorShape(err) });
    }
  }

  private reply(socket: Socket, envelope: { id: unknown; ok: boolean; data?: unknown; error?: ErrorShape }): void {
    if (!socket.destroyed) socket.write(JSON.stringify(envelope) + '\n');
  }
}

function parseRequest(line: string): ControlRequest {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new StationError('CONTROL_BAD_REQUEST', 'request line is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new StationError('CONTROL_BAD_REQUEST', 'request must be a JSON object {id, method, params}');
  }
  const r = value as Record<string, unknown>;
  if (typeof r.id !== 'string' && typeof r.id !== 'number') {
    throw new StationError('CONTROL_BAD_REQUEST', 'request "id" must be a string or a number');
  }
  if (typeof r.method !== 'string' || r.method.length === 0) {
    throw new StationError('CONTROL_BAD_REQUEST', 'request "method" must be a non-empty string');
  }
  if (r.params !== undefined && (typeof r.params !== 'object' || r.params === null || Array.isArray(r.params))) {
    throw new StationError('CONTROL_BAD_PARAMS', 'request "params" must be an object when present');
  }
  return { id: r.id, method: r.method, params: r.params };
}

/** Echoes a usable id from a rejected line so the client can still match the answer. */
function requestIdOf(line: string): string | number | null {
  try {
    const v = JSON.parse(line) as { id?: unknown };
    return typeof v?.id === 'string' || typeof v?.id === 'number' ? v.id : null;
  } catch {
    return null;
  }
}

async function removeStaleSocket(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
