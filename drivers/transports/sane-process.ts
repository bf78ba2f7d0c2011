/**
 * The SANE seam. The document scanner driver runs `scanimage` (Debian `sane-utils`) through a
 * {@link ScanProcess}: one command, its stdout as bytes, bounded in time and size. The real one spawns
 * the program; on a development machine or in CI it is the same program with SANE's `test` backend
 * (`-d test`), so the driver code that runs there is the code that runs on the board.
 */
import { spawn } from 'node:child_process';
import { StationError } from '../../runtime/kernel/errors.js';

export interface ScanProcess {
  /** Runs `scanimage` with `args`; resolves with stdout, rejects with DEVICE_MISSING / DEVICE_TIMEOUT / DEVICE_READ_FAILED. */
  run(args: string[], limits: { timeoutMs: number; maxBytes: number }): Promise<Buffer>;
}

/** Spawns `program` (default `scanimage` on PATH). */
export class SpawnScanProcess implements ScanProcess {
  constructor(private readonly program = 'scanimage') {}

  run(args: string[], limits: { timeoutMs: number; maxBytes: number }): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const chunks: Buffer[] = [];
      let size = 0;
      let stderr = '';
      let failure: StationError | undefined;
      const timer = setTimeout(() => {
        failure = new StationError('DEVICE_TIMEOUT', `scanimage gave no page within ${limits.timeoutMs} ms`, { transient: true });
        child.kill('SIGKILL');
      }, limits.timeoutMs);
      child.stdout.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limits.maxBytes) {
          failure = new StationError('DEVICE_READ_FAILED', `scanimage sent more than ${limits.maxBytes} bytes`);
          child.kill('SIGKILL');
          return;
        }
        chunks.push(chunk);
      });
      child.stderr.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString('utf8')).slice(-400); });
      child.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new StationError('DEVICE_MISSING', err.code === 'ENOENT' ? `${this.program} is not installed (Debian package sane-utils)` : err.message, { cause: err }));
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        if (failure) reject(failure);
        else if (code !== 0) {
          // scanimage prints "open of device X failed: Invalid argument" when no scanner answers.
          const missing = /open of device|no SANE devices/i.test(stderr);
          reject(new StationError(missing ? 'DEVICE_MISSING' : 'DEVICE_READ_FAILED', `scanimage exited ${String(code)}: ${stderr.trim().split('\n').at(-1) ?? ''}`, { transient: !missing }));
        } else resolve(Buffer.concat(chunks));
      });
    });
  }
}
