import t from 'tap';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DurableJsonFile, openDocument, openLinkState, validateLinkState } from '../../../runtime/platform/document-store.js';
import { silentLogger, tempDir } from '../../fakes/link-test-kit.js';

const logger = silentLogger();

t.test('writes replace the file and keep the previous good copy', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'link-state.json');
  const db = await openDocument({ path, validate: validateLinkState, logger, defaults: { bootSeq: 0, lastCommandSeq: 0 } });
  db.data.bootSeq = 1;
  await db.write();
  db.data.bootSeq = 2;
  await db.write();
  t.same(JSON.parse(await readFile(path, 'utf8')), { bootSeq: 2, lastCommandSeq: 0 });
  t.same(JSON.parse(await readFile(`${path}.bak`, 'utf8')), { bootSeq: 1, lastCommandSeq: 0 });
});

t.test('a damaged or invalid main file falls back to the good copy and says so', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'doc.json');
  const adapter = new DurableJsonFile({ path, validate: validateLinkState, logger });
  await adapter.write({ bootSeq: 4, lastCommandSeq: 7 });
  await adapter.write({ bootSeq: 5, lastCommandSeq: 7 });
  await writeFile(path, '{"bootSeq": 6, "lastComm');
  t.same(await adapter.read(), { bootSeq: 4, lastCommandSeq: 7 });
  t.match(adapter.lastReadProblem, /not valid JSON; using the last good copy/);
  await writeFile(path, JSON.stringify({ bootSeq: -1, lastCommandSeq: 0 }));
  t.same(await adapter.read(), { bootSeq: 4, lastCommandSeq: 7 });
  t.match(adapter.lastReadProblem, /bootSeq is not a counter/);
  await rm(path);
  t.same(await adapter.read(), { bootSeq: 4, lastCommandSeq: 7 }, 'a crash between the two renames still reads the good copy');
  t.equal(adapter.lastReadProblem, null);
  await t.rejects(adapter.write({ bootSeq: 1.5, lastCommandSeq: 0 } as never), /invalid document/);
});

t.test('the boot counter increases on every open', async (t) => {
  const dir = await tempDir(t);
  t.equal((await openLinkState(dir, logger)).data.bootSeq, 1);
  t.equal((await openLinkState(dir, logger)).data.bootSeq, 2);
  t.equal((await openLinkState(dir, logger)).data.bootSeq, 3);
});
