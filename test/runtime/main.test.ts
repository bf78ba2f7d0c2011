import t from 'tap';
import { createRequire } from 'node:module';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ControlClient } from '../../runtime/control/client.js';
import { startDaemon, testConfig, cliPath, devStationPath } from '../fakes/daemon.js';

const require = createRequire(import.meta.url);
const unix = require('unix-dgram');

/** A fake systemd notify socket collecting datagrams. */
function notifySocket(t: any): { path: string; messages: string[]; waitFor: (re: RegExp) => Promise<void> } {
  const path = join(mkdtempSync(join(tmpdir(), 'notify-')), 'notify.sock');
  const messages: string[] = [];
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  const socket = unix.createSocket('unix_dgram', (buf: Buffer) => {
    messages.push(buf.toString());
    for (const w of [...waiters]) if (messages.some((m) => w.re.test(m))) w.resolve();
  });
  socket.bind(path);
  t.teardown(() => socket.close());
  return {
    path,
    messages,
    waitFor: (re) =>
      messages.some((m) => re.test(m)) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ re, resolve })),
  };
}

t.test('daemon: READY, WATCHDOG while healthy, status over the socket, graceful SIGTERM with STOPPING', async (t) => {
  const notify = notifySocket(t);
  const daemon = startDaemon(testConfig(), { env: { NOTIFY_SOCKET: notify.path, WATCHDOG_USEC: '200000' } });
  t.teardown(() => daemon.child.kill('SIGKILL'));
  await daemon.ready;
  await notify.waitFor(/^READY=1/);
  await notify.waitFor(/^WATCHDOG=1$/);

  const client = new ControlClient(daemon.socketPath);
  await client.connect();
  const status = await client.call('status');
  client.close();
  t.equal(status.ok, true);
  if (status.ok) {
    t.equal(status.data.stationId, 'sim-dao-kim-cuong-01');
    t.equal(status.data.healthy, true);
    t.ok(status.data.components.find((c) => c.name === 'control-socket' && c.state === 'running'));
  }

  const cli = spawnSync(process.execPath, [cliPath, 'status', '--json', '--config', daemon.configFile, '--data', daemon.dataDir], { encoding: 'utf8' });
  t.equal(cli.status, 0, cli.stderr);
  t.equal(JSON.parse(cli.stdout).stationId, 'sim-dao-kim-cuong-01');
  const text = spawnSync(process.execPath, [cliPath, 'status', '--socket', daemon.socketPath], { encoding: 'utf8' });
  t.match(text.stdout, /health\s+OK/);
  t.match(text.stdout, /control-socket\s+running/);

  const began = Date.now();
  daemon.child.kill('SIGTERM');
  const exit = await daemon.exited;
  const took = Date.now() - began;
  t.equal(exit.code, 0, 'exits 0 after SIGTERM');
  t.ok(took < 2000, `stopped in ${took} ms (< 2000)`);
  const stoppingSeen = await Promise.race([notify.waitFor(/^STOPPING=1$/).then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 2000))]);
  t.ok(stoppingSeen, 'STOPPING sent');
  t.match(daemon.output(), /"msg":"stopped"/);
});

t.test('status exits non-zero when the daemon is not reachable', async (t) => {
  const r = spawnSync(process.execPath, [cliPath, 'status', '--socket', join(tmpdir(), 'no-such-station.sock')], { encoding: 'utf8' });
  t.equal(r.status, 1);
  t.match(r.stderr, /cannot reach the station/);
});

t.test('start refuses an invalid config, naming the path', async (t) => {
  const daemon = startDaemon(testConfig((c) => (c.display.port = 'eighty')));
  const exit = await daemon.exited;
  t.equal(exit.code, 1);
  t.match(daemon.output(), /station\.json: \/display\/port: expected integer/);
});

