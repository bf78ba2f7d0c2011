/**
 * Reads a chip CCCD over a {@link CardReaderPort}: select the eMRTD application, look for
 * EF.CardAccess (PACE), run BAC, then read EF.COM, DG1, DG13 and EF.SOD over secure messaging
 * (ICAO 9303 part 10 §3 and part 11 §4). PACE is not run: CCCD chips in the field have no readable
 * EF.CardAccess, or announce PACE with a CAN the resident does not have, and answer BAC (see
 * docs/devices.md); when a chip announces PACE the result says so. DG2 (the portrait) is not read.
 *
 * Every response is checked for a status word; a card that goes away mid-read, a reader error, a
 * malformed file or a broken MAC give CHIP_READ_FAILED (transient: the resident can place the card
 * again); a wrong access key CHIP_ACCESS_DENIED. Nothing personal is logged.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../runtime/kernel/clock.js';
import { StationError, isStationError } from '../../runtime/kernel/errors.js';
import { encodeCommand, parseResponse, SW, swHex, type CommandApdu, type ResponseApdu } from './apdu.js';
import { documentKeys, terminalAuthenticate, terminalSession, type MrzKey } from './bac.js';
import type { CardReaderPort } from './card-channel.js';
import { LdsError, ldsFiles, parseDg1, parseDg13, parseEfCom, type Dg13, type EfCom, type Mrz } from './lds.js';
import { SecureChannel, SecureMessagingError } from './secure-messaging.js';
import { parseTlv, TlvError } from './tlv.js';

const emrtdAid = Buffer.from('A0000002471001', 'hex');
/** Bytes per READ BINARY under secure messaging: the protected answer must fit 256 bytes. */
const chunk = 0xdf;

export interface ChipDocument {
  /** The files as read (tag, length and value), for passive authentication. */
  raw: { com: Buffer; dg1: Buffer; dg13: Buffer; sod: Buffer };
  com: EfCom;
  mrz: Mrz;
  dg13: Dg13;
  /** The chip has an EF.CardAccess (announces PACE). */
  paceAnnounced: boolean;
  /** APDUs exchanged. */
  apdus: number;
}

export interface ReadChipOptions {
  /** Access keys to try in turn (a typed number gives two expiry candidates). */
  keys: MrzKey[];
  signal?: AbortSignal;
  /** Randomness for RND.IFD and K.IFD; default node:crypto. */
  random?: (n: number) => Buffer;
}

function readFailed(reason: string, cause?: unknown): StationError {
  return new StationError('CHIP_READ_FAILED', `the chip could not be read: ${reason}`, { transient: true, ...(cause === undefined ? {} : { cause }) });
}

class ChipSession {
  apdus = 0;
  channel: SecureChannel | undefined;

  constructor(private readonly port: CardReaderPort, private readonly signal: AbortSignal | undefined) {}

  async plain(c: CommandApdu): Promise<ResponseApdu> {
    return this.send(encodeCommand(c));
  }

  private async send(bytes: Buffer): Promise<ResponseApdu> {
    if (this.signal?.aborted) throw new StationError('DEVICE_ABORTED', 'the chip read was stopped');
    this.apdus++;
    const r = parseResponse(await this.port.transmit(bytes));
    if (!r) throw readFailed('the reader returned no status word (card removed?)');
    return r;
  }

  async secure(c: CommandApdu): Promise<ResponseApdu> {
    const channel = this.channel!;
    const r = await this.send(channel.wrapCommand(c));
    if (r.sw !== SW.ok && r.sw !== SW.endOfFile && r.data.length === 0) return r;
    try {
      return channel.unwrapResponse(r);
    } catch (err) {
      throw readFailed((err as SecureMessagingError).message, err);
    }
  }

  async readFile(name: string, fid: number): Promise<Buffer> {
    const fidBytes = Buffer.alloc(2);
    fidBytes.writeUInt16BE(fid);
    const sel = await this.secure({ cla: 0, ins: 0xa4, p1: 0x02, p2: 0x0c, data: fidBytes });
    if (sel.sw !== SW.ok) throw readFailed(`${name} cannot be selected (${swHex(sel.sw)})`);
    const head = await this.secure({ cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 4 });
    if (head.sw !== SW.ok && head.sw !== SW.endOfFile) throw readFailed(`${name} cannot be read (${swHex(head.sw)})`);
    let total: number;
    try {
      // The first 4 bytes hold the tag and a length of up to 3 bytes (files < 64 KiB).
      const lenByte = head.data[1] ?? 0;
      const headerSize = 2 + (lenByte & 0x80 ? lenByte & 0x7f : 0);
      const length = lenByte & 0x80 ? [...head.data.subarray(2, headerSize)].reduce((a, b) => a * 256 + b, 0) : lenByte;
      total = headerSize + length;
      if (headerSize > 4 || head.data.length < Math.min(4, total) || total > 0x8000) throw new Error('bad length');
    } catch {
      throw readFailed(`${name} does not start with a TLV header`);
    }
    const parts = [head.data.subarray(0, Math.min(head.data.length, total))];
    let have = parts[0]!.length;
    while (have < total) {
      const r = await this.secure({ cla: 0, ins: 0xb0, p1: have >> 8, p2: have & 0xff, le: Math.min(chunk, total - have) });
      if ((r.sw !== SW.ok && r.sw !== SW.endOfFile) || r.data.length === 0) throw readFailed(`${name} stopped at byte ${have} (${swHex(r.sw)})`);
      parts.push(r.data);
      have += r.data.length;
    }
    const file = Buffer.concat(parts).subarray(0, total);
    try {
      parseTlv(file);
    } catch (err) {
      throw readFailed(`${name}: ${(err as TlvError).message}`, err);
    }
    return file;
  }
}

