/**
 * The form step: an official form (flows/procedures/<id>.yaml) filled from the keypad, one field per
 * screen, then a review of every field from which any one can be changed.
 *
 * - Fields from the identity start with the CCCD's value; OK keeps it, `*` clears it.
 * - Choices are numbered 1-6 on a page, as in the menus; 9 shows the next page and 0 the previous one.
 * - Dates are typed as 8 digits (day, month, year), numbers and phone numbers as digits.
 * - Free text comes from the on-screen keyboard (touch); from the keypad, OK on an empty text field
 *   that allows it leaves the field to the one-stop desk's phone call-back.
 * - Back goes to the previous field; on the review, typing a field's number and OK opens that field,
 *   OK alone checks the whole form (the same check central makes) and goes on.
 *
 * Everything typed lives in `snapshot.data[save]` and `step.value` only: wiped with the session,
 * never persisted (runtime/flows/engine.ts privacy rule).
 */
import type { InputEvent, Key } from '../../kernel/input.js';
import type { Screen } from '../screen-model.js';
import type { FlowBundle, FormStep, Locale } from '../types.js';
import type { AdminUnits, FormField, FormReason, FormText, Procedure } from '../../services/dossier-form.js';
import { CALLBACK_VALUE, checkField, checkForm, choicesOf, feeOf, formReasonText, isAsked, papersFor, prefill } from '../../services/dossier-form.js';
import { maskCccd } from '../../kernel/logger.js';
import { formatVnd, getPath, resolveTemplateValue, setPath } from '../template.js';
import type { FlowSnapshot, SessionIdentity } from './state.js';
import type { Tx } from './tx.js';
import type { RunOps } from './run-ops.js';

/** Choices on one page: keys 1-6; 9 and 0 turn pages. */
const PAGE = 6;
/** Review rows on one page (the smallest panel, 800x480, holds five with the field for the number). */
const REVIEW_PAGE = 5;

/** What the form step keeps in session data while it runs. */
export interface FormProgress {
  procedure: string;
  values: Record<string, string>;
  /** Index into the procedure's fields, or -1 on the review. */
  cursor: number;
  /** Choice page of the current field. */
  page: number;
  /** Opened from the review: OK returns there. */
  fromReview: boolean;
  error?: FormReason;
}

/** What the step saves when the resident confirms the review: the dossier's form part. */
export interface FilledForm {
  procedure: string;
  procedureVersion: number;
  title: string;
  agency: string;
  formCode: string;
  values: Record<string, string>;
  fee: number;
  feeLabel: string;
  papers: { id: string; label: string; maxPages: number; required: boolean }[];
}

const texts = {
  progress: { vi: 'Mục {n}/{total}', en: 'Item {n} of {total}' },
  typeDate: { vi: 'Gõ ngày, tháng, năm (8 chữ số) rồi bấm OK.', en: 'Type day, month, year (8 digits), then OK.' },
  typeDigits: { vi: 'Gõ các chữ số rồi bấm OK. Phím * để xoá.', en: 'Type the digits, then OK. * deletes.' },
  typeText: { vi: 'Gõ trên bàn phím màn hình rồi bấm OK.', en: 'Type on the screen keyboard, then OK.' },
  callback: { vi: 'Không gõ được? Bấm OK khi ô trống: cán bộ sẽ gọi điện để ghi mục này.', en: 'Cannot type it? Press OK on the empty field: the desk will phone you for it.' },
  optional: { vi: 'Mục không bắt buộc: bấm OK khi ô trống để bỏ qua.', en: 'Optional: press OK on the empty field to skip.' },
  prefilled: { vi: 'Đã điền từ CCCD. Bấm OK nếu đúng, phím * để sửa.', en: 'Filled from your CCCD. Press OK if right, * to change.' },
  chosen: { vi: 'Đang chọn: {value}. Bấm OK để giữ.', en: 'Chosen: {value}. Press OK to keep it.' },
  nextPage: { vi: 'Trang sau', en: 'Next page' },
  prevPage: { vi: 'Trang trước', en: 'Previous page' },
  reviewTitle: { vi: 'Kiểm tra tờ khai', en: 'Check the form' },
  review: { vi: 'Bấm OK để gửi tờ khai. Muốn sửa mục nào, gõ số của mục rồi bấm OK. Phím * xem trang sau.', en: 'Press OK to send the form. To change an item, type its number, then OK. * shows the next page.' },
  reviewPage: { vi: 'Trang {page}/{pages}', en: 'Page {page} of {pages}' },
  typedItem: { vi: 'Sửa mục số: {n} (bấm OK)', en: 'Change item: {n} (press OK)' },
  fee: { vi: 'Lệ phí', en: 'Fee' },
  empty: { vi: '(để trống)', en: '(left empty)' },
  callbackValue: { vi: '(cán bộ gọi lại)', en: '(desk will call)' },
  noField: { vi: 'Không có mục số này.', en: 'There is no item with that number.' },
} satisfies Record<string, FormText>;

