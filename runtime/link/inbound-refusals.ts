/**
 * Counts every inbound message the station refuses, by topic (the contract's topic name) and
 * reason, so nothing central or an intruder sends is dropped in silence. Each reason is logged
 * once per interval per topic (the first refusal at once, then a summary of how many followed), so
 * a flood of garbage, or a retained bad document seen again on every reconnect, cannot fill the
 * journal with log lines; the counts go to `station status`, the TUI and the health telemetry.
 */
import type { Clock } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';

export interface RefusalReport {
  total: number;
  /** topic name → reason → count since start. */
  byTopic: Record<string, Record<string, number>>;
}

export interface InboundRefusalsOptions {
  clock: Clock;
  logger: Logger;
  /** One log line per topic and reason per interval; default 60 000 ms. */
  logIntervalMs?: number;
}

interface Tally {
  count: number;
  /** Clock ms of the last log line; refusals since then are summarised in the next one. */
  loggedAt: number;
  unlogged: number;
}

export class InboundRefusals {
  private readonly o: InboundRefusalsOptions;
  private readonly tallies = new Map<string, Map<string, Tally>>();
  private total = 0;

  constructor(options: InboundRefusalsOptions) {
    this.o = options;
  }

  /**
   * Records one refused message. `detail` goes to the log line only: it must not hold personal
   * data (payloads are never passed here).
   */
  count(topic: string, reason: string, detail?: Record<string, unknown>): void {
    this.total++;
    let byReason = this.tallies.get(topic);
    if (!byReason) this.tallies.set(topic, (byReason = new Map()));
    const now = this.o.clock.now();
    const tally = byReason.get(reason);
    if (!tally) {
      byReason.set(reason, { count: 1, loggedAt: now, unlogged: 0 });
      this.o.logger.warn({ topic, reason, ...detail }, 'inbound message refused');
      return;
    }
    tally.count++;
    if (now - tally.loggedAt >= (this.o.logIntervalMs ?? 60_000)) {
      this.o.logger.warn({ topic, reason, since: tally.unlogged + 1, total: tally.count, ...detail }, 'inbound messages refused');
      tally.loggedAt = now;
      tally.unlogged = 0;
    } else {
      tally.unlogged++;
    }
  }

  report(): RefusalReport {
    const byTopic: RefusalReport['byTopic'] = {};
    for (const [topic, reasons] of this.tallies) {
      byTopic[topic] = Object.fromEntries([...reasons].map(([reason, t]) => [reason, t.count]));
    }
    return { total: this.total, byTopic };
  }
}
