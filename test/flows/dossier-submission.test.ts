import t from 'tap';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { DocumentScanner } from '../../drivers/document-scanner.js';
import { PaperDesk } from '../../runtime/services/paper-desk.js';
import { PaperVault } from '../../runtime/services/paper-vault.js';
import { CryptoBox } from '../../runtime/link/crypto-box.js';
import type { RpcClient } from '../../runtime/flows/ports.js';
import { serviceStation, flowsDir } from '../fakes/service-station.js';
import type { ServiceStation } from '../fakes/service-station.js';
import { DossierDesk, loadProcedureDir } from '../../scripts/central-sim/dossier-desk.js';

/**
 * One page as SANE's test backend scans it (grid picture, 75 dpi, grey), read once from the real
 * scanimage when it is installed; the flow then runs on the virtual clock with those bytes.
 */
function testBackendPage(): Buffer {
  try {
    return execFileSync('scanimage', ['-d', 'test', '--format=pnm', '--mode', 'Gray', '--resolution', '75', '--test-picture', 'Grid']);
  } catch {
    return Buffer.concat([Buffer.from('P5\n4 4\n255\n'), Buffer.alloc(16, 200)]);
  }
}
const scannedPage = testBackendPage();

/** Lets real I/O (PDF, sealed files) finish between virtual-clock steps. */
async function settleIo(s: ServiceStation): Promise<void> {
  for (let i = 0; i < 2000 && s.screen().kind === 'lookup'; i++) {
    await new Promise((r) => setImmediate(r));
    await s.clock.advance(0);
  }
}

/** A station whose central is the simulator's real one-stop desk (same procedure files, same checks). */
async function station(): Promise<{ s: ServiceStation; desk: DossierDesk; keys: () => number; journaledBeforeIntake: boolean[]; vaultDir: string }> {
  const vaultDir = await mkdtemp(join(tmpdir(), 'dossier-papers-'));
  const central: RpcClient = { call: (service, params, options) => s.rpc.call(service, params, options) };
  const scanner = new DocumentScanner({ run: async () => scannedPage }, { device: 'test', dpi: 75 });
  const papers = new PaperDesk({ scanner, vault: new PaperVault(vaultDir, new CryptoBox(randomBytes(32))), rpc: central });
  const s: ServiceStation = await serviceStation({ papers });
  const desk = new DossierDesk({ ...loadProcedureDir(join(flowsDir, 'procedures')), stageMs: 3_600_000 });
  const journaledBeforeIntake: boolean[] = [];
  s.rpc.on('dossier-intake', (p) => {
    journaledBeforeIntake.push(s.records.of('dossier').some((r) => r['sessionId'] === p['submissionId']));
    return desk.intake(p, s.clock.now());
  });
  s.rpc.on('dossiers', (p) => desk.lookup(String(p['code']), s.clock.now()));
  s.rpc.on('dossier-attachment', (p) => desk.attachment(p));
  s.rpc.on('payment-status', (p) => ({ paymentId: p['paymentId'], status: 'paid', amount: p['amount'], bankRef: 'FT26330XYZ' }));
  let presses = 0;
  const press = s.press.bind(s);
  const type = s.type.bind(s);
  s.press = async (...keys) => { presses += keys.length; await press(...keys); };
  s.type = async (digits) => { presses += digits.length; await type(digits); };
  return { s, desk, keys: () => presses, journaledBeforeIntake, vaultDir };
}

/** Home → procedure → papers → consent → typed CCCD: the form's first field shows. */
async function begin(s: ServiceStation, procedureKey: string, cccd = '079085001234'): Promise<void> {
  await s.press('4', procedureKey, '1', '1');
  await s.clock.advance(0);
  t.equal(s.screen().stepId, 'identity');
  await s.type(cccd);
  await s.press('ok');
  t.equal(s.screen().stepId, 'form');
}

async function field(s: ServiceStation, expect: RegExp, ...keys: string[]): Promise<void> {
  t.match(s.screen().body?.[0] ?? '', expect, `field ${expect.source}`);
  for (const k of keys) {
    if (/^\d{2,}$/.test(k)) await s.type(k);
    else await s.press(k);
  }
}

/** Pays (the fake bank says paid at the first poll), lets submission and intake run. */
async function payAndSubmit(s: ServiceStation): Promise<void> {
  t.equal(s.screen().kind, 'pay');
  await s.clock.advance(2500);
  await s.clock.advance(0);
}

