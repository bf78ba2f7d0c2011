/**
 * The device hub: the one place that knows every device. It probes them at start, tracks each
 * one's health (ok / degraded / missing), reopens a device that went away with backoff on the
 * clock, routes measurements to the right device one at a time, refuses implausible values with a
 * reason, and forwards CCCD scans, key presses and the emergency button. A failed read never becomes a value here:
 * measure() resolves only with a reading the driver produced and the plausibility check passed.
 */
import type { Clock, TimerHandle } from '../runtime/kernel/clock.js';
import { StationError, isStationError } from '../runtime/kernel/errors.js';
import type { Key } from '../runtime/kernel/input.js';
import type { Logger } from '../runtime/kernel/logger.js';
import { TypedEmitter } from '../runtime/kernel/typed-emitter.js';
import type { CccdIdentity, CccdScannerEvents } from './cccd.js';
import type { KeypadEvents } from './keypad.js';
import type {
  DeviceHealthReport, DeviceName, DeviceStatus, Measurement, MeasurementKind, MeasureOptions, MeasureService,
  StationDevice,
  DeviceReading,
  ReceiptLine,
  ReceiptPrinter,
} from './types.js';

export interface DeviceHubEvents {
  /** A device's health changed. */
  status: DeviceStatus;
  /** A CCCD scan that parsed and cross-checked (personal data: never log it). */
  scan: CccdIdentity;
  /** A scan that was refused, with the reason. */
  scanRejected: { error: string };
  /** A key on the physical keypad. */
  key: Key;
  /** The emergency push button was pressed (one event per press), at the clock's time. */
  emergency: { at: number };
  /**
   * That press's button opened again (debounced), with how long it was held. Only the technician's
   * button test listens: a release never raises anything for residents.
   */
  emergencyReleased: { at: number; heldMs: number };
}

/** Which device answers which measurement. */
export const measurementDevice: Record<MeasurementKind, DeviceName> = {
  weight: 'scale',
  height: 'height',
  spo2: 'spo2',
  bloodPressure: 'bloodPressure',
  temperature: 'thermometer',
};

/**
 * Plausible ranges for a resident at a kiosk; outside them the reading is refused as a sensor or
 * placement fault rather than shown. Wide on purpose: the screen classifies, this only filters.
 */
export const plausibleRanges = {
  weightKg: [2, 300],
  heightCm: [50, 250],
  spo2: [50, 100],
  heartRate: [25, 250],
  perfusionIndex: [0.01, 30],
  systolic: [50, 280],
  diastolic: [25, 200],
  map: [30, 230],
  pulse: [25, 250],
  celsius: [32, 43.5],
} as const satisfies Record<string, readonly [number, number]>;

/** Returns why a measurement is implausible, or null when it may be shown. Pure. */
export function implausibility(m: Measurement): string | null {
  const values = m.values as unknown as Record<string, unknown>;
  for (const [field, value] of Object.entries(values)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) return `${field} is not a number`;
    const range = (plausibleRanges as Record<string, readonly [number, number]>)[field];
    if (range && (value < range[0] || value > range[1])) return `${field} ${value} is outside ${range[0]}–${range[1]}`;
  }
  if (m.kind === 'bloodPressure') {
    const v = m.values as Measurement<'bloodPressure'>['values'];
    if (v.systolic <= v.diastolic) return `systolic ${v.systolic} is not above diastolic ${v.diastolic}`;
    if (v.map < v.diastolic || v.map > v.systolic) return `MAP ${v.map} is not between diastolic and systolic`;
  }
  return null;
}

export interface HubEntry {
  device: StationDevice;
  mode: 'real' | 'sim';
}

