/**
 * The station's own control-socket methods (runtime/control/methods.ts): status, devices, outbox,
 * config, maintenance, logs, analytics. Technician device actions register in
 * runtime/technician/actions.ts. Changes a technician makes are audited.
 */
import { StationError } from '../kernel/errors.js';
import { validateConfig } from '../config/config.js';
import type { ControlSocket } from '../control/server.js';
import type { ParamsOf } from '../control/methods.js';
import { isLogLevel } from '../platform/log-buffer.js';
import { deviceNames } from '../../drivers/types.js';
import { audited, type AuditDetail, type AuditTrail } from '../technician/audit-trail.js';
import type { StationContext } from './context.js';
import { outboxReport, stationStatus } from './status.js';

export function registerControlHandlers(control: ControlSocket, ctx: StationContext, trail: AuditTrail): void {
  const { config, parts, logBuffer, maintenance } = ctx;
  control.handle('status', () => stationStatus(ctx));
  control.handle('devices', () => parts.hub?.statuses() ?? deviceNames.filter((n) => config.devices[n]).map((name) => ({ name, mode: config.devices[name]!.mode, health: 'starting' as const, since: ctx.startedAt })));
  control.handle('outbox', () => outboxReport(ctx));
  control.handle('config.get', () => {
    const { layers, origins } = ctx.configChanges.view();
    return { file: ctx.configFile, config, layers, origins, reported: ctx.configChanges.desired.current(), refusals: refusalsByTopicAndReason(ctx) };
  });
  control.handle('config.validate', (params) => {
    if (!params || !('config' in params)) throw new StationError('CONTROL_BAD_PARAMS', 'params.config is required');
    const result = validateConfig(params.config);
    return result.ok ? { valid: true, problems: [] } : { valid: false, problems: result.problems };
  });
  control.handle(
    'maintenance.set',
    audited(trail, 'maintenance.set', (params: ParamsOf<'maintenance.set'>) => {
      if (typeof params.on !== 'boolean') throw new StationError('CONTROL_BAD_PARAMS', 'params.on must be true or false');
      if (params.reason !== undefined && typeof params.reason !== 'string') throw new StationError('CONTROL_BAD_PARAMS', 'params.reason must be a string');
      maintenance.set(params.on, params.reason);
      return maintenance.report();
    }, (p) => ({ on: p.on === true })),
  );
  control.handle(
    'config.apply',
    audited(trail, 'config.apply', async (params: ParamsOf<'config.apply'>) => {
      if (!params || !('config' in params)) throw new StationError('CONTROL_BAD_PARAMS', 'params.config is required');
      const result = await ctx.configChanges.technician(params.config);
      return { applied: result.applied, restartRequired: result.restartRequired, live: result.live };
    }, (_p, r): AuditDetail => (r ? { applied: r.applied, restartRequired: r.restartRequired.length } : {})),
  );
  control.handle('logs.tail', (params) => {
    const lines = params.lines ?? 100;
    if (!Number.isInteger(lines) || lines < 1 || lines > 10000) throw new StationError('CONTROL_BAD_PARAMS', 'params.lines must be an integer from 1 to 10000');
    if (params.level !== undefined && !isLogLevel(params.level)) throw new StationError('CONTROL_BAD_PARAMS', 'params.level must be a log level');
    return logBuffer.tail(lines, { level: params.level, component: params.component });
  });
  control.handle('logs.subscribe', (params, ctxOfCall) => {
    if (params.level !== undefined && !isLogLevel(params.level)) throw new StationError('CONTROL_BAD_PARAMS', 'params.level must be a log level');
    const unsubscribe = logBuffer.subscribe({ level: params.level, component: params.component }, (line) => ctxOfCall.push('log', line));
    ctxOfCall.onClose(unsubscribe);
    return { subscribed: true as const };
  });
  control.handle('analytics.summary', (params) => ctx.analytics.summary(params));
}

/** The link's refused inbound messages as `topic reason` → count, for `config.get`. */
function refusalsByTopicAndReason(ctx: StationContext): Record<string, number> {
  const byTopic = ctx.parts.link?.refusals.report().byTopic ?? {};
  return Object.fromEntries(Object.entries(byTopic).flatMap(([topic, reasons]) => Object.entries(reasons).map(([reason, n]) => [`${topic} ${reason}`, n])));
}
