/**
 * The chip CCCD (Căn cước công dân) QR code and its 12-digit number.
 *
 * QR text (printed on the front of the chip card): `ID|oldID|name|DDMMYYYY|sex|address|DDMMYYYY`,
 * the last date being the issue date; the old 9-digit CMND number may be empty; newer cards add
 * fields after the seventh, which are ignored.
 *
 * The 12-digit number (Decree 137/2015/ND-CP art. 7; codes in Circular 07/2016/TT-BCA):
 * digits 1–3 the province of birth registration (63 codes, Appendix I), digit 4 sex and century
 * of birth (0/1 male/female born 1900–1999, 2/3 born 2000–2099, 4/5 2100–2199, 6/7 2200–2299,
 * 8/9 2300–2399), digits 5–6 the last two digits of the birth year, digits 7–12 random.
 *
 * The parsed identity is personal data: callers log only {@link maskCccd}(id), never the fields.
 */
import type { Clock } from '../runtime/kernel/clock.js';
import { StationError } from '../runtime/kernel/errors.js';
import type { Logger } from '../runtime/kernel/logger.js';
import { maskCccd } from '../runtime/kernel/logger.js';
import { TypedEmitter } from '../runtime/kernel/typed-emitter.js';
import { SerialDevice, abortError } from './serial-device.js';
import { LineAssembler } from './transports/serial.js';
import type { SerialLink } from './transports/serial.js';
import type { DeviceEmulator } from './transports/serial-sim.js';
import type { StationDevice } from './types.js';

/** Province and city codes of Circular 07/2016/TT-BCA, Appendix I (63 before the 2025 merger). */
export const provinceCodes: Readonly<Record<string, string>> = {
  '001': 'Hà Nội', '002': 'Hà Giang', '004': 'Cao Bằng', '006': 'Bắc Kạn', '008': 'Tuyên Quang',
  '010': 'Lào Cai', '011': 'Điện Biên', '012': 'Lai Châu', '014': 'Sơn La', '015': 'Yên Bái',
  '017': 'Hòa Bình', '019': 'Thái Nguyên', '020': 'Lạng Sơn', '022': 'Quảng Ninh', '024': 'Bắc Giang',
  '025': 'Phú Thọ', '026': 'Vĩnh Phúc', '027': 'Bắc Ninh', '030': 'Hải Dương', '031': 'Hải Phòng',
  '033': 'Hưng Yên', '034': 'Thái Bình', '035': 'Hà Nam', '036': 'Nam Định', '037': 'Ninh Bình',
  '038': 'Thanh Hóa', '040': 'Nghệ An', '042': 'Hà Tĩnh', '044': 'Quảng Bình', '045': 'Quảng Trị',
  '046': 'Thừa Thiên Huế', '048': 'Đà Nẵng', '049': 'Quảng Nam', '051': 'Quảng Ngãi', '052': 'Bình Định',
  '054': 'Phú Yên', '056': 'Khánh Hòa', '058': 'Ninh Thuận', '060': 'Bình Thuận', '062': 'Kon Tum',
  '064': 'Gia Lai', '066': 'Đắk Lắk', '067': 'Đắk Nông', '068': 'Lâm Đồng', '070': 'Bình Phước',
  '072': 'Tây Ninh', '074': 'Bình Dương', '075': 'Đồng Nai', '077': 'Bà Rịa - Vũng Tàu',
  '079': 'Hồ Chí Minh', '080': 'Long An', '082': 'Tiền Giang', '083': 'Bến Tre', '084': 'Trà Vinh',
  '086': 'Vĩnh Long', '087': 'Đồng Tháp', '089': 'An Giang', '091': 'Kiên Giang', '092': 'Cần Thơ',
  '093': 'Hậu Giang', '094': 'Sóc Trăng', '095': 'Bạc Liêu', '096': 'Cà Mau',
};

export type Sex = 'male' | 'female';

export interface CccdNumberInfo {
  provinceCode: string;
  province: string;
  sex: Sex;
  /** First year of the century of birth (1900, 2000, …). */
  century: number;
  /** Last two digits of the birth year. */
  yearOfCentury: number;
  birthYear: number;
}

