/**
 * The serial seam. Drivers see a {@link SerialLink}: open, close, write-and-drain, and typed
 * `data` / `close` events. {@link StreamSerialLink} implements it over serialport's
 * `SerialPortStream` with whatever binding it is given: the real one (serial-real.ts) or
 * serialport's MockBinding driven by a device emulator (serial-sim.ts), so the driver code under
 * test is exactly the code on the board.
 */
import { SerialPortStream } from '@serialport/stream';
import { StationError } from '../../runtime/kernel/errors.js';
import { TypedEmitter } from '../../runtime/kernel/typed-emitter.js';

/** A serialport binding (real or mock), as SerialPortStream accepts it. */
export type SerialBinding = ConstructorParameters<typeof SerialPortStream>[0]['binding'];

export interface SerialLinkEvents {
  /** Bytes as they arrive; frame boundaries are not preserved (drivers reassemble). */
  data: Buffer;
  /** The port closed; `disconnected` is true when the device went away (USB unplug, cable). */
  close: { disconnected: boolean; reason?: string };
}

export interface SerialLink {
  /** Device path, e.g. `/dev/ttyUSB0`; for logs and the technician only. */
  readonly path: string;
  readonly isOpen: boolean;
  readonly events: TypedEmitter<SerialLinkEvents>;
  /** Opens the port; rejects with DEVICE_MISSING when the path does not exist or is busy. Idempotent. */
  open(): Promise<void>;
  /** Writes and waits until the bytes left the host (drain); rejects with DEVICE_MISSING when closed. */
  write(bytes: Uint8Array): Promise<void>;
  /** Closes the port; idempotent; never rejects. */
  close(): Promise<void>;
}

export interface SerialSettings {
  path: string;
  /** Default 9600 (8N1, as every device here uses). */
  baudRate?: number;
}

/** A {@link SerialLink} over serialport's stream and a binding chosen by the composition root. */
export class StreamSerialLink implements SerialLink {
  readonly events = new TypedEmitter<SerialLinkEvents>();
  private stream: SerialPortStream | undefined;
  private opening: Promise<void> | undefined;

  constructor(
    private readonly binding: SerialBinding,
    private readonly settings: SerialSettings,
  ) {}

  get path(): string {
    return this.settings.path;
  }

  get isOpen(): boolean {
    return this.stream?.isOpen ?? false;
  }

  open(): Promise<void> {
    if (this.isOpen) return Promise.resolve();
    this.opening ??= this.openStream().finally(() => (this.opening = undefined));
    return this.opening;
  }

  private openStream(): Promise<void> {
    return new Promise((resolve, reject) => {
      const stream = new SerialPortStream({
        binding: this.binding,
        path: this.settings.path,
        baudRate: this.settings.baudRate ?? 9600,
        dataBits: 8,
        stopBits: 1,
        parity: 'none',
        autoOpen: false,
      });
      stream.open((err) => {
        if (err) {
          reject(new StationError('DEVICE_MISSING', `serial port ${this.settings.path} cannot be opened: ${err.message}`, {
            transient: true,
            cause: err,
          }));
          return;
        }
        this.stream = stream;
        stream.on('data', (chunk: Buffer) => this.events.emit('data', chunk));
        // An error after open (read or write failure) is followed by close; keep the process alive.
        stream.on('error', () => undefined);
        stream.on('close', (err: (Error & { disconnected?: boolean }) | null) => {
          if (this.stream === stream) this.stream = undefined;
          this.events.emit('close', {
            disconnected: Boolean(err?.disconnected),
            ...(err ? { reason: err.message } : {}),
          });
        });
        resolve();
      });
    });
  }

  write(bytes: Uint8Array): Promise<void> {
    const stream = this.stream;
    if (!stream?.isOpen) {
      return Promise.reject(new StationError('DEVICE_MISSING', `serial port ${this.settings.path} is not open`, { transient: true }));
    }
    return new Promise((resolve, reject) => {
      stream.write(Buffer.from(bytes), (err) => {
        if (err) {
          reject(new StationError('DEVICE_MISSING', `write to ${this.settings.path} failed: ${err.message}`, { transient: true, cause: err }));
          return;
        }
        stream.drain((drainErr) => (drainErr ? reject(new StationError('DEVICE_MISSING', drainErr.message, { transient: true })) : resolve()));
      });
    });
  }

  async close(): Promise<void> {
    // A close that races an open waits for it, so the port is not left open behind the caller's back.
    if (this.opening) await this.opening.catch(() => undefined);
    const stream = this.stream;
    if (!stream?.isOpen) return;
    await new Promise<void>((resolve) => {
      stream.close(() => resolve());
    });
  }
}

/**
 * Turns a device's byte stream into frames. Contract (checked by property tests for every
 * parser): never throws on any input, gives the same frames however the bytes are chunked,
 * resynchronises after garbage, and never holds more than `maxBuffered` bytes.
 */
export interface FrameParser<T> {
  push(chunk: Uint8Array): T[];
  /** Bytes held waiting for the rest of a frame. */
  readonly pending: number;
  reset(): void;
}

/**
 * Reassembles CR/LF-terminated lines from a byte stream for line-oriented devices (scale
 * indicator, QR scanner). Works on bytes, so a UTF-8 character split across chunks stays whole
 * (CR and LF never occur inside a multi-byte sequence). Bounded: a line longer than `maxLength`
 * without a terminator is dropped whole, so a device streaming garbage never grows the buffer.
 */
export class LineAssembler implements FrameParser<Buffer> {
  private buffer: number[] = [];
  private overflowing = false;

  constructor(private readonly maxLength = 1024) {}

  push(chunk: Uint8Array): Buffer[] {
    const lines: Buffer[] = [];
    for (const byte of chunk) {
      if (byte === 0x0d || byte === 0x0a) {
        if (!this.overflowing && this.buffer.length > 0) lines.push(Buffer.from(this.buffer));
        this.buffer = [];
        this.overflowing = false;
      } else if (!this.overflowing) {
        this.buffer.push(byte);
        if (this.buffer.length > this.maxLength) {
          this.buffer = [];
          this.overflowing = true;
        }
      }
    }
    return lines;
  }

  /** Bytes held waiting for a terminator. */
  get pending(): number {
    return this.buffer.length;
  }

  reset(): void {
    this.buffer = [];
    this.overflowing = false;
  }
}
