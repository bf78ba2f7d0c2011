/**
 * The scan step: the papers the filled form calls for (`from`, a form step's `save`), one page at a
 * time on the scanner glass with a preview of the page just scanned, each paper joined into one PDF
 * when the resident says it is complete, and all of them sent to central before the step goes on.
 *
 * Keys: OK scans the next page; 1 closes the paper (at least one page); 0 skips a paper that is not
 * required. The preview is only of this resident's last page and leaves with the session.
 */
import type { Key } from '../../kernel/input.js';
import type { Screen } from '../screen-model.js';
import type { ScanStep } from '../types.js';
import type { FormText } from '../../services/dossier-form.js';
import { getPath, setPath } from '../template.js';
import type { EffectEvent, FlowSnapshot } from './state.js';
import type { Tx } from './tx.js';
import type { RunOps } from './run-ops.js';
import type { FilledForm } from './form-step.js';

/** What the scan step keeps in session data (`scan`). */
export interface ScanProgress {
  /** Index into the form's papers; equal to their count while uploading. */
  paper: number;
  pages: number;
  preview?: string;
  /** Papers joined and sealed, by id. */
  done: string[];
  op?: 'page' | 'finish' | 'upload';
  error?: string;
}

const texts = {
  place: { vi: 'Đặt trang {page} của giấy tờ lên mặt kính máy quét, úp mặt xuống, rồi bấm OK.', en: 'Place page {page} of the paper face down on the scanner glass, then press OK.' },
  scanned: { vi: 'Đã quét {pages} trang. Bấm OK để quét trang tiếp, bấm 1 nếu giấy này đã đủ trang.', en: '{pages} page(s) scanned. Press OK for the next page, 1 when this paper is complete.' },
  full: { vi: 'Đã đủ số trang tối đa. Bấm 1 để tiếp tục.', en: 'That is the most pages this paper takes. Press 1 to go on.' },
  optional: { vi: 'Không có giấy này? Bấm 0 để bỏ qua.', en: 'Not needed for you? Press 0 to skip.' },
  progress: { vi: 'Giấy tờ {n}/{total}', en: 'Paper {n} of {total}' },
  scanning: { vi: 'Đang quét…', en: 'Scanning…' },
  joining: { vi: 'Đang ghép và nén giấy tờ…', en: 'Joining and compressing the paper…' },
  uploading: { vi: 'Đang gửi giấy tờ…', en: 'Sending the papers…' },
  failed: { vi: 'Máy quét chưa đọc được trang. Kiểm tra giấy rồi bấm OK để quét lại.', en: 'The scanner could not read the page. Check the paper and press OK to try again.' },
  tooLarge: { vi: 'Giấy tờ quá lớn kể cả khi nén. Bấm 1 để quét lại giấy này với ít trang hơn.', en: 'The paper is too large even compressed. Press 1 to scan it again with fewer pages.' },
  scanKey: { vi: 'Quét', en: 'Scan' },
  doneKey: { vi: 'Xong giấy này', en: 'Paper complete' },
  skipKey: { vi: 'Bỏ qua', en: 'Skip' },
} satisfies Record<string, FormText>;

function say(text: FormText, locale: 'vi' | 'en', vars: Record<string, string | number> = {}): string {
  return text[locale].replace(/\{(\w+)\}/g, (_m, k: string) => String(vars[k] ?? ''));
}

function papersOf(s: FlowSnapshot, step: ScanStep): FilledForm['papers'] {
  const form = getPath(s.data, step.from) as FilledForm | undefined;
  return Array.isArray(form?.papers) ? form.papers : [];
}

function progressOf(s: FlowSnapshot): ScanProgress {
  return (s.data.scan as ScanProgress | undefined) ?? { paper: 0, pages: 0, done: [] };
}

function put(tx: Tx, p: ScanProgress): void {
  tx.s.data = setPath(tx.s.data, 'scan', p);
}

function work(tx: Tx, step: ScanStep, p: ScanProgress, op: 'page' | 'finish' | 'upload'): void {
  const paper = papersOf(tx.s, step)[p.paper];
  const effectId = tx.nextId('scn');
  tx.s.step = { ...tx.s.step, phase: 'working', effectId };
  put(tx, { ...p, op, error: undefined });
  tx.setTimer(tx.stepTimeout(step));
  tx.effects.push({
    type: 'scan', effectId, op, dossierId: (tx.s.run as { sessionId: string }).sessionId,
    ...(paper ? { paperId: paper.id, title: paper.label } : {}),
  });
}

