/**
 * Durable file writes: what must survive a power cut is synced before anyone is told it is saved.
 * Shared by the runtime and the drivers (calibration files), so it lives in the kernel.
 */
import { open, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** fsync on a directory makes a rename or a new file name in it durable (POSIX rename(2) + fsync(2)). */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Replaces `path` atomically and durably with `data`; `mode` for a new file (secrets use 0600). */
export async function writeFileDurable(path: string, data: Buffer | string, mode = 0o666): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.tmp`);
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  await fsyncDir(dirname(path));
}
