import t from 'tap';
import { validateConfig } from '../../../runtime/config/config.js';
import type { StationConfig } from '../../../runtime/config/config.js';
import { engineConfigFrom } from '../../../runtime/flows/config.js';
import { defaultHealthThresholds } from '../../../runtime/services/health-classification.js';

t.test('config defaults give the published thresholds and the engine defaults', async (t) => {
  const checked = validateConfig({ version: 1, station: { id: 'cds-bt-001', site: { building: 'Tháp Bora' } } });
  t.ok(checked.ok, JSON.stringify(checked));
  if (!checked.ok) return;
  const config = checked.config as StationConfig;
  t.match(config.flows, { dir: 'flows', stepTimeoutMs: 60000, idleWarningSeconds: 20, noticeMs: 10000 });
  const engine = engineConfigFrom(config);
  t.ok(engine.ok);
  if (!engine.ok) return;
  t.same(engine.config.healthThresholds, defaultHealthThresholds);
  t.equal(engine.config.station.building, 'Tháp Bora');
  t.equal(engine.config.defaultLocale, 'vi');
});

t.test('a threshold table can be changed, but not into overlapping bands', async (t) => {
  const base = { version: 1, station: { id: 'cds-bt-001' } };
  const changed = validateConfig({ ...base, health: { thresholds: { spo2: { normalMin: 94 } } } });
  t.ok(changed.ok);
  if (changed.ok) {
    const engine = engineConfigFrom(changed.config as StationConfig);
    t.equal(engine.ok && engine.config.healthThresholds.spo2.normalMin, 94);
    t.equal(engine.ok && engine.config.healthThresholds.spo2.lowMin, 90, 'the rest keeps its default');
  }
  const overlapping = validateConfig({ ...base, health: { thresholds: { bmi: { overweight: 26 } } } });
  t.ok(overlapping.ok, 'the schema alone accepts it');
  if (overlapping.ok) t.match(engineConfigFrom(overlapping.config as StationConfig), { ok: false, problems: [{ path: '/health/thresholds', reason: /bmi bands must rise/ }] });
  const wrongShape = validateConfig({ ...base, health: { thresholds: { bloodPressure: { optimal: [120] } } } });
  t.notOk(wrongShape.ok, 'a blood pressure bound needs systolic and diastolic');
  if (!wrongShape.ok) t.match(wrongShape.problems, [{ path: '/health/thresholds/bloodPressure/optimal' }]);
});
