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
import type { Clock, TimerHandle } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';
import { resolveDataPath, validateConfig, type StationConfig } from '../config/config.js';
import { Lifecycle, type Component } from '../kernel/lifecycle.js';
import { ControlSocket } from '../control/server.js';
import type { LinkReport, OutboxReport, StationAlert, StatusReport } from '../control/methods.js';
import { EventLoopMonitor } from '../platform/event-loop-monitor.js';
import { isLogLevel, type LogBuffer } from '../platform/log-buffer.js';
import { StationError } from '../kernel/errors.js';
import type { EmbeddedBroker } from '../link/embedded-broker.js';
import type { CentralLink, CentralLinkOptions } from '../link/central-link.js';
import type { LinkAlert } from '../link/mqtt-link.js';
import { DeviceHub } from '../../drivers/device-hub.js';
import { createStationDevices, type RealTransports, type StationDevices } from '../../drivers/station-devices.js';
import { StationAnalytics, analyticsTuning, type AnalyticsConfig } from '../analytics/station-analytics.js';
import type { PaymentService } from '../services/payment.js';
import type { PaymentRunner } from '../flows/session.js';
import type { FlowService } from '../flows/service.js';
import type { DisplayServer } from '../display/server.js';
import { StationHealthReporter } from '../platform/station-health.js';
import { deviceNames, type MeasureService } from '../../drivers/types.js';
import { applyConfig } from '../config/apply.js';
import { outboxInspector, registerTechnicianActions } from '../technician/actions.js';
import { AuditTrail, audited, type AuditDetail } from '../technician/audit-trail.js';
import { EmergencyButtonTest } from '../technician/emergency-button-drill.js';
import type { ParamsOf } from '../control/methods.js';
import type { CccdScanner } from '../../drivers/cccd.js';
import { Hx711Scale } from '../../drivers/hx711-iio.js';
import type { ReceiptPrinter } from '../flows/ports.js';
import { formatCccdQr } from '../../drivers/cccd.js';

/** A development stand-in for central, started against the embedded broker (scripts/central-sim). */
export type CentralSimStarter = (options: { url: string; protocolVersion: 4 | 5; stationId: string; paymentDelayMs: number; clock: Clock; logger: Logger }) => Promise<{ stop(): Promise<void> }>;

export interface StationDeps {
  config: StationConfig;
  /** The file the config came from, for `config.get`. */
  configFile: string;
  clock: Clock;
  logger: Logger;
  logBuffer: LogBuffer;
  version: string;
  /** Real transports for devices whose mode is `real`; none in simulation. */
  transports: RealTransports;
  /** Output phase of the free-running simulated devices (drivers/serial-gpio-devices.ts); default 0. */
  simStreamPhase?: () => number;
  /** Needed only when `centralSim.enabled`. */
  startCentralSim?: CentralSimStarter;
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
  const { config, clock, logger, logBuffer } = deps;
  const log = (component: string) => logger.child({ component });
  const dataDir = config.dataDir;
  const socketPath = resolveDataPath(dataDir, config.control.socketPath);
  const lifecycle = new Lifecycle(clock, log('lifecycle'), { stopTimeoutMs: config.lifecycle.stopTimeoutMs });
  const startedAt = clock.now();
  const maintenance: { on: boolean; reason?: string } = { on: false };
  const alerts: StationAlert[] = [];
  const raise = (alert: StationAlert) => {
    alerts.unshift(alert);
    alerts.length = Math.min(alerts.length, 50);
  };

  const embeddedEnabled = config.mqtt.embeddedBroker.enabled;
  let embedded: EmbeddedBroker | undefined;
  // aedes speaks only MQTT 3.1.1; external brokers get the configured level.
  const protocolVersion: 4 | 5 = embeddedEnabled ? 4 : config.mqtt.protocolVersion;
  const brokerUrl = () => (embedded ? embedded.url : config.mqtt.url);

