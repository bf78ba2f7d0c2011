/**
 * A JournalFs over the real file system that keeps written bytes in the process until fdatasync,
 * like a page cache that a power cut empties: when the process is killed with SIGKILL, whatever was
 * not synced is gone. It makes a kill -9 test a power-cut test, so removing fdatasync shows up.
 */
import { nodeJournalFs } from '../../runtime/link/journal-fs.js';
import type { JournalFile, JournalFs } from '../../runtime/link/journal-fs.js';

function cached(file: JournalFile): JournalFile {
  let pending: Array<{ data: Buffer; position: number } | { truncate: number }> = [];
  return {
    write: async (data, offset, length, position) => {
      pending.push({ data: Buffer.from(data.subarray(offset, offset + length)), position });
      return length;
    },
    datasync: async () => {
      for (const op of pending) {
        if ('truncate' in op) await file.truncate(op.truncate);
        else {
          let done = 0;
          while (done < op.data.length) done += await file.write(op.data, done, op.data.length - done, op.position + done);
        }
      }
      pending = [];
      await file.datasync();
    },
    truncate: async (length) => {
      pending.push({ truncate: length });
    },
    close: () => file.close(),
  };
}

export const pageCacheFs: JournalFs = {
  ...nodeJournalFs,
  create: async (path) => cached(await nodeJournalFs.create(path)),
  openExisting: async (path) => cached(await nodeJournalFs.openExisting(path)),
};
