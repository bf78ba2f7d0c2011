import t from 'tap';
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { checkRelease, type ReleaseManifest } from '../../../../runtime/platform/updates/release-bundle.js';
import { commitTrial, currentRelease, installRelease, onStart, readUpdateState, switchRelease, trySwitch } from '../../../../runtime/platform/updates/release-install.js';

const releaseKey = generateKeyPairSync('ed25519');
const commandKey = generateKeyPairSync('ed25519');
const keys = new Map<string, KeyObject>([['central-release-1', releaseKey.publicKey]]);

/** A release folder as central builds it: files plus release.json signed with `key`. */
function bundle(version: string, files: Record<string, string | Buffer>, key = releaseKey.privateKey, keyId = 'central-release-1') {
  const dir = mkdtempSync(join(tmpdir(), `release-${version}-`));
  const list = Object.entries(files).map(([path, body]) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), body);
    return { path, size: Buffer.byteLength(body), sha256: createHash('sha256').update(body).digest('hex') };
  });
  const manifest: ReleaseManifest = { version, createdAt: '2026-12-01T00:00:00Z', files: list };
  const text = JSON.stringify(manifest);
  writeFileSync(join(dir, 'release.json'), JSON.stringify({ manifest: text, keyId, signature: sign(null, Buffer.from(text), key).toString('base64') }));
  return { dir, manifest };
}

/** A board with release 1.0.0 installed and current. */
async function board() {
  const releases = join(mkdtempSync(join(tmpdir(), 'releases-')), 'releases');
  const first = bundle('1.0.0', { 'dist/bundle/station.cjs': 'console.log("1.0.0")' });
  await installRelease(first.dir, releases, first.manifest);
  await switchRelease(releases, '1.0.0');
  return releases;
}

t.test('a good release is checked, installed beside the old one, switched to on trial and committed', async (t) => {
  const releases = await board();
  const next = bundle('1.1.0', { 'dist/bundle/station.cjs': 'console.log("1.1.0")', 'flows/health-check.yaml': 'id: health-check\n' });
  const checked = await checkRelease(next.dir, keys);
  t.ok(checked.ok);
  if (!checked.ok) return;
  await installRelease(next.dir, releases, checked.manifest);
  t.equal(readFileSync(join(releases, '1.1.0', 'flows/health-check.yaml'), 'utf8'), 'id: health-check\n');
  t.equal(await currentRelease(releases), '1.0.0', 'installing changes nothing that runs');
  await trySwitch(releases, '1.1.0', { now: 1000, healthyWithinMs: 120_000 });
  t.equal(await currentRelease(releases), '1.1.0');
  t.same(await onStart(releases, '1.1.0', { now: 2000, maxStarts: 3 }), { action: 'run' });
  t.equal(await commitTrial(releases, '1.1.0', 3000), true);
  t.same(await readUpdateState(releases), { trial: null, last: { version: '1.1.0', outcome: 'committed', at: 3000 } });
  t.same(await onStart(releases, '1.1.0', { now: 999_999, maxStarts: 3 }), { action: 'run' }, 'a committed release is never rolled back');
  t.same(readdirSync(releases).sort(), ['1.0.0', '1.1.0', 'current', 'updates.json'], 'the old release stays for a later rollback');
});

