// Menus longer than a page (the home menu's ten services) page with `#`, and the key bar names the
// key with the page it is on, so no option is left below the fold of a small panel.
import t from 'tap';
import { loadFlowBundle } from '../../runtime/flows/bundle.js';
import { defaultEngineConfig, initialSnapshot, transition, type FlowSnapshot } from '../../runtime/flows/engine.js';
import { MENU_PAGE_SIZE } from '../../runtime/flows/engine/render.js';
import type { Screen } from '../../runtime/flows/screen-model.js';
import type { Key } from '../../runtime/kernel/input.js';
import { flowsDir } from '../fakes/flow-kit.js';

const loaded = await loadFlowBundle(flowsDir);
if (!loaded.ok) throw new Error('flow bundle does not load');
const def = { bundle: loaded.bundle, config: defaultEngineConfig };
let now = 0;
const ctx = () => ({ now: (now += 1000), entropy: `e-${now}`, analyticsId: `a-${now}` });

function press(s: FlowSnapshot, key: Key): { s: FlowSnapshot; screen: Screen } {
  const r = transition(def, s, { type: 'key', key }, ctx());
  const show = r.effects.filter((e) => e.type === 'show').at(-1);
  return { s: r.snapshot, screen: (show as { screen: Screen }).screen };
}

t.test('the home menu shows six services a page and # turns the page', async (t) => {
  t.equal(def.bundle.homeMenu.length, 10, 'ten services on the home menu');
  let { s, screen } = press(initialSnapshot(defaultEngineConfig), 'help');
  ({ s, screen } = press(s, 'help'));
  t.same(screen.options?.map((o) => o.key), ['1', '2', '3', '4', '5', '6']);
  t.equal(screen.options?.length, MENU_PAGE_SIZE);
  t.same(screen.keys.find((k) => k.key === '#'), { key: '#', label: 'Trang sau (1/2)' }, 'the key bar names # and the page');
  ({ s, screen } = press(s, '#'));
  t.same(screen.options?.map((o) => o.key), ['7', '8', '9', '0'], 'the rest on the second page');
  t.same(screen.keys.find((k) => k.key === '#'), { key: '#', label: 'Trang đầu (2/2)' });
  ({ s, screen } = press(s, '#'));
  t.same(screen.options?.map((o) => o.key), ['1', '2', '3', '4', '5', '6'], 'and back to the first');
  ({ s, screen } = press(s, '9'));
  t.equal(screen.flowId, def.bundle.homeMenu.find((m) => m.key === '9')?.flowId, 'a key printed on the keypad works from any page');
});

t.test('a short menu has no page key', async (t) => {
  let { s, screen } = press(initialSnapshot(defaultEngineConfig), '5');
  t.ok((screen.options?.length ?? 0) <= MENU_PAGE_SIZE);
  t.notOk(screen.keys.some((k) => k.key === '#'));
  ({ s, screen } = press(s, 'home'));
  t.equal(screen.kind, 'home');
  t.equal(s.step.page, 0, 'home starts again at the first page');
});
