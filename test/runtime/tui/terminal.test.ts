/**
 * The technician UI in a real 80x24 terminal (tmux) against the station daemon started in simulation
 * (`station start --config <sim> --data DIR`, run from the sources with tap's TypeScript loader).
 * Waiting here is for other processes to draw, so it polls tmux's screen with a deadline.
 */
import t from 'tap';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ControlClient } from '../../../runtime/control/client.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const hasTmux = spawnSync('tmux', ['-V']).status === 0;

t.test('a technician puts the simulated station into maintenance from a real terminal', { skip: hasTmux ? false : 'tmux not installed' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tui-terminal-'));
  const config = JSON.parse(readFileSync(join(root, 'config/sim.json'), 'utf8')) as Record<string, any>;
  // Free ports so this test runs beside others that start brokers and display servers.
  config.mqtt.embeddedBroker.port = 0;
  config.display.port = 0;
  writeFileSync(join(dir, 'sim.json'), JSON.stringify(config));
  const env: NodeJS.ProcessEnv = { ...process.env, TS_NODE_TRANSPILE_ONLY: '1' };
  // ink renders only the last frame when CI is set (is-in-ci); a technician's SSH session never has it.
  delete env.CI;
  const loader = ['--import', '@tapjs/typescript/import'];
  const daemon = spawn(process.execPath, [...loader, 'runtime/cli.ts', 'start', '--config', join(dir, 'sim.json'), '--data', dir], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const tmux = ['-L', `citizen-station-tui-${process.pid}`];
  const exited = new Promise<void>((resolve) => daemon.once('exit', () => resolve()));
  t.teardown(async () => {
    spawnSync('tmux', [...tmux, 'kill-server']);
    // The daemon writes its data directory until it has stopped; remove it only after.
    daemon.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  });

  const socketPath = await new Promise<string>((resolve, reject) => {
    let err = '';
    daemon.stderr!.setEncoding('utf8');
    daemon.stderr!.on('data', (chunk: string) => {
      err += chunk;
      const ready = /ready; control socket (\S+)/.exec(err);
      if (ready) resolve(ready[1]!);
    });
    daemon.once('exit', (code) => reject(new Error(`daemon exited with ${code}: ${err}`)));
  });

  // `station tui`, as a technician starts it over SSH.
  execFileSync('tmux', [...tmux, 'new-session', '-d', '-x', '80', '-y', '24', '-s', 'tui', process.execPath, ...loader, 'runtime/cli.ts', 'tui', '--socket', socketPath], { cwd: root, env });
  const screen = () => execFileSync('tmux', [...tmux, 'capture-pane', '-p', '-t', 'tui'], { encoding: 'utf8' });
  const waitFor = async (pattern: RegExp, what: string): Promise<string> => {
    const deadline = Date.now() + 30_000;
    let text = '';
    while (Date.now() < deadline) {
      text = screen();
      if (pattern.test(text)) return text;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${what} never appeared; the screen was:\n${text}`);
  };
  const keys = (...k: string[]) => execFileSync('tmux', [...tmux, 'send-keys', '-t', 'tui', ...k]);

  let text = await waitFor(/sim-dao-kim-cuong-01 v[0-9.]+  IN SERVICE/, 'the dashboard');
  t.match(text, /\[1 Dashboard\]/);
  t.match(text, /Mode +IN SERVICE/);
  const lines = text.split('\n');
  t.ok(lines.every((l) => [...l].length <= 80), 'nothing wider than the terminal');

  keys('7');
  await waitFor(/\[7 Maint\]/, 'the maintenance view');
  keys('m');
  await waitFor(/Reason \(shown to central\)/, 'the reason prompt');
  keys('-l', 'cleaning the cuff');
  keys('Enter');
  text = await waitFor(/The station is IN MAINTENANCE/, 'maintenance on');
  t.match(text, /reason: cleaning the cuff/);

  const client = new ControlClient(socketPath);
  await client.connect();
  const status = await client.call('status', {});
  client.close();
  t.match(status, { ok: true, data: { maintenance: { on: true, reason: 'cleaning the cuff' } } }, 'the daemon holds it, not only the screen');

  keys('5');
  text = await waitFor(/maintenance mode changed/, 'the daemon log line in the logs view');
  t.match(text, /INFO {2}station: maintenance mode changed/);

  keys('q');
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && spawnSync('tmux', [...tmux, 'has-session', '-t', 'tui']).status === 0) await new Promise((r) => setTimeout(r, 100));
  t.not(spawnSync('tmux', [...tmux, 'has-session', '-t', 'tui']).status, 0, 'q quits the UI');
});
