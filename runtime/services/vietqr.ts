/**
 * VietQR payloads: the NAPAS 247 profile of the EMVCo QR Code Specification for Payment Systems,
 * Merchant-Presented Mode (EMV QRCPS-MPM v1.1), as described in "Technical Specifications on NAPAS QR
 * Switching, Part IV: QR Code Format" v1.5.2. A payload is a string of data objects `ID LEN VALUE`
 * (ID two digits, LEN two decimal digits, 1..99 characters of value), ending with the CRC object 63.
 *
 * Field order follows the published NAPAS examples (root IDs ascending): 00, 01, 38, 53, 54, 58, 62, 63;
 * inside templates the sub-IDs are ascending too. Checked byte for byte against published payloads in
 * test/runtime/vietqr.test.ts.
 */
import { StationError } from '../kernel/errors.js';

/** NAPAS's registered application identifier (RID) carried in 38/00 (QR Switching §5.2.3.2). */
export const NAPAS_GUID = 'A000000727';

/** Service codes in 38/02: inter-bank fast transfer 24/7 to an account or to a card number. */
export type VietQrService = 'QRIBFTTA' | 'QRIBFTTC';

/** ISO 4217 numeric code of the Vietnamese dong, object 53. */
export const CURRENCY_VND = '704';
/** ISO 3166-1 alpha-2, object 58. */
export const COUNTRY_VN = 'VN';

/** Longest value of a sub-object of the Additional Data Field Template (EMV QRCPS-MPM §4.8). */
export const ADDITIONAL_FIELD_MAX = 25;
/** Longest amount (object 54), EMV QRCPS-MPM §4.7.3. */
export const AMOUNT_MAX_LENGTH = 13;
/** Longest account or card number (38/01/01), NAPAS QR Switching §5.2.3.2. */
export const ACCOUNT_MAX_LENGTH = 19;

export interface VietQrInput {
  /** NAPAS bank identification number of the beneficiary's bank (6 digits, e.g. 970436 Vietcombank). */
  bankBin: string;
  /** Beneficiary account number (QRIBFTTA) or card number (QRIBFTTC): 1..19 letters or digits. */
  account: string;
  /** Default QRIBFTTA (to an account). */
  service?: VietQrService;
  /** Amount in whole dong. Present: a dynamic (one-time) code, 01 = `12`; absent: static, 01 = `11`. */
  amount?: number;
  /** 62/01 bill number, folded to ASCII, at most 25 characters. */
  bill?: string;
  /** 62/07 terminal label: the station id, at most 25 characters. */
  terminal?: string;
  /** 62/08 purpose of transaction, folded to ASCII, at most 25 characters. */
  purpose?: string;
}

/** Which input field a validation failure is about; the CLI names it as `--bank`, `--account`... */
export type VietQrField = 'bankBin' | 'account' | 'amount' | 'bill' | 'terminal' | 'purpose' | 'service';

/** A rejected VietQR input, naming the field. */
export class VietQrInputError extends StationError {
  readonly field: VietQrField;

  constructor(field: VietQrField, message: string) {
    super('INPUT_INVALID', message, { details: { field } });
    this.field = field;
  }
}

/**
 * Removes Vietnamese diacritics the way bank apps expect the 62/08 purpose: NFD decomposition drops
 * the tone and vowel marks (ủ → u, ơ → o), and đ/Đ, which Unicode does not decompose, become d/D.
 * Case and spacing inside the text are kept, as in the published examples (`ung ho lu lut`).
 */
export function foldToAscii(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/\u0111/g, 'd')
    .replace(/\u0110/g, 'D')
    .trim();
}

/** Printable ASCII: the EMVCo "ans" character set. */
const ANS = /^[\x20-\x7e]*$/;

/** One data object: ID, two-digit decimal length, value. */
export function tlv(id: string, value: string): string {
  if (!/^\d{2}$/.test(id)) throw new StationError('INPUT_INVALID', `data object id ${id} is not two digits`);
  if (value.length < 1 || value.length > 99) {
    throw new StationError('INPUT_INVALID', `data object ${id} must hold 1..99 characters, got ${value.length}`);
  }
  return id + String(value.length).padStart(2, '0') + value;
}