export interface CccdIdentity {
  id: string;
  /** The 9-digit CMND number, or null when the QR leaves it empty. */
  oldId: string | null;
  name: string;
  /** ISO date YYYY-MM-DD. */
  birthDate: string;
  sex: Sex;
  address: string;
  /** ISO date YYYY-MM-DD. */
  issueDate: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

/** Checks a typed or scanned 12-digit number on its own. */
export function validateCccdNumber(digits: string): Result<CccdNumberInfo> {
  const d = digits.trim();
  if (!/^\d{12}$/.test(d)) return { ok: false, error: `số CCCD phải gồm đúng 12 chữ số / the CCCD number must be exactly 12 digits (got ${d.length} characters)` };
  const provinceCode = d.slice(0, 3);
  const province = provinceCodes[provinceCode];
  if (!province) return { ok: false, error: `mã tỉnh ${provinceCode} không tồn tại / province code ${provinceCode} does not exist` };
  const g = Number(d[3]);
  const century = 1900 + Math.floor(g / 2) * 100;
  const sex: Sex = g % 2 === 0 ? 'male' : 'female';
  const yearOfCentury = Number(d.slice(4, 6));
  return { ok: true, value: { provinceCode, province, sex, century, yearOfCentury, birthYear: century + yearOfCentury } };
}

/** `DDMMYYYY` → `YYYY-MM-DD`, or null when not a real calendar date. */
export function parseDdMmYyyy(text: string): string | null {
  const m = /^(\d{2})(\d{2})(\d{4})$/.exec(text.trim());
  if (!m) return null;
  const [day, month, year] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return `${m[3]}-${m[2]}-${m[1]}`;
}

function parseSex(text: string): Sex | null {
  const s = text.trim().normalize('NFC').toLowerCase();
  if (s === 'nam' || s === 'male') return 'male';
  if (s === 'nữ' || s === 'nu' || s === 'female') return 'female';
  return null;
}

/**
 * Parses the QR text and cross-checks the number against date of birth and sex. Pure; never
 * throws. The error names what is wrong (in Vietnamese, then English) without repeating the data.
 */
export function parseCccd(text: string): Result<CccdIdentity> {
  const clean = text.normalize('NFC').replace(/^\uFEFF/, '').replace(/[\r\n]+/g, '').trim();
  const fields = clean.split('|');
  if (fields.length < 7) return { ok: false, error: `mã QR có ${fields.length} trường, cần ít nhất 7 / the QR has ${fields.length} fields, at least 7 are needed` };
  const [id, oldId, name, birth, sexText, address, issue] = fields.map((f) => f.trim()) as [string, string, string, string, string, string, string];
  const number = validateCccdNumber(id);
  if (!number.ok) return number;
  if (oldId !== '' && !/^\d{9}$/.test(oldId)) return { ok: false, error: 'số CMND cũ phải gồm 9 chữ số / the old ID must be 9 digits' };
  if (name === '') return { ok: false, error: 'thiếu họ tên / the name is missing' };
  const birthDate = parseDdMmYyyy(birth);
  if (!birthDate) return { ok: false, error: 'ngày sinh không hợp lệ (DDMMYYYY) / the date of birth is not a valid DDMMYYYY date' };
  const sex = parseSex(sexText);
  if (!sex) return { ok: false, error: 'giới tính phải là Nam hoặc Nữ / sex must be Nam or Nữ' };
  const issueDate = parseDdMmYyyy(issue);
  if (!issueDate) return { ok: false, error: 'ngày cấp không hợp lệ (DDMMYYYY) / the issue date is not a valid DDMMYYYY date' };
  if (issueDate < birthDate) return { ok: false, error: 'ngày cấp trước ngày sinh / the issue date is before the date of birth' };
  const year = Number(birthDate.slice(0, 4));
  if (number.value.birthYear !== year) {
    return { ok: false, error: 'năm sinh trong số CCCD không khớp ngày sinh / the birth year in the number does not match the date of birth' };
  }
  if (number.value.sex !== sex) {
    return { ok: false, error: 'mã giới tính trong số CCCD không khớp giới tính / the sex digit in the number does not match the sex' };
  }
  return { ok: true, value: { id, oldId: oldId === '' ? null : oldId, name, birthDate, sex, address, issueDate } };
}

export interface CccdScannerEvents {
  /** A scan that parsed and cross-checked. */
  scan: CccdIdentity;
  /** A scan that did not: the reason only, never the text. */
  rejected: { error: string };
}

/**
 * A QR scanner in serial (virtual COM) mode: one CR/LF-terminated UTF-8 line per scan. Lines are
 * parsed and cross-checked here; only the masked number is logged.
 */
export class CccdScanner extends SerialDevice<Buffer> implements StationDevice {
  readonly name = 'cccdScanner' as const;
  readonly events = new TypedEmitter<CccdScannerEvents>();
  private readonly lineWaiters = new Set<(line: string) => void>();

