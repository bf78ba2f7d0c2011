import t from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileSnapshotStore } from '../../../runtime/flows/snapshot-store.js';
import { flowRig } from '../../fakes/flow-kit.js';
import type { FlowSnapshot } from '../../../runtime/flows/engine.js';
import { silentLogger, tempDir } from '../../fakes/link-test-kit.js';

t.test('the snapshot file follows the session step by step and never holds resident data', async (t) => {
  const dir = await tempDir(t);
  const store = new FileSnapshotStore(dir, silentLogger());
  t.equal(await store.load(), null, 'no file yet');
  const saves: FlowSnapshot[] = [];
  const recording = { save: async (s: FlowSnapshot) => { saves.push(s); await store.save(s); }, load: () => store.load() };
  const rig = await flowRig({ store: recording as never });
  await rig.press('1', 'ok', '1');
  await rig.session.flushed();
  const onDisk = JSON.parse(await readFile(join(dir, 'flow-snapshot.json'), 'utf8')) as FlowSnapshot;
  t.match(onDisk, { version: 1, stepId: 'weight', run: { flowId: 'health-check' }, data: {} });
  t.match((await store.load())?.stepId, 'weight');
  await rig.session.stop();
});

t.test('a damaged snapshot falls back to the last good copy; one holding resident data is refused', async (t) => {
  const dir = await tempDir(t);
  const store = new FileSnapshotStore(dir, silentLogger());
  const rig = await flowRig({ store: store as never });
  await rig.press('1');
  await rig.session.flushed();
  await rig.press('ok');
  await rig.session.flushed();
  await rig.session.stop();
  const path = join(dir, 'flow-snapshot.json');
  const good = JSON.parse(await readFile(`${path}.bak`, 'utf8')) as FlowSnapshot;
  t.equal(good.run?.flowId, 'health-check');
  await writeFile(path, '{"version":1,"loc');
  t.same(await store.load(), good, 'torn file: the previous good copy is used');
  await writeFile(path, JSON.stringify({ ...good, data: { identity: { id: '079158001234' } } }));
  const loaded = await store.load();
  t.notOk(JSON.stringify(loaded).includes('079158001234'), 'a file holding an identity is never trusted');
  await t.rejects(store.save({ ...good, data: { phone: '0903123456' } }), /Refusing to write/, 'and never written');
});
