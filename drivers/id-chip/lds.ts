/**
 * The LDS files the station reads (ICAO 9303 part 10 §4.6–4.7): EF.COM, DG1 (the MRZ) and DG13,
 * which the chip CCCD uses for its Vietnamese data. Pure parsers; each throws {@link LdsError}
 * naming the file and what was wrong.
 *
 * DG13 on the chip CCCD is not an ICAO structure: it is a sequence of entries `30 { 02 01 n,
 * 0C utf8… }` where n numbers the field (1 ID number, 2 full name, 3 date of birth dd/mm/yyyy,
 * 4 sex, 5 nationality, 6 ethnicity, 7 religion, 8 place of origin, 9 place of residence,
 * 10 identifying marks, 11 date of issue, 12 date of expiry, 13 father's and mother's names,
 * 14 spouse, 16 old ID number), possibly wrapped in further sequences. The layout is the one
 * public CCCD readers agree on (no published specification); unknown entries are skipped.
 */
import { parseTlv, parseTlvTree, TlvError, type TlvNode } from './tlv.js';

export class LdsError extends Error {
  constructor(readonly file: string, reason: string) {
    super(`${file}: ${reason}`);
    this.name = 'LdsError';
  }
}

/** File identifiers and short EF identifiers of part 10 table 39. */
export const ldsFiles = {
  com: { fid: 0x011e, tag: 0x60 },
  dg1: { fid: 0x0101, tag: 0x61 },
  dg2: { fid: 0x0102, tag: 0x75 },
  dg13: { fid: 0x010d, tag: 0x6d },
  dg14: { fid: 0x010e, tag: 0x6e },
  sod: { fid: 0x011d, tag: 0x77 },
  cardAccess: { fid: 0x011c, tag: 0x31 },
} as const;

/** The data group number a DG tag stands for (EF.COM's tag list, part 10 table 39). */
export const dgTags: Readonly<Record<number, number>> = {
  0x61: 1, 0x75: 2, 0x63: 3, 0x76: 4, 0x65: 5, 0x66: 6, 0x67: 7, 0x68: 8, 0x69: 9, 0x6a: 10,
  0x6b: 11, 0x6c: 12, 0x6d: 13, 0x6e: 14, 0x6f: 15, 0x70: 16,
};

function outer(file: string, bytes: Uint8Array, tag: number): Buffer {
  try {
    const tlv = parseTlv(bytes);
    if (tlv.tag !== tag) throw new LdsError(file, `starts with tag ${tlv.tag.toString(16).toUpperCase()}, expected ${tag.toString(16).toUpperCase()}`);
    return tlv.value;
  } catch (err) {
    if (err instanceof TlvError) throw new LdsError(file, err.message);
    throw err;
  }
}

function tree(file: string, bytes: Uint8Array): TlvNode[] {
  try {
    return parseTlvTree(bytes);
  } catch (err) {
    throw new LdsError(file, (err as Error).message);
  }
}

export interface EfCom {
  ldsVersion: string;
  unicodeVersion: string;
  /** Data group numbers present on the chip. */
  dataGroups: number[];
}

export function parseEfCom(bytes: Uint8Array): EfCom {
  const items = tree('EF.COM', outer('EF.COM', bytes, ldsFiles.com.tag));
  const get = (tag: number) => items.find((t) => t.tag === tag)?.value;
  const list = get(0x5c);
  if (!list) throw new LdsError('EF.COM', 'the tag list (5C) is missing');
  const dataGroups = [...list].map((t) => dgTags[t]).filter((n): n is number => n !== undefined);
  return { ldsVersion: get(0x5f01)?.toString('latin1') ?? '', unicodeVersion: get(0x5f36)?.toString('latin1') ?? '', dataGroups };
}

/** The fields of a TD1 MRZ (ID card, 3 × 30 characters; part 5 §4.2). */
export interface Mrz {
  documentCode: string;
  issuingState: string;
  /** The 9-character document number (on the CCCD: the last 9 digits of the ID number). */
  documentNumber: string;
  /** Line 1 optional data; on the CCCD the full 12-digit ID number. */
  optionalData: string;
  /** YYMMDD. */
  birthDate: string;
  sex: 'M' | 'F' | '<';
  /** YYMMDD. */
  expiryDate: string;
  nationality: string;
  /** Primary and secondary identifiers, `<` turned into spaces. */
  name: string;
}

