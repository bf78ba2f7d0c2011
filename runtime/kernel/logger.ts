import pino from 'pino';
import type { Logger, DestinationStream } from 'pino';

export type { Logger };

/**
 * Paths that may hold personal data (CCCD numbers, names, health values). Every component logs
 * through a child of this logger, so these are censored wherever they appear.
 */
export const redactedPaths = [
  'cccd', 'id', 'oldId', 'name', 'fullName', 'birthDate', 'address', 'phone', 'customerCode',
  'identity', 'resident', 'values', 'measurement', 'measurements', 'reading', 'payload.identity',
  'systolic', 'diastolic', 'pulse', 'spo2', 'heartRate', 'weight', 'height', 'temperature', 'bmi',
  '*.cccd', '*.name', '*.fullName', '*.birthDate', '*.address', '*.phone', '*.customerCode', '*.identity',
  '*.values', '*.reading', '*.systolic', '*.diastolic', '*.pulse', '*.spo2', '*.heartRate', '*.weight',
  '*.height', '*.temperature', '*.bmi', '*.oldId',
];

export interface LoggerOptions {
  /** Minimum level written; default `info`. */
  level?: string;
  /** Where lines go; default stdout (journald captures it under systemd). */
  destination?: DestinationStream;
}

/** The root logger; components call `child({component})` on it. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: undefined,
      redact: { paths: redactedPaths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

/** Hides all digits of a CCCD but the province code and the last two: `079*******45`. */
export function maskCccd(id: string): string {
  if (id.length < 6) return '*'.repeat(id.length);
  return id.slice(0, 3) + '*'.repeat(id.length - 5) + id.slice(-2);
}
