import t from 'tap';
import { readFile } from 'node:fs/promises';
import { loadContentBundle, parseContentBundle } from '../../../runtime/flows/content-bundle.js';
import { contentPages, localDate } from '../../../runtime/flows/content-pages.js';

const flowsContent = new URL('../../../flows/content/', import.meta.url).pathname;

t.test('the shipped notices bundle is valid and pages in force are shown', async (t) => {
  const r = await loadContentBundle(flowsContent, 'notices');
  t.ok(r.ok, r.ok ? '' : JSON.stringify(r.problems));
  if (!r.ok) return;
  const pages = contentPages(r.bundle, Date.UTC(2026, 10, 25, 2));
  t.equal(pages.length, r.bundle.items.length);
  t.match(pages[0]![0], { vi: /^Dịch vụ công · /, en: /^Public service · / });
  t.match(pages[0]!.at(-1), { vi: 'Cập nhật 20/11/2026' });
});

t.test('items outside their dates disappear by themselves, in Vietnam time', async (t) => {
  const text = `id: notices\nversion: 2\ntitle: { vi: "Tin", en: "News" }\nitems:\n` +
    `  - { id: a, category: event, title: { vi: "Hội chợ", en: "Fair" }, body: [{ vi: "x", en: "x" }], validFrom: "2026-11-26", validUntil: "2026-11-30" }\n` +
    `  - { id: b, category: notice, title: { vi: "Cúp nước", en: "Water cut" }, body: [{ vi: "y", en: "y" }], validUntil: "2026-11-25" }\n`;
  const r = parseContentBundle('notices.yaml', text);
  t.ok(r.ok);
  if (!r.ok) return;
  // 2026-11-25 16:59 UTC is 23:59 in Ho Chi Minh City; 17:00 UTC is already the 26th.
  t.equal(localDate(Date.UTC(2026, 10, 25, 16, 59)), '2026-11-25');
  t.same(contentPages(r.bundle, Date.UTC(2026, 10, 25, 16, 59)).map((p) => (p[0] as { en: string }).en), ['Notice · Water cut']);
  t.same(contentPages(r.bundle, Date.UTC(2026, 10, 25, 17, 0)).map((p) => (p[0] as { en: string }).en), ['Event · Fair']);
});

t.test('a bad bundle is refused with file, path and reason', async (t) => {
  const good = await readFile(new URL('notices.yaml', `file://${flowsContent}`), 'utf8');
  const cases: [string, string, RegExp][] = [
    [good.replace('category: safety', 'category: gossip'), '/items/1/category', /allowed values/],
    [good.replace('version: 1', 'version: 0'), '/version', />= 1/],
    [good.replace('id: notices', 'id: other'), '/id', /file name/],
    [good.replace('id: riverside-park', 'id: ward-office-hours'), '/items/2/id', /twice/],
    [good + '\nscript: "alert(1)"\n', '', /unknown field "script"/],
    ['items: [', '', /not valid YAML/],
  ];
  for (const [text, path, reason] of cases) {
    const r = parseContentBundle('notices.yaml', text);
    t.notOk(r.ok);
    if (!r.ok) t.ok(r.problems.some((p) => p.file === 'notices.yaml' && p.path === path && reason.test(p.reason)), `${path} ${reason}: ${JSON.stringify(r.problems)}`);
  }
  const missing = await loadContentBundle(flowsContent, 'nothing-here');
  t.notOk(missing.ok);
});