export interface DeviceHubOptions {
  /** First reopen delay after a device goes missing; doubles up to `backoffMaxMs`; default 1000 ms. */
  backoffInitialMs?: number;
  /** Longest reopen delay; default 30 000 ms. */
  backoffMaxMs?: number;
  /** Bound on each device's probe at start; default 5000 ms. */
  probeTimeoutMs?: number;
  /** Bound on each device's close at stop; default 3000 ms. */
  closeTimeoutMs?: number;
  /** Devices switched off in config: listed as `disabled`, never probed. */
  disabled?: DeviceName[];
  /**
   * Idle devices are probed this often, so a device that went silent without a disconnect (jammed
   * firmware, broken TX wire) is noticed before a resident needs it; default 60 000 ms, 0 to disable.
   */
  healthCheckIntervalMs?: number;
}

interface Tracked {
  entry: HubEntry;
  status: DeviceStatus;
  backoffMs: number;
  timer: TimerHandle | undefined;
  busy: boolean;
  failures: number;
  /** The hub itself marked the device degraded (timeouts); a good probe clears it. */
  degradedByHub: boolean;
}

interface ScanSource {
  events: TypedEmitter<CccdScannerEvents>;
}

interface KeySource {
  events: TypedEmitter<KeypadEvents>;
}

export class DeviceHub implements MeasureService, ReceiptPrinter {
  readonly events = new TypedEmitter<DeviceHubEvents>();
  private readonly tracked = new Map<DeviceName, Tracked>();
  private running = false;
  private healthTimer: TimerHandle | undefined;
  private readonly watchers = new Map<DeviceName, Set<(reading: DeviceReading) => void>>();

  constructor(
    private readonly devices: Partial<Record<DeviceName, HubEntry>>,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly options: DeviceHubOptions = {},
  ) {}

  /** Probes every device (in parallel, each bounded); a device that fails is reported, never fatal. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    for (const name of this.options.disabled ?? []) {
      if (!this.devices[name]) this.setStatus(name, 'sim', 'disabled', 'disabled in config');
    }
    const probes: Promise<void>[] = [];
    for (const [name, entry] of Object.entries(this.devices) as [DeviceName, HubEntry][]) {
      const t: Tracked = {
        entry,
        status: { name, mode: entry.mode, health: 'starting', since: this.clock.now() },
        backoffMs: this.options.backoffInitialMs ?? 1000,
        timer: undefined,
        busy: false,
        failures: 0,
        degradedByHub: false,
      };
      this.tracked.set(name, t);
      this.emitStatus(t);
      entry.device.onHealthChange?.((report) => this.onReport(name, report));
      const events = (entry.device as unknown as Partial<ScanSource & KeySource>).events;
      if (events instanceof TypedEmitter) {
        if (name === 'cccdScanner') {
          const scans = events as TypedEmitter<CccdScannerEvents>;
          scans.on('scan', this, (s) => this.events.emit('scan', s));
          scans.on('rejected', this, (r) => this.events.emit('scanRejected', r));
        } else if (name === 'keypad') {
          const keypad = events as TypedEmitter<KeypadEvents>;
          keypad.on('key', this, (k) => this.events.emit('key', k));
          keypad.on('emergency', this, (e) => this.events.emit('emergency', e));
          keypad.on('emergencyReleased', this, (e) => this.events.emit('emergencyReleased', e));
        }
      }
      probes.push(this.probe(name));
    }
    await Promise.all(probes);
    this.scheduleHealthCheck();
  }

  private scheduleHealthCheck(): void {
    const every = this.options.healthCheckIntervalMs ?? 60_000;
    if (every <= 0 || !this.running) return;
    this.healthTimer = this.clock.setTimeout(() => {
      for (const [name, t] of this.tracked) {
        if (!t.busy && !t.timer && (t.status.health === 'ok' || t.status.health === 'degraded')) void this.probe(name);
      }
      this.scheduleHealthCheck();
    }, every);
  }

  /** Stops recovery, then closes every device (cuff deflated, LEDs off), each bounded. Idempotent. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.clock.clearTimeout(this.healthTimer);
    for (const t of this.tracked.values()) {
      this.clock.clearTimeout(t.timer);
      t.timer = undefined;
    }
    await Promise.all(
      [...this.tracked.entries()].map(async ([name, t]) => {
        const events = (t.entry.device as unknown as Partial<ScanSource>).events;
        if (events instanceof TypedEmitter) events.offOwner(this);
        try {
          await this.bounded(t.entry.device.close(), this.options.closeTimeoutMs ?? 3000, `${name} close`);
        } catch (err) {
          this.log.warn({ device: name, err: (err as Error).message }, 'device did not close cleanly');
        }
      }),
    );
  }

  statuses(): DeviceStatus[] {
    const all = new Map<DeviceName, DeviceStatus>();
    for (const [name, t] of this.tracked) all.set(name, { ...t.status });
    for (const name of this.options.disabled ?? []) {
      if (!all.has(name)) all.set(name, { name, mode: 'sim', health: 'disabled', since: 0, reason: 'disabled in config' });
    }
    return [...all.values()];
  }

  /**
   * Live readings of one device for the technician: raw frames from streaming devices and the
   * progress of any measurement on it. Returns the function that stops them.
   */
  watch(device: DeviceName, listener: (reading: DeviceReading) => void): () => void {
    let set = this.watchers.get(device);
    if (!set) this.watchers.set(device, (set = new Set()));
    set.add(listener);
    const stopFrames = this.tracked.get(device)?.entry.device.watchReadings?.((r) => listener({ device, at: this.clock.now(), ...r }));
    return () => {
      set.delete(listener);
      stopFrames?.();
    };
  }

