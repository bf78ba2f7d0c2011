/**
 * SpO2 and heart-rate accuracy on a seeded synthetic grid, measured the way the station measures:
 * 10-second windows sliding by 1 s for up to 30 s of finger time, the first window the quality gates
 * accept being the result. Prints heart-rate RMSE, SpO2 Arms (root-mean-square error, the figure
 * ISO 80601-2-61 asks of oximeters) and what was refused. The test suite runs a smaller grid; this
 * script runs the full one: `node dist/scripts/spo2-accuracy.js`.
 *
 * These are figures on synthetic signals: they show the algorithm recovers what the simulator put
 * in, through noise, drift and motion. They are not clinical accuracy, which needs the station's
 * calibration curve fitted against a reference oximeter on people (an ISO 80601-2-61 study).
 */
import { pathToFileURL } from 'node:url';
import { analyzePpg } from '../drivers/spo2/analyze.js';
import type { PpgReason, PpgResult } from '../drivers/spo2/analyze.js';
import { PpgSimulator } from '../drivers/simulators/ppg.js';
import type { PpgSignalSpec } from '../drivers/simulators/ppg.js';

export const noiseLevels = { low: 2, medium: 10, high: 30 } as const;
export type NoiseLevel = keyof typeof noiseLevels;

export interface AccuracyGrid {
  heartRates: number[];
  spo2s: number[];
  perfusionIndices: number[];
  noise: NoiseLevel[];
  /** Motion intensities (0 still; 0.15 an occasional movement). */
  motion: number[];
}

export const fullGrid: AccuracyGrid = {
  heartRates: [45, 60, 75, 90, 105, 120, 135, 150],
  spo2s: [85, 88, 91, 94, 97, 100],
  perfusionIndices: [0.3, 0.5, 1, 2, 3.5, 5],
  noise: ['low', 'medium', 'high'],
  motion: [0, 0.15],
};

export const ciGrid: AccuracyGrid = {
  heartRates: [45, 75, 110, 150],
  spo2s: [85, 92, 100],
  perfusionIndices: [0.3, 1.5, 5],
  noise: ['low', 'medium', 'high'],
  motion: [0, 0.15],
};

const rateHz = 100;
const windowSamples = 10 * rateHz;
const maxSamples = 30 * rateHz;

/** Runs the station's acquisition on one simulated finger: first accepted window, or the last refusal. */
export function measureLikeStation(spec: PpgSignalSpec): { result: PpgResult; seconds: number } {
  const { red, ir } = new PpgSimulator({ ...spec, rateHz }).take(maxSamples);
  let last: PpgResult | null = null;
  for (let end = windowSamples; end <= maxSamples; end += rateHz) {
    last = analyzePpg(red.subarray(end - windowSamples, end), ir.subarray(end - windowSamples, end), rateHz);
    if (last.reason === null) return { result: last, seconds: end / rateHz };
  }
  return { result: last!, seconds: maxSamples / rateHz };
}

export interface AccuracyReport {
  cases: number;
  accepted: number;
  heartRateRmse: number;
  spo2Arms: number;
  /** Accepted share per motion intensity and noise level, e.g. `motion 0 / noise low`. */
  acceptance: Record<string, { cases: number; accepted: number }>;
  refusals: Partial<Record<PpgReason, number>>;
  /** Worst absolute errors among accepted cases. */
  worstHeartRateError: number;
  worstSpo2Error: number;
}

