/**
 * Reads the procedure files (flows/procedures/<id>.yaml) and the administrative units shipped with
 * them (flows/procedures/admin-units.yaml). Every problem names the file, the path and what was
 * expected, like the flow files' (runtime/flows/bundle.ts); a bundle with any problem is refused whole.
 */
import { parse as parseYaml } from 'yaml';
import type { AdminUnits, Choice, FieldType, FormField, Procedure } from '../services/dossier-form.js';
import { identitySources } from '../services/dossier-form.js';
import type { FlowProblem } from './problems.js';

export interface ProcedureSet {
  procedures: Record<string, Procedure>;
  units: AdminUnits;
}

const fieldTypes: readonly FieldType[] = ['text', 'date', 'choice', 'number', 'phone', 'cccd'];
const idPattern = /^[a-z][a-z0-9-]{1,39}$/;
const fieldIdPattern = /^[a-z][A-Za-z0-9]{0,39}$/;

type Add = (path: string, reason: string) => void;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkText(v: unknown, path: string, add: Add): void {
  if (!isObject(v) || typeof v.vi !== 'string' || typeof v.en !== 'string' || v.vi === '' || v.en === '') {
    add(path, 'must be an object with non-empty "vi" and "en" texts');
  }
}

function checkChoices(v: unknown, path: string, add: Add): void {
  if (!Array.isArray(v) || v.length === 0) {
    add(path, 'must be a non-empty list of { value, label }');
    return;
  }
  const seen = new Set<string>();
  v.forEach((c, i) => {
    if (!isObject(c) || typeof c.value !== 'string' || c.value === '') add(`${path}/${i}/value`, 'must be a non-empty string');
    else if (seen.has(c.value)) add(`${path}/${i}/value`, `"${c.value}" is listed twice`);
    else seen.add(c.value);
    checkText(isObject(c) ? c.label : undefined, `${path}/${i}/label`, add);
  });
}

function checkWhen(v: unknown, path: string, earlier: Set<string>, add: Add): void {
  if (v === undefined) return;
  if (!isObject(v) || typeof v.field !== 'string' || !Array.isArray(v.in) || v.in.some((x) => typeof x !== 'string')) {
    add(path, 'must be { field, in: [values] }');
    return;
  }
  if (!earlier.has(v.field)) add(`${path}/field`, `"${v.field}" is not a field asked before this one`);
}

function checkField(f: unknown, path: string, earlier: Set<string>, add: Add): void {
  if (!isObject(f)) {
    add(path, 'must be an object');
    return;
  }
  if (typeof f.id !== 'string' || !fieldIdPattern.test(f.id)) add(`${path}/id`, 'must be a camelCase name');
  else if (earlier.has(f.id)) add(`${path}/id`, `"${f.id}" is used twice`);
  checkText(f.label, `${path}/label`, add);
  checkWhen(f.when, `${path}/when`, earlier, add);
  if (!fieldTypes.includes(f.type as FieldType)) {
    add(`${path}/type`, `must be one of ${fieldTypes.join(', ')}`);
    return;
  }
  if (f.from !== undefined && !(identitySources as readonly unknown[]).includes(f.from)) add(`${path}/from`, `must be one of ${identitySources.join(', ')}`);
  if (f.type === 'choice') {
    if (f.choicesFrom !== undefined) {
      if (f.choicesFrom !== 'provinces' && f.choicesFrom !== 'wards') add(`${path}/choicesFrom`, 'must be "provinces" or "wards"');
    } else checkChoices(f.choices, `${path}/choices`, add);
  }
  if (f.type === 'number' && (typeof f.min !== 'number' || typeof f.max !== 'number' || f.min > f.max)) add(path, 'a number field needs "min" <= "max"');
  if (f.callback !== undefined && f.type !== 'text') add(`${path}/callback`, 'only a text field can be left for the call-back');
}

