/**
 * Keeps the most recent log lines in memory for `logs.tail` and pushes new ones to subscribers
 * (`logs.subscribe`). It receives pino's serialized lines, so personal data is already redacted.
 */
import type { LogLine } from '../control/methods.js';

const levelNames: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const levelRank: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

export interface LogFilter {
  /** Lowest level wanted. */
  level?: string;
  /** Only lines of this component. */
  component?: string;
}

export class LogBuffer {
  private readonly lines: LogLine[] = [];
  private readonly subscribers = new Set<{ filter: LogFilter; fn: (line: LogLine) => void }>();

  constructor(private readonly capacity: number) {}

  /** pino destination interface: one JSON line per call. */
  write(chunk: string): void {
    for (const text of chunk.split('\n')) {
      if (!text) continue;
      let raw: Record<string, unknown>;
      try {
        raw = JSON.parse(text) as Record<string, unknown>;
      } catch {
        continue;
      }
      const line: LogLine = {
        ...raw,
        level: typeof raw.level === 'number' ? (levelNames[raw.level] ?? String(raw.level)) : String(raw.level),
        time: String(raw.time ?? ''),
        msg: String(raw.msg ?? ''),
      };
      if (this.capacity > 0) {
        this.lines.push(line);
        if (this.lines.length > this.capacity) this.lines.shift();
      }
      for (const s of this.subscribers) if (matches(line, s.filter)) s.fn(line);
    }
  }

  tail(count: number, filter: LogFilter = {}): LogLine[] {
    return this.lines.filter((l) => matches(l, filter)).slice(-count);
  }

  subscribe(filter: LogFilter, fn: (line: LogLine) => void): () => void {
    const entry = { filter, fn };
    this.subscribers.add(entry);
    return () => this.subscribers.delete(entry);
  }
}

export function isLogLevel(value: unknown): value is string {
  return typeof value === 'string' && value in levelRank;
}

function matches(line: LogLine, filter: LogFilter): boolean {
  if (filter.level && (levelRank[line.level] ?? 0) < (levelRank[filter.level] ?? 0)) return false;
  if (filter.component && line.component !== filter.component) return false;
  return true;
}
