/**
 * The station application: builds every component from what the composition root hands it
 * (config, clock, logger, device transports) and wires them together. It reads no environment and
 * touches no hardware itself, so tests build a whole station in-process with simulated devices.
 *
 * Each component starts once what it needs runs (stop is the reverse of the start order):
 * - data directory → devices (probes) → technician actions (also after the central link);
 * - data directory, embedded broker → central simulator → central link (journal, MQTT, outbox,
 *   RPC, commands) → analytics, payments;
 * - data directory → flow session → display, voice; the session's records, lookups and payments
 *   wait for the central link and payments when first used (`lifecycle.running`);
 * - the central link → health telemetry; the data directory → control socket; the event-loop
 *   monitor at once.
 * The journal is required; devices, the display and the simulator are optional and reported when
 * they fail.
 */
import { mkdir } from 'node:fs/promises';
import type { Clock } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';
import { resolveDataPath, type StationConfig } from '../config/config.js';
import { Lifecycle } from '../kernel/lifecycle.js';
import { ControlSocket } from '../control/server.js';
import type { StatusReport } from '../control/methods.js';
import { EventLoopMonitor } from '../platform/event-loop-monitor.js';
import type { LogBuffer } from '../platform/log-buffer.js';
import type { CentralLink } from '../link/central-link.js';
import type { RealTransports, StationDevices } from '../../drivers/station-devices.js';
import { StationAnalytics, analyticsTuning, type AnalyticsConfig } from '../analytics/station-analytics.js';
import type { FlowService } from '../flows/service.js';
import { StationHealthReporter } from '../platform/station-health.js';
import type { InstallPaths } from '../platform/install-paths.js';
import { AuditTrail } from '../technician/audit-trail.js';
import { EmergencyButtonTest } from '../technician/emergency-button-drill.js';
import { BirthAnnouncer } from './birth.js';
import { StartedParts, StationAlerts, type StationContext } from './context.js';
import { registerControlHandlers } from './control-handlers.js';
import { devicesComponent, technicianActionsComponent } from './devices-component.js';
import { displayComponent, flowSessionComponent, voiceComponent } from './flow-components.js';
import { centralLinkComponent, centralSimComponent, embeddedBrokerComponent, paymentsComponent, type CentralSimStarter } from './link-components.js';
import { StationMaintenance } from './maintenance.js';
import { stationHealthy, stationStatus } from './status.js';
import { StationConfigChanges, factoryOnly } from './config-change.js';
import type { LayeredConfig } from '../config/layers.js';
import type { TimeTrust } from '../platform/time-trust.js';

export type { CentralSimStarter } from './link-components.js';

export interface StationDeps {
  config: StationConfig;
  /** The factory file the config came from, for `config.get`. */
  configFile: string;
  /** The layers `config` was merged from (runtime/config/layers.ts); default: the factory file alone. */
  layered?: LayeredConfig;
  clock: Clock;
  logger: Logger;
  logBuffer: LogBuffer;
  version: string;
  /** Where the station is installed (runtime/platform/install-paths.ts). */
  paths: InstallPaths;
  /** Real transports for devices whose mode is `real`; none in simulation. */
  transports: RealTransports;
  /** Output phase of the free-running simulated devices (drivers/serial-gpio-devices.ts); default 0. */
  simStreamPhase?: () => number;
  /** Needed only when `centralSim.enabled`. */
  startCentralSim?: CentralSimStarter;
  /** Whether the wall clock is plausible (a board without a clock chip before time sync). */
  timeTrust?: TimeTrust;
  /** Central's `restart` command: the composition root stops the station and exits for systemd to start it again. */
  requestRestart?: () => void;
}

export interface Station {
  readonly lifecycle: Lifecycle;
  readonly control: ControlSocket;
  readonly socketPath: string;
  /** Built at start; simulated hardware handles for drills and tests. */
  devices(): StationDevices | undefined;
  flows(): FlowService;
  link(): CentralLink;
  /** The embedded broker's URL when one runs. */
  brokerUrl(): string | undefined;
  displayUrl(): string | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): StatusReport;
  /** Healthy: every required component runs and the event loop is not stalled. */
  healthy(): boolean;
}