/**
 * CRC-16/CCITT-FALSE (ISO/IEC 13239: polynomial 0x1021, initial value 0xFFFF, no reflection, no final
 * XOR) over the bytes of `data`, as EMV QRCPS-MPM §4.7.3 requires, as 4 uppercase hex digits.
 */
export function crc16CcittFalse(data: string): string {
  let crc = 0xffff;
  for (const byte of Buffer.from(data, 'utf8')) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc.toString(16).toUpperCase().padStart(4, '0');
}

function additionalField(field: VietQrField, label: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const folded = foldToAscii(raw);
  if (folded.length === 0) return undefined;
  if (!ANS.test(folded)) throw new VietQrInputError(field, `${label} holds characters that have no ASCII form`);
  if (folded.length > ADDITIONAL_FIELD_MAX) {
    throw new VietQrInputError(field, `${label} is ${folded.length} characters; at most ${ADDITIONAL_FIELD_MAX} fit`);
  }
  return folded;
}

/** Builds the payload string, CRC included. Throws {@link VietQrInputError} on invalid input. */
export function buildVietQr(input: VietQrInput): string {
  if (!/^\d{6}$/.test(input.bankBin)) throw new VietQrInputError('bankBin', 'bank BIN must be 6 digits');
  if (!new RegExp(`^[A-Za-z0-9]{1,${ACCOUNT_MAX_LENGTH}}$`).test(input.account)) {
    throw new VietQrInputError('account', `account must be 1..${ACCOUNT_MAX_LENGTH} letters or digits`);
  }
  const service = input.service ?? 'QRIBFTTA';
  if (service !== 'QRIBFTTA' && service !== 'QRIBFTTC') {
    throw new VietQrInputError('service', 'service must be QRIBFTTA or QRIBFTTC');
  }
  let amount: string | undefined;
  if (input.amount !== undefined) {
    // VND has no minor unit (ISO 4217 exponent 0), so the amount is a plain integer.
    if (!Number.isSafeInteger(input.amount) || input.amount <= 0) {
      throw new VietQrInputError('amount', 'amount must be a positive whole number of dong');
    }
    amount = String(input.amount);
    if (amount.length > AMOUNT_MAX_LENGTH) {
      throw new VietQrInputError('amount', `amount must be at most ${AMOUNT_MAX_LENGTH} digits`);
    }
  }
  const bill = additionalField('bill', 'bill reference', input.bill);
  const terminal = additionalField('terminal', 'terminal id', input.terminal);
  const purpose = additionalField('purpose', 'purpose', input.purpose);

  const beneficiary = tlv('00', input.bankBin) + tlv('01', input.account);
  const merchant = tlv('00', NAPAS_GUID) + tlv('01', beneficiary) + tlv('02', service);
  const additional =
    (bill ? tlv('01', bill) : '') + (terminal ? tlv('07', terminal) : '') + (purpose ? tlv('08', purpose) : '');

  const body =
    tlv('00', '01') +
    tlv('01', amount === undefined ? '11' : '12') +
    tlv('38', merchant) +
    tlv('53', CURRENCY_VND) +
    (amount === undefined ? '' : tlv('54', amount)) +
    tlv('58', COUNTRY_VN) +
    (additional ? tlv('62', additional) : '') +
    '6304';
  return body + crc16CcittFalse(body);
}

/** One decoded data object, with its sub-objects when it is a template (26..51, 62). */
export interface TlvObject {
  id: string;
  value: string;
  children?: TlvObject[];
}

/** Splits a string of `ID LEN VALUE` objects; throws INPUT_INVALID on a truncated or non-numeric header. */
export function decodeTlv(data: string): TlvObject[] {
  const out: TlvObject[] = [];
  let at = 0;
  while (at < data.length) {
    const head = data.slice(at, at + 4);
    if (!/^\d{4}$/.test(head)) throw new StationError('INPUT_INVALID', `bad data object header at offset ${at}`);
    const id = head.slice(0, 2);
    const len = Number(head.slice(2));
    const value = data.slice(at + 4, at + 4 + len);
    if (len === 0 || value.length !== len) {
      throw new StationError('INPUT_INVALID', `data object ${id} at offset ${at} is truncated`);
    }
    out.push({ id, value });
    at += 4 + len;
  }
  return out;
}

