/**
 * Blood pressure: an OEM NIBP module of the SunTech Advantage family on a 9600 8N1 UART.
 *
 * Protocol as the open implementations describe it (the SunTech Advantage driver `nibp.c` /
 * `nibp.h` of an open bedside-monitor firmware, and the request table
 * `com.ak.comm.bytes.suntech.NIBPRequest` of an open Java device-communication library, which
 * agree byte for byte):
 * - host → module: `0x3A ':'`, command byte(s), data, checksum; module → host: `0x3E '>'`, total
 *   frame length (start, length and checksum included), data, checksum. The checksum makes the
 *   byte sum of the whole frame 0 mod 256 (`crc = 0x100 − Σ`).
 * - Start adult measurement `3A 20 A6`; abort (deflate) `3A 79 01 00 4C`; get BP data
 *   `3A 79 03 00 4A`; get cuff pressure `3A 79 05 00 48`.
 * - Replies by length: 4 = one status character (`O` ok, `K` done, `A` aborted, `B` busy,
 *   `S` sleeping); 5 = cuff pressure, int16 little-endian mmHg; 24 = BP data record, packed
 *   little-endian: systolic u16, diastolic u16, bit-test code u8, BP status u8, 8 test codes,
 *   heart rate u16, MAP u16, error code u8, two spare bytes.
 * - Error codes: 1 weak signal, 2 erratic signal (motion), 3 retry count exceeded, 4 measurement
 *   time exceeded, 85 pneumatic blockage, 87 inflation time-out (leak, loose cuff), 89 safety
 *   over-pressure, 90 power supply out of range.
 */
import type { Clock } from '../runtime/kernel/clock.js';
import { sleep } from '../runtime/kernel/clock.js';
import { StationError, isStationError } from '../runtime/kernel/errors.js';
import type { Logger } from '../runtime/kernel/logger.js';
import { SerialDevice, abortError } from './serial-device.js';
import type { FrameParser, SerialLink } from './transports/serial.js';
import type { DeviceEmulator } from './transports/serial-sim.js';
import type { Measurement, MeasureOptions, StationDevice } from './types.js';

export const NIBP_HOST_START = 0x3a;
export const NIBP_MODULE_START = 0x3e;

/** Appends the checksum that makes the byte sum 0 mod 256. */
export function withChecksum(bytes: readonly number[]): Uint8Array {
  const sum = bytes.reduce((a, b) => a + b, 0);
  return Uint8Array.from([...bytes, (0x100 - (sum & 0xff)) & 0xff]);
}

export function checksumOk(frame: Uint8Array): boolean {
  let sum = 0;
  for (const b of frame) sum += b;
  return (sum & 0xff) === 0;
}

export const nibpCommands = {
  startAdult: withChecksum([NIBP_HOST_START, 0x20]),
  abort: withChecksum([NIBP_HOST_START, 0x79, 0x01, 0x00]),
  getBpData: withChecksum([NIBP_HOST_START, 0x79, 0x03, 0x00]),
  getCuffPressure: withChecksum([NIBP_HOST_START, 0x79, 0x05, 0x00]),
} as const;

export type NibpReply =
  | { type: 'status'; code: string }
  | { type: 'cuff'; mmHg: number }
  | {
      type: 'bpData';
      systolic: number;
      diastolic: number;
      map: number;
      pulse: number;
      bpStatus: number;
      errorCode: number;
      /** The record's bytes, to tell a fresh record from the one before `start`. */
      raw: string;
    }
  | { type: 'other'; length: number };

export const NIBP_BP_DATA_LENGTH = 24;
/** The longest reply the module sends (module data, 0x43 bytes); longer lengths are noise. */
export const NIBP_MAX_FRAME = 0x43;

