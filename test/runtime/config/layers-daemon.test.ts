/**
 * The board's layout with the real daemon: the factory config in a folder mounted read-only (a
 * read-only bind mount in a private mount namespace when the test runs as root, else mode 0555),
 * the layers on a writable data folder. A technician's change survives a restart.
 */
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlClient } from '../../../runtime/control/client.js';
import { cliPath, testCacheDir, testConfig } from '../../fakes/daemon.js';

const asRoot = process.getuid?.() === 0 && spawnSync('unshare', ['-m', 'true']).status === 0;

/** Starts `station start` with the factory folder read-only for the daemon. */
function startOnBoard(etc: string, dataDir: string) {
  const node = [process.execPath, cliPath, 'start', '--config', join(etc, 'station.json'), '--data', dataDir];
  const quoted = node.map((a) => `'${a}'`).join(' ');
  const child = asRoot
    ? spawn('unshare', ['-m', 'sh', '-c', `mount --bind '${etc}' '${etc}' && mount -o remount,bind,ro '${etc}' && exec ${quoted}`], { env: { ...process.env, CACHE_DIRECTORY: testCacheDir }, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(node[0]!, node.slice(1), { env: { ...process.env, CACHE_DIRECTORY: testCacheDir }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    const poll = () => (/ ready; control socket /.test(out) ? resolve() : undefined);
    child.stderr!.on('data', poll);
    void exited.then((code) => reject(new Error(`daemon exited with ${code} before ready:\n${out}`)));
  });
  ready.catch(() => undefined);
  return { child, ready, exited, output: () => out };
}

async function call<T = any>(socket: string, method: string, params: Record<string, unknown> = {}): Promise<T> {
  const client = new ControlClient(socket);
  await client.connect();
  try {
    const reply = await client.call(method as never, params as never);
    if (!reply.ok) throw Object.assign(new Error(reply.error.message), { code: reply.error.code });
    return reply.data as T;
  } finally {
    client.close();
  }
}

t.test('a change applied on a read-only root is written to the data partition and applied after a restart', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'board-'));
  const etc = join(root, 'etc');
  const dataDir = join(root, 'data');
  mkdirSync(etc);
  mkdirSync(dataDir);
  const factory = JSON.stringify(testConfig((c) => (c.dataDir = '/var/lib/citizen-station')), null, 2);
  writeFileSync(join(etc, 'station.json'), factory);
  if (!asRoot) chmodSync(etc, 0o555);
  const factoryMtime = statSync(join(etc, 'station.json')).mtimeMs;
  const socket = join(dataDir, 'control.sock');

  const first = startOnBoard(etc, dataDir);
  t.teardown(() => first.child.kill('SIGKILL'));
  await first.ready;
  const got = await call(socket, 'config.get');
  t.equal(got.origins['/display/port'], 'factory');
  t.equal(got.origins['/journal/maxBytes'], 'default');
  const candidate = got.config;
  candidate.logging.level = 'debug';
  candidate.telemetry.intervalS = 17;
  const applied = await call(socket, 'config.apply', { config: candidate, operator: 'kt-vien' });
  t.same(applied, { applied: true, restartRequired: ['/telemetry/intervalS'], live: ['/logging/level'] });
  const after = await call(socket, 'config.get');
  t.equal(after.origins['/telemetry/intervalS'], 'technician', 'the origin follows the change at once');
  t.same(JSON.parse(readFileSync(join(dataDir, 'config', 'technician.json'), 'utf8')), { version: 2, logging: { level: 'debug' }, telemetry: { intervalS: 17 } });
  first.child.kill('SIGTERM');
  t.equal(await first.exited, 0);

  t.equal(readFileSync(join(etc, 'station.json'), 'utf8'), factory, 'the factory file is unchanged');
  t.equal(statSync(join(etc, 'station.json')).mtimeMs, factoryMtime);
  t.same(readdirSync(etc), ['station.json'], 'nothing else written beside it');

  const second = startOnBoard(etc, dataDir);
  t.teardown(() => second.child.kill('SIGKILL'));
  await second.ready;
  const again = await call(socket, 'config.get');
  t.equal(again.config.telemetry.intervalS, 17, 'applied after the restart');
  t.equal(again.config.logging.level, 'debug');
  t.equal(again.origins['/telemetry/intervalS'], 'technician');
  t.same(again.layers.map((l: { name: string; present: boolean }) => `${l.name}:${l.present}`), ['factory:true', 'site:false', 'desired:false', 'technician:true']);

  const show = spawnSync(process.execPath, [cliPath, 'config', 'show', '--config', join(etc, 'station.json'), '--data', dataDir], { encoding: 'utf8' });
  t.equal(show.status, 0, show.stderr);
  t.match(show.stdout, /\/telemetry\/intervalS\s+17\s+technician/);
  t.match(show.stdout, /\/display\/port\s+0\s+factory/);
  t.match(show.stdout, /\/journal\/maxBytes\s+67108864\s+default/);
  second.child.kill('SIGTERM');
  t.equal(await second.exited, 0);
  if (!asRoot) chmodSync(etc, 0o755);
});
