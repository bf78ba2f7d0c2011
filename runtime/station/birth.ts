/**
 * The retained birth and status central keeps for each station: versions, each device and its
 * health, the flow versions, capabilities. Told again once the start is complete (the link usually
 * connects while the devices are still probing and the flows loading, and its birth then lists them
 * as starting), after a new flow bundle, a device's health change, a maintenance change, or when asked.
 */
import type { Clock, TimerHandle } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';
import type { BirthPayload } from '../link/topics.js';
import type { StartedParts } from './context.js';
import type { StationMaintenance } from './maintenance.js';

export interface BirthAnnouncerOptions {
  clock: Clock;
  logger: Logger;
  version: string;
  parts: StartedParts;
  maintenance: StationMaintenance;
}

export class BirthAnnouncer {
  private readonly options: BirthAnnouncerOptions;
  private started = false;
  private announcedHealth = '';
  private healthTimer: TimerHandle | undefined;

  constructor(options: BirthAnnouncerOptions) {
    this.options = options;
  }

  /** The retained birth: versions, each device and its health, the flow versions, capabilities. */
  birth(): Omit<BirthPayload, 'bootSeq' | 'at'> {
    const { parts, version } = this.options;
    return {
      versions: { station: version, node: process.versions.node },
      devices: (parts.hub?.statuses() ?? []).map((d) => ({ id: d.name, kind: d.name, mode: d.mode, state: d.health })),
      flows: Object.entries(parts.flows?.versions()?.flows ?? {}).map(([id, version]) => ({ id, version: String(version) })),
      capabilities: ['rpc-envelope', 'receipts', 'signed-receipts', 'stream-seq', 'signed-commands', 'fhir-r4'],
      ...(parts.link?.journal ? { disk: parts.link.journal.pressure().state } : {}),
    };
  }

  /** The status central keeps retained: online, or maintenance. */
  statusState(): 'online' | 'maintenance' {
    return this.options.maintenance.on ? 'maintenance' : 'online';
  }

  /** Publishes the birth and status again when the link is connected. */
  async announce(): Promise<void> {
    const { parts, clock } = this.options;
    const mqtt = parts.link?.link;
    if (!mqtt || mqtt.info().state !== 'connected') return;
    const at = clock.now();
    const bootSeq = parts.link!.bootSeq;
    this.announcedHealth = this.deviceHealth();
    await mqtt.publish('birth', {}, { ...this.birth(), bootSeq, at });
    await mqtt.publish('status', {}, { state: this.statusState(), bootSeq, at });
  }

  /** Announces, and logs why central has not heard it yet when that fails: it hears it on reconnect. */
  announceSoon(what: string): void {
    void this.announce().catch((err: unknown) =>
      this.options.logger.warn({ component: 'station', err: (err as Error).message }, `central not told of ${what} yet; it hears it on reconnect`),
    );
  }

  /** From now on device health changes are announced. */
  startAnnouncing(): void {
    this.started = true;
  }

  stopAnnouncing(): void {
    this.started = false;
    this.options.clock.clearTimeout(this.healthTimer);
  }

  /**
   * A device's health change (unplugged, paper out, back again) reaches central in the retained
   * birth once it has held for a second: a replug or a loose cable changes it several times, and
   * the hub's reason updates alone change nothing central is told.
   */
  deviceHealthChanged(): void {
    if (!this.started) return;
    const { clock } = this.options;
    clock.clearTimeout(this.healthTimer);
    this.healthTimer = clock.setTimeout(() => {
      this.healthTimer = undefined;
      if (this.deviceHealth() === this.announcedHealth) return;
      this.announceSoon('the device change');
    }, 1000);
  }

  private deviceHealth(): string {
    return (this.options.parts.hub?.statuses() ?? []).map((d) => `${d.name}:${d.health}`).join(' ');
  }
}