/** Checks one parsed procedure file. */
export function checkProcedure(file: string, v: unknown): { ok: true; procedure: Procedure } | { ok: false; problems: FlowProblem[] } {
  const problems: FlowProblem[] = [];
  const add: Add = (path, reason) => problems.push({ file, path, reason });
  if (!isObject(v)) return { ok: false, problems: [{ file, path: '', reason: 'must be a mapping' }] };
  const expected = file.replace(/^procedures\//, '').replace(/\.ya?ml$/, '');
  if (v.id !== expected) add('/id', `must equal the file name "${expected}"`);
  if (typeof v.id !== 'string' || !idPattern.test(v.id)) add('/id', 'must be a lower-case id');
  if (!Number.isInteger(v.version) || (v.version as number) < 1) add('/version', 'must be an integer >= 1');
  checkText(v.title, '/title', add);
  checkText(v.agency, '/agency', add);
  if (typeof v.agencyCode !== 'string' || !/^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$/.test(v.agencyCode)) add('/agencyCode', 'must be a DVCQG agency code like 000.00.00.H29');
  if (!Number.isInteger(v.dueWorkingDays) || (v.dueWorkingDays as number) < 1) add('/dueWorkingDays', 'must be an integer >= 1');
  const form = v.form;
  const earlier = new Set<string>();
  if (!isObject(form)) add('/form', 'must be { code, name, legal, fields }');
  else {
    if (typeof form.code !== 'string' || form.code === '') add('/form/code', 'must name the official template');
    checkText(form.name, '/form/name', add);
    if (!Array.isArray(form.legal) || form.legal.length === 0) add('/form/legal', 'must cite the legal text the form follows');
    if (!Array.isArray(form.fields) || form.fields.length === 0) add('/form/fields', 'must be a non-empty list');
    else {
      form.fields.forEach((f, i) => {
        checkField(f, `/form/fields/${i}`, earlier, add);
        if (isObject(f) && typeof f.id === 'string') earlier.add(f.id);
      });
    }
  }
  const fee = v.fee;
  if (!isObject(fee) || !Array.isArray(fee.cases) || fee.cases.length === 0 || !Array.isArray(fee.legal)) add('/fee', 'must be { legal, cases }');
  else {
    fee.cases.forEach((c, i) => {
      if (!isObject(c) || !Number.isSafeInteger(c.amount) || (c.amount as number) < 0) add(`/fee/cases/${i}/amount`, 'must be a whole VND amount >= 0');
      if (isObject(c)) {
        checkText(c.label, `/fee/cases/${i}/label`, add);
        checkWhen(c.when, `/fee/cases/${i}/when`, earlier, add);
      }
    });
    if (fee.perExtra !== undefined) {
      const e = fee.perExtra;
      if (!isObject(e) || typeof e.field !== 'string' || !earlier.has(e.field) || !Number.isInteger(e.included) || !Number.isSafeInteger(e.amount)) {
        add('/fee/perExtra', 'must be { field (a number field), included, amount }');
      }
    }
  }
  if (!Array.isArray(v.papers)) add('/papers', 'must be a list (empty when nothing is attached)');
  else {
    v.papers.forEach((p, i) => {
      if (!isObject(p) || typeof p.id !== 'string' || !idPattern.test(p.id)) add(`/papers/${i}/id`, 'must be a lower-case id');
      if (isObject(p)) {
        checkText(p.label, `/papers/${i}/label`, add);
        checkWhen(p.when, `/papers/${i}/when`, earlier, add);
        if (p.maxPages !== undefined && (!Number.isInteger(p.maxPages) || (p.maxPages as number) < 1 || (p.maxPages as number) > 20)) add(`/papers/${i}/maxPages`, 'must be 1..20');
      }
    });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, procedure: v as unknown as Procedure };
}

/** Checks the administrative units file. */
export function checkAdminUnits(file: string, v: unknown): { ok: true; units: AdminUnits } | { ok: false; problems: FlowProblem[] } {
  const problems: FlowProblem[] = [];
  const add: Add = (path, reason) => problems.push({ file, path, reason });
  if (!isObject(v)) return { ok: false, problems: [{ file, path: '', reason: 'must be { provinces, wards }' }] };
  checkChoices(v.provinces, '/provinces', add);
  checkChoices(v.wards, '/wards', add);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, units: { provinces: v.provinces as Choice[], wards: v.wards as Choice[] } };
}

/** Parses `procedures/*.yaml` sources (names as read, `procedures/<file>`); `admin-units.yaml` is required. */
export function parseProcedures(sources: { name: string; text: string }[]): { ok: true; set: ProcedureSet } | { ok: false; problems: FlowProblem[] } {
  const problems: FlowProblem[] = [];
  const procedures: Record<string, Procedure> = {};
  let units: AdminUnits | undefined;
  for (const source of sources) {
    let value: unknown;
    try {
      value = parseYaml(source.text, { uniqueKeys: true, maxAliasCount: 0 });
    } catch (err) {
      problems.push({ file: source.name, path: '', reason: `not valid YAML: ${(err as Error).message.split('\n')[0]}` });
      continue;
    }
    if (source.name.endsWith('/admin-units.yaml')) {
      const r = checkAdminUnits(source.name, value);
      if (r.ok) units = r.units;
      else problems.push(...r.problems);
      continue;
    }
    const r = checkProcedure(source.name, value);
    if (r.ok) procedures[r.procedure.id] = r.procedure;
    else problems.push(...r.problems);
  }
  if (!units && sources.length > 0) problems.push({ file: 'procedures/admin-units.yaml', path: '', reason: 'the administrative units file is required beside the procedures' });
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, set: { procedures, units: units ?? { provinces: [], wards: [] } } };
}

/** The field of a procedure by id. */
export function fieldOf(procedure: Procedure, id: string): FormField | undefined {
  return procedure.form.fields.find((f) => f.id === id);
}
