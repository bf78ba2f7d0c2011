/** The station's status as `station status`, the TUI and central's self-test see it. */
import type { LinkReport, OutboxReport, StatusReport } from '../control/methods.js';
import type { StationContext } from './context.js';

/** The embedded broker's URL when one runs, else the configured one. */
export function brokerUrl(ctx: Pick<StationContext, 'parts' | 'config'>): string {
  return ctx.parts.embedded ? ctx.parts.embedded.url : ctx.config.mqtt.url;
}

export function linkReport(ctx: StationContext): LinkReport {
  const link = ctx.parts.link;
  if (!link?.link) return { state: 'stopped', url: brokerUrl(ctx) };
  const { link: info, refused } = link.status();
  return {
    state: info.state,
    url: info.url,
    protocolVersion: info.protocolVersion,
    ...(info.connectedSince !== null ? { since: info.connectedSince } : {}),
    ...(info.lastError ? { lastError: info.lastError } : {}),
    refused,
  };
}

export function outboxReport(ctx: StationContext): OutboxReport {
  const link = ctx.parts.link;
  if (!link?.outbox) return { depth: 0, oldestAgeS: null, flagged: 0, telemetryDropped: 0 };
  const s = link.status();
  return {
    depth: s.depth,
    oldestAgeS: s.oldestAgeMs === null ? null : Math.round(s.oldestAgeMs / 1000),
    flagged: s.flagged.length,
    telemetryDropped: s.telemetry.droppedCap + s.telemetry.droppedExpired + s.telemetry.droppedUnsent,
    awaitingReceipt: s.awaitingReceipt,
    resends: s.resends,
    flaggedRecords: s.flagged,
    journal: s.journal,
    bootSeq: s.bootSeq,
  };
}

/** Healthy: every required component runs and the event loop is not stalled. */
export function stationHealthy(ctx: StationContext): boolean {
  return ctx.lifecycle.reports().every((r) => r.optional || r.state === 'running') && ctx.loop.lagMs < ctx.config.lifecycle.watchdogLagMs;
}

export function stationStatus(ctx: StationContext): StatusReport {
  let sessionsToday: number | undefined;
  try {
    sessionsToday = ctx.analytics.summary({ range: 'today' }).totals.sessions;
  } catch {
    sessionsToday = undefined;
  }
  const { clock, startedAt, parts } = ctx;
  return {
    stationId: ctx.config.station.id,
    version: ctx.version,
    pid: process.pid,
    startedAt: new Date(startedAt).toISOString(),
    uptimeS: Math.round((clock.now() - startedAt) / 1000),
    components: ctx.lifecycle.reports(),
    link: linkReport(ctx),
    outbox: outboxReport(ctx),
    eventLoopLagMs: ctx.loop.lagMs,
    maintenance: ctx.maintenance.report(),
    healthy: stationHealthy(ctx),
    ...(parts.display ? { display: { url: parts.display.url } } : {}),
    ...(sessionsToday !== undefined ? { sessionsToday } : {}),
    alerts: [...ctx.alerts.list],
    ...(ctx.timeTrust ? { time: ctx.timeTrust.status() } : {}),
  };
}
