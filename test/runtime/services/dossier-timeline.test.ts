import t from 'tap';
import { dossierStatuses, dossierTimelineRows } from '../../../runtime/services/dossier-timeline.js';

t.test('a dossier waiting for documents says what to do, when it is due, and its history', async (t) => {
  const rows = dossierTimelineRows({
    code: '000.00.00.H29-260106-0001', procedure: 'Đăng ký tạm trú', status: 'supplement-needed', dueAt: '2026-01-13',
    events: [
      { status: 'processing', at: '2026-01-07T09:00:00+07:00' },
      { status: 'received', at: '2026-01-06T08:30:00+07:00' },
      { status: 'supplement-needed', at: '2026-01-08T10:00:00+07:00', note: 'Thiếu hợp đồng thuê nhà' },
    ],
  }, 'vi');
  t.same(rows.map((r) => [r.label, r.value]), [
    ['Thủ tục', 'Đăng ký tạm trú'],
    ['Tình trạng', 'Cần bổ sung giấy tờ'],
    ['Việc cần làm', 'Cần nộp thêm giấy tờ tại bộ phận một cửa hoặc trên Cổng dịch vụ công.'],
    ['Ngày hẹn trả', '13/01/2026'],
    ['06/01/2026', 'Đã tiếp nhận hồ sơ'],
    ['07/01/2026', 'Đang giải quyết'],
    ['08/01/2026', 'Cần bổ sung giấy tờ — Thiếu hợp đồng thuê nhà'],
  ]);
  t.equal(rows[1]!.tone, 'warning');
});

t.test('fee due shows the amount; finished dossiers show no due date', async (t) => {
  const fee = dossierTimelineRows({ status: 'fee-due', feeDue: 200000, dueAt: '2026-02-01', events: [] }, 'en');
  t.same(fee.map((r) => r.value), ['Fee to pay', 'Pay the fee so the office can continue.', '01/02/2026', '200.000 ₫']);
  const done = dossierTimelineRows({ status: 'result-returned', dueAt: '2026-02-01', events: [] }, 'en');
  t.same(done.map((r) => r.value), ['Result handed over', 'This application is complete.']);
  t.equal(done[0]!.tone, 'good');
});

t.test('every status has a plain label in both languages', async (t) => {
  for (const status of dossierStatuses) {
    for (const locale of ['vi', 'en'] as const) {
      const rows = dossierTimelineRows({ status, events: [] }, locale);
      t.ok(rows[0]!.value.length > 3 && rows[1]!.value.length > 10, `${status} ${locale}`);
    }
  }
  t.equal(dossierTimelineRows({ status: 'refused', events: [] }, 'vi')[0]!.tone, 'danger');
});

t.test('an answer central should not have sent is shown as unknown, never guessed', async (t) => {
  for (const bad of [null, {}, { status: 'approved-ish' }, 'text']) {
    const rows = dossierTimelineRows(bad, 'vi');
    t.equal(rows[0]!.value, 'Chưa rõ tình trạng');
  }
  const rows = dossierTimelineRows({ status: 'processing', events: [{ status: 'bogus', at: '2026-01-01' }, null] }, 'vi');
  t.equal(rows.length, 2, 'unknown history entries are dropped');
});

t.test('an answer without history shows the filing date and the current status with its note', async (t) => {
  const rows = dossierTimelineRows({
    code: '000.00.00.H29-261118-0103', procedure: 'Cấp giấy phép xây dựng nhà ở riêng lẻ', agency: 'UBND TP Thủ Đức',
    status: 'supplement-needed', receivedAt: '2026-11-18', dueAt: '2026-12-03', note: 'Bổ sung bản vẽ mặt bằng có chữ ký chủ đầu tư',
  }, 'vi');
  t.same(rows.slice(-2).map((r) => [r.label, r.value]), [
    ['18/11/2026', 'Đã tiếp nhận hồ sơ'],
    ['Hiện tại', 'Cần bổ sung giấy tờ — Bổ sung bản vẽ mặt bằng có chữ ký chủ đầu tư'],
  ]);
  const returned = dossierTimelineRows({ status: 'returned', receivedAt: '2026-11-10' }, 'en');
  t.equal(returned[0]!.value, 'Result handed over', '`returned` is read as result-returned');
  const fee = dossierTimelineRows({ status: 'fee-due', fee: 50000, receivedAt: '2026-11-20' }, 'vi');
  t.ok(fee.some((r) => r.value === '50.000 ₫'));
});
