/**
 * SpO2/heart-rate processing speed as the station runs it, in CPU time. While a finger is on the
 * sensor the driver analyses the last 10 s every second until a window is good enough; that is
 * the load measured. The baseline is the same algorithm's previous path in the same process:
 * `analyzePpg` re-analysing the whole window every second (band-pass restarted, levels summed,
 * troughs and beats found again). The station path is `SlidingPpgAnalyzer`: each second of samples
 * pushed (band-passed once) and the window analysed with what the last window found.
 *
 * Each run measures every row in turn (interleaved, so a busy machine slows them alike) for
 * `--round-ms` of CPU-bound work; the table gives min / median / max over `--runs` runs (default 7)
 * and the station path's ratio to the baseline within each run. Never fails on timing.
 * `npm run bench:dsp -- [--runs N] [--round-ms MS]`.
 */
import { parseArgs } from 'node:util';
import { analyzePpg } from '../drivers/spo2/analyze.js';
import { SlidingPpgAnalyzer } from '../drivers/spo2/sliding-analysis.js';
import { PpgSimulator } from '../drivers/simulators/ppg.js';
import { decodeFifo, encodeSampleBytes } from '../drivers/max30102.js';

const rateHz = 100;
const windowSeconds = 10;
const traceSeconds = 600;
const target = 20_000;

interface Row {
  name: string;
  /** Seconds of signal one call processes. */
  signalSeconds: number;
  work: () => number;
}

/** Seconds of signal per CPU second over about `roundMs` of calls (user + system time of this process). */
function speed(row: Row, roundMs: number, sink: { n: number }): number {
  const start = process.cpuUsage();
  const wallStart = performance.now();
  let calls = 0;
  while (performance.now() - wallStart < roundMs) {
    sink.n += row.work();
    calls++;
  }
  const used = process.cpuUsage(start);
  return (row.signalSeconds * calls) / ((used.user + used.system) / 1e6);
}

function spread(values: number[]): { min: number; median: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  return { min: s[0]!, median: s[s.length >> 1]!, max: s[s.length - 1]! };
}

function main(): void {
  const { values } = parseArgs({ options: { runs: { type: 'string' }, 'round-ms': { type: 'string' } } });
  const runs = Number(values.runs ?? 7);
  const roundMs = Number(values['round-ms'] ?? 300);
  if (!Number.isInteger(runs) || runs < 5) throw new Error(`--runs must be a whole number of at least 5, got ${values.runs}`);
  if (!(roundMs >= 50)) throw new Error(`--round-ms must be at least 50, got ${values['round-ms']}`);

  const sim = new PpgSimulator({ heartRate: 78, spo2: 96, perfusionIndex: 1.5, noise: 10, seed: 7, rateHz });
  const { red, ir } = sim.take(traceSeconds * rateHz);
  const w = windowSeconds * rateHz;

  let j = 0;
  const baseline: Row = {
    name: 'baseline: analyzePpg re-analysing the 10 s window every 1 s', signalSeconds: 1,
    work: () => {
      const from = (j++ * rateHz) % (red.length - w);
      return analyzePpg(red.subarray(from, from + w), ir.subarray(from, from + w), rateHz).beats;
    },
  };
  const sliding = new SlidingPpgAnalyzer(rateHz, w);
  let pos = 0;
  const station: Row = {
    name: 'station: SlidingPpgAnalyzer, 1 s pushed, 10 s window analysed', signalSeconds: 1,
    work: () => {
      if (pos + rateHz > red.length) {
        sliding.clear();
        pos = 0;
      }
      sliding.push(red.subarray(pos, pos + rateHz), ir.subarray(pos, pos + rateHz));
      pos += rateHz;
      // The first nine seconds of a trace fill the window; the station analyses only full ones.
      return sliding.length === w ? sliding.analyze().beats : 0;
    },
  };
  let k = 0;
  const once: Row = {
    name: 'info: analyzePpg, one 10 s window per 10 s (each sample once)', signalSeconds: windowSeconds,
    work: () => {
      const from = (k++ % Math.floor(red.length / w)) * w;
      return analyzePpg(red.subarray(from, from + w), ir.subarray(from, from + w), rateHz).beats;
    },
  };
  const fifoBytes = new Uint8Array(32 * 6);
  for (let s = 0; s < 32; s++) {
    fifoBytes.set(encodeSampleBytes(red[s]!), s * 6);
    fifoBytes.set(encodeSampleBytes(ir[s]!), s * 6 + 3);
  }
  const decode: Row = { name: 'info: decodeFifo, a full 32-sample FIFO', signalSeconds: 32 / rateHz, work: () => decodeFifo(fifoBytes, 2).ir.length };

  const rows = [baseline, station, once, decode];
  const sink = { n: 0 };
  for (const row of rows) speed(row, roundMs, sink);
  const speeds = rows.map(() => [] as number[]);
  const ratios: number[] = [];
  for (let run = 0; run < runs; run++) {
    rows.forEach((row, i) => speeds[i]!.push(speed(row, roundMs, sink)));
    ratios.push(speeds[1]![run]! / speeds[0]![run]!);
  }

  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(`SpO2/HR DSP at ${rateHz} Hz, x real time = seconds of signal per CPU second; ${runs} runs of ${roundMs} ms per row, interleaved`);
  console.log('| processing | min | median | max |');
  console.log('|---|---:|---:|---:|');
  rows.forEach((row, i) => {
    const s = spread(speeds[i]!);
    console.log(`| ${row.name} | ${fmt(s.min)} | ${fmt(s.median)} | ${fmt(s.max)} |`);
  });
  const r = spread(ratios);
  console.log(`| station / baseline (same run) | ${r.min.toFixed(2)} | ${r.median.toFixed(2)} | ${r.max.toFixed(2)} |`);
  const st = spread(speeds[1]!);
  console.log(`station path: median ${fmt(st.median)}x real time ${st.median >= target ? 'meets' : 'is below'} the ${fmt(target)}x target `
    + `(min ${fmt(st.min)}x); a Pi-class board 10-20x slower still runs it ${fmt(st.median / 20)}x faster than the sensor`);
  console.log(`(checksum ${sink.n})`);
}

main();
