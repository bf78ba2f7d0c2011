// A health check that does not contradict itself: the summary line follows every band shown, each
// step's progress speaks of its own device, and a measurement OK was never pressed for is asked for
// again, then skipped with a note on the result, never dropped silently.
import t from 'tap';
import { flowRig, type FlowRig } from '../fakes/flow-kit.js';

async function toWeight(rig: FlowRig): Promise<void> {
  await rig.press('1', 'ok', '1');
  t.equal(rig.session.current().stepId, 'weight');
}

/** Measures the remaining steps with OK, each device answering after 2 s. */
async function measureRest(rig: FlowRig): Promise<void> {
  for (let i = 0; i < 5 && rig.session.current().kind === 'measure'; i++) {
    await rig.press('ok');
    await rig.wait(40_000);
  }
}

t.test('a BMI in its overweight band is never followed by "all values are normal"', async (t) => {
  const rig = await flowRig();
  t.teardown(() => rig.session.stop());
  rig.devices.script('weight', { values: { weightKg: 62.8 } });
  rig.devices.script('height', { values: { heightCm: 164.5 } });
  await toWeight(rig);
  await measureRest(rig);
  const result = rig.session.current();
  t.equal(result.stepId, 'result');
  const bmi = result.rows?.find((r) => r.label.includes('BMI'));
  t.equal(bmi?.value, '23.2');
  t.not(bmi?.tone, 'good', 'BMI 23.2 is outside the good band (WHO Asia-Pacific cut-offs)');
  t.notOk(result.body?.includes('Các chỉ số đo được đều trong giới hạn bình thường.'), 'no "all normal" line');
  t.ok(result.body?.includes('Một số chỉ số ngoài mức bình thường (xem các dòng được đánh dấu). Nên theo dõi và đo lại sau.'), 'the summary points at the marked line');
  t.equal(result.tone, 'caution', 'and the header is not green');
});

t.test('all values in their good bands: the summary says so and the header is green', async (t) => {
  const rig = await flowRig();
  t.teardown(() => rig.session.stop());
  rig.devices.script('weight', { values: { weightKg: 55 } });
  await toWeight(rig);
  await measureRest(rig);
  const result = rig.session.current();
  t.ok(result.rows?.every((r) => !r.tone || r.tone === 'good'), 'every band good');
  t.ok(result.body?.includes('Các chỉ số đo được đều trong giới hạn bình thường.'));
  t.equal(result.tone, 'good');
});

t.test("SpO2's settling phase speaks of the finger, not the scale", async (t) => {
  const rig = await flowRig();
  t.teardown(() => rig.session.stop());
  await toWeight(rig);
  await rig.press('0', '0');
  t.equal(rig.session.current().stepId, 'spo2');
  rig.devices.script('spo2', { values: { spo2: 97, heartRate: 72, perfusionIndex: 2 }, afterMs: 30_000, progress: [{ phase: 'settling' }] });
  await rig.press('ok');
  t.equal(rig.session.current().progress?.label, 'Đang chờ tín hiệu ổn định, giữ yên ngón tay');
});

t.test('OK not pressed: asked again once, then skipped with a note on the result', async (t) => {
  const rig = await flowRig();
  t.teardown(() => rig.session.stop());
  await toWeight(rig);
  await rig.press('ok');
  await rig.wait(2000);
  t.equal(rig.session.current().stepId, 'height');
  await rig.wait(60_000);
  const reminder = rig.session.current();
  t.equal(reminder.stepId, 'height', 'still on the height step after its 60 s');
  t.equal(reminder.tone, 'caution');
  t.ok(reminder.body?.some((b) => b.startsWith('Chưa bấm OK nên chưa đo.')), 'and it says OK was not pressed');
  await rig.wait(60_000);
  t.equal(rig.session.current().stepId, 'spo2', 'skipped after being asked twice');
  await rig.press('0');
  await measureRest(rig);
  const result = rig.session.current();
  t.equal(result.stepId, 'result');
  t.match(result.rows, [
    { label: 'Cân nặng', value: '62.4' },
  ]);
  t.ok(result.rows?.some((r) => r.label === 'Chiều cao' && r.value === 'Chưa đo (không bấm OK)'), 'the height row says why it is missing');
  t.ok(result.rows?.some((r) => r.label === 'SpO2 và nhịp tim' && r.value === 'Chưa đo (đã bỏ qua)'), 'a skip by 0 is noted too');
});