t.test('check-config exits 0 when valid, 1 with one line per problem', async (t) => {
  const ok = spawnSync(process.execPath, [cliPath, 'check-config', 'config/sim.json'], { encoding: 'utf8' });
  t.equal(ok.status, 0);
  const dir = mkdtempSync(join(tmpdir(), 'cc-'));
  const file = join(dir, 'bad.json');
  require('node:fs').writeFileSync(file, JSON.stringify({ version: 1, station: { id: 'ok-id' }, devices: { lidar: { mode: 'sim' }, spo2: { mode: 'real', address: 300 } } }));
  const bad = spawnSync(process.execPath, [cliPath, 'check-config', file], { encoding: 'utf8' });
  t.equal(bad.status, 1);
  const lines = bad.stderr.trim().split('\n');
  t.equal(lines.length, 2);
  t.ok(lines.some((l: string) => l.includes('/devices/lidar: unknown device kind "lidar"')));
  t.ok(lines.some((l: string) => l.includes('/devices/spo2/address: expected a number <= 119')));
});

t.test('the simulation as npm start runs it: status answers, the display page loads, telemetry reaches the embedded broker', async (t) => {
  const mqtt = await import('mqtt');
  const daemon = startDaemon(
    testConfig((c) => {
      c.mqtt.embeddedBroker = { enabled: true, host: '127.0.0.1', port: 0 };
      c.centralSim = { enabled: true, paymentDelayMs: 1000 };
      c.display = { enabled: true, host: '127.0.0.1', port: 0 };
      c.telemetry = { intervalS: 1 };
    }),
    { entry: devStationPath },
  );
  t.teardown(() => daemon.child.kill('SIGKILL'));
  await daemon.ready;
  t.match(daemon.output(), /broker\s+mqtt:\/\/127\.0\.0\.1:\d+ \(embedded, MQTT 3\.1\.1\)/, 'prints what runs where');
  const client = new ControlClient(daemon.socketPath);
  await client.connect();
  const status = await client.call('status');
  client.close();
  if (!status.ok) throw new Error(status.error.message);
  const names = status.data.components.filter((c) => c.state === 'running').map((c) => c.name);
  for (const name of ['embedded-broker', 'central-sim', 'central-link', 'devices', 'flow-session', 'display', 'control-socket']) {
    t.ok(names.includes(name), `${name} running`);
  }
  const page = await fetch(status.data.display!.url);
  t.equal(page.status, 200);
  t.match(await page.text(), /<html lang="vi">/);

  const sub = mqtt.connect(status.data.link.url, { protocolVersion: 4 });
  t.teardown(() => sub.end(true));
  const telemetry = await new Promise<{ topic: string; body: any }>((resolve, reject) => {
    sub.on('error', reject);
    sub.on('message', (topic, payload) => resolve({ topic, body: JSON.parse(payload.toString()) }));
    sub.subscribe('cds/v1/sim-dao-kim-cuong-01/telemetry/station', { qos: 0 });
  });
  t.equal(telemetry.topic, 'cds/v1/sim-dao-kim-cuong-01/telemetry/station');
  t.type(telemetry.body.data.outboxDepth, 'number');
  daemon.child.kill('SIGTERM');
  t.equal((await daemon.exited).code, 0);
});

t.test('a technician action recorded before SIGTERM is still in the journal after a restart; config.apply writes the technician layer and says what needs a restart', async (t) => {
  const first = startDaemon(testConfig());
  t.teardown(() => first.child.kill('SIGKILL'));
  await first.ready;
  const client = new ControlClient(first.socketPath);
  await client.connect();
  const on = await client.call('maintenance.set', { on: true, reason: 'thay giấy in' });
  t.same(on, { id: '1', ok: true, data: { on: true, reason: 'thay giấy in' } });
  const before = await client.call('outbox');
  if (!before.ok) throw new Error(before.error.message);
  t.ok(before.data.depth >= 1, `audit record waiting for central (${before.data.depth})`);

  const candidate = JSON.parse(require('node:fs').readFileSync(first.configFile, 'utf8'));
  candidate.logging.level = 'debug';
  candidate.display.port = 8099;
  const applied = await client.call('config.apply', { config: candidate, operator: 'kt-vien' });
  t.same(applied.ok && applied.data, { applied: true, restartRequired: ['/display/port'], live: ['/logging/level'] });
  t.equal(JSON.parse(require('node:fs').readFileSync(join(first.dataDir, 'config', 'technician.json'), 'utf8')).display.port, 8099, 'technician layer written');
  const refused = await client.call('config.apply', { config: { ...candidate, display: { port: 'x' } } });
  t.equal(refused.ok, false);
  if (!refused.ok) t.match(refused.error.message, /\/display\/port: expected integer/);
  client.close();

  first.child.kill('SIGTERM');
  t.equal((await first.exited).code, 0);

  const second = startDaemon(JSON.parse(require('node:fs').readFileSync(first.configFile, 'utf8')), { dataDir: first.dataDir });
  t.teardown(() => second.child.kill('SIGKILL'));
  await second.ready;
  const again = new ControlClient(second.socketPath);
  await again.connect();
  const after = await again.call('outbox');
  again.close();
  if (!after.ok) throw new Error(after.error.message);
  t.ok(after.data.depth >= before.data.depth + 2, `maintenance and both config.apply audits kept across the restart (${after.data.depth})`);
  second.child.kill('SIGTERM');
  t.equal((await second.exited).code, 0);
});

