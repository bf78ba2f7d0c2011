// The emergency button end to end in Debian's Chromium: on a service screen the always-visible red
// button (and F9 on a USB keyboard) reaches the real FlowSession, the page shows the hotline screens
// of flows/emergency.yaml, and the alert is recorded as a priority record. The button must be at
// least 48 px and clear of every other target on both panels, and follow the screen's language.
// The simulated hardware button goes through the device hub to the same session.
import t, { type Test } from 'tap';
import pino from 'pino';
import { DeviceHub } from '../../drivers/device-hub.js';
import { createSerialGpioDevices } from '../../drivers/serial-gpio-devices.js';
import { DisplayServer } from '../../runtime/display/server.js';
import type { InputEvent } from '../../runtime/kernel/input.js';
import { launchKiosk } from '../fakes/chromium.js';
import { ScriptedScreenFeed, RecordingInputSink } from '../fakes/screen-feed.js';
import { sampleScreens } from '../fakes/screens.js';
import { serviceStation, type ServiceStation } from '../fakes/service-station.js';

declare const document: any;
declare const getComputedStyle: (node: unknown) => { backgroundColor: string };
declare const innerWidth: number;
declare const innerHeight: number;

const logger = pino({ level: 'silent' });
const kiosk = await launchKiosk();
t.teardown(() => kiosk.close());

/** A page on its own display server in front of a real service session; counts the inputs that arrived. */
async function residentPage(t: Test, s: ServiceStation) {
  const arrived: InputEvent[] = [];
  const server = new DisplayServer({ assetsDir: 'runtime/display/static',
    host: '127.0.0.1', port: 0, feed: s.session, logger, clock: s.clock,
    input: { input: (event) => { arrived.push(event); s.session.input(event); } },
  });
  await server.start();
  const page = await kiosk.context.newPage();
  t.teardown(async () => {
    await page.close();
    await server.stop();
    await s.stop();
  });
  await page.goto(server.url);
  await page.waitForSelector('body[data-connected=true]');
  const synced = () => page.waitForFunction((seq: number) => Number(document.body.dataset.seq) >= seq, server.screenSeq);
  /** Waits until `count` inputs reached the session, then lets the engine act and the page catch up. */
  const delivered = async (count: number) => {
    const deadline = Date.now() + 5000;
    while (arrived.length < count) {
      if (Date.now() > deadline) throw new Error(`input ${count} never reached the session`);
      await new Promise((r) => setTimeout(r, 2));
    }
    await s.clock.advance(0);
    await synced();
  };
  return { page, arrived, synced, delivered, text: async () => (await page.innerText('body')).replace(/\s+/g, ' ') };
}

t.test('a click on the emergency button on a service screen shows the hotlines and sends a priority alert', async (t) => {
  const s = await serviceStation();
  const { page, arrived, synced, delivered, text } = await residentPage(t, s);
  s.rpc.on('hospitals', () => [{ id: 'bv-le-van-thinh', name: 'Bệnh viện Lê Văn Thịnh', district: 'P. Bình Trưng', specialties: [{ id: 'tim-mach', name: 'Tim mạch' }] }]);
  await s.press('2');
  await synced();
  t.equal(s.screen().stepId, 'hospital', 'on a service screen (telehealth: choose a hospital)');
  t.match(await text(), 'Bệnh viện Lê Văn Thịnh');
  t.equal(s.records.of('emergency').length, 0);
  t.match(await page.innerText('#emergency'), /Khẩn cấp\s+113/);
  await page.click('#emergency');
  await delivered(1);
  t.same(arrived, [{ type: 'emergency' }], 'the page sent the emergency event, not a key');
  t.equal(await page.getAttribute('body', 'data-kind'), 'emergency');
  const alerting = await text();
  for (const hotline of ['113', '114', '115']) t.match(alerting, hotline, `${hotline} on screen at once`);
  await s.clock.advance(100);
  await synced();
  t.match(await text(), 'Đã báo công an phường');
  const records = s.records.records.filter((r) => r.kind === 'emergency');
  t.equal(records.length, 1);
  t.equal(records[0]!.options?.priority, true, 'recorded as a priority record');
  t.match(records[0]!.payload, { stationId: 'cds-bt-001', ward: 'Bình Trưng' });
  await page.click('#emergency');
  await delivered(2);
  t.equal(s.records.of('emergency').length, 1, 'a second press while the alert shows adds no second alert');
});

