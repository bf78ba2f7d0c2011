import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProvisionRefused, boardPaths, main, provision } from '../../scripts/provision.js';
import type { ProvisionOptions } from '../../scripts/provision.js';
import { validateConfigFile } from '../../runtime/config/config.js';

const work = mkdtempSync(join(tmpdir(), 'provision-test-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const caKey = join(work, 'ca.key');
const caCert = join(work, 'ca.pem');
// A throwaway stand-in for central's CA.
execFileSync('openssl', [
  'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', caKey, '-out', caCert,
  '-subj', '/O=Central/CN=Central Station CA', '-days', '30',
  '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
], { stdio: 'pipe' });

const commandKey = join(work, 'central-commands.pub');
writeFileSync(commandKey, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));

const serials = { bp: 'A10K1234', scale: '0001', scanner: '0002', printer: 'A10K9876', heightPortPath: 'platform-fd500000.pcie-pci-0000:01:00.0-usb-0:1.3:1.0' };
let n = 0;
function options(overrides: Partial<ProvisionOptions> = {}): ProvisionOptions {
  return {
    stationId: 'hcm-bt-dkc-01',
    brokerUrl: 'mqtts://broker.cds.hcmc.vn:8883',
    name: 'Trạm công dân số Đảo Kim Cương',
    site: { building: 'Tháp "Brilliant"', floor: 'Sảnh', address: '104 Nguyễn Văn Hưởng', ward: 'Phường Bình Trưng' },
    caCert,
    caKey,
    commandKey,
    commandKeyId: 'central-2026',
    serials,
    root: join(work, `root-${++n}`),
    ...overrides,
  };
}

t.test('signs a station certificate with the CA and writes a config that check-config accepts', async (t) => {
  const o = options();
  const result = provision(o);
  const at = (p: string) => join(o.root!, p);
  const checked = validateConfigFile(at(boardPaths.config));
  t.ok(checked.ok, 'validateConfigFile accepts the provisioned config');
  if (checked.ok) {
    t.equal(checked.config.station.id, 'hcm-bt-dkc-01');
    t.equal(checked.config.station.site.building, 'Tháp "Brilliant"', 'quotes survive JSON filling');
    t.equal(checked.config.mqtt.url, 'mqtts://broker.cds.hcmc.vn:8883');
    t.same(checked.config.mqtt.tls, { ca: boardPaths.caCert, cert: boardPaths.cert, key: boardPaths.key });
    t.same(Object.keys(checked.config.security.commandKeys), ['central-2026']);
    t.equal(checked.config.security.commandKeys['central-2026'], readFileSync(commandKey, 'utf8').trim(), 'central\'s command key, PEM');
    t.equal(checked.config.security.generateProvisioning, false);
    t.equal(checked.config.security.provisioningFile, boardPaths.provisioning);
  }
  const provisioning = JSON.parse(readFileSync(at(boardPaths.provisioning), 'utf8')) as { journalKey: string };
  t.match(provisioning.journalKey, /^[0-9a-f]{64}$/, 'a 256-bit journal key');
  t.equal(statSync(at(boardPaths.provisioning)).mode & 0o777, 0o600, 'the master key file is root-only');
  const config = readFileSync(at(boardPaths.config), 'utf8');
  t.notMatch(config, /@[A-Z_]+@/, 'no placeholder left in the config');
  t.notMatch(config, /\$schema/, 'the repository editor hint is dropped');

  const cert = new X509Certificate(readFileSync(at(boardPaths.cert)));
  const ca = new X509Certificate(readFileSync(caCert));
  t.ok(cert.verify(ca.publicKey), 'certificate issued by the CA');
  t.match(cert.subject, /CN=hcm-bt-dkc-01/);
  t.match(cert.subjectAltName ?? '', /urn:cds:station:hcm-bt-dkc-01/);
  t.equal(cert.ca, false, 'not a CA');
  t.same(cert.keyUsage, ['1.3.6.1.5.5.7.3.2'], 'clientAuth only');
  t.equal(
    createPublicKey(readFileSync(at(boardPaths.key))).export({ type: 'spki', format: 'der' }).toString('hex'),
    cert.publicKey.export({ type: 'spki', format: 'der' }).toString('hex'),
    'private key matches the certificate',
  );
  t.equal(statSync(at(boardPaths.key)).mode & 0o777, 0o640, 'TLS key is not world readable');
  t.equal(statSync(at(boardPaths.signingKey)).mode & 0o777, 0o640, 'signing key is not world readable');
  t.equal(createPublicKey(result.signingPublicKey).asymmetricKeyType, 'ed25519');
  t.equal(result.certFingerprint, cert.fingerprint256);

  const rules = readFileSync(at(boardPaths.udevRules), 'utf8');
  t.notMatch(rules, /@[A-Z_]+@/, 'no placeholder left in the udev rules');
  t.match(rules, /ATTRS\{serial\}=="A10K1234", SYMLINK\+="station-bp"/);
  t.match(rules, /ENV\{ID_PATH\}=="platform-fd500000[^"]*", SYMLINK\+="station-height"/);
});

t.test('two stations never share keys', async (t) => {
  const a = options({ stationId: 'hcm-bt-dkc-02' });
  const b = options({ stationId: 'hcm-bt-dkc-03' });
  provision(a);
  provision(b);
  for (const p of [boardPaths.key, boardPaths.signingKey, boardPaths.provisioning]) {
    t.not(readFileSync(join(a.root!, p), 'utf8'), readFileSync(join(b.root!, p), 'utf8'), p);
  }
});

t.test('takes a certificate central issued, and refuses one for another key or station', async (t) => {
  const issuedDir = join(work, 'issued');
  const first = options({ stationId: 'hcm-bt-dkc-04', root: issuedDir });
  provision(first);
  const cert = join(issuedDir, boardPaths.cert);
  const key = join(issuedDir, boardPaths.key);

  const ok = options({ stationId: 'hcm-bt-dkc-04', caKey: undefined, cert, key, skipUdev: true });
  provision(ok);
  t.equal(readFileSync(join(ok.root!, boardPaths.cert), 'utf8'), readFileSync(cert, 'utf8'), 'issued certificate installed');
  t.notOk(existsSync(join(ok.root!, boardPaths.udevRules)), '--skip-udev writes no rules');

  const otherKey = join(work, 'other.key');
  writeFileSync(otherKey, generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
  t.throws(() => provision(options({ stationId: 'hcm-bt-dkc-04', caKey: undefined, cert, key: otherKey })), /does not belong to --key/);
  t.throws(() => provision(options({ stationId: 'hcm-bt-dkc-05', caKey: undefined, cert, key })), /not CN=hcm-bt-dkc-05/);
});

t.test('refuses defaults and placeholders, naming every reason', async (t) => {
  const refused = (o: Partial<ProvisionOptions>): string[] => {
    try {
      provision(options(o));
    } catch (err) {
      if (err instanceof ProvisionRefused) return err.reasons;
      throw err;
    }
    return [];
  };
  t.match(refused({ stationId: 'hcm-station-00' }).join(), /development or placeholder id/);
  t.match(refused({ stationId: 'sim-dao-kim-cuong-01' }).join(), /development or placeholder id/);
  t.match(refused({ stationId: 'Bad Id' }).join(), /expected 3-64 lowercase/);
  t.match(refused({ brokerUrl: 'mqtt://broker.cds.hcmc.vn:1883' }).join(), /over TLS only/);
  t.match(refused({ brokerUrl: 'mqtts://central.example.com:8883' }).join(), /placeholder or loopback/);
  t.match(refused({ brokerUrl: 'mqtts://127.0.0.1:8883' }).join(), /placeholder or loopback/);
  t.match(refused({ brokerUrl: 'mqtts://user:secret@broker.cds.hcmc.vn:8883' }).join(), /no credentials/);
  t.match(refused({ caKey: undefined }).join(), /--ca-key .* or --cert and --key/);
  t.match(refused({ commandKey: '' }).join(), /--command-key: central's Ed25519 command key is required/);
  t.match(refused({ commandKeyId: 'bad id' }).join(), /--command-key-id/);
  t.match(refused({ commandKey: caCert }).join(), /not an Ed25519 public key/);
  const missing = refused({ serials: { bp: 'A1' } }).join();
  t.match(missing, /--scale-serial, --scanner-serial, --printer-serial, --height-port/);
  t.match(refused({ serials: { ...serials, bp: 'x", RUN+="/bin/sh' } }).join(), /characters a udev match cannot hold/);
  const many = refused({ stationId: 'hcm-station-00', brokerUrl: 'mqtt://localhost' });
  t.ok(many.length >= 3, 'every reason at once');

  const template = join(work, 'template.json');
  writeFileSync(template, readFileSync(new URL('../../config/station.template.json', import.meta.url), 'utf8').replace('"info"', '"@LOG_LEVEL@"'));
  t.match(refused({ template }).join(), /config template still holds @LOG_LEVEL@/);
});

t.test('never overwrites an identity without --force', async (t) => {
  const o = options();
  provision(o);
  const before = readFileSync(join(o.root!, boardPaths.key), 'utf8');
  t.throws(() => provision(o), /already has an identity/);
  t.equal(readFileSync(join(o.root!, boardPaths.key), 'utf8'), before, 'key untouched');
  const journalKey = readFileSync(join(o.root!, boardPaths.provisioning), 'utf8');
  provision({ ...o, force: true });
  t.not(readFileSync(join(o.root!, boardPaths.key), 'utf8'), before, '--force replaces it');
  t.equal(readFileSync(join(o.root!, boardPaths.provisioning), 'utf8'), journalKey, 'but keeps the journal key, so waiting records stay readable');
});

t.test('the command line reports refusals with exit code 1', async (t) => {
  const err: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => (err.push(chunk), true)) as typeof process.stderr.write;
  let code: number;
  try {
    code = main(['--station-id', 'hcm-station-00', '--broker', 'mqtts://broker.cds.hcmc.vn:8883', '--ca-cert', caCert, '--ca-key', caKey, '--command-key', commandKey, '--command-key-id', 'k1', '--skip-udev', '--root', join(work, 'cli')]);
  } finally {
    process.stderr.write = write;
  }
  t.equal(code, 1);
  t.match(err.join(''), /provisioning refused:\n {2}--station-id "hcm-station-00" is a development/);
  t.notOk(existsSync(join(work, 'cli', boardPaths.config)), 'nothing written');
});

t.test('the command line provisions a station and prints the key to register', async (t) => {
  const out: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => (out.push(chunk), true)) as typeof process.stdout.write;
  let code: number;
  try {
    code = main(['--station-id', 'hcm-bt-dkc-09', '--broker', 'mqtts://broker.cds.hcmc.vn:8883', '--ca-cert', caCert, '--ca-key', caKey,
      '--command-key', commandKey, '--command-key-id', 'k1', '--skip-udev', '--root', join(work, 'cli-ok')]);
  } finally {
    process.stdout.write = write;
  }
  t.equal(code, 0);
  t.match(out.join(''), /wrote .*station\.json[\s\S]*TLS certificate SHA-256 [0-9A-F:]{95}[\s\S]*-----BEGIN PUBLIC KEY-----/);
  t.ok(validateConfigFile(join(work, 'cli-ok', boardPaths.config)).ok);
  // The same file through the station's own command, as a technician runs it on the board.
  const check = spawnSync(process.execPath, ['--import', '@tapjs/typescript/import', 'runtime/cli.ts', 'check-config', join(work, 'cli-ok', boardPaths.config)], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1' },
    encoding: 'utf8',
  });
  t.equal(check.status, 0, `station check-config: ${check.stderr}`);
  t.match(check.stdout, /station\.json: valid/);
});

