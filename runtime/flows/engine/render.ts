/** The screen model of a snapshot: what the display and the TUI mirror draw (runtime/flows/screen-model.ts). */
import type { Key } from '../../kernel/input.js';
import type { Screen, ScreenKind, ScreenOption, ResultRow, Tone } from '../screen-model.js';
import type { FlowBundle, FlowDefinition, Locale, MenuOption, Step, Text } from '../types.js';
import { charsetOf, maxLengthOf } from '../../services/validators.js';
import { getPath, renderTemplate, resolveTemplateValue } from '../template.js';
import type { HealthMeasurements } from '../../services/health-classification.js';
import { summariseHealth } from '../../services/health-classification.js';
import { dossierTimelineRows } from '../../services/dossier-timeline.js';
import type { EngineDefinition, FlowSnapshot, SessionIdentity, StepState } from './state.js';
import { healthAdvice, healthUnit, resolveText } from './texts.js';
import { Tx } from './tx.js';
import { formProcedure, renderForm } from './form-step.js';
import { renderScan } from './scan-step.js';
import { hidesDigits, maskIdentityDigits } from './typed.js';
import { skippedMeasurements } from './skipped.js';

/** The info step's own pages, then its content bundle's pages. */
function infoPages(step: Extract<Step, { kind: 'info' }>, state: StepState): Text[][] {
  return [...(step.pages ?? []), ...(state.pages ?? [])];
}

export function pageCount(tx: Tx, step: Step): number {
  if (step.kind === 'info') return 1 + infoPages(step, tx.s.step).length;
  if (step.kind === 'result' && step.list) {
    const list = getPath(tx.s.data, step.list.path);
    const size = step.list.pageSize ?? 5;
    return Array.isArray(list) ? Math.max(1, Math.ceil(list.length / size)) : 1;
  }
  return 1;
}

// ---------------------------------------------------------------------------------------------
// Rendering: the snapshot as the Screen the display draws. Pure.

const screenKindOf: Record<Step['kind'], ScreenKind> = {
  menu: 'menu', info: 'info', input: 'input', identity: 'identity', consent: 'consent', measure: 'measure',
  lookup: 'lookup', confirm: 'confirm', pay: 'pay', submit: 'lookup', print: 'lookup', result: 'result', end: 'end', form: 'input', scan: 'measure',
};

