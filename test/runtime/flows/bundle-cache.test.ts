import t from 'tap';
import { cpSync, mkdtempSync, readFileSync, appendFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFlowBundleCached, writeFlowBundleCache } from '../../../runtime/flows/bundle-cache.js';
import { loadFlowBundle } from '../../../runtime/flows/bundle.js';

t.test('the build-time cache is used only while the flow files are unchanged', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'flows-'));
  cpSync('flows', dir, { recursive: true });
  const cache = join(mkdtempSync(join(tmpdir(), 'cache-')), 'bundle-cache.json');
  const written = await writeFlowBundleCache(dir, cache);
  t.ok(written.ok);

  const fast = await loadFlowBundleCached(dir, cache);
  t.equal(fast.cached, true, 'unchanged files come from the cache');
  const full = await loadFlowBundle(dir);
  if (!fast.ok || !full.ok) throw new Error('bundle invalid');
  t.same(fast.bundle, JSON.parse(JSON.stringify(full.bundle)), 'the cache holds the same bundle');

  appendFileSync(join(dir, 'feedback.yaml'), '\n# edited on site\n');
  const edited = await loadFlowBundleCached(dir, cache);
  t.notOk(edited.cached, 'an edited file is checked in full');
  t.ok(edited.ok);

  writeFileSync(join(dir, 'feedback.yaml'), readFileSync(join(dir, 'feedback.yaml'), 'utf8').replace(/^id: .*$/m, 'id: 42'));
  const broken = await loadFlowBundleCached(dir, cache);
  t.notOk(broken.ok, 'a broken file is refused even with a cache present');
});

t.test('a missing or unreadable cache falls back to the full check', async (t) => {
  const r = await loadFlowBundleCached('flows', join(mkdtempSync(join(tmpdir(), 'nocache-')), 'none.json'));
  t.ok(r.ok);
  t.notOk(r.cached);
});
