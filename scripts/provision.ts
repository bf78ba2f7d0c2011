/**
 * Provisions one station: its id and site, its TLS client identity for the broker (signed here with
 * central's CA, or a certificate central already issued), its Ed25519 signing identity, the journal
 * key that seals personal records at rest, central's command-verification key in the config, its
 * config from config/station.template.json, and the udev rules with the adapters' serial numbers.
 *
 * It refuses to finish while anything default is left: a template placeholder, a development station
 * id, a plain-text or placeholder broker, a certificate that does not belong to this station's key or
 * was not issued by the CA, and it never overwrites an existing identity without --force.
 *
 *   node dist/scripts/provision.js --station-id hcm-bt-dkc-01 --broker mqtts://broker.example.vn:8883 \
 *     --ca-cert central-ca.pem --ca-key central-ca.key --bp-serial A10K1234 ... [--root /mnt/image]
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { formatProblems, validateConfigFile } from '../runtime/config/config.js';
import { CENTRAL_IDENTITY, stationIdProblem } from '../runtime/link/station-identity.js';
import { centralMain, centralUsage } from './provision-central.js';

export interface ProvisionOptions {
  stationId: string;
  brokerUrl: string;
  /** Shown on the display and receipts. Default "Trạm công dân số". */
  name?: string;
  site?: { building?: string; floor?: string; address?: string; ward?: string };
  /** Central's CA certificate (PEM file); always required, the station trusts the broker through it. */
  caCert: string;
  /** Central's CA key: sign the station's certificate here. Give this or `cert` + `key`. */
  caKey?: string;
  /** A certificate central already issued for this station, with its private key. */
  cert?: string;
  key?: string;
  /** Central's Ed25519 public key (PEM file) that signs commands and desired configuration, and its key id. */
  commandKey: string;
  commandKeyId: string;
  /** Serial numbers of the USB serial adapters, and the USB port path of the CH340 height rod. */
  serials?: { bp?: string; scale?: string; scanner?: string; printer?: string; heightPortPath?: string };
  /** Leave the udev rules out (adapters not connected yet). Default false. */
  skipUdev?: boolean;
  /** Prefix for every file written (an image being built, a test directory). Default `/`. */
  root?: string;
  /** Default config/station.template.json beside the station. */
  template?: string;
  /** Default config/udev/99-citizen-station.rules beside the station. */
  udevTemplate?: string;
  /** Replace an existing station identity. Default false. */
  force?: boolean;
  /** Certificate lifetime when signing here. Default 825 days. */
  certDays?: number;
}

export interface ProvisionResult {
  files: string[];
  /** The station's Ed25519 public key (PEM) to register at central. */
  signingPublicKey: string;
  /** SHA-256 fingerprint of the TLS client certificate. */
  certFingerprint: string;
}

/** Why provisioning stopped; each line says what to fix. */
export class ProvisionRefused extends Error {
  constructor(readonly reasons: string[]) {
    super(`provisioning refused:\n  ${reasons.join('\n  ')}`);
    this.name = 'ProvisionRefused';
  }
}

/** Where files live on the board; `root` prefixes them. */
export const boardPaths = {
  config: '/etc/citizen-station/station.json',
  caCert: '/etc/citizen-station/tls/ca.pem',
  cert: '/etc/citizen-station/tls/station.pem',
  key: '/etc/citizen-station/tls/station.key',
  csr: '/etc/citizen-station/tls/station.csr',
  signingKey: '/etc/citizen-station/keys/station-ed25519.key',
  signingPublicKey: '/etc/citizen-station/keys/station-ed25519.pub',
  provisioning: '/etc/citizen-station/provisioning.json',
  udevRules: '/etc/udev/rules.d/99-citizen-station.rules',
} as const;

/** Ids that ship in the repository's configs: a provisioned station must never reuse them. */
const developmentIds = new Set(['hcm-station-00']);
const placeholderPattern = /@[A-Z0-9_]+@/g;

function besideStation(relative: string): string {
  // Sources run from scripts/, compiled code from dist/scripts/.
  for (const up of ['..', '../..']) {
    const candidate = fileURLToPath(new URL(`${up}/${relative}`, import.meta.url));
    if (existsSync(candidate)) return candidate;
  }
  return fileURLToPath(new URL(`../${relative}`, import.meta.url));
}

