/**
 * The fixed set of named validators a flow's input step may use (flows/schema.json `validator`).
 * Each returns the normalised value or a catalog key explaining what is wrong, in the resident's words.
 */
import { validateCccdNumber } from '../../drivers/cccd.js';
import type { ValidatorName } from '../flows/types.js';

export type ValidationResult = { ok: true; value: string } | { ok: false; reason: string };

export interface ValidatorParams {
  minLength?: number;
  maxLength?: number;
}

/** Digits and how many; codes that need letters come from the on-screen field or the scanner. */
export function validateInput(name: ValidatorName, raw: string, params: ValidatorParams = {}): ValidationResult {
  const text = raw.trim();
  switch (name) {
    case 'cccd12': {
      if (!/^\d{12}$/.test(text)) return { ok: false, reason: 'invalid.cccd-length' };
      return validateCccdNumber(text).ok ? { ok: true, value: text } : { ok: false, reason: 'invalid.cccd' };
    }
    case 'phone':
      // Vietnamese mobile numbers after the 2018 renumbering: 10 digits, 03x/05x/07x/08x/09x.
      return /^0[35789]\d{8}$/.test(text) ? { ok: true, value: text } : { ok: false, reason: 'invalid.phone' };
    case 'dossierCode': {
      // National public-service portal dossier code: agency code (e.g. 000.00.00.H29), date YYMMDD, sequence.
      // The keypad has no letters or dots: the code's 19 digits typed in order are read as a
      // provincial-level (H) code, which ward and city dossiers carry (H29 is Ho Chi Minh City).
      const digits = /^(\d{3})(\d{2})(\d{2})(\d{2})(\d{6})(\d{4})$/.exec(text);
      const code = digits ? `${digits[1]}.${digits[2]}.${digits[3]}.H${digits[4]}-${digits[5]}-${digits[6]}` : text.toUpperCase();
      const m = /^(\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2})-(\d{2})(\d{2})(\d{2})-(\d{4})$/.exec(code);
      if (!m) return { ok: false, reason: 'invalid.dossier-code' };
      const month = Number(m[3]);
      const day = Number(m[4]);
      if (month < 1 || month > 12 || day < 1 || day > 31) return { ok: false, reason: 'invalid.dossier-code' };
      return { ok: true, value: code };
    }
    case 'customerCode': {
      const code = text.toUpperCase();
      return /^[A-Z0-9]{4,20}$/.test(code) ? { ok: true, value: code } : { ok: false, reason: 'invalid.customer-code' };
    }
    case 'bhxhCode':
      return /^\d{10}$/.test(text) ? { ok: true, value: text } : { ok: false, reason: 'invalid.bhxh-code' };
    case 'personalIdOrBhxh':
      if (/^\d{10}$/.test(text)) return { ok: true, value: text };
      if (/^\d{12}$/.test(text)) {
        return validateCccdNumber(text).ok ? { ok: true, value: text } : { ok: false, reason: 'invalid.cccd' };
      }
      return { ok: false, reason: 'invalid.personal-id-or-bhxh' };
    case 'digits': {
      const min = params.minLength ?? 1;
      const max = params.maxLength ?? 40;
      if (!/^\d+$/.test(text) || text.length < min || text.length > max) return { ok: false, reason: 'invalid.digits' };
      return { ok: true, value: text };
    }
    case 'amount': {
      if (!/^\d{1,12}$/.test(text) || Number(text) <= 0) return { ok: false, reason: 'invalid.amount' };
      return { ok: true, value: String(Number(text)) };
    }
  }
}

/** Characters a validator's field accepts from the keypad and the on-screen field. */
export function charsetOf(name: ValidatorName): 'digits' | 'code' {
  return name === 'dossierCode' || name === 'customerCode' ? 'code' : 'digits';
}

/** Field size for a validator. */
export function maxLengthOf(name: ValidatorName, params: ValidatorParams): number {
  switch (name) {
    case 'cccd12': return 12;
    case 'phone': return 10;
    case 'dossierCode': return 25;
    case 'customerCode': return 20;
    case 'bhxhCode': return 10;
    case 'personalIdOrBhxh': return 12;
    case 'digits': return params.maxLength ?? 40;
    case 'amount': return 12;
  }
}
