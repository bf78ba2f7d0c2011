/**
 * The devices (built from config, probed at start) and the technician's actions on them. The hub's
 * keys, scans and the emergency button go to the resident flows; only the technician's test of the
 * physical button hears a release.
 */
import { StationError } from '../kernel/errors.js';
import type { Component } from '../kernel/lifecycle.js';
import type { ControlSocket } from '../control/server.js';
import { DeviceHub } from '../../drivers/device-hub.js';
import { createStationDevices, type RealTransports } from '../../drivers/station-devices.js';
import type { CccdScanner } from '../../drivers/cccd.js';
import { formatCccdQr } from '../../drivers/cccd.js';
import { Hx711Scale } from '../../drivers/hx711-iio.js';
import { outboxInspector, registerTechnicianActions } from '../technician/actions.js';
import type { EmergencyButtonTest } from '../technician/emergency-button-drill.js';
import type { StationContext } from './context.js';

export function devicesComponent(
  ctx: StationContext,
  deps: { transports: RealTransports; simStreamPhase?: () => number; emergencyTest: EmergencyButtonTest },
): Component {
  const { parts, clock, logger, config } = ctx;
  const emergencyTest = deps.emergencyTest;
  return {
    name: 'devices',
    start: async () => {
      const devices = await createStationDevices(config, { clock, logger, transports: deps.transports, ...(deps.simStreamPhase ? { simStreamPhase: deps.simStreamPhase } : {}) });
      parts.devices = devices;
      const hub = new DeviceHub(devices.entries, clock, ctx.log('device-hub'), { disabled: devices.disabled });
      parts.hub = hub;
      hub.events.on('key', hub, (key) => parts.flows?.input({ type: 'key', key }));
      hub.events.on('emergency', hub, (press) => {
        if (!emergencyTest.capture(press)) parts.flows?.input({ type: 'emergency' });
      });
      // Only the technician's test hears a release: it never reaches the resident flows.
      hub.events.on('emergencyReleased', hub, (release) => emergencyTest.released(release));
      hub.events.on('scan', hub, (identity) => parts.flows?.input({ type: 'scan', text: formatCccdQr(identity) }));
      hub.events.on('scanRejected', hub, () => parts.flows?.input({ type: 'scan', text: '' }));
      hub.events.on('status', hub, (s) => {
        if (s.health === 'missing' || s.health === 'degraded') ctx.alerts.raise({ code: `DEVICE_${s.health.toUpperCase()}`, message: `${s.name}: ${s.reason ?? s.health}`, at: s.since, severity: 'warning' });
        ctx.announcer.deviceHealthChanged();
      });
      // The indicators load johnny-five while the probes wait for the first device frames.
      await Promise.all([hub.start(), devices.indicators?.start()]);
    },
    stop: async () => {
      await parts.devices?.indicators?.stop();
      if (parts.hub) {
        parts.hub.events.offOwner(parts.hub);
        await parts.hub.stop();
      }
      parts.devices?.io?.close();
    },
  };
}

export function technicianActionsComponent(ctx: StationContext, control: ControlSocket, emergencyTest: EmergencyButtonTest): Component {
  const { parts } = ctx;
  return {
    name: 'technician-actions',
    start: async () => {
      const { devices, hub } = parts;
      if (!devices || !hub) throw new StationError('NOT_RUNNING', 'devices did not start');
      const scale = devices.entries.scale?.device;
      const centralLink = parts.centralLink();
      registerTechnicianActions(control, {
        clock: ctx.clock,
        logger: ctx.log('technician'),
        audit: centralLink,
        exportDir: ctx.dataDir,
        stationId: ctx.config.station.id,
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
  };
}
