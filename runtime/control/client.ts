/**
 * Client side of the control socket, used by `station status`, `station tui` and tests.
 */
import { connect, type Socket } from 'node:net';
import { StationError } from '../kernel/errors.js';
import type { ControlEvents, ControlMethod, ControlMethods } from './methods.js';
import type { Envelope } from '../flows/ports.js';

type Pending = { resolve: (e: Envelope) => void };

export class ControlClient {
  private socket: Socket | undefined;
  private nextId = 1;
  private buffered = '';
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Set<(event: string, data: unknown) => void>();

  constructor(private readonly socketPath: string) {}

  /** Connects; rejects with DAEMON_UNREACHABLE when nobody listens on the socket. */
  async connect(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const socket = connect(this.socketPath);
      socket.once('connect', () => {
        socket.off('error', onError);
        this.socket = socket;
        resolve();
      });
      const onError = (err: Error) =>
        reject(new StationError('DAEMON_UNREACHABLE', `cannot reach the station at ${this.socketPath}: ${err.message}`, { cause: err, transient: true }));
      socket.once('error', onError);
    });
    const socket = this.socket!;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.receive(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      for (const [id, p] of this.pending) {
        p.resolve({ id, ok: false, error: { code: 'DAEMON_UNREACHABLE', message: 'the station closed the control connection' } });
      }
      this.pending.clear();
    });
  }

  /** Calls a method; resolves with its envelope (never rejects once connected). */
  call<M extends ControlMethod>(method: M, params?: ControlMethods[M]['params']): Promise<Envelope<ControlMethods[M]['result']>>;
  call(method: string, params?: Record<string, unknown>): Promise<Envelope>;
  call(method: string, params: unknown = {}): Promise<Envelope> {
    const socket = this.socket;
    const id = String(this.nextId++);
    if (!socket || socket.destroyed) {
      return Promise.resolve({ id, ok: false, error: { code: 'DAEMON_UNREACHABLE', message: 'not connected' } });
    }
    return new Promise((resolve) => {
      this.pending.set(id, { resolve });
      socket.write(JSON.stringify({ id, method, params }) + '\n');
    });
  }

  /** Receives pushed notifications (`log`, and those other components add). */
  onEvent<E extends keyof ControlEvents>(listener: (event: E, data: ControlEvents[E]) => void): () => void;
  onEvent(listener: (event: string, data: unknown) => void): () => void;
  onEvent(listener: (event: string, data: unknown) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.socket?.end();
    this.socket?.destroy();
  }

  private receive(chunk: string): void {
    this.buffered += chunk;
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      let msg: { id?: unknown; event?: string; data?: unknown };
      try {
        msg = JSON.parse(line);
      } catch {
        continue;
      }
      if (typeof msg.event === 'string') {
        for (const l of this.listeners) l(msg.event, msg.data);
        continue;
      }
      const id = String(msg.id);
      const p = this.pending.get(id);
      if (p) {
        this.pending.delete(id);
        p.resolve(msg as Envelope);
      }
    }
  }
}
