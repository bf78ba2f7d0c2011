/**
 * EF.SOD, the document security object (ICAO 9303 part 10 §4.6.2, part 11 §5.1): tag 77 around a
 * CMS SignedData (RFC 5652) whose content is the LDSSecurityObject, the hashes of every data group,
 * signed by the document signer (DS) whose certificate travels inside. The CMS envelope is parsed
 * with @peculiar/asn1-cms (typed RFC 5652 schemas, kept by the PKI.js authors, no native code);
 * the small LDSSecurityObject with the station's own TLV parser.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { ContentInfo, SignedData, id_signedData } from '@peculiar/asn1-cms';
import { LdsError, ldsFiles } from './lds.js';
import { parseTlv, parseTlvList, requireTag } from './tlv.js';

export const oids = {
  ldsSecurityObject: '2.23.136.1.1.1',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  sha1: '1.3.14.3.2.26',
  sha224: '2.16.840.1.101.3.4.2.4',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  rsaPss: '1.2.840.113549.1.1.10',
} as const;

/** Node's name for each digest OID the LDS allows (part 12 §4.4). */
export const digestNames: Readonly<Record<string, string>> = {
  [oids.sha1]: 'sha1', [oids.sha224]: 'sha224', [oids.sha256]: 'sha256', [oids.sha384]: 'sha384', [oids.sha512]: 'sha512',
};

/** Dotted OID from its DER content octets (X.690 §8.19). */
export function decodeOid(bytes: Uint8Array): string {
  if (bytes.length === 0) throw new LdsError('EF.SOD', 'an empty OID');
  const parts: number[] = [];
  let n = 0;
  for (const b of bytes) {
    n = n * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      parts.push(n);
      n = 0;
    }
  }
  const first = parts.shift()!;
  return [first < 80 ? Math.floor(first / 40) : 2, first < 80 ? first % 40 : first - 80, ...parts].join('.');
}

export interface SecurityObject {
  /** Digest OID the data group hashes use. */
  hashAlgorithm: string;
  /** Data group number → its hash. */
  hashes: Map<number, Buffer>;
  /** The DER of the LDSSecurityObject (what the signature's messageDigest covers). */
  content: Buffer;
  /** The DS certificate (DER) as carried in the SignedData. */
  signerCertificate: Buffer;
  digestAlgorithm: string;
  signatureAlgorithm: string;
  /** DER of the signed attributes as a SET (what the signature covers). */
  signedAttributes: Buffer;
  /** The messageDigest signed attribute. */
  messageDigest: Buffer;
  signature: Buffer;
}

function sodError(reason: string): LdsError {
  return new LdsError('EF.SOD', reason);
}

