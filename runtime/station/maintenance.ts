/**
 * Maintenance mode: the resident flows show "out of service", the emergency button test may run,
 * and central hears the change in the retained status.
 */
import type { Logger } from '../kernel/logger.js';

export interface MaintenanceState {
  on: boolean;
  reason?: string;
}

export interface MaintenanceListener {
  (on: boolean): void;
}

export class StationMaintenance {
  private readonly state: MaintenanceState = { on: false };
  private readonly logger: Logger;
  private readonly listeners: MaintenanceListener[] = [];

  constructor(logger: Logger) {
    this.logger = logger;
  }

  get on(): boolean {
    return this.state.on;
  }

  /** A copy of the state for reports. */
  report(): MaintenanceState {
    return { ...this.state };
  }

  /** Called, in order of registration, on every change. */
  onChange(listener: MaintenanceListener): void {
    this.listeners.push(listener);
  }

  set(on: boolean, reason?: string): void {
    this.state.on = on;
    if (on && reason) this.state.reason = reason;
    else delete this.state.reason;
    for (const listener of this.listeners) listener(on);
    this.logger.info({ component: 'station', maintenance: on }, 'maintenance mode changed');
  }
}