  let hub: DeviceHub | undefined;
  let devices: StationDevices | undefined;
  let display: DisplayServer | undefined;
  let flows: FlowService | undefined;
  // A technician's test of the physical button captures its next press instead of raising the alert.
  const emergencyTest = new EmergencyButtonTest({
    clock, logger: log('emergency-test'), audit: { record: (k, p, o) => link().record(k, p, o) },
    maintenance: () => maintenance.on, signals: () => devices?.indicators,
  });
  const flowService = (): FlowService => {
    if (!flows) throw new StationError('NOT_RUNNING', 'the flow session has not started');
    return flows;
  };

  const tls = config.mqtt.tls
    ? { caFile: resolveDataPath(dataDir, config.mqtt.tls.ca), certFile: resolveDataPath(dataDir, config.mqtt.tls.cert), keyFile: resolveDataPath(dataDir, config.mqtt.tls.key) }
    : null;
  const security = config.security;
  let linkHolder: CentralLink | undefined;
  /** The retained birth: versions, each device and its health, the flow versions, capabilities. */
  const birth = () => ({
    versions: { station: deps.version, node: process.versions.node },
    devices: (hub?.statuses() ?? []).map((d) => ({ id: d.name, kind: d.name, mode: d.mode, state: d.health })),
    flows: Object.entries(flows?.versions()?.flows ?? {}).map(([id, version]) => ({ id, version: String(version) })),
    capabilities: ['rpc-envelope', 'receipts', 'signed-commands', 'fhir-r4'],
  });
  const centralLinkOptions = (box: CentralLinkOptions['box']): CentralLinkOptions => ({
    stationId: config.station.id,
    dataDir,
    clock,
    logger,
    box,
    mqtt: {
      url: brokerUrl(),
      protocolVersion,
      tls,
      sessionExpirySec: config.mqtt.sessionExpiryS,
      keepaliveSec: config.mqtt.keepaliveS,
      reconnectMinMs: config.mqtt.reconnectMinMs,
      reconnectMaxMs: config.mqtt.reconnectMaxMs,
      statusState: () => (maintenance.on ? 'maintenance' : 'online'),
      birth,
    },
    journal: { maxBytes: config.journal.maxBytes, segmentBytes: config.journal.segmentBytes },
    outbox: {
      receiptTimeoutMs: config.journal.receiptTimeoutS * 1000,
      streamWindow: config.journal.streamWindow,
      telemetryCap: config.journal.telemetryCap,
      telemetryTtlMs: config.journal.telemetryTtlS * 1000,
    },
    commandKeys: security.commandKeys,
    commandHandlers: {
      maintenance: async (args) => {
        if (typeof args.on !== 'boolean') throw new StationError('CMD_REJECTED', 'args.on must be true or false');
        setMaintenance(args.on, typeof args.reason === 'string' ? args.reason : undefined);
        return { on: maintenance.on };
      },
      selftest: async () => ({ healthy: healthy(), devices: hub?.statuses() ?? [], components: lifecycle.reports() }),
      logs: async (args) => {
        const lines = typeof args.lines === 'number' && Number.isInteger(args.lines) ? Math.min(Math.max(args.lines, 1), 5000) : 200;
        return { lines: logBuffer.tail(lines) };
      },
      rebirth: async () => {
        await announce();
        return { bootSeq: link().bootSeq };
      },
      restart: async () => {
        if (!deps.requestRestart) throw new StationError('CMD_REJECTED', 'this station cannot restart itself');
        // Answer first; the restart begins once the answer is on its way.
        clock.setTimeout(() => deps.requestRestart?.(), 500);
        return { restarting: true };
      },
      config: async (args) => applyConfigChange(args.config),
      flows: async (args) => {
        const files = args.files;
        if (!Array.isArray(files) || !files.every((f) => typeof f?.name === 'string' && typeof f?.text === 'string')) {
          throw new StationError('CMD_REJECTED', 'args.files must be a list of {name, text}');
        }
        const result = await flowService().applyBundle(files as { name: string; text: string }[]);
        if (!result.ok) throw new StationError('FLOW_INVALID', result.problems.map((p) => `${p.file} ${p.path || '/'}: ${p.reason}`).join('\n'));
        await announce();
        return result;
      },
      analytics: async () => ({ sent: await analytics.sendNow() }),
    },
  });

  const link = (): CentralLink => {
    if (!linkHolder) throw new StationError('NOT_RUNNING', 'the central link has not started');
    return linkHolder;
  };