/** Decodes one complete, checksum-verified module frame. Pure; returns null for a malformed frame. */
export function decodeNibpReply(frame: Uint8Array): NibpReply | null {
  if (frame.length < 4 || frame[0] !== NIBP_MODULE_START || frame[1] !== frame.length || !checksumOk(frame)) return null;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  switch (frame.length) {
    case 4:
      return { type: 'status', code: String.fromCharCode(frame[2]!) };
    case 5:
      return { type: 'cuff', mmHg: view.getInt16(2, true) };
    case NIBP_BP_DATA_LENGTH:
      return {
        type: 'bpData',
        systolic: view.getUint16(2, true),
        diastolic: view.getUint16(4, true),
        bpStatus: frame[7]!,
        pulse: view.getUint16(16, true),
        map: view.getUint16(18, true),
        errorCode: frame[20]!,
        raw: Buffer.from(frame.subarray(2, 23)).toString('hex'),
      };
    default:
      return { type: 'other', length: frame.length };
  }
}

/** Encodes a BP data record as the module sends it (for the emulator and tests). */
export function encodeNibpBpData(r: { systolic: number; diastolic: number; map: number; pulse: number; bpStatus: number; errorCode: number }): Uint8Array {
  const body = new Uint8Array(NIBP_BP_DATA_LENGTH - 1);
  const v = new DataView(body.buffer);
  body[0] = NIBP_MODULE_START;
  body[1] = NIBP_BP_DATA_LENGTH;
  v.setUint16(2, r.systolic, true);
  v.setUint16(4, r.diastolic, true);
  body[7] = r.bpStatus;
  v.setUint16(16, r.pulse, true);
  v.setUint16(18, r.map, true);
  body[20] = r.errorCode;
  return withChecksum([...body]);
}

export function encodeNibpCuff(mmHg: number): Uint8Array {
  return withChecksum([NIBP_MODULE_START, 5, mmHg & 0xff, (mmHg >> 8) & 0xff]);
}

export function encodeNibpStatus(code: string): Uint8Array {
  return withChecksum([NIBP_MODULE_START, 4, code.charCodeAt(0)]);
}

/** Reply lengths the module sends: status, cuff pressure, return code, BP data, module data. */
export const NIBP_REPLY_LENGTHS: ReadonlySet<number> = new Set([4, 5, 6, NIBP_BP_DATA_LENGTH, NIBP_MAX_FRAME]);

/**
 * Finds `0x3E len … sum` frames in the byte stream. Each byte is examined as it arrives (so the
 * result never depends on how the bytes were chunked). A start byte with an unknown length or a
 * failing checksum is skipped and the scan resumes at the next byte. While an earlier start is
 * still incomplete (it may be noise that claims a long length), a later start that completes a
 * valid frame wins, so a false start cannot stall the replies behind it. Holds at most
 * {@link NIBP_MAX_FRAME} bytes.
 */
export class NibpFrameParser implements FrameParser<NibpReply> {
  private buf: number[] = [];

  get pending(): number {
    return this.buf.length;
  }

  reset(): void {
    this.buf = [];
  }

  push(chunk: Uint8Array): NibpReply[] {
    const out: NibpReply[] = [];
    for (const b of chunk) {
      if (this.buf.length === 0 && b !== NIBP_MODULE_START) continue;
      this.buf.push(b);
      this.scan(out);
    }
    return out;
  }

  private scan(out: NibpReply[]): void {
    for (;;) {
      if (this.buf.length < 2) return;
      const len = this.buf[1]!;
      if (!NIBP_REPLY_LENGTHS.has(len)) {
        this.dropStart();
        continue;
      }
      if (this.buf.length >= len) {
        const reply = decodeNibpReply(Uint8Array.from(this.buf.slice(0, len)));
        if (reply) {
          out.push(reply);
          this.buf.splice(0, len);
          this.dropToStart();
        } else {
          this.dropStart();
        }
        continue;
      }
      // Incomplete: does a later start end a valid frame exactly at the newest byte?
      for (let i = 1; i < this.buf.length - 1; i++) {
        if (this.buf[i] !== NIBP_MODULE_START) continue;
        const l = this.buf[i + 1]!;
        if (i + l !== this.buf.length || !NIBP_REPLY_LENGTHS.has(l)) continue;
        const reply = decodeNibpReply(Uint8Array.from(this.buf.slice(i)));
        if (reply) {
          out.push(reply);
          this.buf = [];
          return;
        }
      }
      return;
    }
  }

