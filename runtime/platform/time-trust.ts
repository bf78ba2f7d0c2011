/**
 * Whether the wall clock can be believed. A Raspberry Pi-class board has no battery-backed clock:
 * it boots at the time systemd-timesyncd last saved (/var/lib/systemd/timesync/clock) or, on a fresh
 * image or a read-only root, at the image's build time, and keeps it until NTP answers. A clock
 * before this release was built is certainly wrong; with it, an expiry cannot be checked, a
 * certificate looks not yet valid, and a record or receipt would carry a date years off.
 *
 * Until the clock is plausible the station says so (status, TUI) and refuses what depends on the
 * date: a signed command's expiry cannot be checked, so no command runs.
 */
import type { Clock } from '../kernel/clock.js';

export interface TimeTrustOptions {
  clock: Clock;
  /** Clock ms before which the wall clock is implausible: when this release was built. */
  notBefore: number;
  /** True once the system's time service says it synchronised (systemd-timesyncd's flag file). */
  synchronized?: () => boolean;
}

export interface TimeStatus {
  trusted: boolean;
  /** Why not, in the technician's words. */
  reason?: string;
  notBefore: string;
  synchronized: boolean | null;
}

export class TimeTrust {
  private readonly o: TimeTrustOptions;

  constructor(options: TimeTrustOptions) {
    this.o = options;
  }

  trusted(): boolean {
    return this.o.clock.now() >= this.o.notBefore;
  }

  status(): TimeStatus {
    const trusted = this.trusted();
    return {
      trusted,
      ...(trusted ? {} : { reason: `the clock says ${new Date(this.o.clock.now()).toISOString()}, before this release was built; waiting for time sync` }),
      notBefore: new Date(this.o.notBefore).toISOString(),
      synchronized: this.o.synchronized ? this.o.synchronized() : null,
    };
  }

}
