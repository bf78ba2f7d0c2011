/**
 * A simulated chip CCCD: the ISO/IEC 7816-4 commands an ICAO 9303 reader sends (SELECT by AID and
 * by file identifier, GET CHALLENGE, EXTERNAL AUTHENTICATE for BAC, READ BINARY), answered over
 * secure messaging once BAC succeeded, from files built by cccd-chip-files.ts. A wrong access key
 * gets 6300; a bad MAC ends the secure session (6988), as part 11 §9.8.6 asks of a chip. Like
 * CCCD chips in the field, it has no EF.CardAccess (6A82), so readers use BAC.
 */
import { randomBytes } from 'node:crypto';
import { encodeResponse, parseCommand, SW, type CommandApdu } from '../id-chip/apdu.js';
import { chipAuthenticate, documentKeys, type KeyPair, type MrzKey } from '../id-chip/bac.js';
import { ldsFiles } from '../id-chip/lds.js';
import { SecureChannel } from '../id-chip/secure-messaging.js';

/** The eMRTD application identifier (part 10 §3.1). */
export const emrtdAid = Buffer.from('A0000002471001', 'hex');

/** An ATR of an ISO 14443-4 card as a PC/SC contactless reader reports it (PC/SC part 3 §3.1.3.2.3). */
export const chipAtr = Buffer.from('3B8880014243443130303056', 'hex');

export class CccdChipEmulator {
  private keys: KeyPair;
  private challenge: Buffer | undefined;
  private channel: SecureChannel | undefined;
  private selected: Buffer | undefined;
  private appSelected = false;
  /** Commands answered since power-on (for faults and tests). */
  commands = 0;

  constructor(
    private readonly files: Map<number, Buffer>,
    mrz: MrzKey,
    private readonly random: (n: number) => Buffer = randomBytes,
  ) {
    this.keys = documentKeys(mrz);
  }

  /** Power-on or reset: every session state is lost. */
  reset(): void {
    this.challenge = undefined;
    this.channel = undefined;
    this.selected = undefined;
    this.appSelected = false;
    this.commands = 0;
  }

  /** Answers one command APDU. */
  process(bytes: Uint8Array): Buffer {
    this.commands++;
    const raw = parseCommand(bytes);
    if (!raw) return encodeResponse(Buffer.alloc(0), SW.wrongLength);
    if (this.channel && (raw.cla & 0x0c) === 0x0c) {
      const c = this.channel.unwrapCommand(raw);
      if (!c) {
        this.channel = undefined;
        return encodeResponse(Buffer.alloc(0), SW.smIncorrect);
      }
      const { data, sw } = this.execute(c);
      return this.channel.wrapResponse(data, sw);
    }
    if (this.channel) {
      // A plain command ends the secure session (part 11 §9.8.6).
      this.channel = undefined;
      if (raw.ins === 0xb0) return encodeResponse(Buffer.alloc(0), SW.smMissing);
    }
    const { data, sw } = this.execute(raw);
    return encodeResponse(data, sw);
  }

  private execute(c: CommandApdu): { data: Buffer; sw: number } {
    const none = Buffer.alloc(0);
    switch (c.ins) {
      case 0xa4: {
        if (c.p1 === 0x04) {
          if (!c.data?.equals(emrtdAid)) return { data: none, sw: SW.fileNotFound };
          this.appSelected = true;
          this.selected = undefined;
          return { data: none, sw: SW.ok };
        }
        if (c.p1 !== 0x02 || c.data?.length !== 2) return { data: none, sw: SW.wrongP1P2 };
        const fid = c.data.readUInt16BE(0);
        if (!this.appSelected || fid === ldsFiles.cardAccess.fid) return { data: none, sw: SW.fileNotFound };
        if (!this.channel) return { data: none, sw: SW.securityStatus };
        const file = this.files.get(fid);
        if (!file) return { data: none, sw: SW.fileNotFound };
        this.selected = file;
        return { data: none, sw: SW.ok };
      }
      case 0x84:
        if (!this.appSelected) return { data: none, sw: SW.conditions };
        this.challenge = this.random(8);
        return { data: this.challenge, sw: SW.ok };
      case 0x82: {
        const challenge = this.challenge;
        this.challenge = undefined;
        if (!challenge) return { data: none, sw: SW.conditions };
        const result = c.data ? chipAuthenticate(this.keys, c.data, challenge, this.random(16)) : null;
        if (!result) return { data: none, sw: SW.authFailed };
        this.channel = new SecureChannel(result.session);
        return { data: result.answer, sw: SW.ok };
      }
      case 0xb0: {
        if (!this.channel) return { data: none, sw: SW.securityStatus };
        if (!this.selected || (c.p1 & 0x80) !== 0) return { data: none, sw: SW.conditions };
        const offset = c.p1 * 256 + c.p2;
        if (offset > this.selected.length) return { data: none, sw: SW.wrongP1P2 };
        const want = c.le ?? 256;
        const data = this.selected.subarray(offset, offset + want);
        return { data, sw: data.length < want ? SW.endOfFile : SW.ok };
      }
      default:
        return { data: none, sw: SW.insNotSupported };
    }
  }
}