function say(text: FormText, locale: Locale, vars: Record<string, string | number> = {}): string {
  return text[locale].replace(/\{(\w+)\}/g, (_m, k: string) => String(vars[k] ?? ''));
}

/** The step's procedure: a fixed id, or `{{path}}` to the one the resident chose. */
export function formProcedure(bundle: FlowBundle, step: FormStep, data: Record<string, unknown>): Procedure | undefined {
  const id = resolveTemplateValue(step.procedure, data);
  return typeof id === 'string' ? bundle.procedures?.procedures[id] : undefined;
}

function procedureOf(tx: Tx, step: FormStep): Procedure | undefined {
  return formProcedure(tx.def.bundle, step, tx.s.data);
}

function unitsOf(tx: Tx): AdminUnits {
  return tx.def.bundle.procedures?.units ?? { provinces: [], wards: [] };
}

function progressOf(s: FlowSnapshot, step: FormStep): FormProgress | undefined {
  return getPath(s.data, step.save) as FormProgress | undefined;
}

/** The value a field's input starts with: dates as the 8 digits the keypad types. */
function editable(field: FormField, stored: string | undefined): string {
  if (stored === undefined || stored === CALLBACK_VALUE) return '';
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(stored);
  return field.type === 'date' && iso ? `${iso[3]}${iso[2]}${iso[1]}` : stored;
}

function save(tx: Tx, step: FormStep, progress: FormProgress): void {
  tx.s.data = setPath(tx.s.data, step.save, progress);
}

/** Puts the cursor on field `index` (or the review when past the last asked field). */
function openField(tx: Tx, step: FormStep, procedure: Procedure, progress: FormProgress, index: number): void {
  const fields = procedure.form.fields;
  let i = index;
  while (i < fields.length && !isAsked(fields[i] as FormField, progress.values)) i += 1;
  const next: FormProgress = { ...progress, cursor: i < fields.length ? i : -1, page: 0, error: undefined };
  if (next.cursor === -1) next.fromReview = false;
  save(tx, step, next);
  const field = fields[next.cursor];
  tx.s.step = { ...tx.s.step, value: field && field.type !== 'choice' ? editable(field, progress.values[field.id]) : '' };
}

export function enterForm(tx: Tx, step: FormStep, ops: RunOps): void {
  const procedure = procedureOf(tx, step);
  if (!procedure) {
    ops.noteFailure(tx, 'input', 'FLOW_INVALID');
    ops.leave(tx, 'error', { cause: 'input', code: 'FLOW_INVALID' });
    return;
  }
  const identity = tx.s.data.identity as SessionIdentity | undefined;
  const values = prefill(procedure, identity as unknown as Record<string, unknown> | undefined);
  openField(tx, step, procedure, { procedure: procedure.id, values, cursor: 0, page: 0, fromReview: false }, 0);
}

/** After a field is answered: back to the review, or on to the next field still to fill. */
function advance(tx: Tx, step: FormStep, procedure: Procedure, progress: FormProgress): void {
  if (progress.fromReview) {
    // A changed answer may open fields (`when`) that are still empty: ask those before the review.
    const missing = procedure.form.fields.findIndex((f) => isAsked(f, progress.values) && f.required !== false && progress.values[f.id] === undefined);
    openField(tx, step, procedure, { ...progress, fromReview: missing !== -1 }, missing === -1 ? procedure.form.fields.length : missing);
    return;
  }
  openField(tx, step, procedure, progress, progress.cursor + 1);
}

