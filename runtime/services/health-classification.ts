/**
 * Reference classification of the health-check measurements, shown to the resident as plain advice.
 * Not a diagnosis: the station screens, a doctor diagnoses. Thresholds come from the config table
 * `health.thresholds` (config/schema.json); the defaults below are the published cut-offs.
 *
 * - Blood pressure: Vietnam Heart Association / Vietnamese Society of Hypertension 2018 guideline
 *   (Khuyến cáo VNHA/VSH 2018), office BP: optimal <120/<80, normal 120–129/80–84, high-normal
 *   130–139/85–89, grade 1 140–159/90–99, grade 2 160–179/100–109, grade 3 ≥180/≥110; isolated systolic
 *   hypertension ≥140/<90. When systolic and diastolic fall in different bands the higher band counts.
 * - BMI: WHO expert consultation for Asian populations (Lancet 2004;363:157): underweight <18.5,
 *   normal 18.5–22.9, overweight (at risk) 23–24.9, obese ≥25 (obese II ≥30).
 * - SpO2 at rest by pulse oximetry: ≥95 % normal, 90–94 % below normal, <90 % low (hypoxaemia).
 * - Body temperature: <35.0 °C low, 35.0–37.4 °C normal, 37.5–38.9 °C fever, ≥39.0 °C high fever.
 * - Resting pulse: 50–100 /min counted normal for a screening kiosk (athletes and beta-blocker users
 *   sit below 60, so 50 is the lower bound here).
 */
import type { Measurement, MeasurementValues } from '../../drivers/types.js';

export interface HealthThresholds {
  bloodPressure: {
    /** Upper bounds (exclusive) of each band as [systolic, diastolic] in mmHg. */
    optimal: [number, number];
    normal: [number, number];
    highNormal: [number, number];
    grade1: [number, number];
    grade2: [number, number];
    /** Below either value counts as low blood pressure. */
    low: [number, number];
  };
  spo2: { normalMin: number; lowMin: number };
  pulse: { min: number; max: number; urgentMax: number };
  bmi: { underweight: number; overweight: number; obese: number; obese2: number };
  temperature: { lowBelow: number; feverFrom: number; highFeverFrom: number };
}

export const defaultHealthThresholds: HealthThresholds = {
  bloodPressure: {
    optimal: [120, 80], normal: [130, 85], highNormal: [140, 90], grade1: [160, 100], grade2: [180, 110], low: [90, 60],
  },
  spo2: { normalMin: 95, lowMin: 90 },
  pulse: { min: 50, max: 100, urgentMax: 130 },
  bmi: { underweight: 18.5, overweight: 23, obese: 25, obese2: 30 },
  temperature: { lowBelow: 35.0, feverFrom: 37.5, highFeverFrom: 39.0 },
};

export type Tone = 'good' | 'caution' | 'warning' | 'danger';

export type BloodPressureBand =
  | 'low' | 'optimal' | 'normal' | 'high-normal' | 'grade-1' | 'grade-2' | 'grade-3' | 'isolated-systolic';
export type Spo2Band = 'normal' | 'below-normal' | 'low';
export type PulseBand = 'normal' | 'slow' | 'fast' | 'very-fast';
export type BmiBand = 'underweight' | 'normal' | 'overweight' | 'obese-1' | 'obese-2';
export type TemperatureBand = 'low' | 'normal' | 'fever' | 'high-fever';

export interface Classification<B extends string> {
  band: B;
  tone: Tone;
  /** Show the "see a doctor" line. */
  seeDoctor: boolean;
  /** See a doctor today / call 115 rather than "soon". */
  urgent: boolean;
}

function c<B extends string>(band: B, tone: Tone, seeDoctor = false, urgent = false): Classification<B> {
  return { band, tone, seeDoctor, urgent };
}

const bpOrder: BloodPressureBand[] = ['optimal', 'normal', 'high-normal', 'grade-1', 'grade-2', 'grade-3'];

function bpBandOf(value: number, index: 0 | 1, t: HealthThresholds['bloodPressure']): BloodPressureBand {
  if (value < t.optimal[index]) return 'optimal';
  if (value < t.normal[index]) return 'normal';
  if (value < t.highNormal[index]) return 'high-normal';
  if (value < t.grade1[index]) return 'grade-1';
  if (value < t.grade2[index]) return 'grade-2';
  return 'grade-3';
}

export function classifyBloodPressure(systolic: number, diastolic: number, t = defaultHealthThresholds.bloodPressure): Classification<BloodPressureBand> {
  if (systolic < t.low[0] || diastolic < t.low[1]) return c('low', 'caution', true);
  const s = bpBandOf(systolic, 0, t);
  const d = bpBandOf(diastolic, 1, t);
  const band = bpOrder.indexOf(s) >= bpOrder.indexOf(d) ? s : d;
  // VSH 2018: isolated systolic hypertension is systolic ≥140 with diastolic <90, graded by the systolic value.
  if (systolic >= t.highNormal[0] && diastolic < t.highNormal[1]) {
    return c('isolated-systolic', s === 'grade-3' ? 'danger' : 'warning', true, s === 'grade-3');
  }
  switch (band) {
    case 'optimal': return c(band, 'good');
    case 'normal': return c(band, 'good');
    case 'high-normal': return c(band, 'caution');
    case 'grade-1': return c(band, 'warning', true);
    case 'grade-2': return c(band, 'warning', true);
    default: return c(band, 'danger', true, true);
  }
}

export function classifySpo2(spo2: number, t = defaultHealthThresholds.spo2): Classification<Spo2Band> {
  if (spo2 >= t.normalMin) return c('normal', 'good');
  if (spo2 >= t.lowMin) return c('below-normal', 'warning', true);
  return c('low', 'danger', true, true);
}