t.test('reserved and malformed station ids are refused with the reason; central is issued only by its own command', async (t) => {
  const refused: string[] = [];
  const ids = ['central', 'admin', 'broker', 'mosquitto', 'central-2', 'admin-hcm', 'root', '#', '+', 'hcm/+', 'hcm-#', '$SYS', 'HCM-BT-01', 'ce', 'hcm.bt.01', 'a'.repeat(65), '-hcm', 'centrаl'];
  for (const stationId of ids) {
    try {
      provision(options({ stationId }));
    } catch (err) {
      t.type(err, ProvisionRefused);
      const reason = (err as ProvisionRefused).reasons[0]!;
      t.match(reason, /^--station-id "/, `${JSON.stringify(stationId)}: ${reason}`);
      refused.push(stationId);
    }
  }
  t.same(refused, ids, 'every one refused');
  t.match(String((() => { try { provision(options({ stationId: 'central' })); } catch (e) { return (e as Error).message; } })()), /reserved \(central\).*provision central/);
  t.comment(`figure: reserved-name provisioning: ${refused.length}/${ids.length} refused`);

  const out = join(work, 'central-identity');
  const { issueCentralIdentity } = await import('../../scripts/provision-central.js');
  issueCentralIdentity({ caCert, caKey, out });
  t.throws(() => issueCentralIdentity({ caCert, caKey, out }), /already has an identity/, 'never replaced without --force');
  const cert = new X509Certificate(readFileSync(join(out, 'central.pem')));
  t.match(cert.subject, /CN=central/);
  t.same(cert.keyUsage, ['1.3.6.1.5.5.7.3.2'], 'clientAuth only');
  t.ok(cert.verify(new X509Certificate(readFileSync(caCert)).publicKey));
  t.equal(statSync(join(out, 'central.key')).mode & 0o777, 0o600);
});

t.test('the ACL template trusts no name a station could be given', async (t) => {
  const { stationIdProblem } = await import('../../runtime/link/station-identity.js');
  const acl = readFileSync(fileURLToPath(new URL('../../config/mosquitto/acl.template', import.meta.url)), 'utf8');
  const users = [...acl.matchAll(/^user\s+(\S+)/gm)].map((m) => m[1]!);
  t.ok(users.length > 0, 'the template names central');
  for (const u of users) t.match(stationIdProblem(u) ?? '', /reserved/, `ACL user ${u} can never be a station id`);
  t.notMatch(acl, /^pattern\s+(read|write|readwrite)\s+cds\/v1\/(#|\+)/m, 'no pattern reaches across stations');
});
