/**
 * Fixture answers for the central simulator: what the city's services return for the lookups a
 * station makes. Values follow the real shapes (EVN HCMC customer codes `PE` + 11 digits, SAWACO
 * account numbers, HCMC dossier codes `000.00.00.H29-YYMMDD-NNNN`, 10-digit BHXH codes beginning with
 * the province code, BHYT household rates on the 2,340,000 VND base salary in force since 1 July 2024
 * (Decree 73/2024/ND-CP), 4.5% contribution and the 70/60/50/40% household reductions of Decree
 * 146/2018/ND-CP art. 7). Every customer code a resident types is digits only (the 12-key keypad has
 * no letters or dashes); the EVN `PE` prefix is added by the flow. The codes are listed for testers
 * in docs/services.md ("Simulator fixtures").
 *
 * A code central does not know is the error `NOT_FOUND` (see `FixtureError`); a known customer with
 * nothing to pay or a known insured person without contributions is an empty list instead.
 */

/** A refusal the simulator sends as `{ ok: false, error: { code, message } }` (NOT_FOUND, BAD_REQUEST, …). */
export class FixtureError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export const BILL_PROVIDERS = {
  evn: { name: 'Tổng công ty Điện lực TP.HCM (EVNHCMC)', service: 'Tiền điện' },
  sawaco: { name: 'Tổng công ty Cấp nước Sài Gòn (SAWACO)', service: 'Tiền nước' },
  internet: { name: 'VNPT TP.HCM', service: 'Cước Internet cáp quang' },
  tuition: { name: 'Trường THCS Bình Trưng Đông', service: 'Học phí' },
  building: { name: 'Ban quản lý chung cư Đảo Kim Cương', service: 'Phí quản lý chung cư' },
} as const;

export type BillProvider = keyof typeof BILL_PROVIDERS;

interface Bill {
  billId: string;
  period: string;
  amount: number;
  dueDate: string;
  detail: string;
}

interface Customer {
  provider: BillProvider;
  customerCode: string;
  customerName: string;
  address: string;
  bills: Bill[];
}

const ADDRESS = 'Căn hộ B2-12.05, Đảo Kim Cương, 19 Nguyễn Văn Giáp, P. Bình Trưng, TP.HCM';

/** Every bill customer the simulator knows (docs/services.md lists them for testers). */
export const BILL_CUSTOMERS: readonly Customer[] = [
  { provider: 'evn', customerCode: 'PE01000123456', customerName: 'NGUYỄN VĂN AN', address: ADDRESS, bills: [
    { billId: 'EVN-2611-0123456', period: '11/2026', amount: 1_284_350, dueDate: '2026-12-05', detail: '412 kWh, bậc 1–6, VAT 8%' },
  ] },
  { provider: 'evn', customerCode: 'PE01000654321', customerName: 'TRẦN THỊ BÌNH', address: ADDRESS, bills: [
    { billId: 'EVN-2610-0654321', period: '10/2026', amount: 612_900, dueDate: '2026-11-05', detail: '238 kWh' },
    { billId: 'EVN-2611-0654321', period: '11/2026', amount: 701_220, dueDate: '2026-12-05', detail: '265 kWh' },
  ] },
  { provider: 'sawaco', customerCode: '13012345678', customerName: 'NGUYỄN VĂN AN', address: ADDRESS, bills: [
    { billId: 'SWC-2611-13012345678', period: '11/2026', amount: 186_560, dueDate: '2026-12-10', detail: '16 m³, phí BVMT 10%' },
  ] },
  // A numeric payment code as printed on the monthly charge notice (the keypad has no letters).
  { provider: 'internet', customerCode: '2870654321', customerName: 'LÊ MINH CHÂU', address: ADDRESS, bills: [
    { billId: 'VNPT-2612-2870654321', period: '12/2026', amount: 245_000, dueDate: '2026-12-15', detail: 'Gói Home 2 – 300 Mbps' },
  ] },
  // The pupil's 10-digit id in the education database (mã định danh học sinh), here beginning with HCMC's province code 79.
  { provider: 'tuition', customerCode: '7912301142', customerName: 'NGUYỄN GIA HUY (lớp 7A3)', address: 'Trường THCS Bình Trưng Đông', bills: [
    { billId: 'HP-HK1-7912301142', period: 'Học kỳ I 2026–2027', amount: 1_350_000, dueDate: '2026-12-20', detail: 'Học phí + bán trú' },
  ] },
  // The management office's apartment code: block 02, floor 12, unit 05 (B2-12.05).
  { provider: 'building', customerCode: '021205', customerName: 'Căn hộ B2-12.05', address: ADDRESS, bills: [
    { billId: 'PQL-2611-021205', period: '11/2026', amount: 1_560_000, dueDate: '2026-12-10', detail: '96 m² × 16.250 đ/m²' },
  ] },
  // A known customer who has paid everything: an empty list, not NOT_FOUND.
  { provider: 'evn', customerCode: 'PE01000777888', customerName: 'PHẠM QUỐC CƯỜNG', address: ADDRESS, bills: [] },
];

