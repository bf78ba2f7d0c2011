import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { StationError } from '../kernel/errors.js';

/**
 * AES-256-GCM for personal records at rest. The sealed form is `iv(12) | tag(16) | ciphertext`;
 * the additional data binds a ciphertext to its record (event id), so a sealed body copied into
 * another record fails authentication (NIST SP 800-38D §5.2.1.2: a 96-bit random IV per message).
 */
export class CryptoBox {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    this.key = key;
  }

  /** Reads a 32-byte key given as 64 hex digits or base64 (the provisioning file's `journalKey`). */
  static fromText(text: string): CryptoBox {
    const trimmed = text.trim();
    const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
    if (key.length !== 32) {
      throw new StationError('CONFIG_INVALID', 'The journal key must be 32 bytes (64 hex digits or base64)');
    }
    return new CryptoBox(key);
  }

  seal(plain: Buffer, aad: string): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }

  /** Throws JOURNAL_CORRUPT when the tag does not authenticate (tampered, wrong key or wrong record). */
  open(sealed: Buffer, aad: string): Buffer {
    if (sealed.length < 28) throw new StationError('JOURNAL_CORRUPT', 'Sealed record is too short');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(0, 12));
      decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(sealed.subarray(12, 28));
      return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]);
    } catch (cause) {
      throw new StationError('JOURNAL_CORRUPT', 'Personal record failed authentication', { cause });
    }
  }
}

/** What the journal needs to seal personal bodies: the single-key box above, or the per-record key ring. */
export interface RecordSealer {
  /** Makes sure `seal` can run at once (the key ring holds a spare data key for this caller); a promise only when it must wait. */
  ready?(): Promise<void> | undefined;
  seal(plain: Buffer, aad: string): Buffer;
  open(sealed: Buffer, aad: string): Buffer;
}

/** The record's data key was destroyed: central's receipt released it. */
export class RecordShredded extends Error {
  constructor(readonly aad: string) {
    super('The personal record was released and its data key destroyed');
    this.name = 'RecordShredded';
  }
}
