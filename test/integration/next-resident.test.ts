// The "next resident" canary, for every flow: a resident goes as deep as the flow takes them with
// their card, numbers and measurements, then walks away. When the station has returned home on its
// own, nothing of theirs may remain: not on the screen, not in the page's DOM or storage, not in the
// engine's data, and not on any screen of the next person's session. The deep screens come from the
// walk of every screen (test/fakes/screen-walk.ts); the page is the real one in Debian's Chromium.
import t from 'tap';
import pino from 'pino';
import { DisplayServer } from '../../runtime/display/server.js';
import { loadFlowBundle, formatFlowProblems } from '../../runtime/flows/bundle.js';
import { defaultEngineConfig, transition, type EngineEvent, type FlowSnapshot } from '../../runtime/flows/engine.js';
import type { Screen } from '../../runtime/flows/screen-model.js';
import { maskCccd } from '../../runtime/kernel/logger.js';
import type { Key } from '../../runtime/kernel/input.js';
import { ScriptedScreenFeed, RecordingInputSink } from '../fakes/screen-feed.js';
import { launchKiosk } from '../fakes/chromium.js';
import { scannedCard, typedValues, walkScreens, type WalkedScreen } from '../fakes/screen-walk.js';
import { flowsDir } from '../fakes/flow-kit.js';

declare const document: any;
declare const localStorage: any;
declare const sessionStorage: any;

const loaded = await loadFlowBundle(flowsDir);
if (!loaded.ok) throw new Error(formatFlowProblems(loaded.problems).join('\n'));
const bundle = loaded.bundle;
const def = { bundle, config: defaultEngineConfig };
const walked = walkScreens(bundle, 'vi');

/** What a resident gave, in every form it could be shown: typed, masked, grouped, and the scanned name. */
const cardName = scannedCard.split('|')[2] as string;
const traces = [
  ...typedValues.filter((v) => v.length >= 10),
  ...typedValues.filter((v) => v.length === 12).map(maskCccd),
  ...typedValues.filter((v) => v.length === 12).map((v) => v.replace(/(\d{4})(?=\d)/g, '$1 ')),
  ...typedValues.filter((v) => v.length === 19).map((v) => `${v.slice(0, 3)}.${v.slice(3, 5)}.${v.slice(5, 7)}.H${v.slice(7, 9)}-${v.slice(9, 15)}-${v.slice(15)}`),
  cardName, cardName.toUpperCase(),
];
// Fixture codes the flows print as examples (a customer code in a hint) are not the resident's.
const flowTexts = JSON.stringify(bundle);
const own = traces.filter((trace) => !flowTexts.includes(trace));
const found = (text: string) => own.filter((trace) => text.includes(trace));

const feed = new ScriptedScreenFeed(walked[0]!.screen);
const server = new DisplayServer({ assetsDir: 'runtime/display/static', host: '127.0.0.1', port: 0, feed, input: new RecordingInputSink(), logger: pino({ level: 'silent' }) });
await server.start();
const kiosk = await launchKiosk();
t.teardown(async () => {
  await kiosk.close();
  await server.stop();
});
const page = await kiosk.context.newPage();
await page.goto(server.url);
await page.waitForSelector('body[data-connected=true]');

async function show(screen: Screen): Promise<void> {
  feed.show(screen);
  await page.waitForFunction((s: number) => Number(document.body.dataset.seq) >= s, server.screenSeq);
}

let now = Date.UTC(2026, 11, 4, 3, 0, 0);
let entropy = 0;
const ctx = () => ({ now: (now += 1000), entropy: `canary-${++entropy}`, analyticsId: `canary-a-${entropy}` });
function step(s: FlowSnapshot, event: EngineEvent): { s: FlowSnapshot; screen: Screen } {
  const r = transition(def, s, event, ctx());
  const shown = r.effects.filter((e) => e.type === 'show').at(-1) as { screen: Screen };
  return { s: r.snapshot, screen: shown.screen };
}

/** The flow's deepest screen that holds something of the resident, else its deepest screen. */
function deepest(flowId: string): WalkedScreen | undefined {
  const reached = walked.filter((w) => w.screen.flowId === flowId && w.path[0] !== 'maintenance').sort((a, b) => b.path.length - a.path.length);
  return reached.find((w) => found(JSON.stringify(w.snapshot.data)).length > 0) ?? reached[0];
}

const flows = Object.keys(bundle.flows).filter((id) => id !== 'feedback');
for (const flowId of flows) {
  t.test(`next resident after ${flowId}`, async (t) => {
    const deep = deepest(flowId);
    if (!deep) {
      t.fail(`the walk never reached ${flowId}`);
      return;
    }
    const held = found(JSON.stringify(deep.snapshot.data));
    t.comment(`${deep.name} after ${deep.path.join(' > ')}; holds ${held.length ? held.join(', ') : 'nothing typed'}`);
    await show(deep.screen);

    // The resident walks away: only the clock moves until the station is home again.
    let s = deep.snapshot;
    let screen = deep.screen;
    for (let i = 0; i < 100 && (s.run || screen.kind !== 'home'); i++) {
      if (!s.timerId) break;
      ({ s, screen } = step(s, { type: 'timer', timerId: s.timerId }));
    }
    t.equal(screen.kind, 'home', 'home on its own');
    t.same(s.data, {}, "the engine holds none of the resident's data");
    t.equal(s.step.value, '', 'nor anything typed');
    await show(screen);
    const dom = await page.content();
    t.same(found(dom), [], 'nothing of theirs in the DOM');
    t.same(found(await page.innerText('body')), [], 'nor on the screen');
    const storage = await page.evaluate(() => ({ local: localStorage.length, session: sessionStorage.length, cookie: document.cookie }));
    t.same(storage, { local: 0, session: 0, cookie: '' }, 'the page stores nothing');
    t.same(await kiosk.context.cookies(), [], 'the browser keeps no cookie');

    // The next person: the same service, every first screen and its help.
    const entry = bundle.homeMenu.find((m) => m.flowId === flowId);
    const first = entry ? step(s, { type: 'key', key: entry.key }) : step(s, { type: 'emergency' });
    const seen: Screen[] = [first.screen];
    for (const key of ['help', 'help', 'ok', '1'] as Key[]) {
      const next = step(first.s, { type: 'key', key });
      seen.push(next.screen);
      t.same(found(JSON.stringify(next.s.data)), [], `the next session's data after ${key} holds nothing of the previous one`);
    }
    for (const next of seen) t.same(found(JSON.stringify(next)), [], `${next.stepId ?? next.kind}: nothing of the previous resident`);
    await show(first.screen);
    t.same(found(await page.content()), [], "nothing in the next person's first page");
  });
}