export function bills(params: Record<string, unknown>) {
  const provider = String(params.provider ?? '') as BillProvider;
  const code = String(params.customerCode ?? '').trim().toUpperCase();
  if (!(provider in BILL_PROVIDERS)) throw new FixtureError('BAD_REQUEST', 'Nhà cung cấp không hợp lệ');
  const c = BILL_CUSTOMERS.find((x) => x.provider === provider && x.customerCode.toUpperCase() === code);
  if (!c) throw new FixtureError('NOT_FOUND', 'Không tìm thấy mã khách hàng');
  return {
    provider, providerName: BILL_PROVIDERS[provider].name, service: BILL_PROVIDERS[provider].service,
    customerCode: c.customerCode, customerName: c.customerName, address: c.address,
    bills: c.bills, total: c.bills.reduce((s, b) => s + b.amount, 0), currency: 'VND',
  };
}

export const DOSSIER_STATUSES = {
  received: 'Đã tiếp nhận',
  processing: 'Đang xử lý',
  'supplement-needed': 'Cần bổ sung hồ sơ',
  'fee-due': 'Chờ nộp phí, lệ phí',
  done: 'Đã có kết quả',
  returned: 'Đã trả kết quả',
  refused: 'Từ chối giải quyết',
  withdrawn: 'Đã rút hồ sơ',
} as const;

const DOSSIERS = [
  { code: '000.00.00.H29-260106-0001', procedure: 'Đăng ký thường trú', agency: 'Công an phường Bình Trưng', status: 'processing', receivedAt: '2026-01-06', dueAt: '2026-01-13' },
  { code: '000.00.00.H29-261104-0017', procedure: 'Cấp bản sao trích lục khai sinh', agency: 'UBND phường Bình Trưng', status: 'done', receivedAt: '2026-11-04', dueAt: '2026-11-05' },
  { code: '000.00.00.H29-261110-0042', procedure: 'Chứng thực bản sao từ bản chính', agency: 'UBND phường Bình Trưng', status: 'returned', receivedAt: '2026-11-10', dueAt: '2026-11-10' },
  { code: '000.00.00.H29-261118-0103', procedure: 'Cấp giấy phép xây dựng nhà ở riêng lẻ', agency: 'UBND TP Thủ Đức', status: 'supplement-needed', receivedAt: '2026-11-18', dueAt: '2026-12-03', note: 'Bổ sung bản vẽ mặt bằng có chữ ký chủ đầu tư' },
  { code: '000.00.00.H29-261120-0008', procedure: 'Đăng ký kết hôn', agency: 'UBND phường Bình Trưng', status: 'fee-due', receivedAt: '2026-11-20', dueAt: '2026-11-23', fee: 0 },
  { code: '000.00.00.H29-261012-0230', procedure: 'Xác nhận thông tin cư trú', agency: 'Công an phường Bình Trưng', status: 'received', receivedAt: '2026-10-12', dueAt: '2026-10-15' },
  { code: '000.00.00.H29-260930-0077', procedure: 'Đăng ký kinh doanh hộ cá thể', agency: 'UBND phường Bình Trưng', status: 'refused', receivedAt: '2026-09-30', dueAt: '2026-10-03', note: 'Ngành nghề không phù hợp quy hoạch' },
  { code: '000.00.00.H29-260815-0011', procedure: 'Đăng ký tạm trú', agency: 'Công an phường Bình Trưng', status: 'withdrawn', receivedAt: '2026-08-15', dueAt: '2026-08-18' },
] as const;

