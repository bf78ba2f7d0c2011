/**
 * systemd's notify protocol (sd_notify(3)): datagrams such as `READY=1`, `WATCHDOG=1` and
 * `STOPPING=1` sent to the Unix datagram socket named by NOTIFY_SOCKET. Node's dgram module has no
 * Unix datagram sockets, so the composition root passes a sender built on `unix-dgram`.
 */
import { createRequire } from 'node:module';
import type { Clock, TimerHandle } from '../kernel/clock.js';

export type NotifySend = (message: string) => void;

/** Datagrams to systemd's notify socket. */
export interface DatagramSender {
  send: NotifySend;
  /** Closes once what is queued has gone out, or after `timeoutMs` at the latest. */
  close(timeoutMs?: number): Promise<void>;
}

/**
 * Sends to a notify socket path; `@name` means the abstract namespace, as systemd writes it.
 *
 * The kernel holds only a few datagrams for a Unix datagram socket that has not read them
 * (`net.unix.max_dgram_qlen`, 10 by default): past that, sending fails with EAGAIN and unix-dgram
 * reports "congestion". A READY or STOPPING lost that way leaves systemd waiting, so refused
 * datagrams are kept, in order, and sent again when the socket is writable. The socket is connected
 * to the notify socket: only then does the kernel report it writable by the peer's queue.
 */
export function unixDatagramSender(socketPath: string, clock: Clock): DatagramSender {
  const require = createRequire(import.meta.url);
  const unix = require('unix-dgram') as {
    createSocket(type: 'unix_dgram'): {
      connected?: boolean;
      connect(path: string): void;
      send(buf: Buffer, ...rest: unknown[]): void;
      on(event: 'error' | 'writable', fn: (err?: Error) => void): void;
      close(): void;
    };
  };
  const socket = unix.createSocket('unix_dgram');
  // A notification that cannot be sent at all must never crash the daemon; the next watchdog tick retries.
  socket.on('error', () => undefined);
  const target = socketPath.startsWith('@') ? '\0' + socketPath.slice(1) : socketPath;
  socket.connect(target);
  const waiting: Buffer[] = [];
  let drained: (() => void) | undefined;
  const sendNow = (buf: Buffer): boolean => {
    let congested = false;
    const done = (err?: Error) => {
      congested = err?.message === 'congestion';
    };
    if (socket.connected) socket.send(buf, done);
    else socket.send(buf, 0, buf.length, target, done);
    return !congested;
  };
  socket.on('writable', () => {
    while (waiting.length > 0 && sendNow(waiting[0]!)) waiting.shift();
    if (waiting.length === 0) drained?.();
  });
  return {
    send: (message) => {
      const buf = Buffer.from(message);
      if (waiting.length > 0 || !sendNow(buf)) {
        waiting.push(buf);
        // Bounded: a notify socket nobody reads keeps only the latest notifications.
        if (waiting.length > 32) waiting.shift();
      }
    },
    close: async (timeoutMs = 500) => {
      if (waiting.length > 0) {
        let timer: TimerHandle | undefined;
        await new Promise<void>((resolve) => {
          drained = resolve;
          timer = clock.setTimeout(resolve, timeoutMs);
        });
        clock.clearTimeout(timer);
      }
      socket.close();
    },
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
