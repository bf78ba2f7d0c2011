import t from 'tap';
import { flowRig, testBundle, MemorySnapshotStore } from '../../fakes/flow-kit.js';
import type { FlowRig } from '../../fakes/flow-kit.js';
import type { Key } from '../../../runtime/kernel/input.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { StationError } from '../../../runtime/kernel/errors.js';
import type { PaymentRunner } from '../../../runtime/flows/session.js';

const demo = `
id: demo
version: 1
title: { vi: "Tra cứu thử", en: "Demo lookup" }
menu: { key: "8" }
start: phone
steps:
  phone:
    kind: input
    title: { vi: "Số điện thoại", en: "Phone number" }
    help: { vi: "Gõ 10 số điện thoại.", en: "Type the 10 digits." }
    validator: phone
    personal: true
    save: phone
    next: lookup
  lookup:
    kind: lookup
    title: working.lookup
    service: bills
    params: { phone: "{{phone}}" }
    save: bill
    timeoutMs: 10000
    next: show
  show:
    kind: result
    title: { vi: "Hóa đơn", en: "Bill" }
    rows:
      - { label: { vi: "Số tiền", en: "Amount" }, value: "{{bill.amount | vnd}}" }
    next: pay
  pay:
    kind: pay
    title: { vi: "Thanh toán", en: "Pay" }
    amount: "{{bill.amount}}"
    reference: "{{bill.id}}"
    timeoutMs: 300000
    next: bye
  bye:
    kind: end
    title: { vi: "Xong", en: "Done" }
`;

async function demoRig(options: Parameters<typeof flowRig>[0] = {}): Promise<FlowRig> {
  return flowRig({ bundle: await testBundle([{ name: 'demo.yaml', text: demo }]), ...options });
}

const typeDigits = (rig: FlowRig, digits: string) => rig.press(...([...digits] as Key[]));

t.test('invalid digits are refused with a reason; three refusals end on the failure screen', async (t) => {
  const rig = await demoRig();
  await rig.press('8');
  await typeDigits(rig, '12345');
  await rig.press('ok');
  const refused = rig.session.current();
  t.equal(refused.stepId, 'phone');
  t.equal(refused.tone, 'caution');
  t.ok(refused.body?.includes('Đã nhập 5 số, cần đúng 10 số. Bấm * để xóa từng số.'), 'says which part is wrong: the count');
  t.ok(refused.body?.includes('Còn 2 lần thử.'));
  t.equal(refused.input?.value, '12345', 'the field keeps what was typed, to be corrected');
  await rig.press('*', '*', '*', '*', '*');
  await typeDigits(rig, '0123456789');
  await rig.press('ok', '1', 'ok');
  const failed = rig.session.current();
  t.equal(failed.kind, 'error');
  t.equal(failed.errorCode, 'INPUT_INVALID');
  t.match(failed.body, [/Thông tin nhập chưa đúng/]);
  t.same(rig.rpc.calls, [], 'nothing was sent to central');
  await rig.press('ok');
  t.equal(rig.session.current().kind, 'home', 'a failed run goes home, not to feedback');
  t.match(rig.analytics.events, [{ service: 'demo', outcome: 'failed', failureCause: 'input', failureCode: 'INPUT_INVALID' }]);
  await rig.session.stop();
});

t.test('central unreachable: a clear message, the failure counted as central, nothing half-done', async (t) => {
  const rig = await demoRig();
  rig.rpc.offline = true;
  rig.session.setLinkOnline(false);
  t.equal(rig.session.current().banners?.offline, true, 'the offline banner shows at home');
  await rig.press('8');
  t.equal(rig.session.current().banners?.offline, true, 'and on every screen');
  await typeDigits(rig, '0903123456');
  await rig.press('ok');
  const screen = rig.session.current();
  t.equal(screen.kind, 'error');
  t.equal(screen.errorCode, 'RPC_UNAVAILABLE');
  t.match(screen.body, [/Chưa kết nối được với hệ thống trung tâm/]);
  t.match(rig.analytics.events, [{ outcome: 'failed', failureCause: 'central', lastStep: 'lookup' }]);
  await rig.wait(10_000);
  t.equal(rig.session.current().kind, 'home', 'the failure screen goes home on its own');
  rig.session.setLinkOnline(true);
  t.notOk(rig.session.current().banners?.offline);
  await rig.session.stop();
});

