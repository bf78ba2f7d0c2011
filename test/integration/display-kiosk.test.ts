// scripts/kiosk-display, its systemd unit and the Chromium policy: the launcher waits for the
// daemon, starts the browser with the kiosk flags on a fresh profile it removes afterwards, and the
// policy and unit point at the same loopback page.
import t from 'tap';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const script = 'scripts/kiosk-display';

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', [script, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function listen(port = 0): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer((s) => s.destroy());
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const dir = mkdtempSync(join(tmpdir(), 'kiosk-'));
const fakeChromium = join(dir, 'chromium');
// Records its arguments and whether the profile folder existed while it ran.
writeFileSync(fakeChromium, '#!/usr/bin/env bash\nfor a in "$@"; do echo "$a"; done\nfor a in "$@"; do case "$a" in --user-data-dir=*) d="${a#--user-data-dir=}"; [ -d "$d" ] && echo "profile-exists";; esac; done\n');
chmodSync(fakeChromium, 0o755);

t.test('starts Chromium in kiosk mode on a fresh profile and removes it afterwards', async (t) => {
  const server = await listen();
  t.teardown(() => server.close());
  const port = (server.address() as { port: number }).port;
  const url = `http://127.0.0.1:${port}/`;
  const result = await run([url], { CHROMIUM: fakeChromium, RUNTIME_DIRECTORY: dir });
  t.equal(result.code, 0);
  const args = result.stdout.trim().split('\n');
  for (const flag of ['--kiosk', '--noerrdialogs', '--disable-pinch', '--overscroll-history-navigation=0', '--disable-features=TranslateUI,Translate', '--no-first-run']) {
    t.ok(args.includes(flag), flag);
  }
  t.equal(args.at(-1), 'profile-exists');
  t.equal(args.at(-2), url, 'the station page is the last argument');
  const profile = args.find((a) => a.startsWith('--user-data-dir='))!.slice('--user-data-dir='.length);
  t.ok(profile.startsWith(join(dir, 'chromium-kiosk.')), 'profile in the runtime directory');
  t.notOk(existsSync(profile), 'profile removed when Chromium exits');
});

t.test('waits for the daemon to listen before starting the browser', async (t) => {
  const probe = await listen();
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const child = spawn('bash', [script, `http://127.0.0.1:${port}/`], {
    env: { PATH: process.env.PATH ?? '', CHROMIUM: fakeChromium, RUNTIME_DIRECTORY: dir },
  });
  let stdout = '';
  child.stdout.on('data', (c) => (stdout += c));
  const exited = new Promise<number | null>((r) => child.on('close', r));
  await new Promise<void>((r) => child.stderr.once('data', () => r()));
  t.equal(stdout, '', 'no browser while nothing listens');
  const server = await listen(port);
  t.teardown(() => server.close());
  t.equal(await exited, 0);
  t.match(stdout, '--kiosk', 'the browser starts once the daemon listens');
});

t.test('refuses a page that is not on loopback', async (t) => {
  const result = await run(['http://192.168.1.10:8080/'], { CHROMIUM: fakeChromium, RUNTIME_DIRECTORY: dir });
  t.equal(result.code, 2);
  t.match(result.stderr, 'not a loopback address');
  t.equal(result.stdout, '');
});

t.test('the policy allows only the station page and disables developer tools; the unit runs the launcher', async (t) => {
  const policy = JSON.parse(readFileSync('config/chromium-policy.json', 'utf8'));
  t.same(policy.URLBlocklist, ['*']);
  t.same(policy.URLAllowlist, ['http://127.0.0.1:8080/']);
  t.equal(policy.DeveloperToolsAvailability, 2);
  t.equal(policy.IncognitoModeAvailability, 1);
  t.equal(policy.DownloadRestrictions, 3);
  const unit = readFileSync('config/systemd/citizen-station-display.service', 'utf8');
  const exec = /^ExecStart=(.*)$/m.exec(unit)?.[1];
  t.equal(exec, '/usr/bin/cage -d -- /opt/citizen-station/scripts/kiosk-display http://127.0.0.1:8080/');
  t.match(unit, /^Restart=always$/m);
  t.match(unit, /^RuntimeDirectory=citizen-station-display$/m);
});
