/**
 * The figures of the usage report, each defined once: its name in every format (table and SVG
 * label, CSV column) and what it counts. The renderers draw their columns from this list, so a
 * figure cannot mean one thing in the summary and another in a per-step table. Counting happens in
 * ./aggregate.ts (`addSession`, `failureCauseOf`, `failingSteps`); test/runtime/analytics recounts
 * every figure from the raw session events by these definitions.
 */
import type { Totals } from './model.js';

export interface TotalsFigure {
  key: keyof Totals;
  /** Vietnamese column label (table and SVG). */
  label: string;
  /** CSV column. */
  csv: string;
  /** What is counted. */
  definition: string;
}

/** The outcome figures: `completed + abandoned + failedDevice + failedCentral + failedInput = sessions`. */
export const outcomeFigures: readonly TotalsFigure[] = [
  { key: 'sessions', label: 'Lượt', csv: 'sessions', definition: 'service runs started; the feedback question after a service belongs to its run' },
  { key: 'completed', label: 'Hoàn tất', csv: 'completed', definition: 'runs that reached the end of the service' },
  { key: 'abandoned', label: 'Bỏ dở', csv: 'abandoned', definition: 'runs left before the end (idle wipe, Home key)' },
  { key: 'failedDevice', label: 'Dừng: lỗi thiết bị', csv: 'failed_device', definition: 'runs that ended failed because a device failed' },
  { key: 'failedCentral', label: 'Dừng: lỗi trung tâm', csv: 'failed_central', definition: 'runs that ended failed because central did not answer' },
  { key: 'failedInput', label: 'Dừng: lỗi nhập', csv: 'failed_input', definition: 'runs that ended failed because the input was refused' },
];

/**
 * Runs that met a device failure, whether they ended there or went on: the total of the device
 * failure table (which lists them by the step the device failed on).
 */
export const deviceFailedFigure: TotalsFigure = {
  key: 'deviceFailed', label: 'Gặp lỗi thiết bị', csv: 'device_failed', definition: 'runs in which a measuring device failed, ended there or not',
};

export const withCccdFigure: TotalsFigure = {
  key: 'withCccd', label: 'Có quét CCCD', csv: 'with_cccd', definition: 'runs in which a CCCD was scanned',
};

/** Every totals figure, in the order the summary shows them. */
export const totalsFigures: readonly TotalsFigure[] = [...outcomeFigures, deviceFailedFigure, withCccdFigure];

/** Heading of the device failure table and of its total row. */
export const deviceFailureTitle = 'Lỗi thiết bị theo bước đo (lượt gặp lỗi)';
export const deviceFailureTotalLabel = 'Tổng số lượt gặp lỗi thiết bị';