  // A device's health change (unplugged, paper out, back again) reaches central in the retained
  // birth once it has held for a second: a replug or a loose cable changes it several times, and
  // the hub's reason updates alone change nothing central is told.
  let started = false;
  let announcedHealth = '';
  let healthTimer: TimerHandle | undefined;
  const deviceHealth = () => (hub?.statuses() ?? []).map((d) => `${d.name}:${d.health}`).join(' ');
  const deviceHealthChanged = () => {
    if (!started) return;
    clock.clearTimeout(healthTimer);
    healthTimer = clock.setTimeout(() => {
      healthTimer = undefined;
      if (deviceHealth() === announcedHealth) return;
      void announce().catch((err: unknown) => logger.warn({ component: 'station', err: (err as Error).message }, 'central not told of the device change yet; it hears it on reconnect'));
    }, 1000);
  };

  const setMaintenance = (on: boolean, reason?: string) => {
    maintenance.on = on;
    if (on && reason) maintenance.reason = reason;
    else delete maintenance.reason;
    flows?.setMaintenance(on);
    emergencyTest.maintenanceChanged(on);
    logger.info({ component: 'station', maintenance: on }, 'maintenance mode changed');
    void announce().catch((err: unknown) => logger.warn({ component: 'station', err: (err as Error).message }, 'central not told of the maintenance change yet; it hears it on reconnect'));
  };

  /**
   * Tells central the retained birth and status again: once the start is complete (the link
   * usually connects while the devices are still probing and the flows loading, and its birth
   * then lists them as starting), after a new flow bundle, a device's health change, a maintenance
   * change, or when asked.
   */
  const announce = async (): Promise<void> => {
    const mqtt = linkHolder?.link;
    if (!mqtt || mqtt.info().state !== 'connected') return;
    const at = clock.now();
    const bootSeq = linkHolder!.bootSeq;
    announcedHealth = deviceHealth();
    await mqtt.publish('birth', {}, { ...birth(), bootSeq, at });
    await mqtt.publish('status', {}, { state: maintenance.on ? 'maintenance' : 'online', bootSeq, at });
  };

  const applyConfigChange = (candidate: unknown) =>
    applyConfig({
      file: deps.configFile,
      current: config,
      candidate,
      applyLive: (pointer, value) => {
        if (pointer === '/logging/level' && typeof value === 'string') {
          logger.level = value;
          return true;
        }
        return false;
      },
    });

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

  if (embeddedEnabled) {
    lifecycle.add({
      name: 'embedded-broker',
      start: async () => {
        // Loaded only when configured: a production station never carries the development broker.
        const { EmbeddedBroker } = await import('../link/embedded-broker.js');
        embedded = new EmbeddedBroker({ host: config.mqtt.embeddedBroker.host, port: config.mqtt.embeddedBroker.port, logger: log('embedded-broker') });
        await embedded.start();
      },
      stop: async () => embedded?.stop(),
    }, { after: [] });
  }

  if (config.centralSim.enabled) {
    let sim: { stop(): Promise<void> } | undefined;
    lifecycle.add({
      name: 'central-sim',
      optional: true,
      start: async () => {
        if (!deps.startCentralSim) throw new StationError('COMPONENT_START_FAILED', 'the central simulator is not available in this build');
        sim = await deps.startCentralSim({ url: brokerUrl(), protocolVersion, stationId: config.station.id, paymentDelayMs: config.centralSim.paymentDelayMs, clock, logger: log('central-sim') });
      },
      stop: async () => sim?.stop(),
    }, { after: embeddedEnabled ? ['embedded-broker'] : [] });
  }

