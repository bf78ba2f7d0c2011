/**
 * A contactless reader in process, with a card emulator as its card: the simulated side of the
 * {@link CardReaderPort} seam (used by `mode: sim` and the unit tests; the integration tests and
 * the vpcd bridge put the same emulator behind the real pcscd instead). Faults: `remove()` at any
 * time, `pullAfter(n)` to take the card away after n more APDUs, `setSilent()` for a card that stops
 * answering.
 */
import type { Clock } from '../../runtime/kernel/clock.js';
import { StationError } from '../../runtime/kernel/errors.js';
import { TypedEmitter } from '../../runtime/kernel/typed-emitter.js';
import type { CardReaderEvents, CardReaderPort } from '../id-chip/card-channel.js';

/** What a simulated card must do: answer APDUs and lose its state on reset. */
export interface SimulatedCard {
  reset(): void;
  process(apdu: Uint8Array): Buffer;
}

export class SimCardReader implements CardReaderPort {
  readonly events = new TypedEmitter<CardReaderEvents>();
  readonly readerName = 'Simulated contactless reader 00 00';
  private card: SimulatedCard | undefined;
  private connected = false;
  private pullIn: number | undefined;
  private silent = false;
  /** APDUs answered, for tests. */
  transmitted = 0;

  constructor(private readonly clock: Clock, private readonly atr = '3B8880014243443130303056') {}

  async open(): Promise<void> {}

  get cardPresent(): boolean {
    return this.card !== undefined;
  }

  /** Places a card on the reader. */
  insert(card: SimulatedCard): void {
    this.remove();
    card.reset();
    this.card = card;
    this.events.emit('cardPresent', { at: this.clock.now(), atr: this.atr });
  }

  /** Takes the card away. */
  remove(): void {
    if (!this.card) return;
    this.card = undefined;
    this.connected = false;
    this.pullIn = undefined;
    this.events.emit('cardRemoved', { at: this.clock.now() });
  }

  /** The card is taken away after `n` more APDUs were answered. */
  pullAfter(n: number): void {
    this.pullIn = n;
  }

  setSilent(silent: boolean): void {
    this.silent = silent;
  }

  async connect(): Promise<void> {
    if (!this.card) throw new StationError('CHIP_NO_CARD', 'no card is on the reader', { transient: true });
    if (!this.connected) this.card.reset();
    this.connected = true;
  }

  transmit(apdu: Buffer): Promise<Buffer> {
    if (this.pullIn !== undefined && this.pullIn-- <= 0) this.remove();
    if (!this.card || !this.connected) return Promise.reject(new StationError('CHIP_READ_FAILED', 'the card was removed from the reader', { transient: true }));
    if (this.silent) return new Promise(() => undefined);
    this.transmitted++;
    return Promise.resolve(this.card.process(apdu));
  }

  async disconnect(): Promise<void> {
    this.connected = false;
  }

  async close(): Promise<void> {
    this.connected = false;
  }
}
