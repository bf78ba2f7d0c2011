import t from 'tap';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadJournalBox } from '../../../runtime/link/provisioning.js';

t.test('simulation generates a journal key once, private to the station, and reuses it', async (t) => {
  const file = join(mkdtempSync(join(tmpdir(), 'prov-')), 'sub', 'provisioning.json');
  const box = await loadJournalBox(file, true);
  t.equal(statSync(file).mode & 0o777, 0o600);
  const key = JSON.parse(readFileSync(file, 'utf8')).journalKey;
  t.match(key, /^[0-9a-f]{64}$/);
  const sealed = box.seal(Buffer.from('hồ sơ'), 'evt-1');
  const again = await loadJournalBox(file, true);
  t.equal(JSON.parse(readFileSync(file, 'utf8')).journalKey, key, 'not regenerated');
  t.equal(again.open(sealed, 'evt-1').toString(), 'hồ sơ', 'records sealed before a restart open after it');
});

t.test('a real station without provisioning, or with a broken file, refuses to start with the reason', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'prov-'));
  await t.rejects(loadJournalBox(join(dir, 'none.json'), false), { code: 'CONFIG_INVALID', message: /cannot be read .*scripts\/provision/ });
  writeFileSync(join(dir, 'bad.json'), '{');
  await t.rejects(loadJournalBox(join(dir, 'bad.json'), false), { message: /not valid JSON/ });
  writeFileSync(join(dir, 'nokey.json'), '{}');
  await t.rejects(loadJournalBox(join(dir, 'nokey.json'), false), { message: /"journalKey" .* is missing/ });
  writeFileSync(join(dir, 'short.json'), '{"journalKey":"abcd"}');
  await t.rejects(loadJournalBox(join(dir, 'short.json'), false), { message: /32 bytes/ });
});

t.test('a real station refuses a master key kept inside its data directory', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'prov-'));
  writeFileSync(join(dir, 'provisioning.json'), JSON.stringify({ journalKey: 'ab'.repeat(32) }));
  await t.rejects(loadJournalBox(join(dir, 'provisioning.json'), false, dir), { code: 'CONFIG_INVALID', message: /inside the data directory/ });
  t.ok(await loadJournalBox(join(dir, 'provisioning.json'), false, join(dir, 'data')), 'beside it is fine');
  t.ok(await loadJournalBox(join(dir, 'provisioning.json'), true, dir), 'simulation may keep everything in one folder');
});
