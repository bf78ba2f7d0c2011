/**
 * Issues the client certificate of central's own services: CN `central`, the one identity the
 * broker ACL (config/mosquitto/acl.template) lets read and write every station's topics. It is a
 * separate, explicit command so that station provisioning can refuse the name outright
 * (runtime/link/station-identity.ts): no station is ever issued a certificate central trusts.
 *
 *   node dist/scripts/provision.js central --ca-cert central-ca.pem --ca-key central-ca.key --out DIR
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate, generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CENTRAL_IDENTITY } from '../runtime/link/station-identity.js';

export interface CentralIdentityOptions {
  caCert: string;
  caKey: string;
  /** Directory for central.pem and central.key (0600). */
  out: string;
  /** Default 397 days. */
  certDays?: number;
  /** Replace an existing central.key. Default false. */
  force?: boolean;
}

export interface CentralIdentity {
  certFile: string;
  keyFile: string;
  certFingerprint: string;
}

/** Signs a fresh P-256 clientAuth certificate CN=central with the CA (openssl x509 -req). */
export function issueCentralIdentity(o: CentralIdentityOptions): CentralIdentity {
  const out = resolve(o.out);
  const certFile = join(out, 'central.pem');
  const keyFile = join(out, 'central.key');
  if (!o.force && existsSync(keyFile)) throw new Error(`${keyFile} exists: central already has an identity here (--force replaces it)`);
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const work = mkdtempSync(join(tmpdir(), 'central-provision-'));
  try {
    writeFileSync(join(work, 'central.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(join(work, 'ext.cnf'), [
      'basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=clientAuth',
      `subjectAltName=URI:urn:cds:${CENTRAL_IDENTITY}`, '',
    ].join('\n'));
    const run = (args: string[]) => execFileSync('openssl', args, { stdio: ['inherit', 'pipe', 'pipe'] });
    run(['req', '-new', '-key', join(work, 'central.key'), '-subj', `/O=Citizen Station/CN=${CENTRAL_IDENTITY}`, '-out', join(work, 'central.csr')]);
    run([
      'x509', '-req', '-in', join(work, 'central.csr'), '-CA', resolve(o.caCert), '-CAkey', resolve(o.caKey),
      '-set_serial', `0x${randomBytes(16).toString('hex')}`, '-days', String(o.certDays ?? 397), '-sha256',
      '-extfile', join(work, 'ext.cnf'), '-out', join(work, 'central.pem'),
    ]);
    mkdirSync(out, { recursive: true, mode: 0o700 });
    writeFileSync(keyFile, readFileSync(join(work, 'central.key')), { mode: 0o600 });
    chmodSync(keyFile, 0o600);
    writeFileSync(certFile, readFileSync(join(work, 'central.pem')), { mode: 0o644 });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { certFile, keyFile, certFingerprint: new X509Certificate(readFileSync(certFile)).fingerprint256 };
}

export const centralUsage = 'usage: provision central --ca-cert FILE --ca-key FILE --out DIR [--force]';

/** `provision central …`: prints the files written. */
export function centralMain(argv: string[]): number {
  try {
    const { values } = parseArgs({
      args: argv, options: { 'ca-cert': { type: 'string' }, 'ca-key': { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean' } },
    });
    if (!values['ca-cert'] || !values['ca-key'] || !values.out) throw new Error(`--ca-cert, --ca-key and --out are required\n${centralUsage}`);
    const issued = issueCentralIdentity({ caCert: values['ca-cert'], caKey: values['ca-key'], out: values.out, force: values.force === true });
    process.stdout.write(`wrote ${issued.certFile}\nwrote ${issued.keyFile}\nTLS certificate SHA-256 ${issued.certFingerprint}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`central identity not issued: ${(err as Error).message}\n`);
    return 1;
  }
}
