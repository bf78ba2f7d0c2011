/**
 * The health-check results as a FHIR R4 Bundle of vital-sign Observations, for the telehealth
 * service. Codes follow the FHIR R4 vital signs profile (hl7.org/fhir/R4/observation-vitalsigns.html):
 * LOINC for the observation, UCUM for the unit, category `vital-signs`.
 */
import type { HealthMeasurements } from './health-classification.js';
import { bmiOf } from './health-classification.js';

const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';

interface Coding { system: string; code: string; display: string }
interface Quantity { value: number; unit: string; system: string; code: string }

export interface FhirObservation {
  resourceType: 'Observation';
  id: string;
  status: 'final';
  category: { coding: Coding[] }[];
  code: { coding: Coding[]; text: string };
  subject?: { identifier: { system: string; value: string } };
  effectiveDateTime: string;
  valueQuantity?: Quantity;
  component?: { code: { coding: Coding[] }; valueQuantity: Quantity }[];
  device?: { display: string };
}

export interface FhirBundle {
  resourceType: 'Bundle';
  id: string;
  type: 'collection';
  timestamp: string;
  entry: { fullUrl: string; resource: FhirObservation }[];
}

/**
 * Identifier system for the 12-digit personal identification number on the chip CCCD. No national
 * FHIR naming system is published for it, so the station uses this URN and the telehealth side maps it.
 */
export const cccdIdentifierSystem = 'urn:vn:cccd';

function loinc(code: string, display: string): Coding {
  return { system: LOINC, code, display };
}

function qty(value: number, unit: string, code: string = unit): Quantity {
  return { value, unit, system: UCUM, code };
}

export interface FhirBundleOptions {
  /** A UUID that names the bundle; observation ids are derived from it. */
  bundleId: string;
  /** Clock ms of the bundle. */
  at: number;
  /** The resident's CCCD number, only when the resident consented to sharing it with telehealth. */
  subjectCccd?: string;
}

/** Builds the bundle from whatever was measured; skipped measurements produce no observation. */
export function healthFhirBundle(m: HealthMeasurements, options: FhirBundleOptions): FhirBundle {
  const observations: Omit<FhirObservation, 'resourceType' | 'id' | 'status' | 'category' | 'subject'>[] = [];
  const iso = (ms: number) => new Date(ms).toISOString();
  if (m.bloodPressure) {
    const v = m.bloodPressure.values;
    observations.push({
      code: { coding: [loinc('85354-9', 'Blood pressure panel with all children optional')], text: 'Blood pressure' },
      effectiveDateTime: iso(m.bloodPressure.at),
      component: [
        { code: { coding: [loinc('8480-6', 'Systolic blood pressure')] }, valueQuantity: qty(v.systolic, 'mmHg', 'mm[Hg]') },
        { code: { coding: [loinc('8462-4', 'Diastolic blood pressure')] }, valueQuantity: qty(v.diastolic, 'mmHg', 'mm[Hg]') },
      ],
    });
  }
  const heartRate = m.spo2?.values.heartRate ?? m.bloodPressure?.values.pulse;
  const heartRateAt = m.spo2?.at ?? m.bloodPressure?.at;
  if (heartRate !== undefined && heartRateAt !== undefined) {
    observations.push({
      code: { coding: [loinc('8867-4', 'Heart rate')], text: 'Heart rate' },
      effectiveDateTime: iso(heartRateAt), valueQuantity: qty(Math.round(heartRate), 'beats/minute', '/min'),
    });
  }
  if (m.spo2) {
    observations.push({
      // The vital signs profile requires 2708-6 alongside the pulse-oximetry code 59408-5.
      code: {
        coding: [loinc('2708-6', 'Oxygen saturation in Arterial blood'), loinc('59408-5', 'Oxygen saturation in Arterial blood by Pulse oximetry')],
        text: 'SpO2',
      },
      effectiveDateTime: iso(m.spo2.at), valueQuantity: qty(m.spo2.values.spo2, '%'),
    });
  }
  if (m.weight) {
    observations.push({
      code: { coding: [loinc('29463-7', 'Body weight')], text: 'Body weight' },
      effectiveDateTime: iso(m.weight.at), valueQuantity: qty(m.weight.values.weightKg, 'kg'),
    });
  }
  if (m.height) {
    observations.push({
      code: { coding: [loinc('8302-2', 'Body height')], text: 'Body height' },
      effectiveDateTime: iso(m.height.at), valueQuantity: qty(m.height.values.heightCm, 'cm'),
    });
  }
  if (m.weight && m.height && m.height.values.heightCm > 0) {
    observations.push({
      code: { coding: [loinc('39156-5', 'Body mass index (BMI) [Ratio]')], text: 'BMI' },
      effectiveDateTime: iso(Math.max(m.weight.at, m.height.at)),
      valueQuantity: qty(bmiOf(m.weight.values.weightKg, m.height.values.heightCm), 'kg/m2'),
    });
  }
  if (m.temperature) {
    observations.push({
      code: { coding: [loinc('8310-5', 'Body temperature')], text: 'Body temperature' },
      effectiveDateTime: iso(m.temperature.at), valueQuantity: qty(m.temperature.values.celsius, 'Cel'),
    });
  }
  const entry = observations.map((o, i) => {
    const id = derivedUuid(options.bundleId, i + 1);
    const resource: FhirObservation = {
      resourceType: 'Observation', id, status: 'final',
      category: [{ coding: [{ system: CATEGORY, code: 'vital-signs', display: 'Vital Signs' }] }],
      ...(options.subjectCccd ? { subject: { identifier: { system: cccdIdentifierSystem, value: options.subjectCccd } } } : {}),
      ...o,
    };
    return { fullUrl: `urn:uuid:${id}`, resource };
  });
  return { resourceType: 'Bundle', id: options.bundleId, type: 'collection', timestamp: new Date(options.at).toISOString(), entry };
}

/** A distinct UUID per observation: the bundle's UUID with its last four hex digits replaced by the index. */
function derivedUuid(base: string, index: number): string {
  return base.slice(0, -4) + index.toString(16).padStart(4, '0');
}
