/**
 * The only substitution flow files get: `{{path}}` or `{{path | filter}}` with a dotted path into
 * session data and a filter from a fixed set. No expressions, no evaluation: a path that does not
 * resolve becomes an empty string.
 */

export type TemplateFilter = 'vnd' | 'masked' | 'date' | 'ref';
export const templateFilters: readonly TemplateFilter[] = ['vnd', 'masked', 'date', 'ref'];

const pattern = /\{\{\s*([a-zA-Z][a-zA-Z0-9]*(?:\.[a-zA-Z0-9-]+)*)\s*(?:\|\s*([a-z]+)\s*)?\}\}/g;
const whole = /^\{\{\s*([a-zA-Z][a-zA-Z0-9]*(?:\.[a-zA-Z0-9-]+)*)\s*\}\}$/;

/** The value at a dotted path, or undefined. Only own properties are followed (no prototype access). */
export function getPath(data: unknown, path: string): unknown {
  let cur: unknown = data;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Returns a copy of `data` with `value` at `path`, creating objects on the way. */
export function setPath<T extends Record<string, unknown>>(data: T, path: string, value: unknown): T {
  const [head, ...rest] = path.split('.') as [string, ...string[]];
  if (rest.length === 0) return { ...data, [head]: value };
  const child = data[head];
  const base = child !== null && typeof child === 'object' && !Array.isArray(child) ? (child as Record<string, unknown>) : {};
  return { ...data, [head]: setPath(base, rest.join('.'), value) };
}

/** Formats a VND amount the Vietnamese way: `1.250.000 ₫`. */
export function formatVnd(amount: number): string {
  const digits = String(Math.round(Math.abs(amount)));
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  return `${amount < 0 ? '-' : ''}${grouped} ₫`;
}

function applyFilter(value: unknown, filter: string | undefined): string {
  if (value === undefined || value === null) return '';
  switch (filter) {
    case 'vnd': {
      const n = typeof value === 'number' ? value : Number(value);
      return Number.isFinite(n) ? formatVnd(n) : '';
    }
    case 'masked': {
      // On screen the hidden digits are dots: `*` is the keypad's delete key.
      const text = String(value);
      return text.length <= 5 ? text : text.slice(0, 3) + '•'.repeat(text.length - 5) + text.slice(-2);
    }
    case 'ref': {
      // A record's event id `{stationId}:{bootSeq}:{seq}` as a resident reads it out on the phone:
      // `3-0017`; central finds it with the station the caller names. The station id stays internal.
      const m = /:(\d+):(\d+)$/.exec(String(value));
      return m ? `${m[1]}-${(m[2] as string).padStart(4, '0')}` : String(value);
    }
    case 'date': {
      const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(value));
      return m ? `${m[3]}/${m[2]}/${m[1]}` : String(value);
    }
    default:
      return typeof value === 'object' ? '' : String(value);
  }
}

/** Substitutes every `{{path}}` in `text`. */
export function renderTemplate(text: string, data: unknown): string {
  return text.replace(pattern, (_m, path: string, filter: string | undefined) => applyFilter(getPath(data, path), filter));
}

/** Like {@link renderTemplate}, but a string that is exactly one `{{path}}` keeps the value's own type. */
export function resolveTemplateValue(value: string | number | boolean, data: unknown): unknown {
  if (typeof value !== 'string') return value;
  const m = whole.exec(value);
  if (m) return getPath(data, m[1] as string) ?? null;
  return renderTemplate(value, data);
}

/** Filters named in `text` that are not in the fixed set (for the bundle loader). */
export function unknownFilters(text: string): string[] {
  const bad: string[] = [];
  for (const m of text.matchAll(pattern)) {
    if (m[2] !== undefined && !(templateFilters as readonly string[]).includes(m[2])) bad.push(m[2]);
  }
  return bad;
}
