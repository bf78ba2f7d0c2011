/**
 * central-sim's one-stop desk: takes dossiers the stations submit (RPC `dossier-intake`), checks the
 * form against the same procedure files and functions the station fills it with
 * (runtime/services/dossier-form.ts), issues the DVCQG dossier code, and moves each dossier through
 * the one-stop stages over the simulator's clock so the lookup (RPC `dossiers`) shows progress.
 *
 * Code: `{agency code}-{YYMMDD}-{NNNN}`, the date in Ho Chi Minh City and a per-agency, per-day
 * sequence, like the national portal's (e.g. 000.00.00.H29-261204-0001).
 * Intake is idempotent on `submissionId`: a station that resends after a restart gets the same code.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AdminUnits, Procedure } from '../../runtime/services/dossier-form.js';
import { checkForm, feeOf, vietnamDate } from '../../runtime/services/dossier-form.js';
import { parseProcedures } from '../../runtime/flows/procedures.js';
import type { DossierAnswer, DossierEvent } from '../../runtime/services/dossier-timeline.js';
import { FixtureError } from './fixtures.js';

interface Filed {
  code: string;
  submissionId: string;
  procedure: Procedure;
  values: Record<string, string>;
  receivedMs: number;
  dueAt: string;
  fee: number;
  paymentId?: string;
  papers: string[];
}

export interface DossierDeskOptions {
  procedures: Record<string, Procedure>;
  units: AdminUnits;
  /** Simulated time from one stage to the next (received → processing → done); default 60 000 ms. */
  stageMs?: number;
}

/** Reads flows/procedures/ as the station does. */
export function loadProcedureDir(dir: string): { procedures: Record<string, Procedure>; units: AdminUnits } {
  const sources = readdirSync(dir).filter((n) => n.endsWith('.yaml')).map((n) => ({ name: `procedures/${n}`, text: readFileSync(join(dir, n), 'utf8') }));
  const parsed = parseProcedures(sources);
  if (!parsed.ok) throw new Error(parsed.problems.map((p) => `${p.file}${p.path}: ${p.reason}`).join('\n'));
  return parsed.set;
}

/** Adds `days` working days (Monday to Friday) to an ISO date. */
export function addWorkingDays(iso: string, days: number): string {
  const d = new Date(`${iso}T00:00:00Z`);
  let left = days;
  while (left > 0) {
    d.setUTCDate(d.getUTCDate() + 1);
    const wd = d.getUTCDay();
    if (wd !== 0 && wd !== 6) left -= 1;
  }
  return d.toISOString().slice(0, 10);
}

interface Upload {
  sha256: string;
  size: number;
  total: number;
  chunks: Map<number, Buffer>;
  complete: boolean;
  /** Chunks received again after they were stored (a resend the station need not have made). */
  duplicates: number;
}

export class DossierDesk {
  private readonly uploads = new Map<string, Upload>();
  private readonly bySubmission = new Map<string, Filed>();
  private readonly byCode = new Map<string, Filed>();
  private readonly sequence = new Map<string, number>();

  constructor(private readonly o: DossierDeskOptions) {}

  /** RPC `dossier-intake`: `{ submissionId, procedure, values, paymentId?, papers? }` → code, agency, due date. */
  intake(params: Record<string, unknown>, now: number): { code: string; agency: string; receivedAt: string; dueAt: string; fee: number; status: 'received' } {
    const submissionId = typeof params.submissionId === 'string' ? params.submissionId : '';
    if (!/^[A-Za-z0-9:-]{8,80}$/.test(submissionId)) throw new FixtureError('BAD_REQUEST', 'submissionId is required');
    const earlier = this.bySubmission.get(submissionId);
    if (earlier) return this.receipt(earlier);
    const procedure = this.o.procedures[String(params.procedure ?? '')];
    if (!procedure) throw new FixtureError('BAD_REQUEST', `Thủ tục ${String(params.procedure)} không có trong danh mục`);
    const values = typeof params.values === 'object' && params.values !== null ? params.values as Record<string, unknown> : {};
    const checked = checkForm(procedure, values, this.o.units, now);
    if (!checked.ok) {
      throw new FixtureError('BAD_REQUEST', `Tờ khai không hợp lệ: ${checked.problems.map((p) => `${p.field} (${p.reason})`).join(', ')}`);
    }
    const fee = feeOf(procedure, checked.values).amount;
    const paymentId = typeof params.paymentId === 'string' && params.paymentId !== '' ? params.paymentId : undefined;
    if (fee > 0 && !paymentId) throw new FixtureError('BAD_REQUEST', `Chưa nộp lệ phí ${fee} đồng`);
    const day = vietnamDate(now);
    const key = `${procedure.agencyCode}|${day}`;
    const n = (this.sequence.get(key) ?? 0) + 1;
    this.sequence.set(key, n);
    const code = `${procedure.agencyCode}-${day.slice(2).replace(/-/g, '')}-${String(n).padStart(4, '0')}`;
    const papers = Array.isArray(params.papers) ? params.papers.filter((p): p is string => typeof p === 'string') : [];
    const missing = papers.filter((p) => !this.uploads.get(`${submissionId}/${p}`)?.complete);
    if (missing.length > 0) throw new FixtureError('BAD_REQUEST', `Giấy tờ chưa gửi đủ: ${missing.join(', ')}`);
    const filed: Filed = {
      code, submissionId, procedure, values: checked.values, receivedMs: now, dueAt: addWorkingDays(day, procedure.dueWorkingDays), fee, papers,
      ...(paymentId ? { paymentId } : {}),
    };
    this.bySubmission.set(submissionId, filed);
    this.byCode.set(code, filed);
    return this.receipt(filed);
  }

