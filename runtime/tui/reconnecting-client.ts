/**
 * A control client that survives the daemon restarting (systemd restarts it on failure, and a config
 * change may need a restart): a call that finds the connection gone opens a new one, and listeners
 * of pushed events carry over. Reconnecting happens only when the UI calls (it polls every 2 s), so
 * no timer of its own runs. Subscriptions belong to a connection: views renew them on `onReconnect`.
 */
import type { ControlClient } from '../control/client.js';
import type { ControlEvents, ControlMethod, ControlMethods } from '../control/methods.js';
import type { Envelope } from '../control/methods.js';

export class ReconnectingClient {
  private client: ControlClient | undefined;
  private connecting: Promise<ControlClient | undefined> | undefined;
  private detach: (() => void) | undefined;
  private lastError = 'not connected yet';
  private readonly listeners = new Set<(event: string, data: unknown) => void>();
  private readonly reconnectListeners = new Set<() => void>();
  private connections = 0;

  constructor(private readonly create: () => ControlClient) {}

  call<M extends ControlMethod>(method: M, params?: ControlMethods[M]['params']): Promise<Envelope<ControlMethods[M]['result']>>;
  call(method: string, params?: Record<string, unknown>): Promise<Envelope>;
  async call(method: string, params: unknown = {}): Promise<Envelope> {
    const client = this.client ?? (await this.connect());
    if (!client) return { id: '0', ok: false, error: { code: 'DAEMON_UNREACHABLE', message: this.lastError } };
    const res = await client.call(method, params as Record<string, unknown>);
    if (!res.ok && res.error.code === 'DAEMON_UNREACHABLE' && this.client === client) {
      this.lastError = res.error.message;
      this.drop();
    }
    return res;
  }

  onEvent<E extends keyof ControlEvents>(listener: (event: E, data: ControlEvents[E]) => void): () => void;
  onEvent(listener: (event: string, data: unknown) => void): () => void;
  onEvent(listener: (event: string, data: unknown) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called after every new connection but the first: time to subscribe again. */
  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  close(): void {
    this.drop();
  }

  private connect(): Promise<ControlClient | undefined> {
    this.connecting ??= (async () => {
      const client = this.create();
      try {
        await client.connect();
      } catch (err) {
        this.lastError = (err as Error).message;
        return undefined;
      } finally {
        this.connecting = undefined;
      }
      this.client = client;
      this.detach = client.onEvent((event: string, data: unknown) => {
        for (const l of this.listeners) l(event, data);
      });
      if (this.connections++ > 0) for (const l of this.reconnectListeners) l();
      return client;
    })();
    return this.connecting;
  }

  private drop(): void {
    this.detach?.();
    this.detach = undefined;
    this.client?.close();
    this.client = undefined;
  }
}