  private dropStart(): void {
    this.buf.shift();
    this.dropToStart();
  }

  private dropToStart(): void {
    const next = this.buf.indexOf(NIBP_MODULE_START);
    this.buf = next < 0 ? [] : this.buf.slice(next);
  }
}

/** What the resident reads when the module refuses a reading: Vietnamese first, English second. */
export const nibpErrorMessages: Record<number, { vi: string; en: string }> = {
  1: { vi: 'Tín hiệu mạch yếu. Hãy quấn vòng bít sát tay và đo lại.', en: 'Weak pulse signal. Wrap the cuff snugly and measure again.' },
  2: { vi: 'Tay cử động trong khi đo. Hãy ngồi yên, thả lỏng tay và đo lại.', en: 'The arm moved during the measurement. Sit still, relax the arm and measure again.' },
  3: { vi: 'Không đo được sau nhiều lần thử. Hãy nghỉ vài phút rồi đo lại.', en: 'No reading after several attempts. Rest a few minutes and measure again.' },
  4: { vi: 'Lần đo kéo dài quá thời gian cho phép. Hãy đo lại.', en: 'The measurement took too long. Measure again.' },
  85: { vi: 'Ống khí bị gập hoặc tắc. Hãy kiểm tra ống nối vòng bít.', en: 'The air hose is kinked or blocked. Check the cuff hose.' },
  87: { vi: 'Vòng bít bị hở hoặc quấn lỏng. Hãy quấn lại vòng bít và đo lại.', en: 'The cuff leaks or is loose. Wrap the cuff again and measure again.' },
  89: { vi: 'Áp suất vòng bít vượt mức an toàn, máy đã xả khí. Hãy đo lại.', en: 'Cuff pressure exceeded the safety limit and was released. Measure again.' },
  90: { vi: 'Máy đo huyết áp bị lỗi nguồn. Vui lòng báo kỹ thuật viên.', en: 'The blood pressure module has a power fault. Please call the technician.' },
};

export function nibpErrorMessage(code: number): { vi: string; en: string } {
  return nibpErrorMessages[code] ?? { vi: `Máy đo huyết áp báo lỗi (mã ${code}). Hãy đo lại.`, en: `The blood pressure module reported error ${code}. Measure again.` };
}

export interface BloodPressureMonitorOptions {
  /** Longest a whole measurement may take before the cuff is deflated; default 150 000 ms (the module's own limit is about 2 min). */
  measurementTimeoutMs?: number;
  /** Cuff pressure poll period for the progress display; default 500 ms. */
  pollMs?: number;
  /** How long one reply may take; default 1000 ms. */
  replyTimeoutMs?: number;
}

/** A fresh result is accepted only after the cuff has inflated above this and deflated below {@link DEFLATED_MMHG}. */
const INFLATED_MMHG = 40;
const DEFLATED_MMHG = 20;

export class BloodPressureMonitor extends SerialDevice<NibpReply> implements StationDevice {
  readonly name = 'bloodPressure' as const;
  private measuring = false;
  /** Aborted by close() so a running measurement ends at once instead of at its next poll. */
  private stopping: AbortController | undefined;

  constructor(
    link: SerialLink,
    clock: Clock,
    log: Logger,
    private readonly options: BloodPressureMonitorOptions = {},
  ) {
    super(link, new NibpFrameParser(), clock, log);
  }

  private get replyTimeout(): number {
    return this.options.replyTimeoutMs ?? 1000;
  }

  private async request(command: Uint8Array, type: NibpReply['type'], signal?: AbortSignal): Promise<NibpReply> {
    const answer = this.nextFrame((f) => f.type === type, this.replyTimeout, signal);
    answer.catch(() => undefined);
    await this.link.write(command);
    return answer;
  }