export function dossiers(params: Record<string, unknown>) {
  const code = String(params.code ?? '').trim();
  if (!/^\d{3}\.\d{2}\.\d{2}\.H\d{2}-\d{6}-\d{4}$/.test(code)) throw new FixtureError('BAD_REQUEST', 'Mã hồ sơ không đúng định dạng');
  const d = DOSSIERS.find((x) => x.code === code);
  if (!d) throw new FixtureError('NOT_FOUND', 'Không tìm thấy hồ sơ');
  return { ...d, statusLabel: DOSSIER_STATUSES[d.status] };
}

interface InsuredPerson {
  cccd: string;
  bhxhCode: string;
  name: string;
  periods: Array<{ from: string; to: string; employer: string; salary: number }>;
}

/**
 * People the BHXH lookup knows, by 12-digit CCCD and by 10-digit BHXH code (the number on the BHYT
 * card and the social insurance book; 79 = issued in Ho Chi Minh City). The second is a pupil insured
 * for health through school: a BHXH code but no contribution periods, i.e. an empty answer.
 */
export const INSURED: readonly InsuredPerson[] = [
  { cccd: '079085001234', bhxhCode: '7910012345', name: 'NGUYỄN VĂN AN', periods: [
    { from: '2019-03', to: '2021-06', employer: 'Công ty TNHH Điện tử Sài Gòn', salary: 6_200_000 },
    { from: '2021-07', to: '2024-12', employer: 'Công ty CP Logistics Cát Lái', salary: 9_800_000 },
    { from: '2025-01', to: '2026-10', employer: 'Công ty CP Logistics Cát Lái', salary: 11_500_000 },
  ] },
  { cccd: '079304005678', bhxhCode: '7920045678', name: 'TRẦN THỊ MAI', periods: [] },
];

function monthsBetween(from: string, to: string): number {
  const [fy, fm] = from.split('-').map(Number) as [number, number];
  const [ty, tm] = to.split('-').map(Number) as [number, number];
  return (ty - fy) * 12 + (tm - fm) + 1;
}

/**
 * BHXH history by `cccd` (12 digits) or `bhxhCode` (10 digits), with the 8% employee share of the
 * contribution salary (Law on Social Insurance 2014 art. 85).
 */
export function bhxh(params: Record<string, unknown>) {
  let person: InsuredPerson | undefined;
  if (params.cccd !== undefined) {
    const cccd = String(params.cccd);
    if (!/^\d{12}$/.test(cccd)) throw new FixtureError('BAD_REQUEST', 'Số CCCD phải có 12 chữ số');
    person = INSURED.find((p) => p.cccd === cccd);
  } else if (params.bhxhCode !== undefined) {
    const code = String(params.bhxhCode);
    if (!/^\d{10}$/.test(code)) throw new FixtureError('BAD_REQUEST', 'Mã số BHXH phải có 10 chữ số');
    person = INSURED.find((p) => p.bhxhCode === code);
  } else {
    throw new FixtureError('BAD_REQUEST', 'Cần số CCCD hoặc mã số BHXH');
  }
  if (!person) throw new FixtureError('NOT_FOUND', 'Không tìm thấy người tham gia BHXH');
  const rows = person.periods.map((p) => ({ ...p, months: monthsBetween(p.from, p.to), employeeShare: Math.round(p.salary * 0.08) }));
  return {
    bhxhCode: person.bhxhCode, totalMonths: rows.reduce((s, r) => s + r.months, 0),
    periods: rows, lastUpdated: '2026-11-01',
  };
}

