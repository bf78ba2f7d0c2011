// The report SVG as a ward officer sees it: opened in Debian's Chromium, every text box measured,
// no two texts overlapping and none running off the picture, for one station and for a fleet of
// stations with long site names. Like the display audit, geometry is checked in a real browser.
import t from 'tap';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildReport } from '../../../runtime/analytics/report/model.js';
import type { ReportLabels, SiteDays } from '../../../runtime/analytics/report/model.js';
import { loadFlowLabels } from '../../../runtime/analytics/report/flow-labels.js';
import { renderSvg } from '../../../runtime/analytics/report/render-svg.js';
import { launchKiosk } from '../../fakes/chromium.js';
import { aggregateDays, pilotEvents } from '../../fakes/simulated-pilot.js';

declare const document: any;

const dir = await mkdtemp(join(tmpdir(), 'report-svg-'));
const kiosk = await launchKiosk({ width: 1600, height: 1000 });
t.teardown(async () => {
  await kiosk.close();
  await rm(dir, { recursive: true, force: true });
});
const page = await kiosk.context.newPage();
const flowLabels = await loadFlowLabels(new URL('../../../flows', import.meta.url).pathname);

interface Box { text: string; x: number; y: number; w: number; h: number }

/** The boxes of every <text> of `svg` as Chromium lays them out, and the picture's width. */
async function measure(svg: string, name: string): Promise<{ boxes: Box[]; width: number }> {
  const file = join(dir, `${name}.svg`);
  await writeFile(file, svg);
  await page.goto(pathToFileURL(file).href);
  return page.evaluate(() => {
    const root = document.documentElement;
    const boxes = [...document.querySelectorAll('text')].map((el: any) => {
      const b = el.getBBox();
      return { text: el.textContent, x: b.x, y: b.y, w: b.width, h: b.height };
    });
    return { boxes, width: root.viewBox.baseVal.width };
  });
}

/** Pairs of texts whose boxes overlap by more than a pixel each way, and texts beyond the edges. */
function problems({ boxes, width }: { boxes: Box[]; width: number }): string[] {
  const out: string[] = [];
  const sorted = [...boxes].sort((a, b) => a.y - b.y);
  for (let i = 0; i < sorted.length; i++) {
    const a = sorted[i]!;
    if (a.x < 0 || a.x + a.w > width + 0.5) out.push(`"${a.text}" runs off the picture (x ${a.x.toFixed(1)}..${(a.x + a.w).toFixed(1)}, width ${width})`);
    for (let j = i + 1; j < sorted.length && sorted[j]!.y < a.y + a.h; j++) {
      const b = sorted[j]!;
      const dx = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
      const dy = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
      if (dx > 1 && dy > 1) out.push(`"${a.text}" overlaps "${b.text}" by ${dx.toFixed(1)}x${dy.toFixed(1)} px`);
    }
  }
  return out;
}

/** Long, repeated and accented step titles: what the real flow files hold, and then some. */
const longLabels: ReportLabels = {
  ...flowLabels,
  step: (service, step) => (step === 'identity' || step === 'phone' ? 'Xác nhận danh tính bằng căn cước công dân gắn chip hoặc nhập 12 số'
    : flowLabels?.step?.(service, step)),
  service: (service) => (service === 'residence-confirmation' ? 'Xác nhận thông tin cư trú cho người thuê nhà' : flowLabels?.service?.(service)),
};

/** The pilot with one service renamed to an id without a built-in name, so its long flow title heads the columns. */
const events = pilotEvents.map((e) => (e.service === 'bhxh-lookup' ? { ...e, service: 'residence-confirmation' } : e));

t.test('one station: no text overlaps another or leaves the picture', async (t) => {
  const model = buildReport([{ site: 'sim-dao-kim-cuong-01', name: 'Trạm công dân số Đảo Kim Cương', days: aggregateDays(events) }],
    { generatedAt: Date.UTC(2026, 10, 25), labels: longLabels });
  const measured = await measure(renderSvg(model), 'one');
  const repeated = model.services.find((s) => s.service === 'dossier-submission')!.funnel.map((f) => f.label);
  t.same(repeated.filter((l) => l.startsWith('Xác nhận danh tính')).sort(), ['Xác nhận danh tính bằng căn cước công dân gắn chip hoặc nhập 12 số (identity)',
    'Xác nhận danh tính bằng căn cước công dân gắn chip hoặc nhập 12 số (phone)'], 'a title two steps share is told apart by the step id');
  t.ok(measured.boxes.length > 500, `${measured.boxes.length} texts measured`);
  t.same(problems(measured), []);
  const texts = new Set(measured.boxes.map((b) => b.text));
  t.ok(texts.has('Xác nhận danh tính bằng căn cước công dân gắn chip hoặc nhập 12 số (identity)'), 'a long step title is drawn whole');
  const cut = model.services.flatMap((s) => s.funnel.map((f) => f.label)).filter((label) => !texts.has(label));
  t.same(cut, [], 'every funnel label is drawn whole');
});

t.test('a fleet with long site names: the comparison does not overlap either', async (t) => {
  const names = ['Chung cư Đảo Kim Cương, tháp Brilliant, sảnh tầng trệt', 'Khu dân cư The Vista An Phú', 'Chung cư Lexington Residence, Phường Bình Trưng'];
  const sites: SiteDays[] = names.map((name, i) => ({
    site: `dkc-0${i + 1}`, name, days: aggregateDays(events.filter((_, k) => k % names.length === i)),
  }));
  const measured = await measure(renderSvg(buildReport(sites, { generatedAt: Date.UTC(2026, 10, 25), labels: longLabels })), 'fleet');
  t.same(problems(measured), []);
  for (const name of names) t.ok(measured.boxes.some((b) => b.text.startsWith(name)), `site named: ${name}`);
});
