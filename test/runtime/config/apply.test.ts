import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { applyConfig, changedPointers } from '../../../runtime/config/apply.js';
import { loadConfig } from '../../../runtime/config/config.js';

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'apply-'));
  const file = join(dir, 'station.json');
  const original = readFileSync('config/sim.json', 'utf8');
  writeFileSync(file, original);
  return { file, original, current: loadConfig(file) };
}

t.test('changedPointers lists changed leaves as JSON pointers', async (t) => {
  t.same(changedPointers({ a: 1, b: { c: 2, d: [1] } }, { a: 1, b: { c: 3, d: [1, 2] }, e: true }), ['/b/c', '/b/d', '/e']);
  t.same(changedPointers({ 'x/y': 1 }, { 'x/y': 2 }), ['/x~1y']);
});

t.test('a valid change is written durably, live keys applied, the rest listed for restart', async (t) => {
  const { file, original, current } = setup();
  const candidate = JSON.parse(original);
  candidate.logging.level = 'debug';
  candidate.display.port = 8090;
  const live: [string, unknown][] = [];
  const result = await applyConfig({ file, current, candidate, applyLive: (p, v) => (p === '/logging/level' ? (live.push([p, v]), true) : false) });
  t.same(result, { applied: true, restartRequired: ['/display/port'], live: ['/logging/level'] });
  t.same(live, [['/logging/level', 'debug']]);
  t.equal(JSON.parse(readFileSync(file, 'utf8')).display.port, 8090, 'file holds the new config');
  t.equal(readFileSync(`${file}.bak`, 'utf8'), original, 'previous file kept');
  t.notOk(existsSync(join(dirname(file), '.station.json.tmp')), 'no temporary file left');
});

t.test('an invalid change is refused naming path and expectation, and the file is untouched', async (t) => {
  const { file, original, current } = setup();
  const candidate = JSON.parse(original);
  candidate.display.port = 'eighty';
  await t.rejects(applyConfig({ file, current, candidate, applyLive: () => true }), { code: 'CONFIG_INVALID', message: /\/display\/port: expected integer/ });
  t.equal(readFileSync(file, 'utf8'), original);
});

t.test('an unchanged config applies nothing', async (t) => {
  const { file, original, current } = setup();
  const result = await applyConfig({ file, current, candidate: JSON.parse(original), applyLive: () => true });
  t.same(result, { applied: false, restartRequired: [], live: [] });
  t.notOk(existsSync(`${file}.bak`));
});