  lifecycle.add({
    name: 'central-link',
    start: async () => {
      const [{ CentralLink }, { loadJournalBox }] = await Promise.all([import('../link/central-link.js'), import('../link/provisioning.js')]);
      const box = await loadJournalBox(resolveDataPath(dataDir, security.provisioningFile), security.generateProvisioning);
      linkHolder = new CentralLink(centralLinkOptions(box));
      linkHolder.events.on('alert', linkHolder, (a: LinkAlert) => raise({ code: a.code, message: a.message, at: a.at, severity: 'warning' }));
      linkHolder.events.on('state', linkHolder, (s) => {
        flows?.setLinkOnline(s.state === 'connected');
        if (s.state === 'connected') logger.info({ component: 'mqtt-link', url: s.url, protocolVersion: s.protocolVersion }, 'link connected');
      });
      await linkHolder.start();
    },
    stop: async () => {
      if (!linkHolder) return;
      linkHolder.events.offOwner(linkHolder);
      await linkHolder.stop();
    },
  }, { after: ['data-dir', ...(embeddedEnabled ? ['embedded-broker'] : []), ...(config.centralSim.enabled ? ['central-sim'] : [])] });

  lifecycle.add({
    name: 'devices',
    start: async () => {
      devices = await createStationDevices(config, { clock, logger, transports: deps.transports, ...(deps.simStreamPhase ? { simStreamPhase: deps.simStreamPhase } : {}) });
      hub = new DeviceHub(devices.entries, clock, log('device-hub'), { disabled: devices.disabled });
      hub.events.on('key', hub, (key) => flows?.input({ type: 'key', key }));
      hub.events.on('emergency', hub, (press) => {
        if (!emergencyTest.capture(press)) flows?.input({ type: 'emergency' });
      });
      // Only the technician's test hears a release: it never reaches the resident flows.
      hub.events.on('emergencyReleased', hub, (release) => emergencyTest.released(release));
      hub.events.on('scan', hub, (identity) => flows?.input({ type: 'scan', text: formatCccdQr(identity) }));
      hub.events.on('scanRejected', hub, () => flows?.input({ type: 'scan', text: '' }));
      hub.events.on('status', hub, (s) => {
        if (s.health === 'missing' || s.health === 'degraded') raise({ code: `DEVICE_${s.health.toUpperCase()}`, message: `${s.name}: ${s.reason ?? s.health}`, at: s.since, severity: 'warning' });
        deviceHealthChanged();
      });
      // The indicators load johnny-five while the probes wait for the first device frames.
      await Promise.all([hub.start(), devices.indicators?.start()]);
    },
    stop: async () => {
      await devices?.indicators?.stop();
      if (hub) {
        hub.events.offOwner(hub);
        await hub.stop();
      }
      devices?.io?.close();
    },
  }, { after: ['data-dir'] });

  lifecycle.add({
    name: 'technician-actions',
    start: async () => {
      if (!devices || !hub) throw new StationError('NOT_RUNNING', 'devices did not start');
      const scale = devices.entries.scale?.device;
      const centralLink = link();
      registerTechnicianActions(control, {
        clock,
        logger: log('technician'),
        audit: centralLink,
        exportDir: dataDir,
        stationId: config.station.id,
        measure: hub,
        printer: hub,
        readings: hub,
        ...(devices.indicators ? { signals: devices.indicators } : {}),
        ...(devices.entries.cccdScanner ? { scanner: devices.entries.cccdScanner.device as CccdScanner } : {}),
        ...(scale instanceof Hx711Scale ? { scale } : {}),
        ...(centralLink.journal && centralLink.outbox ? { outbox: outboxInspector(centralLink.journal, centralLink.outbox) } : {}),
        ...(devices.entries.keypad ? { emergencyTest } : {}),
      });
    },
    stop: async () => emergencyTest.stop(),
  }, { after: ['devices', 'central-link'] });

  const analytics = new StationAnalytics({ clock, logger: log('analytics'), records: { record: (k, p, o) => link().record(k, p, o) }, dataDir, stationId: config.station.id, ...analyticsTuning(config.analytics as AnalyticsConfig | undefined) });
  // Analytics sends the days that ended while the station was off, through the central link.
  lifecycle.add({ name: 'analytics', optional: true, start: () => analytics.start(), stop: () => analytics.stop() }, { after: ['central-link'] });

