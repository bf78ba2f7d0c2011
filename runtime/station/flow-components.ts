/**
 * The resident side: the flow session (engine, records, lookups, payments), the display page and
 * the voice prompts. The session starts alongside the central link; what it sends waits for the
 * link's start (`lifecycle.running`).
 */
import { StationError } from '../kernel/errors.js';
import type { Component } from '../kernel/lifecycle.js';
import type { MeasureService, ReceiptPrinter } from '../../drivers/types.js';
import type { PaymentRunner } from '../flows/session.js';
import type { StationContext } from './context.js';

/** Stands in for the hub when the devices component failed: every measurement and print says the device is missing. */
const missingDevices: MeasureService & ReceiptPrinter = {
  measure: () => Promise.reject(new StationError('DEVICE_MISSING')),
  print: () => Promise.reject(new StationError('DEVICE_MISSING')),
};

export function flowSessionComponent(ctx: StationContext): Component {
  const { parts, lifecycle, config } = ctx;
  const paymentsEnabled = config.payments.enabled;
  return {
    name: 'flow-session',
    start: async () => {
      const [{ FlowService }, { paymentRunnerFor }] = await Promise.all([import('../flows/service.js'), import('../flows/session.js')]);
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