t.test('a release signed by any other key, or changed after signing, never installs', async (t) => {
  const releases = await board();
  const before = readdirSync(releases).sort();
  const byCommandKey = bundle('1.1.0', { 'a.js': 'x' }, commandKey.privateKey, 'central-commands-1');
  t.match(await checkRelease(byCommandKey.dir, keys), { ok: false, reason: 'unknown-key' }, 'the command key cannot ship code');
  const forged = bundle('1.1.0', { 'a.js': 'x' }, commandKey.privateKey);
  t.match(await checkRelease(forged.dir, keys), { ok: false, reason: 'bad-signature' });
  const escaping = bundle('1.1.0', { 'a.js': 'x' });
  const outer = JSON.parse(readFileSync(join(escaping.dir, 'release.json'), 'utf8'));
  const m = JSON.parse(outer.manifest);
  m.files[0].path = '../../etc/passwd';
  const text = JSON.stringify(m);
  writeFileSync(join(escaping.dir, 'release.json'), JSON.stringify({ ...outer, manifest: text, signature: sign(null, Buffer.from(text), releaseKey.privateKey).toString('base64') }));
  t.match(await checkRelease(escaping.dir, keys), { ok: false, reason: 'bad-manifest', message: /files\[0\]\.path must be a relative path inside the release/ });

  const tampered = bundle('1.1.0', { 'dist/bundle/station.cjs': 'console.log("1.1.0")' });
  const checked = await checkRelease(tampered.dir, keys);
  t.ok(checked.ok, 'the signature covers the manifest');
  writeFileSync(join(tampered.dir, 'dist/bundle/station.cjs'), 'console.log("6.6.6")');
  if (checked.ok) await t.rejects(installRelease(tampered.dir, releases, checked.manifest), { code: 'UPDATE_REFUSED', message: /dist\/bundle\/station\.cjs: SHA-256 .* is not the signed/ });
  t.same(readdirSync(releases).sort(), before, 'no release and no partial copy left');
  t.equal(await currentRelease(releases), '1.0.0');
});

t.test('a release that keeps crashing at start, or is not healthy by its deadline, is rolled back', async (t) => {
  const releases = await board();
  const next = bundle('1.1.0', { 'dist/bundle/station.cjs': 'throw new Error("crash")' });
  await installRelease(next.dir, releases, next.manifest);
  await trySwitch(releases, '1.1.0', { now: 0, healthyWithinMs: 120_000 });
  for (let i = 1; i <= 3; i++) t.same(await onStart(releases, '1.1.0', { now: i * 1000, maxStarts: 3 }), { action: 'run' }, `start ${i} is allowed`);
  t.same(await onStart(releases, '1.1.0', { now: 4000, maxStarts: 3 }), { action: 'rolled-back', to: '1.0.0', reason: 'started 3 times without becoming healthy' });
  t.equal(await currentRelease(releases), '1.0.0');
  t.match(await readUpdateState(releases), { trial: null, last: { version: '1.1.0', outcome: 'rolled-back' } });
  t.same(await onStart(releases, '1.0.0', { now: 5000, maxStarts: 3 }), { action: 'run' });

  await trySwitch(releases, '1.1.0', { now: 10_000, healthyWithinMs: 120_000 });
  t.same(await onStart(releases, '1.1.0', { now: 200_000, maxStarts: 3 }), { action: 'rolled-back', to: '1.0.0', reason: 'not healthy by its deadline' });
  t.equal(await commitTrial(releases, '1.1.0', 200_001), false, 'a rolled-back release cannot be committed late');
});

t.test('a power cut (SIGKILL) in the middle of an install leaves the old release current; the next install completes', async (t) => {
  const releases = await board();
  // Big enough that the copy is still running when the child is killed.
  const big = Buffer.alloc(64 * 1024 * 1024, 7);
  const next = bundle('1.1.0', { 'node_modules/big.bin': big, 'dist/bundle/station.cjs': 'console.log("1.1.0")' });
  const manifestFile = join(next.dir, '..', `manifest-${Date.now()}.json`);
  writeFileSync(manifestFile, JSON.stringify(next.manifest));
  const child = spawn(process.execPath, [...process.execArgv, join(import.meta.dirname, 'install-child.ts'), next.dir, releases, manifestFile], { stdio: 'ignore' });
  const partialFile = join(releases, '.1.1.0.partial', 'node_modules', 'big.bin');
  for (let i = 0; i < 2000 && !existsSync(partialFile); i++) await new Promise((r) => setTimeout(r, 5));
  child.kill('SIGKILL');
  const exit = await new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_c, s) => resolve(s)));
  t.equal(exit, 'SIGKILL');
  t.ok(existsSync(join(releases, '.1.1.0.partial')), 'killed while copying');
  t.equal(await currentRelease(releases), '1.0.0', 'the old release is still the one that starts');
  t.notOk(existsSync(join(releases, '1.1.0')), 'no half release under its real name');
  await installRelease(next.dir, releases, next.manifest);
  t.notOk(existsSync(join(releases, '.1.1.0.partial')), 'the partial copy is cleared');
  t.equal(readFileSync(join(releases, '1.1.0', 'node_modules', 'big.bin')).length, big.length);
});
