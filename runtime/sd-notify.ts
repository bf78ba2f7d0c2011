/**
 * systemd's notify protocol (sd_notify(3)): datagrams such as `READY=1`, `WATCHDOG=1` and
 * `STOPPING=1` sent to the Unix datagram socket named by NOTIFY_SOCKET. Node's dgram module has no
 * Unix datagram sockets, so the composition root passes a sender built on `unix-dgram`.
 */
import { createRequire } from 'node:module';
import type { Clock, TimerHandle } from './clock.js';

export type NotifySend = (message: string) => void;

/** Sends to a notify socket path; `@name` means the abstract namespace, as systemd writes it. */
export function unixDatagramSender(socketPath: string): { send: NotifySend; close(): void } {
  const require = createRequire(import.meta.url);
  const unix = require('unix-dgram') as {
    createSocket(type: 'unix_dgram'): {
      send(buf: Buffer, offset: number, length: number, path: string): void;
      on(event: 'error', fn: (err: Error) => void): void;
      close(): void;
    };
  };
  const socket = unix.createSocket('unix_dgram');
  // A lost notification is retried by the next watchdog tick; it must never crash the daemon.
  socket.on('error', () => undefined);
  const target = socketPath.startsWith('@') ? '\0' + socketPath.slice(1) : socketPath;
  return {
    send: (message) => {
      const buf = Buffer.from(message);
      socket.send(buf, 0, buf.length, target);
    },
    close: () => socket.close(),
  };
}

export interface SystemdNotifierOptions {
  send: NotifySend;
  clock: Clock;
  /** WATCHDOG_USEC from the environment, in microseconds; no pings when absent. */
  watchdogUsec?: number;
  /** Pings are sent only while this says the station is healthy. */
  isHealthy: () => boolean;
}

/** Tells systemd when the station is ready, alive (only while healthy) and stopping. */
export class SystemdNotifier {
  private timer: TimerHandle | undefined;
  private running = false;

  constructor(private readonly options: SystemdNotifierOptions) {}

  ready(status?: string): void {
    this.options.send(status ? `READY=1\nSTATUS=${status}` : 'READY=1');
    this.running = true;
    this.schedule();
  }

  stopping(): void {
    this.running = false;
    this.options.clock.clearTimeout(this.timer);
    this.options.send('STOPPING=1');
  }

  status(text: string): void {
    this.options.send(`STATUS=${text}`);
  }

  private schedule(): void {
    const usec = this.options.watchdogUsec;
    if (!usec || !this.running) return;
    // Half the watchdog period, as sd_watchdog_enabled(3) recommends.
    const intervalMs = Math.max(1, Math.floor(usec / 2000));
    this.timer = this.options.clock.setTimeout(() => {
      if (!this.running) return;
      if (this.options.isHealthy()) this.options.send('WATCHDOG=1');
      this.schedule();
    }, intervalMs);
  }
}
