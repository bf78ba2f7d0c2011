/**
 * Plain-language status of a public-service dossier (hồ sơ thủ tục hành chính), for the dossier lookup
 * flow's `rowsFrom: dossier-timeline`. The statuses follow the one-stop-shop (một cửa) processing
 * stages of Decree 61/2018/ND-CP and Decree 107/2021/ND-CP: received, in processing, supplement
 * requested, fee due, done, result returned, refused, withdrawn. Central's `dossiers` RPC answer is
 * checked here because it crosses a trust boundary; anything unrecognised is shown as "unknown"
 * rather than guessed.
 */
import type { Locale } from '../flows/types.js';
import type { ResultRow, Tone } from '../flows/screen-model.js';
import { formatVnd } from '../flows/template.js';

export const dossierStatuses = [
  'received', 'processing', 'supplement-needed', 'fee-due', 'done', 'result-returned', 'refused', 'withdrawn',
] as const;
export type DossierStatus = (typeof dossierStatuses)[number];

/** One entry of the dossier's history as central reports it. */
export interface DossierEvent {
  status: DossierStatus;
  /** ISO 8601 date or date-time. */
  at: string;
  /** A short note from the agency, e.g. which paper is missing. */
  note?: string;
}

/**
 * Central's `dossiers` answer for one code. `events` is the full history when central has it;
 * otherwise the timeline is the filing date (`receivedAt`) and the current status with its `note`.
 */
export interface DossierAnswer {
  code: string;
  procedure?: string;
  agency?: string;
  /** `returned` is accepted as a synonym of `result-returned`. */
  status: DossierStatus | 'returned';
  receivedAt?: string;
  /** Date the result is promised (ISO). */
  dueAt?: string;
  /** Fee still to pay, in dong (status fee-due); `fee` is accepted too. */
  feeDue?: number;
  fee?: number;
  /** The agency's note on the current status (which paper is missing, why refused). */
  note?: string;
  events?: DossierEvent[];
}

const label: Record<DossierStatus, Record<Locale, string>> = {
  received: { vi: 'Đã tiếp nhận hồ sơ', en: 'Application received' },
  processing: { vi: 'Đang giải quyết', en: 'Being processed' },
  'supplement-needed': { vi: 'Cần bổ sung giấy tờ', en: 'More documents needed' },
  'fee-due': { vi: 'Chờ nộp phí, lệ phí', en: 'Fee to pay' },
  done: { vi: 'Đã có kết quả', en: 'Result ready' },
  'result-returned': { vi: 'Đã trả kết quả', en: 'Result handed over' },
  refused: { vi: 'Bị từ chối', en: 'Refused' },
  withdrawn: { vi: 'Đã rút hồ sơ', en: 'Withdrawn' },
};

/** What the resident should do next, in plain words. */
const advice: Record<DossierStatus, Record<Locale, string>> = {
  received: { vi: 'Cơ quan đã nhận hồ sơ. Chưa cần làm gì thêm.', en: 'The office has your application. Nothing to do yet.' },
  processing: { vi: 'Hồ sơ đang được xử lý. Vui lòng chờ đến ngày hẹn.', en: 'Your application is being processed. Please wait until the due date.' },
  'supplement-needed': {
    vi: 'Cần nộp thêm giấy tờ tại bộ phận một cửa hoặc trên Cổng dịch vụ công.',
    en: 'Bring the missing documents to the one-stop desk or upload them on the public-service portal.',
  },
  'fee-due': { vi: 'Cần nộp phí để cơ quan tiếp tục giải quyết.', en: 'Pay the fee so the office can continue.' },
  done: { vi: 'Kết quả đã sẵn sàng. Mang giấy hẹn và CCCD đến nhận.', en: 'The result is ready. Bring your appointment slip and CCCD to collect it.' },
  'result-returned': { vi: 'Hồ sơ đã hoàn tất.', en: 'This application is complete.' },
  refused: { vi: 'Xem lý do từ chối. Có thể hỏi bộ phận một cửa để nộp lại.', en: 'See the reason. Ask the one-stop desk how to apply again.' },
  withdrawn: { vi: 'Hồ sơ đã được rút theo yêu cầu.', en: 'The application was withdrawn at your request.' },
};

