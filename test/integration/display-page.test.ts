import t from 'tap';
import pino from 'pino';
import { DisplayServer } from '../../runtime/display-server.js';
import { ScriptedScreenFeed, RecordingInputSink } from '../fakes/screen-feed.js';
import { sampleScreens } from '../fakes/screens.js';
import { launchKiosk } from '../fakes/chromium.js';

const feed = new ScriptedScreenFeed(sampleScreens.home!);
const sink = new RecordingInputSink();
const server = new DisplayServer({ host: '127.0.0.1', port: 0, feed, input: sink, logger: pino({ level: 'silent' }) });
await server.start();
const kiosk = await launchKiosk();
t.teardown(async () => {
  await kiosk.close();
  await server.stop();
});
const page = await kiosk.context.newPage();
const errors: string[] = [];
page.on('pageerror', (e) => errors.push(e.message));
await page.goto(server.url);
await page.waitForSelector('body[data-connected=true]');

t.test('home', async (t) => {
  t.equal(await page.textContent('#title'), sampleScreens.home!.title);
  for (const [name, sc] of Object.entries(sampleScreens)) {
    feed.show(sc);
    await page.waitForFunction((title) => document.getElementById('title')!.textContent === title, sc.title);
    await page.screenshot({ path: `test-output/screens/${name}.png` });
  }
  t.same(errors, []);
});