function answer(tx: Tx, step: FormStep, procedure: Procedure, progress: FormProgress, field: FormField, raw: string): void {
  const checked = checkField(field, raw, unitsOf(tx), tx.ctx.now);
  if (!checked.ok) {
    save(tx, step, { ...progress, error: checked.reason });
    tx.s.step = { ...tx.s.step, value: '', attempts: tx.s.step.attempts + 1 };
    return;
  }
  const values = { ...progress.values };
  if (checked.value === '') delete values[field.id];
  else values[field.id] = checked.value;
  // Answers that depended on a changed answer and are no longer asked leave the form.
  for (const f of procedure.form.fields) if (!isAsked(f, values)) delete values[f.id];
  advance(tx, step, procedure, { ...progress, values, error: undefined });
}

/** Back on the form: the previous asked field, or false when the form's first field is showing. */
export function formBack(tx: Tx, step: FormStep): boolean {
  const procedure = procedureOf(tx, step);
  const progress = progressOf(tx.s, step);
  if (!procedure || !progress) return false;
  const fields = procedure.form.fields;
  if (progress.fromReview) {
    openField(tx, step, procedure, { ...progress, fromReview: false }, fields.length);
    return true;
  }
  let i = progress.cursor === -1 ? fields.length - 1 : progress.cursor - 1;
  while (i >= 0 && !isAsked(fields[i] as FormField, progress.values)) i -= 1;
  if (i < 0) return false;
  openField(tx, step, procedure, progress, i);
  return true;
}

export function onFormInput(tx: Tx, step: FormStep, event: InputEvent, key: Key | undefined, ops: RunOps): void {
  const procedure = procedureOf(tx, step);
  const progress = progressOf(tx.s, step);
  if (!procedure || !progress) return;
  if (progress.cursor === -1) {
    onReview(tx, step, procedure, progress, key, ops);
    return;
  }
  const field = procedure.form.fields[progress.cursor] as FormField;
  if (field.type === 'choice') {
    const choices = choicesOf(field, unitsOf(tx));
    const pages = Math.ceil(choices.length / PAGE);
    if (key === '9' && pages > 1) save(tx, step, { ...progress, page: (progress.page + 1) % pages });
    else if (key === '0' && pages > 1) save(tx, step, { ...progress, page: (progress.page + pages - 1) % pages });
    else if (key !== undefined && /^[1-6]$/.test(key)) {
      const choice = choices[progress.page * PAGE + Number(key) - 1];
      if (choice) answer(tx, step, procedure, progress, field, choice.value);
    } else if ((key === 'ok' || key === '#') && progress.values[field.id] !== undefined) {
      answer(tx, step, procedure, progress, field, progress.values[field.id] as string);
    }
    return;
  }
  if (event.type === 'text' && field.type === 'text') {
    tx.s.step = { ...tx.s.step, value: event.text.slice(0, field.maxLength ?? 120) };
    return;
  }
  if (event.type === 'text' || event.type === 'scan') {
    tx.s.step = { ...tx.s.step, value: [...event.text].filter((c) => /[0-9]/.test(c)).join('').slice(0, maxDigits(field)) };
    if (event.type === 'scan') answer(tx, step, procedure, progress, field, tx.s.step.value);
    return;
  }
  if (key === undefined) return;
  const value = tx.s.step.value;
  const prefilled = field.from !== undefined && value === editable(field, progress.values[field.id]) && value !== '';
  if (/^[0-9]$/.test(key)) {
    if (prefilled && field.type !== 'text') tx.s.step = { ...tx.s.step, value: key };
    else if (value.length < maxDigits(field)) tx.s.step = { ...tx.s.step, value: value + key };
  } else if (key === '*') {
    tx.s.step = { ...tx.s.step, value: prefilled ? '' : value.slice(0, -1) };
  } else if (key === 'ok' || key === '#') {
    const raw = value === '' && field.type === 'text' && field.callback ? CALLBACK_VALUE : value;
    answer(tx, step, procedure, progress, field, raw);
  }
}