export function renderScreen(def: EngineDefinition, s: FlowSnapshot): Screen {
  const { bundle } = def;
  const locale = s.locale;
  const t = (text: Text | undefined, data: unknown = s.data) => resolveText(bundle, locale, text, data);
  const fnKeys = (extra: { key: Key; label: string }[] = [], back = true): Screen['keys'] => [
    ...extra,
    ...(back ? [{ key: 'back' as Key, label: t('key.back') }] : []),
    { key: 'home', label: t('key.home') },
    { key: 'help', label: t('key.help') },
  ];
  const base = { locale, ...(s.maintenance ? { banners: { maintenance: true } } : {}) };

  if (s.idleUntil !== undefined) {
    return {
      ...base, kind: 'idle-warning', title: t('idle.title'), body: [t('idle.body')], countdown: s.countdown ?? 0, tone: 'caution',
      keys: [{ key: 'ok', label: t('key.ok') }, { key: 'home', label: t('key.home') }],
      ...(s.run ? { flowId: s.run.flowId } : {}),
    };
  }
  if (!s.run) {
    if (s.maintenance) {
      return {
        ...base, kind: 'maintenance', title: t('maintenance.title'), body: [t('maintenance.body'), t('maintenance.emergency')],
        tone: 'caution', keys: [],
      };
    }
    const all: ScreenOption[] = bundle.homeMenu.map((m) => {
      const flow = bundle.flows[m.flowId] as FlowDefinition;
      return { key: m.key, label: t(flow.title), ...(flow.menu?.hint ? { hint: t(flow.menu.hint) } : {}) };
    });
    const { options, keys: more } = menuPage(all, s.step.page, t);
    return {
      ...base, kind: 'home', title: t('home.title'), body: s.help ? [t('home.help')] : [t('home.body')], options,
      help: t('home.help'), keys: [...more, { key: '*', label: t('key.language') }, { key: 'help', label: t('key.help') }],
    };
  }
  const flow = bundle.flows[s.run.flowId] as FlowDefinition;
  const ids = { flowId: flow.id, ...(s.stepId ? { stepId: s.stepId } : {}) };
  if (s.notice) {
    const failed = s.notice.kind === 'failed';
    const body = failed
      ? [t(`failure.${s.notice.cause ?? 'generic'}`), ...(s.notice.code ? [t('failure.code', { code: s.notice.code })] : []), t('end.auto-home')]
      : [t('end.abandoned.body'), t('end.auto-home')];
    return {
      ...base, ...ids, kind: failed ? 'error' : 'end', title: failed ? t('failure.title') : t('end.abandoned.title'), body,
      tone: failed ? 'danger' : 'neutral', ...(s.notice.code ? { errorCode: s.notice.code } : {}),
      keys: [{ key: 'ok', label: t('key.ok') }, { key: 'home', label: t('key.home') }],
    };
  }
  const step = flow.steps[s.stepId as string] as Step;
  const help = step.help ? t(step.help) : undefined;
  const screen: Screen = {
    ...base, ...ids, kind: flow.id === 'emergency' ? 'emergency' : screenKindOf[step.kind], title: t(step.title),
    body: (step.body ?? []).map((b) => t(b)), keys: [],
    ...(help ? { help } : {}),
  };
  const body = screen.body as string[];
  const canBack = s.history.length > 0 ? step.back !== false : !s.committed;
  const okKey = { key: 'ok' as Key, label: t('key.ok') };
  switch (step.kind) {
    case 'menu': {
      const all = liveOptions(bundle, locale, s.data, step).map((o) => ({ key: o.key, label: o.label, ...(o.hint ? { hint: o.hint } : {}) }));
      const { options, keys: more } = menuPage(all, s.step.page, t);
      screen.options = options;
      screen.keys = fnKeys(more, canBack);
      break;
    }
    case 'info': {
      const extra = infoPages(step, s.step);
      if (s.step.page > 0) screen.body = (extra[s.step.page - 1] ?? []).map((b) => t(b));
      const pages = 1 + extra.length;
      if (pages > 1) screen.progress = { label: t('list.page', { page: s.step.page + 1, pages }), fraction: (s.step.page + 1) / pages };
      if (step.options) screen.options = optionsOf(step.options, t);
      screen.keys = fnKeys([...(step.next || step.on?.ok ? [okKey] : []), ...pageKeys(s.step.page, pages, t)], canBack);
      break;
    }
    case 'input': {
      const max = maxLengthOf(step.validator, step);
      screen.input = {
        value: step.personal && hidesDigits(step.validator) ? maskIdentityDigits(s.step.value) : s.step.value, maxLength: max, charset: charsetOf(step.validator),
        ...(step.mask ? { mask: step.mask } : {}), ...(step.placeholder ? { placeholder: t(step.placeholder) } : {}),
      };
      body.push(t('input.hint'));
      if (step.optional) body.push(t('input.optional'));
      if (s.step.error) addError(screen, t(s.step.error, s.step.errorParams ?? s.data), s.step.attempts, step.maxAttempts ?? 3, t);
      screen.keys = fnKeys([okKey, { key: '*', label: t('key.delete') }], canBack);
      break;
    }
    case 'identity': {
      const identity = s.data.identity as SessionIdentity | undefined;
      body.push(t('identity.instruction'));
      if (identity) body.push(t('identity.read', { masked: identity.masked }));
      if (step.optional) body.push(t('identity.skip'));
      if (s.step.phase === 'working') screen.progress = s.step.progress ?? { label: t('identity.chip-reading') };
      screen.input = { value: maskIdentityDigits(s.step.value), maxLength: 12, charset: 'digits', mask: '#### #### ####' };
      if (s.step.error) addError(screen, t(s.step.error, s.step.errorParams ?? s.data), s.step.attempts, step.maxAttempts ?? 3, t);
      screen.keys = fnKeys([okKey, { key: '*', label: t('key.delete') }], canBack);
      break;
    }
    case 'consent':
      body.push(t(step.text), t('consent.silence'));
      if (s.step.phase === 'working') screen.progress = { label: t('consent.saving') };
      else screen.options = [{ key: '1', label: t('consent.agree') }, { key: '2', label: t('consent.decline') }];
      screen.keys = fnKeys([], canBack);
      break;
    case 'measure': {
      const skippable = step.skippable !== false;
      if (s.step.phase === 'working') {
        screen.progress = s.step.progress ?? { label: t('measure.measuring') };
        body.push(t('measure.cancel'));
      } else {
        if (s.step.error) {
          screen.tone = 'caution';
          body.push(t(s.step.error));
        } else body.push(t('measure.start'));
        if (skippable) body.push(t('measure.skip'));
      }
      screen.keys = fnKeys([...(s.step.phase !== 'working' ? [okKey] : []), ...(skippable ? [{ key: '0' as Key, label: t('key.skip') }] : [])], canBack);
      break;
    }
    case 'lookup':
    case 'submit':
    case 'print':
      screen.progress = { label: t(`working.${step.kind}`) };
      screen.keys = fnKeys([], false);
      break;
    case 'confirm':
      screen.rows = (step.rows ?? []).map((r) => ({ label: t(r.label), value: renderTemplate(r.value, s.data), ...(r.unit ? { unit: r.unit } : {}) }));
      screen.options = [{ key: '1', label: t('confirm.yes') }, { key: '2', label: t('confirm.no') }];
      screen.keys = fnKeys([okKey], canBack);
      break;
    case 'pay':
      if (s.step.qr) {
        screen.qr = { payload: s.step.qr.payload, ...(s.step.qr.amount !== undefined ? { amount: s.step.qr.amount } : {}), ...(s.step.qr.reference ? { reference: s.step.qr.reference } : {}) };
        body.push(t('pay.scan'), t('pay.waiting'));
        if (s.countdown !== undefined) screen.countdown = s.countdown;
      } else screen.progress = { label: t('working.pay') };
      screen.options = [{ key: '2', label: t('pay.cancel') }];
      screen.keys = fnKeys([], false);
      break;
    case 'result': {
      const rows: ResultRow[] = (step.rows ?? []).map((r) => ({ label: t(r.label), value: renderTemplate(r.value, s.data), ...(r.unit ? { unit: r.unit } : {}) }));
      if (step.rowsFrom === 'health') {
        const summary = summariseHealth((getPath(s.data, step.source ?? 'measurements') ?? {}) as HealthMeasurements, def.config.healthThresholds);
        for (const f of summary.findings) {
          rows.push({
            label: t(`health.${f.item}`), value: f.value, unit: healthUnit(bundle, locale, f),
            ...(f.classification ? { tone: f.classification.tone as Tone, band: t(`health.${f.item}.${f.classification.band}`) } : {}),
          });
        }
        for (const [kind, reason] of skippedMeasurements(s.data)) rows.push({ label: t(`measure.name.${kind}`), value: t(`measure.skipped.${reason}`) });
        if (summary.findings.length === 0) body.push(t('health.nothing-measured'));
        body.push(...healthAdvice(bundle, locale, summary));
        const outside = summary.findings.some((f) => f.classification && f.classification.tone !== 'good');
        screen.tone = summary.urgent ? 'danger' : summary.seeDoctor ? 'warning' : outside ? 'caution' : 'good';
      }
      if (step.rowsFrom === 'dossier-timeline') rows.push(...dossierTimelineRows(getPath(s.data, step.source ?? 'dossier'), locale));
      let pages = 1;
      if (step.list) {
        const list = getPath(s.data, step.list.path);
        const size = step.list.pageSize ?? 5;
        const items = Array.isArray(list) ? list : [];
        pages = Math.max(1, Math.ceil(items.length / size));
        for (const item of items.slice(s.step.page * size, (s.step.page + 1) * size)) {
          const scope = { ...s.data, item };
          const label = typeof step.list.label === 'string' ? step.list.label : step.list.label[locale];
          rows.push({ label: renderTemplate(label, scope), value: renderTemplate(step.list.value, scope) });
        }
        if (items.length === 0) body.push(t('list.empty'));
        if (pages > 1) screen.progress = { label: t('list.page', { page: s.step.page + 1, pages }), fraction: (s.step.page + 1) / pages };
      }
      if (step.tone) screen.tone = step.tone;
      screen.rows = rows;
      if (step.options) screen.options = optionsOf(step.options, t);
      screen.keys = fnKeys([...(step.next || step.on?.ok ? [okKey] : []), ...pageKeys(s.step.page, pages, t)], canBack);
      break;
    }
    case 'form':
      renderForm(s, step, formProcedure(bundle, step, s.data), bundle.procedures?.units ?? { provinces: [], wards: [] }, screen, (extra) => fnKeys(extra, true), t('key.ok'), t('key.delete'));
      break;
    case 'scan':
      renderScan(s, step, screen, (extra) => fnKeys(extra, s.step.phase !== 'working' && canBack));
      break;
    case 'end':
      body.push(t('end.auto-home'));
      screen.tone = step.outcome === 'failed' ? 'danger' : step.outcome === 'abandoned' ? 'neutral' : 'good';
      screen.keys = [okKey, { key: 'home', label: t('key.home') }];
      break;
  }
  if (s.help && help) {
    screen.body = [help];
    screen.keys = [{ key: 'back', label: t('key.close-help') }, { key: 'home', label: t('key.home') }];
  }
  return screen;
}

