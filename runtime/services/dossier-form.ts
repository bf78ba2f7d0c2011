/**
 * Public-service procedures as data (flows/procedures/<id>.yaml): the official form as a schema
 * (fields in the template's order, types, required, validation, which come from the CCCD), the fee
 * table and the papers to attach. Pure: the station's form step and central-sim check a dossier with
 * the same functions, so a form the station accepts is a form central accepts.
 */

/** Literal texts, Vietnamese first. */
export interface FormText { vi: string; en: string }

export type FieldType = 'text' | 'date' | 'choice' | 'number' | 'phone' | 'cccd';

/** Identity facts a field can be filled from (the CCCD's QR or chip). */
export type IdentitySource = 'identity.id' | 'identity.name' | 'identity.birthDate' | 'identity.sex' | 'identity.address';
export const identitySources: readonly IdentitySource[] = ['identity.id', 'identity.name', 'identity.birthDate', 'identity.sex', 'identity.address'];

export interface Choice { value: string; label: FormText }

export interface FormField {
  /** Key of the value in the dossier, e.g. `fullName`. */
  id: string;
  /** The label as on the official template, with its number (`1. Họ, chữ đệm và tên`). */
  label: FormText;
  type: FieldType;
  /** Default true. */
  required?: boolean;
  /** Pre-filled from the identity; the resident still sees and may correct it. */
  from?: IdentitySource;
  /** `choice`: the list, or `choicesFrom` one shipped with the flows (`provinces`, `wards`). */
  choices?: Choice[];
  choicesFrom?: 'provinces' | 'wards';
  /** `number`: inclusive range. */
  min?: number;
  max?: number;
  /** `date`: which side of today the date must be on. */
  date?: 'past' | 'future';
  /** `text`: longest accepted value; default 120. */
  maxLength?: number;
  /** `text`: the resident may leave it for the one-stop desk's phone call-back (key 0). */
  callback?: boolean;
  /** Asked only when another field has one of these values. */
  when?: { field: string; in: string[] };
  help?: FormText;
}

export interface FeeCase {
  /** Applies when the field has one of the values; the last case without `when` is the default. */
  when?: { field: string; in: string[] };
  amount: number;
  label: FormText;
}

export interface Paper {
  id: string;
  label: FormText;
  /** Default true; `when` narrows it to some answers. */
  required?: boolean;
  when?: { field: string; in: string[] };
  /** Pages scanned at most; default 10. */
  maxPages?: number;
}

export interface Procedure {
  id: string;
  version: number;
  title: FormText;
  /** DVCQG agency code the dossier code starts with, e.g. `000.00.00.H29`. */
  agencyCode: string;
  agency: FormText;
  /** Working days from receipt to result. */
  dueWorkingDays: number;
  form: { code: string; name: FormText; legal: string[]; fields: FormField[] };
  fee: { legal: string[]; cases: FeeCase[]; perExtra?: { field: string; included: number; amount: number } };
  papers: Paper[];
}

export interface AdminUnits {
  /** Provinces and centrally run cities after the 2025 merger (34). */
  provinces: Choice[];
  /** Wards and communes of the station's province (a subset, see the file). */
  wards: Choice[];
}

export type FieldCheck = { ok: true; value: string } | { ok: false; reason: FormReason };

/** Why a value was refused; each has a message in both languages ({@link formReasonText}). */
export type FormReason =
  | 'required' | 'date-format' | 'date-invalid' | 'date-future' | 'date-past' | 'number-format' | 'number-range'
  | 'phone' | 'cccd' | 'choice' | 'too-long' | 'unknown-field';

const reasonTexts: Record<FormReason, FormText> = {
  required: { vi: 'Mục này bắt buộc phải có.', en: 'This item is required.' },
  'date-format': { vi: 'Nhập ngày theo ngày, tháng, năm: 8 chữ số, ví dụ 05032024.', en: 'Type the date as day, month, year: 8 digits, e.g. 05032024.' },
  'date-invalid': { vi: 'Ngày này không có trên lịch.', en: 'That date does not exist.' },
  'date-future': { vi: 'Ngày này chưa tới; cần một ngày đã qua.', en: 'That date is still to come; a past date is needed.' },
  'date-past': { vi: 'Ngày này đã qua; cần một ngày sắp tới.', en: 'That date has passed; a coming date is needed.' },
  'number-format': { vi: 'Chỉ nhập chữ số.', en: 'Digits only.' },
  'number-range': { vi: 'Số này nằm ngoài khoảng cho phép.', en: 'That number is outside the allowed range.' },
  phone: { vi: 'Số điện thoại di động gồm 10 chữ số, bắt đầu bằng 03, 05, 07, 08 hoặc 09.', en: 'A mobile number has 10 digits starting 03, 05, 07, 08 or 09.' },
  cccd: { vi: 'Số định danh cá nhân gồm 12 chữ số, bắt đầu bằng 0.', en: 'A personal ID number has 12 digits and starts with 0.' },
  choice: { vi: 'Chọn một số trong danh sách.', en: 'Choose a number from the list.' },
  'too-long': { vi: 'Nội dung quá dài.', en: 'The text is too long.' },
  'unknown-field': { vi: 'Mục này không có trên tờ khai.', en: 'The form has no such item.' },
};

export function formReasonText(reason: FormReason): FormText {
  return reasonTexts[reason];
}

/** A value held for the one-stop desk's call-back instead of typed text. */
export const CALLBACK_VALUE = '(gọi lại)';