/** Parses EF.SOD; throws {@link LdsError} naming what is missing or malformed. */
export function parseSod(bytes: Uint8Array): SecurityObject {
  let signed: SignedData;
  let signedDataDer: Buffer;
  try {
    const outer = parseTlv(bytes);
    if (outer.tag !== ldsFiles.sod.tag) throw sodError(`starts with tag ${outer.tag.toString(16)}, expected 77`);
    const info = AsnConvert.parse(outer.value, ContentInfo);
    if (info.contentType !== id_signedData) throw sodError(`content type ${info.contentType} is not SignedData`);
    signedDataDer = Buffer.from(info.content);
    signed = AsnConvert.parse(signedDataDer, SignedData);
  } catch (err) {
    if (err instanceof LdsError) throw err;
    throw sodError(`not a CMS SignedData (${(err as Error).message})`);
  }
  const encap = signed.encapContentInfo;
  if (encap.eContentType !== oids.ldsSecurityObject) throw sodError(`the signed content ${encap.eContentType} is not an LDSSecurityObject`);
  const raw = encap.eContent?.single?.buffer;
  if (!raw) throw sodError('the LDSSecurityObject is missing');
  const content = Buffer.from(raw);
  const { hashAlgorithm, hashes } = parseSecurityObject(content);
  const certificate = signed.certificates?.find((c) => c.certificate)?.certificate;
  if (!certificate) throw sodError('no document signer certificate is included');
  if (signed.signerInfos.length !== 1) throw sodError(`${signed.signerInfos.length} signer infos, expected 1`);
  const signer = signed.signerInfos[0]!;
  if (!signer.signedAttrs) throw sodError('the signer info has no signed attributes');
  const digestAttr = signer.signedAttrs.find((a) => a.attrType === oids.messageDigest);
  const typeAttr = signer.signedAttrs.find((a) => a.attrType === oids.contentType);
  if (!digestAttr?.attrValues[0]) throw sodError('the messageDigest attribute is missing');
  if (!typeAttr?.attrValues[0] || decodeOid(Buffer.from(parseTlv(Buffer.from(typeAttr.attrValues[0])).value)) !== oids.ldsSecurityObject) {
    throw sodError('the contentType attribute does not name the LDSSecurityObject');
  }
  const signedAttributes = signedAttributesOf(signedDataDer);
  return {
    hashAlgorithm,
    hashes,
    content,
    signerCertificate: Buffer.from(AsnConvert.serialize(certificate)),
    digestAlgorithm: signer.digestAlgorithm.algorithm,
    signatureAlgorithm: signer.signatureAlgorithm.algorithm,
    signedAttributes,
    messageDigest: Buffer.from(parseTlv(Buffer.from(digestAttr.attrValues[0])).value),
    signature: Buffer.from(signer.signature.buffer),
  };
}

/**
 * The signed attributes exactly as the signer encoded them, re-tagged as a SET: the signature
 * covers that DER (RFC 5652 §5.4), and re-encoding the parsed attributes could reorder them.
 */
function signedAttributesOf(signedDataDer: Buffer): Buffer {
  const fields = parseTlvList(parseTlv(signedDataDer).value);
  const signerInfos = fields[fields.length - 1];
  if (signerInfos?.tag !== 0x31) throw sodError('the signer infos are missing');
  const signerInfo = parseTlvList(signerInfos.value)[0];
  const attrs = signerInfo && parseTlvList(signerInfo.value).find((t) => t.tag === 0xa0);
  if (!attrs) throw sodError('the signer info has no signed attributes');
  const der = Buffer.from(signerInfo.value.subarray(attrs.offset, attrs.offset + attrs.size));
  der[0] = 0x31;
  return der;
}

/** LDSSecurityObject ::= SEQUENCE { version, hashAlgorithm, SEQUENCE OF { dataGroupNumber, dataGroupHashValue }, … }. */
export function parseSecurityObject(der: Buffer): { hashAlgorithm: string; hashes: Map<number, Buffer> } {
  try {
    const seq = parseTlv(der);
    if (seq.tag !== 0x30) throw sodError('the LDSSecurityObject is not a SEQUENCE');
    const [version, algorithm, groups] = parseTlvList(seq.value);
    if (version?.tag !== 0x02 || algorithm?.tag !== 0x30 || groups?.tag !== 0x30) throw sodError('the LDSSecurityObject fields are not version, algorithm, hashes');
    const hashAlgorithm = decodeOid(requireTag(parseTlvList(algorithm.value), 0x06, 'the hash algorithm OID').value);
    if (!digestNames[hashAlgorithm]) throw sodError(`hash algorithm ${hashAlgorithm} is not one the LDS allows`);
    const hashes = new Map<number, Buffer>();
    for (const g of parseTlvList(groups.value)) {
      const [n, h] = parseTlvList(g.value);
      if (n?.tag !== 0x02 || h?.tag !== 0x04 || n.value.length !== 1) throw sodError('a data group hash entry is malformed');
      const dg = n.value[0]!;
      if (dg < 1 || dg > 16 || hashes.has(dg)) throw sodError(`data group number ${dg} is out of range or repeated`);
      hashes.set(dg, Buffer.from(h.value));
    }
    return { hashAlgorithm, hashes };
  } catch (err) {
    if (err instanceof LdsError) throw err;
    throw sodError(`the LDSSecurityObject does not parse (${(err as Error).message})`);
  }
}