  async measure<K extends MeasurementKind>(kind: K, options: MeasureOptions = {}): Promise<Measurement<K>> {
    const name = measurementDevice[kind];
    const t = this.tracked.get(name);
    if (!t || !t.entry.device.measure) throw new StationError('DEVICE_MISSING', `no ${name} device is configured`);
    if (t.busy) throw new StationError('DEVICE_BUSY', `${name} is busy with another measurement`, { transient: true });
    t.busy = true;
    try {
      if (t.status.health === 'missing') {
        // One immediate attempt: the resident is waiting, the backoff timer may be long.
        await this.probe(name);
        if ((t.status.health as string) === 'missing') {
          throw new StationError('DEVICE_MISSING', `${name} is not connected${t.status.reason ? `: ${t.status.reason}` : ''}`, { transient: true });
        }
      }
      let m: Measurement;
      const watchers = this.watchers.get(name);
      const onProgress: MeasureOptions['onProgress'] = (p) => {
        options.onProgress?.(p);
        for (const w of watchers ?? []) {
          w({
            device: name,
            at: this.clock.now(),
            phase: p.phase,
            ...(p.cuffPressure === undefined ? {} : { cuffPressure: p.cuffPressure }),
            ...(p.liveValue === undefined ? {} : { value: p.liveValue }),
          });
        }
      };
      try {
        m = await t.entry.device.measure({ ...options, onProgress });
      } catch (err) {
        this.onMeasureError(name, t, err);
        throw err;
      }
      if (m.kind !== kind) throw new StationError('INTERNAL', `${name} returned a ${m.kind} reading for ${kind}`);
      const why = implausibility(m);
      if (why) {
        t.failures++;
        t.degradedByHub = true;
        this.setHealth(t, 'degraded', `implausible reading refused: ${why}`);
        throw new StationError('DEVICE_IMPLAUSIBLE', `${ErrorsVi.implausible} (${why})`, { transient: true, details: { reason: why } });
      }
      t.failures = 0;
      t.degradedByHub = false;
      if (t.status.health !== 'ok') this.setHealth(t, 'ok');
      return m as Measurement<K>;
    } finally {
      t.busy = false;
    }
  }

