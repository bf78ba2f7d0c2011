/**
 * Periodic station health telemetry: CPU temperature, free disk on the data partition, memory,
 * event-loop lag and outbox depth, sent to `telemetry/station`. Central uses it to see a board
 * overheating in a sunny lobby or a journal partition filling up before residents notice.
 */
import { readFile, statfs } from 'node:fs/promises';
import type { Clock, TimerHandle } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';
import type { TelemetrySink } from '../flows/ports.js';

export interface StationHealthSample {
  cpuTempC: number | null;
  diskFreeMb: number;
  diskFreePct: number;
  rssMb: number;
  eventLoopLagMs: number;
  outboxDepth: number;
  /** Inbound messages refused since start (runtime/link/inbound-refusals.ts). */
  refusedInbound?: number;
  uptimeS: number;
}

export interface StationHealthOptions {
  clock: Clock;
  logger: Logger;
  sink: TelemetrySink;
  /** Seconds between samples. */
  intervalS: number;
  /** Folder whose partition is measured (the data directory). */
  dataDir: string;
  /** Kernel thermal zone file; default /sys/class/thermal/thermal_zone0/temp (millidegrees). */
  thermalZoneFile?: string;
  lagMs: () => number;
  outboxDepth: () => number;
  /** Default: not reported. */
  refusedInbound?: () => number;
  rssBytes?: () => number;
}

export class StationHealthReporter {
  readonly name = 'station-health';
  readonly optional = true;
  private timer: TimerHandle | undefined;
  private readonly startedAt: number;

  constructor(private readonly options: StationHealthOptions) {
    this.startedAt = options.clock.now();
  }

  async start(): Promise<void> {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Takes one sample; never throws (a missing sensor is reported as null). */
  async sample(): Promise<StationHealthSample> {
    const o = this.options;
    let cpuTempC: number | null = null;
    try {
      const milli = Number((await readFile(o.thermalZoneFile ?? '/sys/class/thermal/thermal_zone0/temp', 'utf8')).trim());
      if (Number.isFinite(milli)) cpuTempC = Math.round(milli / 100) / 10;
    } catch {
      cpuTempC = null;
    }
    let diskFreeMb = 0;
    let diskFreePct = 0;
    try {
      const fs = await statfs(o.dataDir);
      diskFreeMb = Math.round((fs.bavail * fs.bsize) / 1048576);
      diskFreePct = fs.blocks > 0 ? Math.round((fs.bavail / fs.blocks) * 1000) / 10 : 0;
    } catch (err) {
      o.logger.warn({ err: (err as Error).message }, 'cannot read free disk space');
    }
    return {
      cpuTempC,
      diskFreeMb,
      diskFreePct,
      rssMb: Math.round((o.rssBytes ?? (() => process.memoryUsage.rss()))() / 1048576),
      eventLoopLagMs: o.lagMs(),
      outboxDepth: o.outboxDepth(),
      ...(o.refusedInbound ? { refusedInbound: o.refusedInbound() } : {}),
      uptimeS: Math.round((o.clock.now() - this.startedAt) / 1000),
    };
  }

  private schedule(delayMs: number): void {
    this.timer = this.options.clock.setTimeout(() => {
      void this.sample().then((s) => {
        this.options.sink.telemetry('station', { ...s });
        if (this.timer !== undefined) this.schedule(this.options.intervalS * 1000);
      });
    }, delayMs);
  }
}