/** A menu option as the resident sees it: from the flow file, or built from a list in session data. */
interface LiveOption {
  key: Key;
  label: string;
  hint?: string;
  /** Stored at the step's `save` path when chosen. */
  value: unknown;
  /** Built by `optionsFrom`: choosing it gives the ok outcome. */
  fromList: boolean;
}

const listKeys: Key[] = ['1', '2', '3', '4', '5', '6', '7', '8', '9'];

export function liveOptions(bundle: FlowBundle, locale: Locale, data: Record<string, unknown>, step: Step): LiveOption[] {
  const out: LiveOption[] = [];
  const fixed = 'options' in step ? step.options ?? [] : [];
  for (const o of fixed) {
    out.push({
      key: o.key, label: resolveText(bundle, locale, o.label, data), value: o.value ?? o.key, fromList: false,
      ...(o.hint ? { hint: resolveText(bundle, locale, o.hint, data) } : {}),
    });
  }
  if (step.kind === 'menu' && step.optionsFrom) {
    const from = step.optionsFrom;
    const list = getPath(data, from.path);
    const free = listKeys.filter((k) => !fixed.some((o) => o.key === k));
    (Array.isArray(list) ? list : []).slice(0, free.length).forEach((item: unknown, i) => {
      const scope = { ...data, item };
      out.push({
        key: free[i] as Key, label: renderTemplate(from.label, scope), fromList: true,
        value: from.value ? resolveTemplateValue(from.value, scope) : item,
        ...(from.hint ? { hint: renderTemplate(from.hint, scope) } : {}),
      });
    });
  }
  return out;
}

