/**
 * Crypto-shredding for personal records: each personal record is sealed (AES-256-GCM) under a data
 * key of its own; the data key is stored only wrapped by the key store's master key, one small file
 * per key in `{dataDir}/keys/`, and destroyed (overwritten, synced, unlinked) as soon as central's
 * receipt releases the record. The ciphertext may stay in a journal segment until compaction, but
 * from that moment nothing on the station, master key included, opens it.
 *
 * The journal seals synchronously, so a few spare keys are made (and synced) ahead of need; a
 * record takes one and its key id travels in the sealed bytes: `CDK1 | keyId(16) | iv | tag | body`.
 * At start every key that no unreleased record needs (released before a crash let it be destroyed,
 * or a spare of an earlier run) is destroyed. Records sealed before the ring existed (no `CDK1`
 * prefix) are opened with the `legacy` box, the old single journal key.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../kernel/logger.js';
import { StationError } from '../kernel/errors.js';
import { fsyncDir, writeFileDurable } from '../kernel/durable-file.js';
import { CryptoBox, RecordShredded } from './crypto-box.js';
import type { RecordSealer } from './crypto-box.js';
import type { KeyStore } from './key-store.js';

const MAGIC = Buffer.from('CDK1', 'latin1');
const KEY_ID_BYTES = 16;
const keyFile = /^([0-9a-f]{32})\.key$/;

export interface RecordKeyRingOptions {
  /** Directory of the wrapped data keys, created 0700; `{dataDir}/keys`. */
  dir: string;
  keyStore: KeyStore;
  logger: Logger;
  /** Opens records sealed before the ring existed; null: such records fail authentication. */
  legacy?: RecordSealer | null;
  /** Data keys made ahead of need; default 4. */
  spares?: number;
}

export interface KeyRingStats {
  /** Data keys on disk bound to unreleased records. */
  live: number;
  spares: number;
  /** Data keys destroyed since start. */
  shredded: number;
  /** Key files the key store could not unwrap at start (left in place for a technician). */
  unreadable: number;
}

export class RecordKeyRing implements RecordSealer {
  private readonly o: RecordKeyRingOptions;
  /** keyId (hex) → data key. */
  private readonly keys = new Map<string, Buffer>();
  /** Record (additional data: its event id) → keyId. */
  private readonly bound = new Map<string, string>();
  private spares: string[] = [];
  /** Spares promised by `ready` to a `seal` about to run. */
  private reserved = 0;
  /** Callers of `ready` waiting for a spare. */
  private waiting = 0;
  private refilling: Promise<void> | null = null;
  private shreddedCount = 0;
  private unreadable = 0;

  constructor(options: RecordKeyRingOptions) {
    this.o = options;
  }

  /** Loads and unwraps the keys on disk, then makes the spares. */
  async load(): Promise<void> {
    await mkdir(this.o.dir, { recursive: true, mode: 0o700 });
    for (const name of await readdir(this.o.dir)) {
      const id = keyFile.exec(name)?.[1];
      if (!id) continue;
      try {
        this.keys.set(id, await this.o.keyStore.unwrap(await readFile(join(this.o.dir, name)), id));
      } catch (err) {
        this.unreadable++;
        this.o.logger.error({ keyId: id, err: (err as Error).message }, 'a data key cannot be unwrapped with this station\'s master key');
      }
    }
    await this.refill();
  }

  ready(): Promise<void> | undefined {
    if (this.spares.length - this.reserved > 0) {
      this.reserved++;
      return undefined;
    }
    return this.waitForSpare();
  }

  /** Throws JOURNAL_FULL (transient) when no data key can be made, e.g. the data partition is full. */
  private async waitForSpare(): Promise<void> {
    this.waiting++;
    try {
      while (this.refilling) await this.refilling;
      this.scheduleRefill();
      await this.refilling;
    } finally {
      this.waiting--;
    }
    if (this.spares.length - this.reserved <= 0) {
      throw new StationError('JOURNAL_FULL', 'No data key could be made for a personal record; try again', { transient: true });
    }
    this.reserved++;
  }

