/**
 * The station application: builds every component from what the composition root hands it
 * (config, clock, logger, device factories) and wires them together. It reads no environment and
 * touches no hardware itself, so tests build a whole station in-process with simulated devices.
 */
import { mkdir } from 'node:fs/promises';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import { resolveDataPath, validateConfig, type StationConfig } from './config.js';
import { Lifecycle, type Component } from './lifecycle.js';
import { ControlSocket } from './control-socket.js';
import type { LinkReport, OutboxReport, StatusReport } from './control-methods.js';
import { EventLoopMonitor } from './event-loop-monitor.js';
import { isLogLevel, type LogBuffer } from './log-buffer.js';
import { StationError } from './errors.js';

export interface StationDeps {
  config: StationConfig;
  /** The file the config came from, for `config.get`. */
  configFile: string;
  clock: Clock;
  logger: Logger;
  logBuffer: LogBuffer;
  version: string;
}

export interface Station {
  readonly lifecycle: Lifecycle;
  readonly control: ControlSocket;
  readonly socketPath: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): StatusReport;
  /** Healthy: every required component runs and the event loop is not stalled. */
  healthy(): boolean;
}

export function createStation(deps: StationDeps): Station {
  const { config, clock, logger, logBuffer } = deps;
  const dataDir = config.dataDir;
  const socketPath = resolveDataPath(dataDir, config.control.socketPath);
  const lifecycle = new Lifecycle(clock, logger.child({ component: 'lifecycle' }), { stopTimeoutMs: config.lifecycle.stopTimeoutMs });
  const startedAt = clock.now();
  const maintenance: { on: boolean; reason?: string } = { on: false };

  const dataDirComponent: Component = {
    name: 'data-dir',
    start: async () => {
      await mkdir(dataDir, { recursive: true, mode: 0o750 });
    },
    stop: async () => undefined,
  };

  const loop = new EventLoopMonitor(clock);
  const control = new ControlSocket({
    path: socketPath,
    mode: config.control.mode,
    maxLineBytes: config.control.maxLineBytes,
    logger: logger.child({ component: 'control' }),
  });

  lifecycle.add(dataDirComponent);
  lifecycle.add(loop);
  lifecycle.add(control);

  const linkReport = (): LinkReport => ({ state: 'disabled', url: config.mqtt.url });
  const outboxReport = (): OutboxReport => ({ depth: 0, oldestAgeS: null, flagged: 0, telemetryDropped: 0 });

  const healthy = (): boolean =>
    lifecycle.reports().every((r) => r.optional || r.state === 'running') && loop.lagMs < config.lifecycle.watchdogLagMs;

  const status = (): StatusReport => ({
    stationId: config.station.id,
    version: deps.version,
    pid: process.pid,
    startedAt: new Date(startedAt).toISOString(),
    uptimeS: Math.round((clock.now() - startedAt) / 1000),
    components: lifecycle.reports(),
    link: linkReport(),
    outbox: outboxReport(),
    eventLoopLagMs: loop.lagMs,
    maintenance: { ...maintenance },
    healthy: healthy(),
  });

  control.handle('status', () => status());
  control.handle('devices', () => []);
  control.handle('outbox', () => outboxReport());
  control.handle('config.get', () => ({ file: deps.configFile, config }));
  control.handle('config.validate', (params) => {
    if (!params || !('config' in params)) throw new StationError('CONTROL_BAD_PARAMS', 'params.config is required');
    const result = validateConfig(params.config);
    return result.ok ? { valid: true, problems: [] } : { valid: false, problems: result.problems };
  });
  control.handle('maintenance.set', (params) => {
    if (typeof params.on !== 'boolean') throw new StationError('CONTROL_BAD_PARAMS', 'params.on must be true or false');
    if (params.reason !== undefined && typeof params.reason !== 'string') throw new StationError('CONTROL_BAD_PARAMS', 'params.reason must be a string');
    maintenance.on = params.on;
    if (params.on && params.reason) maintenance.reason = params.reason;
    else delete maintenance.reason;
    logger.info({ component: 'station', maintenance: maintenance.on }, 'maintenance mode changed');
    return { ...maintenance };
  });
  control.handle('logs.tail', (params) => {
    const lines = params.lines ?? 100;
    if (!Number.isInteger(lines) || lines < 1 || lines > 10000) throw new StationError('CONTROL_BAD_PARAMS', 'params.lines must be an integer from 1 to 10000');
    if (params.level !== undefined && !isLogLevel(params.level)) throw new StationError('CONTROL_BAD_PARAMS', 'params.level must be a log level');
    return logBuffer.tail(lines, { level: params.level, component: params.component });
  });
  control.handle('logs.subscribe', (params, ctx) => {
    if (params.level !== undefined && !isLogLevel(params.level)) throw new StationError('CONTROL_BAD_PARAMS', 'params.level must be a log level');
    const unsubscribe = logBuffer.subscribe({ level: params.level, component: params.component }, (line) => ctx.push('log', line));
    ctx.onClose(unsubscribe);
    return { subscribed: true as const };
  });

  return {
    lifecycle,
    control,
    socketPath,
    start: () => lifecycle.start(),
    stop: () => lifecycle.stop(),
    status,
    healthy,
  };
}
