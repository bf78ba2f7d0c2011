/**
 * The receipt printer: ESC/POS over a serial (or USB-serial) link. Before each receipt the
 * printer's real-time status is asked (DLE EOT 1 and 4) so a receipt is never sent into a printer
 * that is off line or out of paper; the state goes to the hub as the device's health.
 */
import type { Clock } from '../runtime/kernel/clock.js';
import { StationError } from '../runtime/kernel/errors.js';
import type { Logger } from '../runtime/kernel/logger.js';
import type { ReceiptLine, ReceiptPrinter } from './types.js';
import { decodeStatus, encodeReceipt, escpos, isStatusByte } from './escpos.js';
import type { PrinterStatus, ReceiptEncoding } from './escpos.js';
import { SerialDevice } from './serial-device.js';
import type { FrameParser, SerialLink } from './transports/serial.js';
import type { DeviceEmulator } from './transports/serial-sim.js';
import type { StationDevice } from './types.js';

/** Status replies are single bytes with a fixed bit pattern; everything else the printer says is ignored. */
export class PrinterStatusParser implements FrameParser<number> {
  readonly pending = 0;
  reset(): void {}
  push(chunk: Uint8Array): number[] {
    return [...chunk].filter(isStatusByte);
  }
}

export interface EscPosPrinterOptions extends ReceiptEncoding {
  /** How long a status reply may take; default 1000 ms. */
  statusTimeoutMs?: number;
}

export class EscPosReceiptPrinter extends SerialDevice<number> implements ReceiptPrinter, StationDevice {
  readonly name = 'printer' as const;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    link: SerialLink,
    clock: Clock,
    log: Logger,
    private readonly options: EscPosPrinterOptions,
  ) {
    super(link, new PrinterStatusParser(), clock, log);
  }

  /** Asks DLE EOT 1 then DLE EOT 4; rejects DEVICE_TIMEOUT when the printer does not answer. */
  async status(): Promise<PrinterStatus> {
    await this.ensureOpen();
    const timeout = this.options.statusTimeoutMs ?? 1000;
    const ask = async (n: 1 | 4) => {
      const reply = this.nextFrame(() => true, timeout);
      reply.catch(() => undefined);
      await this.link.write(Uint8Array.from(escpos.status(n)));
      return reply;
    };
    const printer = await ask(1);
    const paper = await ask(4);
    return decodeStatus(printer, paper);
  }

  async probe(): Promise<Record<string, unknown>> {
    const s = await this.status();
    this.reportStatus(s);
    return { ...s };
  }

  private reportStatus(s: PrinterStatus): void {
    if (s.offline) this.reportHealth({ health: 'degraded', reason: 'printer off line (cover open or error)', detail: { ...s } });
    else if (s.paperOut) this.reportHealth({ health: 'degraded', reason: 'paper out', detail: { ...s } });
    else if (s.paperNearEnd) this.reportHealth({ health: 'degraded', reason: 'paper near end', detail: { ...s } });
    else this.reportHealth({ health: 'ok', detail: { ...s } });
  }

  /** Prints one receipt; receipts are serialised so two flows never interleave bytes. */
  print(lines: ReceiptLine[]): Promise<void> {
    const job = this.queue.then(() => this.printNow(lines));
    this.queue = job.catch(() => undefined);
    return job;
  }

  private async printNow(lines: ReceiptLine[]): Promise<void> {
    const before = await this.status();
    this.reportStatus(before);
    if (before.paperOut) throw new StationError('PRINTER_PAPER_OUT', 'Máy in hết giấy. / The printer is out of paper.', { transient: true });
    if (before.offline) throw new StationError('DEVICE_MISSING', 'Máy in đang tạm ngưng. / The printer is off line.', { transient: true });
    await this.link.write(encodeReceipt(lines, this.options));
    this.reportStatus(await this.status());
  }

  async close(): Promise<void> {
    await this.queue;
    await this.closeLink();
  }
}

/** A printer that keeps everything it was sent and answers DLE EOT like a real one. */
export class EscPosPrinterEmulator implements DeviceEmulator {
  paperOut = false;
  paperNearEnd = false;
  offline = false;
  /** Every byte received, status queries included. */
  received: number[] = [];
  private send: ((b: Uint8Array) => void) | undefined;
  private tail: number[] = [];

  attach(send: (bytes: Uint8Array) => void): void {
    this.send = send;
  }

  detach(): void {
    this.send = undefined;
    this.tail = [];
  }

  receive(bytes: Buffer): void {
    for (const b of bytes) {
      this.received.push(b);
      this.tail = [...this.tail, b].slice(-3);
      if (this.tail.length === 3 && this.tail[0] === 0x10 && this.tail[1] === 0x04) {
        const n = this.tail[2];
        // Fixed bits: bit 1 and bit 4 set (ESC/POS DLE EOT reply format).
        if (n === 1) this.send?.(Uint8Array.of(0x12 | (this.offline ? 0x08 : 0)));
        else if (n === 4) this.send?.(Uint8Array.of(0x12 | (this.paperOut ? 0x60 : 0) | (this.paperNearEnd ? 0x0c : 0)));
        this.tail = [];
      }
    }
  }
}
