/**
 * A station daemon stand-in for the technician UI tests: the real ControlSocket and ControlClient,
 * the real technician handlers over fake devices and outbox, and small handlers for the daemon's own
 * methods with the real config validator and log buffer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { ControlSocket } from '../../runtime/control/server.js';
import { ControlClient } from '../../runtime/control/client.js';
import type { DeviceReading, ScaleCalibration, StatusReport } from '../../runtime/control/methods.js';
import { validateConfig } from '../../runtime/config/config.js';
import { LogBuffer } from '../../runtime/platform/log-buffer.js';
import type { RecordKind, RecordSink, ReceiptLine } from '../../runtime/flows/ports.js';
import { registerTechnicianActions, type WaitingRecord } from '../../runtime/technician/actions.js';
import { AuditTrail, audited } from '../../runtime/technician/audit-trail.js';
import { changedPaths } from '../../runtime/tui/format.js';
import type { DeviceName, DeviceStatus, Measurement, MeasurementKind, MeasureOptions } from '../../drivers/types.js';
import { analyticsSummary } from '../../runtime/analytics/station-analytics.js';
import type { DayAggregate } from '../../runtime/analytics/report/aggregate.js';
import { StationError } from '../../runtime/kernel/errors.js';
import { EmergencyButtonTest } from '../../runtime/technician/emergency-button-drill.js';
import { ManualClock } from './manual-clock.js';

export class MemorySink implements RecordSink {
  records: { kind: RecordKind; payload: Record<string, unknown> }[] = [];
  async record(kind: RecordKind, payload: Record<string, unknown>) {
    this.records.push({ kind, payload });
    return { eventId: `hcm-bt-dkc-01:1:${this.records.length}`, recordedAt: 0 };
  }
  actions(): string[] {
    return this.records.map((r) => `${String(r.payload.action)}:${String(r.payload.outcome)}:${String(r.payload.operator)}`);
  }
}

export interface FakeDaemon {
  socketPath: string;
  clock: ManualClock;
  sink: MemorySink;
  logs: LogBuffer;
  status: StatusReport;
  devices: DeviceStatus[];
  printed: ReceiptLine[][];
  retried: (string[] | undefined)[];
  calibration: ScaleCalibration | undefined;
  /**
   * What `analytics.summary` is computed from, with the real summary function; `failure` makes it
   * answer with that error instead.
   */
  analytics: { days: DayAggregate[]; lastSentDay: string | null; failure?: StationError };
  /** Emits a live reading as if the device hub had one. */
  emitReading(reading: DeviceReading): void;
  watchers(device: DeviceName): number;
  /** Lets the pending blood-pressure measurement finish. */
  finishMeasurement(): void;
  /** A press of the physical emergency button as the station routes it: true when a test captured it. */
  pressEmergencyButton(): boolean;
  /** The hub's `emergencyReleased` for that press, held `heldMs`: only the button test hears it. */
  releaseEmergencyButton(heldMs: number): void;
  client(): Promise<ControlClient>;
  /** Stops and restarts the control socket, as a daemon restart looks to a client. */
  stopControl(): Promise<void>;
  startControl(): Promise<void>;
  close(): Promise<void>;
}

const logger = pino({ level: 'silent' });

export const baseConfig = {
  version: 1,
  station: { id: 'hcm-bt-dkc-01', name: 'Trạm công dân số Đảo Kim Cương' },
  mqtt: { url: 'mqtts://broker.cds.hcmc.vn:8883' },
  telemetry: { intervalS: 60 },
};

