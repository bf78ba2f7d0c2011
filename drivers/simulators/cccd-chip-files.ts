/**
 * The files of a simulated chip CCCD, built the way the issuing authority builds them: EF.COM,
 * DG1 (TD1 MRZ), DG13 (the Vietnamese entries, see drivers/id-chip/lds.ts) and EF.SOD, a CMS
 * SignedData over their SHA-256 hashes signed with a document signer key (config/dev-keys/ holds
 * the development CSCA and DS). Faults for tests: DG13 altered after signing, a signature by a key
 * other than the DS certificate's.
 */
import { createHash, createPrivateKey, generateKeyPairSync, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { checkDigit } from '../id-chip/bac.js';
import { ldsFiles } from '../id-chip/lds.js';
import { oids } from '../id-chip/sod.js';
import { encodeTlv, parseTlv, parseTlvList } from '../id-chip/tlv.js';

/** The person on a simulated card. Dates are ISO YYYY-MM-DD. */
export interface SimulatedCitizen {
  idNumber: string;
  fullName: string;
  birthDate: string;
  sex: 'male' | 'female';
  placeOfOrigin: string;
  placeOfResidence: string;
  issueDate: string;
  /** Absent: the card does not expire (issued at 58 or later). */
  expiryDate?: string;
  fatherName?: string;
  motherName?: string;
}

export interface DocumentSigner {
  /** PEM of the DS certificate. */
  certificate: string;
  /** PEM (PKCS#8) of its private key. */
  privateKey: string;
}

export interface ChipFaults {
  /** DG13's name is changed after the SOD was signed. */
  alterDg13?: boolean;
  /** The SOD is signed by a fresh key, not the one in its DS certificate. */
  forgeSignature?: boolean;
}

function encodeOid(oid: string): Buffer {
  const [a, b, ...rest] = oid.split('.').map(Number) as [number, number, ...number[]];
  const bytes: number[] = [a * 40 + b];
  for (const n of rest) {
    const chunk: number[] = [];
    let v = n;
    do {
      chunk.unshift(v & 0x7f);
      v = Math.floor(v / 128);
    } while (v > 0);
    for (let i = 0; i < chunk.length - 1; i++) chunk[i]! |= 0x80;
    bytes.push(...chunk);
  }
  return encodeTlv(0x06, Buffer.from(bytes));
}

const seq = (...items: Buffer[]) => encodeTlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => encodeTlv(0x31, Buffer.concat(items));
const int = (n: number) => encodeTlv(0x02, Buffer.from([n]));
const utf8 = (s: string) => encodeTlv(0x0c, Buffer.from(s.normalize('NFC'), 'utf8'));
const dmy = (iso: string) => `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;
const yymmdd = (iso: string) => `${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}`;

/** Latin letters for the MRZ: diacritics dropped, Đ → D (part 3 §6 transliteration). */
function mrzName(fullName: string): string {
  const ascii = fullName.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').toUpperCase();
  const [surname, ...given] = ascii.split(/\s+/).filter(Boolean);
  return `${surname ?? ''}<<${given.join('<')}`.replace(/[^A-Z<]/g, '<').padEnd(30, '<').slice(0, 30);
}

/** The TD1 MRZ of a CCCD: document number = last 9 digits, the 12-digit number in the optional data. */
export function cccdMrz(c: SimulatedCitizen): string {
  const number = c.idNumber.slice(3);
  const line1 = `IDVNM${number}${checkDigit(number)}${c.idNumber}<<<`.padEnd(30, '<');
  const expiry = c.expiryDate ? yymmdd(c.expiryDate) : '<<<<<<';
  const birth = yymmdd(c.birthDate);
  const head = `${birth}${checkDigit(birth)}${c.sex === 'male' ? 'M' : 'F'}${expiry}${c.expiryDate ? checkDigit(expiry) : '<'}VNM`.padEnd(29, '<');
  const composite = checkDigit(`${line1.slice(5, 30)}${head.slice(0, 7)}${head.slice(8, 15)}${head.slice(18, 29)}`);
  return `${line1}${head}${composite}${mrzName(c.fullName)}`;
}

export function buildDg13(c: SimulatedCitizen): Buffer {
  const entry = (n: number, ...values: string[]) => seq(int(n), ...values.map(utf8));
  const entries = [
    entry(1, c.idNumber), entry(2, c.fullName), entry(3, dmy(c.birthDate)), entry(4, c.sex === 'male' ? 'Nam' : 'Nữ'),
    entry(5, 'Việt Nam'), entry(6, 'Kinh'), entry(7, 'Không'), entry(8, c.placeOfOrigin), entry(9, c.placeOfResidence),
    entry(10, 'Nốt ruồi C:1cm trên trước mày phải'), entry(11, dmy(c.issueDate)), entry(12, c.expiryDate ? dmy(c.expiryDate) : 'Không thời hạn'),
    entry(13, c.fatherName ?? '', c.motherName ?? ''),
  ];
  return encodeTlv(ldsFiles.dg13.tag, seq(int(0), seq(...entries)));
}

/** Issuer Name and serial number of a DER certificate, for the SignerInfo's IssuerAndSerialNumber. */
function issuerAndSerial(certDer: Buffer): Buffer {
  const tbs = parseTlvList(parseTlv(certDer).value)[0]!;
  const fields = parseTlvList(tbs.value);
  const start = fields[0]!.tag === 0xa0 ? 1 : 0;
  const serial = fields[start]!;
  const issuer = fields[start + 2]!;
  const raw = (t: typeof serial) => tbs.value.subarray(t.offset, t.offset + t.size);
  return seq(raw(issuer), raw(serial));
}

function buildSod(dataGroups: Map<number, Buffer>, signer: DocumentSigner, forge: boolean): Buffer {
  const sha256 = seq(encodeOid(oids.sha256));
  const hashes = [...dataGroups].map(([n, bytes]) => seq(int(n), encodeTlv(0x04, createHash('sha256').update(bytes).digest())));
  const securityObject = seq(int(0), sha256, seq(...hashes));
  const attrs = [
    seq(encodeOid(oids.contentType), set(encodeOid(oids.ldsSecurityObject))),
    seq(encodeOid(oids.messageDigest), set(encodeTlv(0x04, createHash('sha256').update(securityObject).digest()))),
  ].sort(Buffer.compare);
  const signedAttrs = set(...attrs);
  const key: KeyObject = forge ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey : createPrivateKey(signer.privateKey);
  const signature = sign('sha256', signedAttrs, key);
  const certDer = Buffer.from(new X509Certificate(signer.certificate).raw);
  const signerInfo = seq(
    int(1), issuerAndSerial(certDer), sha256,
    encodeTlv(0xa0, parseTlv(signedAttrs).value),
    seq(encodeOid(oids.ecdsaWithSha256)), encodeTlv(0x04, signature),
  );
  const signedData = seq(
    int(3), set(sha256),
    seq(encodeOid(oids.ldsSecurityObject), encodeTlv(0xa0, encodeTlv(0x04, securityObject))),
    encodeTlv(0xa0, certDer),
    set(signerInfo),
  );
  return encodeTlv(ldsFiles.sod.tag, seq(encodeOid('1.2.840.113549.1.7.2'), encodeTlv(0xa0, signedData)));
}

/** File identifier → contents, as the chip serves them. */
export function buildChipFiles(c: SimulatedCitizen, signer: DocumentSigner, faults: ChipFaults = {}): Map<number, Buffer> {
  const com = encodeTlv(ldsFiles.com.tag, Buffer.concat([encodeTlv(0x5f01, Buffer.from('0107')), encodeTlv(0x5f36, Buffer.from('040000')), encodeTlv(0x5c, Buffer.from([0x61, 0x75, 0x6d]))]));
  const dg1 = encodeTlv(ldsFiles.dg1.tag, encodeTlv(0x5f1f, Buffer.from(cccdMrz(c), 'latin1')));
  const dg2 = encodeTlv(ldsFiles.dg2.tag, encodeTlv(0x7f61, Buffer.from([0x02, 0x01, 0x01])));
  const dg13 = buildDg13(c);
  const sod = buildSod(new Map([[1, dg1], [2, dg2], [13, dg13]]), signer, faults.forgeSignature === true);
  const served = faults.alterDg13 ? buildDg13({ ...c, fullName: `${c.fullName} A` }) : dg13;
  return new Map([[ldsFiles.com.fid, com], [ldsFiles.dg1.fid, dg1], [ldsFiles.dg2.fid, dg2], [ldsFiles.dg13.fid, served], [ldsFiles.sod.fid, sod]]);
}