  constructor(link: SerialLink, clock: Clock, log: Logger) {
    super(link, new LineAssembler(1024), clock, log);
  }

  /** A scanner says nothing until a card is shown: open means present. */
  async probe(): Promise<Record<string, unknown>> {
    await this.ensureOpen();
    return { path: this.link.path };
  }

  /**
   * The next scanned line as text, parsed or not (the technician's scanner test). Personal data:
   * the caller masks it. Rejects with DEVICE_ABORTED when the signal fires.
   */
  nextScan(signal: AbortSignal): Promise<string> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(abortError(signal));
        return;
      }
      const onLine = (line: string) => {
        signal.removeEventListener('abort', onAbort);
        resolve(line);
      };
      const onAbort = () => {
        this.lineWaiters.delete(onLine);
        reject(abortError(signal));
      };
      this.lineWaiters.add(onLine);
      signal.addEventListener('abort', onAbort, { once: true });
      this.ensureOpen().catch((err) => {
        this.lineWaiters.delete(onLine);
        signal.removeEventListener('abort', onAbort);
        reject(err);
      });
    });
  }

  protected override onFrame(line: Buffer): void {
    const text = line.toString('utf8');
    for (const w of [...this.lineWaiters]) {
      this.lineWaiters.delete(w);
      w(text);
    }
    const result = parseCccd(text);
    if (result.ok) {
      this.log.info({ cccdMasked: maskCccd(result.value.id) }, 'CCCD scanned');
      this.events.emit('scan', result.value);
    } else {
      this.log.info({ reason: result.error }, 'CCCD scan refused');
      this.events.emit('rejected', { error: result.error });
    }
  }

  async close(): Promise<void> {
    await this.closeLink();
  }
}

/** A scanner that "reads" whatever card the test or the simulator UI shows it. */
export class CccdScannerEmulator implements DeviceEmulator {
  private send: ((b: Uint8Array) => void) | undefined;

  attach(send: (bytes: Uint8Array) => void): void {
    this.send = send;
  }

  detach(): void {
    this.send = undefined;
  }

  receive(): void {}

  /** Sends one scan as the scanner would: the QR text then CR LF. */
  show(qrText: string): void {
    this.send?.(Buffer.from(`${qrText}\r\n`, 'utf8'));
  }
}

/** Turns a failed parse into the catalogue's error for flows that need an exception. */
export function cccdError(error: string): StationError {
  return new StationError('CCCD_INVALID', error);
}

/** Writes an identity back in the chip CCCD's QR layout, for consumers that take the scanner's line. */
export function formatCccdQr(identity: CccdIdentity): string {
  const ddmmyyyy = (iso: string) => `${iso.slice(8, 10)}${iso.slice(5, 7)}${iso.slice(0, 4)}`;
  return [identity.id, identity.oldId ?? '', identity.name, ddmmyyyy(identity.birthDate), identity.sex === 'male' ? 'Nam' : 'Nữ', identity.address, ddmmyyyy(identity.issueDate)].join('|');
}