t.test('central silent past the step deadline: the RPC is aborted and the timeout taken', async (t) => {
  const rig = await demoRig();
  rig.rpc.on('bills', () => new Promise(() => undefined));
  await rig.press('8');
  await typeDigits(rig, '0903123456');
  await rig.press('ok');
  t.equal(rig.session.current().kind, 'lookup');
  await rig.wait(10_000);
  t.equal(rig.session.current().kind, 'error');
  t.equal(rig.session.current().errorCode, undefined);
  t.match(rig.analytics.events, [{ outcome: 'failed', failureCause: 'central', failureCode: 'RPC_TIMEOUT' }]);
  await rig.session.stop();
});

t.test('central NOT_FOUND: the empty answer where the lookup has one, else still a central error', async (t) => {
  const notFound = () => {
    throw new StationError('RPC_FAILED', 'Không tìm thấy', { details: { service: 'bills', centralCode: 'NOT_FOUND' } });
  };
  const withEmpty = await flowRig({ bundle: await testBundle([{ name: 'demo.yaml', text: demo.replace('    save: bill\n', '    save: bill\n    emptyPath: amount\n    on: { empty: none }\n').replace('steps:\n', 'steps:\n  none:\n    kind: end\n    outcome: abandoned\n    title: { vi: "Không tìm thấy", en: "Not found" }\n') }]) });
  withEmpty.rpc.on('bills', notFound);
  await withEmpty.press('8');
  await typeDigits(withEmpty, '0903123456');
  await withEmpty.press('ok');
  t.equal(withEmpty.session.current().stepId, 'none', 'the flow\'s own not-found step');
  t.match(withEmpty.analytics.events, [{ outcome: 'abandoned', lastStep: 'none' }]);
  t.notOk(withEmpty.analytics.events[0]?.failureCause, 'not a central failure');
  await withEmpty.session.stop();

  const rig = await demoRig();
  rig.rpc.on('bills', notFound);
  await rig.press('8');
  await typeDigits(rig, '0903123456');
  await rig.press('ok');
  t.equal(rig.session.current().kind, 'error', 'a lookup with no empty answer cannot show "not found"');
  t.match(rig.analytics.events, [{ outcome: 'failed', failureCause: 'central', failureCode: 'RPC_FAILED' }]);
  await rig.session.stop();

  const other = await demoRig();
  other.rpc.on('bills', () => {
    throw new StationError('RPC_FAILED', 'Bad', { details: { service: 'bills', centralCode: 'BAD_REQUEST' } });
  });
  await other.press('8');
  await typeDigits(other, '0903123456');
  await other.press('ok');
  t.match(other.analytics.events, [{ outcome: 'failed', failureCause: 'central', failureCode: 'RPC_FAILED' }], 'other central refusals stay failures');
  await other.session.stop();
});

t.test('a lookup answer is shown; Back returns to the last interactive step, Home wipes', async (t) => {
  const rig = await demoRig();
  rig.rpc.on('bills', () => ({ amount: 1250000, id: 'PE0100-2611' }));
  await rig.press('8');
  await typeDigits(rig, '0903123456');
  t.equal(rig.session.current().input?.value, '0903123456', 'a phone number shows whole while typed, so it can be checked');
  await rig.press('ok');
  t.match(rig.session.current().rows, [{ label: 'Số tiền', value: '1.250.000 ₫' }]);
  t.match(rig.rpc.calls, [{ service: 'bills', params: { phone: '0903123456' } }]);
  await rig.press('back');
  t.equal(rig.session.current().stepId, 'phone', 'Back skips the lookup');
  await rig.press('back');
  t.equal(rig.session.current().kind, 'home', 'Back on the first step leaves the service');
  t.notOk(JSON.stringify(rig.session.state()).includes('0903123456'));
  await rig.session.stop();
});

