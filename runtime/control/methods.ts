/**
 * The one typed map of control-socket methods: name → params and result. The daemon registers a
 * handler per method (runtime/control/server.ts); `station status` and the technician UI call them
 * through runtime/control/client.ts. Pushed notifications are listed in {@link ControlEvents}.
 */
import type { ComponentReport } from '../kernel/lifecycle.js';
import type { DeviceReading, ScaleCalibration } from '../../drivers/types.js';
import type { ConfigProblem } from '../config/config.js';
import type { DeviceName, DeviceStatus } from '../../drivers/types.js';
import type { AnalyticsSummary } from '../analytics/station-analytics.js';

export interface LinkReport {
  state: 'connecting' | 'connected' | 'offline' | 'stopped' | 'disabled';
  url: string;
  /** MQTT protocol level agreed with the broker: 4 (3.1.1) or 5. */
  protocolVersion?: number;
  /** Clock ms of the last state change. */
  since?: number;
  lastError?: string;
}

export interface OutboxReport {
  /** Records waiting for delivery or central's receipt. */
  depth: number;
  /** Age in seconds of the oldest record not yet released, or null when empty. */
  oldestAgeS: number | null;
  /** Records held back by a broker refusal (not authorized, quota exceeded…). */
  flagged: number;
  /** Telemetry dropped oldest-first because of the cap or TTL. */
  telemetryDropped: number;
  [key: string]: unknown;
}

export interface StatusReport {
  stationId: string;
  version: string;
  pid: number;
  startedAt: string;
  uptimeS: number;
  components: ComponentReport[];
  link: LinkReport;
  outbox: OutboxReport;
  eventLoopLagMs: number;
  maintenance: { on: boolean; reason?: string };
  healthy: boolean;
  display?: { url: string };
  /** Resident sessions started since local midnight (the technician dashboard shows it). */
  sessionsToday?: number;
  /** Open problems for the technician, newest first (link refusals, journal nearly full, device lost). */
  alerts?: StationAlert[];
}

export interface StationAlert {
  /** A stable code (the error catalogue or a link alert code). */
  code: string;
  message: string;
  /** Clock ms when raised. */
  at: number;
  severity?: 'warning' | 'critical';
}

export interface LogLine {
  level: string;
  time: string;
  component?: string;
  msg: string;
  [key: string]: unknown;
}

/** Technician actions name who did them; the audit record carries it (the UI sends the login name). */
export interface TechnicianParams {
  operator?: string;
}

/** Device tests the technician UI offers; each device accepts the ones that make sense for it. */
export type DeviceTestAction = 'measure' | 'print-test' | 'beep' | 'blink' | 'read-cccd';

export interface DeviceTestResult {
  device: DeviceName;
  action: DeviceTestAction;
  /** One line for the technician; a CCCD is masked, health values are shown but never logged. */
  summary: string;
  values?: Record<string, string | number>;
}



/** A journal record as the technician sees it: never its body. */
export interface JournalEntrySummary {
  eventId: string;
  kind: string;
  recordedAt: number;
  personal: boolean;
  state: 'waiting' | 'flagged';
  /** Broker refusal (MQTT v5 reason code) when flagged. */
  reasonCode?: number;
  refusals?: number;
  retryAt?: number;
}

/** How an emergency button test ended: a press, or no press because of the window, a cancel, maintenance off. */
export type EmergencyButtonTestEnd = 'pressed' | 'window-ended' | 'cancelled' | 'maintenance-off';

/**
 * The physical emergency button test (runtime/technician/emergency-button-drill.ts): `armed` with the seconds
 * left, or how the last test ended (`idle` when none ran since the station started).
 */
export interface EmergencyButtonTestReport {
  state: 'idle' | 'armed' | 'pressed' | 'not-pressed';
  windowS?: number;
  /** Clock ms when the test was armed. */
  armedAt?: number;
  /** Armed: whole seconds until the window closes. */
  secondsLeft?: number;
  /** Pressed: clock ms of the debounced press, and how long after arming it came. */
  pressedAt?: number;
  afterMs?: number;
  /**
   * Pressed: absent while the test waits for the button to open again (at most
   * `emergencyTestReleaseWaitMs` after the press); true once it did, false when it was still down
   * at the end of that wait (latched head not twisted free, or a stuck contact).
   */
  released?: boolean;
  /** Released: how long the contact stayed closed, debounced edge to edge. */
  heldMs?: number;
  ended?: EmergencyButtonTestEnd;
}

