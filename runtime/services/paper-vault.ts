/**
 * Scanned papers at rest until central has them. Scans are personal data (Decree 13/2023/ND-CP):
 * each dossier's papers are sealed (AES-256-GCM, runtime/link/crypto-box.ts) under a data key of
 * their own, and that key is kept only wrapped by the station's master key. Releasing a dossier
 * (central's receipt for it) destroys the wrapped key first, so what may linger on flash is
 * unreadable, then deletes the sealed files. Files are written tmp → fsync → rename → fsync(dir),
 * so a paper is either wholly there or absent after a power cut.
 *
 * Layout: `<dir>/<dossierId>/key` (wrapped data key), `<dir>/<dossierId>/<paperId>.pdf` (sealed).
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CryptoBox } from '../link/crypto-box.js';
import { StationError } from '../kernel/errors.js';
import { writeFileDurable, fsyncDir } from '../kernel/durable-file.js';
import { mkdir } from 'node:fs/promises';

const idPattern = /^[A-Za-z0-9-]{1,80}$/;

export class PaperVault {
  constructor(private readonly dir: string, private readonly master: CryptoBox) {}

  private dossierDir(dossierId: string): string {
    if (!idPattern.test(dossierId)) throw new StationError('INPUT_INVALID', `bad dossier id ${JSON.stringify(dossierId)}`);
    return join(this.dir, dossierId);
  }

  private async dataKey(dossierId: string, create: boolean): Promise<CryptoBox> {
    const dir = this.dossierDir(dossierId);
    try {
      return new CryptoBox(this.master.open(await readFile(join(dir, 'key')), `paper-key:${dossierId}`));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !create) throw err;
    }
    await mkdir(dir, { recursive: true });
    const key = randomBytes(32);
    await writeFileDurable(join(dir, 'key'), this.master.seal(key, `paper-key:${dossierId}`), 0o600);
    await fsyncDir(this.dir);
    return new CryptoBox(key);
  }

  /** Seals and durably writes one paper's PDF. */
  async put(dossierId: string, paperId: string, pdf: Uint8Array): Promise<void> {
    if (!idPattern.test(paperId)) throw new StationError('INPUT_INVALID', `bad paper id ${JSON.stringify(paperId)}`);
    const box = await this.dataKey(dossierId, true);
    await writeFileDurable(join(this.dossierDir(dossierId), `${paperId}.pdf`), box.seal(Buffer.from(pdf), `paper:${dossierId}:${paperId}`), 0o600);
  }

  /** The paper's PDF, opened; JOURNAL_CORRUPT when it was tampered with or its key is gone. */
  async get(dossierId: string, paperId: string): Promise<Buffer> {
    const box = await this.dataKey(dossierId, false);
    return box.open(await readFile(join(this.dossierDir(dossierId), `${paperId}.pdf`)), `paper:${dossierId}:${paperId}`);
  }

  /** Paper ids held for a dossier. */
  async papers(dossierId: string): Promise<string[]> {
    try {
      return (await readdir(this.dossierDir(dossierId))).filter((n) => n.endsWith('.pdf')).map((n) => n.slice(0, -4)).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  /** Central has the dossier: the key is overwritten and removed first, then the sealed papers. */
  async release(dossierId: string): Promise<void> {
    const dir = this.dossierDir(dossierId);
    try {
      await writeFile(join(dir, 'key'), randomBytes(64));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    await rm(join(dir, 'key'), { force: true });
    await fsyncDir(dir);
    await rm(dir, { recursive: true, force: true });
    await fsyncDir(this.dir);
  }
}
