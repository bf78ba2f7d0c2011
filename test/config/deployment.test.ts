import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const file = (p: string) => fileURLToPath(new URL(`../../config/${p}`, import.meta.url));
const daemonUnit = file('systemd/citizen-station.service');
const kioskUnit = file('systemd/citizen-station-display.service');
const watchdogConf = file('systemd/system.conf.d/citizen-station-watchdog.conf');
const udevRules = file('udev/99-citizen-station.rules');

type Unit = Map<string, Map<string, string[]>>;

/** systemd.syntax(7): sections, `Key=value` lines, `#`/`;` comments; a key may repeat. */
function parseUnit(text: string): Unit {
  const unit: Unit = new Map();
  let section: Map<string, string[]> | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const header = /^\[([A-Za-z]+)\]$/.exec(line);
    if (header) {
      if (unit.has(header[1]!)) throw new Error(`line ${i + 1}: section [${header[1]}] repeated`);
      unit.set(header[1]!, (section = new Map()));
      return;
    }
    const kv = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(line);
    if (!kv || !section) throw new Error(`line ${i + 1}: not a key=value inside a section: ${raw}`);
    const values = section.get(kv[1]!) ?? [];
    values.push(kv[2]!);
    section.set(kv[1]!, values);
  });
  return unit;
}

const one = (unit: Unit, section: string, key: string) => unit.get(section)?.get(key)?.at(-1);

t.test('the daemon unit has the notify, watchdog, restart and hardening settings', async (t) => {
  const unit = parseUnit(readFileSync(daemonUnit, 'utf8'));
  t.same([...unit.keys()], ['Unit', 'Service', 'Install']);
  const expected: Record<string, string> = {
    Type: 'notify',
    NotifyAccess: 'main',
    WatchdogSec: '30',
    Restart: 'on-failure',
    User: 'citizen-station',
    SupplementaryGroups: 'gpio i2c dialout',
    ExecStart: '/usr/bin/node --max-semi-space-size=1 /opt/citizen-station/dist/bundle/station.cjs start --config /etc/citizen-station/station.json',
    Environment: 'CACHE_DIRECTORY=/var/lib/citizen-station/code-cache',
    ProtectSystem: 'strict',
    ReadWritePaths: '/var/lib/citizen-station /run/citizen-station',
    RestartForceExitStatus: '75',
    NoNewPrivileges: 'yes',
    PrivateTmp: 'yes',
    ProtectHome: 'yes',
    RuntimeDirectory: 'citizen-station',
    StateDirectory: 'citizen-station',
    CapabilityBoundingSet: '',
  };
  for (const [key, value] of Object.entries(expected)) t.equal(one(unit, 'Service', key), value, key);
  t.notOk(unit.get('Service')?.has('MemoryDenyWriteExecute'), 'V8 JIT needs W^X off');
  for (const closesDevices of ['PrivateDevices', 'DeviceAllow', 'DevicePolicy', 'ProtectClock']) {
    t.notOk(unit.get('Service')?.has(closesDevices), `${closesDevices} would shut the daemon out of its serial, I2C and GPIO devices`);
  }
  t.equal(one(unit, 'Unit', 'RequiresMountsFor'), '/var/lib/citizen-station', 'waits for the data partition');
  t.equal(one(unit, 'Install', 'WantedBy'), 'multi-user.target');
});

t.test('npm start runs the daemon (with the development central simulator) with the node flags of the daemon unit', async (t) => {
  const execStart = one(parseUnit(readFileSync(daemonUnit, 'utf8')), 'Service', 'ExecStart') ?? '';
  const flags = /^\/usr\/bin\/node ((?:--[a-z-]+=\S+ )*)\/opt\/citizen-station\/dist\/bundle\/station\.cjs start /.exec(execStart);
  t.ok(flags, 'the unit starts node on the bundle');
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { scripts: Record<string, string> };
  t.match(pkg.scripts.start, `node ${flags?.[1] ?? ''}dist/scripts/dev-station.js start `, 'same flags as the unit');
});

t.test('the kiosk unit shows the loopback display page', async (t) => {
  const unit = parseUnit(readFileSync(kioskUnit, 'utf8'));
  t.match(one(unit, 'Service', 'ExecStart') ?? '', /scripts\/kiosk-display http:\/\/127\.0\.0\.1:8080\/$/);
  t.equal(one(unit, 'Service', 'Restart'), 'always');
  t.equal(one(unit, 'Service', 'NoNewPrivileges'), 'yes');
});

t.test('the hardware watchdog drop-in stays within the BCM2835 limit', async (t) => {
  const conf = parseUnit(readFileSync(watchdogConf, 'utf8'));
  const sec = /^(\d+)s$/.exec(one(conf, 'Manager', 'RuntimeWatchdogSec') ?? '');
  t.ok(sec, 'RuntimeWatchdogSec in seconds');
  t.ok(Number(sec?.[1]) > 0 && Number(sec?.[1]) <= 15, 'at most 15 s');
  t.ok(one(conf, 'Manager', 'RebootWatchdogSec'), 'reboot watchdog set');
});

