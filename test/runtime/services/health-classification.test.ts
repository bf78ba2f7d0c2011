import t from 'tap';
import {
  classifyBloodPressure, classifyBmi, classifySpo2, classifyTemperature, classifyPulse, bmiOf, summariseHealth,
  checkHealthThresholds, defaultHealthThresholds,
} from '../../../runtime/services/health-classification.js';
import { healthFhirBundle } from '../../../runtime/services/fhir.js';

t.test('blood pressure follows the VNHA/VSH 2018 table at every boundary', async (t) => {
  const cases: [number, number, string][] = [
    [119, 79, 'optimal'], [120, 79, 'normal'], [119, 80, 'normal'], [129, 84, 'normal'],
    [130, 84, 'high-normal'], [125, 85, 'high-normal'], [139, 89, 'high-normal'],
    [140, 90, 'grade-1'], [135, 95, 'grade-1'], [159, 99, 'grade-1'],
    [160, 100, 'grade-2'], [150, 105, 'grade-2'], [179, 109, 'grade-2'],
    [180, 110, 'grade-3'], [170, 115, 'grade-3'],
    [140, 89, 'isolated-systolic'], [165, 70, 'isolated-systolic'], [185, 85, 'isolated-systolic'],
    [85, 55, 'low'], [100, 59, 'low'],
  ];
  for (const [s, d, band] of cases) t.equal(classifyBloodPressure(s, d).band, band, `${s}/${d} → ${band}`);
  t.match(classifyBloodPressure(185, 85), { seeDoctor: true, urgent: true, tone: 'danger' }, 'isolated systolic at grade-3 level is urgent');
  t.match(classifyBloodPressure(118, 76), { seeDoctor: false, tone: 'good' });
  t.match(classifyBloodPressure(182, 112), { urgent: true });
});

t.test('BMI uses the WHO Asia-Pacific cut-offs 18.5 / 23 / 25', async (t) => {
  t.equal(bmiOf(62.4, 165), 22.9);
  t.equal(classifyBmi(18.4).band, 'underweight');
  t.equal(classifyBmi(18.5).band, 'normal');
  t.equal(classifyBmi(22.9).band, 'normal');
  t.equal(classifyBmi(23).band, 'overweight');
  t.equal(classifyBmi(25).band, 'obese-1');
  t.equal(classifyBmi(30).band, 'obese-2');
});

t.test('SpO2, pulse and temperature bands', async (t) => {
  t.equal(classifySpo2(95).band, 'normal');
  t.match(classifySpo2(94), { band: 'below-normal', seeDoctor: true, urgent: false });
  t.match(classifySpo2(89), { band: 'low', urgent: true });
  t.equal(classifyPulse(72).band, 'normal');
  t.equal(classifyPulse(45).band, 'slow');
  t.equal(classifyPulse(110).band, 'fast');
  t.match(classifyPulse(140), { band: 'very-fast', urgent: true });
  t.equal(classifyTemperature(34.9).band, 'low');
  t.equal(classifyTemperature(37.4).band, 'normal');
  t.equal(classifyTemperature(37.5).band, 'fever');
  t.match(classifyTemperature(39.0), { band: 'high-fever', urgent: true });
});

t.test('thresholds come from the table passed in', async (t) => {
  const strict = { ...defaultHealthThresholds, spo2: { normalMin: 96, lowMin: 92 } };
  t.equal(summariseHealth({ spo2: { kind: 'spo2', at: 0, device: 'spo2', values: { spo2: 95, heartRate: 70, perfusionIndex: 1 } } }, strict).findings[0]?.classification?.band, 'below-normal');
  t.same(checkHealthThresholds(defaultHealthThresholds), []);
  t.match(checkHealthThresholds({ ...defaultHealthThresholds, temperature: { lowBelow: 35, feverFrom: 39, highFeverFrom: 38 } }), [/temperature/]);
});

t.test('the FHIR R4 bundle has one vital-signs Observation per value with LOINC codes and UCUM units', async (t) => {
  const at = Date.UTC(2026, 10, 25, 2, 0, 0);
  const bundle = healthFhirBundle({
    weight: { kind: 'weight', at, device: 'scale', values: { weightKg: 62.4 } },
    height: { kind: 'height', at, device: 'height', values: { heightCm: 165 } },
    spo2: { kind: 'spo2', at, device: 'spo2', values: { spo2: 97, heartRate: 72, perfusionIndex: 2 } },
    bloodPressure: { kind: 'bloodPressure', at, device: 'bloodPressure', values: { systolic: 128, diastolic: 82, map: 97, pulse: 75 } },
    temperature: { kind: 'temperature', at, device: 'thermometer', values: { celsius: 36.6 } },
  }, { bundleId: '00000000-0000-4000-8000-000000000001', at });
  t.equal(bundle.resourceType, 'Bundle');
  t.equal(bundle.type, 'collection');
  const byCode = new Map(bundle.entry.map((e) => [e.resource.code.coding.at(-1)?.code, e.resource]));
  const bp = byCode.get('85354-9');
  t.match(bp?.component, [
    { code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, valueQuantity: { value: 128, system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
    { code: { coding: [{ code: '8462-4' }] }, valueQuantity: { value: 82, code: 'mm[Hg]' } },
  ]);
  t.match(byCode.get('8867-4')?.valueQuantity, { value: 72, code: '/min' });
  t.match(byCode.get('59408-5')?.valueQuantity, { value: 97, code: '%' });
  t.match(byCode.get('29463-7')?.valueQuantity, { value: 62.4, code: 'kg' });
  t.match(byCode.get('8302-2')?.valueQuantity, { value: 165, code: 'cm' });
  t.match(byCode.get('39156-5')?.valueQuantity, { value: 22.9, code: 'kg/m2' });
  t.match(byCode.get('8310-5')?.valueQuantity, { value: 36.6, code: 'Cel' });
  for (const e of bundle.entry) {
    t.match(e.resource, { status: 'final', category: [{ coding: [{ code: 'vital-signs' }] }], effectiveDateTime: '2026-11-25T02:00:00.000Z' });
    t.equal(e.fullUrl, `urn:uuid:${e.resource.id}`);
    t.notOk('subject' in e.resource, 'no subject without consent to share identity');
  }
  t.equal(new Set(bundle.entry.map((e) => e.resource.id)).size, bundle.entry.length, 'ids are distinct');
  t.equal(healthFhirBundle({}, { bundleId: '00000000-0000-4000-8000-000000000002', at }).entry.length, 0, 'skipped measurements produce nothing');
});
