/**
 * The station's provisioning file: secrets written once by scripts/provision (or, in simulation,
 * generated on first start), read at every start. It holds the master key (`journalKey`) that
 * wraps the per-record data keys (key-store.ts, record-key-ring.ts) and opens records sealed before
 * those existed. It must live outside the data directory: a copy of the data partition alone must
 * not open anything.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, relative, resolve, isAbsolute } from 'node:path';
import { CryptoBox } from './crypto-box.js';
import { StationError } from '../kernel/errors.js';
import { writeFileDurable } from '../platform/document-store.js';

export interface Provisioning {
  /** 64 hex digits. */
  journalKey: string;
}

/**
 * Reads the provisioning file; when it is missing and `generate` is set, writes one with a fresh
 * key (durably, mode 0600) so a restart finds the same key.
 */
export async function loadJournalBox(file: string, generate: boolean, dataDir?: string): Promise<CryptoBox> {
  const inside = dataDir !== undefined ? relative(resolve(dataDir), resolve(file)) : '..';
  if (!generate && !inside.startsWith('..') && !isAbsolute(inside)) {
    throw new StationError('CONFIG_INVALID', `provisioning file ${file} is inside the data directory ${dataDir}: keep the master key outside it (security.provisioningFile, default /etc/citizen-station/provisioning.json)`);
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !generate) {
      throw new StationError('CONFIG_INVALID', `provisioning file ${file} cannot be read (${(err as Error).message}); run scripts/provision`);
    }
    const provisioning: Provisioning = { journalKey: randomBytes(32).toString('hex') };
    text = JSON.stringify(provisioning, null, 2) + '\n';
    await mkdir(dirname(file), { recursive: true, mode: 0o750 });
    await writeFileDurable(file, text, 0o600);
  }
  let parsed: Partial<Provisioning>;
  try {
    parsed = JSON.parse(text) as Partial<Provisioning>;
  } catch {
    throw new StationError('CONFIG_INVALID', `provisioning file ${file} is not valid JSON`);
  }
  if (typeof parsed.journalKey !== 'string') {
    throw new StationError('CONFIG_INVALID', `provisioning file ${file}: "journalKey" (64 hex digits) is missing`);
  }
  return CryptoBox.fromText(parsed.journalKey);
}
