/**
 * The seam between the ICAO 9303 reader and a contactless reader: one card at a time, APDUs in and
 * out. Real: PC/SC through pcscd (drivers/transports/pcsc-real.ts); simulated: the card emulator in
 * process (drivers/transports/pcsc-sim.ts). Both report presence the same way, so the reader and
 * the hub run the same code in tests, in simulation and on the board.
 */
import type { TypedEmitter } from '../../runtime/kernel/typed-emitter.js';

export interface CardReaderEvents {
  /** A reader appeared (name as pcscd reports it). */
  reader: { name: string };
  /** The reader went away (unplugged, pcscd stopped). */
  readerLost: { name: string; reason: string };
  /** A card was placed (ATR as hex), at the clock's time. */
  cardPresent: { at: number; atr: string };
  /** The card was taken away. */
  cardRemoved: { at: number };
}

export interface CardReaderPort {
  readonly events: TypedEmitter<CardReaderEvents>;
  /** Starts watching for readers and cards (idempotent). Rejects DEVICE_MISSING when the PC/SC service cannot be reached. */
  open(): Promise<void>;
  /** The reader's name, or undefined while none is connected. */
  readonly readerName: string | undefined;
  /** Whether a card is on the reader now. */
  readonly cardPresent: boolean;
  /** Connects to the card on the reader; rejects CHIP_NO_CARD when there is none. */
  connect(): Promise<void>;
  /**
   * Sends one command APDU and resolves with the response (data + status word). Rejects
   * CHIP_READ_FAILED when the card is gone or the reader fails; never resolves with fewer than 2 bytes.
   */
  transmit(apdu: Buffer): Promise<Buffer>;
  /** Leaves the card (unpowered); idempotent. */
  disconnect(): Promise<void>;
  /** Stops watching and releases the PC/SC context; bounded, idempotent. */
  close(): Promise<void>;
}
