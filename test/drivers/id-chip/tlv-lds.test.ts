// The TLV parser under fast-check (any bytes, truncation, nesting, lengths), the LDS parsers on
// what the simulated chip serves, and the CCCD expiry rule behind the access key.
import t from 'tap';
import fc from 'fast-check';
import { encodeTlv, maxTlvDepth, parseTlv, parseTlvList, parseTlvTree, TlvError } from '../../../drivers/id-chip/tlv.js';
import { LdsError, parseDg1, parseDg13, parseEfCom } from '../../../drivers/id-chip/lds.js';
import { parseSod } from '../../../drivers/id-chip/sod.js';
import { accessKeyFromQr, accessKeysFromTyped, cccdExpiry } from '../../../drivers/id-chip/access-key.js';
import { buildChipFiles } from '../../../drivers/simulators/cccd-chip-files.js';
import { citizen, devSigner } from '../../fakes/cccd-chip.js';

const runs = 300;
const seed = 20261204;

t.test('any bytes: the parser returns TLVs inside the buffer or a TlvError, nothing else', async (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
    try {
      for (const tlv of parseTlvList(bytes)) if (tlv.offset + tlv.size > bytes.length) return false;
      parseTlvTree(bytes);
      return true;
    } catch (err) {
      return err instanceof TlvError;
    }
  }), { numRuns: runs, seed });
  t.pass();
});

const tlvTree: fc.Arbitrary<Buffer> = fc.letrec<{ node: Buffer }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    fc.tuple(fc.constantFrom(0x04, 0x0c, 0x5f1f, 0x02), fc.uint8Array({ maxLength: 300 })).map(([tag, v]) => encodeTlv(tag, v)),
    fc.tuple(fc.constantFrom(0x30, 0x61, 0x7f61), fc.array(tie('node'), { maxLength: 4 })).map(([tag, kids]) => encodeTlv(tag, Buffer.concat(kids))),
  ),
})).node;

t.test('well-formed trees round-trip; every truncation is refused', async (t) => {
  fc.assert(fc.property(tlvTree, (der) => {
    const top = parseTlv(der);
    if (top.size !== der.length) return false;
    for (let cut = 0; cut < der.length; cut++) {
      try {
        parseTlv(der.subarray(0, cut));
        return false;
      } catch (err) {
        if (!(err instanceof TlvError)) return false;
      }
    }
    return true;
  }), { numRuns: 100, seed });
  t.pass();
});

t.test('lengths and nesting limits', async (t) => {
  t.throws(() => parseTlv(Buffer.from([0x30, 0x80, 0x00, 0x00])), /indefinite/);
  t.throws(() => parseTlv(Buffer.from([0x04, 0x85, 1, 0, 0, 0, 0])), /longer than 4 bytes/);
  t.throws(() => parseTlv(Buffer.from([0x04, 0x82, 0x01])), /cut short/);
  t.throws(() => parseTlv(Buffer.from([0x04, 0x82, 0xff, 0xff, 0x00])), /only 1 remain/);
  t.equal(parseTlv(Buffer.from([0x5f, 0x1f, 0x01, 0x41])).tag, 0x5f1f);
  let deep: Buffer = encodeTlv(0x04, Buffer.from([1]));
  for (let i = 0; i <= maxTlvDepth + 1; i++) deep = encodeTlv(0x30, deep);
  t.throws(() => parseTlvTree(deep), /nested deeper/);
});

t.test('the LDS files of a simulated card parse back to the card', async (t) => {
  const files = buildChipFiles(citizen, devSigner);
  t.same(parseEfCom(files.get(0x011e)!).dataGroups, [1, 2, 13]);
  const mrz = parseDg1(files.get(0x0101)!);
  t.same([mrz.documentNumber, mrz.optionalData, mrz.birthDate, mrz.expiryDate, mrz.sex, mrz.name], ['090001234', citizen.idNumber, '900517', '300517', 'M', 'NGUYEN VAN AN']);
  const dg13 = parseDg13(files.get(0x010d)!);
  t.same([dg13.idNumber, dg13.fullName, dg13.birthDate, dg13.sex, dg13.issueDate, dg13.expiryDate, dg13.fatherName, dg13.motherName],
    [citizen.idNumber, citizen.fullName, citizen.birthDate, 'male', citizen.issueDate, citizen.expiryDate, citizen.fatherName, citizen.motherName]);
  const sod = parseSod(files.get(0x011d)!);
  t.same([...sod.hashes.keys()], [1, 2, 13]);
  t.throws(() => parseDg13(encodeTlv(0x6d, encodeTlv(0x30, Buffer.alloc(0)))), LdsError);
  t.throws(() => parseDg1(encodeTlv(0x61, encodeTlv(0x5f1f, Buffer.from('IDVNM')))), /90/);
  t.throws(() => parseSod(encodeTlv(0x77, encodeTlv(0x30, Buffer.alloc(0)))), LdsError);
});

t.test('CCCD expiry: ages 25, 40, 60 with the 2-year rule; 14 added for cards from July 2024', async (t) => {
  t.equal(cccdExpiry('1990-05-17', '2021-06-10'), '2030-05-17', 'issued at 31: valid to 40');
  t.equal(cccdExpiry('1990-05-17', '2028-06-10'), '2050-05-17', 'issued at 38 (within 2 years of 40): valid to 60');
  t.equal(cccdExpiry('1960-01-01', '2021-01-01'), null, 'issued at 61: no expiry');
  t.equal(cccdExpiry('2012-03-01', '2024-08-01'), '2037-03-01', 'issued at 12 under the 2023 law: 14 is within 2 years, so 25');
  t.equal(cccdExpiry('2000-02-29', '2021-01-01'), '2025-02-28', 'a 29 February birthday in a common year');
  t.same(accessKeyFromQr('079090001234', '1990-05-17', '2021-06-10'), { documentNumber: '090001234', birthDate: '900517', expiryDate: '300517' });
  t.same(accessKeysFromTyped('079090001234', '1990-05-17', '2026-12-04').map((k) => k.expiryDate), ['300517', '500517']);
});
