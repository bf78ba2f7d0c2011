// The simulated chip CCCD behind the real PC/SC stack: our card emulator connects to vsmartcard's
// virtual reader, Debian's pcscd drives it, and the station reads it through @pokusew/pcsclite,
// the transport the board uses. Real APDUs, real daemon, real binding; about 45 ms per APDU.
import t from 'tap';
import pino from 'pino';
import { systemClock } from '../../runtime/kernel/clock.js';
import { isStationError } from '../../runtime/kernel/errors.js';
import { PcscCardReader } from '../../drivers/transports/pcsc-real.js';
import { VpcdCard } from '../../drivers/simulators/vpcd-card.js';
import { ChipIdentityService } from '../../runtime/services/identity-chip.js';
import { chipOf, citizen, devCsca } from '../fakes/cccd-chip.js';
import { startPcscd } from '../fakes/pcscd.js';

const logger = pino({ level: 'silent' });
const pcscd = await startPcscd();
t.teardown(() => pcscd.stop());
const reader = new PcscCardReader(pcscd.createContext, systemClock, logger, { readerName: 'Virtual PCD 00 00', readerWaitMs: 10_000 });
t.teardown(() => reader.close());
await reader.open();
const service = new ChipIdentityService({ port: reader, clock: systemClock, logger, cscas: [devCsca] });
const access = { id: citizen.idNumber, birthDate: citizen.birthDate, issueDate: citizen.issueDate };

function nextEvent(name: 'cardPresent' | 'cardRemoved'): Promise<void> {
  return new Promise((resolve) => {
    const owner = {};
    reader.events.on(name, owner, () => {
      reader.events.offOwner(owner);
      resolve();
    });
  });
}

t.test('a card placed on the virtual reader is read and verified through pcscd', async (t) => {
  const card = new VpcdCard(chipOf());
  const present = nextEvent('cardPresent');
  const placed = Date.now();
  await card.insert();
  await present;
  const identity = await service.identify(access);
  const ms = Date.now() - placed;
  t.same(identity, { id: citizen.idNumber, name: citizen.fullName, birthDate: citizen.birthDate, sex: 'male', source: 'chip-verified' });
  t.comment(`card placed → identity: ${ms} ms, ${card.apdus} APDUs`);
  const removed = nextEvent('cardRemoved');
  await card.remove();
  await removed;
  t.notOk(reader.cardPresent);
});

t.test('a card pulled mid-read gives a clear, retryable error', async (t) => {
  const card = new VpcdCard(chipOf(), { pullAfterApdus: 8 });
  const present = nextEvent('cardPresent');
  await card.insert();
  await present;
  try {
    await service.identify(access);
    t.fail('the read resolved');
  } catch (err) {
    t.ok(isStationError(err, 'CHIP_READ_FAILED') || isStationError(err, 'CHIP_NO_CARD'), `${(err as Error).message}`);
    t.equal((err as { transient?: boolean }).transient, true);
  }
  const removed = reader.cardPresent ? nextEvent('cardRemoved') : Promise.resolve();
  await card.remove();
  await removed;
});

t.test('a wrong access key is refused by the chip through pcscd', async (t) => {
  const card = new VpcdCard(chipOf());
  const present = nextEvent('cardPresent');
  await card.insert();
  await present;
  try {
    await service.identify({ ...access, birthDate: '1991-05-17' });
    t.fail('the read resolved');
  } catch (err) {
    t.ok(isStationError(err, 'CHIP_ACCESS_DENIED'), (err as Error).message);
  }
  await card.remove();
});
