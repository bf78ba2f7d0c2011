/**
 * The resident side: the flow session (engine, records, lookups, payments), the display page and
 * the voice prompts. The session starts alongside the central link; what it sends waits for the
 * link's start (`lifecycle.running`).
 */
import { StationError } from '../kernel/errors.js';
import type { Component } from '../kernel/lifecycle.js';
import type { MeasureService, ReceiptPrinter } from '../../drivers/types.js';
import type { ChipReadService, PaymentRunner } from '../flows/session.js';
import { IdChipReader } from '../../drivers/id-chip/device.js';
import { ChipIdentityService, loadMasterList } from '../services/identity-chip.js';
import type { PaperService } from '../services/paper-desk.js';
import { resolveDataPath } from '../config/config.js';
import type { StationContext } from './context.js';

/** Stands in for the hub when the devices component failed: every measurement and print says the device is missing. */
const missingDevices: MeasureService & ReceiptPrinter = {
  measure: () => Promise.reject(new StationError('DEVICE_MISSING')),
  print: () => Promise.reject(new StationError('DEVICE_MISSING')),
};

/**
 * The chip CCCD reader for the identity steps, over the `idChip` device the hub probed. Every
 * passive authentication verdict goes to central as an audit record (masked number and reason only).
 */
function chipService(ctx: StationContext): ChipReadService {
  const { parts, config, clock, lifecycle } = ctx;
  const section = config.devices.idChip!;
  const masterList = section.masterList as string | undefined;
  let service: ChipIdentityService | undefined;
  return {
    identify: async (access, signal) => {
      const device = parts.devices?.entries.idChip?.device;
      if (!(device instanceof IdChipReader)) throw new StationError('DEVICE_MISSING', 'the chip reader did not start');
      service ??= new ChipIdentityService({
        port: device.port, clock, logger: ctx.log('identity-chip'),
        cscas: masterList ? loadMasterList(resolveDataPath(config.dataDir, masterList)) : [],
        readTimeoutMs: (section.readTimeoutMs as number | undefined) ?? 15_000,
        onVerdict: ({ result, cccdMasked }) => {
          if (result.ok) return;
          ctx.logger.warn({ component: 'identity-chip', cccdMasked, failure: result.failure, reason: result.reason }, 'chip CCCD refused by passive authentication');
          void lifecycle.running('central-link')
            .then(() => parts.centralLink().record('audit', { action: 'chip-passive-authentication', outcome: 'refused', cccdMasked, failure: result.failure, reason: result.reason, at: clock.now() }))
            .catch((err: unknown) => ctx.logger.warn({ component: 'identity-chip', err: (err as Error).message }, 'audit record of a refused chip not written'));
        },
      });
      return service.identify(access, signal);
    },
  };
}

/**
 * The dossier papers (config `dossier`): scanimage on the configured SANE device, or on SANE's test
 * backend in simulation; sealed under the journal's master key until central has them. Built at the
 * first scan, once the central link has started: the link's start is what creates the provisioning
 * file on a new station, and two writers of it at once would race.
 */
function paperDeskFor(ctx: StationContext): PaperService | undefined {
  const d = ctx.config.dossier;
  if (!d || d.scanner === 'off') return undefined;
  let made: PaperService | undefined;
  let making: Promise<PaperService> | undefined;
  const desk = (): Promise<PaperService> => (making ??= (async () => {
    await ctx.lifecycle.running('central-link');
    const [{ DocumentScanner }, { SpawnScanProcess }, { PaperDesk }, { PaperVault }, { loadJournalBox }] = await Promise.all([
      import('../../drivers/document-scanner.js'), import('../../drivers/transports/sane-process.js'), import('../services/paper-desk.js'),
      import('../services/paper-vault.js'), import('../link/provisioning.js'),
    ]);
    const master = await loadJournalBox(resolveDataPath(ctx.dataDir, ctx.config.security.provisioningFile), false);
    const scanner = new DocumentScanner(new SpawnScanProcess(), {
      device: d.scanner === 'sim' ? 'test' : d.scannerDevice, dpi: d.dpi, ...(d.scanner === 'sim' ? { extraArgs: ['--test-picture', 'Grid'] } : {}),
    });
    made = new PaperDesk({
      scanner, vault: new PaperVault(resolveDataPath(ctx.dataDir, d.papersDir), master), maxPaperBytes: d.maxPaperBytes,
      rpc: { call: (service, params, options) => ctx.parts.centralLink().call(service, params, options) },
    });
    return made;
  })());
  return {
    scanPage: async (dossierId, paperId, signal) => (await desk()).scanPage(dossierId, paperId, signal),
    finishPaper: async (dossierId, paperId, title, nowMs) => (await desk()).finishPaper(dossierId, paperId, title, nowMs),
    upload: async (dossierId) => (await desk()).upload(dossierId),
    discard: () => made?.discard(),
  };
}

