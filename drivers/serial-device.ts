/**
 * What every serial device driver shares: the link, a frame parser, waiting for the next frame
 * that answers a request (bounded by a clock timeout and an AbortSignal), and telling the hub when
 * the cable goes. Drivers (nibp, scale, height rod, CCCD scanner, printer) extend it and keep
 * their protocol in pure functions.
 */
import type { Clock } from '../runtime/kernel/clock.js';
import { StationError } from '../runtime/kernel/errors.js';
import type { Logger } from '../runtime/kernel/logger.js';
import type { DeviceHealthReport, LiveReading, MeasureOptions, MeasurementKind } from './types.js';
import type { FrameParser, SerialLink } from './transports/serial.js';

interface Waiter<F> {
  match: (frame: F) => boolean;
  resolve: (frame: F) => void;
  reject: (err: unknown) => void;
}

export abstract class SerialDevice<F> {
  private readonly waiters = new Set<Waiter<F>>();
  private readonly healthListeners: ((report: DeviceHealthReport) => void)[] = [];
  private readonly liveListeners = new Set<(reading: LiveReading) => void>();
  private subscribed = false;
  /** One settling measurement at a time: a second caller gets DEVICE_BUSY. */
  private settling = false;

  constructor(
    protected readonly link: SerialLink,
    protected readonly parser: FrameParser<F>,
    protected readonly clock: Clock,
    protected readonly log: Logger,
  ) {}

  onHealthChange(listener: (report: DeviceHealthReport) => void): void {
    this.healthListeners.push(listener);
  }

  protected reportHealth(report: DeviceHealthReport): void {
    for (const l of this.healthListeners) l(report);
  }

  watchReadings(listener: (reading: LiveReading) => void): () => void {
    this.liveListeners.add(listener);
    return () => this.liveListeners.delete(listener);
  }

  /** Streams a raw frame to the technician's live view, if anyone watches. */
  protected emitLive(reading: LiveReading): void {
    for (const l of [...this.liveListeners]) l(reading);
  }

  /** Opens the link (idempotent) and starts feeding the parser. */
  protected async ensureOpen(): Promise<void> {
    if (!this.subscribed) {
      this.subscribed = true;
      this.link.events.on('data', this, (chunk) => {
        for (const frame of this.parser.push(chunk)) this.dispatch(frame);
      });
      this.link.events.on('close', this, ({ disconnected, reason }) => {
        this.parser.reset();
        const err = new StationError('DEVICE_MISSING', `${this.link.path} closed${reason ? `: ${reason}` : ''}`, { transient: true });
        for (const w of [...this.waiters]) w.reject(err);
        this.waiters.clear();
        if (disconnected) this.reportHealth({ health: 'missing', reason: 'serial device disconnected' });
        this.onLinkClosed(disconnected);
      });
    }
    await this.link.open();
  }

  /** Hook for drivers that keep state across frames (measurement in progress). */
  protected onLinkClosed(_disconnected: boolean): void {}

  /** Every frame goes through here first: unsolicited frames (streams, scans) are handled by drivers. */
  protected onFrame(_frame: F): void {}

  private dispatch(frame: F): void {
    this.onFrame(frame);
    for (const w of [...this.waiters]) {
      if (w.match(frame)) {
        this.waiters.delete(w);
        w.resolve(frame);
      }
    }
  }

  /**
   * Resolves with the next frame that matches; rejects with DEVICE_TIMEOUT after `timeoutMs` of
   * silence on the clock, with the signal's reason when aborted, DEVICE_MISSING when the link closes.
   */
  protected nextFrame(match: (frame: F) => boolean, timeoutMs: number, signal?: AbortSignal): Promise<F> {
    return new Promise<F>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortError(signal));
        return;
      }
      const onAbort = () => finish(() => reject(abortError(signal)));
      const timer = this.clock.setTimeout(
        () => finish(() => reject(new StationError('DEVICE_TIMEOUT', `${this.link.path}: no answer within ${timeoutMs} ms`, { transient: true }))),
        timeoutMs,
      );
      const waiter: Waiter<F> = {
        match,
        resolve: (f) => finish(() => resolve(f)),
        reject: (e) => finish(() => reject(e)),
      };
      const finish = (settle: () => void) => {
        this.clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiters.delete(waiter);
        settle();
      };
      this.waiters.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * The wait of a streaming device (scale indicator, height rod) for a settled reading: opens the
   * link, tells the screen it waits for the resident, then hands every frame to `settle` until it
   * returns a result. Fails with DEVICE_TIMEOUT (`timeoutMessage`, transient) once `timeoutMs` has
   * passed without one, and with nextFrame's DEVICE_TIMEOUT after `frameTimeoutMs` of silence.
   * `settle` keeps the device's own rules: it returns null to wait for the next frame and throws to
   * fail the measurement.
   */
  protected async measureUntilSettled<T>(
    measure: MeasureOptions,
    rules: {
      kind: MeasurementKind;
      timeoutMs: number;
      frameTimeoutMs: number;
      timeoutMessage: { vi: string; en: string };
      settle: (frame: F) => T | null;
    },
  ): Promise<T> {
    if (this.settling) throw new StationError('DEVICE_BUSY');
    this.settling = true;
    try {
      await this.ensureOpen();
      const deadline = this.clock.now() + rules.timeoutMs;
      measure.onProgress?.({ kind: rules.kind, phase: 'waiting-person' });
      for (;;) {
        const left = deadline - this.clock.now();
        if (left <= 0) {
          throw new StationError('DEVICE_TIMEOUT', rules.timeoutMessage.vi, {
            transient: true,
            details: { messageEn: rules.timeoutMessage.en },
          });
        }
        const frame = await this.nextFrame(() => true, Math.min(left, rules.frameTimeoutMs), measure.signal);
        const result = rules.settle(frame);
        if (result !== null) return result;
      }
    } finally {
      this.settling = false;
    }
  }

  /** Releases the link and every waiter; idempotent. */
  protected async closeLink(): Promise<void> {
    this.link.events.offOwner(this);
    this.subscribed = false;
    const err = new StationError('DEVICE_MISSING', `${this.link.path} closed`, { transient: true });
    for (const w of [...this.waiters]) w.reject(err);
    this.waiters.clear();
    this.parser.reset();
    await this.link.close();
  }
}

/** A StationError DEVICE_ABORTED carrying why the signal fired (session ended, station stopping). */
export function abortError(signal: AbortSignal | undefined): StationError {
  if (signal?.reason instanceof StationError) return signal.reason;
  const why = signal?.reason instanceof Error ? signal.reason.message : signal?.reason === undefined ? 'aborted' : String(signal.reason);
  return new StationError('DEVICE_ABORTED', `measurement aborted: ${why}`);
}
