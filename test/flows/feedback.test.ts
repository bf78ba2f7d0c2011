import t from 'tap';
import { readFile } from 'node:fs/promises';
import { flowRig, flowsDir, testBundle } from '../fakes/flow-kit.js';
import { formatFlowProblems, parseFlowBundle } from '../../runtime/flows/bundle.js';

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
  await rig.press('ok');
  const rate = rig.session.current();
  t.equal(rate.flowId, 'feedback', 'OK on the end screen leads to the question');
  t.same(rate.options?.map((o) => o.key), ['5', '4', '3', '2', '1']);
  await rig.press('3');
  t.same(rig.records.of('feedback').map((p) => ({ service: p.service, rating: p.rating })), [{ service: 'quick', rating: 3 }]);
  t.equal(rig.records.records[0]?.options?.personal, false);
  await rig.press('ok');
  t.equal(rig.session.current().kind, 'home');
  t.same(rig.analytics.events.map((e) => [e.service, e.outcome, e.feedback]), [['quick', 'completed', { rating: 3 }]], 'one visit, one session, with its rating');
  await rig.session.stop();
});

t.test('an end screen nobody answers returns home and asks nothing: the next person cannot rate this visit', async (t) => {
  const rig = await flowRig({ bundle: await testBundle([{ name: 'quick.yaml', text: quick }]) });
  await rig.press('7', 'ok');
  t.equal(rig.session.current().kind, 'end');
  await rig.wait(10_000);
  t.equal(rig.session.current().kind, 'home', 'home on its own after the notice time');
  await rig.press('1');
  t.equal(rig.session.current().flowId, 'health-check', "the next person's first key starts their own service");
  t.same(rig.records.of('feedback'), [], 'no rating recorded');
  t.same(rig.analytics.events.map((e) => [e.service, e.outcome, e.feedback]), [['quick', 'completed', undefined]], 'the visit counted once, unrated');
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
  t.same(rig.analytics.events.map((e) => [e.service, e.outcome, e.feedback]), [['quick', 'completed', { rating: null }]],
    'an unanswered question is the visit\'s missing rating, not an abandoned session');
  await rig.press('7', 'home');
  t.equal(rig.session.current().kind, 'home', 'Home leaves without a rating');
  rig.session.input({ type: 'emergency' });
  await rig.wait(0);
  await rig.press('ok', 'ok');
  t.equal(rig.session.current().kind, 'home', 'no rating after an emergency');
  t.same(rig.analytics.events.map((e) => [e.service, e.outcome, e.feedback]), [
    ['quick', 'completed', { rating: null }], ['quick', 'abandoned', undefined], ['emergency', 'completed', undefined],
  ]);
  t.notOk(rig.analytics.events.some((e) => e.service === 'feedback'));
  await rig.session.stop();
});

t.test('Home or the emergency key on the feedback question: the visit is counted once, unrated', async (t) => {
  const rig = await flowRig({ bundle: await testBundle([{ name: 'quick.yaml', text: quick }]) });
  await rig.press('7', 'ok', 'ok');
  t.equal(rig.session.current().flowId, 'feedback');
  await rig.press('home');
  t.same(rig.analytics.events.map((e) => [e.service, e.outcome, e.feedback]), [['quick', 'completed', { rating: null }]]);
  await rig.press('7', 'ok', 'ok');
  t.equal(rig.session.current().flowId, 'feedback');
  rig.session.input({ type: 'emergency' });
  await rig.wait(0);
  t.equal(rig.session.current().flowId, 'emergency');
  t.same(rig.analytics.events.map((e) => [e.service, e.feedback]), [['quick', { rating: null }], ['quick', { rating: null }]]);
  await rig.session.stop();
});

t.test('a restart on the end screen or during the question counts the visit once', async (t) => {
  const bundle = await testBundle([{ name: 'quick.yaml', text: quick }]);
  const rig = await flowRig({ bundle });
  await rig.press('7', 'ok');
  t.equal(rig.session.current().kind, 'end');
  await rig.session.stop();
  t.same(rig.analytics.events, [], 'held until the question');
  const again = await flowRig({ bundle, store: rig.store });
  t.same(again.analytics.events.map((e) => [e.service, e.outcome, e.feedback]), [['quick', 'completed', undefined]], 'released after the restart');
  await again.press('7', 'ok', 'ok');
  t.equal(again.session.current().flowId, 'feedback');
  await again.session.stop();
  const third = await flowRig({ bundle, store: again.store });
  t.same(third.analytics.events.map((e) => [e.service, e.outcome, e.feedback]), [['quick', 'completed', { rating: null }]]);
  t.equal(third.session.current().kind, 'home');
  await third.session.stop();
});

const feedbackOnHome = (text: string) => text.replace(/^feedback: false$/m, 'feedback: false\nmenu: { key: "9" }');

t.test('feedback started on purpose from the home menu is a session of its own', async (t) => {
  const sources = [];
  for (const name of ['health-check.yaml', 'feedback.yaml', 'emergency.yaml']) {
    const text = await readFile(flowsDir + name, 'utf8');
    sources.push({ name, text: name === 'feedback.yaml' ? feedbackOnHome(text) : text });
  }
  const parsed = parseFlowBundle([...sources, { name: 'quick.yaml', text: quick }]);
  if (!parsed.ok) throw new Error(formatFlowProblems(parsed.problems).join('\n'));
  const rig = await flowRig({ bundle: parsed.bundle });
  await rig.press('9');
  t.equal(rig.session.current().flowId, 'feedback');
  await rig.press('4');
  await rig.wait(5000);
  t.equal(rig.session.current().kind, 'home');
  await rig.press('9');
  await rig.wait(35_000);
  t.same(rig.analytics.events.map((e) => [e.service, e.outcome]), [['feedback', 'completed'], ['feedback', 'abandoned']]);
  await rig.session.stop();
});

t.test('a defect while the feedback question starts still counts the visit once', async (t) => {
  const base = await testBundle([{ name: 'quick.yaml', text: quick }]);
  const feedback = { ...base.flows.feedback!, steps: { get rate(): never { throw new Error('engine defect'); } } };
  const rig = await flowRig({ bundle: { ...base, flows: { ...base.flows, feedback: feedback as never } } });
  await rig.press('7', 'ok');
  t.equal(rig.session.current().kind, 'end');
  t.same(rig.analytics.events, [], 'held for the question');
  await rig.press('ok');
  t.equal(rig.session.current().kind, 'home', 'the defect sends the resident home');
  t.same(rig.analytics.events.map((e) => [e.service, e.outcome, e.feedback]), [['quick', 'completed', undefined]]);
  await rig.session.stop();
});