export function parseDg1(bytes: Uint8Array): Mrz {
  const items = tree('DG1', outer('DG1', bytes, ldsFiles.dg1.tag));
  const mrzBytes = items.find((t) => t.tag === 0x5f1f)?.value;
  if (!mrzBytes) throw new LdsError('DG1', 'the MRZ (5F1F) is missing');
  const mrz = mrzBytes.toString('latin1');
  if (mrz.length !== 90) throw new LdsError('DG1', `the MRZ has ${mrz.length} characters; a TD1 MRZ has 90`);
  if (!/^[0-9A-Z<]{90}$/.test(mrz)) throw new LdsError('DG1', 'the MRZ holds characters an MRZ cannot');
  const [l1, l2, l3] = [mrz.slice(0, 30), mrz.slice(30, 60), mrz.slice(60, 90)];
  const sex = l2[7]!;
  if (sex !== 'M' && sex !== 'F' && sex !== '<') throw new LdsError('DG1', 'the sex field is not M, F or <');
  return {
    documentCode: l1.slice(0, 2).replace(/<+$/, ''),
    issuingState: l1.slice(2, 5),
    documentNumber: l1.slice(5, 14).replace(/<+$/, ''),
    optionalData: l1.slice(15, 30).replace(/<+$/, ''),
    birthDate: l2.slice(0, 6),
    sex,
    expiryDate: l2.slice(8, 14),
    nationality: l2.slice(15, 18),
    name: l3.replace(/<+$/, '').split('<<').map((p) => p.replace(/</g, ' ').trim()).filter(Boolean).join(' '),
  };
}

/** The Vietnamese data of the chip CCCD's DG13. Personal data: never logged. */
export interface Dg13 {
  idNumber: string;
  fullName: string;
  /** ISO YYYY-MM-DD. */
  birthDate: string;
  sex: 'male' | 'female';
  nationality?: string;
  ethnicity?: string;
  religion?: string;
  placeOfOrigin?: string;
  placeOfResidence?: string;
  identifyingMarks?: string;
  /** ISO YYYY-MM-DD. */
  issueDate?: string;
  /** ISO YYYY-MM-DD; absent when the card does not expire. */
  expiryDate?: string;
  fatherName?: string;
  motherName?: string;
  spouseName?: string;
  oldIdNumber?: string;
}

/** `dd/mm/yyyy` → ISO, or null when not a calendar date. */
export function isoFromDmy(text: string): string | null {
  const m = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(text.trim());
  if (!m) return null;
  const [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  return `${m[3]}-${m[2]}-${m[1]}`;
}

const isString = (n: TlvNode) => n.tag === 0x0c || n.tag === 0x13;

/** A value of an entry: a string, or a sequence of strings (the parents' names). */
const isValue = (n: TlvNode) => isString(n) || (n.tag === 0x30 && (n.children ?? []).every(isString));

/** Every `30 { 02 01 n, values… }` entry in the tree, by n; any other sequence is searched inside. */
function entries(nodes: TlvNode[], out: Map<number, string[]>): void {
  for (const n of nodes) {
    const kids = n.children;
    if (!kids) continue;
    const [first, ...rest] = kids;
    if (n.tag === 0x30 && first?.tag === 0x02 && first.value.length === 1 && rest.every(isValue)) {
      const strings = rest.flatMap((k) => (isString(k) ? [k] : k.children ?? [])).map((k) => k.value.toString('utf8').normalize('NFC').trim());
      if (!out.has(first.value[0]!)) out.set(first.value[0]!, strings);
    } else entries(kids, out);
  }
}

export function parseDg13(bytes: Uint8Array): Dg13 {
  const found = new Map<number, string[]>();
  entries(tree('DG13', outer('DG13', bytes, ldsFiles.dg13.tag)), found);
  const one = (n: number) => {
    const v = found.get(n)?.[0];
    return v === undefined || v === '' ? undefined : v;
  };
  const idNumber = one(1);
  if (!idNumber || !/^\d{12}$/.test(idNumber)) throw new LdsError('DG13', 'the ID number (entry 1) is missing or not 12 digits');
  const fullName = one(2);
  if (!fullName) throw new LdsError('DG13', 'the full name (entry 2) is missing');
  const birthDate = isoFromDmy(one(3) ?? '');
  if (!birthDate) throw new LdsError('DG13', 'the date of birth (entry 3) is not dd/mm/yyyy');
  const sexText = (one(4) ?? '').toLowerCase();
  const sex = sexText === 'nam' ? 'male' : sexText === 'nữ' || sexText === 'nu' ? 'female' : null;
  if (!sex) throw new LdsError('DG13', 'the sex (entry 4) is neither Nam nor Nữ');
  const date = (n: number, what: string) => {
    const text = one(n);
    if (text === undefined || text.toLowerCase() === 'không thời hạn') return undefined;
    const iso = isoFromDmy(text);
    if (!iso) throw new LdsError('DG13', `the ${what} (entry ${n}) is not dd/mm/yyyy`);
    return iso;
  };
  const parents = found.get(13) ?? [];
  const optional: Partial<Dg13> = {
    nationality: one(5), ethnicity: one(6), religion: one(7), placeOfOrigin: one(8), placeOfResidence: one(9),
    identifyingMarks: one(10), issueDate: date(11, 'issue date'), expiryDate: date(12, 'expiry date'),
    fatherName: parents[0] || undefined, motherName: parents[1] || undefined, spouseName: one(14), oldIdNumber: one(16),
  };
  const kept = Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined));
  return { idNumber, fullName, birthDate, sex, ...kept };
}