t.test('temporary residence (CT01) keypad only: refused values field by field, review, fee, code, receipt, lookup by QR', async (t) => {
  const { s, desk, keys, journaledBeforeIntake, vaultDir } = await station();
  const started = s.clock.now();
  await begin(s, '1');
  await field(s, /Kính gửi/, '1');
  await field(s, /1\. Họ, chữ đệm và tên/, 'ok');
  await field(s, /2\. Ngày, tháng, năm sinh/, '31021985', 'ok');
  t.match(s.text(), /Ngày này không có trên lịch/, 'an impossible date is refused with a reason');
  t.equal(s.screen().tone, 'caution');
  await field(s, /2\. Ngày, tháng, năm sinh/, '15061985', 'ok');
  await field(s, /3\. Giới tính/, 'ok');
  t.match(s.text(), /4\. Số định danh/, 'sex from the CCCD number kept with OK');
  t.match(s.text(), /Đã điền từ CCCD/);
  await field(s, /4\. Số định danh/, 'ok');
  await field(s, /5\. Số điện thoại/, '0123', 'ok');
  t.match(s.text(), /10 chữ số/, 'a wrong phone number is refused with a reason');
  await field(s, /5\. Số điện thoại/, '0912345678', 'ok');
  await field(s, /6\. Email/, 'ok');
  await field(s, /7\. Họ, chữ đệm và tên chủ hộ/, 'ok');
  await field(s, /8\. Mối quan hệ/, '6');
  await field(s, /9\. Số định danh cá nhân của chủ hộ/, '079158001234', 'ok');
  await field(s, /10\. Nội dung đề nghị/, '1');
  await field(s, /10\. Số nhà/, '12', 'ok');
  await field(s, /10\. Thời hạn/, '36', 'ok');
  t.match(s.text(), /ngoài khoảng/, 'a stay over 24 months is refused');
  await field(s, /10\. Thời hạn/, '12', 'ok');

  t.equal(s.screen().kind, 'confirm', 'the review shows every field');
  const rows = [...(s.screen().rows ?? [])];
  t.equal(rows.length, 5, 'five rows a page, so the smallest panel holds them');
  for (let i = 1; i < 3; i++) {
    await s.press('*');
    rows.push(...(s.screen().rows ?? []));
  }
  await s.press('*');
  t.equal(rows.length, 14, '13 asked fields and the fee over three pages, * turning them');
  t.match(rows.map((r) => r.value), ['Phường Bình Trưng', '(cán bộ gọi lại)', '15/06/1985', 'Nam', '079*******34', '091****678']);
  t.notOk(JSON.stringify(s.screen()).includes('079085001234'), 'the ID number is masked on screen');
  await s.press('3', 'ok');
  t.match(s.screen().body?.[0] ?? '', /2\. Ngày, tháng, năm sinh/, 'typing 3 on the review opens item 3');
  await s.press('*');
  await s.type('16061985');
  await s.press('ok');
  t.equal(s.screen().kind, 'confirm', 'back on the review after the change');
  t.equal(s.screen().rows?.[2]?.value, '16/06/1985');
  await s.press('ok');

  t.equal(s.screen().stepId, 'papers-scan', 'the papers the answers call for are scanned next');
  t.match(s.text(), /chỗ ở hợp pháp/);
  t.match(s.text(), /Đặt trang 1/);
  await s.press('ok');
  await settleIo(s);
  t.match(s.screen().preview, /^data:image\/jpeg;base64,/, 'the page just scanned is previewed');
  t.match(s.text(), /Đã quét 1 trang/);
  await s.press('ok');
  await settleIo(s);
  t.match(s.text(), /Đã quét 2 trang/);
  await s.press('1');
  await settleIo(s);
  t.match(s.text(), /Ý kiến đồng ý của chủ hộ/, 'a tenant also attaches the owner\'s consent');
  t.notOk(s.screen().preview, 'the previous paper\'s preview is not shown on the next one');
  await s.press('ok');
  await settleIo(s);
  await s.press('1');
  await settleIo(s);

  await payAndSubmit(s);
  t.equal(s.screen().stepId, 'receipt-screen');
  t.match(s.text(), /Mã hồ sơ: 000\.00\.00\.H29-261125-0001/);
  t.match(s.text(), /Ngày hẹn trả kết quả: 30\/11\/2026|Ngày hẹn trả kết quả: 0?\d\/1[12]\/2026/);
  const dossier = s.records.of('dossier')[0] as Record<string, unknown>;
  t.match(dossier, { procedure: 'temporary-residence', fee: 7000, values: { stayMonths: '12', headRelation: 'tenant', birthDate: '1985-06-16' } });
  t.same(journaledBeforeIntake, [true], 'central was asked for the code only after the dossier was journaled');
  t.same(desk.filed().map((f) => f.code), ['000.00.00.H29-261125-0001']);
  t.same(desk.filed()[0]?.papers, ['lodging-proof', 'head-consent'], 'the code was issued with both papers complete at central');
  t.equal(desk.paper(String(dossier['sessionId']), 'lodging-proof')?.bytes.subarray(0, 5).toString(), '%PDF-', 'central holds the paper as one PDF');
  t.same(await readdir(vaultDir), [], 'released from the station once central confirmed each paper complete');
  await s.press('ok');
  await s.clock.advance(0);
  const receipt = s.printed[0] ?? [];
  t.ok(receipt.some((l) => l.qr === '000.00.00.H29-261125-0001'), 'the receipt carries the code as a QR');
  t.ok(receipt.some((l) => /Lệ phí đã nộp: 7\.000 ₫/.test(l.text ?? '')));
  t.comment(`temporary residence: ${keys()} key presses, ${(s.clock.now() - started) / 1000} s on the station clock`);

  await s.press('home', '3');
  s.session.input({ type: 'scan', text: '000.00.00.H29-261125-0001' });
  await s.clock.advance(0);
  t.equal(s.screen().stepId, 'status', 'the printed QR is accepted by the lookup');
  t.match(s.text(), /Đã tiếp nhận/);
  await s.press('home');
  await s.clock.advance(3_600_000);
  await s.press('3');
  s.session.input({ type: 'scan', text: '000.00.00.H29-261125-0001' });
  await s.clock.advance(0);
  t.match(s.text(), /Đang giải quyết/, 'the dossier moves on at central');
  await s.stop();
});

