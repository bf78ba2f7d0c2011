import t from 'tap';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { filterFor, matchTopic, topicFor, topics } from '../../../runtime/link/topics.js';
import type { TopicName } from '../../../runtime/link/topics.js';

interface AsyncApi {
  asyncapi: string;
  channels: Record<string, { address: string; parameters: Record<string, unknown>; bindings: { mqtt: { qos: number; retain: boolean } } }>;
  operations: Record<string, { action: 'send' | 'receive'; channel: { $ref: string }; bindings: { mqtt: { qos: number; retain: boolean } } }>;
  components: { messages: Record<string, { payload: { type: string } }> };
}

t.test('config/asyncapi.yaml and the topic map in code describe the same contract', async (t) => {
  const doc = parse(await readFile(new URL('../../../config/asyncapi.yaml', import.meta.url), 'utf8')) as AsyncApi;
  t.equal(doc.asyncapi, '3.0.0');
  t.same(Object.keys(doc.channels).sort(), Object.keys(topics).sort(), 'the same topic names');
  for (const [name, spec] of Object.entries(topics) as Array<[TopicName, (typeof topics)[TopicName]]>) {
    const ch = doc.channels[name]!;
    t.equal(ch.address, `cds/v1/{stationId}/${spec.pattern}`, `${name}: address`);
    const params = ['stationId', ...[...spec.pattern.matchAll(/\{(\w+)\}/g)].map((m) => m[1])];
    t.same(Object.keys(ch.parameters).sort(), params.sort(), `${name}: parameters`);
    t.same(ch.bindings.mqtt, { qos: spec.qos, retain: spec.retain }, `${name}: qos and retain`);
    const op = doc.operations[name]!;
    t.equal(op.channel.$ref, `#/channels/${name}`);
    t.equal(op.action, spec.dir === 'out' ? 'send' : 'receive', `${name}: direction`);
    t.same(op.bindings.mqtt, ch.bindings.mqtt);
    t.equal(doc.components.messages[name]?.payload.type, 'object', `${name}: has a payload schema`);
  }
});

t.test('topics are built and matched from the one map', async (t) => {
  t.equal(topicFor('HCM-BT-001', 'event', { kind: 'payment' }), 'cds/v1/HCM-BT-001/event/payment');
  t.throws(() => topicFor('HCM-BT-001', 'event', { kind: 'a/b' }), 'a parameter cannot add levels');
  t.throws(() => topicFor('HCM-BT-001', 'telemetry', { device: '#' }));
  t.equal(filterFor('HCM-BT-001', 'command'), 'cds/v1/HCM-BT-001/cmd/#');
  t.equal(filterFor('HCM-BT-001', 'rpcResponse'), 'cds/v1/HCM-BT-001/rpc/+/res');
  t.same(matchTopic('HCM-BT-001', 'cds/v1/HCM-BT-001/cmd/restart'), { name: 'command', params: { name: 'restart' } });
  t.same(matchTopic('HCM-BT-001', 'cds/v1/HCM-BT-001/cmd/restart/res'), { name: 'commandResult', params: { name: 'restart' } });
  t.same(matchTopic('HCM-BT-001', 'cds/v1/HCM-BT-001/rpc/bills/res'), { name: 'rpcResponse', params: { service: 'bills' } });
  t.equal(matchTopic('HCM-BT-001', 'cds/v1/HCM-BT-002/receipt'), null, "another station's topic is not ours");
  t.equal(matchTopic('HCM-BT-001', 'cds/v1/HCM-BT-001/unknown'), null);
});
