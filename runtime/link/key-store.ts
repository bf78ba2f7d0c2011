/**
 * The seam that holds the master key which wraps the per-record data keys (record-key-ring.ts).
 * Only wrapped keys are ever written to the data directory; unwrapping needs the key store.
 *
 * The default, {@link FileKeyStore}, keeps the master key in a root-only file outside the data
 * partition (`security.provisioningFile`, /etc/citizen-station/provisioning.json), which systemd
 * hands to the unprivileged daemon with `LoadCredential=` (config/systemd/citizen-station.service),
 * so the daemon's user never has a readable copy on disk. A TPM 2.0 or a secure element (ATECC608,
 * SE050) plugs in as another KeyStore: `wrap` and `unwrap` become TPM2_EncryptDecrypt2 (or
 * TPM2_Create/TPM2_Load of a sealed child object) under a primary key that never leaves the chip,
 * so a copied SD card holds nothing that opens a record.
 */
import { CryptoBox } from './crypto-box.js';

export interface KeyStore {
  /** Wraps a 32-byte data key; `keyId` is bound as additional data, so a wrapped key cannot be swapped. */
  wrap(dataKey: Buffer, keyId: string): Promise<Buffer>;
  /** Throws when the wrapped key was not made by this store for `keyId` (wrong master key, tampered file). */
  unwrap(wrapped: Buffer, keyId: string): Promise<Buffer>;
}

/** AES-256-GCM key wrapping under a master key read from the provisioning file (loadJournalBox). */
export class FileKeyStore implements KeyStore {
  private readonly box: CryptoBox;

  constructor(box: CryptoBox) {
    this.box = box;
  }

  async wrap(dataKey: Buffer, keyId: string): Promise<Buffer> {
    return this.box.seal(dataKey, `data-key:${keyId}`);
  }

  async unwrap(wrapped: Buffer, keyId: string): Promise<Buffer> {
    return this.box.open(wrapped, `data-key:${keyId}`);
  }
}