function maxDigits(field: FormField): number {
  switch (field.type) {
    case 'date': return 8;
    case 'phone': return 10;
    case 'cccd': return 12;
    case 'number': return String(field.max ?? 999_999_999).length;
    default: return field.maxLength ?? 120;
  }
}

function askedFields(procedure: Procedure, values: Record<string, string>): FormField[] {
  return procedure.form.fields.filter((f) => isAsked(f, values));
}

function onReview(tx: Tx, step: FormStep, procedure: Procedure, progress: FormProgress, key: Key | undefined, ops: RunOps): void {
  const typed = tx.s.step.value;
  if (key !== undefined && /^[0-9]$/.test(key)) {
    if (typed.length < 2) tx.s.step = { ...tx.s.step, value: typed + key };
    save(tx, step, { ...progress, error: undefined });
    return;
  }
  if (key === '*') {
    // With nothing typed, * turns the review's pages; otherwise it deletes the last digit.
    if (typed === '') {
      const pages = Math.ceil((askedFields(procedure, progress.values).length + 1) / REVIEW_PAGE);
      save(tx, step, { ...progress, page: (progress.page + 1) % pages, error: undefined });
    } else tx.s.step = { ...tx.s.step, value: typed.slice(0, -1) };
    return;
  }
  if (key !== 'ok' && key !== '#') return;
  if (typed !== '') {
    const field = askedFields(procedure, progress.values)[Number(typed) - 1];
    if (!field) {
      save(tx, step, { ...progress, error: 'unknown-field' });
      tx.s.step = { ...tx.s.step, value: '' };
      return;
    }
    openField(tx, step, procedure, { ...progress, fromReview: true }, procedure.form.fields.indexOf(field));
    return;
  }
  const checked = checkForm(procedure, progress.values, unitsOf(tx), tx.ctx.now);
  if (!checked.ok) {
    const first = checked.problems[0];
    const index = procedure.form.fields.findIndex((f) => f.id === first?.field);
    openField(tx, step, procedure, { ...progress, fromReview: true }, Math.max(0, index));
    const opened = progressOf(tx.s, step) as FormProgress;
    save(tx, step, { ...opened, ...(first ? { error: first.reason } : {}) });
    return;
  }
  const locale = tx.s.locale;
  const fee = feeOf(procedure, checked.values);
  const filled: FilledForm = {
    procedure: procedure.id, procedureVersion: procedure.version, title: procedure.title[locale], agency: procedure.agency[locale],
    formCode: procedure.form.code, values: checked.values, fee: fee.amount, feeLabel: fee.label[locale],
    papers: papersFor(procedure, checked.values).map((p) => ({ id: p.id, label: p.label[locale], maxPages: p.maxPages ?? 10, required: p.required !== false })),
  };
  tx.s.data = setPath(tx.s.data, step.save, filled);
  tx.s.step = { ...tx.s.step, value: '' };
  ops.leave(tx, 'ok');
}

/** How a stored value reads on the review (personal numbers masked like a scanned CCCD). */
function shown(field: FormField, value: string | undefined, units: AdminUnits, locale: Locale): string {
  if (value === undefined || value === '') return say(texts.empty, locale);
  if (value === CALLBACK_VALUE) return say(texts.callbackValue, locale);
  switch (field.type) {
    case 'choice': return choicesOf(field, units).find((c) => c.value === value)?.label[locale] ?? value;
    case 'date': return value.split('-').reverse().join('/');
    case 'cccd': return maskCccd(value);
    case 'phone': return value.length === 10 ? `${value.slice(0, 3)}****${value.slice(7)}` : value;
    default: return value;
  }
}