t.test('judicial record: an exempt resident pays nothing, extra copies are charged otherwise', async (t) => {
  const { s, keys } = await station();
  await begin(s, '2');
  await field(s, /1\. Họ và tên/, 'ok');
  await field(s, /2\. Giới tính/, 'ok');
  await field(s, /3\. Ngày/, '01011950', 'ok');
  await field(s, /4\. Nơi sinh/, '9', '0', '1');
  await field(s, /5\. Quốc tịch/, '1');
  await field(s, /6\. Nơi thường trú/, '1');
  await field(s, /8\. Số CCCD/, 'ok');
  await field(s, /9\. Họ và tên cha/, 'ok');
  await field(s, /10\. Họ và tên mẹ/, 'ok');
  await field(s, /Số điện thoại/, '0912345678', 'ok');
  await field(s, /Loại phiếu/, '1');
  await field(s, /Số lượng phiếu/, '3', 'ok');
  await field(s, /Mục đích/, '1');
  await field(s, /Đối tượng nộp phí/, '3');
  t.equal(s.screen().kind, 'confirm');
  await s.press('*', '*');
  t.match(s.text(), /Lệ phí: Miễn phí/);
  await s.press('ok');
  t.match(s.text(), /chứng minh thuộc đối tượng/, 'an exempt resident attaches the proof');
  await s.press('ok');
  await settleIo(s);
  await s.press('1');
  await settleIo(s);
  t.equal(s.screen().stepId, 'receipt-screen', 'no QR to pay when the fee is 0');
  t.match(s.records.of('dossier')[0], { procedure: 'judicial-record', fee: 0, values: { birthProvince: 'ho-chi-minh', feeCase: 'exempt', copies: '3' } });
  t.equal(s.payments.list().length, 0);
  t.comment(`judicial record (exempt): ${keys()} key presses to the receipt screen`);
  await s.stop();
});

