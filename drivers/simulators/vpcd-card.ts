/**
 * Puts a simulated card behind Debian's pcscd through vsmartcard's virtual reader (vpcd): the card
 * is a TCP client of the reader driver (127.0.0.1:35963 for "Virtual PCD 00 00" with the packaged
 * config). Every message both ways is a 2-byte big-endian length and a payload; a 1-byte payload is
 * control (00 power off, 01 power on, 02 reset, 04 get ATR, answered with the ATR), anything else
 * a command APDU answered with data and status word. Connecting is placing the card; closing is
 * taking it away.
 */
import { connect, type Socket } from 'node:net';
import type { SimulatedCard } from '../transports/pcsc-sim.js';

export interface VpcdCardOptions {
  host?: string;
  /** vpcd's port; default 35963 (the first virtual reader of the packaged config). */
  port?: number;
  atr?: Buffer;
  /** Close the connection (pull the card) after this many APDUs; for tests. */
  pullAfterApdus?: number;
}

export class VpcdCard {
  private socket: Socket | undefined;
  private pending = Buffer.alloc(0);
  /** APDUs answered. */
  apdus = 0;

  constructor(private readonly card: SimulatedCard, private readonly options: VpcdCardOptions = {}) {}

  /** Places the card: resolves once vpcd accepted the connection. */
  insert(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: this.options.host ?? '127.0.0.1', port: this.options.port ?? 35963 });
      socket.setNoDelay(true);
      socket.once('connect', () => {
        this.socket = socket;
        resolve();
      });
      socket.once('error', reject);
      socket.on('data', (chunk) => this.onData(chunk));
      socket.on('close', () => {
        if (this.socket === socket) this.socket = undefined;
      });
    });
  }

  get inserted(): boolean {
    return this.socket !== undefined;
  }

  /** Takes the card away. */
  remove(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.destroy();
    });
  }

  private onData(chunk: Buffer): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 2) {
      const length = this.pending.readUInt16BE(0);
      if (this.pending.length < 2 + length) return;
      const payload = this.pending.subarray(2, 2 + length);
      this.pending = this.pending.subarray(2 + length);
      this.onMessage(Buffer.from(payload));
    }
  }

  private onMessage(payload: Buffer): void {
    if (payload.length === 1) {
      const code = payload[0];
      if (code === 0x01 || code === 0x02) this.card.reset();
      else if (code === 0x04) this.send(this.options.atr ?? Buffer.from('3B8880014243443130303056', 'hex'));
      return;
    }
    if (this.options.pullAfterApdus !== undefined && this.apdus >= this.options.pullAfterApdus) {
      void this.remove();
      return;
    }
    this.apdus++;
    this.send(this.card.process(payload));
  }

  private send(payload: Buffer): void {
    const head = Buffer.alloc(2);
    head.writeUInt16BE(payload.length);
    this.socket?.write(Buffer.concat([head, payload]));
  }
}
