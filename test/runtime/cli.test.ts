import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PpgSimulator } from '../../drivers/simulators/ppg.js';
import { cliPath } from '../fakes/daemon.js';

const station = (...args: string[]) => spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8' });

t.test('station cccd prints the parsed identity or exits 1 with the reason', async (t) => {
  const ok = station('cccd', '079085001234||Nguyễn Văn An|15031985|Nam|12 Lý Thường Kiệt, Quận 10, TP.HCM|01052021\r\n');
  t.equal(ok.status, 0, ok.stderr);
  t.same(JSON.parse(ok.stdout), {
    id: '079085001234', oldId: null, name: 'Nguyễn Văn An', birthDate: '1985-03-15', sex: 'male',
    address: '12 Lý Thường Kiệt, Quận 10, TP.HCM', issueDate: '2021-05-01',
  });
  const wrongSex = station('cccd', '079185001234||Nguyễn Văn An|15031985|Nam|x|01052021');
  t.equal(wrongSex.status, 1);
  t.match(wrongSex.stderr, /sex/);
  t.equal(wrongSex.stdout, '', 'nothing personal printed on refusal');
  const short = station('cccd', '079085001234|Nguyễn Văn An');
  t.equal(short.status, 1);
  t.match(short.stderr, /refused/);
});

t.test('station analyze-ppg measures a recorded trace and refuses a bad one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ppg-'));
  const sim = new PpgSimulator({ heartRate: 75, spo2: 97, perfusionIndex: 2, seed: 7 });
  const rows = ['red,ir'];
  for (let i = 0; i < 3000; i++) {
    const s = sim.next();
    rows.push(`${Math.round(s.red)},${Math.round(s.ir)}`);
  }
  const good = join(dir, 'good.csv');
  writeFileSync(good, rows.join('\n') + '\n');
  const r = station('analyze-ppg', good);
  t.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  t.ok(Math.abs(out.heartRate - 75) <= 3, `heart rate ${out.heartRate}`);
  t.ok(Math.abs(out.spo2 - 97) <= 2, `spo2 ${out.spo2}`);

  const flat = join(dir, 'flat.csv');
  writeFileSync(flat, 'red,ir\n' + Array.from({ length: 1500 }, () => '1000,1000').join('\n'));
  const f = station('analyze-ppg', flat, '--rate', '100');
  t.equal(f.status, 0);
  const flatOut = JSON.parse(f.stdout);
  t.equal(flatOut.heartRate, null);
  t.equal(flatOut.spo2, null);
  t.type(flatOut.reason, 'string');

  const bad = join(dir, 'bad.csv');
  writeFileSync(bad, 'red,ir\n1,2\nx,3\n');
  const b = station('analyze-ppg', bad);
  t.equal(b.status, 1);
  t.match(b.stderr, /line 3/);
});

t.test('station vietqr and unknown commands', async (t) => {
  const ok = station('vietqr', '--bank', '970436', '--account', '0011001932418', '--amount', '50000', '--bill', 'HD123');
  t.equal(ok.status, 0);
  t.match(ok.stdout, /^000201010212/);
  const bad = station('vietqr', '--bank', '97043', '--account', '1');
  t.equal(bad.status, 1);
  t.match(bad.stderr, /--bank/);
  const unknown = station('fly');
  t.equal(unknown.status, 2);
  t.match(unknown.stderr, /unknown command "fly"/);
});

t.test('station report reads a data directory with no sessions', async (t) => {
  const r = station('report', '--data', mkdtempSync(join(tmpdir(), 'rep-')), '--format', 'json');
  t.equal(r.status, 0, r.stderr);
  t.ok(JSON.parse(r.stdout));
});
