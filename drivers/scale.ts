/**
 * Weight: a platform scale's indicator streaming ASCII lines on a serial port.
 *
 * Two line families are common on Vietnamese and imported indicators:
 * - `ST,GS,+  72.35kg`: header 1 is the state (`ST` stable, `US` unstable, `OL` overload), header 2
 *   the value kind (`GS` gross, `NT` net, `TR` tare), then sign, right-aligned value and unit
 *   (the "continuous output" format of most Chinese indicators, e.g. XK3190 / Yaohua).
 * - A&D: `ST,+00072.35  kg` (A&D standard format: header, sign and 8-character value, unit in
 *   3 characters; `US` unstable, `OL` overload, `QT` counting).
 * A line that is neither is ignored, never turned into a weight.
 */
import type { Clock } from '../runtime/kernel/clock.js';
import { StationError } from '../runtime/kernel/errors.js';
import type { Logger } from '../runtime/kernel/logger.js';
import { FreeRunningOutput } from './free-running-output.js';
import { SerialDevice } from './serial-device.js';
import { LineAssembler } from './transports/serial.js';
import type { FrameParser, SerialLink } from './transports/serial.js';
import type { DeviceEmulator } from './transports/serial-sim.js';
import type { Measurement, MeasureOptions, StationDevice } from './types.js';

export interface ScaleReading {
  state: 'stable' | 'unstable' | 'overload';
  /** `gross`, `net` or `tare` when the indicator says so (the A&D family does not). */
  kind: 'gross' | 'net' | 'tare' | null;
  /** Null for overload lines, whose digits are meaningless. */
  weightKg: number | null;
}

const stateOf: Record<string, ScaleReading['state']> = { ST: 'stable', US: 'unstable', OL: 'overload' };
const kindOf: Record<string, ScaleReading['kind']> = { GS: 'gross', NT: 'net', TR: 'tare' };
const unitToKg: Record<string, number> = { kg: 1, g: 0.001, lb: 0.45359237 };

const lineRe = /^(ST|US|OL),(?:(GS|NT|TR),)?([+-])\s*(\d+(?:\.\d+)?|\d*\.\d+)?\s*(kg|g|lb)?\s*$/i;

/** Parses one indicator line (without CR/LF). Pure; null for anything that is not a weight line. */
export function parseScaleLine(line: string): ScaleReading | null {
  const m = lineRe.exec(line.trim());
  if (!m) return null;
  const state = stateOf[m[1]!.toUpperCase()]!;
  const kind = m[2] ? kindOf[m[2].toUpperCase()]! : null;
  if (state === 'overload') return { state, kind, weightKg: null };
  if (m[4] === undefined || m[5] === undefined) return null;
  const factor = unitToKg[m[5].toLowerCase()]!;
  const value = Number(m[4]) * factor * (m[3] === '-' ? -1 : 1);
  if (!Number.isFinite(value)) return null;
  return { state, kind, weightKg: Math.round(value * 1000) / 1000 };
}

/** Lines → readings; non-weight lines are dropped. Bounded by the line assembler (128 bytes). */
export class ScaleLineParser implements FrameParser<ScaleReading> {
  private readonly lines = new LineAssembler(128);

  get pending(): number {
    return this.lines.pending;
  }

  reset(): void {
    this.lines.reset();
  }

  push(chunk: Uint8Array): ScaleReading[] {
    return this.lines
      .push(chunk)
      .map((l) => parseScaleLine(l.toString('latin1')))
      .filter((r): r is ScaleReading => r !== null);
  }
}

export interface StableWeightOptions {
  /** Consecutive stable readings needed; default 5. */
  samples?: number;
  /** Largest spread among them, kg; default 0.05. */
  maxSpreadKg?: number;
  /** Below this nobody is standing on the platform; default 2 kg. */
  minimumKg?: number;
}

/**
 * Decides when a weight is settled: the last `samples` readings all flagged stable by the
 * indicator and within `maxSpreadKg` of each other, above `minimumKg`. Pure state machine.
 */
export class StableWeightDetector {
  private window: number[] = [];

  constructor(private readonly options: StableWeightOptions = {}) {}

  /** Returns the settled weight (mean of the window) or null while still settling. */
  push(reading: ScaleReading): number | null {
    const min = this.options.minimumKg ?? 2;
    if (reading.state !== 'stable' || reading.weightKg === null || reading.weightKg < min) {
      this.window = [];
      return null;
    }
    this.window.push(reading.weightKg);
    const n = this.options.samples ?? 5;
    if (this.window.length > n) this.window.shift();
    if (this.window.length < n) return null;
    const spread = Math.max(...this.window) - Math.min(...this.window);
    if (spread > (this.options.maxSpreadKg ?? 0.05)) return null;
    return Math.round((this.window.reduce((a, b) => a + b, 0) / n) * 100) / 100;
  }

  reset(): void {
    this.window = [];
  }
}

export interface ScaleOptions extends StableWeightOptions {
  /** How long the resident has to stand still; default 30 000 ms. */
  timeoutMs?: number;
  /** Silence after which the indicator counts as not answering; default 2000 ms. */
  lineTimeoutMs?: number;
  /** Bytes that make the indicator tare; default `T\r\n` (A&D and most continuous-output indicators). */
  tareCommand?: string;
  /** Heaviest plausible resident, kg; default 250 (platform scales stop at 200–300 kg). */
  maximumKg?: number;
}