  async probe(): Promise<Record<string, unknown>> {
    await this.ensureOpen();
    const reply = await this.request(nibpCommands.getCuffPressure, 'cuff');
    return { cuffPressure: reply.type === 'cuff' ? reply.mmHg : null };
  }

  /** Deflates the cuff; best effort, never throws (it runs on every failure path). */
  async abort(): Promise<void> {
    try {
      if (this.link.isOpen) await this.link.write(nibpCommands.abort);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'abort (deflate) could not be sent');
    }
  }

  async measure(options: MeasureOptions = {}): Promise<Measurement<'bloodPressure'>> {
    if (this.measuring) throw new StationError('DEVICE_BUSY');
    this.measuring = true;
    const { signal, onProgress } = options;
    const timeout = new AbortController();
    const timer = this.clock.setTimeout(
      () => timeout.abort(new StationError('DEVICE_TIMEOUT', 'blood pressure measurement took too long; cuff deflated', { transient: true })),
      this.options.measurementTimeoutMs ?? 150_000,
    );
    this.stopping = new AbortController();
    const { signal: both, dispose } = anySignal([signal, timeout.signal, this.stopping.signal]);
    let started = false;
    try {
      await this.ensureOpen();
      const before = await this.request(nibpCommands.getBpData, 'bpData', both);
      const staleRaw = before.type === 'bpData' ? before.raw : '';
      started = true;
      await this.link.write(nibpCommands.startAdult);
      onProgress?.({ kind: 'bloodPressure', phase: 'inflating', cuffPressure: 0 });
      let peak = 0;
      const startedAt = this.clock.now();
      for (let poll = 0; ; poll++) {
        await sleep(this.clock, this.options.pollMs ?? 500, both).catch((err) => {
          throw both.aborted ? abortError(both) : err;
        });
        const cuff = await this.request(nibpCommands.getCuffPressure, 'cuff', both);
        const mmHg = cuff.type === 'cuff' ? cuff.mmHg : 0;
        const rising = mmHg >= peak;
        peak = Math.max(peak, mmHg);
        onProgress?.({ kind: 'bloodPressure', phase: rising ? 'inflating' : 'deflating', cuffPressure: mmHg });
        const deflated = peak >= INFLATED_MMHG && mmHg < DEFLATED_MMHG;
        const longEnough = this.clock.now() - startedAt > 10_000;
        if (!deflated && !(longEnough && poll % 4 === 3)) continue;
        const data = await this.request(nibpCommands.getBpData, 'bpData', both);
        // Before a full inflate/deflate cycle the module may still hold the previous record.
        if (data.type !== 'bpData' || (!deflated && data.raw === staleRaw)) continue;
        if (data.errorCode !== 0) {
          const msg = nibpErrorMessage(data.errorCode);
          throw new StationError('DEVICE_READ_FAILED', msg.vi, { transient: true, details: { moduleErrorCode: data.errorCode, messageEn: msg.en } });
        }
        if (data.bpStatus === 0 || !deflated) continue;
        onProgress?.({ kind: 'bloodPressure', phase: 'done', cuffPressure: mmHg });
        return {
          kind: 'bloodPressure',
          at: this.clock.now(),
          device: 'bloodPressure',
          values: { systolic: data.systolic, diastolic: data.diastolic, map: data.map, pulse: data.pulse },
        };
      }
    } catch (err) {
      if (started) await this.abort();
      if (both.aborted && !isStationError(err, 'DEVICE_MISSING')) throw abortError(both);
      throw err;
    } finally {
      this.clock.clearTimeout(timer);
      dispose();
      this.measuring = false;
    }
  }

  async close(): Promise<void> {
    if (this.measuring) {
      await this.abort();
      this.stopping?.abort(new StationError('DEVICE_ABORTED', 'the station is stopping; cuff deflated'));
    }
    await this.closeLink();
  }
}

/**
 * An AbortSignal that fires when any of the given ones does; `dispose` removes its listeners from
 * the others, so a session's long-lived signal does not collect one per measurement.
 */
