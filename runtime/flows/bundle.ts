/**
 * Loads and checks a bundle of flow files. A bundle is accepted only whole: each file must match
 * flows/schema.json, and the cross-references the schema cannot express must hold (steps that
 * exist, steps reachable from the start, outcomes the step kind can produce, catalog keys present in
 * both languages, known template filters, unique home-menu keys, an `emergency` flow). Every problem
 * names the file, the JSON path inside it and the reason; the caller keeps running its last good bundle.
 */
import { basename, extname } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Catalog, FlowDefinition, Locale, Step, Text } from './types.js';
import { outcomesByKind } from './types.js';
import { templateFilters } from './template.js';
import type { Key } from '../kernel/input.js';
import { parseContentBundle } from './content-bundle.js';
import type { ContentBundle } from './content-pages.js';
import { vi } from './i18n/vi.js';
import { en } from './i18n/en.js';
import { flowSourcesDigest, readFlowSources, type FlowSource } from './sources.js';
import type { FlowBundleResult, FlowProblem } from './problems.js';
import flowSchema from '../../flows/schema.json' with { type: 'json' };

export type { FlowBundleResult, FlowProblem, FlowSource };
export { formatFlowProblems } from './problems.js';

/** Flows the engine starts itself; `emergency` must exist so the Emergency key works from any screen. */
export const requiredFlows = ['emergency'] as const;

const require = createRequire(import.meta.url);
let compiled: ValidateFunction | undefined;

/** The station's own flows/schema.json, compiled in (never a pushed one). */
function flowValidator(): ValidateFunction {
  if (compiled) return compiled;
  // ajv is CommonJS; require gives its constructor without the ESM default-export dance.
  const AjvCtor = require('ajv') as typeof import('ajv').default;
  compiled = new AjvCtor({ allErrors: true, strict: false }).compile(flowSchema as object);
  return compiled;
}

export const defaultCatalogs: Record<Locale, Catalog> = { vi, en };

