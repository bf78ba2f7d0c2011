/**
 * The I2C seam: the subset of i2c-bus's PromisifiedBus (https://github.com/fivdi/i2c-bus#promisifiedbus)
 * that the drivers use. The real bus (i2c-real.ts) is i2c-bus itself; the simulated bus (i2c-sim.ts)
 * hosts register-map devices. Both reject with errors shaped like i2c-bus's: an Error whose `code` is
 * the errno name (`EREMOTEIO`, `EIO`, `ENXIO`…), `errno` the number and `syscall` the operation.
 */
export interface I2cBus {
  /** SMBus read byte: write `cmd`, repeated start, read one byte (0–255). */
  readByte(addr: number, cmd: number): Promise<number>;
  /** SMBus write byte: write `cmd` then `byte`. */
  writeByte(addr: number, cmd: number, byte: number): Promise<void>;
  /** SMBus read word: write `cmd`, repeated start, read two bytes, low byte first (0–65535). */
  readWord(addr: number, cmd: number): Promise<number>;
  /** I2C block read of up to 32 bytes from register `cmd` into `buffer`. */
  readI2cBlock(addr: number, cmd: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }>;
  /** I2C block write of up to 32 bytes to register `cmd`. */
  writeI2cBlock(addr: number, cmd: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number; buffer: Buffer }>;
  /** Plain I2C read (no register byte). */
  i2cRead(addr: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }>;
  /** Plain I2C write (no register byte). */
  i2cWrite(addr: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number; buffer: Buffer }>;
  close(): Promise<void>;
}

/** Linux errno values the I2C adapters return (asm-generic/errno-base.h, errno.h). */
export const i2cErrno = {
  EIO: 5,
  ENXIO: 6,
  EAGAIN: 11,
  ETIMEDOUT: 110,
  EREMOTEIO: 121,
} as const;
export type I2cErrnoCode = keyof typeof i2cErrno;

const descriptions: Record<I2cErrnoCode, string> = {
  EIO: 'i/o error',
  ENXIO: 'no such device or address',
  EAGAIN: 'resource temporarily unavailable',
  ETIMEDOUT: 'connection timed out',
  EREMOTEIO: 'remote i/o error',
};

/** An error as i2c-bus raises it (Nan::ErrnoException): message `CODE, description`, plus errno fields. */
export type I2cError = Error & { code: string; errno: number; syscall: string };

export function i2cError(code: I2cErrnoCode, syscall: string): I2cError {
  const err = new Error(`${code}, ${descriptions[code]}`) as I2cError;
  err.code = code;
  err.errno = i2cErrno[code];
  err.syscall = syscall;
  return err;
}

/** True for a failed bus transfer (an errno error), as opposed to a programming error. */
export function isI2cError(err: unknown): err is I2cError {
  return err instanceof Error && typeof (err as Partial<I2cError>).code === 'string'
    && typeof (err as Partial<I2cError>).errno === 'number';
}

/**
 * True when the errno means nobody acknowledged the address: Linux i2c fault codes
 * (Documentation/i2c/fault-codes.rst) give ENXIO, and several adapters, the Raspberry Pi's
 * i2c-bcm2835 among them, report an address NACK as EREMOTEIO.
 */
export function isNoAcknowledge(err: unknown): boolean {
  return isI2cError(err) && (err.code === 'ENXIO' || err.code === 'EREMOTEIO');
}
