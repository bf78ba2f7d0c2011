import { BandPassStream, bandPass } from './filters.js';

/**
 * The IR photoplethysmogram for the technician's sparkline: band-passed (0.6–5 Hz, as the analysis
 * does, so breathing wander and the ~100 000-count DC level do not flatten the pulse), inverted so
 * that each heartbeat points up (blood absorbs IR: the light dips at systole), and averaged down to
 * `outRateHz` points per second. Display only: never an input to a measurement.
 */
export class PpgLiveTrace {
  private readonly filter: BandPassStream;
  private readonly factor: number;
  private carrySum = 0;
  private carryCount = 0;

  constructor(rateHz: number, outRateHz = 50) {
    this.filter = new BandPassStream(bandPass(0.6, 5, rateHz));
    this.factor = Math.max(1, Math.round(rateHz / outRateHz));
  }

  /** Forget the trace (finger lifted, samples lost): the next sample starts it afresh. */
  reset(): void {
    this.filter.reset();
    this.carrySum = 0;
    this.carryCount = 0;
  }

  /** Filters a chunk of IR samples; returns the whole points it completes (a partial one carries over). */
  push(ir: readonly number[]): number[] {
    const out: number[] = [];
    for (const v of ir) {
      this.carrySum -= this.filter.step(v);
      if (++this.carryCount === this.factor) {
        out.push(Math.round(this.carrySum / this.factor));
        this.carrySum = 0;
        this.carryCount = 0;
      }
    }
    return out;
  }
}
