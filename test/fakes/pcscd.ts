/**
 * Debian's pcscd with vsmartcard's virtual reader, started for one test file (only one pcscd can
 * run on a machine, so tests that use it run it one file at a time), and the real binding.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { PcscContext } from '../../drivers/transports/pcsc-real.js';

const socketPath = '/run/pcscd/pcscd.comm';
/** Held while a test file runs its pcscd: tap runs files in parallel, the machine has one pcscd. */
const lockPath = '/tmp/citizen-station-pcscd.lock';

async function lock(): Promise<void> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(lockPath);
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`${lockPath} was held for 5 minutes; remove it if no test runs`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

export interface Pcscd {
  createContext: () => PcscContext;
  stop(): Promise<void>;
}

/** Starts pcscd in the foreground and waits for its socket; rejects naming what is missing. */
export async function startPcscd(): Promise<Pcscd> {
  if (!existsSync('/usr/sbin/pcscd')) throw new Error('pcscd is not installed (apt-get install pcscd libpcsclite-dev vsmartcard-vpcd)');
  if (!existsSync('/usr/lib/pcsc/drivers/serial/libifdvpcd.so')) throw new Error('vsmartcard-vpcd is not installed');
  await lock();
  if (existsSync(socketPath)) {
    rmSync(lockPath, { recursive: true, force: true });
    throw new Error(`a pcscd is already running (${socketPath}); these tests start their own`);
  }
  const child: ChildProcess = spawn('/usr/sbin/pcscd', ['--foreground'], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (!existsSync(socketPath)) {
    const failure = child.exitCode !== null ? `pcscd exited with ${child.exitCode}` : Date.now() > deadline ? 'pcscd did not create its socket within 10 s' : undefined;
    if (failure) {
      child.kill('SIGTERM');
      rmSync(lockPath, { recursive: true, force: true });
      throw new Error(failure);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const pcsc = createRequire(import.meta.url)('@pokusew/pcsclite') as () => PcscContext;
  return {
    createContext: () => pcsc(),
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          rmSync(lockPath, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null) return done();
        child.once('exit', done);
        child.kill('SIGTERM');
      }),
  };
}
