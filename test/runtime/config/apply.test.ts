import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyConfig, changedPointers } from '../../../runtime/config/apply.js';
import { layerFile, loadLayeredConfig } from '../../../runtime/config/layers.js';

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'apply-'));
  const file = join(dir, 'station.json');
  const original = readFileSync('config/sim.json', 'utf8');
  writeFileSync(file, original);
  const layered = loadLayeredConfig({ factoryFile: file, dataDir: join(dir, 'data') });
  return { file, original, layered, dataDir: join(dir, 'data') };
}

t.test('changedPointers lists changed leaves as JSON pointers', async (t) => {
  t.same(changedPointers({ a: 1, b: { c: 2, d: [1] } }, { a: 1, b: { c: 3, d: [1, 2] }, e: true }), ['/b/c', '/b/d', '/e']);
  t.same(changedPointers({ 'x/y': 1 }, { 'x/y': 2 }), ['/x~1y']);
});

t.test('a valid change is written durably to the technician layer, live keys applied, the rest listed for restart', async (t) => {
  const { file, original, layered, dataDir } = setup();
  const candidate = JSON.parse(original);
  candidate.logging.level = 'debug';
  candidate.display.port = 8090;
  const live: [string, unknown][] = [];
  const result = await applyConfig({ layered, current: layered.config, layer: 'technician', form: 'whole', candidate, applyLive: (p, v) => (p === '/logging/level' ? (live.push([p, v]), true) : false) });
  t.same({ applied: result.applied, restartRequired: result.restartRequired, live: result.live }, { applied: true, restartRequired: ['/display/port'], live: ['/logging/level'] });
  t.same(live, [['/logging/level', 'debug']]);
  t.equal(JSON.parse(readFileSync(layerFile(dataDir, 'technician'), 'utf8')).display.port, 8090, 'the layer holds the new value');
  t.equal(readFileSync(file, 'utf8'), original, 'the factory file is untouched');
  t.notOk(existsSync(join(dataDir, 'config', '.technician.json.tmp')), 'no temporary file left');
});

t.test('an invalid change is refused naming path and expectation, and nothing is written', async (t) => {
  const { original, layered, dataDir } = setup();
  const candidate = JSON.parse(original);
  candidate.display.port = 'eighty';
  await t.rejects(applyConfig({ layered, current: layered.config, layer: 'technician', form: 'whole', candidate, applyLive: () => true }), { code: 'CONFIG_INVALID', message: /\/display\/port: expected integer/ });
  t.notOk(existsSync(layerFile(dataDir, 'technician')));
});

t.test('an unchanged config applies nothing', async (t) => {
  const { original, layered, dataDir } = setup();
  const result = await applyConfig({ layered, current: layered.config, layer: 'technician', form: 'whole', candidate: JSON.parse(original), applyLive: () => true });
  t.same({ applied: result.applied, restartRequired: result.restartRequired, live: result.live }, { applied: false, restartRequired: [], live: [] });
  t.notOk(existsSync(layerFile(dataDir, 'technician')));
});
