/**
 * The report as plain-text tables for a terminal (SSH session, ward office PC). Vietnamese labels;
 * the numbers are the model's, formatted exactly as the SVG shows them.
 */
import type { RatingSummary, ReportModel, ServiceSummary, Totals } from './model.js';
import { ratingValues, serviceLabel, sexLabels, weekdayLabels } from './model.js';
import { deviceFailedFigure, deviceFailureTitle, deviceFailureTotalLabel, outcomeFigures, withCccdFigure } from './figures.js';

/** Seconds as `m:ss` (a session rarely exceeds an hour); `-` when unknown. */
export function formatSeconds(s: number | null): string {
  if (s === null) return '-';
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export function formatPct(n: number): string {
  return `${n}%`;
}

/** A mean rating with one decimal and the Vietnamese decimal comma (`4,2`); `-` without answers. */
export function formatRating(mean: number | null): string {
  return mean === null ? '-' : mean.toFixed(1).replace('.', ',');
}

/** What the ratings of a row leave out: a service whose days all predate ratings, or some of its sessions. */
export function ratingNote(r: RatingSummary | null): string {
  if (r === null) return 'chưa ghi nhận đánh giá';
  return r.sessionsWithoutRatings > 0 ? `không tính ${r.sessionsWithoutRatings} lượt của ngày chưa ghi nhận đánh giá` : '';
}

function width(text: string): number {
  // Labels are NFC, so each Vietnamese letter (even with two marks, e.g. ệ) is one code point.
  return [...text.normalize('NFC')].length;
}

function pad(text: string, w: number, right: boolean): string {
  const fill = ' '.repeat(Math.max(0, w - width(text)));
  return right ? fill + text : text + fill;
}

/** A table with the first column (and those in `leftColumns`, e.g. a note) left-aligned and the others right-aligned. */
export function textTable(header: string[], rows: string[][], leftColumns: readonly number[] = []): string {
  const widths = header.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: string[]) => cells.map((c, i) => pad(c, widths[i]!, i > 0 && !leftColumns.includes(i))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The outcome figures and the runs that met a device failure, as ./figures.ts defines them. */
const countFigures = [...outcomeFigures, deviceFailedFigure];

function outcomeCells(t: Totals): string[] {
  return countFigures.map((f) => String(t[f.key]));
}

const outcomeHeader = countFigures.map((f) => f.label);

/** A service as the report names it everywhere: the label its summary row carries. */
export function serviceName(model: ReportModel, service: string): string {
  return model.services.find((s) => s.service === service)?.label ?? serviceLabel(service);
}

/** A station as the report names it: where it stands, with its id when the two differ. */
export function siteName(s: { site: string; name: string }): string {
  return s.name === s.site ? s.site : `${s.name} (${s.site})`;
}

/**
 * A ratings row: `-` in every figure when nothing was recorded, so "no ratings recorded" never reads
 * as "0 answers"; the note says which it is.
 */
function ratingRow(label: string, r: RatingSummary | null): string[] {
  const figures = r === null
    ? new Array<string>(ratingValues.length + 3).fill('-')
    : [String(r.answered), ...ratingValues.map((v) => String(r.distribution[v])), formatRating(r.mean), String(r.unanswered)];
  return [label, ...figures, ratingNote(r)];
}

function serviceRow(s: ServiceSummary): string[] {
  return [s.label, ...outcomeCells(s), formatPct(s.completionPct), formatSeconds(s.duration.p50S), formatSeconds(s.duration.p90S)];
}

export function renderTable(model: ReportModel): string {
  const out: string[] = [];
  out.push('BÁO CÁO SỬ DỤNG TRẠM CÔNG DÂN SỐ');
  out.push(`Khoảng thời gian: ${model.from ?? '-'} → ${model.to ?? '-'} (${model.days} ngày có dữ liệu)`);
  out.push(`Múi giờ: ${model.timeZone}`);
  out.push(`Trạm: ${model.sites.map(siteName).join(', ') || '-'}`);
  out.push('');
  out.push('TỔNG QUAN');
  out.push(textTable(['', ...outcomeHeader, withCccdFigure.label], [['Tất cả dịch vụ', ...outcomeCells(model.totals), String(model.totals.withCccd)]]));
  out.push('');
  out.push('THEO DỊCH VỤ (thời gian: lượt hoàn tất, trung vị và 90%, phút:giây)');
  out.push(textTable(['Dịch vụ', ...outcomeHeader, 'Tỉ lệ hoàn tất', 'TG trung vị', 'TG 90%'], model.services.map(serviceRow)));
  out.push('');
  out.push('ĐÁNH GIÁ CỦA NGƯỜI DÂN (câu hỏi 1–5 sau dịch vụ: số lượt trả lời theo điểm, điểm trung bình)');
  out.push(textTable(
    ['Dịch vụ', 'Trả lời', ...ratingValues, 'Điểm TB', 'Không trả lời', 'Ghi chú'],
    [ratingRow('Tất cả dịch vụ', model.ratings), ...model.services.map((s) => ratingRow(s.label, s.ratings))],
    [ratingValues.length + 4],
  ));
  out.push('');
  out.push('LƯỢT SỬ DỤNG THEO THỨ VÀ GIỜ (giờ bắt đầu)');
  const hours = Array.from({ length: 24 }, (_, h) => String(h).padStart(2, '0'));
  out.push(textTable(['Thứ', ...hours, 'Tổng'], model.heatmap.map((row, d) => [weekdayLabels[d]!, ...row.map(String), String(row.reduce((a, b) => a + b, 0))])));
  for (const s of model.services) {
    out.push('');
    out.push(`PHỄU: ${s.label} (${s.sessions} lượt)`);
    out.push(textTable(['Bước', 'Đến bước', 'Bỏ dở tại bước', 'Lỗi tại bước', 'TG TB'], s.funnel.map((f) => [
      f.label, String(f.reached), String(f.abandoned), String(f.failed), formatSeconds(f.meanS),
    ])));
  }
  out.push('');
  out.push('DỊCH VỤ THEO NHÓM TUỔI (lượt có quét CCCD)');
  const services = model.services.filter((s) => s.withCccd > 0);
  out.push(textTable(
    ['Nhóm tuổi', ...model.sexes.map((s) => sexLabels[s] ?? s), 'Tổng', ...services.map((s) => s.label)],
    model.ageBands.map((b) => [b.band, ...model.sexes.map((s) => String(b.sexes[s] ?? 0)), String(b.total), ...services.map((s) => String(b.services[s.service] ?? 0))]),
  ));
  out.push('');
  out.push(deviceFailureTitle.toUpperCase());
  out.push(model.deviceFailures.length === 0 ? 'Không có' : textTable(['Dịch vụ', 'Bước', 'Số lượt'], [
    ...model.deviceFailures.map((f) => [serviceName(model, f.service), f.label, String(f.count)]),
    [deviceFailureTotalLabel, '', String(model.totals.deviceFailed)],
  ], [1]));
  if (model.sites.length > 1) {
    out.push('');
    out.push('SO SÁNH CÁC TRẠM');
    out.push(textTable(['Trạm', 'Ngày', ...outcomeHeader, 'Tỉ lệ hoàn tất', 'Dịch vụ nhiều nhất', 'Giờ cao điểm'], model.sites.map((s) => [
      siteName(s), String(s.days), ...outcomeCells(s), formatPct(s.completionPct), s.topService ? serviceName(model, s.topService) : '-',
      s.peakHour === null ? '-' : `${String(s.peakHour).padStart(2, '0')}:00`,
    ])));
  }
  return out.join('\n') + '\n';
}