export function classifyPulse(bpm: number, t = defaultHealthThresholds.pulse): Classification<PulseBand> {
  if (bpm > t.urgentMax) return c('very-fast', 'danger', true, true);
  if (bpm > t.max) return c('fast', 'caution', true);
  if (bpm < t.min) return c('slow', 'caution', true);
  return c('normal', 'good');
}

export function bmiOf(weightKg: number, heightCm: number): number {
  const m = heightCm / 100;
  return Math.round((weightKg / (m * m)) * 10) / 10;
}

export function classifyBmi(bmi: number, t = defaultHealthThresholds.bmi): Classification<BmiBand> {
  if (bmi < t.underweight) return c('underweight', 'caution');
  if (bmi < t.overweight) return c('normal', 'good');
  if (bmi < t.obese) return c('overweight', 'caution');
  if (bmi < t.obese2) return c('obese-1', 'warning', true);
  return c('obese-2', 'warning', true);
}

export function classifyTemperature(celsius: number, t = defaultHealthThresholds.temperature): Classification<TemperatureBand> {
  if (celsius < t.lowBelow) return c('low', 'caution', true);
  if (celsius < t.feverFrom) return c('normal', 'good');
  if (celsius < t.highFeverFrom) return c('fever', 'warning', true);
  return c('high-fever', 'danger', true, true);
}

/** One line of the health summary; `item` names the catalog entries `health.<item>.*`. */
export interface HealthFinding {
  item: 'bloodPressure' | 'pulse' | 'spo2' | 'bmi' | 'weight' | 'height' | 'temperature';
  /** Display value, already rounded (e.g. `128/82`, `97`, `22.4`). */
  value: string;
  unit: string;
  classification?: Classification<string>;
}

export interface HealthSummary {
  findings: HealthFinding[];
  seeDoctor: boolean;
  urgent: boolean;
}

export type HealthMeasurements = Partial<{ [K in keyof MeasurementValues]: Measurement<K> }>;

/** Classifies whatever was measured (skipped measurements are simply absent). */
export function summariseHealth(m: HealthMeasurements, t: HealthThresholds = defaultHealthThresholds): HealthSummary {
  const findings: HealthFinding[] = [];
  const w = m.weight?.values.weightKg;
  const h = m.height?.values.heightCm;
  if (w !== undefined) findings.push({ item: 'weight', value: w.toFixed(1), unit: 'kg' });
  if (h !== undefined) findings.push({ item: 'height', value: h.toFixed(0), unit: 'cm' });
  if (w !== undefined && h !== undefined && h > 0) {
    const bmi = bmiOf(w, h);
    findings.push({ item: 'bmi', value: bmi.toFixed(1), unit: 'kg/m²', classification: classifyBmi(bmi, t.bmi) });
  }
  if (m.bloodPressure) {
    const { systolic, diastolic } = m.bloodPressure.values;
    findings.push({
      item: 'bloodPressure', value: `${Math.round(systolic)}/${Math.round(diastolic)}`, unit: 'mmHg',
      classification: classifyBloodPressure(systolic, diastolic, t.bloodPressure),
    });
  }
  const pulse = m.spo2?.values.heartRate ?? m.bloodPressure?.values.pulse;
  if (m.spo2) {
    findings.push({ item: 'spo2', value: m.spo2.values.spo2.toFixed(0), unit: '%', classification: classifySpo2(m.spo2.values.spo2, t.spo2) });
  }
  if (pulse !== undefined) {
    findings.push({ item: 'pulse', value: Math.round(pulse).toFixed(0), unit: '/min', classification: classifyPulse(pulse, t.pulse) });
  }
  if (m.temperature) {
    const celsius = m.temperature.values.celsius;
    findings.push({ item: 'temperature', value: celsius.toFixed(1), unit: '°C', classification: classifyTemperature(celsius, t.temperature) });
  }
  return {
    findings,
    seeDoctor: findings.some((f) => f.classification?.seeDoctor),
    urgent: findings.some((f) => f.classification?.urgent),
  };
}

/** Checks a `health.thresholds` table: every band bound must rise, so no value falls in two bands. */
export function checkHealthThresholds(t: HealthThresholds): string[] {
  const problems: string[] = [];
  const bp = t.bloodPressure;
  const seq = [bp.optimal, bp.normal, bp.highNormal, bp.grade1, bp.grade2];
  for (const i of [0, 1] as const) {
    for (let k = 1; k < seq.length; k++) {
      if ((seq[k] as [number, number])[i] <= (seq[k - 1] as [number, number])[i]) {
        problems.push(`bloodPressure bands must rise (${i === 0 ? 'systolic' : 'diastolic'})`);
        break;
      }
    }
    if (bp.low[i] > bp.optimal[i]) problems.push('bloodPressure.low must be below optimal');
  }
  if (!(t.spo2.lowMin < t.spo2.normalMin)) problems.push('spo2.lowMin must be below spo2.normalMin');
  if (!(t.pulse.min < t.pulse.max && t.pulse.max <= t.pulse.urgentMax)) problems.push('pulse: min < max <= urgentMax');
  if (!(t.bmi.underweight < t.bmi.overweight && t.bmi.overweight < t.bmi.obese && t.bmi.obese < t.bmi.obese2)) problems.push('bmi bands must rise');
  if (!(t.temperature.lowBelow < t.temperature.feverFrom && t.temperature.feverFrom < t.temperature.highFeverFrom)) problems.push('temperature bands must rise');
  return problems;
}
