/**
 * Passive authentication, ICAO 9303 part 11 §5.1: (1) the DS certificate chains to a CSCA the
 * station trusts and is valid now, (2) the SOD signature verifies under the DS key, with the
 * messageDigest attribute equal to the hash of the LDSSecurityObject, (3) every data group read
 * hashes to the value the SOD lists. Pure apart from the injected time; the verdict says which
 * step failed, in words for the audit trail (never the resident's data).
 */
import { X509Certificate, constants, createHash, timingSafeEqual, verify } from 'node:crypto';
import { digestNames, oids, type SecurityObject } from './sod.js';

export type PassiveAuthFailure =
  /** The DS certificate was not issued by any CSCA of the master list (or none is configured). */
  | 'unknown-csca'
  /** The DS or CSCA certificate is not valid at the time of reading. */
  | 'certificate-expired'
  /** The SOD signature or its messageDigest does not verify. */
  | 'sod-signature'
  /** A data group read does not hash to the SOD's value, or the SOD does not list it. */
  | 'dg-hash';

export type PassiveAuthResult =
  | { ok: true; signer: string; csca: string }
  | { ok: false; failure: PassiveAuthFailure; reason: string };

function equal(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function digestOf(oid: string): string {
  const name = digestNames[oid];
  if (!name) throw new Error(`digest ${oid} is not supported`);
  return name;
}

/** Checks the signature of the SOD's signed attributes with the DS key (ECDSA, RSA PKCS#1 v1.5 or PSS). */
function signatureVerifies(sod: SecurityObject, ds: X509Certificate): boolean {
  const digest = digestOf(sod.digestAlgorithm);
  const key = ds.publicKey;
  if (sod.signatureAlgorithm === oids.rsaPss) {
    return verify(digest, sod.signedAttributes, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, sod.signature);
  }
  return verify(digest, sod.signedAttributes, key, sod.signature);
}

export interface PassiveAuthInput {
  sod: SecurityObject;
  /** Data group number → the file's bytes as read (tag, length and value). */
  dataGroups: Map<number, Buffer>;
  /** The CSCA certificates of the configured master list. */
  cscas: X509Certificate[];
  /** Clock ms of the reading. */
  now: number;
}

export function passiveAuthenticate(input: PassiveAuthInput): PassiveAuthResult {
  const { sod, now } = input;
  let ds: X509Certificate;
  try {
    ds = new X509Certificate(sod.signerCertificate);
  } catch (err) {
    return { ok: false, failure: 'sod-signature', reason: `the DS certificate does not parse (${(err as Error).message})` };
  }
  const csca = input.cscas.find((c) => ds.checkIssued(c) && ds.verify(c.publicKey));
  if (!csca) return { ok: false, failure: 'unknown-csca', reason: `no CSCA of the master list issued "${ds.issuer.replace(/\n/g, ', ')}"` };
  for (const [what, cert] of [['DS', ds], ['CSCA', csca]] as const) {
    if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) {
      return { ok: false, failure: 'certificate-expired', reason: `the ${what} certificate is valid ${cert.validFrom} – ${cert.validTo}` };
    }
  }
  let contentDigest: Buffer;
  try {
    contentDigest = createHash(digestOf(sod.digestAlgorithm)).update(sod.content).digest();
  } catch (err) {
    return { ok: false, failure: 'sod-signature', reason: (err as Error).message };
  }
  if (!equal(contentDigest, sod.messageDigest)) return { ok: false, failure: 'sod-signature', reason: 'the messageDigest attribute does not match the security object' };
  let signed = false;
  try {
    signed = signatureVerifies(sod, ds);
  } catch (err) {
    return { ok: false, failure: 'sod-signature', reason: `the signature cannot be checked (${(err as Error).message})` };
  }
  if (!signed) return { ok: false, failure: 'sod-signature', reason: 'the SOD signature does not verify under the DS key' };
  const hash = digestNames[sod.hashAlgorithm]!;
  for (const [dg, bytes] of input.dataGroups) {
    const listed = sod.hashes.get(dg);
    if (!listed) return { ok: false, failure: 'dg-hash', reason: `DG${dg} is not listed in the SOD` };
    if (!equal(createHash(hash).update(bytes).digest(), listed)) return { ok: false, failure: 'dg-hash', reason: `DG${dg} does not match its hash in the SOD` };
  }
  return { ok: true, signer: ds.subject.replace(/\n/g, ', '), csca: csca.subject.replace(/\n/g, ', ') };
}