t.test('F9 on a USB keyboard raises the emergency; a held key sends one event', async (t) => {
  const s = await serviceStation();
  const { page, arrived, delivered } = await residentPage(t, s);
  await page.keyboard.press('1');
  await delivered(1);
  await page.keyboard.down('F9');
  await page.keyboard.down('F9');
  await page.keyboard.up('F9');
  await delivered(2);
  t.same(arrived.at(-1), { type: 'emergency' });
  t.equal(await page.getAttribute('body', 'data-kind'), 'emergency');
  await page.keyboard.press('NumLock');
  for (const key of ['Numpad0', 'Numpad9', 'NumpadEnter', 'NumpadMultiply', 'NumpadDecimal', 'NumpadAdd', 'Home']) await page.keyboard.press(key);
  // Four pad keys are keypad keys (0, 9, OK, *), two are nothing to the station; Home closes the list.
  await delivered(7);
  t.same(arrived.slice(2).map((e) => (e.type === 'key' ? e.key : e.type)).sort(), ['*', '0', '9', 'home', 'ok'], 'no numeric-pad key raises it');
  t.equal(arrived.filter((e) => e.type === 'emergency').length, 1, 'auto-repeat of a held F9 is ignored');
});

t.test('the button is large, clear of every other target on both panels, and follows the language', async (t) => {
  const feed = new ScriptedScreenFeed(sampleScreens.home!);
  const sink = new RecordingInputSink();
  const server = new DisplayServer({ assetsDir: 'runtime/display/static', host: '127.0.0.1', port: 0, feed, input: sink, logger });
  await server.start();
  const page = await kiosk.context.newPage();
  t.teardown(async () => {
    await page.close();
    await server.stop();
  });
  await page.goto(server.url);
  await page.waitForSelector('body[data-connected=true]');
  for (const viewport of [{ width: 1024, height: 600 }, { width: 1920, height: 1080 }]) {
    await page.setViewportSize(viewport);
    for (const [name, screen] of Object.entries(sampleScreens)) {
      feed.show(screen);
      await page.waitForFunction((title: string) => document.getElementById('title').textContent === title, screen.title);
      const layout = await page.evaluate(() => {
        const button = document.getElementById('emergency');
        const r = button.getBoundingClientRect();
        const others = [...document.querySelectorAll('button, [data-key]')].filter((n: any) => n !== button && n.offsetParent !== null);
        const overlaps = others.filter((n: any) => {
          const o = n.getBoundingClientRect();
          return o.left < r.right && r.left < o.right && o.top < r.bottom && r.top < o.bottom;
        }).length;
        const title = document.getElementById('title').getBoundingClientRect();
        const style = getComputedStyle(button);
        return {
          width: r.width, height: r.height, overlaps, inView: r.right <= innerWidth && r.bottom <= innerHeight && r.left >= 0 && r.top >= 0,
          overTitle: title.right > r.left + 0.5 && title.bottom > r.top,
          background: style.backgroundColor, label: button.innerText.replace(/\s+/g, ' '), lang: button.lang,
        };
      });
      const where = `${name} at ${viewport.width}x${viewport.height}`;
      t.ok(layout.width >= 48 && layout.height >= 48, `${where}: ${Math.round(layout.width)}x${Math.round(layout.height)} px`);
      t.equal(layout.overlaps, 0, `${where}: covers no other target`);
      t.notOk(layout.overTitle, `${where}: the title is not under it`);
      t.ok(layout.inView, `${where}: on screen`);
      t.equal(layout.background, 'rgb(156, 0, 26)', `${where}: red`);
      t.equal(layout.label, screen.locale === 'en' ? 'Emergency 113' : 'Khẩn cấp 113', `${where}: label in the screen's language`);
      t.equal(layout.lang, screen.locale);
    }
  }
  await page.click('#emergency');
  await sink.waitFor(1);
  t.same(sink.events, [{ type: 'emergency' }], 'the server took the page\'s emergency event');
});

t.test('the simulated hardware button reaches the session through the device hub', async (t) => {
  const s = await serviceStation();
  t.teardown(() => s.stop());
  const built = createSerialGpioDevices({ keypad: { mode: 'sim' } }, { clock: s.clock, logger, dataDir: t.testdir() });
  const hub = new DeviceHub(built.entries, s.clock, logger);
  // The station's wiring (runtime/station/station.ts): hub keys and the emergency button go to the flows.
  hub.events.on('key', t, (key) => s.session.input({ type: 'key', key }));
  hub.events.on('emergency', t, () => s.session.input({ type: 'emergency' }));
  const started = hub.start();
  await s.clock.advance(100);
  await started;
  t.teardown(async () => {
    await hub.stop();
    built.io!.close();
  });
  built.sim.keypad!.press('2');
  await s.clock.advance(100);
  built.sim.keypad!.release();
  await s.clock.advance(100);
  t.equal(s.screen().flowId, 'telehealth-appointment');
  built.sim.emergencyButton!.press();
  await s.clock.advance(2000);
  t.equal(s.screen().kind, 'emergency');
  t.match(s.text(), 'Đã báo công an phường');
  t.equal(s.records.records.filter((r) => r.kind === 'emergency' && r.options?.priority === true).length, 1);
  built.sim.emergencyButton!.release();
  await s.clock.advance(100);
  t.equal(s.records.of('emergency').length, 1, 'one press held 2 s: one alert');
});
