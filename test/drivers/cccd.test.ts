import t from 'tap';
import pino from 'pino';
import { Writable } from 'node:stream';
import { CccdScanner, CccdScannerEmulator, parseCccd, parseDdMmYyyy, provinceCodes, validateCccdNumber } from '../../drivers/cccd.js';
import { createSimSerialLink } from '../../drivers/transports/serial-sim.js';
import { ManualClock, flushMicrotasks } from '../fakes/manual-clock.js';

const sample = '079088001234|023456789|Nguyễn Văn An|15031988|Nam|12 Nguyễn Huệ, Bến Nghé, Quận 1, TP.HCM|01062021';

t.test('63 province codes, HCMC is 079', async (t) => {
  t.equal(Object.keys(provinceCodes).length, 63);
  t.equal(provinceCodes['079'], 'Hồ Chí Minh');
});

t.test('validateCccdNumber reads province, sex, century and year', async (t) => {
  t.same(validateCccdNumber('079088001234'), {
    ok: true,
    value: { provinceCode: '079', province: 'Hồ Chí Minh', sex: 'male', century: 1900, yearOfCentury: 88, birthYear: 1988 },
  });
  t.match(validateCccdNumber('001305000001'), { ok: true, value: { sex: 'female', birthYear: 2005 } });
  t.match(validateCccdNumber('003088001234'), { ok: false, error: /003/ });
  t.match(validateCccdNumber('07908800123'), { ok: false, error: /12/ });
  t.match(validateCccdNumber('07908800123a'), { ok: false });
});

t.test('parses the QR line with CR/LF and an empty old ID', async (t) => {
  t.same(parseCccd(`${sample}\r\n`), {
    ok: true,
    value: {
      id: '079088001234', oldId: '023456789', name: 'Nguyễn Văn An', birthDate: '1988-03-15', sex: 'male',
      address: '12 Nguyễn Huệ, Bến Nghé, Quận 1, TP.HCM', issueDate: '2021-06-01',
    },
  });
  const noOld = parseCccd('079304001234||Trần Thị Bích|29022004|Nữ|Bình Trưng, TP.HCM|10102022|extra');
  t.match(noOld, { ok: true, value: { oldId: null, sex: 'female', birthDate: '2004-02-29' } });
});

t.test('refusals name what is wrong', async (t) => {
  t.match(parseCccd('079088001234|023456789|A|15031988|Nam|x'), { ok: false, error: /6 trường.*7/ });
  t.match(parseCccd(sample.replace('15031988', '15031989')), { ok: false, error: /birth year/ });
  t.match(parseCccd(sample.replace('|Nam|', '|Nữ|')), { ok: false, error: /sex digit/ });
  t.match(parseCccd(sample.replace('15031988', '30021988')), { ok: false, error: /date of birth/ });
  t.match(parseCccd(sample.replace('|Nam|', '|X|')), { ok: false, error: /Nam or Nữ/ });
  t.match(parseCccd(sample.replace('079088', '099088')), { ok: false, error: /province code 099/ });
  t.match(parseCccd(sample.replace('|Nguyễn Văn An|', '||')), { ok: false, error: /name/ });
  t.match(parseCccd(sample.replace('01062021', '01061980')), { ok: false, error: /issue date is before/ });
  t.equal(parseDdMmYyyy('31042020'), null);
});

t.test('the scanner emits scans and never logs the identity in clear', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _e, cb) { lines.push(String(chunk)); cb(); } });
  const log = pino({ level: 'info' }, sink);
  const emulator = new CccdScannerEmulator();
  const { link, port } = createSimSerialLink({ emulator });
  const scanner = new CccdScanner(link, new ManualClock(), log);
  const scans: string[] = [];
  const rejected: string[] = [];
  scanner.events.on('scan', t, (s) => scans.push(s.id));
  scanner.events.on('rejected', t, (r) => rejected.push(r.error));
  await scanner.probe();
  emulator.show(sample);
  port.injectGarbage(Buffer.from('\u0001garbage-without-pipes\r\n'));
  emulator.show(sample.replace('|Nam|', '|Nữ|'));
  await flushMicrotasks();
  t.same(scans, ['079088001234']);
  t.equal(rejected.length, 2);
  const logged = lines.join('');
  t.notMatch(logged, /079088001234|Nguyễn|15031988|Nguyễn Huệ/);
  t.match(logged, /079\*+34/);
  await scanner.close();
});

t.test('scanner faults: a torn scan is never emitted, unplug is reported, replug scans again', async (t) => {
  const emulator = new CccdScannerEmulator();
  const { link, port } = createSimSerialLink({ emulator });
  const scanner = new CccdScanner(link, new ManualClock(), pino({ level: 'silent' }));
  const scans: string[] = [];
  const rejected: string[] = [];
  const health: string[] = [];
  scanner.events.on('scan', t, (s) => scans.push(s.id));
  scanner.events.on('rejected', t, (r) => rejected.push(r.error));
  scanner.onHealthChange((h) => health.push(h.health));
  await scanner.probe();
  port.unplugAfter(20);
  emulator.show(sample);
  await flushMicrotasks();
  t.same(scans, [], 'the torn line is dropped with the link');
  t.same(health, ['missing']);
  await t.rejects(scanner.probe(), { code: 'DEVICE_MISSING' });
  port.replug();
  await scanner.probe();
  emulator.show(sample);
  await flushMicrotasks();
  t.same(scans, ['079088001234']);
  t.same(rejected, [], 'no half line surfaced as a refusal either');
  await scanner.close();
});

t.test('nextScan gives the technician the raw line, or DEVICE_ABORTED', async (t) => {
  const emulator = new CccdScannerEmulator();
  const { link } = createSimSerialLink({ emulator });
  const scanner = new CccdScanner(link, new ManualClock(), pino({ level: 'silent' }));
  const ac = new AbortController();
  const next = scanner.nextScan(ac.signal);
  await flushMicrotasks();
  emulator.show('not a cccd');
  t.equal(await next, 'not a cccd');
  const ac2 = new AbortController();
  const never = scanner.nextScan(ac2.signal);
  ac2.abort(new Error('technician cancelled'));
  await t.rejects(never, { code: 'DEVICE_ABORTED' });
  await scanner.close();
});
