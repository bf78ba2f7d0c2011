/**
 * What the station's parts share: the settings and services the composition root handed over, and
 * the components that exist only once started. Each accessor that needs a started component says
 * NOT_RUNNING until it runs, so a handler called early answers an error instead of crashing.
 */
import type { Clock } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';
import type { Lifecycle } from '../kernel/lifecycle.js';
import { StationError } from '../kernel/errors.js';
import type { StationConfig } from '../config/config.js';
import type { StationAlert } from '../control/methods.js';
import type { LogBuffer } from '../platform/log-buffer.js';
import type { InstallPaths } from '../platform/install-paths.js';
import type { EventLoopMonitor } from '../platform/event-loop-monitor.js';
import type { EmbeddedBroker } from '../link/embedded-broker.js';
import type { CentralLink } from '../link/central-link.js';
import type { DeviceHub } from '../../drivers/device-hub.js';
import type { StationDevices } from '../../drivers/station-devices.js';
import type { StationAnalytics } from '../analytics/station-analytics.js';
import type { PaymentService } from '../services/payment.js';
import type { FlowService } from '../flows/service.js';
import type { DisplayServer } from '../display/server.js';
import type { StationMaintenance } from './maintenance.js';
import type { BirthAnnouncer } from './birth.js';
import type { StationConfigChanges } from './config-change.js';
import type { TimeTrust } from '../platform/time-trust.js';

/** The components built during start; each is undefined until its start ran. */
export class StartedParts {
  hub: DeviceHub | undefined;
  devices: StationDevices | undefined;
  display: DisplayServer | undefined;
  flows: FlowService | undefined;
  link: CentralLink | undefined;
  embedded: EmbeddedBroker | undefined;
  payments: PaymentService | undefined;

  flowService(): FlowService {
    if (!this.flows) throw new StationError('NOT_RUNNING', 'the flow session has not started');
    return this.flows;
  }

  centralLink(): CentralLink {
    if (!this.link) throw new StationError('NOT_RUNNING', 'the central link has not started');
    return this.link;
  }
}

/** Alerts a technician sees in `status`, newest first, the last 50. */
export class StationAlerts {
  readonly list: StationAlert[] = [];

  raise(alert: StationAlert): void {
    this.list.unshift(alert);
    this.list.length = Math.min(this.list.length, 50);
  }
}

export interface StationContext {
  config: StationConfig;
  /** The factory file the config came from. */
  configFile: string;
  /** The config layers, and the technician's and central's changes to them. */
  configChanges: StationConfigChanges;
  clock: Clock;
  logger: Logger;
  /** A child logger for one component. */
  log(component: string): Logger;
  logBuffer: LogBuffer;
  version: string;
  paths: InstallPaths;
  dataDir: string;
  startedAt: number;
  lifecycle: Lifecycle;
  parts: StartedParts;
  alerts: StationAlerts;
  maintenance: StationMaintenance;
  announcer: BirthAnnouncer;
  analytics: StationAnalytics;
  loop: EventLoopMonitor;
  /** Whether the wall clock is plausible; none: always taken as plausible (tests, development). */
  timeTrust?: TimeTrust;
  /** Central's `restart` command: the composition root stops the station and exits for systemd to start it again. */
  requestRestart?: () => void;
}
