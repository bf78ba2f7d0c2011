// Real service flows through the real FlowSession, shown in Debian's Chromium: a health check with
// scripted devices and a water bill paid by VietQR, each walked once with keyboard keys (the keypad's
// stand-in) and once with clicks. The page must show what the engine says, the QR on screen must
// decode to the payload the engine made, and after the idle timeout nothing about the resident may
// remain in the DOM.
import t, { type Test } from 'tap';
import pino from 'pino';
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { DisplayServer } from '../../runtime/display/server.js';
import type { InputSink, Key } from '../../runtime/kernel/input.js';
import type { FlowSession } from '../../runtime/flows/session.js';
import type { ManualClock } from '../fakes/manual-clock.js';
import { flowRig } from '../fakes/flow-kit.js';
import { serviceStation, type ServiceStation } from '../fakes/service-station.js';
import { launchKiosk } from '../fakes/chromium.js';
import { decodeQrScreenshot } from '../fakes/qr-decode.js';

declare const document: any;

const shots = 'test-output/screens';
mkdirSync(shots, { recursive: true });
const logger = pino({ level: 'silent' });
const kiosk = await launchKiosk();
t.teardown(() => kiosk.close());

type Mode = 'keypad' | 'touch';

const keyboardKeys: Record<Key, string> = {
  '0': '0', '1': '1', '2': '2', '3': '3', '4': '4', '5': '5', '6': '6', '7': '7', '8': '8', '9': '9',
  '*': '*', '#': '#', ok: 'Enter', back: 'Escape', help: 'F1', home: 'Home',
};

/** A page showing one session through its own display server, and a way to act on it. */
async function resident(t: Test, session: FlowSession, clock: ManualClock, mode: Mode) {
  let arrived = 0;
  const counted: InputSink = {
    input: (event) => {
      arrived += 1;
      session.input(event);
    },
  };
  const server = new DisplayServer({ assetsDir: 'runtime/display/static', host: '127.0.0.1', port: 0, feed: session, input: counted, logger, clock });
  await server.start();
  const page = await kiosk.context.newPage();
  t.teardown(async () => {
    await page.close();
    await server.stop();
  });
  await page.goto(server.url);
  await page.waitForSelector('body[data-connected=true]');

  /** Waits until the page shows the screen the session published last. */
  const synced = async () => {
    await page.waitForFunction((seq: number) => Number(document.body.dataset.seq) >= seq, server.screenSeq);
  };
  return {
    page,
    server,
    synced,
    /** Presses keys (keypad mode) or touches what shows them (touch mode), letting effects settle. */
    async act(...keys: Key[]) {
      for (const key of keys) {
        const before = arrived;
        if (mode === 'keypad') await page.keyboard.press(keyboardKeys[key]);
        else await page.click(`#screen [data-key="${key}"], #keys [data-key="${key}"]`, { timeout: 2000 });
        const deadline = Date.now() + 5000;
        while (arrived === before) {
          if (Date.now() > deadline) throw new Error(`${key} (${mode}) never reached the session`);
          await new Promise((r) => setTimeout(r, 2));
        }
        await clock.advance(0);
        await synced();
      }
    },
    async wait(ms: number) {
      await clock.advance(ms);
      await synced();
    },
    text: async () => (await page.innerText('body')).replace(/\s+/g, ' '),
  };
}

async function assertNoTraces(t: Test, page: Page, traces: string[], when: string): Promise<void> {
  const html = await page.content();
  for (const trace of traces) t.notOk(html.includes(trace), `${when}: no "${trace}" in the DOM`);
}

const cccd = '079158001234';

