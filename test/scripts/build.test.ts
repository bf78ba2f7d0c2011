import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const bundleDir = resolve(import.meta.dirname, '..', '..', 'dist', 'bundle');
const chunks = readdirSync(bundleDir).filter((f) => f.endsWith('.js'));
const source = (f: string) => readFileSync(join(bundleDir, f), 'utf8');

t.test('the station bundle leaves out what it never runs', async (t) => {
  t.ok(chunks.length > 1, 'npm run build made the bundle');
  for (const f of chunks) {
    const text = source(f);
    t.notMatch(text, /__require\("(node:)?repl"\)/, `${f} does not require Node's repl`);
    t.notMatch(text, /node_modules\/(firmata(-io)?|worker-timers|@babel\/runtime)\//, `${f} carries neither firmata nor mqtt.js's browser timers`);
  }
});

t.test('the stand-ins refuse to be used, naming what is missing', async (t) => {
  const all = chunks.map(source).join('\n');
  t.match(all, /johnny-five\/lib\/board\.js/, 'johnny-five\'s Board is in the bundle');
  t.match(all, /mqtt\/build\/lib\/get-timer\.js/, 'mqtt.js\'s timer choice is in the bundle');
  t.match(all, /the johnny-five REPL is not in the station bundle: create boards with repl: false/);
  t.match(all, /firmata is not in the station bundle: give johnny-five an IO plugin/);
  t.match(all, /worker timers are not in the station bundle: mqtt\.js uses the native timers in Node/);
});