/** The choices of a field, from its own list or the shipped administrative units. */
export function choicesOf(field: FormField, units: AdminUnits): Choice[] {
  if (field.choicesFrom) return units[field.choicesFrom];
  return field.choices ?? [];
}

/** Whether a field is asked, given the values so far (`when`). */
export function isAsked(field: { when?: { field: string; in: string[] } }, values: Record<string, string>): boolean {
  if (!field.when) return true;
  const v = values[field.when.field];
  return v !== undefined && field.when.in.includes(v);
}

/** ISO date of a calendar day in Vietnam (UTC+7, no daylight saving). */
export function vietnamDate(nowMs: number): string {
  return new Date(nowMs + 7 * 3600_000).toISOString().slice(0, 10);
}

/**
 * Checks one value. `raw` is what the keypad produced (digits for dates: DDMMYYYY), the choice's
 * value, or an ISO date from the identity. Returns the stored form: ISO dates, choice values, digits.
 */
export function checkField(field: FormField, raw: string, units: AdminUnits, nowMs: number): FieldCheck {
  const text = raw.trim();
  if (text === '') return field.required === false ? { ok: true, value: '' } : { ok: false, reason: 'required' };
  switch (field.type) {
    case 'text':
      if (text === CALLBACK_VALUE && field.callback) return { ok: true, value: text };
      return [...text].length > (field.maxLength ?? 120) ? { ok: false, reason: 'too-long' } : { ok: true, value: text.replace(/\s+/g, ' ') };
    case 'date': {
      const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
      const typed = /^(\d{2})(\d{2})(\d{4})$/.exec(text);
      if (!iso && !typed) return { ok: false, reason: 'date-format' };
      const [y, m, d] = iso ? [iso[1], iso[2], iso[3]] : [typed?.[3], typed?.[2], typed?.[1]];
      const value = `${y}-${m}-${d}`;
      const parsed = new Date(`${value}T00:00:00Z`);
      if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== value || Number(y) < 1900) return { ok: false, reason: 'date-invalid' };
      const today = vietnamDate(nowMs);
      if (field.date === 'past' && value > today) return { ok: false, reason: 'date-future' };
      if (field.date === 'future' && value <= today) return { ok: false, reason: 'date-past' };
      return { ok: true, value };
    }
    case 'number': {
      if (!/^\d{1,9}$/.test(text)) return { ok: false, reason: 'number-format' };
      const n = Number(text);
      if ((field.min !== undefined && n < field.min) || (field.max !== undefined && n > field.max)) return { ok: false, reason: 'number-range' };
      return { ok: true, value: String(n) };
    }
    case 'phone':
      // Vietnamese mobile numbers after the 2018 renumbering: 10 digits, 03x/05x/07x/08x/09x.
      return /^0[35789]\d{8}$/.test(text) ? { ok: true, value: text } : { ok: false, reason: 'phone' };
    case 'cccd':
      // Personal identification number (Decree 137/2015/ND-CP art. 7): 12 digits, province code first.
      return /^0\d{11}$/.test(text) ? { ok: true, value: text } : { ok: false, reason: 'cccd' };
    case 'choice':
      return choicesOf(field, units).some((c) => c.value === text) ? { ok: true, value: text } : { ok: false, reason: 'choice' };
  }
}

export interface FormProblem { field: string; reason: FormReason }

/**
 * Checks a whole form: every asked field valid, required ones present, no field the form does not
 * have. Returns the normalised values (unasked fields dropped) or every problem, field by field.
 */
export function checkForm(
  procedure: Procedure, values: Record<string, unknown>, units: AdminUnits, nowMs: number,
): { ok: true; values: Record<string, string> } | { ok: false; problems: FormProblem[] } {
  const problems: FormProblem[] = [];
  const known = new Set(procedure.form.fields.map((f) => f.id));
  for (const key of Object.keys(values)) if (!known.has(key)) problems.push({ field: key, reason: 'unknown-field' });
  const out: Record<string, string> = {};
  for (const field of procedure.form.fields) {
    if (!isAsked(field, out)) continue;
    const raw = values[field.id];
    const checked = checkField(field, typeof raw === 'string' || typeof raw === 'number' ? String(raw) : '', units, nowMs);
    if (!checked.ok) problems.push({ field: field.id, reason: checked.reason });
    else if (checked.value !== '') out[field.id] = checked.value;
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, values: out };
}

/** The fee in VND for these answers: the first matching case, plus extra copies beyond those included. */
export function feeOf(procedure: Procedure, values: Record<string, string>): { amount: number; label: FormText } {
  const found = procedure.fee.cases.find((c) => isAsked(c, values)) ?? { amount: 0, label: { vi: 'Miễn phí', en: 'Free' } };
  let amount = found.amount;
  const extra = procedure.fee.perExtra;
  if (extra && amount > 0) amount += Math.max(0, Number(values[extra.field] ?? 0) - extra.included) * extra.amount;
  return { amount, label: found.label };
}

/** The papers these answers call for. */
export function papersFor(procedure: Procedure, values: Record<string, string>): Paper[] {
  return procedure.papers.filter((p) => isAsked(p, values));
}

/** Identity-sourced starting values (a typed CCCD gives the number only). */
export function prefill(procedure: Procedure, identity: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!identity) return out;
  for (const field of procedure.form.fields) {
    if (!field.from) continue;
    const v = identity[field.from.slice('identity.'.length)];
    if (typeof v === 'string' && v !== '') out[field.id] = v;
  }
  return out;
}