  /** Prints through the configured printer, so its failures show in the printer's health. */
  async print(lines: ReceiptLine[]): Promise<void> {
    const t = this.tracked.get('printer');
    const printer = t?.entry.device as (StationDevice & Partial<ReceiptPrinter>) | undefined;
    if (!t || !printer?.print) throw new StationError('DEVICE_MISSING', 'no receipt printer is configured');
    try {
      await printer.print(lines);
    } catch (err) {
      this.onMeasureError('printer', t, err);
      throw err;
    }
  }

  private onMeasureError(name: DeviceName, t: Tracked, err: unknown): void {
    if (isStationError(err, 'DEVICE_MISSING')) {
      this.setHealth(t, 'missing', err.message);
      this.scheduleRecovery(name);
    } else if (isStationError(err, 'DEVICE_TIMEOUT')) {
      t.failures++;
      t.degradedByHub = true;
      this.setHealth(t, 'degraded', err.message);
    }
  }

  private onReport(name: DeviceName, report: DeviceHealthReport): void {
    const t = this.tracked.get(name);
    if (!t || !this.running) return;
    this.setHealth(t, report.health, report.reason, report.detail);
    if (report.health === 'missing') this.scheduleRecovery(name);
  }

  private async probe(name: DeviceName): Promise<void> {
    const t = this.tracked.get(name);
    if (!t) return;
    try {
      const detail = await this.bounded(t.entry.device.probe(), this.options.probeTimeoutMs ?? 5000, `${name} probe`);
      t.backoffMs = this.options.backoffInitialMs ?? 1000;
      // A probe can report its own degraded state (paper out) through onHealthChange; keep it.
      if (t.status.health === 'starting' || t.status.health === 'missing' || (t.status.health === 'degraded' && t.degradedByHub)) {
        t.degradedByHub = false;
        this.setHealth(t, 'ok', undefined, detail);
      } else {
        t.status.detail = { ...t.status.detail, ...detail };
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.setHealth(t, 'missing', message);
      this.scheduleRecovery(name);
    }
  }

  private scheduleRecovery(name: DeviceName): void {
    const t = this.tracked.get(name);
    if (!t || !this.running || t.timer) return;
    const delay = t.backoffMs;
    t.backoffMs = Math.min(delay * 2, this.options.backoffMaxMs ?? 30_000);
    t.timer = this.clock.setTimeout(() => {
      t.timer = undefined;
      if (!this.running || t.status.health !== 'missing' || t.busy) {
        if (this.running && t.status.health === 'missing') this.scheduleRecovery(name);
        return;
      }
      void this.probe(name);
    }, delay);
  }

  private setHealth(t: Tracked, health: DeviceStatus['health'], reason?: string, detail?: Record<string, unknown>): void {
    const changed = t.status.health !== health || t.status.reason !== reason;
    t.status = {
      name: t.status.name,
      mode: t.status.mode,
      health,
      since: changed ? this.clock.now() : t.status.since,
      ...(reason ? { reason } : {}),
      detail: { ...t.status.detail, ...detail, failures: t.failures },
    };
    if (changed) {
      this.log.info({ device: t.status.name, health, reason }, 'device health');
      this.emitStatus(t);
    }
  }

  private setStatus(name: DeviceName, mode: 'real' | 'sim', health: DeviceStatus['health'], reason: string): void {
    this.events.emit('status', { name, mode, health, reason, since: this.clock.now() });
  }

  private emitStatus(t: Tracked): void {
    this.events.emit('status', { ...t.status });
  }

  private bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => reject(new StationError('DEVICE_TIMEOUT', `${what} took longer than ${ms} ms`, { transient: true })), ms);
      p.then(
        (v) => {
          this.clock.clearTimeout(timer);
          resolve(v);
        },
        (e) => {
          this.clock.clearTimeout(timer);
          reject(e);
        },
      );
    });
  }
}

const ErrorsVi = {
  implausible: 'Kết quả đo không hợp lý, vui lòng đo lại / The reading is implausible, please measure again',
};
