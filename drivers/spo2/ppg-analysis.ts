import { StationError } from '../../runtime/kernel/errors.js';
import { analyzePpg, ppgReasonMessages, referenceLabel } from './analyze.js';
import type { PpgAnalysisOptions, PpgReason, PpgResult } from './analyze.js';

/** What `station analyze-ppg FILE.csv [--rate HZ]` prints. */
export interface PpgTraceReport {
  heartRate: number | null;
  spo2: number | null;
  perfusionIndex: number | null;
  quality: number;
  reason: PpgReason | null;
  message: string;
  label: typeof referenceLabel;
  samples: number;
  rateHz: number;
  seconds: number;
  /** 10-second windows analysed (5 s apart) and how many were good enough. */
  windows: { analysed: number; accepted: number };
}

const windowSeconds = 10;
const stepSeconds = 5;

/**
 * Parses a CSV trace with a `red,ir` header (columns in any order, extra columns ignored, CRLF and
 * blank lines tolerated). Throws INPUT_INVALID naming the line of the first bad row.
 */
export function parsePpgCsv(text: string): { red: Float64Array; ir: Float64Array } {
  const lines = text.split(/\r?\n/);
  const headerLine = lines.findIndex((l) => l.trim() !== '');
  if (headerLine < 0) throw new StationError('INPUT_INVALID', 'line 1: empty file, expected a header "red,ir"');
  const header = lines[headerLine]!.replace(/^\uFEFF/, '').split(',').map((h) => h.trim().toLowerCase());
  const redCol = header.indexOf('red');
  const irCol = header.indexOf('ir');
  if (redCol < 0 || irCol < 0) {
    throw new StationError('INPUT_INVALID', `line ${headerLine + 1}: expected a header with columns "red" and "ir", found "${lines[headerLine]!.trim().slice(0, 80)}"`);
  }
  const red: number[] = [];
  const ir: number[] = [];
  for (let i = headerLine + 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const cells = line.split(',');
    if (cells.length < header.length) {
      throw new StationError('INPUT_INVALID', `line ${i + 1}: expected ${header.length} values, found ${cells.length}`);
    }
    const r = Number(cells[redCol]!.trim());
    const v = Number(cells[irCol]!.trim());
    if (cells[redCol]!.trim() === '' || cells[irCol]!.trim() === '' || !Number.isFinite(r) || !Number.isFinite(v) || r < 0 || v < 0) {
      throw new StationError('INPUT_INVALID', `line ${i + 1}: red and ir must be non-negative numbers, found "${line.slice(0, 80)}"`);
    }
    red.push(r);
    ir.push(v);
  }
  return { red: Float64Array.from(red), ir: Float64Array.from(ir) };
}

/**
 * Analyses a recorded trace as the station would: 10-second windows every 5 seconds, the figures
 * being the median over the windows good enough to measure. With none, heartRate and spo2 are null
 * and `reason` is the most frequent refusal.
 */
export function analyzePpgCsv(text: string, rateHz = 100, options: PpgAnalysisOptions = {}): PpgTraceReport {
  if (!Number.isFinite(rateHz) || rateHz < 10 || rateHz > 3200) {
    throw new StationError('INPUT_INVALID', `--rate must be a sample rate between 10 and 3200 Hz, got ${rateHz}`);
  }
  const { red, ir } = parsePpgCsv(text);
  const n = red.length;
  const size = Math.round(windowSeconds * rateHz);
  const step = Math.round(stepSeconds * rateHz);
  const results: PpgResult[] = [];
  if (n <= size) results.push(analyzePpg(red, ir, rateHz, options));
  else for (let start = 0; start + size <= n; start += step) results.push(analyzePpg(red.subarray(start, start + size), ir.subarray(start, start + size), rateHz, options));

  const accepted = results.filter((r) => r.reason === null);
  const base = { label: referenceLabel, samples: n, rateHz, seconds: Math.round((n / rateHz) * 100) / 100, windows: { analysed: results.length, accepted: accepted.length } };
  if (accepted.length === 0) {
    const counts = new Map<PpgReason, number>();
    for (const r of results) counts.set(r.reason!, (counts.get(r.reason!) ?? 0) + 1);
    const reason = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    return {
      heartRate: null,
      spo2: null,
      perfusionIndex: median(results.map((r) => r.perfusionIndex).filter((v): v is number => v !== null)),
      quality: Math.max(...results.map((r) => r.quality)),
      reason,
      message: ppgReasonMessages[reason],
      ...base,
    };
  }
  return {
    heartRate: Math.round(median(accepted.map((r) => r.heartRate!))!),
    spo2: Math.round(median(accepted.map((r) => r.spo2!))!),
    perfusionIndex: median(accepted.map((r) => r.perfusionIndex!)),
    quality: median(accepted.map((r) => r.quality))!,
    reason: null,
    message: referenceLabel,
    ...base,
  };
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