t.test('a real printer and SpO2 sensor that are not plugged in are reported missing; the station still serves', async (t) => {
  const daemon = startDaemon(
    testConfig((c) => {
      c.devices.printer = { mode: 'real', serial: { path: '/dev/station-printer-not-here', baudRate: 19200 } };
      c.devices.spo2 = { mode: 'real', bus: 29 };
    }),
  );
  t.teardown(() => daemon.child.kill('SIGKILL'));
  await daemon.ready;
  const client = new ControlClient(daemon.socketPath);
  await client.connect();
  const devices = await client.call('devices');
  const status = await client.call('status');
  client.close();
  if (!devices.ok || !status.ok) throw new Error('control calls failed');
  const byName = new Map(devices.data.map((d) => [d.name, d]));
  t.equal(byName.get('printer')?.health, 'missing');
  t.equal(byName.get('printer')?.mode, 'real');
  t.equal(byName.get('spo2')?.health, 'missing');
  t.match(byName.get('spo2')?.reason, /i2c-29|does not answer/);
  t.equal(byName.get('scale')?.health, 'ok', 'the simulated scale still measures');
  t.equal(status.data.healthy, true, 'missing optional devices do not make the station unhealthy');
  daemon.child.kill('SIGTERM');
  t.equal((await daemon.exited).code, 0);
});

t.test('the installed command compiles the daemon once: the next start runs from V8\'s code cache', async (t) => {
  const cacheDir = t.testdir();
  const loggedCache = async (daemon: ReturnType<typeof startDaemon>) => {
    await daemon.ready;
    for (let i = 0; i < 100 && !/"codeCache":"(\w+)"/.test(daemon.output()); i++) await new Promise((r) => setTimeout(r, 20));
    return /"codeCache":"(\w+)"/.exec(daemon.output())?.[1];
  };
  const first = startDaemon(testConfig(), { env: { CACHE_DIRECTORY: cacheDir } });
  t.teardown(() => first.child.kill('SIGKILL'));
  t.equal(await loggedCache(first), 'miss', 'a new build compiles from source and says so in its ready line');
  // Written a few seconds after the start, once the start has compiled what it runs.
  for (let i = 0; i < 100 && !readdirSync(cacheDir).some((f) => f.endsWith('.v8cache')); i++) await new Promise((r) => setTimeout(r, 100));
  t.match(readdirSync(cacheDir), [/^daemon\.cjs-\d+-\d+-v\d+\.\d+\.\d+-\w+\.v8cache$/]);
  first.child.kill('SIGTERM');
  t.equal((await first.exited).code, 0);

  const second = startDaemon(testConfig(), { env: { CACHE_DIRECTORY: cacheDir } });
  t.teardown(() => second.child.kill('SIGKILL'));
  t.equal(await loggedCache(second), 'hit');
  const client = new ControlClient(second.socketPath);
  await client.connect();
  const status = await client.call('status');
  client.close();
  t.equal(status.ok && status.data.healthy, true, 'the daemon from cached code runs as the one compiled from source');
  second.child.kill('SIGTERM');
  t.equal((await second.exited).code, 0);
});
