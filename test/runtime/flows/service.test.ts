import t from 'tap';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { validateConfig } from '../../../runtime/config/config.js';
import type { StationConfig } from '../../../runtime/config/config.js';
import { FlowService } from '../../../runtime/flows/service.js';
import { readFlowSources } from '../../../runtime/flows/sources.js';
import type { FlowServiceDeps } from '../../../runtime/flows/service.js';
import { isStationError } from '../../../runtime/kernel/errors.js';
import { installPathsAt } from '../../../runtime/platform/install-paths.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { silentLogger, tempDir } from '../../fakes/link-test-kit.js';
import { AnalyticsCollector, MemoryPrinter, MemorySnapshotStore, ScriptedDevices, flowsDir } from '../../fakes/flow-kit.js';
import { FakeRpc, MemoryRecordSink } from '../../fakes/payment-fakes.js';

async function service(t: { teardown: (fn: () => unknown) => void }, flows: string): Promise<FlowService> {
  const checked = validateConfig({ version: 1, station: { id: 'cds-bt-001' }, flows: { dir: flows } });
  if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
  const clock = new ManualClock();
  const deps: FlowServiceDeps = {
    config: checked.config as StationConfig, paths: installPathsAt(process.cwd()), clock, logger: silentLogger(), measure: new ScriptedDevices(clock), rpc: new FakeRpc(),
    records: new MemoryRecordSink(), printer: new MemoryPrinter(), analytics: new AnalyticsCollector(), store: new MemorySnapshotStore(),
  };
  const s = new FlowService(deps);
  t.teardown(() => s.stop());
  return s;
}

t.test('starts on the shipped flows and reports their versions', async (t) => {
  const s = await service(t, 'flows');
  t.equal(s.current().kind, 'out-of-service', 'before start');
  await s.start();
  t.equal(s.current().kind, 'home');
  t.equal(s.versions()?.flows['health-check'], 1);
  t.equal(s.flowsDir(), flowsDir.replace(/\/$/, ''));
  const seen: string[] = [];
  s.subscribe((screen) => seen.push(screen.kind));
  s.input({ type: 'key', key: '1' });
  t.same(seen, ['info']);
});

t.test('a bad bundle on disk stops the start with every problem named; a pushed bad bundle is refused and the good one runs', async (t) => {
  const dir = await tempDir(t);
  await cp(flowsDir, dir, { recursive: true });
  const bad = await service(t, dir);
  const text = await readFile(join(dir, 'health-check.yaml'), 'utf8');
  await writeFile(join(dir, 'health-check.yaml'), text.replace('next: height\n', 'next: heigth\n'));
  const failure = await bad.start().then(() => undefined, (err: unknown) => err);
  t.ok(isStationError(failure, 'FLOW_INVALID'), 'FLOW_INVALID');
  t.match((failure as Error).message, /health-check\.yaml \/steps\/weight\/next: unknown step "heigth"/);

  await writeFile(join(dir, 'health-check.yaml'), text);
  const good = await service(t, dir);
  await good.start();
  const before = good.versions();
  const refused = await good.applyBundle([{ name: 'emergency.yaml', text: 'id: emergency\nversion: 2\n' }]);
  t.match(refused, { ok: false, problems: [{ file: 'emergency.yaml', path: '', reason: /required property/ }] });
  t.same(good.versions(), before, 'the last good bundle keeps running');
  const read = await readFlowSources(dir);
  if (!read.ok) throw new Error('flows unreadable');
  const pushed = read.sources.map((s) => (s.name === 'emergency.yaml' ? { ...s, text: s.text.replace(/^version: \d+$/m, 'version: 7') } : s));
  const accepted = await good.applyBundle(pushed);
  t.match(accepted, { ok: true, flows: { emergency: 7 } }, 'a valid pushed bundle is applied');
  t.equal(good.versions()?.flows.emergency, 7);
  await writeFile(join(dir, 'feedback.yaml'), (await readFile(join(dir, 'feedback.yaml'), 'utf8')).replace('version: 1', 'version: 2'));
  const reloaded = await good.reload();
  t.match(reloaded, { ok: true, flows: { feedback: 2 } });
  t.not(good.versions()?.digest, before?.digest);
});
