// Identity from a simulated chip CCCD through the in-process reader: the chip is read over BAC and
// secure messaging, passive authentication decides chip-verified / chip-read / refused, and only
// number, name, birth date and sex come out. Every failure the issue names has a case here.
import t from 'tap';
import pino from 'pino';
import { ManualClock } from '../../fakes/manual-clock.js';
import { SimCardReader } from '../../../drivers/transports/pcsc-sim.js';
import { ChipIdentityService, loadMasterList } from '../../../runtime/services/identity-chip.js';
import { isStationError } from '../../../runtime/kernel/errors.js';
import { chipOf, citizen, devCsca, devMasterListPath, unknownSigner } from '../../fakes/cccd-chip.js';

const logger = pino({ level: 'silent' });
const qrAccess = { id: citizen.idNumber, birthDate: citizen.birthDate, issueDate: citizen.issueDate };

function rig(cscas = [devCsca]) {
  const clock = new ManualClock();
  const reader = new SimCardReader(clock);
  const verdicts: { ok: boolean; failure?: string }[] = [];
  const service = new ChipIdentityService({
    port: reader, clock, logger, cscas,
    onVerdict: (v) => verdicts.push(v.result.ok ? { ok: true } : { ok: false, failure: v.result.failure }),
  });
  return { clock, reader, service, verdicts };
}

async function rejection(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (isStationError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('resolved');
}

t.test('a genuine chip is verified and minimised', async (t) => {
  const { reader, service, verdicts } = rig();
  reader.insert(chipOf());
  const identity = await service.identify(qrAccess);
  t.same(identity, { id: citizen.idNumber, name: 'Nguyễn Văn An', birthDate: '1990-05-17', sex: 'male', source: 'chip-verified' });
  t.same(verdicts, [{ ok: true }]);
  t.notOk('fatherName' in identity || 'placeOfResidence' in identity, 'parents and residence stay on the chip');
});

t.test('a typed number and birth date find the expiry among the candidates', async (t) => {
  const { reader, service } = rig();
  // Born 1990-05-17, card issued 2021: expires at 40 (2030-05-17); in 2026 the candidates are 40 and 60.
  reader.insert(chipOf());
  const identity = await service.identify({ id: citizen.idNumber, birthDate: citizen.birthDate, typed: true });
  t.equal(identity.source, 'chip-verified');
});

t.test('without a master list the chip is read, not verified', async (t) => {
  const { reader, service, verdicts } = rig([]);
  reader.insert(chipOf());
  t.equal((await service.identify(qrAccess)).source, 'chip-read');
  t.same(verdicts, [], 'no verdict without a master list');
});

t.test('an altered DG13 is refused and audited', async (t) => {
  const { reader, service, verdicts } = rig();
  reader.insert(chipOf(citizen, { faults: { alterDg13: true } }));
  const err = await rejection(service.identify(qrAccess));
  t.equal(err.code, 'CHIP_NOT_AUTHENTIC');
  t.match(err.message, /dg-hash.*DG13/);
  t.same(verdicts, [{ ok: false, failure: 'dg-hash' }]);
});

t.test('a SOD signed by another key is refused', async (t) => {
  const { reader, service, verdicts } = rig();
  reader.insert(chipOf(citizen, { faults: { forgeSignature: true } }));
  t.equal((await rejection(service.identify(qrAccess))).code, 'CHIP_NOT_AUTHENTIC');
  t.same(verdicts, [{ ok: false, failure: 'sod-signature' }]);
});

t.test('a document signer from an unknown CSCA is refused', async (t) => {
  const { reader, service, verdicts } = rig();
  reader.insert(chipOf(citizen, { signer: unknownSigner }));
  t.equal((await rejection(service.identify(qrAccess))).code, 'CHIP_NOT_AUTHENTIC');
  t.same(verdicts, [{ ok: false, failure: 'unknown-csca' }]);
});

t.test('a wrong access key is refused by the chip', async (t) => {
  const { reader, service } = rig();
  reader.insert(chipOf());
  const err = await rejection(service.identify({ ...qrAccess, birthDate: '1990-05-18' }));
  t.equal(err.code, 'CHIP_ACCESS_DENIED');
});

t.test('a card pulled mid-read fails cleanly and reads again when placed back', async (t) => {
  const { reader, service } = rig();
  const chip = chipOf();
  reader.insert(chip);
  reader.pullAfter(9);
  const err = await rejection(service.identify(qrAccess));
  t.equal(err.code, 'CHIP_READ_FAILED');
  t.notOk(reader.cardPresent);
  reader.insert(chip);
  t.equal((await service.identify(qrAccess)).source, 'chip-verified', 'the chip starts afresh');
});

t.test('no card, and a card that stops answering, end within the bound', async (t) => {
  const { reader, service, clock } = rig();
  const none = rejection(service.identify(qrAccess));
  await clock.advance(3000);
  t.equal((await none).code, 'CHIP_NO_CARD');
  const late = service.identify(qrAccess);
  await clock.advance(1000);
  reader.insert(chipOf());
  t.equal((await late).source, 'chip-verified', 'a card placed just after the QR is read');
  reader.remove();
  reader.insert(chipOf());
  reader.setSilent(true);
  const pending = rejection(service.identify(qrAccess));
  await clock.advance(15_000);
  t.equal((await pending).code, 'DEVICE_TIMEOUT');
});

t.test('a card whose number differs from the QR is refused even when the chip opens', async (t) => {
  const { reader, service } = rig();
  // Same last 9 digits (the MRZ document number), birth and expiry: BAC opens, the numbers differ.
  reader.insert(chipOf({ ...citizen, idNumber: '001090001234' }));
  const err = await rejection(service.identify(qrAccess));
  t.equal(err.code, 'CHIP_READ_FAILED');
  t.match(err.message, /not the one/);
});

t.test('a reader that hands back an empty buffer (the binding when a card dies) fails the read plainly', async (t) => {
  const { reader, service } = rig();
  reader.insert(chipOf());
  const transmit = reader.transmit.bind(reader);
  let n = 0;
  reader.transmit = (apdu) => (++n === 6 ? Promise.resolve(Buffer.alloc(0)) : transmit(apdu));
  const err = await rejection(service.identify(qrAccess));
  t.equal(err.code, 'CHIP_READ_FAILED');
  t.match(err.message, /no status word/);
});

t.test('master lists load from PEM', async (t) => {
  const cscas = loadMasterList(devMasterListPath);
  t.equal(cscas.length, 1);
  t.match(cscas[0]!.subject, /Station Dev CSCA/);
});
