/**
 * The report as one standalone SVG a ward officer opens in a browser: a heat map of sessions by
 * weekday and hour, a funnel per service, residents' ratings per service, services by age band (and,
 * across stations, a comparison).
 * Every number is drawn as text from the same model as the table, and each carries a `data-key` so
 * the two can be checked against each other. Labels are Vietnamese with diacritics; the font list
 * names fonts that cover Vietnamese on Windows, Android and Linux.
 */
import type { RatingSummary, ReportModel } from './model.js';
import { ratingValues, sexLabels, weekdayLabels, weekdayShort } from './model.js';
import { formatPct, formatRating, formatSeconds, ratingNote, serviceName, siteName } from './render-table.js';
import { deviceFailureTitle, deviceFailureTotalLabel, totalsFigures } from './figures.js';

/** `label` broken at spaces into lines no wider than `width` px (a single long word stays whole). */
function wrap(label: string, width: number, size: number): string[] {
  const lines: string[] = [];
  for (const word of label.split(' ')) {
    const last = lines[lines.length - 1];
    if (last !== undefined && textWidth(`${last} ${word}`, size, true) <= width) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines;
}

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/**
 * A generous estimate of the width of `text` at `size` px: wide enough for the fallback fonts of
 * Windows, Android and Linux, so columns are laid out from their longest label and nothing is cut
 * (test/runtime/analytics/report-svg-layout.test.ts measures the result in Chromium).
 */
export function textWidth(text: string, size: number, bold = false): number {
  let em = 0;
  for (const c of text.normalize('NFC')) em += /[A-ZĐÂĂÊÔƠƯ]|[mwMW]/.test(c) ? 0.8 : /[il.,:;'|!() ]/.test(c) ? 0.32 : 0.6;
  return Math.ceil(em * size * (bold ? 1.08 : 1));
}

function widest(texts: string[], size: number, bold = false): number {
  return Math.max(0, ...texts.map((t) => textWidth(t, size, bold)));
}

const fontFamily = "'Be Vietnam Pro', 'Noto Sans', 'Segoe UI', Roboto, Arial, sans-serif";

/** White to deep blue; `f` in 0..1. */
function shade(f: number): string {
  const from = [247, 251, 255];
  const to = [8, 69, 148];
  const c = from.map((v, i) => Math.round(v + (to[i]! - v) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

interface TextOptions {
  size?: number;
  anchor?: 'start' | 'middle' | 'end';
  weight?: 'bold' | 'normal';
  fill?: string;
  key?: string;
}

function text(x: number, y: number, content: string, o: TextOptions = {}): string {
  const attrs = [`x="${Math.round(x * 10) / 10}"`, `y="${Math.round(y * 10) / 10}"`];
  if (o.size) attrs.push(`font-size="${o.size}"`);
  if (o.anchor && o.anchor !== 'start') attrs.push(`text-anchor="${o.anchor}"`);
  if (o.weight === 'bold') attrs.push('font-weight="bold"');
  if (o.fill) attrs.push(`fill="${o.fill}"`);
  if (o.key) attrs.push(`data-key="${escapeXml(o.key)}"`);
  return `<text ${attrs.join(' ')}>${escapeXml(content)}</text>`;
}

function rect(x: number, y: number, w: number, h: number, fill: string, extra = ''): string {
  return `<rect x="${x}" y="${y}" width="${Math.max(0, Math.round(w * 10) / 10)}" height="${h}" fill="${fill}"${extra}/>`;
}

export function renderSvg(model: ReportModel): string {
  const parts: string[] = [];
  const margin = 24;
  let y = 40;

  parts.push(text(margin, y, 'Báo cáo sử dụng Trạm công dân số', { size: 24, weight: 'bold' }));
  y += 26;
  parts.push(text(margin, y, `Từ ${model.from ?? '-'} đến ${model.to ?? '-'} · ${model.days} ngày có dữ liệu · giờ Việt Nam (UTC+07:00) · ${model.sites.length === 1 ? `trạm: ${siteName(model.sites[0]!)}` : `${model.sites.length} trạm`}`, { size: 14, fill: '#444' }));
  y += 30;
  const t = model.totals;
  const boxW = Math.max(140, widest(totalsFigures.map((f) => f.label), 13) + 20);
  totalsFigures.forEach((f, i) => {
    const x = margin + i * (boxW + 10);
    parts.push(rect(x, y, boxW, 56, '#eef3f8', ' rx="6"'));
    parts.push(text(x + 10, y + 20, f.label, { size: 13, fill: '#333' }));
    parts.push(text(x + 10, y + 46, String(t[f.key]), { size: 22, weight: 'bold', key: `totals:${f.key}` }));
  });
  const summaryW = margin * 2 + totalsFigures.length * (boxW + 10);
  y += 90;

  // Heat map: rows Monday..Sunday, columns 00..23 local time.
  parts.push(text(margin, y, 'Lượt sử dụng theo thứ và giờ bắt đầu', { size: 18, weight: 'bold' }));
  y += 14;
  const labelW = 90;
  const cellW = 38;
  const cellH = 28;
  const max = Math.max(1, ...model.heatmap.flat());
  for (let h = 0; h < 24; h++) parts.push(text(margin + labelW + h * cellW + cellW / 2, y + 14, `${String(h).padStart(2, '0')}h`, { size: 11, anchor: 'middle', fill: '#555' }));
  parts.push(text(margin + labelW + 24 * cellW + 34, y + 14, 'Tổng', { size: 11, anchor: 'middle', fill: '#555' }));
  y += 20;
  model.heatmap.forEach((row, d) => {
    const ry = y + d * cellH;
    parts.push(`<g><title>${escapeXml(weekdayLabels[d]!)}</title>${text(margin, ry + 19, weekdayLabels[d]!, { size: 13 })}</g>`);
    row.forEach((n, h) => {
      const x = margin + labelW + h * cellW;
      const f = n / max;
      parts.push(`<g>${rect(x, ry, cellW - 2, cellH - 2, shade(f))}<title>${escapeXml(`${weekdayShort[d]} ${String(h).padStart(2, '0')}:00: ${n} lượt`)}</title>`
        + `${text(x + cellW / 2 - 1, ry + 18, String(n), { size: 11, anchor: 'middle', fill: f > 0.55 ? '#fff' : n === 0 ? '#aaa' : '#222', key: `heatmap:${d + 1}:${h}` })}</g>`);
    });
    parts.push(text(margin + labelW + 24 * cellW + 34, ry + 19, String(row.reduce((a, b) => a + b, 0)), { size: 13, anchor: 'middle', weight: 'bold', key: `heatmap:${d + 1}:total` }));
  });
  y += 7 * cellH + 40;

  // Funnel per service.
  parts.push(text(margin, y, 'Phễu theo dịch vụ: số lượt đến từng bước, bỏ dở và lỗi tại bước', { size: 18, weight: 'bold' }));
  y += 12;
  // The label column fits the longest step or station name: labels are never cut.
  const barX = margin + 12 + Math.max(208, widest(model.services.flatMap((s) => s.funnel.map((f) => f.label)), 12),
    model.sites.length > 1 ? widest(model.sites.map(siteName), 13) : 0) + 16;
  const barMax = 560;
  for (const s of model.services) {
    y += 28;
    parts.push(text(margin, y, s.label, { size: 15, weight: 'bold' }));
    const k = `service:${escapeXml(s.service)}`;
    parts.push(`<text x="${Math.max(margin + 220, margin + textWidth(s.label, 15, true) + 16)}" y="${y}" font-size="13" fill="#444"><tspan font-weight="bold" data-key="${k}:sessions">${s.sessions}</tspan> lượt · hoàn tất `
      + `<tspan data-key="${k}:completionPct">${formatPct(s.completionPct)}</tspan> · thời gian trung vị <tspan data-key="${k}:p50">${formatSeconds(s.duration.p50S)}</tspan>`
      + ` · 90% dưới <tspan data-key="${k}:p90">${formatSeconds(s.duration.p90S)}</tspan></text>`);
    const top = Math.max(1, ...s.funnel.map((f) => f.reached));
    for (const f of s.funnel) {
      y += 22;
      const key = `funnel:${s.service}:${f.step}`;
      parts.push(text(margin + 12, y + 13, f.label, { size: 12, fill: '#333' }));
      parts.push(rect(barX, y, (f.reached / top) * barMax, 17, '#2b7bba'));
      parts.push(text(barX + (f.reached / top) * barMax + 6, y + 13, String(f.reached), { size: 12, weight: 'bold', key: `${key}:reached` }));
      parts.push(text(barX + barMax + 60, y + 13, 'bỏ dở', { size: 12, fill: '#8a5a00' }));
      parts.push(text(barX + barMax + 130, y + 13, String(f.abandoned), { size: 12, anchor: 'end', fill: '#8a5a00', key: `${key}:abandoned` }));
      parts.push(text(barX + barMax + 150, y + 13, 'lỗi', { size: 12, fill: '#b00020' }));
      parts.push(text(barX + barMax + 200, y + 13, String(f.failed), { size: 12, anchor: 'end', fill: '#b00020', key: `${key}:failed` }));
    }
    y += 24;
  }
  y += 30;

  // Ratings: the mean per service, the answers by rating and the unanswered asks.
  parts.push(text(margin, y, 'Đánh giá của người dân: câu hỏi 1–5 sau dịch vụ', { size: 18, weight: 'bold' }));
  y += 16;
  const ratingLabelW = Math.max(260, widest(['Tất cả dịch vụ', ...model.services.map((s) => s.label)], 13, true));
  const ratingX = { mean: margin + ratingLabelW + 30, answered: margin + ratingLabelW + 110, cells: margin + ratingLabelW + 130, unanswered: margin + ratingLabelW + 475, note: margin + ratingLabelW + 495 };
  const ratingCellW = 50;
  parts.push(text(ratingX.mean, y + 14, 'Điểm TB', { size: 11, anchor: 'end', weight: 'bold' }));
  parts.push(text(ratingX.answered, y + 14, 'Trả lời', { size: 11, anchor: 'end', weight: 'bold' }));
  ratingValues.forEach((v, i) => parts.push(text(ratingX.cells + i * ratingCellW + ratingCellW / 2, y + 14, `${v} điểm`, { size: 11, anchor: 'middle', weight: 'bold' })));
  parts.push(text(ratingX.unanswered, y + 14, 'Không trả lời', { size: 11, anchor: 'end', weight: 'bold' }));
  y += 22;
  let noteW = 0;
  const ratingRow = (label: string, r: RatingSummary | null, key: string, bold: boolean) => {
    parts.push(text(margin, y + 18, label, { size: 13, weight: bold ? 'bold' : 'normal' }));
    parts.push(text(ratingX.mean, y + 19, formatRating(r?.mean ?? null), { size: 15, anchor: 'end', weight: 'bold', key: `${key}ratingMean` }));
    parts.push(text(ratingX.answered, y + 18, r ? String(r.answered) : '-', { size: 12, anchor: 'end', key: `${key}ratingsAnswered` }));
    const top = Math.max(1, ...ratingValues.map((v) => r?.distribution[v] ?? 0));
    ratingValues.forEach((v, i) => {
      const n = r?.distribution[v];
      const f = (n ?? 0) / top;
      const x = ratingX.cells + i * ratingCellW;
      parts.push(rect(x, y, ratingCellW - 2, cellH - 2, r ? shade(f) : '#f2f2f2'));
      parts.push(text(x + ratingCellW / 2 - 1, y + 18, n === undefined ? '-' : String(n), { size: 12, anchor: 'middle', fill: f > 0.55 ? '#fff' : '#222', key: `${key}ratings:${v}` }));
    });
    parts.push(text(ratingX.unanswered, y + 18, r ? String(r.unanswered) : '-', { size: 12, anchor: 'end', fill: '#8a5a00', key: `${key}ratingsUnanswered` }));
    const note = ratingNote(r);
    if (note) {
      parts.push(text(ratingX.note, y + 18, note, { size: 12, fill: '#555' }));
      noteW = Math.max(noteW, textWidth(note, 12));
    }
    y += cellH;
  };
  ratingRow('Tất cả dịch vụ', model.ratings, 'totals:', true);
  for (const s of model.services) ratingRow(s.label, s.ratings, `service:${s.service}:`, false);
  y += 40;

  // Services by age band (sessions with a scanned CCCD).
  parts.push(text(margin, y, 'Dịch vụ theo nhóm tuổi (lượt có quét CCCD)', { size: 18, weight: 'bold' }));
  y += 16;
  const services = model.services.filter((s) => s.withCccd > 0);
  const columns: { label: string; key: string; value: (b: ReportModel['ageBands'][number]) => number }[] = [
    ...model.sexes.map((sex) => ({ label: sexLabels[sex] ?? sex, key: sex, value: (b: ReportModel['ageBands'][number]) => b.sexes[sex] ?? 0 })),
    { label: 'Tổng', key: 'total', value: (b) => b.total },
    ...services.map((s) => ({ label: s.label, key: `service:${s.service}`, value: (b: ReportModel['ageBands'][number]) => b.services[s.service] ?? 0 })),
  ];
  // Headers wider than a column break at the spaces into as many lines as they need.
  const colW = 118;
  const bandW = 90;
  const headerLines = columns.map((c) => wrap(c.label, colW - 8, 11));
  const headerH = Math.max(1, ...headerLines.map((l) => l.length)) * 13;
  headerLines.forEach((lines, i) => lines.forEach((line, j) => parts.push(text(margin + bandW + i * colW + colW / 2, y + 14 + j * 13 + (headerH - lines.length * 13), line, { size: 11, anchor: 'middle', weight: 'bold' }))));
  y += headerH + 9;
  const bandMax = Math.max(1, ...model.ageBands.flatMap((b) => services.map((s) => b.services[s.service] ?? 0)));
  for (const b of model.ageBands) {
    parts.push(text(margin, y + 19, b.band, { size: 13 }));
    columns.forEach((c, i) => {
      const n = c.value(b);
      const x = margin + bandW + i * colW;
      const f = c.key.startsWith('service:') ? n / bandMax : 0;
      parts.push(rect(x, y, colW - 4, cellH - 2, c.key.startsWith('service:') ? shade(f) : '#f2f2f2'));
      parts.push(text(x + colW / 2 - 2, y + 18, String(n), { size: 12, anchor: 'middle', fill: f > 0.55 ? '#fff' : '#222', key: `age:${b.band}:${c.key}` }));
    });
    y += cellH;
  }
  const contentW = Math.max(summaryW, margin * 2 + bandW + columns.length * colW, margin * 2 + labelW + 24 * cellW + 70, barX + barMax + 230, ratingX.note + noteW + margin);

  if (model.deviceFailures.length > 0) {
    y += 40;
    parts.push(text(margin, y, deviceFailureTitle, { size: 18, weight: 'bold' }));
    const stepX = margin + 12 + widest([...model.deviceFailures.map((f) => serviceName(model, f.service)), deviceFailureTotalLabel], 13, true) + 20;
    const countX = stepX + widest(model.deviceFailures.map((f) => f.label), 13) + 60;
    for (const f of model.deviceFailures) {
      y += 22;
      parts.push(text(margin + 12, y, serviceName(model, f.service), { size: 13 }));
      parts.push(text(stepX, y, f.label, { size: 13 }));
      parts.push(text(countX, y, String(f.count), { size: 13, anchor: 'end', weight: 'bold', key: `device:${f.service}:${f.step}` }));
    }
    y += 24;
    parts.push(text(margin + 12, y, deviceFailureTotalLabel, { size: 13, weight: 'bold' }));
    parts.push(text(countX, y, String(model.totals.deviceFailed), { size: 13, anchor: 'end', weight: 'bold', key: 'device:total' }));
  }

  if (model.sites.length > 1) {
    y += 40;
    parts.push(text(margin, y, 'So sánh các trạm: lượt sử dụng và tỉ lệ hoàn tất', { size: 18, weight: 'bold' }));
    const top = Math.max(1, ...model.sites.map((s) => s.sessions));
    for (const s of model.sites) {
      y += 26;
      parts.push(text(margin + 12, y + 13, siteName(s), { size: 13 }));
      parts.push(rect(barX, y, (s.sessions / top) * barMax, 18, '#41ab5d'));
      parts.push(text(barX + (s.sessions / top) * barMax + 6, y + 13, String(s.sessions), { size: 12, weight: 'bold', key: `site:${s.site}:sessions` }));
      parts.push(text(barX + barMax + 60, y + 13, `hoàn tất ${formatPct(s.completionPct)}`, { size: 12, key: `site:${s.site}:completionPct` }));
    }
  }
  y += 40;
  parts.push(text(margin, y, `Tạo lúc ${model.generatedAt} · số liệu ẩn danh: không có số CCCD, họ tên hay mã phiên`, { size: 11, fill: '#777' }));
  y += 20;

  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" xml:lang="vi" width="${contentW}" height="${y}" viewBox="0 0 ${contentW} ${y}" font-family="${escapeXml(fontFamily)}">`,
    '<title>Báo cáo sử dụng Trạm công dân số</title>',
    rect(0, 0, contentW, y, '#ffffff'),
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
