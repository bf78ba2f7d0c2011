/**
 * Pure text formatting for the technician UI. Everything here reads without colour: state is always
 * a word or a bracketed marker, colour only repeats it.
 */
import type { DeviceHealth } from '../control/methods.js';
import type { LogLine } from '../control/methods.js';

/** Eight block heights, lowest to highest (U+2581..U+2588). */
const bars = '▁▂▃▄▅▆▇█';

/**
 * A one-line sparkline of the newest `width` points (averaged down when there are more), scaled to
 * their own minimum and maximum: the PPG's shape matters to the technician, not its units.
 */
export function sparkline(values: readonly number[], width: number): string {
  if (values.length === 0 || width <= 0) return '';
  const points: number[] = [];
  if (values.length <= width) {
    points.push(...values);
  } else {
    const step = values.length / width;
    for (let i = 0; i < width; i++) {
      const from = Math.floor(i * step);
      const to = Math.max(from + 1, Math.floor((i + 1) * step));
      let sum = 0;
      for (let j = from; j < to; j++) sum += values[j]!;
      points.push(sum / (to - from));
    }
  }
  const min = Math.min(...points);
  const max = Math.max(...points);
  const range = max - min;
  return points.map((v) => bars[range === 0 ? 3 : Math.min(7, Math.floor(((v - min) / range) * 8))]).join('');
}

/** A horizontal gauge `[#####.....]` for a value within 0..max. */
export function gauge(value: number, max: number, width: number): string {
  const inner = Math.max(1, width - 2);
  const filled = Math.max(0, Math.min(inner, Math.round((value / max) * inner)));
  return `[${'#'.repeat(filled)}${'.'.repeat(inner - filled)}]`;
}

/** `2h03m`, `5m07s`, `42s`. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '-';
  const s = Math.max(0, Math.round(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d}d${String(h).padStart(2, '0')}h`;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(sec).padStart(2, '0')}s`;
  return `${sec}s`;
}

/** A fixed-width marker that says the health in letters. */
export function healthMarker(health: DeviceHealth | string): string {
  switch (health) {
    case 'ok':
      return '[ OK ]';
    case 'degraded':
      return '[WARN]';
    case 'missing':
      return '[FAIL]';
    case 'disabled':
      return '[ -- ]';
    case 'starting':
      return '[ .. ]';
    default:
      return '[ ?? ]';
  }
}

/** Colour that repeats a health marker, for terminals that have it. */
export function healthColour(health: DeviceHealth | string): 'green' | 'yellow' | 'red' | 'gray' | undefined {
  if (health === 'ok') return 'green';
  if (health === 'degraded' || health === 'starting') return 'yellow';
  if (health === 'missing') return 'red';
  if (health === 'disabled') return 'gray';
  return undefined;
}

/** Cuts a line to `width` columns, marking the cut with `~`. */
export function clip(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  return `${chars.slice(0, Math.max(0, width - 1)).join('')}~`;
}

export function padEnd(text: string, width: number): string {
  const clipped = clip(text, width);
  return clipped + ' '.repeat(Math.max(0, width - [...clipped].length));
}

const levelRank: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };
export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

/** Lines at or above `level` and, when given, of that component. */
export function filterLogs(lines: readonly LogLine[], level: string, component: string): LogLine[] {
  const min = levelRank[level] ?? 0;
  return lines.filter((l) => (levelRank[l.level] ?? 0) >= min && (!component || l.component === component));
}

/** `12:03:44 WARN  link: broker refused the record` (time of day from the ISO time). */
export function formatLogLine(line: LogLine): string {
  // The daemon stamps UTC; shown in the UI's one zone, as the header clock.
  const at = Date.parse(line.time);
  const time = Number.isFinite(at) ? timeOfDay(at) : line.time.slice(0, 8);
  return `${time} ${line.level.toUpperCase().padEnd(5)} ${line.component ? `${line.component}: ` : ''}${line.msg}`;
}

/** The zone of every time the UI shows, named in its header. */
export const timeZoneLabel = '+07';

/** `HH:MM:SS` of a clock time in ms, in UTC+7 (Ho Chi Minh City has no daylight saving). */
export function timeOfDay(ms: number): string {
  return new Date(ms + 7 * 3600_000).toISOString().slice(11, 19);
}

/**
 * Sets the value at a JSON pointer (`/telemetry/intervalS`) in a copy of `document`; the value text
 * is JSON, or taken as a string when it is not valid JSON. Missing objects on the way are created.
 */
export function setAtPointer(document: unknown, pointer: string, valueText: string): unknown {
  if (!pointer.startsWith('/') || pointer === '/') throw new Error('the path must start with / and name a key, e.g. /telemetry/intervalS');
  let value: unknown;
  try {
    value = JSON.parse(valueText);
  } catch {
    value = valueText;
  }
  const copy = structuredClone(document) as Record<string, unknown>;
  const keys = pointer.slice(1).split('/').map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
  let node: Record<string, unknown> = copy;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (next === undefined) node[key] = {};
    else if (typeof next !== 'object' || next === null) throw new Error(`${key} is not an object`);
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
  return copy;
}

/** The value at a JSON pointer, or undefined. */
export function valueAtPointer(document: unknown, pointer: string): unknown {
  return pointer
    .slice(1)
    .split('/')
    .map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, key) => (typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined), document);
}

/** JSON pointers whose values differ between two documents (leaves only). */
export function changedPaths(before: unknown, after: unknown, base = ''): string[] {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObj(before) && isObj(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => changedPaths(before[k], after[k], `${base}/${k}`));
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [base || '/'];
}
