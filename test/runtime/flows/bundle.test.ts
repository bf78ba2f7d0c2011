import t from 'tap';
import { fileURLToPath } from 'node:url';
import { readFile, readdir } from 'node:fs/promises';
import { loadFlowBundle, parseFlowBundle, formatFlowProblems } from '../../../runtime/flows/bundle.js';
import type { FlowSource } from '../../../runtime/flows/bundle.js';

const flowsDir = fileURLToPath(new URL('../../../flows/', import.meta.url));

async function shippedSources(): Promise<FlowSource[]> {
  // Only the flows these tests are about; the other services' files have their own tests.
  const names = (await readdir(flowsDir)).filter((n) => ['health-check.yaml', 'feedback.yaml', 'emergency.yaml'].includes(n));
  return Promise.all(names.map(async (name) => ({ name, text: await readFile(flowsDir + name, 'utf8') })));
}

function withFile(sources: FlowSource[], name: string, text: string): FlowSource[] {
  return [...sources.filter((s) => s.name !== name), { name, text }];
}

t.test('the shipped flows form a valid bundle with a home menu', async (t) => {
  const result = await loadFlowBundle(flowsDir);
  if (!result.ok) t.fail(formatFlowProblems(result.problems).join('\n'));
  else {
    t.ok(result.bundle.flows['health-check']);
    t.ok(result.bundle.flows.emergency);
    t.ok(result.bundle.flows.feedback);
    t.same(result.bundle.homeMenu.find((m) => m.flowId === 'health-check')?.key, '1');
    t.notOk(result.bundle.homeMenu.some((m) => m.flowId === 'emergency'), 'emergency has its own key, not a menu entry');
    t.match(result.bundle.digest, /^[0-9a-f]{16}$/);
  }
});

const minimal = `
id: demo
version: 1
title: { vi: "Thử", en: "Demo" }
menu: { key: "8" }
start: hello
steps:
  hello:
    kind: info
    title: { vi: "Xin chào", en: "Hello" }
    next: bye
  bye:
    kind: end
    title: { vi: "Tạm biệt", en: "Bye" }
`;

t.test('a minimal flow is accepted', async (t) => {
  const result = parseFlowBundle(withFile(await shippedSources(), 'demo.yaml', minimal));
  t.ok(result.ok, result.ok ? '' : formatFlowProblems(result.problems).join('\n'));
});

t.test('malformed flow files are refused with file, JSON path and reason', async (t) => {
  const base = await shippedSources();
  const cases: { name: string; text: string; path: string; reason: RegExp }[] = [
    { name: 'unknown next', text: minimal.replace('next: bye', 'next: byee'), path: '/steps/hello/next', reason: /unknown step "byee"/ },
    { name: 'unreachable step', text: minimal + '  lost:\n    kind: end\n    title: { vi: "Mất", en: "Lost" }\n', path: '/steps/lost', reason: /cannot be reached/ },
    { name: 'unknown kind', text: minimal.replace('kind: info', 'kind: script'), path: '/steps/hello/kind', reason: /must be one of/ },
    { name: 'code smuggled in a field', text: minimal.replace('next: bye', 'next: bye\n    eval: "process.exit()"'), path: '/steps/hello', reason: /unknown field "eval"/ },
    { name: 'text without English', text: minimal.replace('{ vi: "Xin chào", en: "Hello" }', '{ vi: "Xin chào" }'), path: '/steps/hello/title', reason: /catalog key .* or an object with "vi" and "en"/ },
    { name: 'unknown catalog key', text: minimal.replace('{ vi: "Xin chào", en: "Hello" }', 'nope.missing'), path: '/steps/hello/title', reason: /catalog key "nope.missing" is missing/ },
    { name: 'outcome the kind cannot produce', text: minimal.replace('next: bye', 'next: bye\n    on: { expired: bye }'), path: '/steps/hello/on/expired', reason: /no "expired" outcome/ },
    { name: 'unknown template filter', text: minimal.replace('"Hello"', '"Hello {{name | upper}}"'), path: '/steps/hello/title/en', reason: /unknown filter "upper"/ },
    { name: 'id not the file name', text: minimal.replace('id: demo', 'id: other'), path: '/id', reason: /file name "demo"/ },
    { name: 'missing timeout sanity', text: minimal.replace('next: bye', 'next: bye\n    timeoutMs: 5'), path: '/steps/hello/timeoutMs', reason: /must be >= 1000/ },
    { name: 'not YAML', text: 'id: [unclosed', path: '', reason: /not valid YAML/ },
    { name: 'start unknown', text: minimal.replace('start: hello', 'start: nowhere'), path: '/start', reason: /unknown step "nowhere"/ },
    { name: 'reserved save path', text: minimal.replace(/hello:\n    kind: info/, 'hello:\n    kind: input\n    validator: phone\n    save: identity.id'), path: '/steps/hello/save', reason: /reserved/ },
  ];
  for (const c of cases) {
    const result = parseFlowBundle(withFile(base, 'demo.yaml', c.text));
    t.notOk(result.ok, `${c.name}: refused`);
    if (result.ok) continue;
    const hit = result.problems.find((p) => p.file === 'demo.yaml' && p.path === c.path && c.reason.test(p.reason));
    t.ok(hit, `${c.name}: names demo.yaml ${c.path} — got ${formatFlowProblems(result.problems).join(' | ')}`);
  }
});

t.test('two flows on one home-menu key are refused', async (t) => {
  const result = parseFlowBundle(withFile(await shippedSources(), 'demo.yaml', minimal.replace('key: "8"', 'key: "1"')));
  t.notOk(result.ok);
  if (!result.ok) t.match(result.problems, [{ path: '/menu/key', reason: /home-menu key "1" is already used by (demo|health-check)\.yaml/ }]);
});

t.test('a bundle without the emergency flow is refused', async (t) => {
  const result = parseFlowBundle((await shippedSources()).filter((s) => s.name !== 'emergency.yaml'));
  t.notOk(result.ok);
  if (!result.ok) t.match(result.problems, [{ file: 'emergency.yaml', reason: /required/ }]);
});
