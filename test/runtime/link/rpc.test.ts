import t from 'tap';
import { RpcClient } from '../../../runtime/link/rpc.js';
import type { RpcRequestPayload } from '../../../runtime/link/topics.js';
import { FakeLink } from '../../fakes/fake-link.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { silentLogger } from '../../fakes/link-test-kit.js';

async function setup() {
  const clock = new ManualClock();
  const link = new FakeLink();
  let n = 0;
  const rpc = new RpcClient({ link, clock, logger: silentLogger(), newId: () => `req-${++n}` });
  await rpc.start();
  return { clock, link, rpc };
}

t.test('requests carry the correlation id in v5 properties and in the payload; either one matches the answer', async (t) => {
  const { clock, link, rpc } = await setup();
  link.setState('connected');
  const a = rpc.call('bills', { provider: 'evn', customerCode: 'PE01000123456' });
  const b = rpc.call('dossiers', { code: '000.00.00.H29-260106-0001' });
  await clock.advance(0);
  const [reqA, reqB] = link.published;
  t.equal(reqA!.topic, 'cds/v1/HCM-BT-001/rpc/bills/req');
  t.match(reqA!.payload as RpcRequestPayload, { id: 'req-1', service: 'bills', replyTo: 'cds/v1/HCM-BT-001/rpc/bills/res' });
  t.same(reqA!.options.properties?.correlationData, Buffer.from('req-1'));
  t.equal(reqA!.options.properties?.responseTopic, 'cds/v1/HCM-BT-001/rpc/bills/res');
  link.deliver('rpcResponse', { service: 'dossiers' }, { ok: true, data: { status: 'processing' } }, { properties: { correlationData: Buffer.from('req-2') } });
  link.deliver('rpcResponse', { service: 'bills' }, { id: 'req-1', ok: true, data: { total: 1 } });
  t.same(await a, { total: 1 }, 'matched by the payload id (MQTT 3.1.1)');
  t.same(await b, { status: 'processing' }, 'matched by v5 correlation data');
  t.equal(reqB!.topic, 'cds/v1/HCM-BT-001/rpc/dossiers/req');
});

t.test('offline, a dropped link, an abort and a timeout each reject with a typed error', async (t) => {
  const { clock, link, rpc } = await setup();
  await t.rejects(rpc.call('bills', {}), { code: 'RPC_UNAVAILABLE', transient: true }, 'offline');
  link.setState('connected');
  const dropped = rpc.call('bhxh', { cccd: '079203001245' });
  dropped.catch(() => undefined);
  await clock.advance(0);
  link.setState('connecting');
  await t.rejects(dropped, { code: 'RPC_UNAVAILABLE' }, 'the link went down while waiting');
  link.setState('connected');
  const ac = new AbortController();
  const aborted = rpc.call('hospitals', {}, { signal: ac.signal });
  ac.abort(new Error('resident walked away'));
  await t.rejects(aborted, { message: 'resident walked away' });
  const slow = rpc.call('hospitals', {}, { timeoutMs: 5000 });
  slow.catch(() => undefined);
  await clock.advance(4999);
  t.equal(rpc.waiting, 1);
  await clock.advance(1);
  await t.rejects(slow, { code: 'RPC_TIMEOUT', transient: true });
  t.equal(rpc.waiting, 0);
  t.equal(clock.timerCount, 0, 'no timer left behind');
});

t.test('central errors become RPC_FAILED with central\'s code; a refused publish is RPC_UNAVAILABLE; garbage is ignored', async (t) => {
  const { clock, link, rpc } = await setup();
  link.setState('connected');
  const failed = rpc.call('bills', { customerCode: 'x' });
  await clock.advance(0);
  link.deliver('rpcResponse', { service: 'bills' }, Buffer.from([0xff, 0x00]));
  link.deliver('rpcResponse', { service: 'bills' }, { id: 'req-1', ok: false, error: { code: 'NOT_FOUND', message: 'Không tìm thấy mã khách hàng' } });
  await t.rejects(failed, { code: 'RPC_FAILED', transient: false, message: 'Không tìm thấy mã khách hàng', details: { centralCode: 'NOT_FOUND' } });
  link.reasonCodeFor = () => 0x87;
  await t.rejects(rpc.call('bills', {}), { code: 'RPC_UNAVAILABLE' });
});
