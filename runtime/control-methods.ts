/**
 * The one typed map of control-socket methods: name → params and result. The daemon registers a
 * handler per method (runtime/control-socket.ts); `station status` and the technician UI call them
 * through runtime/control-client.ts. Pushed notifications are listed in {@link ControlEvents}.
 */
import type { ComponentReport } from './lifecycle.js';
import type { ConfigProblem } from './config.js';
import type { DeviceStatus } from '../drivers/types.js';

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
}

export interface LogLine {
  level: string;
  time: string;
  component?: string;
  msg: string;
  [key: string]: unknown;
}

export interface ControlMethods {
  status: { params: Record<string, never>; result: StatusReport };
  devices: { params: Record<string, never>; result: DeviceStatus[] };
  outbox: { params: Record<string, never>; result: OutboxReport };
  'config.get': { params: Record<string, never>; result: { file: string; config: unknown } };
  'config.validate': { params: { config: unknown }; result: { valid: boolean; problems: ConfigProblem[] } };
  'maintenance.set': { params: { on: boolean; reason?: string }; result: { on: boolean; reason?: string } };
  /** Recent log lines (already redacted). */
  'logs.tail': { params: { lines?: number; level?: string; component?: string }; result: LogLine[] };
  /** Pushes `log` events until the connection closes. */
  'logs.subscribe': { params: { level?: string; component?: string }; result: { subscribed: true } };
}

export type ControlMethod = keyof ControlMethods;
export type ParamsOf<M extends ControlMethod> = ControlMethods[M]['params'];
export type ResultOf<M extends ControlMethod> = ControlMethods[M]['result'];

/** Notifications pushed to subscribed clients: `{event, data}` lines. */
export interface ControlEvents {
  log: LogLine;
}

export interface ControlRequest {
  id: string | number;
  method: string;
  params?: unknown;
}
