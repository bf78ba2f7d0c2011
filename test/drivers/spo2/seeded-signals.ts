import type { PpgSignalSpec } from '../../../drivers/simulators/ppg.js';

/**
 * Seeded fingers for the analysis regression test: heart rates across the search range, low and
 * high SpO2, cold to warm perfusion, still and restless, and the 50 Hz rate. `golden-results.json`
 * holds what the analysis gave for each window before the speed work; any change to it must be a
 * deliberate one.
 */
export const seededSpecs: PpgSignalSpec[] = [];
let seed = 101;
for (const heartRate of [42, 66, 95, 130, 185]) {
  for (const [spo2, perfusionIndex, noise, motion] of [
    [97, 2, 5, 0], [86, 0.4, 10, 0], [92, 1, 30, 0.15], [99, 4, 10, 0.4],
  ] as const) {
    seededSpecs.push({ heartRate, spo2, perfusionIndex, noise, motion, seed: seed++ });
  }
}
seededSpecs.push({ heartRate: 72, spo2: 95, perfusionIndex: 1.5, noise: 5, seed: seed++, rateHz: 50 });
seededSpecs.push({ heartRate: 120, spo2: 90, perfusionIndex: 0.8, noise: 20, motion: 0.2, seed: seed++, rateHz: 50 });
seededSpecs.push({ heartRate: 80, spo2: 97, perfusionIndex: 2, seed: seed++, finger: false });
seededSpecs.push({ heartRate: 80, spo2: 97, perfusionIndex: 2, seed: seed++, dcIr: 261_000, dcRed: 250_000 });

/** The windows the station analyses in 30 s of finger time: 10 s long, one every second. */
export function windowsOf(samples: number, rateHz: number): [number, number][] {
  const out: [number, number][] = [];
  for (let end = 10 * rateHz; end <= samples; end += rateHz) out.push([end - 10 * rateHz, end]);
  return out;
}