export function runAccuracyGrid(grid: AccuracyGrid, seed = 1): AccuracyReport {
  let cases = 0;
  let accepted = 0;
  let hrSq = 0;
  let spSq = 0;
  let worstHr = 0;
  let worstSp = 0;
  const acceptance: AccuracyReport['acceptance'] = {};
  const refusals: AccuracyReport['refusals'] = {};
  let s = seed;
  for (const motion of grid.motion) for (const noise of grid.noise) {
    const key = `motion ${motion} / noise ${noise}`;
    const bucket = (acceptance[key] ??= { cases: 0, accepted: 0 });
    for (const heartRate of grid.heartRates) for (const spo2 of grid.spo2s) for (const perfusionIndex of grid.perfusionIndices) {
      const { result } = measureLikeStation({ heartRate, spo2, perfusionIndex, noise: noiseLevels[noise], motion, seed: s++ });
      cases++;
      bucket.cases++;
      if (result.reason !== null) {
        refusals[result.reason] = (refusals[result.reason] ?? 0) + 1;
        continue;
      }
      accepted++;
      bucket.accepted++;
      const hrErr = result.heartRate! - heartRate;
      const spErr = result.spo2! - spo2;
      hrSq += hrErr * hrErr;
      spSq += spErr * spErr;
      worstHr = Math.max(worstHr, Math.abs(hrErr));
      worstSp = Math.max(worstSp, Math.abs(spErr));
    }
  }
  return {
    cases,
    accepted,
    heartRateRmse: accepted ? Math.sqrt(hrSq / accepted) : NaN,
    spo2Arms: accepted ? Math.sqrt(spSq / accepted) : NaN,
    acceptance,
    refusals,
    worstHeartRateError: worstHr,
    worstSpo2Error: worstSp,
  };
}

/** Signals that must be refused, not guessed: each with what makes it unmeasurable. */
export function poorSignals(seed = 1000): Array<{ name: string; spec: PpgSignalSpec }> {
  const base = { heartRate: 80, spo2: 95, perfusionIndex: 2, noise: 5 };
  const out: Array<{ name: string; spec: PpgSignalSpec }> = [];
  for (let i = 0; i < 5; i++) {
    const k = seed + i * 17;
    out.push(
      { name: 'no finger', spec: { ...base, finger: false, seed: k } },
      { name: 'perfusion 0.05%', spec: { ...base, perfusionIndex: 0.05, noise: 10, seed: k + 1 } },
      { name: 'noise swamps pulse', spec: { ...base, perfusionIndex: 0.3, noise: 400, seed: k + 2 } },
      { name: 'constant motion', spec: { ...base, motion: 3, seed: k + 3 } },
      { name: 'saturated ADC', spec: { ...base, dcIr: 300_000, dcRed: 280_000, seed: k + 4 } },
    );
  }
  return out;
}

function formatReport(title: string, r: AccuracyReport): string {
  const lines = [
    title,
    `  cases ${r.cases}, accepted ${r.accepted} (${((100 * r.accepted) / r.cases).toFixed(1)}%)`,
    `  heart rate RMSE ${r.heartRateRmse.toFixed(2)} bpm (target <= 3), worst ${r.worstHeartRateError} bpm`,
    `  SpO2 Arms ${r.spo2Arms.toFixed(2)} % (target <= 2), worst ${r.worstSpo2Error} %`,
    '  acceptance:',
    ...Object.entries(r.acceptance).map(([k, v]) => `    ${k.padEnd(28)} ${v.accepted}/${v.cases}`),
    `  refusals: ${JSON.stringify(r.refusals)}`,
  ];
  return lines.join('\n');
}

export { formatReport };

async function main(): Promise<void> {
  const started = performance.now();
  const report = runAccuracyGrid(fullGrid);
  console.log(formatReport('SpO2/HR accuracy, full synthetic grid', report));
  const poor = poorSignals().map((p) => ({ name: p.name, result: measureLikeStation(p.spec).result }));
  const refused = poor.filter((p) => p.result.reason !== null).length;
  console.log(`  poor-quality signals refused: ${refused}/${poor.length}`);
  for (const p of poor.filter((x) => x.result.reason === null)) console.log(`    accepted ${p.name}: ${JSON.stringify(p.result)}`);
  console.log(`  (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  const pass = report.spo2Arms <= 2 && report.heartRateRmse <= 3 && refused === poor.length;
  process.exitCode = pass ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