/** Problems ajv reports, reduced to one readable reason per failure. */
function schemaProblems(file: string, errors: ErrorObject[]): FlowProblem[] {
  const oneOfPaths = errors.filter((e) => e.keyword === 'oneOf').map((e) => e.schemaPath);
  const out: FlowProblem[] = [];
  for (const e of errors) {
    if (e.keyword === 'if') continue;
    if (oneOfPaths.some((p) => e.schemaPath !== p && e.schemaPath.startsWith(p.replace(/\/oneOf$/, '/oneOf/')))) continue;
    let reason = e.message ?? 'is invalid';
    if (e.keyword === 'oneOf') reason = 'must be a catalog key (e.g. "common.ok") or an object with "vi" and "en" texts';
    else if (e.keyword === 'additionalProperties') reason = `has an unknown field "${String((e.params as { additionalProperty: string }).additionalProperty)}"`;
    else if (e.keyword === 'enum') reason = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    else if (e.keyword === 'const') reason = `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`;
    out.push({ file, path: e.instancePath, reason });
  }
  const seen = new Set<string>();
  return out.filter((p) => {
    const k = `${p.path}|${p.reason}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

const reservedRoots = ['identity', 'measurements', 'consent', 'station', 'session', 'feedbackFor', 'error', 'item'];

/** Cross-reference checks on one schema-valid flow. */
function checkFlow(file: string, flow: FlowDefinition, catalogs: Record<Locale, Catalog>, contents: Record<string, ContentBundle>): FlowProblem[] {
  const problems: FlowProblem[] = [];
  const add = (path: string, reason: string) => problems.push({ file, path, reason });
  const expectedId = basename(file, extname(file));
  if (flow.id !== expectedId) add('/id', `must equal the file name "${expectedId}"`);
  const ids = new Set(Object.keys(flow.steps));
  if (!ids.has(flow.start)) add('/start', `unknown step "${flow.start}"`);

  const checkText = (path: string, text: Text | undefined) => {
    if (text === undefined) return;
    if (typeof text === 'string') {
      for (const locale of ['vi', 'en'] as const) {
        if (catalogs[locale][text] === undefined) add(path, `catalog key "${text}" is missing from the ${locale} catalog`);
      }
      return;
    }
    for (const locale of ['vi', 'en'] as const) checkTemplate(`${path}/${locale}`, text[locale]);
  };
  const checkTemplate = (path: string, s: string) => {
    const stripped = s.replace(/\{\{\s*[a-zA-Z][a-zA-Z0-9]*(?:\.[a-zA-Z0-9-]+)*\s*(?:\|\s*([a-z]+)\s*)?\}\}/g, (_m, f: string | undefined) => {
      if (f !== undefined && !(templateFilters as readonly string[]).includes(f)) add(path, `unknown filter "${f}" (known: ${templateFilters.join(', ')})`);
      return '';
    });
    if (stripped.includes('{{') || stripped.includes('}}')) add(path, 'malformed {{path}} substitution');
  };

  checkText('/title', flow.title);
  checkText('/menu/hint', flow.menu?.hint);
  const edges = new Map<string, string[]>();
  for (const [id, step] of Object.entries(flow.steps)) {
    const base = `/steps/${id}`;
    const targets: string[] = [];
    const ref = (path: string, target: string) => {
      if (!ids.has(target)) add(path, `unknown step "${target}"`);
      else targets.push(target);
    };
    checkText(`${base}/title`, step.title);
    step.body?.forEach((t, i) => checkText(`${base}/body/${i}`, t));
    checkText(`${base}/help`, step.help);
    if (step.next !== undefined) ref(`${base}/next`, step.next);
    const options = 'options' in step ? step.options ?? [] : [];
    const optionKeys = new Set<string>();
    options.forEach((o, i) => {
      if (optionKeys.has(o.key)) add(`${base}/options/${i}/key`, `key "${o.key}" is used twice on this step`);
      optionKeys.add(o.key);
      checkText(`${base}/options/${i}/label`, o.label);
      checkText(`${base}/options/${i}/hint`, o.hint);
      ref(`${base}/options/${i}/next`, o.next);
      if (step.kind === 'measure' && o.key === '0') add(`${base}/options/${i}/key`, 'key 0 skips a measurement');
    });
    const allowed = new Set<string>([...outcomesByKind[step.kind], ...optionKeys]);
    for (const [outcome, target] of Object.entries(step.on ?? {})) {
      if (!allowed.has(outcome)) {
        add(`${base}/on/${outcome}`, `a ${step.kind} step has no "${outcome}" outcome (it has: ${[...allowed].join(', ') || 'none'})`);
      }
      if (target !== undefined) ref(`${base}/on/${outcome}`, target);
    }
    const forward = step.next !== undefined || step.on?.ok !== undefined;
    const listMenu = step.kind === 'menu' && step.optionsFrom !== undefined;
    if (((step.kind !== 'menu' && step.kind !== 'end' && options.length === 0) || listMenu) && !forward) {
      add(base, `a ${step.kind} step${listMenu ? ' with optionsFrom' : ''} needs "next" or "on.ok"`);
    }
    if (step.kind === 'menu' && step.optionsFrom) {
      checkTemplate(`${base}/optionsFrom/label`, step.optionsFrom.label);
      if (step.optionsFrom.hint) checkTemplate(`${base}/optionsFrom/hint`, step.optionsFrom.hint);
    }
    if (step.kind === 'info' && step.contentFrom !== undefined && !contents[step.contentFrom]) {
      add(`${base}/contentFrom`, `no content bundle "${step.contentFrom}" (expected content/${step.contentFrom}.yaml)`);
    }
    if ('save' in step && step.save !== undefined && reservedRoots.includes(step.save.split('.')[0] as string)) {
      add(`${base}/save`, `"${step.save.split('.')[0]}" is reserved for the engine`);
    }
    checkStepTexts(step, base, checkText, checkTemplate);
    edges.set(id, targets);
  }
  if (ids.has(flow.start)) {
    const seen = new Set<string>([flow.start]);
    const queue = [flow.start];
    while (queue.length > 0) {
      for (const t of edges.get(queue.shift() as string) ?? []) {
        if (!seen.has(t)) {
          seen.add(t);
          queue.push(t);
        }
      }
    }
    for (const id of ids) if (!seen.has(id)) add(`/steps/${id}`, `step "${id}" cannot be reached from "${flow.start}"`);
  }
  return problems;
}

function checkStepTexts(
  step: Step, base: string, checkText: (p: string, t: Text | undefined) => void, checkTemplate: (p: string, s: string) => void,
): void {
  switch (step.kind) {
    case 'input': checkText(`${base}/placeholder`, step.placeholder); break;
    case 'consent': checkText(`${base}/text`, step.text); break;
    case 'confirm': step.rows?.forEach((r, i) => { checkText(`${base}/rows/${i}/label`, r.label); checkTemplate(`${base}/rows/${i}/value`, r.value); }); break;
    case 'result':
      step.rows?.forEach((r, i) => { checkText(`${base}/rows/${i}/label`, r.label); checkTemplate(`${base}/rows/${i}/value`, r.value); });
      if (step.list) {
        const label = step.list.label;
        if (typeof label === 'string') checkTemplate(`${base}/list/label`, label);
        else checkText(`${base}/list/label`, label);
        checkTemplate(`${base}/list/value`, step.list.value);
      }
      break;
    case 'info': step.pages?.forEach((page, p) => page.forEach((t, i) => checkText(`${base}/pages/${p}/${i}`, t))); break;
    case 'print': step.lines?.forEach((l, i) => { checkText(`${base}/lines/${i}/text`, l.text); if (l.qr) checkTemplate(`${base}/lines/${i}/qr`, l.qr); }); break;
    case 'pay':
      checkTemplate(`${base}/amount`, step.amount);
      checkTemplate(`${base}/reference`, step.reference);
      if (step.purpose) checkTemplate(`${base}/purpose`, step.purpose);
      break;
    case 'lookup':
      for (const [k, v] of Object.entries(step.params ?? {})) if (typeof v === 'string') checkTemplate(`${base}/params/${k}`, v);
      break;
    case 'submit':
      for (const [k, v] of Object.entries(step.payload ?? {})) if (typeof v === 'string') checkTemplate(`${base}/payload/${k}`, v);
      break;
    default: break;
  }
}

/** Parses one file's text (YAML, or JSON which is YAML too). */
function parseSource(source: FlowSource): { ok: true; value: unknown } | { ok: false; problem: FlowProblem } {
  try {
    return { ok: true, value: parseYaml(source.text, { prettyErrors: true, uniqueKeys: true, maxAliasCount: 0 }) };
  } catch (err) {
    const line = err instanceof YAMLParseError && err.linePos ? ` (line ${err.linePos[0].line})` : '';
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return { ok: false, problem: { file: source.name, path: '', reason: `not valid YAML${line}: ${message}` } };
  }
}

/** Checks a complete set of flow files; returns the bundle or every problem found. */
export function parseFlowBundle(sources: FlowSource[], catalogs: Record<Locale, Catalog> = defaultCatalogs): FlowBundleResult {
  const problems: FlowProblem[] = [];
  for (const key of Object.keys(catalogs.vi)) {
    if (catalogs.en[key] === undefined) problems.push({ file: 'i18n/en', path: `/${key}`, reason: 'missing; present in vi' });
  }
  const contents: Record<string, ContentBundle> = {};
  const flowSources: FlowSource[] = [];
  for (const source of sources) {
    if (!source.name.startsWith('content/')) {
      flowSources.push(source);
      continue;
    }
    const parsed = parseContentBundle(basename(source.name), source.text);
    if (parsed.ok) contents[parsed.bundle.id] = parsed.bundle;
    else problems.push(...parsed.problems.map((p) => ({ ...p, file: `content/${p.file}` })));
  }
  const flows: Record<string, FlowDefinition> = {};
  const menuOwners = new Map<string, string>();
  for (const source of [...flowSources].sort((a, b) => a.name.localeCompare(b.name))) {
    const parsed = parseSource(source);
    if (!parsed.ok) {
      problems.push(parsed.problem);
      continue;
    }
    const validateFlow = flowValidator();
    if (!validateFlow(parsed.value)) {
      problems.push(...schemaProblems(source.name, validateFlow.errors ?? []));
      continue;
    }
    const flow = parsed.value as unknown as FlowDefinition;
    const own = checkFlow(source.name, flow, catalogs, contents);
    problems.push(...own);
    if (own.length > 0) continue;
    if (flows[flow.id]) {
      problems.push({ file: source.name, path: '/id', reason: `flow "${flow.id}" is defined twice` });
      continue;
    }
    if (flow.menu) {
      const owner = menuOwners.get(flow.menu.key);
      if (owner) problems.push({ file: source.name, path: '/menu/key', reason: `home-menu key "${flow.menu.key}" is already used by ${owner}` });
      else menuOwners.set(flow.menu.key, source.name);
    }
    flows[flow.id] = flow;
  }
  for (const id of requiredFlows) {
    if (!flows[id] && !problems.some((p) => basename(p.file, extname(p.file)) === id)) {
      problems.push({ file: `${id}.yaml`, path: '', reason: 'this flow is required in every bundle' });
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  const order = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0'];
  const homeMenu = Object.values(flows)
    .filter((f) => f.menu)
    .map((f) => ({ key: (f.menu as { key: Key }).key, flowId: f.id }))
    .sort((a, b) => order.indexOf(a.key) - order.indexOf(b.key));
  return { ok: true, bundle: { flows, catalogs, contents, homeMenu, digest: flowSourcesDigest(sources) } };
}


/**
 * Reads every `*.yaml`, `*.yml` and `*.json` flow file in `dir` (not schema.json) and the content
 * bundles in `dir/content/` (named `content/<id>.yaml`), and checks them as one bundle.
 */
export async function loadFlowBundle(dir: string, catalogs: Record<Locale, Catalog> = defaultCatalogs): Promise<FlowBundleResult> {
  const read = await readFlowSources(dir);
  return read.ok ? parseFlowBundle(read.sources, catalogs) : read;
}

