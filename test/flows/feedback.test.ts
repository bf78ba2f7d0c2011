import t from 'tap';
import { flowRig, testBundle } from '../fakes/flow-kit.js';

const quick = `
id: quick
version: 1
title: { vi: "Dịch vụ nhanh", en: "Quick service" }
menu: { key: "7" }
start: info
steps:
  info:
    kind: info
    title: { vi: "Thông tin", en: "Information" }
    next: done
  done:
    kind: end
    title: { vi: "Xong", en: "Done" }
`;

t.test('after a completed service the 1–5 rating is asked and recorded anonymously', async (t) => {
  const rig = await flowRig({ bundle: await testBundle([{ name: 'quick.yaml', text: quick }]) });
  await rig.press('7', 'ok');
  t.equal(rig.session.current().kind, 'end');
  await rig.wait(10_000);
  const rate = rig.session.current();
  t.equal(rate.flowId, 'feedback', 'the end screen leads to feedback on its own');
  t.same(rate.options?.map((o) => o.key), ['5', '4', '3', '2', '1']);
  await rig.press('3');
  t.same(rig.records.of('feedback').map((p) => ({ service: p.service, rating: p.rating })), [{ service: 'quick', rating: 3 }]);
  t.equal(rig.records.records[0]?.options?.personal, false);
  await rig.press('ok');
  t.equal(rig.session.current().kind, 'home');
  t.same(rig.analytics.events.map((e) => [e.service, e.outcome]), [['quick', 'completed'], ['feedback', 'completed']]);
  await rig.session.stop();
});

t.test('no answer skips the rating; abandoned services and emergencies ask none', async (t) => {
  const rig = await flowRig({ bundle: await testBundle([{ name: 'quick.yaml', text: quick }]) });
  await rig.press('7', 'ok', 'ok');
  t.equal(rig.session.current().flowId, 'feedback');
  await rig.wait(30_000);
  t.equal(rig.session.current().stepId, 'skipped');
  await rig.wait(5000);
  t.equal(rig.session.current().kind, 'home');
  t.same(rig.records.of('feedback'), []);
  await rig.press('7', 'home');
  t.equal(rig.session.current().kind, 'home', 'Home leaves without a rating');
  rig.session.input({ type: 'emergency' });
  await rig.wait(0);
  await rig.press('ok', 'ok');
  t.equal(rig.session.current().kind, 'home', 'no rating after an emergency');
  await rig.session.stop();
});
