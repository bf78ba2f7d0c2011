/**
 * Central's side of the station: the development broker and central simulator when configured, the
 * central link (journal, MQTT, outbox, RPC, signed commands) and the payments that ride on it.
 */
import type { Clock } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';
import { StationError } from '../kernel/errors.js';
import type { Component } from '../kernel/lifecycle.js';
import { resolveDataPath } from '../config/config.js';
import type { CentralLinkOptions } from '../link/central-link.js';
import type { LinkAlert } from '../link/mqtt-link.js';
import type { StationContext } from './context.js';
import { centralCommandHandlers } from './command-handlers.js';
import { brokerUrl } from './status.js';

/** A development stand-in for central, started against the embedded broker (scripts/central-sim). */
export type CentralSimStarter = (options: { url: string; protocolVersion: 4 | 5; stationId: string; paymentDelayMs: number; clock: Clock; logger: Logger }) => Promise<{ stop(): Promise<void> }>;

/** aedes speaks only MQTT 3.1.1; external brokers get the configured level. */
export function linkProtocolVersion(ctx: Pick<StationContext, 'config'>): 4 | 5 {
  return ctx.config.mqtt.embeddedBroker.enabled ? 4 : ctx.config.mqtt.protocolVersion;
}

export function embeddedBrokerComponent(ctx: StationContext): Component {
  const { config, parts } = ctx;
  return {
    name: 'embedded-broker',
    start: async () => {
      // Loaded only when configured: a production station never carries the development broker.
      const { EmbeddedBroker } = await import('../link/embedded-broker.js');
      parts.embedded = new EmbeddedBroker({ host: config.mqtt.embeddedBroker.host, port: config.mqtt.embeddedBroker.port, logger: ctx.log('embedded-broker') });
      await parts.embedded.start();
    },
    stop: async () => parts.embedded?.stop(),
  };
}

export function centralSimComponent(ctx: StationContext, startCentralSim: CentralSimStarter | undefined): Component {
  let sim: { stop(): Promise<void> } | undefined;
  return {
    name: 'central-sim',
    optional: true,
    start: async () => {
      if (!startCentralSim) throw new StationError('COMPONENT_START_FAILED', 'the central simulator is not available in this build');
      sim = await startCentralSim({ url: brokerUrl(ctx), protocolVersion: linkProtocolVersion(ctx), stationId: ctx.config.station.id, paymentDelayMs: ctx.config.centralSim.paymentDelayMs, clock: ctx.clock, logger: ctx.log('central-sim') });
    },
    stop: async () => sim?.stop(),
  };
}

function centralLinkOptions(ctx: StationContext, box: CentralLinkOptions['box']): CentralLinkOptions {
  const { config, dataDir } = ctx;
  const tls = config.mqtt.tls
    ? { caFile: resolveDataPath(dataDir, config.mqtt.tls.ca), certFile: resolveDataPath(dataDir, config.mqtt.tls.cert), keyFile: resolveDataPath(dataDir, config.mqtt.tls.key) }
    : null;
  return {
    stationId: config.station.id,
    dataDir,
    clock: ctx.clock,
    logger: ctx.logger,
    box,
    mqtt: {
      url: brokerUrl(ctx),
      protocolVersion: linkProtocolVersion(ctx),
      tls,
      sessionExpirySec: config.mqtt.sessionExpiryS,
      keepaliveSec: config.mqtt.keepaliveS,
      reconnectMinMs: config.mqtt.reconnectMinMs,
      reconnectMaxMs: config.mqtt.reconnectMaxMs,
      statusState: () => ctx.announcer.statusState(),
      birth: () => ctx.announcer.birth(),
    },
    journal: { maxBytes: config.journal.maxBytes, segmentBytes: config.journal.segmentBytes },
    outbox: {
      receiptTimeoutMs: config.journal.receiptTimeoutS * 1000,
      streamWindow: config.journal.streamWindow,
      telemetryCap: config.journal.telemetryCap,
      telemetryTtlMs: config.journal.telemetryTtlS * 1000,
    },
    commandKeys: config.security.commandKeys,
    commandHandlers: centralCommandHandlers(ctx),
  };
}

export function centralLinkComponent(ctx: StationContext): Component {
  const { parts, config, dataDir } = ctx;
  return {
    name: 'central-link',
    start: async () => {
      const [{ CentralLink }, { loadJournalBox }] = await Promise.all([import('../link/central-link.js'), import('../link/provisioning.js')]);
      const box = await loadJournalBox(resolveDataPath(dataDir, config.security.provisioningFile), config.security.generateProvisioning);
      const link = new CentralLink(centralLinkOptions(ctx, box));
      parts.link = link;
      link.events.on('alert', link, (a: LinkAlert) => ctx.alerts.raise({ code: a.code, message: a.message, at: a.at, severity: 'warning' }));
      link.events.on('state', link, (s) => {
        parts.flows?.setLinkOnline(s.state === 'connected');
        if (s.state === 'connected') ctx.logger.info({ component: 'mqtt-link', url: s.url, protocolVersion: s.protocolVersion }, 'link connected');
      });
      await link.start();
    },
    stop: async () => {
      const link = parts.link;
      if (!link) return;
      link.events.offOwner(link);
      await link.stop();
    },
  };
}

export function paymentsComponent(ctx: StationContext): Component {
  const { parts, dataDir } = ctx;
  const payments = ctx.config.payments;
  return {
    name: 'payments',
    optional: true,
    start: async () => {
      if (!payments.bankBin || !payments.account) throw new StationError('CONFIG_INVALID', 'payments.bankBin and payments.account are required when payments are enabled');
      const [{ PaymentService }, { openPaymentLedger }] = await Promise.all([import('../services/payment.js'), import('../services/payment-ledger.js')]);
      const log = ctx.log('payments');
      parts.payments = new PaymentService({
        clock: ctx.clock, logger: log, records: parts.centralLink(), rpc: parts.centralLink(), ledger: await openPaymentLedger(dataDir, log),
        stationId: ctx.config.station.id, bankBin: payments.bankBin, account: payments.account, cardService: payments.cardService,
        timeoutMs: payments.timeoutS * 1000, pollIntervalMs: payments.pollIntervalS * 1000, reconcileIntervalMs: payments.reconcileIntervalS * 1000,
        ...(payments.reconcileWindowS ? { reconcileWindowMs: payments.reconcileWindowS * 1000 } : {}),
      });
      await parts.payments.start();
    },
    stop: async () => parts.payments?.stop(),
  };
}
