import t from 'tap';
import { flowRig } from '../fakes/flow-kit.js';
import type { FlowRig } from '../fakes/flow-kit.js';
import type { Key } from '../../runtime/kernel/input.js';

const cccd = '079158001234';
const name = 'Nguyễn Thị Lan';
const qr = `${cccd}|025123456|${name}|12031958|Nữ|12 Nguyễn Cơ Thạch, Bình Trưng, TP.HCM|20062021`;

function typeDigits(rig: FlowRig, digits: string): Promise<void> {
  return rig.press(...([...digits] as Key[]));
}

/** Home → health check → consent given; leaves the resident on the weight step. */
async function startHealthCheck(rig: FlowRig): Promise<void> {
  await rig.press('1');
  t.equal(rig.session.current().stepId, 'intro');
  await rig.press('ok');
  t.equal(rig.session.current().kind, 'consent');
  await rig.press('1');
  t.equal(rig.session.current().stepId, 'weight');
}

t.test('a full health check, keypad only: measure, classify, print, send as FHIR, feedback, home', async (t) => {
  const rig = await flowRig();
  t.equal(rig.session.current().kind, 'home');
  t.match(rig.session.current().options, [{ key: '1', label: 'Kiểm tra sức khỏe' }]);
  await startHealthCheck(rig);
  t.match(rig.records.of('consent'), [{ purpose: 'health-measurement', granted: true, flowId: 'health-check' }]);
  t.match(rig.records.of('consent')[0]?.textSha256, /^[0-9a-f]{64}$/);

  // Weight: the scale settles and the screen shows progress while measuring.
  rig.devices.script('weight', { values: { weightKg: 70 }, afterMs: 3000, progress: [{ phase: 'settling' }] });
  await rig.press('ok');
  t.equal(rig.session.current().kind, 'measure');
  t.match(rig.session.current().progress, { label: 'Đang chờ số cân ổn định' });
  await rig.wait(3000);
  t.equal(rig.session.current().stepId, 'height');
  for (const step of ['height', 'spo2', 'blood-pressure', 'temperature']) {
    t.equal(rig.session.current().stepId, step);
    if (step === 'blood-pressure') {
      rig.devices.script('bloodPressure', { values: { systolic: 145, diastolic: 85, map: 105, pulse: 80 }, afterMs: 40_000, progress: [{ phase: 'inflating', cuffPressure: 160 }] });
    }
    await rig.press('ok');
    if (step === 'blood-pressure') t.match(rig.session.current().progress, { value: 160, unit: 'mmHg', label: 'Vòng bít đang bơm' });
    await rig.wait(40_000);
  }
  const result = rig.session.current();
  t.equal(result.stepId, 'result');
  t.equal(result.kind, 'result');
  t.match(result.rows, [
    { label: 'Cân nặng', value: '70.0', unit: 'kg' },
    { label: 'Chiều cao', value: '165', unit: 'cm' },
    { label: 'Chỉ số khối cơ thể (BMI)', value: '25.7', band: 'Béo phì độ I', tone: 'warning' },
    { label: 'Huyết áp', value: '145/85', unit: 'mmHg', band: 'Tăng huyết áp tâm thu đơn độc', tone: 'warning' },
    { label: 'Nồng độ oxy trong máu (SpO2)', value: '97', band: 'Bình thường', tone: 'good' },
    { label: 'Nhịp tim', value: '72', band: 'Bình thường' },
    { label: 'Nhiệt độ cơ thể', value: '36.6', unit: '°C', band: 'Bình thường' },
  ]);
  t.ok(result.body?.includes('Bác/anh/chị nên đi khám bác sĩ để được tư vấn.'), 'see-a-doctor line');
  t.ok(result.body?.some((b) => b.includes('không thay thế chẩn đoán')), 'disclaimer');

  // Print the receipt.
  await rig.press('1');
  t.equal(rig.session.current().stepId, 'printed');
  const receipt = rig.printer.receipts[0] ?? [];
  t.ok(receipt.some((l) => l.text === 'Huyết áp: 145/85 mmHg - Tăng huyết áp tâm thu đơn độc'), 'receipt lists the classified values');
  t.ok(receipt.some((l) => l.text === 'Tháp Bora Sảnh tầng 1'), 'station place from config');

  // Send to telehealth: its own consent, then identity typed on the keypad.
  await rig.press('2');
  t.equal(rig.session.current().stepId, 'share-consent');
  await rig.press('1');
  t.equal(rig.session.current().kind, 'identity');
  await typeDigits(rig, cccd.slice(0, 8));
  t.equal(rig.session.current().input?.value, '079••••0', 'typed digits: the first three and the last one typed show, the rest are dots, never the delete key');
  await typeDigits(rig, cccd.slice(8));
  t.equal(rig.session.current().input?.value, '079••••••••4');
  t.notOk(JSON.stringify(rig.session.current()).includes(cccd), 'the full number is never on screen');
  await rig.press('ok');
  t.equal(rig.session.current().stepId, 'sent', '"recorded" shown only after the journal resolved');
  const [health] = rig.records.records.filter((r) => r.kind === 'health-record');
  t.equal(health?.options?.personal, true);
  const fhir = health?.payload.fhir as { resourceType: string; entry: { resource: { code: { coding: { code: string }[] }; subject?: { identifier: { value: string } } } }[] };
  t.equal(fhir.resourceType, 'Bundle');
  t.same(fhir.entry.map((e) => e.resource.code.coding.map((c) => c.code).join('+')).sort(),
    ['2708-6+59408-5', '29463-7', '39156-5', '8302-2', '8310-5', '85354-9', '8867-4'].sort());
  t.equal(fhir.entry[0]?.resource.subject?.identifier.value, cccd, 'identity shared only after its own consent');

  await rig.press('ok');
  t.equal(rig.session.current().kind, 'end');
  await rig.press('ok');
  t.equal(rig.session.current().flowId, 'feedback', 'feedback offered after a completed service');
  t.notOk(JSON.stringify(rig.session.state()).includes(cccd), 'the health check data is gone before feedback');
  await rig.press('5');
  t.match(rig.records.of('feedback'), [{ service: 'health-check', rating: 5 }]);
  await rig.wait(5000);
  t.equal(rig.session.current().kind, 'home');

  t.equal(rig.analytics.events.length, 1, 'one visit, one session: the rating is part of it');
  const [run] = rig.analytics.events;
  t.match(run, { service: 'health-check', outcome: 'completed', lastStep: 'done', locale: 'vi', feedback: { rating: 5 } });
  t.notOk(run && 'beneficiary' in run, 'a typed number gives no beneficiary figures (only a scanned card does)');
  t.notOk(JSON.stringify(rig.analytics.events).includes(cccd), 'analytics never carry the id');
  t.notOk(JSON.stringify(rig.analytics.events).includes('Lan'), 'analytics never carry the name');
  t.ok(run?.steps.some((s) => s.stepId === 'blood-pressure' && s.durationMs >= 40_000 && s.outcome === 'ok'));
  t.equal(run?.endedAt, run?.steps.at(-1)?.enteredAt, 'it ends when the end screen showed: its duration is the service, not the rating');
  const recordSessionIds = new Set(rig.records.records.map((r) => r.payload.sessionId));
  t.ok(recordSessionIds.size > 0);
  t.notOk(rig.analytics.events.some((e) => recordSessionIds.has(e.sessionId)), 'analytics ids cannot be joined to the personal records');
  t.ok(rig.store.writes.length > 10, 'the snapshot was saved step by step');
  t.notOk(rig.store.writes.some((json) => json.includes(cccd) || json.includes('145/85') || json.includes('"systolic"')), 'no saved snapshot holds resident data');
  await rig.session.stop();
});

