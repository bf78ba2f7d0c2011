// The identity step with a chip reader: the QR scan opens the chip (its key comes from the QR), the
// chip's identity replaces the QR's and says how it was established; a chip that fails passive
// authentication is refused without accusing; no card keeps the QR identity. The chip is the
// simulated CCCD behind the in-process reader, read by the real ChipIdentityService.
import t from 'tap';
import pino from 'pino';
import { flowRig, testBundle } from '../../fakes/flow-kit.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { SimCardReader } from '../../../drivers/transports/pcsc-sim.js';
import { ChipIdentityService } from '../../../runtime/services/identity-chip.js';
import { chipOf, citizen, citizenQr, devCsca } from '../../fakes/cccd-chip.js';

const who = `
id: who
version: 1
title: { vi: "Danh tính", en: "Identity" }
menu: { key: "6" }
start: id
steps:
  id:
    kind: identity
    title: identity.title
    next: show
    on: { error: bad }
  show:
    kind: result
    title: { vi: "Xin chào", en: "Hello" }
    body: [{ vi: "{{identity.masked}} {{identity.name}} {{identity.source}}", en: "{{identity.masked}} {{identity.name}} {{identity.source}}" }]
    next: bye
  bad:
    kind: end
    outcome: failed
    title: { vi: "Không xác nhận được", en: "Not confirmed" }
  bye:
    kind: end
    title: { vi: "Xong", en: "Done" }
`;

async function rig(cscas = [devCsca]) {
  const clock = new ManualClock();
  const reader = new SimCardReader(clock);
  const chip = new ChipIdentityService({ port: reader, clock, logger: pino({ level: 'silent' }), cscas });
  const r = await flowRig({ clock, chip, config: { chipReader: true }, bundle: await testBundle([{ name: 'who.yaml', text: who }]) });
  await r.press('6');
  return { ...r, reader };
}

t.test('card on the tray: the QR opens the chip and the verified chip identity is used', async (t) => {
  const r = await rig();
  r.reader.insert(chipOf());
  r.session.input({ type: 'scan', text: citizenQr });
  await r.wait(0);
  t.same(r.session.current().body, ['079•••••••34 Nguyễn Văn An chip-verified']);
  t.match(r.session.state().data.identity, { id: citizen.idNumber, source: 'chip-verified', birthDate: citizen.birthDate });
  t.notOk(JSON.stringify(r.session.state()).includes('Trần Thị Cúc'), "the parents' names never reach the session");
  await r.session.stop();
});

t.test('without a master list the identity is chip-read', async (t) => {
  const r = await rig([]);
  r.reader.insert(chipOf());
  r.session.input({ type: 'scan', text: citizenQr });
  await r.wait(0);
  t.same(r.session.current().body, ['079•••••••34 Nguyễn Văn An chip-read']);
  await r.session.stop();
});

t.test('no card on the reader: the QR identity stands, marked qr', async (t) => {
  const r = await rig();
  r.session.input({ type: 'scan', text: citizenQr });
  await r.wait(3000);
  t.same(r.session.current().body, ['079•••••••34 Nguyễn Văn An qr']);
  await r.session.stop();
});

t.test('a chip that fails passive authentication is refused plainly and the QR is not taken instead', async (t) => {
  const r = await rig();
  r.reader.insert(chipOf(citizen, { faults: { alterDg13: true } }));
  r.session.input({ type: 'scan', text: citizenQr });
  await r.wait(0);
  const screen = r.session.current();
  t.equal(screen.stepId, 'id');
  t.ok(screen.body?.some((b) => b.includes('chưa xác thực được chip')), 'the resident is told, without accusing');
  t.notOk(r.session.state().data.identity, 'no identity is kept');
  await r.session.stop();
});

t.test('a chip that stops answering falls back to the QR when the step times out', async (t) => {
  const r = await rig();
  r.reader.insert(chipOf());
  r.reader.setSilent(true);
  r.session.input({ type: 'scan', text: citizenQr });
  await r.wait(0);
  t.match(r.session.current().progress?.label ?? '', /Đang đọc chip/);
  await r.wait(15_000);
  t.same(r.session.current().body, ['079•••••••34 Nguyễn Văn An qr']);
  await r.session.stop();
});