function checkIdentityInputs(o: ProvisionOptions): string[] {
  const reasons: string[] = [];
  const idProblem = stationIdProblem(o.stationId);
  if (idProblem) {
    reasons.push(`--station-id ${idProblem}${o.stationId === CENTRAL_IDENTITY ? '; central\'s own certificate comes from `provision central`' : ''}`);
  } else if (developmentIds.has(o.stationId) || o.stationId.startsWith('sim-') || /example|changeme|test/.test(o.stationId)) {
    reasons.push(`--station-id "${o.stationId}" is a development or placeholder id; give this station its own id`);
  }
  let broker: URL | undefined;
  try {
    broker = new URL(o.brokerUrl);
  } catch {
    reasons.push(`--broker "${o.brokerUrl}": not a URL`);
  }
  if (broker) {
    if (broker.protocol !== 'mqtts:' && broker.protocol !== 'wss:') {
      reasons.push(`--broker ${o.brokerUrl}: a station talks to central over TLS only (mqtts:// or wss://)`);
    }
    if (/(^|\.)(example\.[a-z]+|invalid|local|localhost)$/.test(broker.hostname) || ['127.0.0.1', '::1', '[::1]'].includes(broker.hostname)) {
      reasons.push(`--broker ${o.brokerUrl}: placeholder or loopback host; give central's broker address`);
    }
    if (broker.username || broker.password) {
      reasons.push('--broker: no credentials in the URL; the station authenticates with its client certificate');
    }
  }
  if (!o.caCert) reasons.push('--ca-cert: central\'s CA certificate is required');
  if (!o.commandKey) reasons.push('--command-key: central\'s Ed25519 command key is required (without it no command or desired config is accepted)');
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(o.commandKeyId ?? '')) reasons.push('--command-key-id: the key id central puts in its commands (letters, digits, . _ -)');
  if (!o.caKey && !(o.cert && o.key)) reasons.push('give --ca-key (sign here) or --cert and --key (issued by central)');
  if (o.caKey && (o.cert || o.key)) reasons.push('give either --ca-key or --cert/--key, not both');
  if (!o.skipUdev) {
    const s = o.serials ?? {};
    const missing = (['bp', 'scale', 'scanner', 'printer'] as const).filter((k) => !s[k]).map((k) => `--${k}-serial`);
    if (!s.heightPortPath) missing.push('--height-port');
    if (missing.length) reasons.push(`udev rules need ${missing.join(', ')} (or --skip-udev until the adapters are connected)`);
    for (const [k, v] of Object.entries(s)) {
      if (v !== undefined && !/^[A-Za-z0-9._:-]+$/.test(v)) reasons.push(`--${k}: "${v}" has characters a udev match cannot hold`);
    }
  }
  return reasons;
}

function writeFile(path: string, content: string, mode: number): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o750 });
  writeFileSync(path, content, { mode });
  chmodSync(path, mode);
}

function openssl(args: string[]): void {
  // stdin stays on the terminal so openssl can ask for the CA key's passphrase.
  execFileSync('openssl', args, { stdio: ['inherit', 'pipe', 'pipe'] });
}

function spki(pem: string): string {
  return createPublicKey(pem).export({ type: 'spki', format: 'der' }).toString('base64');
}