export const HOSPITALS = [
  { id: 'bv-le-van-thinh', name: 'Bệnh viện Lê Văn Thịnh', district: 'P. Bình Trưng', specialties: ['noi-tong-quat', 'tim-mach', 'noi-tiet', 'nhi'] },
  { id: 'bv-cho-ray', name: 'Bệnh viện Chợ Rẫy', district: 'Q.5', specialties: ['tim-mach', 'than-kinh', 'noi-tiet'] },
  { id: 'bv-nhan-dan-115', name: 'Bệnh viện Nhân dân 115', district: 'Q.10', specialties: ['than-kinh', 'tim-mach', 'noi-tong-quat'] },
  { id: 'bv-dh-y-duoc', name: 'Bệnh viện Đại học Y Dược TP.HCM', district: 'Q.5', specialties: ['noi-tiet', 'nhi', 'noi-tong-quat'] },
];

export const SPECIALTIES: Record<string, string> = {
  'noi-tong-quat': 'Nội tổng quát', 'tim-mach': 'Tim mạch', 'noi-tiet': 'Nội tiết – Đái tháo đường',
  'than-kinh': 'Thần kinh', nhi: 'Nhi khoa',
};

export function hospitals() {
  return HOSPITALS.map((h) => ({ ...h, specialties: h.specialties.map((s) => ({ id: s, name: SPECIALTIES[s] })) }));
}

const DOCTORS = ['BS. CKI Phạm Thu Hà', 'ThS. BS Võ Quốc Bảo', 'BS. CKII Đặng Minh Tuấn'];

/** The day after `date` (YYYY-MM-DD). */
function nextDay(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/**
 * Free video-consultation slots (30 min, starting 07:30–11:00 and 13:30–16:00) on `from` (YYYY-MM-DD) and the
 * day after, soonest first. Which slots are already taken is deterministic per hospital, specialty
 * and day; taken slots are not returned (docs/services.md: free slots only).
 */
export function telehealthSlots(params: Record<string, unknown>) {
  const h = HOSPITALS.find((x) => x.id === params.hospitalId);
  if (!h) throw new FixtureError('NOT_FOUND', 'Không tìm thấy bệnh viện');
  const specialty = String(params.specialty ?? '');
  if (!h.specialties.includes(specialty)) throw new FixtureError('NOT_FOUND', 'Bệnh viện không có chuyên khoa này');
  const from = /^\d{4}-\d{2}-\d{2}$/.test(String(params.from ?? '')) ? String(params.from) : '2026-11-26';
  const slots: Array<{ slotId: string; date: string; time: string; doctor: string }> = [];
  for (const date of [from, nextDay(from)]) {
    const seed = [...`${h.id}${specialty}${date}`].reduce((s, ch) => (s * 31 + ch.charCodeAt(0)) >>> 0, 7);
    for (let i = 0; i < 14; i++) {
      // About one slot in four is already booked.
      if (((seed >> (i * 2)) & 3) === 0) continue;
      const minutes = 7 * 60 + 30 + i * 30 + (i >= 8 ? 120 : 0);
      const time = `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
      slots.push({ slotId: `${h.id}-${specialty}-${date}-${time}`, date, time, doctor: DOCTORS[i % 3]! });
    }
  }
  return { hospitalId: h.id, hospitalName: h.name, specialty, specialtyName: SPECIALTIES[specialty], slots };
}

const BASE_SALARY = 2_340_000;

/** BHYT household quote for `members` people, 12 months by default. */
export function bhytQuote(params: Record<string, unknown>) {
  const members = Number(params.members ?? 1);
  const months = Number(params.months ?? 12);
  if (!Number.isInteger(members) || members < 1 || members > 20) throw new FixtureError('BAD_REQUEST', 'Số thành viên không hợp lệ');
  if (![3, 6, 12].includes(months)) throw new FixtureError('BAD_REQUEST', 'Thời hạn chỉ 3, 6 hoặc 12 tháng');
  const first = BASE_SALARY * 0.045;
  const factors = [1, 0.7, 0.6, 0.5];
  const lines = Array.from({ length: members }, (_, i) => {
    const factor = factors[i] ?? 0.4;
    return { member: i + 1, factor, monthly: Math.round(first * factor), amount: Math.round(first * factor * months) };
  });
  return { baseSalary: BASE_SALARY, rate: 0.045, months, lines, total: lines.reduce((s, l) => s + l.amount, 0), currency: 'VND' };
}