/** The meaning of a decoded VietQR payload. */
export interface ParsedVietQr {
  payloadFormat: string;
  /** `11` static, `12` dynamic. */
  initiation: '11' | '12';
  guid: string;
  bankBin: string;
  account: string;
  service: VietQrService;
  currency: string;
  amount?: number;
  country: string;
  bill?: string;
  terminal?: string;
  purpose?: string;
  crc: string;
  objects: TlvObject[];
}

export type VietQrParseResult = { ok: true; value: ParsedVietQr } | { ok: false; reason: string };

function child(list: TlvObject[] | undefined, id: string): TlvObject | undefined {
  return list?.find((o) => o.id === id);
}

/**
 * Decodes a payload and checks it against the NAPAS profile: CRC last and correct, mandatory objects
 * present, 01 `12` exactly when an amount is present. Never throws.
 */
export function parseVietQr(payload: string): VietQrParseResult {
  let objects: TlvObject[];
  try {
    objects = decodeTlv(payload);
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  const last = objects.at(-1);
  if (!last || last.id !== '63' || last.value.length !== 4) return { ok: false, reason: 'CRC object 63 is not last' };
  const expected = crc16CcittFalse(payload.slice(0, payload.length - 4));
  if (last.value !== expected) return { ok: false, reason: `CRC ${last.value} does not match ${expected}` };
  if (objects[0]?.id !== '00' || objects[0].value !== '01') return { ok: false, reason: 'payload format 00 must be 01 and first' };
  const ids = objects.map((o) => o.id);
  if (new Set(ids).size !== ids.length) return { ok: false, reason: 'a data object appears twice' };

  const root = (id: string) => child(objects, id);
  const m = root('38');
  if (!m) return { ok: false, reason: 'merchant account information 38 is missing' };
  try {
    m.children = decodeTlv(m.value);
    const ben = child(m.children, '01');
    if (ben) ben.children = decodeTlv(ben.value);
    const add = root('62');
    if (add) add.children = decodeTlv(add.value);
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  const guid = child(m.children, '00')?.value;
  if (guid !== NAPAS_GUID) return { ok: false, reason: `38/00 must be ${NAPAS_GUID}` };
  const ben = child(m.children, '01');
  const bankBin = child(ben?.children, '00')?.value;
  const account = child(ben?.children, '01')?.value;
  if (!bankBin || !/^\d{6}$/.test(bankBin)) return { ok: false, reason: '38/01/00 bank BIN must be 6 digits' };
  if (!account) return { ok: false, reason: '38/01/01 account is missing' };
  const service = child(m.children, '02')?.value;
  if (service !== 'QRIBFTTA' && service !== 'QRIBFTTC') return { ok: false, reason: '38/02 service code is not QRIBFTTA/QRIBFTTC' };
  const initiation = root('01')?.value;
  if (initiation !== '11' && initiation !== '12') return { ok: false, reason: '01 must be 11 or 12' };
  const currency = root('53')?.value;
  if (currency !== CURRENCY_VND) return { ok: false, reason: `53 must be ${CURRENCY_VND}` };
  const country = root('58')?.value;
  if (country !== COUNTRY_VN) return { ok: false, reason: `58 must be ${COUNTRY_VN}` };
  const amountText = root('54')?.value;
  let amount: number | undefined;
  if (amountText !== undefined) {
    if (!/^\d{1,13}$/.test(amountText) || Number(amountText) <= 0) return { ok: false, reason: '54 amount must be a positive integer' };
    amount = Number(amountText);
  }
  if ((initiation === '12') !== (amount !== undefined)) {
    return { ok: false, reason: '01 must be 12 when an amount is present and 11 otherwise' };
  }
  const add = root('62');
  const value: ParsedVietQr = {
    payloadFormat: '01', initiation, guid, bankBin, account, service, currency, country, crc: last.value, objects,
  };
  if (amount !== undefined) value.amount = amount;
  const bill = child(add?.children, '01')?.value;
  const terminal = child(add?.children, '07')?.value;
  const purpose = child(add?.children, '08')?.value;
  if (bill !== undefined) value.bill = bill;
  if (terminal !== undefined) value.terminal = terminal;
  if (purpose !== undefined) value.purpose = purpose;
  return { ok: true, value };
}
