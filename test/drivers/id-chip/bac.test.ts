// ICAO 9303 part 11 appendix D, the worked BAC example: key derivation from the MRZ, the mutual
// authentication both ways, the session keys and counter, and the secure messaging APDUs of D.4
// (SELECT EF.COM, READ BINARY of its first 4 then 18 bytes), byte for byte.
import t from 'tap';
import { checkDigit, chipAuthenticate, documentKeys, mrzInformation, terminalAuthenticate, terminalSession } from '../../../drivers/id-chip/bac.js';
import { adjustParity, pad, retailMac, unpad } from '../../../drivers/id-chip/des.js';
import { SecureChannel } from '../../../drivers/id-chip/secure-messaging.js';
import { parseResponse } from '../../../drivers/id-chip/apdu.js';

const h = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');
const mrz = { documentNumber: 'L898902C', birthDate: '690806', expiryDate: '940623' };
const rndIc = h('4608F91988702212');
const rndIfd = h('781723860C06C226');
const kIfd = h('0B795240CB7049B01C19B33E32804F0B');
const kIc = h('0B4F80323EB3191CB04970CB4052790B');

t.test('document basic access keys from the MRZ (D.2)', async (t) => {
  t.equal(mrzInformation(mrz), 'L898902C<369080619406236');
  t.equal(checkDigit('L898902C<'), '3');
  const keys = documentKeys(mrz);
  t.equal(keys.enc.toString('hex'), 'ab94fdecf2674fdfb9b391f85d7f76f2');
  t.equal(keys.mac.toString('hex'), '7962d9ece03d1acd4c76089dce131543');
  t.equal(adjustParity(h('00')).toString('hex'), '01', 'even parity bytes get their low bit set');
});

t.test('mutual authentication and session keys (D.3)', async (t) => {
  const keys = documentKeys(mrz);
  const command = terminalAuthenticate(keys, rndIc, rndIfd, kIfd);
  t.equal(command.toString('hex'), '72c29c2371cc9bdb65b779b8e8d37b29ecc154aa56a8799fae2f498f76ed92f2' + '5f1448eea8ad90a7');
  const chip = chipAuthenticate(keys, command, rndIc, kIc);
  t.ok(chip);
  t.equal(chip!.answer.toString('hex'), '46b9342a41396cd7386bf5803104d7cedc122b9132139baf2eedc94ee178534f' + '2f2d235d074d7449');
  const session = terminalSession(keys, chip!.answer, rndIc, rndIfd, kIfd);
  t.equal(session?.enc.toString('hex'), '979ec13b1cbfe9dcd01ab0fed307eae5');
  t.equal(session?.mac.toString('hex'), 'f1cb1f1fb5adf208806b89dc579dc1f8');
  t.equal(session?.ssc.toString('hex'), '887022120c06c226');
  t.same(chip!.session, session, 'the chip derives the same session');
});

t.test('a wrong access key is refused on both sides', async (t) => {
  const right = documentKeys(mrz);
  const wrong = documentKeys({ ...mrz, birthDate: '690807' });
  t.equal(chipAuthenticate(right, terminalAuthenticate(wrong, rndIc, rndIfd, kIfd), rndIc, kIc), null, 'the chip refuses the terminal');
  const answer = chipAuthenticate(right, terminalAuthenticate(right, rndIc, rndIfd, kIfd), rndIc, kIc)!.answer;
  t.equal(terminalSession(wrong, answer, rndIc, rndIfd, kIfd), null, 'the terminal refuses the chip');
  const flipped = Buffer.from(answer);
  flipped[3]! ^= 1;
  t.equal(terminalSession(right, flipped, rndIc, rndIfd, kIfd), null, 'a flipped cryptogram bit fails the MAC');
});

t.test('secure messaging APDUs (D.4)', async (t) => {
  const session = terminalSession(documentKeys(mrz), chipAuthenticate(documentKeys(mrz), terminalAuthenticate(documentKeys(mrz), rndIc, rndIfd, kIfd), rndIc, kIc)!.answer, rndIc, rndIfd, kIfd)!;
  const reader = new SecureChannel(session);
  t.equal(reader.wrapCommand({ cla: 0, ins: 0xa4, p1: 2, p2: 0x0c, data: h('011E') }).toString('hex'), '0ca4020c158709016375432908c044f68e08bf8b92d635ff24f800');
  t.same(reader.unwrapResponse(parseResponse(h('990290008E08FA855A5D4C50A8ED9000'))!), { data: Buffer.alloc(0), sw: 0x9000 });
  t.equal(reader.wrapCommand({ cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 4 }).toString('hex'), '0cb000000d9701048e08ed6705417e96ba5500');
  t.equal(reader.unwrapResponse(parseResponse(h('8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000'))!).data.toString('hex'), '60145f01');
  t.equal(reader.wrapCommand({ cla: 0, ins: 0xb0, p1: 0, p2: 4, le: 0x12 }).toString('hex'), '0cb000040d9701128e082ea28a70f3c7b53500');
  const last = reader.unwrapResponse(parseResponse(h('871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000'))!);
  t.equal(last.data.toString('hex'), '04303130365f36063034303030305c026175');
  t.equal(reader.counter.toString('hex'), '887022120c06c22c');
});

t.test('the chip side opens what the reader wraps and the reader checks what the chip answers', async (t) => {
  const session = terminalSession(documentKeys(mrz), chipAuthenticate(documentKeys(mrz), terminalAuthenticate(documentKeys(mrz), rndIc, rndIfd, kIfd), rndIc, kIc)!.answer, rndIc, rndIfd, kIfd)!;
  const reader = new SecureChannel(session);
  const chip = new SecureChannel(session);
  const wire = reader.wrapCommand({ cla: 0, ins: 0xb0, p1: 0, p2: 4, le: 0x12 });
  const opened = chip.unwrapCommand({ cla: wire[0]!, ins: wire[1]!, p1: wire[2]!, p2: wire[3]!, data: wire.subarray(5, 5 + wire[4]!) });
  t.same(opened, { cla: 0, ins: 0xb0, p1: 0, p2: 4, le: 0x12 });
  const answer = chip.wrapResponse(h('0102'), 0x9000);
  t.same(reader.unwrapResponse(parseResponse(answer)!), { data: h('0102'), sw: 0x9000 });
  const tampered = Buffer.from(chip.wrapResponse(h('0102'), 0x9000));
  reader.wrapCommand({ cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 2 });
  // The protected status word (DO'99' value) says 6282 instead of 9000: only the MAC can tell.
  const do99 = tampered.indexOf(Buffer.from('99029000', 'hex'));
  tampered[do99 + 2] = 0x62;
  tampered[do99 + 3] = 0x82;
  t.throws(() => reader.unwrapResponse(parseResponse(tampered)!), /MAC is wrong/, 'a tampered response fails its MAC');
});

t.test('retail MAC and padding', async (t) => {
  t.equal(pad(h('01')).toString('hex'), '0180000000000000');
  t.equal(pad(h('0102030405060708')).length, 16, 'a full block gets a whole padding block');
  t.equal(unpad(h('0180000000000000'))?.toString('hex'), '01');
  t.equal(unpad(h('0100000000000000')), null, 'no 80 marker');
  t.throws(() => retailMac(h('00'.repeat(16)), h('01')), RangeError);
});
