/**
 * Identity from the chip CCCD: reads the chip with the access key the QR (or the typed number and
 * birth date) gives, runs passive authentication against the configured CSCA master list and
 * returns only what the station's services use (number, name, birth date, sex) with how it was
 * established:
 * - `chip-verified`: passive authentication passed;
 * - `chip-read`: read over BAC, but the station has no master list, so not verified (central is told);
 * a chip that fails passive authentication is refused (CHIP_NOT_AUTHENTIC), never downgraded.
 * Everything else the chip holds (parents, religion, residence, DG1's MRZ) is dropped here.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Clock } from '../kernel/clock.js';
import { StationError } from '../kernel/errors.js';
import type { Logger } from '../kernel/logger.js';
import { maskCccd } from '../kernel/logger.js';
import { accessKeyFromQr, accessKeysFromTyped } from '../../drivers/id-chip/access-key.js';
import type { CardReaderPort } from '../../drivers/id-chip/card-channel.js';
import { passiveAuthenticate, type PassiveAuthResult } from '../../drivers/id-chip/passive-auth.js';
import { readChipWithin, type ChipDocument } from '../../drivers/id-chip/reader.js';
import { parseSod } from '../../drivers/id-chip/sod.js';
import { LdsError } from '../../drivers/id-chip/lds.js';
import { parseTlv, parseTlvList } from '../../drivers/id-chip/tlv.js';

export type IdentitySource = 'chip-verified' | 'chip-read' | 'qr' | 'typed';

/** What leaves the chip reader: the fields the services need, and how they were established. */
export interface ChipIdentity {
  id: string;
  name: string;
  /** ISO YYYY-MM-DD. */
  birthDate: string;
  sex: 'male' | 'female';
  source: 'chip-verified' | 'chip-read';
}

/** What the station knows before reading: the QR's fields, or a typed number and birth date. */
export type ChipAccess = { id: string; birthDate: string; issueDate: string } | { id: string; birthDate: string; typed: true };

/**
 * Loads the CSCA certificates of a master list file: PEM certificates one after another, or an
 * ICAO master list (`.ml`, CMS SignedData over a CscaMasterList, part 12 §9) in DER. The master
 * list's own signature is not checked: the file is installed by provisioning like the config.
 */
export function loadMasterList(path: string): X509Certificate[] {
  const bytes = readFileSync(path);
  const text = bytes.toString('latin1');
  if (text.includes('-----BEGIN CERTIFICATE-----')) {
    const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    return pems.map((p) => new X509Certificate(p));
  }
  try {
    // ContentInfo { OID, [0] SignedData { version, digests, encap { OID, [0] OCTET STRING CscaMasterList } } }.
    const signedData = parseTlvList(parseTlvList(parseTlv(bytes).value)[1]!.value)[0]!;
    const encap = parseTlvList(signedData.value)[2]!;
    const content = parseTlv(parseTlvList(encap.value)[1]!.value).value;
    const certSet = parseTlvList(parseTlv(content).value)[1]!;
    return parseTlvList(certSet.value).map((c) => new X509Certificate(certSet.value.subarray(c.offset, c.offset + c.size)));
  } catch (err) {
    throw new StationError('CONFIG_INVALID', `${path}: not a PEM bundle nor an ICAO master list (${(err as Error).message})`);
  }
}

export interface ChipIdentityOptions {
  port: CardReaderPort;
  clock: Clock;
  logger: Logger;
  /** CSCA certificates; empty: chips are read but not verified. */
  cscas: X509Certificate[];
  /** Bound on one read; default 15 000 ms. */
  readTimeoutMs?: number;
  /**
   * How long a read waits for a card when none is on the reader yet (the QR scanner often sees the
   * card before the reader's field has powered it); default 3000 ms.
   */
  cardWaitMs?: number;
  /** Called with the outcome of every passive authentication (the audit trail); never personal data. */
  onVerdict?: (verdict: { result: PassiveAuthResult | { ok: false; failure: 'malformed-sod'; reason: string }; cccdMasked: string }) => void;
}

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export class ChipIdentityService {
  constructor(private readonly options: ChipIdentityOptions) {}

  /** Whether a card is on the reader now. */
  get cardPresent(): boolean {
    return this.options.port.cardPresent;
  }

  /** Reads, authenticates and minimises. Rejects with CHIP_* / DEVICE_* StationErrors. */
  async identify(access: ChipAccess, signal?: AbortSignal): Promise<ChipIdentity> {
    const { clock, port } = this.options;
    const keys = 'typed' in access
      ? accessKeysFromTyped(access.id, access.birthDate, isoDay(clock.now()))
      : [accessKeyFromQr(access.id, access.birthDate, access.issueDate)].filter((k) => k !== null);
    await this.cardOnReader(signal);
    const doc = await readChipWithin(clock, this.options.readTimeoutMs ?? 15_000, port, { keys, ...(signal ? { signal } : {}) });
    const masked = maskCccd(doc.dg13.idNumber);
    if (doc.dg13.idNumber !== access.id) {
      throw new StationError('CHIP_READ_FAILED', 'the card on the reader is not the one whose number was given', { transient: true });
    }
    const source = this.verify(doc, masked);
    this.options.logger.info({ cccdMasked: masked, source, apdus: doc.apdus, paceAnnounced: doc.paceAnnounced }, 'chip CCCD read');
    const { idNumber, fullName, birthDate, sex } = doc.dg13;
    return { id: idNumber, name: fullName, birthDate, sex, source };
  }

  /** Resolves once a card is on the reader; rejects CHIP_NO_CARD after `cardWaitMs`. */
  private cardOnReader(signal?: AbortSignal): Promise<void> {
    const { port, clock } = this.options;
    if (port.cardPresent) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const owner = {};
      const done = (err?: StationError) => {
        clock.clearTimeout(timer);
        port.events.offOwner(owner);
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve();
      };
      const onAbort = () => done(new StationError('DEVICE_ABORTED', 'the chip read was stopped'));
      const wait = this.options.cardWaitMs ?? 3000;
      const timer = clock.setTimeout(() => done(new StationError('CHIP_NO_CARD', `no card was placed on the reader within ${wait} ms`, { transient: true })), wait);
      port.events.on('cardPresent', owner, () => done());
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private verify(doc: ChipDocument, masked: string): ChipIdentity['source'] {
    if (this.options.cscas.length === 0) return 'chip-read';
    let result: PassiveAuthResult;
    try {
      const sod = parseSod(doc.raw.sod);
      result = passiveAuthenticate({ sod, dataGroups: new Map([[1, doc.raw.dg1], [13, doc.raw.dg13]]), cscas: this.options.cscas, now: this.options.clock.now() });
    } catch (err) {
      const reason = err instanceof LdsError ? err.message : String(err);
      this.options.onVerdict?.({ result: { ok: false, failure: 'malformed-sod', reason }, cccdMasked: masked });
      throw new StationError('CHIP_NOT_AUTHENTIC', `passive authentication failed: ${reason}`);
    }
    this.options.onVerdict?.({ result, cccdMasked: masked });
    if (!result.ok) throw new StationError('CHIP_NOT_AUTHENTIC', `passive authentication failed (${result.failure}): ${result.reason}`, { details: { failure: result.failure } });
    return 'chip-verified';
  }
}