export async function startFakeDaemon(): Promise<FakeDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'tui-'));
  const socketPath = join(dir, 'control.sock');
  const clock = new ManualClock();
  const sink = new MemorySink();
  const logs = new LogBuffer(500);
  const now = clock.now();
  const status: StatusReport = {
    stationId: 'hcm-bt-dkc-01', version: '0.1.0', pid: 4242, startedAt: new Date(now - 3_723_000).toISOString(), uptimeS: 3723,
    components: [{ name: 'control-socket', optional: false, state: 'running' }, { name: 'thermometer', optional: true, state: 'failed', error: 'no answer at 0x5a' }],
    link: { state: 'offline', url: 'mqtts://broker.cds.hcmc.vn:8883', since: now - 125_000, lastError: 'connect ECONNREFUSED' },
    outbox: { depth: 3, oldestAgeS: 125, flagged: 1, telemetryDropped: 0 },
    eventLoopLagMs: 3, maintenance: { on: false }, healthy: true, sessionsToday: 14,
    alerts: [{ code: 'LINK_OFFLINE', message: 'central unreachable', at: now - 120_000, severity: 'warning' }],
  };
  const devices: DeviceStatus[] = [
    { name: 'spo2', mode: 'sim', health: 'ok', since: now - 3_600_000 },
    { name: 'bloodPressure', mode: 'sim', health: 'ok', since: now - 3_600_000 },
    { name: 'scale', mode: 'sim', health: 'ok', since: now - 3_600_000 },
    { name: 'thermometer', mode: 'real', health: 'missing', reason: 'no answer at 0x5a', since: now - 60_000 },
    { name: 'printer', mode: 'sim', health: 'degraded', reason: 'paper low', since: now - 30_000 },
    { name: 'keypad', mode: 'sim', health: 'ok', since: now - 3_600_000 },
  ];
  const waiting: WaitingRecord[] = [
    { eventId: 'hcm-bt-dkc-01:1:7', kind: 'health-record', recordedAt: now - 125_000, personal: true, state: 'waiting', body: { cccd: '079123456745' } },
    { eventId: 'hcm-bt-dkc-01:1:8', kind: 'feedback', recordedAt: now - 60_000, personal: false, state: 'flagged', reasonCode: 0x97, refusals: 3, body: { rating: 4 } },
    { eventId: 'hcm-bt-dkc-01:1:9', kind: 'analytics', recordedAt: now - 5_000, personal: false, state: 'waiting', body: { service: 'bills' } },
  ];
  const listeners = new Map<DeviceName, Set<(r: DeviceReading) => void>>();
  let finish: (() => void) | undefined;
  const state = { calibration: undefined as ScaleCalibration | undefined, config: structuredClone(baseConfig) as unknown };
  const printed: ReceiptLine[][] = [];
  const retried: (string[] | undefined)[] = [];
  const analytics: FakeDaemon['analytics'] = { days: [], lastSentDay: null };

  const control = new ControlSocket({ path: socketPath, mode: '0600', maxLineBytes: 1 << 20, logger });
  const trail = new AuditTrail(sink, clock, logger);
  const emergencyTest = new EmergencyButtonTest({ clock, logger, audit: sink, maintenance: () => status.maintenance.on });
  control.handle('status', () => structuredClone(status));
  control.handle('devices', () => structuredClone(devices));
  control.handle('outbox', () => status.outbox);
  // Where each value came from, as the daemon's config layers say (runtime/config/layers.ts).
  const origins = { '/station/id': 'factory', '/station/site/building': 'site', '/telemetry/intervalS': 'desired', '/logging/level': 'technician', '/journal/maxBytes': 'default' };
  control.handle('config.get', () => ({ file: '/etc/citizen-station/station.json', config: state.config, origins, layers: [], reported: { version: 0, restartRequired: [], at: 0 }, refusals: {} }));
  control.handle('config.validate', (p) => {
    const r = validateConfig(p.config);
    return r.ok ? { valid: true, problems: [] } : { valid: false, problems: r.problems };
  });
  // The daemon's own apply: what the link reads at connect time needs a restart.
  control.handle('config.apply', audited(trail, 'config.apply', (p: unknown) => {
    const next = (p as { config: unknown }).config;
    const changed = changedPaths(state.config, next);
    state.config = next;
    return { applied: true, restartRequired: changed.filter((c) => c.startsWith('/mqtt/')) };
  }, (_p, r) => ({ restart: r ? r.restartRequired.length > 0 : false })));
  control.handle('maintenance.set', audited(trail, 'maintenance.set', (p: { on: boolean; reason?: string }) => {
    status.maintenance = p.on ? { on: true, ...(p.reason ? { reason: p.reason } : {}) } : { on: false };
    emergencyTest.maintenanceChanged(p.on);
    return status.maintenance;
  }, (p) => ({ on: p.on })));
  control.handle('analytics.summary', (p) => {
    if (analytics.failure) throw analytics.failure;
    return analyticsSummary(analytics.days, p.range ?? 'today', clock.now(), analytics.lastSentDay);
  });
  control.handle('logs.tail', (p) => logs.tail(p.lines ?? 100, { level: p.level, component: p.component }));
  control.handle('logs.subscribe', (p, ctx) => {
    ctx.onClose(logs.subscribe({ level: p.level, component: p.component }, (line) => ctx.push('log', line)));
    return { subscribed: true as const };
  });
  registerTechnicianActions(control, {
    clock, logger, audit: sink, exportDir: dir, stationId: 'hcm-bt-dkc-01',
    measure: {
      measure: async <K extends MeasurementKind>(kind: K, o?: MeasureOptions): Promise<Measurement<K>> => {
        o?.onProgress?.({ kind, phase: 'inflating', cuffPressure: 142 });
        await new Promise<void>((r) => (finish = r));
        return { kind, at: clock.now(), device: 'bloodPressure', values: { systolic: 118, diastolic: 76, map: 90, pulse: 72 } } as unknown as Measurement<K>;
      },
    },
    printer: { print: async (lines) => void printed.push(lines) },
    signals: { beep: async () => undefined, blink: async () => undefined },
    scanner: { nextScan: async () => '079123456745|025123456|Nguyễn Văn A|01011960|Nam|Q2|01012021' },
    scale: {
      readStableRaw: async () => (state.calibration ? 8_412 + 420_000 : 8_412),
      current: () => state.calibration,
      save: async (c) => void (state.calibration = c),
    },
    readings: {
      watch: (device, l) => {
        let set = listeners.get(device);
        if (!set) listeners.set(device, (set = new Set()));
        set.add(l);
        return () => set.delete(l);
      },
    },
    outbox: { waiting: () => waiting, retryFlagged: (ids) => (retried.push(ids), 1) },
    emergencyTest,
    readingIntervalMs: 100,
  });
  await control.start();
  const clients: ControlClient[] = [];
  return {
    socketPath, clock, sink, logs, status, devices, printed, retried, analytics,
    get calibration() {
      return state.calibration;
    },
    emitReading: (r) => {
      for (const l of listeners.get(r.device) ?? []) l(r);
    },
    watchers: (device) => listeners.get(device)?.size ?? 0,
    finishMeasurement: () => finish?.(),
    pressEmergencyButton: () => emergencyTest.capture({ at: clock.now() }),
    releaseEmergencyButton: (heldMs) => emergencyTest.released({ heldMs }),
    client: async () => {
      const c = new ControlClient(socketPath);
      await c.connect();
      clients.push(c);
      return c;
    },
    stopControl: () => control.stop(),
    startControl: () => control.start(),
    close: async () => {
      emergencyTest.stop();
      for (const c of clients) c.close();
      await control.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
