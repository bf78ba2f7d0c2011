/**
 * A contactless reader through pcscd with @pokusew/pcsclite (the maintained fork of node-pcsclite:
 * N-API build against libpcsclite, reader and card status events, SCardTransmit). The binding is
 * created by the composition root and handed in, so nothing here loads native code.
 *
 * Card presence comes from the reader's status events (SCARD_STATE_PRESENT / SCARD_STATE_EMPTY).
 * When the card side dies mid-command the binding may hand back an empty buffer rather than an
 * error, so a response shorter than a status word is a failed read.
 */
import type { Clock, TimerHandle } from '../../runtime/kernel/clock.js';
import { StationError } from '../../runtime/kernel/errors.js';
import type { Logger } from '../../runtime/kernel/logger.js';
import { TypedEmitter } from '../../runtime/kernel/typed-emitter.js';
import type { CardReaderEvents, CardReaderPort } from '../id-chip/card-channel.js';

/** The part of @pokusew/pcsclite's CardReader used here. */
export interface PcscReader {
  name: string;
  SCARD_SHARE_SHARED: number;
  SCARD_STATE_PRESENT: number;
  SCARD_STATE_EMPTY: number;
  SCARD_RESET_CARD: number;
  SCARD_PROTOCOL_T0: number;
  SCARD_PROTOCOL_T1: number;
  on(type: 'status', listener: (status: { state: number; atr?: Buffer }) => void): unknown;
  on(type: 'end', listener: () => void): unknown;
  on(type: 'error', listener: (error: Error) => void): unknown;
  connect(options: { share_mode?: number; protocol?: number }, cb: (err: unknown, protocol: number) => void): void;
  disconnect(disposition: number, cb: (err: unknown) => void): void;
  transmit(data: Buffer, resLen: number, protocol: number, cb: (err: unknown, response: Buffer) => void): void;
  close(): void;
}

/** The part of @pokusew/pcsclite's PCSCLite context used here. */
export interface PcscContext {
  on(type: 'reader', listener: (reader: PcscReader) => void): unknown;
  on(type: 'error', listener: (error: Error) => void): unknown;
  close(): void;
}

export interface PcscOptions {
  /** Use the first reader whose name contains this; default any reader. */
  readerName?: string;
  /** How long open() waits for a reader to appear; default 3000 ms. */
  readerWaitMs?: number;
}

/** Longest response: 256 data bytes and the status word. */
const maxResponse = 258;

export class PcscCardReader implements CardReaderPort {
  readonly events = new TypedEmitter<CardReaderEvents>();
  private context: PcscContext | undefined;
  private reader: PcscReader | undefined;
  private present = false;
  private protocol: number | undefined;
  private opening: Promise<void> | undefined;

  constructor(
    private readonly createContext: () => PcscContext,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly options: PcscOptions = {},
  ) {}

  get readerName(): string | undefined {
    return this.reader?.name;
  }

  get cardPresent(): boolean {
    return this.present;
  }

  open(): Promise<void> {
    if (this.reader) return Promise.resolve();
    this.opening ??= new Promise<void>((resolve, reject) => {
      let timer: TimerHandle | undefined;
      const fail = (reason: string) => {
        this.clock.clearTimeout(timer);
        this.opening = undefined;
        this.closeContext();
        reject(new StationError('DEVICE_MISSING', reason, { transient: true }));
      };
      timer = this.clock.setTimeout(() => fail(`no contactless reader${this.options.readerName ? ` named "${this.options.readerName}"` : ''} appeared within ${this.options.readerWaitMs ?? 3000} ms`), this.options.readerWaitMs ?? 3000);
      let context: PcscContext;
      try {
        context = this.createContext();
      } catch (err) {
        fail(`the PC/SC service cannot be used: ${(err as Error).message}`);
        return;
      }
      this.context = context;
      context.on('error', (err) => {
        if (!this.reader) fail(`pcscd cannot be reached: ${err.message}`);
        else this.log.warn({ err: err.message }, 'PC/SC error');
      });
      context.on('reader', (reader) => {
        if (this.reader || (this.options.readerName && !reader.name.includes(this.options.readerName))) {
          // An unused reader still reports its status errors; unheard, the binding's emit would throw.
          reader.on('error', (err) => this.log.debug({ reader: reader.name, err: err.message }, 'unused reader error'));
          return;
        }
        this.attach(reader);
        this.clock.clearTimeout(timer);
        this.opening = undefined;
        resolve();
      });
    });
    return this.opening;
  }

