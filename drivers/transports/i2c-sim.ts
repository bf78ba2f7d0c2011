import { i2cError } from './i2c.js';
import type { I2cBus, I2cErrnoCode } from './i2c.js';
import { SeededRandom } from './seeded-random.js';

/**
 * A device on the simulated bus, seen as a register map. `read` returns `length` bytes starting at
 * register `register` (what the device clocks out after the register byte and a repeated start);
 * reading may have effects, as a FIFO data register's does. `write` receives the bytes after the
 * register byte.
 */
export interface SimI2cDevice {
  read(register: number, length: number): Uint8Array;
  write(register: number, bytes: Uint8Array): void;
}

/** Faults injected on one address (or on every address with `'*'`). */
export interface I2cFaults {
  /** Probability in [0, 1] that a transfer fails; default 0. */
  errorRate?: number;
  /** errno of the injected failures; default `EREMOTEIO`. */
  errorCode?: I2cErrnoCode;
  /** Every byte read returns this value (a stuck data line reads 0xFF, a shorted one 0x00). */
  stuckByte?: number;
}

export interface SimI2cBusOptions {
  /** Seed of the fault-injection generator; default 1. */
  seed?: number;
}

/** Counters a test or the technician view reads. */
export interface SimI2cStats {
  transfers: number;
  injectedErrors: number;
  nacks: number;
}

/**
 * A simulated I2C bus implementing {@link I2cBus}: devices by 7-bit address, an address nobody
 * answers NACKs (EREMOTEIO, as the Raspberry Pi's i2c-bcm2835 reports it), and faults drawn from a
 * seeded generator. An injected failure happens before the device sees the transfer, so a failed
 * FIFO read pops nothing.
 */
export class SimI2cBus implements I2cBus {
  private readonly devices = new Map<number, SimI2cDevice>();
  private readonly faults = new Map<number | '*', I2cFaults>();
  private readonly random: SeededRandom;
  /** Register pointer per address for plain i2cWrite/i2cRead pairs. */
  private readonly pointers = new Map<number, number>();
  private closed = false;
  readonly stats: SimI2cStats = { transfers: 0, injectedErrors: 0, nacks: 0 };

  constructor(options: SimI2cBusOptions = {}) {
    this.random = new SeededRandom(options.seed ?? 1);
  }

  attach(address: number, device: SimI2cDevice): void {
    this.devices.set(address, device);
  }

  /** Unplugs the device: its address NACKs from now on. */
  detach(address: number): void {
    this.devices.delete(address);
  }

  /** Sets (or with `undefined` clears) the faults of one address or of the whole bus. */
  setFaults(address: number | '*', faults: I2cFaults | undefined): void {
    if (faults === undefined) this.faults.delete(address);
    else this.faults.set(address, faults);
  }

  async readByte(addr: number, cmd: number): Promise<number> {
    const bytes = this.transferRead('readByte', addr, cmd, 1);
    return bytes[0]!;
  }

  async writeByte(addr: number, cmd: number, byte: number): Promise<void> {
    this.transferWrite('writeByte', addr, cmd, Uint8Array.of(byte & 0xff));
  }

  async readWord(addr: number, cmd: number): Promise<number> {
    // SMBus read word: the low byte comes first on the wire (SMBus 2.0 §5.5.5).
    const bytes = this.transferRead('readWord', addr, cmd, 2);
    return bytes[0]! | (bytes[1]! << 8);
  }

  async readI2cBlock(addr: number, cmd: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }> {
    checkLength(length, buffer, 'readI2cBlock');
    const bytes = this.transferRead('readI2cBlock', addr, cmd, length);
    buffer.set(bytes.subarray(0, length), 0);
    return { bytesRead: length, buffer };
  }

  async writeI2cBlock(addr: number, cmd: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number; buffer: Buffer }> {
    checkLength(length, buffer, 'writeI2cBlock');
    this.transferWrite('writeI2cBlock', addr, cmd, Uint8Array.from(buffer.subarray(0, length)));
    return { bytesWritten: length, buffer };
  }

  async i2cRead(addr: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }> {
    if (length > buffer.length) throw new Error('Buffer must contain at least ' + length + ' bytes');
    const bytes = this.transferRead('i2cRead', addr, this.pointers.get(addr) ?? 0, length);
    buffer.set(bytes.subarray(0, length), 0);
    return { bytesRead: length, buffer };
  }

  async i2cWrite(addr: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number; buffer: Buffer }> {
    if (length > buffer.length) throw new Error('Buffer must contain at least ' + length + ' bytes');
    if (length === 0) return { bytesWritten: 0, buffer };
    // A plain write's first byte sets the device's register pointer; the rest are data.
    const register = buffer[0]!;
    this.pointers.set(addr, register);
    if (length > 1) this.transferWrite('i2cWrite', addr, register, Uint8Array.from(buffer.subarray(1, length)));
    else this.deviceFor('i2cWrite', addr);
    return { bytesWritten: length, buffer };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private transferRead(syscall: string, addr: number, register: number, length: number): Uint8Array {
    const device = this.deviceFor(syscall, addr);
    const bytes = device.read(register, length);
    const stuck = this.faultsFor(addr)?.stuckByte;
    if (stuck !== undefined) return new Uint8Array(length).fill(stuck & 0xff);
    return bytes;
  }

  private transferWrite(syscall: string, addr: number, register: number, bytes: Uint8Array): void {
    this.deviceFor(syscall, addr).write(register, bytes);
  }

  private deviceFor(syscall: string, addr: number): SimI2cDevice {
    if (this.closed) throw i2cError('EIO', syscall);
    this.stats.transfers++;
    const faults = this.faultsFor(addr);
    if (faults?.errorRate && this.random.next() < faults.errorRate) {
      this.stats.injectedErrors++;
      throw i2cError(faults.errorCode ?? 'EREMOTEIO', syscall);
    }
    const device = this.devices.get(addr);
    if (!device) {
      this.stats.nacks++;
      throw i2cError('EREMOTEIO', syscall);
    }
    return device;
  }

  private faultsFor(addr: number): I2cFaults | undefined {
    return this.faults.get(addr) ?? this.faults.get('*');
  }
}

function checkLength(length: number, buffer: Buffer, syscall: string): void {
  // i2c-bus refuses block transfers over 32 bytes (I2C_SMBUS_BLOCK_MAX) before touching the bus.
  if (!Number.isInteger(length) || length < 0 || length > 32) throw new Error('Invalid buffer length ' + length);
  if (length > buffer.length) throw new Error(`Buffer must contain at least ${length} bytes (${syscall})`);
}
