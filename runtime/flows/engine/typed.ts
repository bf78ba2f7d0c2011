/**
 * What a resident typed, as the screen shows it, and what is wrong with it in their words.
 *
 * Only identity numbers (CCCD, BHXH code) are personal enough to hide from someone standing behind
 * the resident; phone numbers and bill codes are shown whole so the resident can check them. Hidden
 * digits are drawn as `•`, never `*`, which is the keypad's delete key.
 */
import type { ValidatorName } from '../types.js';

/** Validators whose value identifies a person. */
const identityNumbers = new Set<ValidatorName>(['cccd12', 'bhxhCode', 'personalIdOrBhxh']);

export function hidesDigits(validator: ValidatorName | 'identity'): boolean {
  return validator === 'identity' || identityNumbers.has(validator);
}

/**
 * An identity number on screen: the first three digits (the province code, printed large on the
 * card) and the last one typed stay visible, so each key press shows; the rest are `•`. A complete
 * number keeps its last two, like a scanned card.
 */
export function maskIdentityDigits(value: string, complete = false): string {
  const tail = complete ? 2 : 1;
  if (value.length <= 3 + tail) return value;
  return value.slice(0, 3) + '•'.repeat(value.length - 3 - tail) + value.slice(-tail);
}

/** The catalog key saying which part of a refused value is wrong, with what it names. */
export interface WhatIsWrong {
  key: string;
  params?: Record<string, string>;
}

const fixedLength: Partial<Record<ValidatorName, number[]>> = {
  cccd12: [12], phone: [10], bhxhCode: [10], personalIdOrBhxh: [10, 12],
};

/**
 * Points at the part of `value` that is wrong, for the validators whose parts the resident can
 * check; `fallback` (the validator's own reason) otherwise.
 */
export function whatIsWrong(validator: ValidatorName, value: string, fallback: string, provinceKnown: (code: string) => boolean): WhatIsWrong {
  const digits = /^\d+$/.test(value);
  const lengths = validator === 'dossierCode' && digits ? [19] : fixedLength[validator];
  if (digits && lengths && !lengths.includes(value.length)) {
    return { key: 'invalid.count', params: { typed: String(value.length), need: lengths.join(' / ') } };
  }
  if ((validator === 'cccd12' || (validator === 'personalIdOrBhxh' && value.length === 12)) && digits && !provinceKnown(value.slice(0, 3))) {
    return { key: 'invalid.cccd-province', params: { part: value.slice(0, 3) } };
  }
  if (validator === 'phone' && digits && !/^0[35789]/.test(value)) {
    return { key: 'invalid.phone-prefix', params: { part: value.slice(0, 2) } };
  }
  if (validator === 'dossierCode' && digits && value.length === 19) {
    const date = value.slice(9, 15);
    const month = Number(date.slice(2, 4));
    const day = Number(date.slice(4, 6));
    if (month < 1 || month > 12 || day < 1 || day > 31) return { key: 'invalid.dossier-date', params: { part: date } };
  }
  return { key: fallback };
}