  const paymentsConfig = config.payments;
  let payments: PaymentService | undefined;
  if (paymentsConfig.enabled) {
    lifecycle.add({
      name: 'payments',
      optional: true,
      start: async () => {
        if (!paymentsConfig.bankBin || !paymentsConfig.account) throw new StationError('CONFIG_INVALID', 'payments.bankBin and payments.account are required when payments are enabled');
        const { PaymentService, openPaymentLedger } = await import('../services/payment.js');
        payments = new PaymentService({
          clock, logger: log('payments'), records: link(), rpc: link(), ledger: await openPaymentLedger(dataDir, log('payments')),
          stationId: config.station.id, bankBin: paymentsConfig.bankBin, account: paymentsConfig.account, cardService: paymentsConfig.cardService,
          timeoutMs: paymentsConfig.timeoutS * 1000, pollIntervalMs: paymentsConfig.pollIntervalS * 1000, reconcileIntervalMs: paymentsConfig.reconcileIntervalS * 1000,
          ...(paymentsConfig.reconcileWindowS ? { reconcileWindowMs: paymentsConfig.reconcileWindowS * 1000 } : {}),
        });
        await payments.start();
      },
      stop: async () => payments?.stop(),
    }, { after: ['central-link'] });
  }

  lifecycle.add({
    name: 'flow-session',
    start: async () => {
      const [{ FlowService }, { paymentRunnerFor }] = await Promise.all([import('../flows/service.js'), import('../flows/session.js')]);
      const service = new FlowService({
        config,
        clock,
        logger: log('session'),
        measure: { measure: (kind, options) => (hub ?? missingDevices).measure(kind, options) },
        // The session starts alongside the central link; what it sends waits for the link's start.
        rpc: {
          call: async (service, params, options) => {
            await lifecycle.running('central-link');
            return link().call(service, params, options);
          },
        },
        records: {
          record: async (kind, payload, options) => {
            await lifecycle.running('central-link');
            return link().record(kind, payload, options);
          },
        },
        printer: { print: (lines) => (hub ?? missingDevices).print(lines) },
        analytics,
        ...(paymentsConfig.enabled
          ? {
              payments: {
                pay: async (request, options) => {
                  await lifecycle.running('payments').catch(() => undefined);
                  if (!payments) throw new StationError('PAYMENT_FAILED', 'payments did not start on this station');
                  return paymentRunnerFor(payments).pay(request, options);
                },
              } satisfies PaymentRunner,
            }
          : {}),
        hooks: {
          onInterruptedMeasurement: (kind) => {
            logger.warn({ component: 'session', kind }, 'a measurement was interrupted by a restart; the device was left safe at start');
          },
        },
      });
      flows = service;
      await service.start();
      service.setMaintenance(maintenance.on);
      service.setLinkOnline(linkHolder?.link?.info().state === 'connected');
    },
    stop: async () => flows?.stop(),
  }, { after: ['data-dir'] });

  if (config.display.enabled) {
    lifecycle.add({
      name: 'display',
      optional: true,
      start: async () => {
        const { DisplayServer } = await import('../display/server.js');
        display = new DisplayServer({ host: config.display.host, port: config.display.port, feed: flowService(), input: flowService(), logger: log('display'), clock });
        await display.start();
      },
      stop: async () => display?.stop(),
    }, { after: ['flow-session'] });
  }

  if (config.display.voice) {
    let voice: { stop(): Promise<void> } | undefined;
    lifecycle.add({
      name: 'voice',
      optional: true,
      start: async () => {
        const { VoicePrompts, spawnSpeech } = await import('../display/voice.js');
        const prompts = new VoicePrompts({ feed: flowService(), spawn: spawnSpeech, logger: log('voice'), enabled: true });
        await prompts.start();
        voice = prompts;
      },
      stop: async () => voice?.stop(),
    }, { after: ['flow-session'] });
  }

  const loop = new EventLoopMonitor(clock);
  const control = new ControlSocket({ path: socketPath, mode: config.control.mode, maxLineBytes: config.control.maxLineBytes, logger: log('control') });
  lifecycle.add(loop, { after: [] });
  lifecycle.add(control, { after: ['data-dir'] });
  const health = new StationHealthReporter({
    clock, logger: log('station-health'), intervalS: config.telemetry.intervalS, dataDir,
    sink: { telemetry: (device, payload) => linkHolder?.telemetry(device, payload) },
    lagMs: () => loop.lagMs,
    outboxDepth: () => linkHolder?.status().depth ?? 0,
  });
  lifecycle.add(health, { after: ['central-link'] });