const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
t.test('systemd-analyze verify accepts the units', { skip: analyze.status === 0 ? false : 'systemd-analyze not installed' }, async (t) => {
  for (const unitFile of [daemonUnit, kioskUnit]) {
    const run = spawnSync('systemd-analyze', ['verify', unitFile], { encoding: 'utf8' });
    // Binaries of the board (cage, chromium) may be absent on a build machine; anything else is a defect.
    const complaints = `${run.stdout}${run.stderr}`.split('\n').filter((l) => {
      const missing = /Command (\S+) is not executable/.exec(l);
      return l.trim() !== '' && !(missing && !existsSync(missing[1]!));
    });
    t.same(complaints, [], `${unitFile} verifies clean`);
  }
});

interface UdevToken { key: string; attr?: string; op: string; value: string }

/** udev(7) rule syntax: comma-separated `KEY[{attr}]OP"value"` on one line. */
function parseRule(line: string): UdevToken[] {
  const tokens: UdevToken[] = [];
  const re = /\s*([A-Z_]+)(?:\{([^}]+)\})?(==|!=|\+=|-=|:=|=)"([^"]*)"\s*(,|$)/y;
  let m: RegExpExecArray | null;
  while (re.lastIndex < line.length && (m = re.exec(line))) {
    tokens.push({ key: m[1]!, attr: m[2], op: m[3]!, value: m[4]! });
    if (m[5] === '') break;
  }
  if (re.lastIndex !== line.length) throw new Error(`cannot parse udev rule at column ${re.lastIndex}: ${line}`);
  return tokens;
}

const matchKeys = new Set(['ACTION', 'SUBSYSTEM', 'SUBSYSTEMS', 'KERNEL', 'KERNELS', 'ATTRS', 'ATTR', 'ENV']);
const assignKeys = new Set(['SYMLINK', 'GROUP', 'MODE', 'ENV', 'GOTO', 'TAG', 'OWNER']);

t.test('the udev rules parse and name each serial device once', async (t) => {
  const lines = readFileSync(udevRules, 'utf8').split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
  const symlinks = new Map<string, UdevToken[]>();
  const gotos = new Set<string>();
  const labels = new Set<string>();
  for (const line of lines) {
    const label = /^LABEL="([a-z_]+)"$/.exec(line);
    if (label) {
      labels.add(label[1]!);
      continue;
    }
    const tokens = parseRule(line);
    for (const tok of tokens) {
      const isMatch = tok.op === '==' || tok.op === '!=';
      t.ok(isMatch ? matchKeys.has(tok.key) : assignKeys.has(tok.key), `${tok.key}${tok.op} is a known ${isMatch ? 'match' : 'assignment'}`);
      if (tok.key === 'GOTO') gotos.add(tok.value);
      if (tok.key === 'SYMLINK') symlinks.set(tok.value, tokens);
    }
    t.ok(tokens.some((x) => x.op === '==' || x.op === '!='), 'every rule matches something');
  }
  t.same([...gotos].filter((g) => !labels.has(g)), [], 'every GOTO has its LABEL');
  t.same([...symlinks.keys()].sort(), ['station-bp', 'station-height', 'station-printer', 'station-scale', 'station-scanner']);
  for (const [name, tokens] of symlinks) {
    const attr = (a: string) => tokens.find((x) => x.key === 'ATTRS' && x.attr === a)?.value;
    t.match(attr('idVendor') ?? '', /^[0-9a-f]{4}$/, `${name} vendor id`);
    t.match(attr('idProduct') ?? '', /^[0-9a-f]{4}$/, `${name} product id`);
    const identity = attr('serial') ?? tokens.find((x) => x.key === 'ENV' && x.attr === 'ID_PATH')?.value;
    t.match(identity ?? '', /^@[A-Z_]+@$/, `${name} is told apart by a serial or port placeholder that provisioning fills`);
    t.ok(tokens.some((x) => x.key === 'ENV' && x.attr === 'ID_MM_DEVICE_IGNORE' && x.value === '1'), `${name} hidden from ModemManager`);
    t.ok(tokens.some((x) => x.key === 'GROUP' && x.value === 'dialout'), `${name} group dialout`);
  }
  const config = JSON.parse(readFileSync(file('station.template.json'), 'utf8')) as { devices: Record<string, { serial?: { path: string } }> };
  const paths = Object.values(config.devices).flatMap((d) => (d.serial ? [d.serial.path] : [])).sort();
  t.same(paths, [...symlinks.keys()].map((s) => `/dev/${s}`).sort(), 'the template uses exactly these names');
});

t.test('udevadm parses the rules when it can', { skip: spawnSync('udevadm', ['verify', '--help']).status === 0 ? false : 'udevadm verify needs systemd 254+' }, async (t) => {
  t.doesNotThrow(() => execFileSync('udevadm', ['verify', '--no-style', udevRules], { stdio: 'pipe' }));
});
