/**
 * Height: an ultrasonic ranging module looking down from the top of the rod, on a 9600 8N1 UART.
 *
 * Frame (DFRobot A02YYUW / SEN0311 / SEN0312 family, wiki "UART Output Form"): `0xFF DATA_H DATA_L
 * SUM`, distance = DATA_H·256 + DATA_L in mm, SUM = (0xFF + DATA_H + DATA_L) & 0xFF; e.g.
 * `FF 07 A1 A7` = 1953 mm. The module streams a frame every 100–300 ms while RX floats high
 * (processed, steadier output). Height = mounting height − distance to the top of the head.
 */
import type { Clock } from '../runtime/kernel/clock.js';
import { StationError } from '../runtime/kernel/errors.js';
import type { Logger } from '../runtime/kernel/logger.js';
import { FreeRunningOutput } from './free-running-output.js';
import { SerialDevice } from './serial-device.js';
import type { FrameParser, SerialLink } from './transports/serial.js';
import type { DeviceEmulator } from './transports/serial-sim.js';
import type { Measurement, MeasureOptions, StationDevice } from './types.js';

export const HEIGHT_FRAME_HEADER = 0xff;
/** The A02YYUW's stated range: 30 mm blind zone to 4500 mm. */
export const HEIGHT_MIN_MM = 30;
export const HEIGHT_MAX_MM = 4500;

export interface HeightFrame {
  distanceMm: number;
}

/** Decodes one 4-byte frame; null when the header or checksum is wrong. Pure. */
export function decodeHeightFrame(frame: Uint8Array): HeightFrame | null {
  if (frame.length !== 4 || frame[0] !== HEIGHT_FRAME_HEADER) return null;
  const [, h, l, sum] = frame as unknown as [number, number, number, number];
  if (((HEIGHT_FRAME_HEADER + h + l) & 0xff) !== sum) return null;
  return { distanceMm: h * 256 + l };
}

export function encodeHeightFrame(distanceMm: number): Uint8Array {
  const h = (distanceMm >> 8) & 0xff;
  const l = distanceMm & 0xff;
  return Uint8Array.from([HEIGHT_FRAME_HEADER, h, l, (HEIGHT_FRAME_HEADER + h + l) & 0xff]);
}

/** Finds frames in the stream; a bad checksum skips one byte and rescans. Holds at most 3 bytes. */
export class HeightFrameParser implements FrameParser<HeightFrame> {
  private buf: number[] = [];

  get pending(): number {
    return this.buf.length;
  }

  reset(): void {
    this.buf = [];
  }

  push(chunk: Uint8Array): HeightFrame[] {
    const out: HeightFrame[] = [];
    for (const b of chunk) {
      if (this.buf.length === 0 && b !== HEIGHT_FRAME_HEADER) continue;
      this.buf.push(b);
      while (this.buf.length === 4) {
        const frame = decodeHeightFrame(Uint8Array.from(this.buf));
        if (frame) {
          out.push(frame);
          this.buf = [];
        } else {
          this.buf.shift();
          const next = this.buf.indexOf(HEIGHT_FRAME_HEADER);
          this.buf = next < 0 ? [] : this.buf.slice(next);
        }
      }
    }
    return out;
  }
}

export interface HeightRodOptions {
  /** Distance from the sensor face to the floor, mm (measured at installation). */
  mountingHeightMm: number;
  /** Readings that must agree before a height is given; default 5. */
  samples?: number;
  /** Largest spread (max − min) among those readings, mm; default 10. */
  maxSpreadMm?: number;
  /** How long to wait for a steady reading; default 15 000 ms. */
  timeoutMs?: number;
  /** Silence after which the rod counts as not answering; default 2000 ms. */
  frameTimeoutMs?: number;
}

/** Plausible standing heights for a resident, cm. */
export const HEIGHT_PLAUSIBLE_CM = { min: 50, max: 230 } as const;

export class HeightRod extends SerialDevice<HeightFrame> implements StationDevice {
  readonly name = 'height' as const;

  constructor(
    link: SerialLink,
    clock: Clock,
    log: Logger,
    private readonly options: HeightRodOptions,
  ) {
    super(link, new HeightFrameParser(), clock, log);
  }