export function createStation(deps: StationDeps): Station {
  const { config, clock, logger } = deps;
  const log = (component: string) => logger.child({ component });
  const dataDir = config.dataDir;
  const socketPath = resolveDataPath(dataDir, config.control.socketPath);
  const lifecycle = new Lifecycle(clock, log('lifecycle'), { stopTimeoutMs: config.lifecycle.stopTimeoutMs });
  const parts = new StartedParts();
  const maintenance = new StationMaintenance(logger);
  const announcer = new BirthAnnouncer({ clock, logger, version: deps.version, parts, maintenance });
  const records = { record: (...args: Parameters<CentralLink['record']>) => parts.centralLink().record(...args) };
  const analytics = new StationAnalytics({ clock, logger: log('analytics'), records, dataDir, stationId: config.station.id, stationName: config.station.name, ...analyticsTuning(config.analytics as AnalyticsConfig | undefined) });
  // A refused desired document is counted with every other refused inbound message (runtime/link/inbound-refusals.ts).
  const refused = (topic: string, reason: string) => parts.link?.refusals.count(topic, reason);
  const configChanges = new StationConfigChanges({ config, layered: deps.layered ?? factoryOnly(config, deps.configFile), clock, logger, parts, refused });
  const ctx: StationContext = {
    config, configFile: deps.configFile, configChanges, clock, logger, log, logBuffer: deps.logBuffer, version: deps.version, paths: deps.paths, dataDir,
    startedAt: clock.now(), lifecycle, parts, alerts: new StationAlerts(), maintenance, announcer, analytics,
    loop: new EventLoopMonitor(clock),
    ...(deps.requestRestart ? { requestRestart: deps.requestRestart } : {}),
    ...(deps.timeTrust ? { timeTrust: deps.timeTrust } : {}),
  };
  // A technician's test of the physical button captures its next press instead of raising the alert.
  const emergencyTest = new EmergencyButtonTest({
    clock, logger: log('emergency-test'), audit: records, maintenance: () => maintenance.on, signals: () => parts.devices?.indicators,
  });
  maintenance.onChange((on) => parts.flows?.setMaintenance(on));
  maintenance.onChange((on) => emergencyTest.maintenanceChanged(on));
  maintenance.onChange(() => announcer.announceSoon('the maintenance change'));

  const embeddedEnabled = config.mqtt.embeddedBroker.enabled;
  const simEnabled = config.centralSim.enabled;
  const control = new ControlSocket({ path: socketPath, mode: config.control.mode, maxLineBytes: config.control.maxLineBytes, logger: log('control') });

  // Each component names what must run before it (runtime/kernel/lifecycle.ts), so the device probes, the
  // central link and the flow session start together. The parts the devices do not need are loaded
  // with import() in their own start, while the first device frames are awaited.
  lifecycle.add({
    name: 'data-dir',
    start: async () => {
      await mkdir(dataDir, { recursive: true, mode: 0o750 });
    },
    stop: async () => undefined,
  });
  if (embeddedEnabled) lifecycle.add(embeddedBrokerComponent(ctx), { after: [] });
  if (simEnabled) lifecycle.add(centralSimComponent(ctx, deps.startCentralSim), { after: embeddedEnabled ? ['embedded-broker'] : [] });
  lifecycle.add(centralLinkComponent(ctx), { after: ['data-dir', ...(embeddedEnabled ? ['embedded-broker'] : []), ...(simEnabled ? ['central-sim'] : [])] });
  lifecycle.add(devicesComponent(ctx, { transports: deps.transports, emergencyTest, ...(deps.simStreamPhase ? { simStreamPhase: deps.simStreamPhase } : {}) }), { after: ['data-dir'] });
  lifecycle.add(technicianActionsComponent(ctx, control, emergencyTest), { after: ['devices', 'central-link'] });
  // Analytics sends the days that ended while the station was off, through the central link.
  lifecycle.add({ name: 'analytics', optional: true, start: () => analytics.start(), stop: () => analytics.stop() }, { after: ['central-link'] });
  if (config.payments.enabled) lifecycle.add(paymentsComponent(ctx), { after: ['central-link'] });
  lifecycle.add(flowSessionComponent(ctx), { after: ['data-dir'] });
  if (config.display.enabled) lifecycle.add(displayComponent(ctx), { after: ['flow-session'] });
  if (config.display.voice) lifecycle.add(voiceComponent(ctx), { after: ['flow-session'] });
  lifecycle.add(ctx.loop, { after: [] });
  lifecycle.add(control, { after: ['data-dir'] });
  const health = new StationHealthReporter({
    clock, logger: log('station-health'), intervalS: config.telemetry.intervalS, dataDir,
    sink: { telemetry: (device, payload) => parts.link?.telemetry(device, payload) },
    lagMs: () => ctx.loop.lagMs,
    outboxDepth: () => parts.link?.status().depth ?? 0,
    refusedInbound: () => parts.link?.refusals.report().total ?? 0,
  });
  lifecycle.add(health, { after: ['central-link'] });

  // Technician actions are journaled as audit records and reach central like any other record.
  registerControlHandlers(control, ctx, new AuditTrail(records, clock, log('audit')));

  return {
    lifecycle,
    control,
    socketPath,
    devices: () => parts.devices,
    flows: () => parts.flowService(),
    link: () => parts.centralLink(),
    brokerUrl: () => parts.embedded?.url,
    displayUrl: () => parts.display?.url,
    start: async () => {
      await lifecycle.start();
      announcer.startAnnouncing();
      await announcer.announce().catch((err: unknown) => logger.warn({ component: 'station', err: (err as Error).message }, 'central not told of the started station yet; it hears it on reconnect'));
    },
    stop: () => {
      announcer.stopAnnouncing();
      return lifecycle.stop();
    },
    status: () => stationStatus(ctx),
    healthy: () => stationHealthy(ctx),
  };
}
