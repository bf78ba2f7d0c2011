import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const bundleDir = resolve(import.meta.dirname, '..', '..', 'dist', 'bundle');
const chunks = readdirSync(bundleDir).filter((f) => f.endsWith('.js'));
const source = (f: string) => readFileSync(join(bundleDir, f), 'utf8');

t.test('the station bundle carries neither johnny-five\'s REPL nor firmata', async (t) => {
  t.ok(chunks.length > 1, 'npm run build made the bundle');
  for (const f of chunks) {
    const text = source(f);
    t.notMatch(text, /__require\("(node:)?repl"\)/, `${f} does not require Node's repl`);
    t.notMatch(text, /node_modules\/firmata(-io)?\//, `${f} does not contain firmata`);
  }
});

t.test('the stand-ins refuse to be used, naming what is missing', async (t) => {
  const board = chunks.map(source).find((text) => text.includes('johnny-five/lib/board.js'));
  t.ok(board, 'johnny-five\'s Board is in the bundle');
  t.match(board, /the johnny-five REPL is not in the station bundle: create boards with repl: false/);
  t.match(board, /firmata is not in the station bundle: give johnny-five an IO plugin/);
});
