import t from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyMergePatch, createMergePatch } from '../../../runtime/config/merge-patch.js';
import { loadLayeredConfig, layerFile } from '../../../runtime/config/layers.js';
import { applyConfig } from '../../../runtime/config/apply.js';
import { CONFIG_VERSION, migrateConfig } from '../../../runtime/config/migrations.js';
import { validateConfig } from '../../../runtime/config/config.js';

/** A factory file in a folder of its own and a data directory with the layer folder. */
function site(t: any, factory: (c: any) => void = () => undefined) {
  const root = mkdtempSync(join(tmpdir(), 'layers-'));
  const etc = join(root, 'etc');
  const dataDir = join(root, 'data');
  mkdirSync(etc);
  mkdirSync(join(dataDir, 'config'), { recursive: true });
  const doc = JSON.parse(readFileSync('config/sim.json', 'utf8'));
  factory(doc);
  const factoryFile = join(etc, 'station.json');
  writeFileSync(factoryFile, JSON.stringify(doc, null, 2));
  const layer = (name: 'site' | 'desired' | 'technician', body: unknown) => writeFileSync(layerFile(dataDir, name), JSON.stringify(body));
  t.teardown(() => undefined);
  return { factoryFile, dataDir, layer, doc };
}

t.test('merge patch follows RFC 7396: objects merge, null removes, arrays replace', async (t) => {
  t.same(applyMergePatch({ a: { b: 1, c: 2 }, l: [1, 2] }, { a: { c: null, d: 3 }, l: [9] }), { a: { b: 1, d: 3 }, l: [9] });
  // RFC 7396 appendix A, a few of its cases.
  t.same(applyMergePatch({ a: 'b' }, { a: 'c' }), { a: 'c' });
  t.same(applyMergePatch({ a: [{ b: 'c' }] }, { a: [1] }), { a: [1] });
  t.same(applyMergePatch(['a', 'b'], { a: 'c' }), { a: 'c' });
  t.same(applyMergePatch({ e: null }, { a: 1 }), { e: null, a: 1 });
  const from = { a: 1, b: { c: 2, d: 3 }, e: [1] };
  const to = { a: 1, b: { c: 4 }, e: [1, 2], f: 'x' };
  const patch = createMergePatch(from, to);
  t.same(patch, { b: { c: 4, d: null }, e: [1, 2], f: 'x' }, 'only what differs');
  t.same(applyMergePatch(from, patch), to);
});

t.test('layers merge lowest first and every value names the layer it came from', async (t) => {
  const s = site(t, (c) => {
    c.display.port = 8080;
    c.telemetry = { intervalS: 60 };
  });
  s.layer('site', { version: 2, station: { site: { building: 'Đảo Kim Cương, tháp Maldives' } }, telemetry: { intervalS: 120 } });
  s.layer('desired', { telemetry: { intervalS: 30 }, logging: { level: 'warn' } });
  s.layer('technician', { logging: { level: 'debug' } });
  const layered = loadLayeredConfig({ factoryFile: s.factoryFile, dataDir: s.dataDir });
  t.equal(layered.config.station.site.building, 'Đảo Kim Cương, tháp Maldives');
  t.equal(layered.config.telemetry.intervalS, 30, 'desired above site');
  t.equal(layered.config.logging.level, 'debug', 'technician above desired');
  t.equal(layered.config.dataDir, s.dataDir);
  t.equal(layered.origins['/station/site/building'], 'site');
  t.equal(layered.origins['/station/site/ward'], 'factory', 'a sibling the site layer did not set keeps its layer');
  t.equal(layered.origins['/telemetry/intervalS'], 'desired');
  t.equal(layered.origins['/logging/level'], 'technician');
  t.equal(layered.origins['/display/port'], 'factory');
  t.equal(layered.origins['/journal/maxBytes'], 'default');
  t.same(layered.layers.map((l) => [l.name, l.present]), [['factory', true], ['site', true], ['desired', true], ['technician', true]]);
});