for (const mode of ['keypad', 'touch'] as const) {
  t.test(`health check with simulated devices, by ${mode}`, async (t) => {
    const rig = await flowRig();
    t.teardown(() => rig.session.stop());
    const r = await resident(t, rig.session, rig.clock, mode);
    t.match(await r.text(), 'Kiểm tra sức khỏe');
    if (mode === 'keypad') {
      rig.session.setLinkOnline(false);
      await r.wait(0);
      t.match(await r.page.innerText('#banners'), 'Mất kết nối với trung tâm', 'offline banner while central is unreachable');
      rig.session.setLinkOnline(true);
      await r.wait(0);
      t.equal(await r.page.innerText('#banners'), '', 'and gone when it is back');
      rig.session.setMaintenance(true);
      await r.wait(0);
      t.equal(await r.page.getAttribute('body', 'data-kind'), rig.session.current().kind, 'maintenance screen from the engine');
      await r.page.screenshot({ path: `${shots}/flow-maintenance.png` });
      rig.session.setMaintenance(false);
      await r.wait(0);
      t.equal(await r.page.getAttribute('body', 'data-kind'), 'home');
    }
    await r.act('1');
    t.equal(await r.page.textContent('#title'), rig.session.current().title, 'intro on screen');
    await r.act('ok');
    t.equal(await r.page.getAttribute('body', 'data-kind'), 'consent');
    await r.act('1');
    t.equal(rig.session.current().stepId, 'weight');
    await r.act('help');
    t.equal(await r.page.innerText('#screen .body'), 'Bấm OK khi đã đứng trên bàn cân. Bấm 0 nếu không muốn đo cân nặng.', 'Help explains the screen');
    await r.act('back');
    t.notMatch(await r.page.innerText('#screen .body'), 'Bấm 0 nếu không muốn', 'Back closes the help');
    t.equal(rig.session.current().stepId, 'weight', 'and stays on the step');

    rig.devices.script('weight', { values: { weightKg: 70 }, afterMs: 3000, progress: [{ phase: 'settling' }] });
    await r.act('ok');
    t.match(await r.text(), 'Đang chờ số cân ổn định', 'the scale settling is shown');
    await r.wait(3000);
    for (const step of ['height', 'spo2', 'blood-pressure', 'temperature']) {
      t.equal(rig.session.current().stepId, step);
      if (step === 'blood-pressure') {
        rig.devices.script('bloodPressure', { values: { systolic: 145, diastolic: 85, map: 105, pulse: 80 }, afterMs: 40_000, progress: [{ phase: 'inflating', cuffPressure: 160 }] });
      }
      await r.act('ok');
      if (step === 'blood-pressure') {
        t.match(await r.page.innerText('.progress'), /Vòng bít đang bơm\s+160\s*mmHg/, 'cuff pressure on screen');
        if (mode === 'keypad') await r.page.screenshot({ path: `${shots}/flow-health-blood-pressure.png` });
      }
      await r.wait(40_000);
    }
    t.equal(await r.page.getAttribute('body', 'data-kind'), 'result');
    const rows = await r.page.$$eval('.rows tr', (trs: any[]) => trs.map((tr) => tr.innerText.replace(/\s+/g, ' ').trim()));
    t.same(rows, [
      'Cân nặng 70.0kg', 'Chiều cao 165cm', 'Chỉ số khối cơ thể (BMI) 25.7kg/m² Béo phì độ I',
      'Huyết áp 145/85mmHg Tăng huyết áp tâm thu đơn độc', 'Nồng độ oxy trong máu (SpO2) 97% Bình thường',
      'Nhịp tim 72lần/phút Bình thường', 'Nhiệt độ cơ thể 36.6°C Bình thường',
    ]);
    t.equal(await r.page.$eval('.rows tr:nth-child(4) .band', (n: any) => n.className), 'band tone-warning', 'blood pressure band is coloured as a warning');
    t.match(await r.text(), 'nên đi khám bác sĩ', 'plain advice');
    if (mode === 'keypad') await r.page.screenshot({ path: `${shots}/flow-health-result.png` });

    await r.act('2');
    t.equal(rig.session.current().stepId, 'share-consent');
    await r.act('1');
    t.equal(await r.page.getAttribute('body', 'data-kind'), 'identity');
    await r.act(...([...cccd] as Key[]));
    const slots = await r.page.$$eval('.field .slot', (nodes: any[]) => nodes.map((n) => n.textContent).join(''));
    t.equal(slots, '079••••••••4', 'the CCCD shows masked in its boxes with dots, the last digit typed visible');
    if (mode === 'keypad') await r.page.screenshot({ path: `${shots}/flow-health-identity.png` });
    await r.act('ok');
    t.equal(rig.session.current().stepId, 'sent');
    t.match(await r.text(), rig.session.current().title);

    // The resident walks away: the idle warning counts down on screen, then the session is wiped.
    await r.wait(60_000);
    t.equal(await r.page.getAttribute('body', 'data-kind'), 'idle-warning');
    t.equal(await r.page.innerText('.countdown .seconds'), '20');
    if (mode === 'keypad') await r.page.screenshot({ path: `${shots}/flow-idle-warning.png` });
    await r.wait(20_000);
    t.equal(await r.page.getAttribute('body', 'data-kind'), 'home');
    await assertNoTraces(t, r.page, [cccd, '079*******34', '145/85', '70.0', 'Béo phì', '36.6'], 'after the idle timeout');
  });
}

