// A health check, a BHYT registration and a dossier submission with identity from the simulated
// chip CCCD through the real PC/SC stack (our card behind vsmartcard's virtual reader, Debian's
// pcscd, @pokusew/pcsclite), shown in real Chromium and driven by keyboard keys only (the keypad's
// stand-in). The card is placed on the tray as the QR is scanned; the test times card placed →
// the next screen in the browser, and checks what central receives says chip-verified.
import t, { type Test } from 'tap';
import pino from 'pino';
import type { Page } from 'playwright-core';
import { DisplayServer } from '../../runtime/display/server.js';
import type { InputSink, Key } from '../../runtime/kernel/input.js';
import { PcscCardReader } from '../../drivers/transports/pcsc-real.js';
import { VpcdCard } from '../../drivers/simulators/vpcd-card.js';
import { ChipIdentityService } from '../../runtime/services/identity-chip.js';
import { systemClock } from '../../runtime/kernel/clock.js';
import { StationError } from '../../runtime/kernel/errors.js';
import type { MeasureService } from '../../drivers/types.js';
import { serviceStation, type ServiceStation } from '../fakes/service-station.js';
import { launchKiosk } from '../fakes/chromium.js';
import { startPcscd } from '../fakes/pcscd.js';
import { chipOf, citizen, citizenQr, devCsca } from '../fakes/cccd-chip.js';

declare const document: any;

const logger = pino({ level: 'silent' });
const pcscd = await startPcscd();
t.teardown(() => pcscd.stop());
const reader = new PcscCardReader(pcscd.createContext, systemClock, logger, { readerName: 'Virtual PCD 00 00', readerWaitMs: 10_000 });
t.teardown(() => reader.close());
await reader.open();
const kiosk = await launchKiosk();
t.teardown(() => kiosk.close());

const keyboardKeys: Record<Key, string> = {
  '0': '0', '1': '1', '2': '2', '3': '3', '4': '4', '5': '5', '6': '6', '7': '7', '8': '8', '9': '9',
  '*': '*', '#': '#', ok: 'Enter', back: 'Escape', help: 'F1', home: 'Home',
};
const readTimes: number[] = [];

async function kioskFor(t: Test, s: ServiceStation) {
  let arrived = 0;
  const counted: InputSink = { input: (event) => { arrived += 1; s.session.input(event); } };
  const server = new DisplayServer({ assetsDir: 'runtime/display/static', host: '127.0.0.1', port: 0, feed: s.session, input: counted, logger, clock: s.clock });
  await server.start();
  const page: Page = await kiosk.context.newPage();
  t.teardown(async () => {
    await page.close();
    await server.stop();
  });
  await page.goto(server.url);
  await page.waitForSelector('body[data-connected=true]');
  const synced = () => page.waitForFunction((seq: number) => Number(document.body.dataset.seq) >= seq, server.screenSeq);
  return {
    page,
    async keys(...keys: (Key | string)[]) {
      for (const key of keys) {
        const before = arrived;
        await page.keyboard.press(keyboardKeys[key as Key]);
        const deadline = Date.now() + 5000;
        while (arrived === before) {
          if (Date.now() > deadline) throw new Error(`${key} never reached the session`);
          await new Promise((r) => setTimeout(r, 2));
        }
        await s.clock.advance(0);
        await synced();
      }
    },
    /** Places the card on the tray as its QR is scanned; resolves when the browser shows the step after identity. */
    async placeCard(card: VpcdCard) {
      t.equal(await page.getAttribute('body', 'data-kind'), 'identity');
      const placed = Date.now();
      await card.insert();
      s.session.input({ type: 'scan', text: citizenQr });
      await s.clock.advance(0);
      await page.waitForFunction(() => document.body.dataset.kind !== 'identity', undefined, { timeout: 20_000 });
      readTimes.push(Date.now() - placed);
      t.comment(`card placed → next screen in Chromium: ${Date.now() - placed} ms`);
      await synced();
    },
  };
}

/** Only a thermometer: the health check has one value to send. */
const thermometer: MeasureService = {
  measure: async (kind) => {
    if (kind !== 'temperature') throw new StationError('DEVICE_MISSING');
    return { kind, at: 0, values: { celsius: 36.6 }, device: 'thermometer' } as never;
  },
};

async function station(t: Test) {
  const chip = new ChipIdentityService({ port: reader, clock: systemClock, logger, cscas: [devCsca] });
  const s = await serviceStation({ chip, measure: thermometer });
  t.teardown(() => s.stop());
  const card = new VpcdCard(chipOf());
  t.teardown(() => card.remove());
  return { s, card, k: await kioskFor(t, s) };
}

t.test('health check: results sent to telehealth under the chip-verified identity', async (t) => {
  const { s, card, k } = await station(t);
  await k.keys('1', 'ok', '1');
  for (const step of ['weight', 'height', 'spo2', 'blood-pressure']) {
    t.equal(s.screen().stepId, step);
    await k.keys('0');
  }
  await k.keys('ok');
  t.equal(s.screen().stepId, 'result', 'only the temperature is measured');
  await k.keys('2', '1');
  await k.placeCard(card);
  t.equal(s.screen().stepId, 'sent');
  const record = s.records.records.find((r) => r.kind === 'health-record')!;
  t.match(JSON.stringify(record.payload), citizen.idNumber, 'the FHIR bundle names the resident by the chip number');
  t.equal(record.payload['identitySource'], 'chip-verified');
  t.match(await k.page.innerText('body'), 'Đã ghi nhận');
});

t.test('BHYT registration: the registration carries the chip name and chip-verified', async (t) => {
  const { s, card, k } = await station(t);
  s.rpc.on('bhyt-quote', (p) => ({ baseSalary: 2_340_000, months: p['months'], total: 2_906_280 }));
  s.rpc.on('payment-status', () => ({ status: 'pending' }));
  await k.keys('7', 'ok', '1');
  await k.placeCard(card);
  t.equal(s.screen().stepId, 'household');
  await k.keys('3', '3', '1');
  const reg = s.records.records.find((r) => r.kind === 'insurance')!;
  t.match(reg.payload, { cccd: citizen.idNumber, name: citizen.fullName, birthDate: citizen.birthDate, identitySource: 'chip-verified' });
  t.equal(await k.page.getAttribute('body', 'data-kind'), 'pay');
});

t.test('dossier submission: the form starts from the chip-verified identity', async (t) => {
  const { s, card, k } = await station(t);
  await k.keys('4', '1', '1', '1');
  await k.placeCard(card);
  t.equal(s.screen().stepId, 'form', 'the official form follows the chip read');
  t.match(s.session.state().data['identity'], { id: citizen.idNumber, name: citizen.fullName, birthDate: citizen.birthDate, source: 'chip-verified' });
  t.notMatch(JSON.stringify(s.session.state()), /Trần Thị Cúc|Quảng Ngãi/, 'parents and place of origin never leave the reader');
  t.match(await k.page.innerText('body'), 'Tờ khai');
});

t.teardown(() => {
  if (readTimes.length) console.log(`# chip read times (card placed → next screen): ${readTimes.join(', ')} ms`);
});
