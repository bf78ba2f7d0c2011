/**
 * config/udev/98-citizen-station-gpio.rules: the sysfs GPIO files become the `gpio` group's. The
 * rule's program runs here against a folder laid out like /sys/class/gpio/gpioN (the group swapped for
 * one this machine has), so a line without an `edge` file still gets its other files.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const rules = readFileSync('config/udev/98-citizen-station-gpio.rules', 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#'));

t.test('each rule matches gpio add events and runs fixed programs', async (t) => {
  t.equal(rules.length, 2);
  for (const rule of rules) {
    t.match(rule, /^SUBSYSTEM=="gpio", ACTION=="add", KERNEL=="gpio/);
    t.notMatch(rule, /MODE=|OWNER=/, 'sysfs attributes take no MODE/OWNER: only a program can change them');
  }
  t.match(rules[0], /RUN\+="\/bin\/chgrp gpio \/sys\/class\/gpio\/export \/sys\/class\/gpio\/unexport"/);
});

t.test('a line without an edge file still gets group access to value, direction and active_low', async (t) => {
  const line = rules.find((r) => r.includes('KERNEL=="gpio[0-9]*"'))!;
  const program = /RUN\+="\/bin\/sh -c '([^']+)'"/.exec(line)![1]!;
  const dir = mkdtempSync(join(tmpdir(), 'gpio529-'));
  for (const f of ['active_low', 'direction', 'value']) writeFileSync(join(dir, f), '0', { mode: 0o600 });
  const group = execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim();
  const run = program.replace('/sys%p', dir).replace('chgrp gpio', `chgrp ${group}`);
  try {
    execFileSync('/bin/sh', ['-c', run], { stdio: 'pipe' });
  } catch {
    // chgrp and chmod complain about the missing edge file; what matters is what they did.
  }
  for (const f of ['active_low', 'direction', 'value']) t.equal(statSync(join(dir, f)).mode & 0o777, 0o660, `${f} is 0660`);
});
