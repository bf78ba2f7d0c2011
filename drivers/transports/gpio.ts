/**
 * The GPIO seam: one line of the SoC's main GPIO controller, numbered as on the Raspberry Pi
 * header's BCM numbering (0–27), never as the kernel's global sysfs number (which moves with the
 * kernel: see gpio-real.ts). Reads and writes are synchronous because sysfs value files are; edge
 * watching is asynchronous.
 */
export type GpioValue = 0 | 1;
export type GpioDirection = 'in' | 'out';
export type GpioEdge = 'none' | 'rising' | 'falling' | 'both';

export interface GpioLine {
  /** The line offset on the GPIO controller (BCM number on a Raspberry Pi). */
  readonly line: number;
  readonly direction: GpioDirection;
  read(): GpioValue;
  /** Output lines only. */
  write(value: GpioValue): void;
  /** Calls `listener` on each edge chosen at open; returns the function that stops watching. */
  watch(listener: (value: GpioValue) => void): () => void;
  /** Releases the line (sysfs unexport); idempotent. */
  unexport(): void;
}

/** Opens lines; the composition root picks the real (onoff) or the simulated one. */
export interface GpioController {
  open(line: number, direction: GpioDirection, edge?: GpioEdge): GpioLine;
}