function answerBills(s: ServiceStation, paid: Set<string>): void {
  s.rpc.on('bills', (p) => {
    if (p['customerCode'] !== '13012345678') return { bills: [], total: 0 };
    return {
      provider: 'sawaco', providerName: 'Tổng công ty Cấp nước Sài Gòn (SAWACO)', service: 'Tiền nước',
      customerCode: '13012345678', customerName: 'NGUYỄN VĂN AN',
      bills: [{ billId: 'SWC-2611-13012345678', period: '11/2026', amount: 186_560 }], total: 186_560,
    };
  });
  s.rpc.on('payment-status', (p) => ({
    paymentId: p['paymentId'], status: paid.has(p['paymentId'] as string) ? 'paid' : 'pending', amount: p['amount'], bankRef: 'FT26330ABC',
  }));
}

for (const mode of ['keypad', 'touch'] as const) {
  t.test(`water bill paid by VietQR, by ${mode}`, async (t) => {
    const s = await serviceStation();
    t.teardown(() => s.stop());
    const paid = new Set<string>();
    answerBills(s, paid);
    const r = await resident(t, s.session, s.clock, mode);
    await r.act('5');
    t.equal(s.screen().stepId, 'provider');
    await r.act('2');
    t.equal(await r.page.getAttribute('body', 'data-kind'), 'input');
    await r.act(...([...'13012345678'] as Key[]));
    t.equal(await r.page.innerText('.field-plain'), s.screen().input?.value, 'the code typed so far, masked as the engine says');
    await r.act('ok');
    t.equal(s.screen().stepId, 'show-bill');
    const bill = await r.text();
    t.match(bill, 'Tiền nước');
    t.match(bill, '186.560 ₫');
    await r.act('1');

    const screen = s.screen();
    t.equal(await r.page.getAttribute('body', 'data-kind'), 'pay');
    const payload = screen.qr?.payload ?? '';
    t.ok(payload.length > 0, 'the engine made a VietQR payload');
    const png = await r.page.locator('.qr').screenshot();
    t.equal(await decodeQrScreenshot(kiosk.context, png), payload, 'the QR on screen decodes to the engine\'s payload');
    t.equal(await r.page.innerText('.amount'), '186.560 đồng', 'amount beside the code');
    if (screen.qr?.reference) t.equal(await r.page.innerText('.reference'), screen.qr.reference);
    const seconds = Number(await r.page.innerText('.countdown .seconds'));
    t.ok(seconds > 0 && seconds <= (screen.countdown ?? 0), `payment countdown ${seconds} s`);
    if (mode === 'keypad') await r.page.screenshot({ path: `${shots}/flow-bill-vietqr.png` });

    const paymentId = s.payments.list()[0]!.paymentId;
    paid.add(paymentId);
    await r.wait(2000);
    t.equal(s.screen().stepId, 'paid');
    t.match(await r.text(), 'Thanh toán thành công');
    if (mode === 'keypad') await r.page.screenshot({ path: `${shots}/flow-bill-paid.png` });
    await r.act('ok');
    t.equal(s.screen().stepId, 'done');
    t.match(s.printed.at(-1)!.map((l) => l.text ?? '').join('\n'), /BIÊN NHẬN THANH TOÁN/, 'receipt printed');

    await r.wait(120_000);
    t.equal(await r.page.getAttribute('body', 'data-kind'), 'home');
    await assertNoTraces(t, r.page, ['13012345678', 'NGUYỄN VĂN AN', 'SWC-2611', '186.560', paymentId], 'after the idle timeout');
  });
}
