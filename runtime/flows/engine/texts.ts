/** Texts the engine composes from the flow bundle's catalogs: templates, local time, health units and advice. */
import type { FlowBundle, Locale, Text } from '../types.js';
import { renderTemplate } from '../template.js';
import { summariseHealth } from '../../services/health-classification.js';

export function resolveText(bundle: FlowBundle, locale: Locale, t: Text | undefined, data: unknown): string {
  if (t === undefined) return '';
  const raw = typeof t === 'string' ? bundle.catalogs[locale][t] ?? bundle.catalogs.vi[t] ?? t : t[locale];
  return renderTemplate(raw, data);
}

/** Ho Chi Minh City time (UTC+7, no daylight saving) as `25/11/2026 09:00`. */
export function formatLocalTime(ms: number): string {
  const d = new Date(ms + 7 * 3600_000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${p(d.getUTCMonth() + 1)}/${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`;
}

/** A unit in words where a language has its own (heart rate: `lần/phút`), else the symbol (kg, mmHg, °C). */
export function healthUnit(bundle: FlowBundle, locale: Locale, f: { item: string; unit: string }): string {
  const key = `health.${f.item}.unit`;
  return bundle.catalogs[locale][key] !== undefined ? resolveText(bundle, locale, key, {}) : f.unit;
}

/** Plain advice per finding that has some, then the "see a doctor" line where warranted. */
export function healthAdvice(bundle: FlowBundle, locale: Locale, summary: ReturnType<typeof summariseHealth>): string[] {
  const t = (key: string) => resolveText(bundle, locale, key, {});
  const lines: string[] = [];
  for (const f of summary.findings) {
    const key = f.classification ? `health.advice.${f.item}.${f.classification.band}` : undefined;
    if (key && bundle.catalogs[locale][key] !== undefined) lines.push(t(key));
  }
  if (summary.findings.length > 0) {
    if (summary.urgent) lines.push(t('health.see-doctor-urgent'));
    else if (summary.seeDoctor) lines.push(t('health.see-doctor'));
    // "All normal" only when every value shown is in its good band: a BMI marked overweight
    // cannot sit above a line saying everything is normal.
    else if (summary.findings.some((f) => f.classification && f.classification.tone !== 'good')) lines.push(t('health.some-outside'));
    else if (summary.findings.some((f) => f.classification)) lines.push(t('health.all-good'));
  }
  lines.push(t('health.disclaimer'));
  return lines;
}