t.test('a broken layer is refused naming its own file and path; a layer may not move the data directory', async (t) => {
  const s = site(t);
  s.layer('technician', { display: { port: 'eighty' } });
  t.throws(() => loadLayeredConfig({ factoryFile: s.factoryFile, dataDir: s.dataDir }), {
    code: 'CONFIG_INVALID',
    message: new RegExp(`${layerFile(s.dataDir, 'technician').replace(/[/.]/g, '\\$&')}: /display/port: expected integer`),
  });
  s.layer('technician', { dataDir: '/tmp/elsewhere' });
  t.throws(() => loadLayeredConfig({ factoryFile: s.factoryFile, dataDir: s.dataDir }), { message: /technician\.json: \/dataDir: the data directory is set by the factory file or --data only/ });
  s.layer('technician', '{ not json');
  writeFileSync(layerFile(s.dataDir, 'technician'), '{ not json');
  t.throws(() => loadLayeredConfig({ factoryFile: s.factoryFile, dataDir: s.dataDir }), { message: /technician\.json: \/: not valid JSON at line 1/ });
});

t.test('a version 1 file is migrated to the current version; a newer one is refused', async (t) => {
  const v1 = JSON.parse(readFileSync('test/runtime/config/fixtures/station-v1.json', 'utf8'));
  t.equal(v1.version, 1);
  const migrated = migrateConfig(v1);
  t.ok(migrated.ok);
  if (migrated.ok) {
    t.equal(migrated.from, 1);
    t.equal(migrated.document.version, CONFIG_VERSION);
    t.equal(migrated.steps.length, CONFIG_VERSION - 1);
  }
  t.equal(v1.version, 1, 'the input is not changed');
  const checked = validateConfig(v1);
  t.ok(checked.ok, 'a version 1 document validates after migration');
  if (checked.ok) t.equal(checked.config.version, CONFIG_VERSION);
  const s = site(t, (c) => Object.assign(c, v1));
  t.equal(loadLayeredConfig({ factoryFile: s.factoryFile, dataDir: s.dataDir }).layers[0]!.fromVersion, 1);
  t.same(migrateConfig({ ...v1, version: CONFIG_VERSION + 1 }), { ok: false, problems: [{ path: '/version', message: `version ${CONFIG_VERSION + 1} is newer than this station reads (${CONFIG_VERSION}); update the station first` }] });
  t.match(migrateConfig({ ...v1, version: 'one' }), { ok: false, problems: [{ path: '/version' }] });
});

t.test('a technician change keeps only what differs from the layers below, on the data partition', async (t) => {
  const s = site(t);
  s.layer('desired', { telemetry: { intervalS: 30 } });
  const layered = loadLayeredConfig({ factoryFile: s.factoryFile, dataDir: s.dataDir });
  const factoryBefore = readFileSync(s.factoryFile, 'utf8');
  const candidate = structuredClone(layered.config) as any;
  candidate.logging.level = 'debug';
  candidate.display.port = 8099;
  const live: string[] = [];
  const result = await applyConfig({ layered, current: layered.config, layer: 'technician', form: 'whole', candidate, applyLive: (p) => (p === '/logging/level' ? (live.push(p), true) : false) });
  t.same({ applied: result.applied, live: result.live, restartRequired: result.restartRequired }, { applied: true, live: ['/logging/level'], restartRequired: ['/display/port'] });
  t.same(JSON.parse(readFileSync(layerFile(s.dataDir, 'technician'), 'utf8')), { version: CONFIG_VERSION, display: { port: 8099 }, logging: { level: 'debug' } });
  t.equal(readFileSync(s.factoryFile, 'utf8'), factoryBefore, 'the factory file is never written');
  t.equal(result.layered.origins['/display/port'], 'technician');
  t.equal(result.layered.origins['/telemetry/intervalS'], 'desired', 'the desired value is not pinned by the technician layer');
  const again = loadLayeredConfig({ factoryFile: s.factoryFile, dataDir: s.dataDir });
  t.equal(again.config.display.port, 8099, 'read back at the next start');

  await t.rejects(applyConfig({ layered, current: layered.config, layer: 'technician', form: 'whole', candidate: { ...candidate, display: { port: 'x' } }, applyLive: () => true }), { code: 'CONFIG_INVALID', message: /technician\.json: \/display\/port: expected integer/ });
  t.equal(loadLayeredConfig({ factoryFile: s.factoryFile, dataDir: s.dataDir }).config.display.port, 8099, 'a refused change leaves the layer as it was');
});