t.test('a form central would refuse is never sent: the review sends the resident to the field', async (t) => {
  const desk = new DossierDesk({ ...loadProcedureDir(join(flowsDir, 'procedures')) });
  t.throws(() => desk.intake({ submissionId: 'abcdefgh-1', procedure: 'temporary-residence', values: { phone: '0123' } }, Date.UTC(2026, 10, 25)),
    /Tờ khai không hợp lệ: recipient \(required\).*phone \(phone\)/);
  t.throws(() => desk.intake({ submissionId: 'abcdefgh-2', procedure: 'judicial-record', values: {
    fullName: 'A', sex: 'male', birthDate: '1990-01-01', birthProvince: 'ho-chi-minh', nationality: 'VN', residenceWard: 'binh-trung',
    personalId: '079090001234', fatherName: 'B', motherName: 'C', phone: '0912345678', certificateType: '1', copies: '2', purpose: 'work', feeCase: 'standard',
  } }, Date.UTC(2026, 10, 25)), /Chưa nộp lệ phí 200000/, 'a fee-bearing dossier without a payment is refused');
});

t.test('birth registration: the mother declares, marriage adds the other parent and the marriage certificate, no fee', async (t) => {
  const { s, desk, keys } = await station();
  await begin(s, '3', '079190001234');
  await field(s, /Kính gửi/, '1');
  await field(s, /Họ, chữ đệm, tên người yêu cầu/, 'ok');
  await field(s, /Số định danh cá nhân người yêu cầu/, 'ok');
  await field(s, /Quan hệ/, '1');
  await field(s, /Số điện thoại/, '0912345678', 'ok');
  await field(s, /người được khai sinh/, 'ok');
  await field(s, /Ngày, tháng, năm sinh/, '01122026', 'ok');
  t.match(s.text(), /Ngày này chưa tới/, 'a birth date still to come is refused');
  await field(s, /Ngày, tháng, năm sinh/, '20112026', 'ok');
  await field(s, /Giới tính/, '2');
  await field(s, /Nơi sinh/, '1');
  await field(s, /Dân tộc/, '1');
  await field(s, /Quê quán/, '1');
  await field(s, /đã đăng ký kết hôn/, '1');
  await field(s, /cha\/mẹ còn lại/, 'ok');
  await field(s, /Số định danh cá nhân của cha\/mẹ còn lại/, '079090001234', 'ok');
  t.equal(s.screen().kind, 'confirm');
  await s.press('ok');
  t.match(s.text(), /Giấy chứng sinh/);
  await s.press('ok');
  await settleIo(s);
  await s.press('1');
  await settleIo(s);
  t.match(s.text(), /Giấy chứng nhận kết hôn/);
  await s.press('ok');
  await settleIo(s);
  await s.press('1');
  await settleIo(s);
  await s.clock.advance(0);
  t.equal(s.screen().stepId, 'receipt-screen');
  t.same(desk.filed()[0]?.papers, ['birth-certificate', 'marriage-certificate']);
  t.match(desk.filed()[0]?.values, { declarantRelation: 'mother', married: 'yes', otherParentId: '079090001234', childBirthDate: '2026-11-20' });
  t.comment(`birth registration: ${keys()} key presses to the receipt screen`);
  await s.stop();
});

t.test('CCCD renewal: the appointment is booked on a coming date, the replacement fee is paid, no paper needed', async (t) => {
  const { s, desk, keys } = await station();
  const started = s.clock.now();
  await begin(s, '4');
  await field(s, /1\. Họ, chữ đệm và tên khai sinh/, 'ok');
  await field(s, /3\. Ngày, tháng, năm sinh/, '15061985', 'ok');
  await field(s, /4\. Giới tính/, 'ok');
  await field(s, /5\. Số định danh/, 'ok');
  await field(s, /Nơi thường trú/, '1');
  await field(s, /Số điện thoại/, '0912345678', 'ok');
  await field(s, /Nội dung đề nghị/, '3');
  await field(s, /Công an phường đến làm thủ tục/, '1');
  await field(s, /Ngày hẹn/, '20112026', 'ok');
  t.match(s.text(), /Ngày này đã qua/, 'an appointment in the past is refused');
  await field(s, /Ngày hẹn/, '01122026', 'ok');
  await field(s, /Buổi hẹn/, '1');
  await s.press('*', '*');
  t.match(s.text(), /Lệ phí: 70\.000 ₫/);
  await s.press('ok');
  await s.clock.advance(0);
  await payAndSubmit(s);
  t.equal(s.screen().stepId, 'receipt-screen');
  t.match(desk.filed()[0], { procedure: 'cccd-renewal', fee: 70000, papers: [], values: { request: 'replace', appointmentDate: '2026-12-01', appointmentSlot: 'morning' } });
  t.comment(`CCCD renewal: ${keys()} key presses, ${(s.clock.now() - started) / 1000} s on the station clock to the receipt screen`);
  await s.stop();
});