/** On to the next paper, or the upload when every paper is done or skipped. */
function nextPaper(tx: Tx, step: ScanStep, p: ScanProgress, ops: RunOps): void {
  const next: ScanProgress = { ...p, paper: p.paper + 1, pages: 0, preview: undefined, op: undefined };
  if (next.paper < papersOf(tx.s, step).length) put(tx, next);
  else if (next.done.length === 0) {
    put(tx, next);
    ops.leave(tx, 'ok');
  } else work(tx, step, next, 'upload');
}

export function enterScan(tx: Tx, step: ScanStep, ops: RunOps): void {
  const p: ScanProgress = { paper: -1, pages: 0, done: [] };
  put(tx, p);
  nextPaper(tx, step, p, ops);
}

export function onScanKey(tx: Tx, step: ScanStep, key: Key | undefined, ops: RunOps): void {
  if (tx.s.step.phase === 'working') return;
  const p = progressOf(tx.s);
  const paper = papersOf(tx.s, step)[p.paper];
  if (!paper) return;
  if ((key === 'ok' || key === '#') && p.pages < paper.maxPages && p.error !== 'PAPER_TOO_LARGE') work(tx, step, p, 'page');
  else if (key === '1' && p.error === 'PAPER_TOO_LARGE') put(tx, { ...p, pages: 0, preview: undefined, error: undefined });
  else if (key === '1' && p.pages > 0) work(tx, step, p, 'finish');
  else if (key === '0' && !paper.required && p.pages === 0) nextPaper(tx, step, p, ops);
}

export function onScanResult(tx: Tx, step: ScanStep, event: Extract<EffectEvent, { type: 'scanned' | 'scan-failed' }>, ops: RunOps): void {
  const p = progressOf(tx.s);
  tx.s.step = { ...tx.s.step, phase: 'ready', effectId: undefined };
  tx.setTimer(tx.stepTimeout(step));
  if (event.type === 'scan-failed') {
    const code = event.error.code;
    if (code === 'DEVICE_MISSING' || p.op === 'upload' || code.startsWith('JOURNAL')) {
      ops.noteFailure(tx, p.op === 'upload' ? 'central' : 'device', code);
      tx.s.data = setPath(tx.s.data, 'error.code', code);
      ops.leave(tx, 'error', { cause: p.op === 'upload' ? 'central' : 'journal', code });
      return;
    }
    put(tx, { ...p, op: undefined, error: code });
    return;
  }
  if (p.op === 'page') put(tx, { ...p, op: undefined, pages: event.pages ?? p.pages + 1, ...(event.preview ? { preview: event.preview } : {}) });
  else if (p.op === 'finish') {
    const paper = papersOf(tx.s, step)[p.paper];
    nextPaper(tx, step, { ...p, done: paper ? [...p.done, paper.id] : p.done }, ops);
  } else if (p.op === 'upload') {
    put(tx, { ...p, op: undefined });
    ops.leave(tx, 'ok');
  }
}

export function renderScan(s: FlowSnapshot, step: ScanStep, screen: Screen, fnKeys: (extra: { key: Key; label: string }[]) => Screen['keys']): void {
  const locale = s.locale;
  const p = progressOf(s);
  const papers = papersOf(s, step);
  const paper = papers[p.paper];
  const body = screen.body ?? [];
  screen.body = body;
  if (s.step.phase === 'working') {
    screen.kind = 'lookup';
    screen.progress = { label: say(p.op === 'page' ? texts.scanning : p.op === 'finish' ? texts.joining : texts.uploading, locale) };
    screen.keys = fnKeys([]);
    return;
  }
  if (!paper) {
    screen.keys = fnKeys([]);
    return;
  }
  screen.kind = 'measure';
  screen.progress = { label: say(texts.progress, locale, { n: p.paper + 1, total: papers.length }), fraction: (p.paper + 1) / papers.length };
  body.push(paper.label);
  if (p.error === 'PAPER_TOO_LARGE') body.push(say(texts.tooLarge, locale));
  else if (p.error) body.push(say(texts.failed, locale));
  else if (p.pages === 0) body.push(say(texts.place, locale, { page: 1 }));
  else body.push(p.pages < paper.maxPages ? say(texts.scanned, locale, { pages: p.pages }) : say(texts.full, locale));
  if (!paper.required && p.pages === 0) body.push(say(texts.optional, locale));
  if (p.error) screen.tone = 'caution';
  if (p.preview) screen.preview = p.preview;
  const keys: { key: Key; label: string }[] = [];
  if (p.pages < paper.maxPages && p.error !== 'PAPER_TOO_LARGE') keys.push({ key: 'ok', label: say(texts.scanKey, locale) });
  if (p.pages > 0 || p.error === 'PAPER_TOO_LARGE') keys.push({ key: '1', label: say(texts.doneKey, locale) });
  if (!paper.required && p.pages === 0) keys.push({ key: '0', label: say(texts.skipKey, locale) });
  screen.keys = fnKeys(keys);
}