export class SerialScale extends SerialDevice<ScaleReading> implements StationDevice {
  readonly name = 'scale' as const;

  constructor(
    link: SerialLink,
    clock: Clock,
    log: Logger,
    private readonly options: ScaleOptions = {},
  ) {
    super(link, new ScaleLineParser(), clock, log);
  }

  async probe(): Promise<Record<string, unknown>> {
    await this.ensureOpen();
    const r = await this.nextFrame(() => true, this.options.lineTimeoutMs ?? 2000);
    return { state: r.state };
  }

  protected override onFrame(r: ScaleReading): void {
    if (r.weightKg !== null) this.emitLive({ raw: r.weightKg, value: r.weightKg, unit: 'kg', stable: r.state === 'stable' });
    else this.emitLive({ phase: r.state });
  }

  /** Zeroes the empty platform. Resolves once the indicator reports a stable reading near zero. */
  async tare(): Promise<void> {
    await this.ensureOpen();
    await this.link.write(Buffer.from(this.options.tareCommand ?? 'T\r\n', 'latin1'));
    await this.nextFrame((r) => r.state === 'stable' && r.weightKg !== null && Math.abs(r.weightKg) < 0.05, 5000);
  }

  measure(options: MeasureOptions = {}): Promise<Measurement<'weight'>> {
    const detector = new StableWeightDetector(this.options);
    return this.measureUntilSettled(options, {
      kind: 'weight',
      timeoutMs: this.options.timeoutMs ?? 30_000,
      frameTimeoutMs: this.options.lineTimeoutMs ?? 2000,
      timeoutMessage: {
        vi: 'Cân chưa ổn định: hãy đứng yên giữa bàn cân.',
        en: 'The weight did not settle: stand still in the middle of the platform.',
      },
      settle: (r) => {
        if (r.state === 'overload') {
          throw new StationError('DEVICE_IMPLAUSIBLE', 'Quá tải cân. / The scale is overloaded.', { details: { messageEn: 'The scale is overloaded.' } });
        }
        if (r.weightKg !== null && r.weightKg >= (this.options.minimumKg ?? 2)) {
          options.onProgress?.({ kind: 'weight', phase: 'settling', liveValue: r.weightKg });
        }
        const settled = detector.push(r);
        if (settled === null) return null;
        if (settled > (this.options.maximumKg ?? 250)) {
          throw new StationError('DEVICE_IMPLAUSIBLE', `weight ${settled} kg is above the plausible maximum`);
        }
        return { kind: 'weight', at: this.clock.now(), device: 'scale', values: { weightKg: settled } };
      },
    });
  }

  async close(): Promise<void> {
    await this.closeLink();
  }
}

export interface ScaleEmulatorOptions {
  /** The load on the platform, kg (0 when empty). */
  loadKg: number;
  /** Line format; default `gs` (`ST,GS,+  72.35kg`). */
  format?: 'gs' | 'ad';
  /** Readings flagged unstable after the load changes, ms; default 1500. */
  settleMs?: number;
  /** Line period; default 100 ms. */
  periodMs?: number;
  /**
   * Offset of the indicator's own output cycle on the clock, ms; default 0: lines go at
   * `phaseMs + k·periodMs` whether or not the port is open (when in its period it happened to be powered).
   */
  phaseMs?: number;
  /** Capacity; above it lines say OL; default 300 kg. */
  capacityKg?: number;
}

/**
 * An indicator in continuous-output mode: one line per period on its own free-running cycle (the host
 * catches the stream where it is, so the first line comes within one period of opening), tare on `T`.
 */
export class ScaleEmulator implements DeviceEmulator {
  private send: ((b: Uint8Array) => void) | undefined;
  private readonly output: FreeRunningOutput;
  private tareKg = 0;
  private lastLoad: number;
  private changedAt: number;

  constructor(
    private readonly clock: Clock,
    public options: ScaleEmulatorOptions,
  ) {
    this.lastLoad = options.loadKg;
    this.changedAt = clock.now();
    this.output = new FreeRunningOutput(clock, () => ({ periodMs: this.options.periodMs ?? 100, phaseMs: this.options.phaseMs ?? 0 }));
  }

  attach(send: (bytes: Uint8Array) => void): void {
    this.send = send;
    this.output.start(() => this.send?.(Buffer.from(`${this.line()}\r\n`, 'latin1')));
  }

  detach(): void {
    this.send = undefined;
    this.output.stop();
  }

  receive(bytes: Buffer): void {
    if (bytes.toString('latin1').trim().toUpperCase() === 'T') this.tareKg = this.options.loadKg;
  }

  /** The line the indicator would print now. */
  line(): string {
    const load = this.options.loadKg;
    if (load !== this.lastLoad) {
      this.lastLoad = load;
      this.changedAt = this.clock.now();
    }
    const net = load - this.tareKg;
    const stable = this.clock.now() - this.changedAt >= (this.options.settleMs ?? 1500);
    const state = load > (this.options.capacityKg ?? 300) ? 'OL' : stable ? 'ST' : 'US';
    const sign = net < 0 ? '-' : '+';
    const abs = Math.abs(net).toFixed(2);
    return this.options.format === 'ad' ? `${state},${sign}${abs.padStart(8, '0')}  kg` : `${state},GS,${sign}${abs.padStart(7, ' ')}kg`;
  }
}
