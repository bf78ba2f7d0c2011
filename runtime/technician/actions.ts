/**
 * What a technician can do to a running station through the control socket: test each device,
 * calibrate the scale, watch live readings, inspect, retry and export the outbox, and leave an audit
 * trail. Every action ends in an `audit` record in the journal (so central receives it through the
 * outbox like any business record); an audit record never holds personal data or health values.
 *
 * The handlers take small ports, not the components themselves, so the composition root adapts the
 * device hub, the outbox and the document store to them and tests pass fakes.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';
import { maskCccd, redactedPaths } from '../kernel/logger.js';
import { StationError } from '../kernel/errors.js';
import type { ReceiptPrinter, RecordSink } from '../flows/ports.js';
import type { ControlContext } from '../control/server.js';
import type {
  ControlMethods, DeviceReading, DeviceTestAction, DeviceTestResult, JournalEntrySummary, ScaleCalibration,
} from '../control/methods.js';
import type { DeviceName, Measurement, MeasurementKind, MeasureService } from '../../drivers/types.js';
import { emergencyTestSettled, type EmergencyButtonTest } from './emergency-button-drill.js';
import { AuditTrail, audited, type AuditDetail } from './audit-trail.js';
import { deviceNames } from '../../drivers/types.js';

/** The keypad board's buzzer and status LED. */
export interface SignalPort {
  beep(ms: number): Promise<void>;
  blink(ms: number): Promise<void>;
}

/** The CCCD scanner: resolves with the next QR line scanned (`ID|oldID|name|…`). */
export interface ScanPort {
  nextScan(signal: AbortSignal): Promise<string>;
}

/** The scale as calibration sees it. */
export interface ScaleCalibrationPort {
  /** One stable, uncalibrated reading: HX711 counts through IIO, or the serial indicator's kg. */
  readStableRaw(signal: AbortSignal): Promise<number>;
  /** The calibration in force, if any. */
  current(): ScaleCalibration | undefined;
  /** Persists (durable document write) and applies the calibration; resolves once both are done. */
  save(calibration: ScaleCalibration): Promise<void>;
}

/** Live readings of a device while someone watches: the function returned stops them. */
export interface LiveReadingSource {
  watch(device: DeviceName, listener: (reading: DeviceReading) => void): () => void;
}

/** A record waiting in the outbox, with its body for the redacted export. */
export interface WaitingRecord extends JournalEntrySummary {
  body: Record<string, unknown>;
}

/** The outbox as the technician sees it. */
export interface OutboxInspector {
  /** Records not released by central's receipt, oldest first, flags included. */
  waiting(): WaitingRecord[];
  /** Clears the back-off of flagged records (all when `eventIds` is undefined) and drains; returns how many. */
  retryFlagged(eventIds?: string[]): number;
}

/**
 * The OutboxInspector from the journal (bodies, ages) and the outbox (flags). The outbox must offer
 * `retryFlagged`: clear the refusal back-off of those records and drain now.
 */
export function outboxInspector(
  journal: { unreleased(): { eventId: string; kind: string; recordedAt: number; personal: boolean; body: Record<string, unknown> }[] },
  outbox: {
    status(): { flagged: { eventId: string; reasonCode: number; refusals: number; retryAt: number }[] };
    retryFlagged(eventIds?: string[]): number;
  },
): OutboxInspector {
  return {
    waiting: () => {
      const flags = new Map(outbox.status().flagged.map((f) => [f.eventId, f]));
      return journal.unreleased().map((r) => {
        const flag = flags.get(r.eventId);
        const entry: WaitingRecord = { eventId: r.eventId, kind: r.kind, recordedAt: r.recordedAt, personal: r.personal, state: flag ? 'flagged' : 'waiting', body: r.body };
        if (flag) Object.assign(entry, { reasonCode: flag.reasonCode, refusals: flag.refusals, retryAt: flag.retryAt });
        return entry;
      });
    },
    retryFlagged: (eventIds) => outbox.retryFlagged(eventIds),
  };
}

