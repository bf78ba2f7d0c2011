import t from 'tap';
import { residentCccd, serviceStation } from '../fakes/service-station.js';
import type { ServiceStation } from '../fakes/service-station.js';
import { parseVietQr } from '../../runtime/services/vietqr.js';

/** Consent (1 = agree), then the 12 CCCD digits typed on the keypad. */
async function agreeAndIdentify(s: ServiceStation): Promise<void> {
  t.equal(s.screen().kind, 'consent', `consent before identity (${s.screen().stepId})`);
  await s.press('1');
  await s.clock.advance(0);
  t.equal(s.screen().kind, 'identity');
  await s.type(residentCccd);
  await s.press('ok');
}

t.test('telehealth appointment: hospital, specialty and slot from central, identity, confirmation code', async (t) => {
  const s = await serviceStation();
  s.rpc.on('hospitals', () => [
    { id: 'bv-le-van-thinh', name: 'Bệnh viện Lê Văn Thịnh', district: 'P. Bình Trưng', specialties: [{ id: 'noi-tong-quat', name: 'Nội tổng quát' }, { id: 'tim-mach', name: 'Tim mạch' }] },
    { id: 'bv-cho-ray', name: 'Bệnh viện Chợ Rẫy', district: 'Q.5', specialties: [{ id: 'than-kinh', name: 'Thần kinh' }] },
  ]);
  s.rpc.on('telehealth-slots', (p) => (p['specialty'] === 'tim-mach'
    ? { slots: [{ slotId: 'bv-le-van-thinh-tim-mach-2026-11-26-08:00', date: '2026-11-26', time: '08:00', doctor: 'BS. CKI Phạm Thu Hà' }, { slotId: 's2', date: '2026-11-26', time: '08:30' }] }
    : { slots: [] }));
  await s.press('2');
  t.equal(s.screen().stepId, 'hospital');
  t.match(s.text(), /1\. Bệnh viện Lê Văn Thịnh/);
  t.match(s.text(), /2\. Bệnh viện Chợ Rẫy/);
  await s.press('1');
  t.equal(s.screen().stepId, 'specialty');
  await s.press('1');
  t.equal(s.screen().stepId, 'no-slot', 'no free slot in that specialty');
  await s.press('1');
  t.equal(s.screen().stepId, 'specialty');
  await s.press('2');
  t.same(s.rpc.calls.at(-1), { service: 'telehealth-slots', params: { hospitalId: 'bv-le-van-thinh', specialty: 'tim-mach' } });
  t.equal(s.screen().stepId, 'slot');
  t.match(s.text(), /1\. 08:00 · 26\/11\/2026/);
  await s.press('1');
  await agreeAndIdentify(s);
  t.equal(s.screen().stepId, 'phone');
  await s.type('0903123456');
  await s.press('ok');
  t.equal(s.screen().stepId, 'check');
  t.match(s.text(), /Tim mạch/);
  t.match(s.text(), /079•+34/, 'identity masked');
  t.notMatch(s.text(), new RegExp(residentCccd));
  await s.press('1');
  await s.clock.advance(0);
  t.equal(s.screen().stepId, 'booked');
  const appt = s.records.records.find((r) => r.kind === 'appointment')!;
  t.match(appt.payload, { hospitalId: 'bv-le-van-thinh', specialtyId: 'tim-mach', slotId: 'bv-le-van-thinh-tim-mach-2026-11-26-08:00', cccd: residentCccd, phone: '0903123456' });
  t.equal(appt.options?.personal, true);
  const [, boot, seq] = appt.eventId.split(':');
  t.match(s.text(), `${boot}-${seq!.padStart(4, '0')}`, 'the confirmation code is shown, without the station id');
  t.notMatch(s.text(), appt.eventId, 'the internal event id is not');
  t.ok(s.records.records.some((r) => r.kind === 'consent'), 'a consent receipt was journaled');
  await s.stop();
});