  private attach(reader: PcscReader): void {
    this.reader = reader;
    this.events.emit('reader', { name: reader.name });
    reader.on('error', (err) => this.log.warn({ reader: reader.name, err: err.message }, 'reader error'));
    reader.on('status', (status) => {
      this.log.debug({ reader: reader.name, state: status.state }, 'reader status');
      const present = (status.state & reader.SCARD_STATE_PRESENT) !== 0;
      if (present && !this.present) {
        this.present = true;
        this.events.emit('cardPresent', { at: this.clock.now(), atr: status.atr?.toString('hex').toUpperCase() ?? '' });
      } else if (!present && this.present) {
        this.present = false;
        this.protocol = undefined;
        this.events.emit('cardRemoved', { at: this.clock.now() });
      }
    });
    reader.on('end', () => {
      if (this.reader !== reader) return;
      this.reader = undefined;
      if (this.present) {
        this.present = false;
        this.events.emit('cardRemoved', { at: this.clock.now() });
      }
      this.protocol = undefined;
      this.events.emit('readerLost', { name: reader.name, reason: 'the reader was removed' });
    });
  }

  connect(): Promise<void> {
    const reader = this.reader;
    if (!reader) return Promise.reject(new StationError('DEVICE_MISSING', 'no contactless reader is connected', { transient: true }));
    if (!this.present) return Promise.reject(new StationError('CHIP_NO_CARD', 'no card is on the reader', { transient: true }));
    if (this.protocol !== undefined) return Promise.resolve();
    return new Promise((resolve, reject) => {
      reader.connect({ share_mode: reader.SCARD_SHARE_SHARED, protocol: reader.SCARD_PROTOCOL_T0 | reader.SCARD_PROTOCOL_T1 }, (err, protocol) => {
        if (err) reject(new StationError('CHIP_READ_FAILED', `cannot connect to the card: ${(err as Error).message ?? err}`, { transient: true }));
        else {
          this.protocol = protocol;
          resolve();
        }
      });
    });
  }

  transmit(apdu: Buffer): Promise<Buffer> {
    const reader = this.reader;
    const protocol = this.protocol;
    if (!reader || protocol === undefined) return Promise.reject(new StationError('CHIP_READ_FAILED', 'the card was removed from the reader', { transient: true }));
    return new Promise((resolve, reject) => {
      reader.transmit(apdu, maxResponse, protocol, (err, response) => {
        if (err) reject(new StationError('CHIP_READ_FAILED', `the reader failed: ${(err as Error).message ?? err}`, { transient: true }));
        else if (!response || response.length < 2) reject(new StationError('CHIP_READ_FAILED', 'the reader returned no status word (card removed?)', { transient: true }));
        else resolve(response);
      });
    });
  }

  disconnect(): Promise<void> {
    const reader = this.reader;
    if (!reader || this.protocol === undefined) return Promise.resolve();
    this.protocol = undefined;
    return new Promise((resolve) => reader.disconnect(reader.SCARD_RESET_CARD, () => resolve()));
  }

  async close(): Promise<void> {
    await this.disconnect();
    this.closeContext();
  }

  private closeContext(): void {
    const context = this.context;
    this.context = undefined;
    this.reader = undefined;
    this.present = false;
    try {
      context?.close();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'PC/SC context did not close cleanly');
    }
  }
}