export interface TechnicianServices {
  clock: Clock;
  logger: Logger;
  /** Where audit records go: the outbox (journal first, then central). */
  audit: RecordSink;
  measure?: MeasureService;
  printer?: ReceiptPrinter;
  signals?: SignalPort;
  scanner?: ScanPort;
  scale?: ScaleCalibrationPort;
  readings?: LiveReadingSource;
  outbox?: OutboxInspector;
  /** The physical emergency button's test interceptor; absent when the station has no keypad board. */
  emergencyTest?: EmergencyButtonTest;
  /** Where `journal.export` writes; the data directory. */
  exportDir: string;
  stationId: string;
  /** Default: measure 120 s, CCCD scan 30 s, others 15 s. */
  timeoutsMs?: Partial<Record<DeviceTestAction | 'calibrate', number>>;
  /** Coalesce pushed readings to at most one per device per this many ms. Default 100. */
  readingIntervalMs?: number;
}

type Handler<M extends keyof ControlMethods> = (
  params: ControlMethods[M]['params'],
  context: ControlContext,
) => Promise<ControlMethods[M]['result']> | ControlMethods[M]['result'];

export type TechnicianHandlers = { [M in TechnicianMethod]: Handler<M> };
export type TechnicianMethod =
  | 'devices.test' | 'devices.calibrate' | 'devices.reading.subscribe' | 'devices.reading.unsubscribe'
  | 'journal.list' | 'journal.retry' | 'journal.export' | 'audit.record'
  | 'emergency.test.arm' | 'emergency.test.cancel' | 'emergency.test.status';

const measureKindOf: Partial<Record<DeviceName, MeasurementKind>> = {
  spo2: 'spo2', bloodPressure: 'bloodPressure', scale: 'weight', height: 'height', thermometer: 'temperature',
};

/** Which tests each device offers; the UI shows the same table. */
export const deviceTests: Record<DeviceName, DeviceTestAction[]> = {
  spo2: ['measure'],
  bloodPressure: ['measure'],
  scale: ['measure'],
  height: ['measure'],
  thermometer: ['measure'],
  cccdScanner: ['read-cccd'],
  printer: ['print-test'],
  keypad: ['beep', 'blink'],
  idChip: [],
};

/** A reading in plain words for the technician's screen (never logged, never audited). */
export function describeMeasurement(m: Measurement): { summary: string; values: Record<string, number> } {
  const v = m.values as unknown as Record<string, number>;
  switch (m.kind) {
    case 'bloodPressure':
      return { summary: `${v.systolic}/${v.diastolic} mmHg (MAP ${v.map}), pulse ${v.pulse}/min`, values: v };
    case 'spo2':
      return { summary: `SpO2 ${v.spo2} %, pulse ${v.heartRate}/min, PI ${v.perfusionIndex} %`, values: v };
    case 'weight':
      return { summary: `${v.weightKg!.toFixed(2)} kg`, values: v };
    case 'height':
      return { summary: `${v.heightCm!.toFixed(1)} cm`, values: v };
    case 'temperature':
      return { summary: `${v.celsius!.toFixed(1)} °C`, values: v };
  }
}

/** The CCCD number from a QR line, masked; rejects a line that does not start with 12 digits. */
export function maskedCccdOf(qr: string): string {
  const id = qr.split('|')[0]?.trim() ?? '';
  if (!/^\d{12}$/.test(id)) throw new StationError('CCCD_INVALID', 'the scanned code is not a CCCD (no 12-digit number first)');
  return maskCccd(id);
}

/**
 * Scale calibration from two stable readings: empty (`zeroRaw`) and with `knownKg` on it.
 * Rejects a span so small that the factor would amplify noise (under 1 % of the zero reading's
 * magnitude plus one count), which is what a forgotten weight or a stuck load cell looks like.
 */
export function spanCalibration(zeroRaw: number, loadedRaw: number, knownKg: number, at: number): ScaleCalibration {
  const span = loadedRaw - zeroRaw;
  if (!(Math.abs(span) > Math.abs(zeroRaw) * 0.01 + 1e-9) || Math.abs(span) < 1e-6) {
    throw new StationError('DEVICE_IMPLAUSIBLE', `the reading did not change with ${knownKg} kg on the scale (raw ${zeroRaw} → ${loadedRaw}); is the weight on it?`);
  }
  const kgPerCount = knownKg / span;
  if (kgPerCount <= 0) throw new StationError('DEVICE_IMPLAUSIBLE', 'the reading went down with the weight on; check the load cell wiring');
  return { zeroRaw, kgPerCount, knownKg, calibratedAt: new Date(at).toISOString() };
}