/** Signs a fresh P-256 client certificate for the station with central's CA (openssl x509 -req). */
function signHere(o: ProvisionOptions, caPem: string): { certPem: string; keyPem: string; csrPem: string } {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const work = mkdtempSync(join(tmpdir(), 'station-provision-'));
  try {
    writeFile(join(work, 'station.key'), keyPem, 0o600);
    writeFile(join(work, 'ca.pem'), caPem, 0o600);
    // RFC 5280 4.2.1.12: clientAuth only, so the certificate cannot serve as a broker or CA.
    writeFile(join(work, 'ext.cnf'), [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=clientAuth',
      `subjectAltName=URI:urn:cds:station:${o.stationId}`,
      '',
    ].join('\n'), 0o600);
    openssl(['req', '-new', '-key', join(work, 'station.key'), '-subj', `/O=Citizen Station/CN=${o.stationId}`, '-out', join(work, 'station.csr')]);
    openssl([
      'x509', '-req', '-in', join(work, 'station.csr'), '-CA', join(work, 'ca.pem'), '-CAkey', resolve(o.caKey!),
      '-set_serial', `0x${randomBytes(16).toString('hex')}`, '-days', String(o.certDays ?? 825),
      '-sha256', '-extfile', join(work, 'ext.cnf'), '-out', join(work, 'station.pem'),
    ]);
    return {
      certPem: readFileSync(join(work, 'station.pem'), 'utf8'),
      keyPem,
      csrPem: readFileSync(join(work, 'station.csr'), 'utf8'),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function checkCertificate(stationId: string, certPem: string, keyPem: string, caPem: string, now: number): string[] {
  const reasons: string[] = [];
  const cert = new X509Certificate(certPem);
  const ca = new X509Certificate(caPem);
  if (!ca.ca) reasons.push('--ca-cert is not a CA certificate (basicConstraints CA:TRUE missing)');
  if (!cert.verify(ca.publicKey)) reasons.push('the station certificate was not issued by --ca-cert');
  if (spki(keyPem) !== spki(certPem)) reasons.push('the station certificate does not belong to --key');
  if (!cert.subject.split('\n').includes(`CN=${stationId}`)) {
    reasons.push(`the station certificate names "${cert.subject.replace(/\n/g, ', ')}", not CN=${stationId}`);
  }
  if (Date.parse(cert.validTo) <= now) reasons.push(`the station certificate expired on ${cert.validTo}`);
  return reasons;
}

/** Fills `@NAME@` placeholders; JSON-escapes when the target is JSON text. */
function fill(template: string, values: Record<string, string>, json: boolean): string {
  return template.replace(placeholderPattern, (match) => {
    const key = match.slice(1, -1);
    const value = values[key];
    if (value === undefined) return match;
    return json ? JSON.stringify(value).slice(1, -1) : value;
  });
}

/** Provisions a station; throws ProvisionRefused with every reason at once. */
export function provision(o: ProvisionOptions, now = Date.now()): ProvisionResult {
  const root = resolve(o.root ?? '/');
  const at = (p: string) => join(root, p);
  const reasons = checkIdentityInputs(o);
  if (!o.force && existsSync(at(boardPaths.key))) {
    reasons.push(`${at(boardPaths.key)} exists: this board already has an identity (--force replaces it)`);
  }
  if (reasons.length) throw new ProvisionRefused(reasons);

  const caPem = readFileSync(o.caCert, 'utf8');
  const issued = o.caKey
    ? signHere(o, caPem)
    : { certPem: readFileSync(o.cert!, 'utf8'), keyPem: readFileSync(o.key!, 'utf8'), csrPem: undefined };
  const certReasons = checkCertificate(o.stationId, issued.certPem, issued.keyPem, caPem, now);
  const commandKeyPem = readFileSync(o.commandKey, 'utf8').trim();
  if (createPublicKey(commandKeyPem).asymmetricKeyType !== 'ed25519') certReasons.push('--command-key is not an Ed25519 public key');

  const values: Record<string, string> = {
    STATION_ID: o.stationId,
    STATION_NAME: o.name ?? 'Trạm công dân số',
    BROKER_URL: o.brokerUrl,
    SITE_BUILDING: o.site?.building ?? '',
    SITE_FLOOR: o.site?.floor ?? '',
    SITE_ADDRESS: o.site?.address ?? '',
    SITE_WARD: o.site?.ward ?? '',
    BP_SERIAL: o.serials?.bp ?? '',
    SCALE_SERIAL: o.serials?.scale ?? '',
    SCANNER_SERIAL: o.serials?.scanner ?? '',
    PRINTER_SERIAL: o.serials?.printer ?? '',
    HEIGHT_PORT_PATH: o.serials?.heightPortPath ?? '',
    COMMAND_KEY_ID: o.commandKeyId,
    COMMAND_KEY: commandKeyPem,
  };
  const configText = fill(readFileSync(o.template ?? besideStation('config/station.template.json'), 'utf8'), values, true);
  const config = JSON.parse(configText) as Record<string, unknown>;
  // The template's editor hint points into the repository, not to the board.
  delete config.$schema;
  const leftInConfig = configText.match(placeholderPattern) ?? [];
  if (leftInConfig.length) certReasons.push(`the config template still holds ${[...new Set(leftInConfig)].join(', ')}`);
  if ((config.security as { generateProvisioning?: boolean } | undefined)?.generateProvisioning) {
    certReasons.push('the config template sets security.generateProvisioning: a real station gets its journal key from provisioning only');
  }
  let udevText: string | undefined;
  if (!o.skipUdev) {
    udevText = fill(readFileSync(o.udevTemplate ?? besideStation('config/udev/99-citizen-station.rules'), 'utf8'), values, false);
    const leftInUdev = udevText.match(placeholderPattern) ?? [];
    if (leftInUdev.length) certReasons.push(`the udev rules still hold ${[...new Set(leftInUdev)].join(', ')}`);
  }
  if (certReasons.length) throw new ProvisionRefused(certReasons);

  const signing = generateKeyPairSync('ed25519');
  const signingPublicKey = signing.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const files: string[] = [];
  const put = (p: string, content: string, mode: number) => {
    writeFile(at(p), content, mode);
    files.push(at(p));
  };
  // Keys 0640: the install step gives them group citizen-station so the daemon (not others) reads them.
  put(boardPaths.caCert, caPem, 0o644);
  put(boardPaths.key, issued.keyPem, 0o640);
  put(boardPaths.cert, issued.certPem, 0o644);
  if (issued.csrPem) put(boardPaths.csr, issued.csrPem, 0o644);
  put(boardPaths.signingKey, signing.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 0o640);
  put(boardPaths.signingPublicKey, signingPublicKey, 0o644);
  // The journal key seals personal records at rest: replacing it would make records still waiting in
  // the journal unreadable, so an existing one is kept even with --force.
  if (!existsSync(at(boardPaths.provisioning))) {
    // Root-only: systemd passes it to the daemon with LoadCredential= (config/systemd/citizen-station.service).
    put(boardPaths.provisioning, `${JSON.stringify({ journalKey: randomBytes(32).toString('hex') }, null, 2)}\n`, 0o600);
  }
  if (udevText) put(boardPaths.udevRules, udevText, 0o644);
  put(boardPaths.config, `${JSON.stringify(config, null, 2)}\n`, 0o640);

  // The same validation `station check-config` runs: a config the daemon would refuse is not provisioned.
  const checked = validateConfigFile(at(boardPaths.config));
  if (!checked.ok) {
    rmSync(at(boardPaths.config), { force: true });
    throw new ProvisionRefused(formatProblems(at(boardPaths.config), checked.problems));
  }
  return { files, signingPublicKey, certFingerprint: new X509Certificate(issued.certPem).fingerprint256 };
}

const usage = `usage: provision --station-id ID --broker mqtts://HOST:PORT --ca-cert FILE
         (--ca-key FILE | --cert FILE --key FILE) --command-key FILE --command-key-id ID
         [--name TEXT] [--building TEXT] [--floor TEXT] [--address TEXT] [--ward TEXT]
         (--bp-serial S --scale-serial S --scanner-serial S --printer-serial S --height-port ID_PATH | --skip-udev)
         [--root DIR] [--template FILE] [--force]
       ${centralUsage}`;

/** Command-line entry: prints the files written and the public key to register at central. */
export function main(argv: string[]): number {
  if (argv[0] === 'central') return centralMain(argv.slice(1));
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: Object.fromEntries([
        ...['station-id', 'broker', 'name', 'building', 'floor', 'address', 'ward', 'ca-cert', 'ca-key', 'cert', 'key',
          'command-key', 'command-key-id', 'bp-serial', 'scale-serial', 'scanner-serial', 'printer-serial', 'height-port', 'root', 'template']
          .map((k) => [k, { type: 'string' as const }]),
        ...['skip-udev', 'force', 'help'].map((k) => [k, { type: 'boolean' as const }]),
      ]),
    }).values as Record<string, string | boolean | undefined>;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${usage}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const s = (k: string) => values[k] as string | undefined;
  try {
    const result = provision({
      stationId: s('station-id') ?? '',
      brokerUrl: s('broker') ?? '',
      name: s('name'),
      site: { building: s('building'), floor: s('floor'), address: s('address'), ward: s('ward') },
      caCert: s('ca-cert') ?? '',
      caKey: s('ca-key'),
      cert: s('cert'),
      key: s('key'),
      commandKey: s('command-key') ?? '',
      commandKeyId: s('command-key-id') ?? '',
      serials: { bp: s('bp-serial'), scale: s('scale-serial'), scanner: s('scanner-serial'), printer: s('printer-serial'), heightPortPath: s('height-port') },
      skipUdev: values['skip-udev'] === true,
      root: s('root'),
      template: s('template'),
      force: values.force === true,
    });
    process.stdout.write(`${result.files.map((f) => `wrote ${f}`).join('\n')}\n`);
    process.stdout.write(`TLS certificate SHA-256 ${result.certFingerprint}\n`);
    process.stdout.write(`register this station's signing key at central:\n${result.signingPublicKey}`);
    return 0;
  } catch (err) {
    process.stderr.write(`${err instanceof ProvisionRefused ? err.message : `provisioning failed: ${(err as Error).message}`}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