export function anySignal(signals: (AbortSignal | undefined)[]): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  const cleanups: (() => void)[] = [];
  for (const s of signals) {
    if (!s) continue;
    if (s.aborted) {
      ac.abort(s.reason);
      break;
    }
    const onAbort = () => ac.abort(s.reason);
    s.addEventListener('abort', onAbort, { once: true });
    cleanups.push(() => s.removeEventListener('abort', onAbort));
  }
  return { signal: ac.signal, dispose: () => cleanups.forEach((c) => c()) };
}

export interface NibpEmulatorOptions {
  systolic?: number;
  diastolic?: number;
  pulse?: number;
  /** Module error code to end the next measurement with (1 weak signal, 2 motion, 87 leak…); 0 for a reading. */
  errorCode?: number;
  /** Inflation rate, mmHg/s; default 40. */
  inflateRate?: number;
  /** Deflation rate, mmHg/s; default 8 (a step-deflation module's average). */
  deflateRate?: number;
}

/**
 * A SunTech-style module: inflates to systolic + 30 mmHg, deflates, then holds a BP data record;
 * abort dumps the cuff at once. Ticks on the injected clock.
 */
export class NibpEmulator implements DeviceEmulator {
  pressure = 0;
  aborts = 0;
  starts = 0;
  private phase: 'idle' | 'inflating' | 'deflating' = 'idle';
  private record: Uint8Array = encodeNibpBpData({ systolic: 0, diastolic: 0, map: 0, pulse: 0, bpStatus: 0, errorCode: 0 });
  private send: ((b: Uint8Array) => void) | undefined;
  private timer: ReturnType<Clock['setTimeout']> | undefined;

  constructor(
    private readonly clock: Clock,
    public options: NibpEmulatorOptions = {},
  ) {}

  attach(send: (bytes: Uint8Array) => void): void {
    this.send = send;
  }

  detach(): void {
    this.send = undefined;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    // A module losing its host link dumps the cuff (Advantage safety behaviour).
    this.pressure = 0;
    this.phase = 'idle';
  }

  receive(bytes: Buffer): void {
    const hex = bytes.toString('hex');
    if (hex === Buffer.from(nibpCommands.startAdult).toString('hex')) {
      this.starts++;
      this.phase = 'inflating';
      this.schedule();
      this.send?.(encodeNibpStatus('O'));
    } else if (hex === Buffer.from(nibpCommands.abort).toString('hex')) {
      this.aborts++;
      this.phase = 'idle';
      this.pressure = 0;
      this.clock.clearTimeout(this.timer);
      this.send?.(encodeNibpStatus('A'));
    } else if (hex === Buffer.from(nibpCommands.getCuffPressure).toString('hex')) {
      this.send?.(encodeNibpCuff(Math.round(this.pressure)));
    } else if (hex === Buffer.from(nibpCommands.getBpData).toString('hex')) {
      this.send?.(this.record);
    }
  }

  private schedule(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => this.tick(), 100);
  }

  private tick(): void {
    const sys = this.options.systolic ?? 120;
    const dia = this.options.diastolic ?? 80;
    if (this.phase === 'inflating') {
      this.pressure += (this.options.inflateRate ?? 40) / 10;
      if (this.pressure >= sys + 30) this.phase = 'deflating';
    } else if (this.phase === 'deflating') {
      this.pressure -= (this.options.deflateRate ?? 8) / 10;
      if (this.pressure <= Math.max(5, dia - 20)) {
        this.pressure = 0;
        this.phase = 'idle';
        const errorCode = this.options.errorCode ?? 0;
        this.record = encodeNibpBpData(
          errorCode === 0
            ? { systolic: sys, diastolic: dia, map: Math.round(dia + (sys - dia) / 3), pulse: this.options.pulse ?? 72, bpStatus: 1, errorCode: 0 }
            : { systolic: 0, diastolic: 0, map: 0, pulse: 0, bpStatus: 1, errorCode },
        );
        this.send?.(encodeNibpStatus('K'));
        return;
      }
    } else {
      return;
    }
    this.schedule();
  }
}