const personalKeys = new Set(redactedPaths.filter((p) => !p.includes('.')).concat(redactedPaths.filter((p) => p.startsWith('*.')).map((p) => p.slice(2))));

/** A body with every key that may hold personal data or health values replaced, at any depth. */
export function redactBody(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactBody);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = personalKeys.has(k) ? '[redacted]' : redactBody(v);
  return out;
}

function bounded<T>(clock: Clock, ms: number, what: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = clock.setTimeout(() => controller.abort(new StationError('DEVICE_TIMEOUT', `${what} did not finish within ${ms / 1000} s`, { transient: true })), ms);
  return new Promise<T>((resolve, reject) => {
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
    run(controller.signal).then(resolve, reject);
  }).finally(() => clock.clearTimeout(timer));
}

function need<T>(port: T | undefined, device: string): T {
  if (!port) throw new StationError('DEVICE_MISSING', `${device} is not configured on this station`);
  return port;
}

function checkDevice(device: unknown): DeviceName {
  if (!(deviceNames as readonly unknown[]).includes(device)) {
    throw new StationError('CONTROL_BAD_PARAMS', `params.device must be one of ${deviceNames.join(', ')}`);
  }
  return device as DeviceName;
}

/** Builds the handlers of the technician methods; register each with `ControlSocket.handle`. */
export function createTechnicianHandlers(s: TechnicianServices): TechnicianHandlers {
  const trail = new AuditTrail(s.audit, s.clock, s.logger.child({ component: 'technician' }));
  const timeouts = { measure: 120_000, 'read-cccd': 30_000, 'print-test': 15_000, beep: 15_000, blink: 15_000, calibrate: 30_000, ...s.timeoutsMs };
  const busy = new Set<DeviceName>();
  const watching = new WeakMap<ControlContext, Map<DeviceName, () => void>>();
  const intervalMs = s.readingIntervalMs ?? 100;

  async function exclusive<T>(device: DeviceName, run: () => Promise<T>): Promise<T> {
    if (busy.has(device)) throw new StationError('DEVICE_BUSY', `${device} is busy with another test`, { transient: true });
    busy.add(device);
    try {
      return await run();
    } finally {
      busy.delete(device);
    }
  }

  async function runTest(device: DeviceName, action: DeviceTestAction, context: ControlContext): Promise<DeviceTestResult> {
    if (!deviceTests[device].includes(action)) {
      throw new StationError('CONTROL_BAD_PARAMS', `${device} offers ${deviceTests[device].join(', ')}, not ${action}`);
    }
    const ms = timeouts[action];
    switch (action) {
      case 'measure': {
        const measure = need(s.measure, device);
        const kind = measureKindOf[device]!;
        const m = await bounded(s.clock, ms, `the ${device} measurement`, (signal) =>
          measure.measure(kind, {
            signal,
            // Cuff pressure and finger state go to the technician who asked, as they happen.
            onProgress: (p) => context.push('device.reading', {
              device, at: s.clock.now(), phase: p.phase, cuffPressure: p.cuffPressure, value: p.liveValue,
            }),
          }));
        return { device, action, ...describeMeasurement(m) };
      }
      case 'print-test': {
        const printer = need(s.printer, device);
        const when = new Date(s.clock.now()).toISOString();
        await bounded(s.clock, ms, 'the test receipt', () => printer.print([
          { text: 'PHIẾU IN THỬ / TEST RECEIPT', bold: true, size: 2, align: 'center' },
          { text: `Trạm ${s.stationId}`, align: 'center' },
          { text: when, align: 'center' },
          // Every Vietnamese tone mark on one line shows whether the code page holds them.
          { text: 'Tiếng Việt: ắ ằ ẳ ẵ ặ ế ề ể ễ ệ ố ồ ổ ỗ ộ ứ ừ ử ữ ự đ Đ' },
          { text: '0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ' },
          { qr: `cds:test:${s.stationId}:${when}` },
        ]));
        return { device, action, summary: `test receipt sent to the printer at ${when}` };
      }
      case 'beep':
      case 'blink': {
        const signals = need(s.signals, device);
        await bounded(s.clock, ms, `the ${action}`, () => (action === 'beep' ? signals.beep(300) : signals.blink(2000)));
        return { device, action, summary: action === 'beep' ? 'buzzer sounded for 0.3 s' : 'status LED blinked for 2 s' };
      }
      case 'read-cccd': {
        const scanner = need(s.scanner, device);
        const qr = await bounded(s.clock, ms, 'the CCCD scan', (signal) => scanner.nextScan(signal));
        const masked = maskedCccdOf(qr);
        return { device, action, summary: `CCCD ${masked} read`, values: { cccd: masked } };
      }
    }
  }

  const handlers: TechnicianHandlers = {
    'devices.test': (params, context) => {
      const device = checkDevice(params.device);
      return audited(trail, 'device.test', () => exclusive(device, () => runTest(device, params.action, context)),
        () => ({ device, test: String(params.action) }))(params, context);
    },

    'devices.calibrate': (params, context) => {
      if (params.device !== 'scale') throw new StationError('CONTROL_BAD_PARAMS', 'only the scale is calibrated here');
      const step = params.step;
      if (step !== 'tare' && step !== 'span') throw new StationError('CONTROL_BAD_PARAMS', 'params.step must be tare or span');
      const knownKg = step === 'span' ? params.knownKg : undefined;
      if (step === 'span' && !(typeof knownKg === 'number' && knownKg > 0 && knownKg <= 300)) {
        throw new StationError('CONTROL_BAD_PARAMS', 'params.knownKg must be a weight in kg, above 0 and at most 300');
      }
      return audited(trail, `scale.${step}`, () => exclusive('scale', async () => {
        // Only a load cell read through IIO (HX711) is calibrated here; a serial indicator keeps its own.
        const scale = need(s.scale, 'scale calibration (HX711 load cell through IIO)');
        const raw = await bounded(s.clock, timeouts.calibrate, 'a stable scale reading', (signal) => scale.readStableRaw(signal));
        const now = s.clock.now();
        const current = scale.current();
        let next: ScaleCalibration;
        if (step === 'tare') {
          // Taring keeps the factor; a scale never spanned reads raw units (factor 1) until it is.
          next = { zeroRaw: raw, kgPerCount: current?.kgPerCount ?? 1, calibratedAt: new Date(now).toISOString() };
          if (current?.knownKg !== undefined) next.knownKg = current.knownKg;
        } else {
          if (!current) throw new StationError('CONTROL_BAD_PARAMS', 'tare the empty scale first, then put the known weight on it');
          next = spanCalibration(current.zeroRaw, raw, knownKg!, now);
        }
        await scale.save(next);
        return next;
      }), (_p, r): AuditDetail => (r ? { zeroRaw: r.zeroRaw, kgPerCount: r.kgPerCount, ...(knownKg ? { knownKg } : {}) } : {}))(params, context);
    },

    'devices.reading.subscribe': (params, context) => {
      const device = checkDevice(params.device);
      const source = need(s.readings, 'live readings');
      let byDevice = watching.get(context);
      if (!byDevice) {
        const created = new Map<DeviceName, () => void>();
        watching.set(context, (byDevice = created));
        context.onClose(() => {
          for (const stop of created.values()) stop();
          created.clear();
        });
      }
      if (byDevice.has(device)) return { subscribed: true as const };
      // PPG arrives at 25-100 samples/s: merge readings and push at most one line per interval.
      let pending: DeviceReading | undefined;
      let timer: ReturnType<Clock['setTimeout']> | undefined;
      const flush = () => {
        timer = undefined;
        if (pending) context.push('device.reading', pending);
        pending = undefined;
      };
      const stopWatch = source.watch(device, (reading) => {
        const ppg = pending?.ppg && reading.ppg ? [...pending.ppg, ...reading.ppg].slice(-256) : reading.ppg ?? pending?.ppg;
        pending = { ...pending, ...reading, ...(ppg ? { ppg } : {}) };
        if (!timer) timer = s.clock.setTimeout(flush, intervalMs);
      });
      byDevice.set(device, () => {
        stopWatch();
        s.clock.clearTimeout(timer);
        timer = undefined;
      });
      return { subscribed: true as const };
    },

    'devices.reading.unsubscribe': (params, context) => {
      const device = checkDevice(params.device);
      const byDevice = watching.get(context);
      byDevice?.get(device)?.();
      byDevice?.delete(device);
      return { subscribed: false as const };
    },

    'journal.list': (params) => {
      const outbox = need(s.outbox, 'the outbox');
      const limit = params.limit ?? 50;
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new StationError('CONTROL_BAD_PARAMS', 'params.limit must be an integer from 1 to 1000');
      const all = outbox.waiting().filter((r) => params.filter !== 'flagged' || r.state === 'flagged');
      const records = all.slice(-limit).reverse().map(({ body: _body, ...summary }) => summary);
      return { total: all.length, records };
    },

    'journal.retry': (params, context) => {
      if (params.eventIds !== undefined && !(Array.isArray(params.eventIds) && params.eventIds.every((e) => typeof e === 'string'))) {
        throw new StationError('CONTROL_BAD_PARAMS', 'params.eventIds must be a list of event ids');
      }
      return audited<ControlMethods['journal.retry']['params'], { retried: number }>(trail, 'journal.retry', () => ({ retried: need(s.outbox, 'the outbox').retryFlagged(params.eventIds) }),
        (p, r) => ({ requested: p.eventIds?.length ?? 'all', ...(r ? { retried: r.retried } : {}) }))(params, context);
    },

    'journal.export': (params, context) =>
      audited(trail, 'journal.export', async () => {
        const waiting = need(s.outbox, 'the outbox').waiting();
        const at = new Date(s.clock.now()).toISOString();
        const file = join(s.exportDir, `journal-export-${at.replace(/[:.]/g, '-')}.json`);
        const records = waiting.map((r) => ({
          ...r,
          // A personal record's body is left out whole: its remaining keys could still identify someone.
          body: r.personal ? '[personal: not exported]' : redactBody(r.body),
        }));
        await writeFile(file, `${JSON.stringify({ stationId: s.stationId, exportedAt: at, redacted: true, records }, null, 2)}\n`, { mode: 0o640 });
        return { file, records: records.length };
      }, (_p, r): AuditDetail => (r ? { records: r.records } : {}))(params, context),

    'emergency.test.arm': (params, context) =>
      audited(trail, 'emergency.test.arm', () => {
        const test = need(s.emergencyTest, 'the emergency button');
        const report = test.arm(params.windowS, params.operator);
        // The technician who armed it hears the press, its release (or that the button stayed down),
        // or why the test ended, as it happens.
        const stop = test.onChange((r) => {
          context.push('emergency.test', r);
          if (emergencyTestSettled(r)) stop();
        });
        context.onClose(stop);
        return report;
      }, (_p, r): AuditDetail => ({ windowS: r?.windowS ?? (typeof params.windowS === 'number' ? params.windowS : params.windowS === undefined ? 'default' : 'invalid') }))(params, context),

    'emergency.test.cancel': (params, context) =>
      audited(trail, 'emergency.test.cancel', () => need(s.emergencyTest, 'the emergency button').cancel(),
        (_p, r): AuditDetail => (r ? { state: r.state, ...(r.ended ? { ended: r.ended } : {}) } : {}))(params, context),

    'emergency.test.status': () => need(s.emergencyTest, 'the emergency button').report(),

    'audit.record': async (params) => {
      if (typeof params.action !== 'string' || !/^[a-z][a-z0-9.-]{1,63}$/.test(params.action)) {
        throw new StationError('CONTROL_BAD_PARAMS', 'params.action must be a short dotted name such as shell.open');
      }
      const detail: AuditDetail = {};
      for (const [k, v] of Object.entries(params.detail ?? {})) {
        if (personalKeys.has(k)) continue;
        if (typeof v === 'number' || typeof v === 'boolean') detail[k] = v;
        else if (typeof v === 'string') detail[k] = v.slice(0, 200);
      }
      return { eventId: await trail.record(`tui.${params.action}`, params.operator, 'ok', detail) };
    },
  };
  return handlers;
}

/** Registers every technician method on the control socket. */
export function registerTechnicianActions(
  control: { handle(method: string, handler: (params: unknown, context: ControlContext) => unknown): void },
  services: TechnicianServices,
): void {
  const handlers = createTechnicianHandlers(services);
  for (const [method, handler] of Object.entries(handlers)) control.handle(method, handler as (params: unknown, context: ControlContext) => unknown);
}