  async probe(): Promise<Record<string, unknown>> {
    await this.ensureOpen();
    const frame = await this.nextFrame(() => true, this.options.frameTimeoutMs ?? 2000);
    return { distanceMm: frame.distanceMm, mountingHeightMm: this.options.mountingHeightMm };
  }

  protected override onFrame(frame: HeightFrame): void {
    this.emitLive({ raw: frame.distanceMm, value: (this.options.mountingHeightMm - frame.distanceMm) / 10, unit: 'cm' });
  }

  measure(options: MeasureOptions = {}): Promise<Measurement<'height'>> {
    const samples = this.options.samples ?? 5;
    const spread = this.options.maxSpreadMm ?? 10;
    const window: number[] = [];
    return this.measureUntilSettled(options, {
      kind: 'height',
      timeoutMs: this.options.timeoutMs ?? 15_000,
      frameTimeoutMs: this.options.frameTimeoutMs ?? 2000,
      timeoutMessage: {
        vi: 'Chưa đo được chiều cao: hãy đứng thẳng, yên dưới thước đo.',
        en: 'No steady height: stand straight and still under the rod.',
      },
      settle: (frame) => {
        const d = frame.distanceMm;
        if (d < HEIGHT_MIN_MM || d > HEIGHT_MAX_MM) {
          window.length = 0;
          return null;
        }
        const heightCm = (this.options.mountingHeightMm - d) / 10;
        if (heightCm < HEIGHT_PLAUSIBLE_CM.min) {
          // Nobody (or a child's head far below) under the rod yet: keep waiting.
          window.length = 0;
          return null;
        }
        window.push(d);
        if (window.length > samples) window.shift();
        options.onProgress?.({ kind: 'height', phase: 'settling', liveValue: Math.round(heightCm * 10) / 10 });
        if (window.length < samples || Math.max(...window) - Math.min(...window) > spread) return null;
        const median = [...window].sort((a, b) => a - b)[Math.floor(window.length / 2)]!;
        const value = Math.round((this.options.mountingHeightMm - median) / 10 * 10) / 10;
        if (value > HEIGHT_PLAUSIBLE_CM.max) {
          throw new StationError('DEVICE_IMPLAUSIBLE', `height ${value} cm is above ${HEIGHT_PLAUSIBLE_CM.max} cm; check the rod's mounting height`);
        }
        return { kind: 'height', at: this.clock.now(), device: 'height', values: { heightCm: value } };
      },
    });
  }

  async close(): Promise<void> {
    await this.closeLink();
  }
}

export interface HeightRodEmulatorOptions {
  mountingHeightMm: number;
  /** The resident under the rod, mm; null when nobody stands there (the floor echoes). */
  personHeightMm: number | null;
  /** Peak-to-peak jitter, mm (deterministic sawtooth); default 4. */
  jitterMm?: number;
  /** Frame period; default 100 ms (the A02YYUW's is 100–300 ms). */
  periodMs?: number;
  /**
   * Offset of the module's own output cycle on the clock, ms; default 0: frames go at
   * `phaseMs + k·periodMs` whether or not the port is open (when in its period it happened to be powered).
   */
  phaseMs?: number;
}

/**
 * Streams frames on the clock like a free-running A02YYUW: the module keeps its own cycle whether or
 * not the port is open, so the host's first frame comes within one period of opening.
 */
export class HeightRodEmulator implements DeviceEmulator {
  private send: ((b: Uint8Array) => void) | undefined;
  private readonly output: FreeRunningOutput;
  private n = 0;

  constructor(
    clock: Clock,
    public options: HeightRodEmulatorOptions,
  ) {
    this.output = new FreeRunningOutput(clock, () => ({ periodMs: this.options.periodMs ?? 100, phaseMs: this.options.phaseMs ?? 0 }));
  }

  attach(send: (bytes: Uint8Array) => void): void {
    this.send = send;
    this.output.start(() => this.sendFrame());
  }

  detach(): void {
    this.send = undefined;
    this.output.stop();
  }

  receive(): void {}

  private sendFrame(): void {
    const jitter = this.options.jitterMm ?? 4;
    const wobble = jitter === 0 ? 0 : (this.n++ % (jitter + 1)) - Math.floor(jitter / 2);
    const distance = this.options.mountingHeightMm - (this.options.personHeightMm ?? 0) + wobble;
    this.send?.(encodeHeightFrame(Math.max(0, Math.min(0xffff, distance))));
  }
}