export function flowSessionComponent(ctx: StationContext): Component {
  const { parts, lifecycle, config } = ctx;
  const paymentsEnabled = config.payments.enabled;
  return {
    name: 'flow-session',
    start: async () => {
      const [{ FlowService }, { paymentRunnerFor }] = await Promise.all([import('../flows/service.js'), import('../flows/session.js')]);
      const papers = paperDeskFor(ctx);
      const service = new FlowService({
        config,
        paths: ctx.paths,
        clock: ctx.clock,
        logger: ctx.log('session'),
        measure: { measure: (kind, options) => (parts.hub ?? missingDevices).measure(kind, options) },
        rpc: {
          call: async (service, params, options) => {
            await lifecycle.running('central-link');
            return parts.centralLink().call(service, params, options);
          },
        },
        records: {
          record: async (kind, payload, options) => {
            await lifecycle.running('central-link');
            return parts.centralLink().record(kind, payload, options);
          },
        },
        printer: { print: (lines) => (parts.hub ?? missingDevices).print(lines) },
        analytics: ctx.analytics,
        ...(papers ? { papers } : {}),
        ...(paymentsEnabled
          ? {
              payments: {
                pay: async (request, options) => {
                  await lifecycle.running('payments').catch(() => undefined);
                  if (!parts.payments) throw new StationError('PAYMENT_FAILED', 'payments did not start on this station');
                  return paymentRunnerFor(parts.payments).pay(request, options);
                },
              } satisfies PaymentRunner,
            }
          : {}),
        ...(config.devices.idChip && config.devices.idChip.enabled !== false ? { chip: chipService(ctx) } : {}),
        hooks: {
          onInterruptedMeasurement: (kind) => {
            ctx.logger.warn({ component: 'session', kind }, 'a measurement was interrupted by a restart; the device was left safe at start');
          },
        },
      });
      parts.flows = service;
      await service.start();
      service.setMaintenance(ctx.maintenance.on);
      service.setLinkOnline(parts.link?.link?.info().state === 'connected');
    },
    stop: async () => parts.flows?.stop(),
  };
}

export function displayComponent(ctx: StationContext): Component {
  const { parts, config } = ctx;
  return {
    name: 'display',
    optional: true,
    start: async () => {
      const { DisplayServer } = await import('../display/server.js');
      parts.display = new DisplayServer({ host: config.display.host, port: config.display.port, assetsDir: ctx.paths.displayAssets, feed: parts.flowService(), input: parts.flowService(), logger: ctx.log('display'), clock: ctx.clock });
      await parts.display.start();
    },
    stop: async () => parts.display?.stop(),
  };
}

export function voiceComponent(ctx: StationContext): Component {
  let voice: { stop(): Promise<void> } | undefined;
  return {
    name: 'voice',
    optional: true,
    start: async () => {
      const { VoicePrompts, spawnSpeech } = await import('../display/voice.js');
      const prompts = new VoicePrompts({ feed: ctx.parts.flowService(), spawn: spawnSpeech, logger: ctx.log('voice'), enabled: true });
      await prompts.start();
      voice = prompts;
    },
    stop: async () => voice?.stop(),
  };
}
