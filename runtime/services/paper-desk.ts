/**
 * The papers of one visit: pages scanned one at a time (kept in memory only while the paper is being
 * scanned), joined into one compressed PDF per paper and sealed in the {@link PaperVault}, then sent
 * to central in checksummed chunks. The flow session calls it for the scan step's effects; the
 * dossier id is the session's run id, which is also the submission id central files it under.
 */
import type { RpcClient } from '../flows/ports.js';
import { StationError } from '../kernel/errors.js';
import type { PageImage } from './paper-pdf.js';
import { pagePreview, paperPdf } from './paper-pdf.js';
import type { PaperVault } from './paper-vault.js';
import { uploadAttachment } from './attachment-upload.js';

/** What the scan step needs from the station (runtime/flows/session.ts `papers`). */
export interface PaperService {
  /** Scans one page of `paperId`; resolves with the pages held so far and a small preview of this one. */
  scanPage(dossierId: string, paperId: string, signal: AbortSignal): Promise<{ pages: number; preview: string }>;
  /** Joins the held pages into the paper's PDF, sealed at rest. */
  finishPaper(dossierId: string, paperId: string, title: string, nowMs: number): Promise<{ pages: number; bytes: number }>;
  /** Sends every finished paper of the dossier to central (resumable), then releases them from the station. */
  upload(dossierId: string): Promise<{ papers: string[] }>;
  /** Drops every page not yet joined (the session was wiped). */
  discard(): void;
}

export interface PaperDeskOptions {
  scanner: { scanPage(): Promise<PageImage> };
  vault: PaperVault;
  rpc: RpcClient;
  /** Largest PDF central accepts per paper; default 2 MB (config `dossier.maxPaperBytes`). */
  maxPaperBytes?: number;
}

export class PaperDesk implements PaperService {
  private readonly pending = new Map<string, PageImage[]>();

  constructor(private readonly o: PaperDeskOptions) {}

  async scanPage(dossierId: string, paperId: string, signal: AbortSignal): Promise<{ pages: number; preview: string }> {
    const page = await this.o.scanner.scanPage();
    if (signal.aborted) throw new StationError('DEVICE_ABORTED', 'The resident left the step');
    const key = `${dossierId}/${paperId}`;
    const pages = [...(this.pending.get(key) ?? []), page];
    this.pending.set(key, pages);
    return { pages: pages.length, preview: pagePreview(page) };
  }

  async finishPaper(dossierId: string, paperId: string, title: string, nowMs: number): Promise<{ pages: number; bytes: number }> {
    const key = `${dossierId}/${paperId}`;
    const pages = this.pending.get(key) ?? [];
    // Joined or refused, the held pages go: a paper too large is scanned again from its first page.
    this.pending.delete(key);
    const out = await paperPdf(pages, this.o.maxPaperBytes ?? 2_000_000, nowMs, title);
    await this.o.vault.put(dossierId, paperId, out.pdf);
    return { pages: out.pages, bytes: out.pdf.length };
  }

  /**
   * Sends every sealed paper; once central has confirmed each one complete with its checksum (its
   * receipt for the papers), they are released from the station: key destroyed, files deleted.
   */
  async upload(dossierId: string): Promise<{ papers: string[] }> {
    const papers = await this.o.vault.papers(dossierId);
    for (const paperId of papers) await uploadAttachment(this.o.rpc, { dossierId, paperId }, await this.o.vault.get(dossierId, paperId));
    await this.o.vault.release(dossierId);
    return { papers };
  }

  discard(): void {
    this.pending.clear();
  }
}