  /**
   * RPC `dossier-attachment`: `op: status` says which chunks of a paper are held; `op: chunk` stores
   * one after checking its SHA-256, and assembles the paper when the last one arrives.
   */
  attachment(params: Record<string, unknown>): { received: number[]; complete: boolean } {
    const { dossierId, paperId, sha256, size, total } = params;
    if (typeof dossierId !== 'string' || typeof paperId !== 'string' || typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)
      || !Number.isSafeInteger(size) || !Number.isSafeInteger(total) || (total as number) < 1 || (total as number) > 10_000) {
      throw new FixtureError('BAD_REQUEST', 'dossierId, paperId, sha256, size and total are required');
    }
    const key = `${dossierId}/${paperId}`;
    let upload = this.uploads.get(key);
    if (!upload || upload.sha256 !== sha256) {
      // A different file for the same paper (rescanned): start again.
      upload = { sha256, size: size as number, total: total as number, chunks: new Map(), complete: false, duplicates: 0 };
      this.uploads.set(key, upload);
    }
    if (params.op === 'chunk' && !upload.complete) {
      const index = params.index;
      if (!Number.isSafeInteger(index) || (index as number) < 0 || (index as number) >= upload.total) throw new FixtureError('BAD_REQUEST', 'chunk index out of range');
      const data = Buffer.from(String(params.data ?? ''), 'base64');
      if (createHash('sha256').update(data).digest('hex') !== params.chunkSha256) throw new FixtureError('BAD_REQUEST', `chunk ${String(index)} checksum mismatch`);
      if (upload.chunks.has(index as number)) upload.duplicates += 1;
      else upload.chunks.set(index as number, data);
      if (upload.chunks.size === upload.total) {
        const whole = Buffer.concat([...upload.chunks.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => b));
        if (whole.length !== upload.size || createHash('sha256').update(whole).digest('hex') !== upload.sha256) {
          this.uploads.delete(key);
          throw new FixtureError('BAD_REQUEST', `paper ${paperId} does not match its checksum; send it again`);
        }
        upload.complete = true;
      }
    } else if (params.op !== 'status' && params.op !== 'chunk') throw new FixtureError('BAD_REQUEST', 'op must be status or chunk');
    return { received: [...upload.chunks.keys()].sort((a, b) => a - b), complete: upload.complete };
  }

  /** A paper as central assembled it, with how many chunks came twice (tests). */
  paper(dossierId: string, paperId: string): { bytes: Buffer; duplicates: number } | undefined {
    const u = this.uploads.get(`${dossierId}/${paperId}`);
    if (!u?.complete) return undefined;
    return { bytes: Buffer.concat([...u.chunks.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => b)), duplicates: u.duplicates };
  }

  private receipt(f: Filed) {
    return { code: f.code, agency: f.procedure.agency.vi, receivedAt: vietnamDate(f.receivedMs), dueAt: f.dueAt, fee: f.fee, status: 'received' as const };
  }

  /** The lookup's answer for a code this desk issued, or undefined. */
  lookup(code: string, now: number): DossierAnswer | undefined {
    const f = this.byCode.get(code);
    if (!f) return undefined;
    const stage = this.o.stageMs ?? 60_000;
    const events: DossierEvent[] = [{ status: 'received', at: new Date(f.receivedMs).toISOString() }];
    if (now >= f.receivedMs + stage) events.push({ status: 'processing', at: new Date(f.receivedMs + stage).toISOString() });
    if (now >= f.receivedMs + 2 * stage) events.push({ status: 'done', at: new Date(f.receivedMs + 2 * stage).toISOString() });
    const status = (events[events.length - 1] as DossierEvent).status;
    return { code: f.code, procedure: f.procedure.title.vi, agency: f.procedure.agency.vi, status, receivedAt: vietnamDate(f.receivedMs), dueAt: f.dueAt, events };
  }

  /** Dossiers filed so far (tests). */
  filed(): Array<{ code: string; procedure: string; values: Record<string, string>; fee: number; papers: string[] }> {
    return [...this.byCode.values()].map((f) => ({ code: f.code, procedure: f.procedure.id, values: f.values, fee: f.fee, papers: f.papers }));
  }
}