function optionsOf(options: MenuOption[], t: (x: Text | undefined) => string): ScreenOption[] {
  return options.map((o) => ({ key: o.key, label: t(o.label), ...(o.hint ? { hint: t(o.hint) } : {}) }));
}

/**
 * Options per page of a menu: three rows of two, what the 800x480 panel holds with each option's
 * hint (test/integration/layout-audit.test.ts). Longer menus page with `#`, which names the page.
 */
export const MENU_PAGE_SIZE = 6;

/** Pages of a menu of `count` options. */
export function menuPages(count: number): number {
  return Math.max(1, Math.ceil(count / MENU_PAGE_SIZE));
}

/** The options on `page` (wrapped to the menu's pages) and the `#` key that turns to the next one. */
function menuPage(all: ScreenOption[], page: number, t: (x: Text | undefined, d?: unknown) => string): { options: ScreenOption[]; keys: { key: Key; label: string }[] } {
  const pages = menuPages(all.length);
  if (pages === 1) return { options: all, keys: [] };
  const at = page % pages;
  const label = t(at + 1 < pages ? 'key.more-options' : 'key.first-options', { page: at + 1, pages });
  return { options: all.slice(at * MENU_PAGE_SIZE, (at + 1) * MENU_PAGE_SIZE), keys: [{ key: '#', label }] };
}

function pageKeys(page: number, pages: number, t: (x: Text | undefined) => string): { key: Key; label: string }[] {
  const keys: { key: Key; label: string }[] = [];
  if (page > 0) keys.push({ key: '4', label: t('key.prev-page') });
  if (page + 1 < pages) keys.push({ key: '6', label: t('key.next-page') });
  return keys;
}

function addError(screen: Screen, message: string, attempts: number, max: number, t: (x: Text | undefined, d?: unknown) => string): void {
  screen.tone = 'caution';
  (screen.body as string[]).push(message);
  const left = max - attempts;
  if (left > 0 && attempts > 0) (screen.body as string[]).push(t('input.attempts-left', { left }));
}