  const linkReport = (): LinkReport => {
    if (!linkHolder?.link) return { state: 'stopped', url: brokerUrl() };
    const info = linkHolder.status().link;
    return {
      state: info.state,
      url: info.url,
      protocolVersion: info.protocolVersion,
      ...(info.connectedSince !== null ? { since: info.connectedSince } : {}),
      ...(info.lastError ? { lastError: info.lastError } : {}),
    };
  };
  const outboxReport = (): OutboxReport => {
    if (!linkHolder?.outbox) return { depth: 0, oldestAgeS: null, flagged: 0, telemetryDropped: 0 };
    const s = linkHolder.status();
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
  };

  const healthy = (): boolean =>
    lifecycle.reports().every((r) => r.optional || r.state === 'running') && loop.lagMs < config.lifecycle.watchdogLagMs;

  const status = (): StatusReport => {
    let sessionsToday: number | undefined;
    try {
      sessionsToday = analytics.summary({ range: 'today' }).totals.sessions;
    } catch {
      sessionsToday = undefined;
    }
    return {
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
      ...(display ? { display: { url: display.url } } : {}),
      ...(sessionsToday !== undefined ? { sessionsToday } : {}),
      alerts: [...alerts],
    };
  };

  control.handle('status', () => status());
  control.handle('devices', () => hub?.statuses() ?? deviceNames.filter((n) => config.devices[n]).map((name) => ({ name, mode: config.devices[name]!.mode, health: 'starting' as const, since: startedAt })));
  control.handle('outbox', () => outboxReport());
  control.handle('config.get', () => ({ file: deps.configFile, config }));
  control.handle('config.validate', (params) => {
    if (!params || !('config' in params)) throw new StationError('CONTROL_BAD_PARAMS', 'params.config is required');
    const result = validateConfig(params.config);
    return result.ok ? { valid: true, problems: [] } : { valid: false, problems: result.problems };
  });
  // Technician actions are journaled as audit records and reach central like any other record.
  const trail = new AuditTrail({ record: (k, p, o) => link().record(k, p, o) }, clock, log('audit'));
  control.handle(
    'maintenance.set',
    audited(trail, 'maintenance.set', (params: ParamsOf<'maintenance.set'>) => {
      if (typeof params.on !== 'boolean') throw new StationError('CONTROL_BAD_PARAMS', 'params.on must be true or false');
      if (params.reason !== undefined && typeof params.reason !== 'string') throw new StationError('CONTROL_BAD_PARAMS', 'params.reason must be a string');
      setMaintenance(params.on, params.reason);
      return { ...maintenance };
    }, (p) => ({ on: p.on === true })),
  );
  control.handle(
    'config.apply',
    audited(trail, 'config.apply', async (params: ParamsOf<'config.apply'>) => {
      if (!params || !('config' in params)) throw new StationError('CONTROL_BAD_PARAMS', 'params.config is required');
      const result = await applyConfigChange(params.config);
      return { applied: result.applied, restartRequired: result.restartRequired, live: result.live };
    }, (_p, r): AuditDetail => (r ? { applied: r.applied, restartRequired: r.restartRequired.length } : {})),
  );
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
  control.handle('analytics.summary', (params) => analytics.summary(params));

  return {
    lifecycle,
    control,
    socketPath,
    devices: () => devices,
    flows: flowService,
    link,
    brokerUrl: () => embedded?.url,
    displayUrl: () => display?.url,
    start: async () => {
      await lifecycle.start();
      started = true;
      await announce().catch((err: unknown) => logger.warn({ component: 'station', err: (err as Error).message }, 'central not told of the started station yet; it hears it on reconnect'));
    },
    stop: () => {
      started = false;
      clock.clearTimeout(healthTimer);
      return lifecycle.stop();
    },
    status,
    healthy,
  };
}

/** Stands in for the hub when the devices component failed: every measurement and print says the device is missing. */
const missingDevices: MeasureService & ReceiptPrinter = {
  measure: () => Promise.reject(new StationError('DEVICE_MISSING')),
  print: () => Promise.reject(new StationError('DEVICE_MISSING')),
};
