/**
 * Runs the compiled station daemon (`dist/bundle/station.cjs start`) as a child process, the way
 * systemd does, with a fresh data directory and a config written for the test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The shipped command: the launcher npm run build makes (bin `station`). */
export const cliPath = join(process.cwd(), 'dist', 'bundle', 'station.cjs');

/** What `npm start` runs: the same daemon with the development central simulator handed to it. */
export const devStationPath = join(process.cwd(), 'dist', 'scripts', 'dev-station.js');

/** The daemons of the tests share one code cache, out of the home directory, as systemd's CacheDirectory. */
export const testCacheDir = join(tmpdir(), 'citizen-station-test-cache');

export interface Daemon {
  child: ChildProcess;
  dataDir: string;
  configFile: string;
  socketPath: string;
  output: () => string;
  /** Resolves when stderr says the station is ready; rejects if it exits first. */
  ready: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The simulation config with changes for tests: free ports, no embedded services unless asked. */
export function testConfig(change: (c: any) => void = () => undefined): any {
  const c = JSON.parse(readFileSync(join(process.cwd(), 'config', 'sim.json'), 'utf8'));
  c.mqtt.embeddedBroker = { enabled: false, host: '127.0.0.1', port: 0 };
  c.centralSim = { enabled: false };
  c.display = { enabled: false, host: '127.0.0.1', port: 0 };
  c.logging = { level: 'info' };
  change(c);
  return c;
}

export function startDaemon(config: unknown, options: { env?: Record<string, string>; args?: string[]; dataDir?: string; entry?: string } = {}): Daemon {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'station-'));
  const configFile = join(dataDir, 'station.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const child = spawn(process.execPath, [options.entry ?? cliPath, 'start', '--config', configFile, '--data', dataDir, ...(options.args ?? [])], {
    env: { ...process.env, CACHE_DIRECTORY: testCacheDir, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const ready = new Promise<void>((resolve, reject) => {
    const onData = () => {
      if (/ ready; control socket /.test(out)) {
        child.stderr!.off('data', onData);
        resolve();
      }
    };
    child.stderr!.on('data', onData);
    void exited.then(({ code }) => reject(new Error(`daemon exited with ${code} before ready:\n${out}`)));
  });
  ready.catch(() => undefined);
  return { child, dataDir, configFile, socketPath: join(dataDir, 'control.sock'), output: () => out, ready, exited };
}