/** Reads the chip on the reader once. Rejects with a StationError (see the module comment). */
export async function readChip(port: CardReaderPort, options: ReadChipOptions): Promise<ChipDocument> {
  if (options.keys.length === 0) throw new StationError('CHIP_ACCESS_DENIED', 'no access key could be formed for this card');
  const random = options.random ?? randomBytes;
  await port.connect();
  const s = new ChipSession(port, options.signal);
  try {
    const probe = await s.plain({ cla: 0, ins: 0xa4, p1: 0x02, p2: 0x0c, data: Buffer.from([0x01, 0x1c]) });
    const paceAnnounced = probe.sw === SW.ok;
    const select = await s.plain({ cla: 0, ins: 0xa4, p1: 0x04, p2: 0x0c, data: emrtdAid });
    if (select.sw !== SW.ok) throw new StationError('CHIP_READ_FAILED', `the card is not an ICAO document (select ${swHex(select.sw)})`);
    let authenticated = false;
    for (const key of options.keys) {
      const challenge = await s.plain({ cla: 0, ins: 0x84, p1: 0, p2: 0, le: 8 });
      if (challenge.sw !== SW.ok || challenge.data.length !== 8) throw readFailed(`GET CHALLENGE answered ${swHex(challenge.sw)}`);
      const rndIfd = random(8);
      const kIfd = random(16);
      const keys = documentKeys(key);
      const auth = await s.plain({ cla: 0, ins: 0x82, p1: 0, p2: 0, data: terminalAuthenticate(keys, challenge.data, rndIfd, kIfd), le: 40 });
      if (auth.sw !== SW.ok) continue;
      const session = terminalSession(keys, auth.data, challenge.data, rndIfd, kIfd);
      if (!session) throw readFailed('the chip answered BAC with a cryptogram that does not verify');
      s.channel = new SecureChannel(session);
      authenticated = true;
      break;
    }
    if (!authenticated) throw new StationError('CHIP_ACCESS_DENIED', `the chip refused ${options.keys.length === 1 ? 'the access key' : `all ${options.keys.length} access keys`}`);
    const com = await s.readFile('EF.COM', ldsFiles.com.fid);
    const dg1 = await s.readFile('DG1', ldsFiles.dg1.fid);
    const dg13 = await s.readFile('DG13', ldsFiles.dg13.fid);
    const sod = await s.readFile('EF.SOD', ldsFiles.sod.fid);
    try {
      return { raw: { com, dg1, dg13, sod }, com: parseEfCom(com), mrz: parseDg1(dg1), dg13: parseDg13(dg13), paceAnnounced, apdus: s.apdus };
    } catch (err) {
      if (err instanceof LdsError) throw new StationError('CHIP_READ_FAILED', `the chip data is malformed: ${err.message}`);
      throw err;
    }
  } catch (err) {
    if (isStationError(err)) throw err;
    throw readFailed((err as Error).message, err);
  } finally {
    await port.disconnect().catch(() => undefined);
  }
}

/** Bounds a chip read by `ms` on the clock; the read's signal is aborted when time runs out. */
export async function readChipWithin(clock: Clock, ms: number, port: CardReaderPort, options: ReadChipOptions): Promise<ChipDocument> {
  const controller = new AbortController();
  const outer = options.signal;
  const onAbort = () => controller.abort();
  outer?.addEventListener('abort', onAbort, { once: true });
  let timer: ReturnType<Clock['setTimeout']> | undefined;
  try {
    return await Promise.race([
      readChip(port, { ...options, signal: controller.signal }),
      new Promise<never>((_, reject) => {
        timer = clock.setTimeout(() => {
          controller.abort();
          reject(new StationError('DEVICE_TIMEOUT', `the chip read took longer than ${ms} ms`, { transient: true }));
        }, ms);
      }),
    ]);
  } finally {
    clock.clearTimeout(timer);
    outer?.removeEventListener('abort', onAbort);
  }
}