t.test('each measurement can be skipped with 0', async (t) => {
  const rig = await flowRig();
  await startHealthCheck(rig);
  await rig.press('0', '0', '0', '0', '0');
  t.equal(rig.session.current().stepId, 'result');
  t.same(rig.devices.started, []);
  t.ok(rig.session.current().body?.includes('Chưa có chỉ số nào được đo.'));
  await rig.session.stop();
});

t.test('a device failing mid-flow moves on to the next measurement; a running cuff is released by Home', async (t) => {
  const rig = await flowRig();
  await startHealthCheck(rig);
  await rig.press('ok');
  await rig.wait(2000);
  await rig.press('ok');
  await rig.wait(2000);
  rig.devices.script('spo2', { fail: 'DEVICE_MISSING', afterMs: 500 });
  await rig.press('ok');
  await rig.wait(500);
  t.equal(rig.session.current().stepId, 'blood-pressure', 'the pulse oximeter is gone: go on with blood pressure');
  rig.devices.script('bloodPressure', { hang: true, progress: [{ phase: 'inflating', cuffPressure: 120 }] });
  await rig.press('ok');
  t.equal(rig.session.current().kind, 'measure');
  await rig.press('home');
  t.same(rig.devices.aborted, ['bloodPressure'], 'the measurement was aborted (the driver deflates the cuff)');
  t.equal(rig.session.current().kind, 'home');
  t.match(rig.analytics.events, [{ service: 'health-check', outcome: 'abandoned', lastStep: 'blood-pressure', failureCause: 'device', failureCode: 'DEVICE_MISSING' }]);
  await rig.session.stop();
});

t.test('a reading that fails can be retried, then the step gives up', async (t) => {
  const rig = await flowRig();
  await startHealthCheck(rig);
  rig.devices.script('weight', { fail: 'DEVICE_READ_FAILED' }, { fail: 'DEVICE_READ_FAILED' });
  await rig.press('ok');
  await rig.wait(2000);
  t.equal(rig.session.current().stepId, 'weight');
  t.ok(rig.session.current().body?.some((b) => b.startsWith('Chưa đo được')), 'tells the resident and offers a retry');
  await rig.press('ok');
  await rig.wait(2000);
  t.equal(rig.session.current().stepId, 'height', 'two failures: on to the next measurement');
  await rig.session.stop();
});