  seal(plain: Buffer, aad: string): Buffer {
    if (this.reserved > 0) this.reserved--;
    const id = this.spares.shift();
    if (id === undefined) throw new StationError('JOURNAL_CORRUPT', 'No data key is ready for a personal record; try again', { transient: true });
    this.bound.set(aad, id);
    this.scheduleRefill();
    return Buffer.concat([MAGIC, Buffer.from(id, 'hex'), new CryptoBox(this.keys.get(id)!).seal(plain, aad)]);
  }

  /** Throws RecordShredded when the record's key was destroyed, JOURNAL_CORRUPT when it does not authenticate. */
  open(sealed: Buffer, aad: string): Buffer {
    if (!sealed.subarray(0, MAGIC.length).equals(MAGIC)) {
      if (!this.o.legacy) throw new StationError('JOURNAL_CORRUPT', 'A record sealed with the old journal key, and no old key is configured');
      return this.o.legacy.open(sealed, aad);
    }
    const id = sealed.subarray(MAGIC.length, MAGIC.length + KEY_ID_BYTES).toString('hex');
    const key = this.keys.get(id);
    if (!key) throw new RecordShredded(aad);
    const plain = new CryptoBox(key).open(sealed.subarray(MAGIC.length + KEY_ID_BYTES), aad);
    this.bound.set(aad, id);
    return plain;
  }

  /** Destroys every key that none of `live` (event ids of unreleased records) needs, spares excepted. */
  async retainOnly(live: Iterable<string>): Promise<void> {
    const keep = new Set(this.spares);
    const liveSet = new Set(live);
    for (const [aad, id] of this.bound) {
      if (liveSet.has(aad)) keep.add(id);
      else this.bound.delete(aad);
    }
    await this.destroy([...this.keys.keys()].filter((id) => !keep.has(id)));
  }

  /** Destroys the data keys of released records; their sealed bodies can no longer be opened. */
  async shred(aads: Iterable<string>): Promise<void> {
    const ids: string[] = [];
    for (const aad of aads) {
      const id = this.bound.get(aad);
      if (id === undefined) continue;
      this.bound.delete(aad);
      ids.push(id);
    }
    await this.destroy(ids);
  }

  stats(): KeyRingStats {
    return { live: this.bound.size, spares: this.spares.length, shredded: this.shreddedCount, unreadable: this.unreadable };
  }

  /** Waits for spares being made (tests, shutdown). */
  async settle(): Promise<void> {
    while (this.refilling) await this.refilling;
  }

  private async destroy(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    for (const id of ids) {
      this.keys.get(id)?.fill(0);
      this.keys.delete(id);
      const path = join(this.o.dir, `${id}.key`);
      // Overwritten and synced before the unlink, so the wrapped key does not linger in a freed
      // block of the file system (the flash controller's own remapping is beyond reach: docs/security.md).
      try {
        const fh = await open(path, 'r+');
        try {
          const { size } = await fh.stat();
          await fh.write(Buffer.alloc(size), 0, size, 0);
          await fh.datasync();
        } finally {
          await fh.close();
        }
        await unlink(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      this.shreddedCount++;
    }
    await fsyncDir(this.o.dir);
  }

  private scheduleRefill(): void {
    this.refilling ??= this.refill().catch((err: unknown) => {
      this.o.logger.error({ err: (err as Error).message }, 'could not make spare data keys');
    }).finally(() => {
      this.refilling = null;
    });
  }

  private async refill(): Promise<void> {
    while (this.spares.length < (this.o.spares ?? 4) + this.reserved + this.waiting) {
      const id = randomBytes(KEY_ID_BYTES).toString('hex');
      const key = randomBytes(32);
      await writeFileDurable(join(this.o.dir, `${id}.key`), await this.o.keyStore.wrap(key, id), 0o600);
      this.keys.set(id, key);
      this.spares.push(id);
    }
  }
}