const tone: Record<DossierStatus, Tone> = {
  received: 'neutral', processing: 'neutral', 'supplement-needed': 'warning', 'fee-due': 'caution', done: 'good',
  'result-returned': 'good', refused: 'danger', withdrawn: 'neutral',
};

function statusOf(v: unknown): DossierStatus | undefined {
  if (v === 'returned') return 'result-returned';
  return typeof v === 'string' && (dossierStatuses as readonly string[]).includes(v) ? (v as DossierStatus) : undefined;
}

/** `2026-01-06T08:00:00+07:00` → `06/01/2026`; anything else is shown as given (trimmed). */
function dateOf(iso: unknown): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(iso ?? ''));
  return m ? `${m[3]}/${m[2]}/${m[1]}` : String(iso ?? '').slice(0, 20);
}

const headings = {
  status: { vi: 'Tình trạng', en: 'Status' },
  next: { vi: 'Việc cần làm', en: 'What to do' },
  due: { vi: 'Ngày hẹn trả', en: 'Due date' },
  fee: { vi: 'Phí cần nộp', en: 'Fee due' },
  procedure: { vi: 'Thủ tục', en: 'Procedure' },
  unknown: { vi: 'Chưa rõ tình trạng', en: 'Status unknown' },
  unknownAdvice: { vi: 'Vui lòng hỏi bộ phận một cửa.', en: 'Please ask at the one-stop desk.' },
  now: { vi: 'Hiện tại', en: 'Now' },
} as const;

/**
 * Rows for the result screen: procedure, current status with advice, due date and fee when relevant,
 * then the history oldest first (one row per stage, dated, with the agency's note).
 */
export function dossierTimelineRows(answer: unknown, locale: Locale): ResultRow[] {
  const a = (answer ?? {}) as Partial<DossierAnswer>;
  const rows: ResultRow[] = [];
  if (typeof a.procedure === 'string' && a.procedure) rows.push({ label: headings.procedure[locale], value: a.procedure });
  const status = statusOf(a.status);
  if (!status) {
    rows.push({ label: headings.status[locale], value: headings.unknown[locale], tone: 'caution' });
    rows.push({ label: headings.next[locale], value: headings.unknownAdvice[locale] });
    return rows;
  }
  rows.push({ label: headings.status[locale], value: label[status][locale], tone: tone[status], band: label[status][locale] });
  rows.push({ label: headings.next[locale], value: advice[status][locale] });
  if (a.dueAt && (status === 'received' || status === 'processing' || status === 'supplement-needed' || status === 'fee-due')) {
    rows.push({ label: headings.due[locale], value: dateOf(a.dueAt) });
  }
  const fee = typeof a.feeDue === 'number' ? a.feeDue : a.fee;
  if (status === 'fee-due' && typeof fee === 'number' && fee > 0) {
    rows.push({ label: headings.fee[locale], value: formatVnd(fee), tone: 'caution' });
  }
  let events: { status: DossierStatus; at: string; note?: string }[] = [];
  if (Array.isArray(a.events)) {
    for (const e of a.events as unknown[]) {
      const ev = (e ?? {}) as Partial<DossierEvent>;
      const st = statusOf(ev.status);
      if (st) events.push({ status: st, at: String(ev.at ?? ''), ...(typeof ev.note === 'string' ? { note: ev.note } : {}) });
    }
  } else {
    if (a.receivedAt) events.push({ status: 'received', at: String(a.receivedAt) });
    if (status !== 'received') events.push({ status, at: '', ...(typeof a.note === 'string' ? { note: a.note } : {}) });
  }
  events = events.sort((x, y) => (x.at === '' ? 1 : y.at === '' ? -1 : x.at.localeCompare(y.at)));
  for (const e of events.slice(-8)) {
    const note = e.note ? ` — ${e.note.slice(0, 120)}` : '';
    rows.push({ label: e.at ? dateOf(e.at) : headings.now[locale], value: label[e.status][locale] + note, tone: tone[e.status] });
  }
  return rows;
}