/** Fills `screen` for the form step; `t` resolves catalog keys for the function keys. */
export function renderForm(s: FlowSnapshot, step: FormStep, procedure: Procedure | undefined, units: AdminUnits, screen: Screen, fnKeys: (extra: { key: Key; label: string }[]) => Screen['keys'], okLabel: string, deleteLabel: string): void {
  const progress = progressOf(s, step);
  const locale = s.locale;
  const body = screen.body ?? [];
  screen.body = body;
  if (!procedure || !progress || !('cursor' in progress)) {
    screen.keys = fnKeys([]);
    return;
  }
  const okKey = { key: 'ok' as Key, label: okLabel };
  const error = progress.error ? formReasonText(progress.error === 'unknown-field' ? 'unknown-field' : progress.error)[locale] : undefined;
  if (progress.cursor === -1) {
    screen.kind = 'confirm';
    screen.title = say(texts.reviewTitle, locale);
    const fields = askedFields(procedure, progress.values);
    const rows = fields.map((f, i) => ({ label: `${i + 1}. ${f.label[locale].replace(/^\d+\.\s*/, '')}`, value: shown(f, progress.values[f.id], units, locale) }));
    const fee = feeOf(procedure, progress.values);
    rows.push({ label: say(texts.fee, locale), value: fee.amount > 0 ? formatVnd(fee.amount) : fee.label[locale] });
    const pages = Math.ceil(rows.length / REVIEW_PAGE);
    const page = Math.min(progress.page, pages - 1);
    screen.rows = rows.slice(page * REVIEW_PAGE, (page + 1) * REVIEW_PAGE);
    screen.progress = { label: say(texts.reviewPage, locale, { page: page + 1, pages }), fraction: (page + 1) / pages };
    body.push(say(texts.review, locale));
    if (error) {
      screen.tone = 'caution';
      body.push(progress.error === 'unknown-field' ? say(texts.noField, locale) : error);
    }
    // The number being typed shows as a line, not an input box: the box's touch pad would push the rows off a small panel.
    if (s.step.value !== '') body.push(say(texts.typedItem, locale, { n: s.step.value }));
    screen.keys = fnKeys([okKey, { key: '*', label: s.step.value === '' ? say(texts.nextPage, locale) : deleteLabel }]);
    return;
  }
  const field = procedure.form.fields[progress.cursor] as FormField;
  const asked = askedFields(procedure, progress.values);
  const n = asked.indexOf(field) + 1;
  screen.progress = { label: say(texts.progress, locale, { n, total: asked.length }), fraction: n / asked.length };
  if (field.type === 'choice') {
    screen.kind = 'menu';
    const choices = choicesOf(field, units);
    const pages = Math.ceil(choices.length / PAGE);
    screen.options = choices.slice(progress.page * PAGE, (progress.page + 1) * PAGE).map((c, i) => ({ key: String(i + 1) as Key, label: c.label[locale] }));
    const current = progress.values[field.id];
    // One line above the options (the field, its help, what is chosen already), so six options fit
    // above the key bar on the 800x480 panel; the numbered options and the key bar say how to choose.
    const name = field.help ? `${field.label[locale]}: ${field.help[locale]}` : field.label[locale];
    body.push(current !== undefined ? `${name} · ${say(texts.chosen, locale, { value: shown(field, current, units, locale) })}` : name);
    const pageKeys: { key: Key; label: string }[] = pages > 1 ? [{ key: '9', label: say(texts.nextPage, locale) }, { key: '0', label: say(texts.prevPage, locale) }] : [];
    if (pages > 1) screen.progress = { ...screen.progress, label: `${screen.progress.label} · ${progress.page + 1}/${pages}` };
    screen.keys = fnKeys([...(current !== undefined ? [okKey] : []), ...pageKeys]);
  } else {
    body.push(field.label[locale]);
    if (field.help) body.push(field.help[locale]);
    screen.kind = 'input';
    const personal = field.type === 'cccd' || field.type === 'phone';
    const value = personal && s.step.value.length > 5 ? maskCccd(s.step.value) : s.step.value;
    screen.input = {
      value, maxLength: maxDigits(field), charset: field.type === 'text' ? 'code' : 'digits',
      ...(field.type === 'date' ? { mask: '##/##/####' } : {}),
    };
    body.push(say(field.type === 'date' ? texts.typeDate : field.type === 'text' ? texts.typeText : texts.typeDigits, locale));
    if (field.from && s.step.value !== '' && s.step.value === editable(field, progress.values[field.id])) body.push(say(texts.prefilled, locale));
    if (field.type === 'text' && field.callback) body.push(say(texts.callback, locale));
    if (field.required === false) body.push(say(texts.optional, locale));
    screen.keys = fnKeys([okKey, { key: '*', label: deleteLabel }]);
  }
  if (error) {
    screen.tone = 'caution';
    body.push(error);
  }
}
