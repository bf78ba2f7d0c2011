/**
 * The journal's disk pressure: `full` after a write failed for lack of space (until one works
 * again), `low` when less than the reserve is left in the journal or on the file system, `ok`
 * otherwise. Free space is read with statfs at most every `checkMs`, and at once after a failure.
 */
import type { Clock } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';
import type { TypedEmitter } from '../kernel/typed-emitter.js';
import type { JournalFs } from './journal-fs.js';
import type { DiskPressure, JournalEvents } from './journal-types.js';

const NO_SPACE = new Set(['ENOSPC', 'EDQUOT']);

/** Whether a write error means the storage has no room (as opposed to failing). */
export const isNoSpace = (code: string) => NO_SPACE.has(code);

export class PressureGauge {
  readonly now: DiskPressure = { state: 'ok', freeBytes: null, lastError: null, failedWrites: 0, shed: 0 };
  private checkedAt = -Infinity;

  constructor(
    private readonly o: { fs: JournalFs; dir: string; clock: Clock; logger: Logger; events: TypedEmitter<JournalEvents>; reserveBytes: number; maxBytes: number; checkMs: number },
    /** Bytes the journal holds now. */
    private readonly journalBytes: () => number,
  ) {}

  /** Reads the free space again when `force` or when the last reading is older than `checkMs`. */
  async refresh(force: boolean): Promise<void> {
    const now = this.o.clock.now();
    if (!force && now - this.checkedAt < this.o.checkMs) return;
    this.checkedAt = now;
    this.now.freeBytes = await this.o.fs.freeBytes(this.o.dir).catch(() => null);
    if (this.now.lastError === null || !isNoSpace(this.now.lastError)) this.set(this.fromRoom());
  }

  /** A write failed with `code` and was rolled back. */
  async failed(code: string): Promise<void> {
    this.now.failedWrites++;
    this.now.lastError = code;
    if (isNoSpace(code)) this.set('full');
    await this.refresh(true);
  }

  /** A write worked: after a failure, space (or the device) is back; read the real free space. */
  async wrote(): Promise<void> {
    if (this.now.lastError === null && this.now.state !== 'full') return;
    this.now.lastError = null;
    await this.refresh(true);
  }

  private fromRoom(): DiskPressure['state'] {
    const free = this.now.freeBytes;
    if (this.journalBytes() + this.o.reserveBytes > this.o.maxBytes || (free !== null && free < this.o.reserveBytes)) return 'low';
    return 'ok';
  }

  private set(state: DiskPressure['state']): void {
    if (state === this.now.state) return;
    this.now.state = state;
    this.o.logger.warn({ disk: state, freeBytes: this.now.freeBytes }, 'journal disk pressure changed');
    this.o.events.emit('pressure', { ...this.now });
  }
}