t.test('dossier status lookup: scanned code, plain-language timeline; bad and unknown codes', async (t) => {
  const s = await serviceStation();
  s.rpc.on('dossiers', (p) => (p['code'] === '000.00.00.H29-261118-0103'
    ? { code: p['code'], procedure: 'Cấp giấy phép xây dựng nhà ở riêng lẻ', agency: 'UBND TP Thủ Đức', status: 'supplement-needed', receivedAt: '2026-11-18', dueAt: '2026-12-03', note: 'Bổ sung bản vẽ mặt bằng' }
    : { status: null }));
  await s.press('3');
  t.equal(s.screen().stepId, 'code');
  // The appointment slip's QR on the scanner (letters and dots cannot come from the keypad).
  s.session.input({ type: 'scan', text: '000.00.00.H29-261118-0103' });
  await s.clock.advance(0);
  t.equal(s.screen().stepId, 'status');
  const text = s.text();
  t.match(text, /Cần bổ sung giấy tờ/);
  t.match(text, /Ngày hẹn trả: 03\/12\/2026/);
  t.match(text, /Bổ sung bản vẽ mặt bằng/);
  await s.press('1');
  t.equal(s.screen().stepId, 'code');
  s.session.input({ type: 'scan', text: '000.00.00.H29-260101-9999' });
  await s.clock.advance(0);
  t.equal(s.screen().stepId, 'not-found');
  await s.press('1');
  const before = s.rpc.calls.length;
  for (let i = 0; i < 3; i++) {
    await s.type('12345');
    await s.press('ok');
  }
  t.equal(s.screen().stepId, 'input-failed', 'three malformed codes end the lookup');
  t.equal(s.rpc.calls.length, before, 'malformed codes never reach central');

  // Keypad only: the code's digits in order stand for 000.00.00.H29-261118-0103.
  await s.press('home', '3');
  await s.type('0000000' + '29' + '261118' + '0103');
  await s.press('ok');
  t.same(s.rpc.calls.at(-1), { service: 'dossiers', params: { code: '000.00.00.H29-261118-0103' } });
  t.equal(s.screen().stepId, 'status');
  await s.stop();
});

// Dossier submission end to end (form, fee, code, receipt, lookup): test/flows/dossier-submission.test.ts.

t.test('dossier submission: declining consent sends nothing', async (t) => {
  const s = await serviceStation();
  await s.press('4', '2', '1');
  t.equal(s.screen().kind, 'consent');
  await s.press('2');
  await s.clock.advance(0);
  t.same(s.records.records.filter((r) => r.kind === 'dossier'), []);
  t.equal(s.screen().stepId, 'declined');
  await s.stop();
});

t.test('security report: place prefilled from the station, urgent travels with priority, phone optional', async (t) => {
  const s = await serviceStation();
  await s.press('6');
  await s.press('1');
  t.equal(s.screen().stepId, 'place');
  t.match(s.text(), /Tháp Bahamas, Sảnh tầng trệt/);
  await s.press('1');
  await s.press('1');
  t.equal(s.screen().stepId, 'phone-urgent');
  await s.press('ok');
  t.equal(s.screen().stepId, 'check-urgent');
  await s.press('1');
  await s.clock.advance(0);
  t.equal(s.screen().stepId, 'sent');
  const rec = s.records.records.find((r) => r.kind === 'report')!;
  t.match(rec.payload, { category: 'theft', where: 'here', urgent: true, building: 'Tháp Bahamas', floor: 'Sảnh tầng trệt', ward: 'Bình Trưng' });
  t.equal(rec.options?.priority, true);
  t.match(s.text(), /113/);

  await s.press('home');
  await s.press('6', '2', '2', '2');
  await s.type('0987654321');
  await s.press('ok', 'ok');
  await s.clock.advance(0);
  const normal = s.records.records.filter((r) => r.kind === 'report')[1]!;
  t.match(normal.payload, { category: 'disturbance', where: 'building', urgent: false, phone: '0987654321' });
  t.notOk(normal.options?.priority);
  await s.stop();
});

t.test('security report: a full journal says the report was not saved and to call 113', async (t) => {
  const s = await serviceStation();
  await s.press('6', '3', '1', '2', 'ok');
  s.records.full = true;
  await s.press('ok');
  await s.clock.advance(0);
  t.equal(s.screen().stepId, 'not-sent');
  t.match(s.text(), /113/);
  await s.stop();
});