t.test('refusing consent (or saying nothing) measures nothing', async (t) => {
  const rig = await flowRig();
  await rig.press('1', 'ok');
  await rig.wait(60_000);
  t.match(rig.records.of('consent'), [{ purpose: 'health-measurement', granted: false }], 'silence recorded as a refusal');
  t.equal(rig.session.current().stepId, 'refused');
  t.same(rig.devices.started, []);
  await rig.session.stop();
});

t.test('the idle warning counts down, then every trace of the resident is wiped', async (t) => {
  const rig = await flowRig();
  await startHealthCheck(rig);
  await rig.press('0', '0', '0', '0', '0', '2', '1');
  t.equal(rig.session.current().kind, 'identity');
  rig.session.input({ type: 'scan', text: qr });
  await rig.wait(0);
  t.equal(rig.session.current().stepId, 'sent');
  t.ok(JSON.stringify(rig.session.state()).includes(cccd), 'while the session runs, the identity is held');
  t.ok(JSON.stringify(rig.session.state()).includes(name));
  await rig.wait(60_000);
  const warning = rig.session.current();
  t.equal(warning.kind, 'idle-warning');
  t.equal(warning.countdown, 20);
  await rig.wait(5000);
  t.equal(rig.session.current().countdown, 15, 'the countdown is visible and moves');
  await rig.wait(15_000);
  const home = rig.session.current();
  t.equal(home.kind, 'home');
  for (const trace of [cccd, name, 'Nguyễn', '079*******34', '12031958', '1958-03-12']) {
    t.notOk(JSON.stringify(rig.session.state()).includes(trace), `session state holds no ${trace}`);
    t.notOk(JSON.stringify(home).includes(trace), `screen model holds no ${trace}`);
  }
  t.same(rig.session.state().data, {});
  t.equal(rig.session.state().run, undefined);
  t.match(rig.analytics.events, [{ service: 'health-check', outcome: 'abandoned', lastStep: 'sent', beneficiary: { ageBand: '60-74', sex: 'female' } }]);
  await rig.session.stop();
});

t.test('a key during the idle warning keeps the session', async (t) => {
  const rig = await flowRig();
  await rig.press('1');
  await rig.wait(60_000);
  t.equal(rig.session.current().kind, 'idle-warning');
  await rig.press('5');
  t.equal(rig.session.current().stepId, 'intro');
  await rig.press('ok');
  t.equal(rig.session.current().stepId, 'consent');
  await rig.session.stop();
});

t.test('a typed CCCD gives no beneficiary figures', async (t) => {
  const rig = await flowRig();
  await startHealthCheck(rig);
  await rig.press('0', '0', '0', '0', '0', '2', '1');
  await typeDigits(rig, cccd);
  await rig.press('ok', 'ok', 'home');
  t.match(rig.analytics.events, [{ service: 'health-check', outcome: 'completed', lastStep: 'done' }]);
  t.notOk('beneficiary' in (rig.analytics.events[0] ?? {}), 'typed: no beneficiary');
  await rig.session.stop();
});

t.test('a measurement past its deadline is aborted and the check goes on; a printer failure is said plainly', async (t) => {
  const rig = await flowRig();
  await startHealthCheck(rig);
  await rig.press('0', '0', '0');
  t.equal(rig.session.current().stepId, 'blood-pressure');
  rig.devices.script('bloodPressure', { hang: true });
  await rig.press('ok');
  await rig.wait(149_999);
  t.equal(rig.session.current().kind, 'measure', 'still measuring just before the 150 s deadline');
  await rig.wait(1);
  t.same(rig.devices.aborted, ['bloodPressure'], 'the cuff is released at the deadline');
  t.equal(rig.session.current().stepId, 'temperature');
  await rig.press('ok');
  await rig.wait(2000);
  rig.printer.failWith = 'DEVICE_MISSING';
  await rig.press('1');
  t.equal(rig.session.current().stepId, 'print-failed');
  t.match(rig.session.current().rows, [{ label: 'Nhiệt độ cơ thể', value: '36.6' }], 'the results stay on screen');
  await rig.press('ok');
  t.equal(rig.session.current().kind, 'end');
  t.same(rig.analytics.events, [], 'the completed visit is counted once its feedback question ends');
  await rig.press('home');
  t.match(rig.analytics.events, [{ outcome: 'completed', failureCause: 'device', failureCode: 'DEVICE_TIMEOUT' }]);
  t.notOk(rig.analytics.events[0] && 'feedback' in rig.analytics.events[0], 'Home on the end screen: the question was never asked');
  await rig.session.stop();
});