t.test('every screen of a run offers Home, Back where it applies, and Help', async (t) => {
  const rig = await demoRig();
  rig.rpc.on('bills', () => ({ amount: 1000, id: 'X1' }));
  await rig.press('8');
  const keysOf = () => rig.session.current().keys.map((k) => k.key);
  t.same(keysOf().filter((k) => ['back', 'home', 'help'].includes(k)), ['back', 'home', 'help']);
  await rig.press('help');
  t.same(rig.session.current().body, ['Gõ 10 số điện thoại.'], 'Help shows the step text');
  await rig.press('back');
  t.equal(rig.session.current().stepId, 'phone', 'Back first closes help');
  t.ok(rig.session.current().body?.includes('Bấm * để xóa số vừa gõ, bấm OK để tiếp tục.'));
  await rig.press('home');
  await rig.press('*');
  t.equal(rig.session.current().title, 'Digital Citizen Station', '* switches the home screen to English');
  await rig.press('8');
  t.equal(rig.session.current().title, 'Phone number', 'the session keeps the language');
  await rig.press('home');
  t.equal(rig.session.current().locale, 'vi', 'the session ended: the next resident starts in Vietnamese');
  await rig.session.stop();
});

t.test('the emergency key works from any screen, ends the run and shows the hotlines', async (t) => {
  const rig = await demoRig();
  await rig.press('8');
  await typeDigits(rig, '0903');
  rig.session.input({ type: 'emergency' });
  const screen = rig.session.current();
  t.equal(screen.kind, 'emergency');
  t.match(screen.body?.[0], /113.*114.*115/);
  await rig.wait(0);
  t.equal(rig.session.current().stepId, 'sent');
  const [alarm] = rig.records.records.filter((r) => r.kind === 'emergency');
  t.equal(alarm?.options?.priority, true);
  t.match(alarm?.payload, { stationId: 'cds-bt-001', building: 'Tháp Bora', floor: 'Sảnh tầng 1', ward: 'Bình Trưng' });
  t.notOk(JSON.stringify(rig.session.state()).includes('0903'), 'what the resident typed is gone');
  t.match(rig.analytics.events, [{ service: 'demo', outcome: 'abandoned' }]);
  rig.session.input({ type: 'emergency' });
  t.equal(rig.records.of('emergency').length, 1, 'a second press during the alert does not duplicate it');
  await rig.wait(180_000);
  await rig.wait(10_000);
  t.equal(rig.session.current().kind, 'home');
  await rig.session.stop();
});

t.test('an emergency alert that cannot be recorded still shows the hotlines', async (t) => {
  const rig = await demoRig();
  rig.records.full = true;
  rig.session.input({ type: 'emergency' });
  await rig.wait(0);
  t.equal(rig.session.current().stepId, 'not-sent');
  t.match(rig.session.current().body?.[0], /113.*114.*115/);
  await rig.session.stop();
});

t.test('maintenance mode shows its screen at home, ignores service keys, keeps the emergency key', async (t) => {
  const rig = await demoRig();
  rig.session.setMaintenance(true);
  t.equal(rig.session.current().kind, 'maintenance');
  await rig.press('8', '1');
  t.equal(rig.session.current().kind, 'maintenance');
  rig.session.input({ type: 'emergency' });
  t.equal(rig.session.current().kind, 'emergency');
  rig.session.setMaintenance(false);
  await rig.session.stop();
});