t.test('BHYT registration: identity, household, term, quote, registration record, VietQR payment', async (t) => {
  const s = await serviceStation();
  s.rpc.on('bhyt-quote', (p) => ({ baseSalary: 2_340_000, months: p['months'], total: p['members'] === 3 && p['months'] === 12 ? 2_906_280 : 1 }));
  const paid = new Set<string>();
  s.rpc.on('payment-status', (p) => ({ status: paid.has(p['paymentId'] as string) ? 'paid' : 'pending', amount: p['amount'] }));
  await s.press('7', 'ok');
  await agreeAndIdentify(s);
  t.equal(s.screen().stepId, 'household');
  await s.press('3', '3');
  t.same(s.rpc.calls.find((c) => c.service === 'bhyt-quote')?.params, { members: 3, months: 12 });
  t.equal(s.screen().stepId, 'show-quote');
  t.match(s.text(), /2\.906\.280 ₫/);
  await s.press('1');
  await s.clock.advance(0);
  const reg = s.records.records.find((r) => r.kind === 'insurance')!;
  t.match(reg.payload, { scheme: 'bhyt-household', householdSize: 3, months: 12, amount: 2_906_280, cccd: residentCccd });
  t.equal(s.screen().kind, 'pay');
  const qr = parseVietQr(s.screen().qr?.payload ?? '');
  t.ok(qr.ok && qr.value.amount === 2_906_280);
  if (qr.ok) t.equal(qr.value.bill, reg.eventId.slice(0, 25), 'the registration is the bill reference');
  paid.add(s.payments.list()[0]!.paymentId);
  await s.clock.advance(2000);
  t.equal(s.screen().stepId, 'paid');
  t.match(s.text(), /VssID/);
  await s.stop();
});

t.test('BHXH lookup by CCCD or BHXH code, history paged with 4 and 6', async (t) => {
  const s = await serviceStation();
  const periods = Array.from({ length: 7 }, (_, i) => ({ from: `20${10 + i}-01`, to: `20${10 + i}-12`, months: 12, employer: `Công ty ${i + 1}`, salary: 5_000_000 + i * 500_000 }));
  s.rpc.on('bhxh', (p) => (p['cccd'] === residentCccd || p['bhxhCode'] === '7901234567'
    ? { bhxhCode: '7901234567', totalMonths: 84, periods }
    : { periods: [] }));
  await s.press('8', '1');
  t.equal(s.screen().stepId, 'by');
  await s.press('1');
  await s.type(residentCccd);
  await s.press('ok');
  t.equal(s.screen().stepId, 'history');
  t.match(s.text(), /84/);
  t.match(s.text(), /Công ty 1/);
  t.notMatch(s.text(), /Công ty 6/, 'five per page');
  await s.press('6');
  t.match(s.text(), /Công ty 6/);
  t.notMatch(s.text(), /Công ty 1 /);
  await s.press('4');
  t.match(s.text(), /Công ty 1/);

  await s.press('home');
  await s.press('8', '1', '2');
  await s.type('7901234567');
  await s.press('ok');
  t.same(s.rpc.calls.at(-1), { service: 'bhxh', params: { bhxhCode: '7901234567' } });
  t.equal(s.screen().stepId, 'history');

  await s.press('home');
  await s.press('8', '1', '2');
  await s.type('7900000000');
  await s.press('ok');
  t.equal(s.screen().stepId, 'not-found');
  await s.stop();
});

t.test('digital signature request: identity, phone, provider, submitted', async (t) => {
  const s = await serviceStation();
  await s.press('9');
  await agreeAndIdentify(s);
  await s.type('0356789012');
  await s.press('ok');
  t.equal(s.screen().stepId, 'provider');
  await s.press('2');
  t.match(s.text(), /Viettel-CA/, 'the provider by its name');
  t.notMatch(s.text(), /viettel-ca/, 'not by its id');
  await s.press('1');
  await s.clock.advance(0);
  t.equal(s.screen().stepId, 'sent');
  t.match(s.records.records.find((r) => r.kind === 'signature-request')?.payload, { provider: 'viettel-ca', cccd: residentCccd, phone: '0356789012' });
  await s.stop();
});

t.test('tourism and local notices: pages from the content bundle, turned with 4 and 6', async (t) => {
  const s = await serviceStation();
  await s.press('0');
  t.equal(s.screen().stepId, 'pages');
  t.match(s.text(), /Bấm 4, 6/, 'the first page says how to turn pages');
  await s.press('6');
  const first = s.text();
  t.match(first, /một cửa phường Bình Trưng/);
  await s.press('6');
  t.match(s.text(), /phòng cháy chữa cháy/);
  await s.press('4');
  t.equal(s.text(), first);
  await s.press('ok');
  t.equal(s.screen().stepId, 'done');
  await s.stop();
});

t.test('walking away mid-flow wipes the resident: no identity left on screen or in the session', async (t) => {
  const s = await serviceStation();
  await s.press('9');
  await agreeAndIdentify(s);
  await s.type('0356');
  await s.clock.advance(30 * 60_000);
  t.equal(s.screen().kind, 'home');
  const state = JSON.stringify(s.session.state());
  t.notMatch(state, new RegExp(residentCccd));
  t.notMatch(state, /0356/);
  await s.stop();
});