export interface ControlMethods {
  status: { params: Record<string, never>; result: StatusReport };
  devices: { params: Record<string, never>; result: DeviceStatus[] };
  outbox: { params: Record<string, never>; result: OutboxReport };
  'config.get': { params: Record<string, never>; result: { file: string; config: unknown } };
  'config.validate': { params: { config: unknown }; result: { valid: boolean; problems: ConfigProblem[] } };
  /** Validates, writes the config file durably and applies what can be applied live; lists the JSON pointers that need a restart. */
  'config.apply': { params: { config: unknown; operator?: string }; result: { applied: boolean; restartRequired: string[]; live: string[] } };
  'maintenance.set': { params: { on: boolean; reason?: string }; result: { on: boolean; reason?: string } };
  /** Recent log lines (already redacted). */
  'logs.tail': { params: { lines?: number; level?: string; component?: string }; result: LogLine[] };
  /** Pushes `log` events until the connection closes. */
  'logs.subscribe': { params: { level?: string; component?: string }; result: { subscribed: true } };
  /** Today's or this week's usage figures (the technician UI's analytics view). */
  'analytics.summary': { params: { range?: 'today' | 'week' }; result: AnalyticsSummary };
  /** Runs one test on a device (runtime/technician/actions.ts); audited. */
  'devices.test': { params: TechnicianParams & { device: DeviceName; action: DeviceTestAction }; result: DeviceTestResult };
  /** Scale: `tare` takes the empty reading as zero; `span` with a known weight on it sets the factor. Persisted; audited. */
  'devices.calibrate': {
    params: TechnicianParams & ({ device: 'scale'; step: 'tare' } | { device: 'scale'; step: 'span'; knownKg: number });
    result: ScaleCalibration;
  };
  /** Pushes `device.reading` events for one device until unsubscribed or the connection closes. */
  'devices.reading.subscribe': { params: { device: DeviceName }; result: { subscribed: true } };
  'devices.reading.unsubscribe': { params: { device: DeviceName }; result: { subscribed: false } };
  /** Records not yet released by central's receipt, newest first. */
  'journal.list': { params: { filter?: 'all' | 'flagged'; limit?: number }; result: { total: number; records: JournalEntrySummary[] } };
  /** Sends flagged records again now (all flagged ones when `eventIds` is absent); audited. */
  'journal.retry': { params: TechnicianParams & { eventIds?: string[] }; result: { retried: number } };
  /** Writes the waiting records, bodies redacted, to a file in the data directory; audited. */
  'journal.export': { params: TechnicianParams; result: { file: string; records: number } };
  /**
   * Maintenance only: for `windowS` seconds (default 30, 5-120) the next press of the physical
   * emergency button is captured and reported instead of raising the alert; audited, and so is the result.
   */
  'emergency.test.arm': { params: TechnicianParams & { windowS?: number }; result: EmergencyButtonTestReport };
  /** Disarms an armed emergency button test (the result says cancelled); audited. */
  'emergency.test.cancel': { params: TechnicianParams; result: EmergencyButtonTestReport };
  /** The armed emergency button test with its seconds left, or how the last one ended. */
  'emergency.test.status': { params: Record<string, never>; result: EmergencyButtonTestReport };
  /** Audits an action taken in the technician UI itself (opening the board shell). */
  'audit.record': { params: TechnicianParams & { action: string; detail?: Record<string, string | number | boolean> }; result: { eventId: string } };
}

export type ControlMethod = keyof ControlMethods;
export type ParamsOf<M extends ControlMethod> = ControlMethods[M]['params'];
export type ResultOf<M extends ControlMethod> = ControlMethods[M]['result'];

/** Notifications pushed to subscribed clients: `{event, data}` lines. */
export interface ControlEvents {
  log: LogLine;
  'device.reading': DeviceReading;
  /** To the client that armed an emergency button test: each change until it ends. */
  'emergency.test': EmergencyButtonTestReport;
}

export interface ControlRequest {
  id: string | number;
  method: string;
  params?: unknown;
}

export type { DeviceReading, ScaleCalibration };
/** The device vocabulary the technician UI needs: it imports nothing of drivers/ but through here. */
export { deviceNames } from '../../drivers/types.js';
export type { DeviceHealth, DeviceName, DeviceStatus } from '../../drivers/types.js';
/** Types of the daemon's answers the technician UI reads; it imports them from here, never from their rooms. */
export type { AnalyticsSummary, SummaryRange } from '../analytics/station-analytics.js';
export type { ConfigProblem } from '../config/config.js';
export type { Envelope } from '../flows/ports.js';