t.test('after a restart mid-measurement the session is closed, the device made safe, nothing resumed', async (t) => {
  const clock = new ManualClock();
  const store = new MemorySnapshotStore();
  const first = await flowRig({ clock, store });
  first.devices.script('bloodPressure', { hang: true });
  await first.press('1', 'ok', '1', '0', '0', '0', 'ok');
  t.equal(first.session.current().stepId, 'blood-pressure');
  await first.session.flushed();
  t.equal(store.saved?.stepId, 'blood-pressure', 'the snapshot follows the steps');
  t.equal(store.saved?.step.phase, 'working');
  // The process dies here: no stop(). A new session starts on the same disk.
  const second = await flowRig({ clock, store });
  t.same(second.interrupted, ['bloodPressure'], 'the hub is told to make the cuff safe');
  t.equal(second.session.current().kind, 'home');
  t.match(second.analytics.events, [{ service: 'health-check', outcome: 'abandoned', lastStep: 'blood-pressure' }]);
  t.equal(second.session.state().run, undefined);
  await second.session.stop();
  await first.session.stop();
  t.same(first.devices.aborted, ['bloodPressure'], 'stop() aborts a running measurement too');
});

t.test('a pending payment keeps its state for reconciliation across Home and a restart', async (t) => {
  const clock = new ManualClock();
  const store = new MemorySnapshotStore();
  const payments: PaymentRunner = {
    pay: (_request, { onState }) => {
      onState({ state: 'PENDING', paymentId: 'P-1', qr: '00020101021238...6304ABCD', expiresAt: clock.now() + 300_000 });
      return new Promise(() => undefined);
    },
  };
  const rig = await demoRig({ clock, store, payments });
  rig.rpc.on('bills', () => ({ amount: 250000, id: 'B-77' }));
  await rig.press('8');
  await typeDigits(rig, '0903123456');
  await rig.press('ok', 'ok');
  const pay = rig.session.current();
  t.equal(pay.kind, 'pay');
  t.match(pay.qr, { payload: '00020101021238...6304ABCD', amount: 250000, reference: 'B-77' });
  t.equal(pay.countdown, 300);
  await rig.press('home');
  t.match(rig.session.pendingPayment(), { paymentId: 'P-1', state: 'PENDING', amount: 250000 });
  await rig.session.flushed();
  const again = await demoRig({ clock, store });
  t.match(again.payments, [{ paymentId: 'P-1', state: 'PENDING' }], 'handed to reconciliation after the restart');
  again.session.settlePayment('P-1', 'PAID');
  t.match(again.payments.at(-1), { paymentId: 'P-1', state: 'PAID' });
  t.equal(again.session.pendingPayment(), undefined);
  await again.session.stop();
  await rig.session.stop();
});

t.test('a new bundle waits until the resident has finished', async (t) => {
  const rig = await demoRig();
  await rig.press('8');
  rig.session.replaceBundle(await testBundle());
  t.equal(rig.session.current().stepId, 'phone', 'the running session keeps its flow');
  await rig.press('home');
  t.notOk(rig.session.current().options?.some((o) => o.key === '8'), 'the new bundle (without demo) applies at home');
  await rig.session.stop();
});

t.test('a defect in the engine sends the resident home instead of taking the kiosk down', async (t) => {
  const base = await testBundle();
  const broken = {
    id: 'broken', version: 1, title: { vi: 'Hỏng', en: 'Broken' }, start: 's',
    steps: { get s(): never { throw new Error('engine defect'); } },
  };
  const bundle = { ...base, flows: { ...base.flows, broken: broken as never }, homeMenu: [...base.homeMenu, { key: '7' as const, flowId: 'broken' }] };
  const rig = await flowRig({ bundle });
  await rig.press('7');
  t.equal(rig.session.current().kind, 'home');
  t.equal(rig.session.state().run, undefined);
  await rig.press('1');
  t.equal(rig.session.current().stepId, 'intro', 'the station keeps serving');
  await rig.session.stop();
});
