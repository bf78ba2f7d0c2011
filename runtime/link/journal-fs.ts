/**
 * The file I/O the journal does, as a seam: the real one is node:fs, and tests put a recording,
 * crashing or failing file system under the very same journal code (SQLite's crash VFS is the
 * model: https://www.sqlite.org/testing.html#crash_testing). Only what the journal needs is here.
 */
import { mkdir, open, readFile, readdir, rename, statfs, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

/** An open segment or temporary file. Positions are explicit (pwrite), so a rollback is a truncate. */
export interface JournalFile {
  /** One write(2) at `position`: may write fewer bytes than asked (a short write); throws ENOSPC, EIO… */
  write(data: Buffer, offset: number, length: number, position: number): Promise<number>;
  /** fdatasync(2): the bytes written and the file length are on the medium once this resolves. */
  datasync(): Promise<void>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

export interface JournalFs {
  /** mkdir -p. */
  mkdir(path: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
  readFile(path: string): Promise<Buffer>;
  /** Creates a new file (O_CREAT | O_EXCL): a segment id is never reused. */
  create(path: string): Promise<JournalFile>;
  /** Opens an existing file for writing (recovery truncates torn tails through it). */
  openExisting(path: string): Promise<JournalFile>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** fsync(2) on a directory: makes a new, renamed or deleted name in it durable. */
  fsyncDir(path: string): Promise<void>;
  /** Bytes free for an unprivileged writer on the file system holding `path`; null when unknown. */
  freeBytes(path: string): Promise<number | null>;
}

function wrap(fh: FileHandle): JournalFile {
  return {
    write: async (data, offset, length, position) => (await fh.write(data, offset, length, position)).bytesWritten,
    datasync: () => fh.datasync(),
    truncate: (length) => fh.truncate(length),
    close: () => fh.close(),
  };
}

/** The journal's file I/O on the real file system. */
export const nodeJournalFs: JournalFs = {
  mkdir: async (path) => {
    await mkdir(path, { recursive: true });
  },
  readdir: (path) => readdir(path),
  readFile: (path) => readFile(path),
  create: async (path) => wrap(await open(path, 'wx')),
  openExisting: async (path) => wrap(await open(path, 'r+')),
  rename: (from, to) => rename(from, to),
  unlink: (path) => unlink(path),
  fsyncDir: async (path) => {
    const fh = await open(path, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
  freeBytes: async (path) => {
    try {
      const s = await statfs(path);
      return s.bavail * s.bsize;
    } catch {
      return null;
    }
  },
};

/**
 * Writes all of `data` at `position`, calling write again after a short write (POSIX lets write(2)
 * return fewer bytes, e.g. when the disk fills mid-write). A write that makes no progress is an
 * error: the caller must never count bytes that did not reach the file.
 */
export async function writeFully(file: JournalFile, data: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const n = await file.write(data, done, data.length - done, position + done);
    if (!(n > 0)) throw Object.assign(new Error(`short write: ${done} of ${data.length} bytes written`), { code: 'ESHORTWRITE' });
    done += n;
  }
}

/** tmp → write → fdatasync → rename → fsync(dir), through the seam (quarantine copies, segment rewrites). */
export async function writeFileDurableVia(fs: JournalFs, dir: string, name: string, data: Buffer): Promise<void> {
  const tmp = `${dir}/.${name}.tmp`;
  await fs.unlink(tmp).catch(() => undefined);
  const file = await fs.create(tmp);
  try {
    await writeFully(file, data, 0);
    await file.datasync();
  } finally {
    await file.close();
  }
  await fs.rename(tmp, `${dir}/${name}`);
  await fs.fsyncDir(dir);
}
