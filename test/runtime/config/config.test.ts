import t from 'tap';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig, validateConfigFile, formatProblems, loadConfig } from '../../../runtime/config/config.js';

const sim = JSON.parse(readFileSync('config/sim.json', 'utf8')) as Record<string, unknown>;

/** A deep copy of the simulation config with one change applied. */
function variant(change: (c: any) => void): unknown {
  const c = structuredClone(sim) as any;
  change(c);
  return c;
}

t.test('shipped configs are valid and get their defaults', async (t) => {
  for (const file of ['config/sim.json', 'config/default.json']) {
    const r = validateConfigFile(file);
    t.ok(r.ok, `${file} valid: ${r.ok ? '' : formatProblems(file, r.problems).join('; ')}`);
  }
  const cfg = loadConfig('config/sim.json');
  t.equal(cfg.control.socketPath, 'control.sock');
  t.equal(cfg.control.mode, '0660');
  t.equal(cfg.lifecycle.stopTimeoutMs, 400);
  t.equal(cfg.devices.spo2?.address, 87, 'device defaults filled');
  t.equal(cfg.mqtt.embeddedBroker.port, 1883);
});

// Each entry: a broken config, the JSON path its problem must name, and words the message must hold.
const corpus: { name: string; doc: unknown; path: string; says: RegExp }[] = [
  { name: 'unknown top-level key', doc: variant((c) => (c.bogus = 1)), path: '/bogus', says: /unknown key "bogus"/ },
  { name: 'missing version', doc: variant((c) => delete c.version), path: '/', says: /missing required key "version"/ },
  { name: 'newer version', doc: variant((c) => (c.version = 3)), path: '/version', says: /version 3 is newer than this station reads \(2\)/ },
  { name: 'missing station', doc: variant((c) => delete c.station), path: '/', says: /missing required key "station"/ },
  { name: 'missing station id', doc: variant((c) => delete c.station.id), path: '/station', says: /missing required key "id"/ },
  { name: 'station id with capitals', doc: variant((c) => (c.station.id = 'Station_1')), path: '/station/id', says: /matching/ },
  { name: 'station id too short', doc: variant((c) => (c.station.id = 'ab')), path: '/station/id', says: /matching/ },
  { name: 'station id a number', doc: variant((c) => (c.station.id = 42)), path: '/station/id', says: /expected string/ },
  { name: 'unknown locale', doc: variant((c) => (c.station.locale = 'fr')), path: '/station/locale', says: /expected one of "vi", "en"/ },
  { name: 'unknown site key', doc: variant((c) => (c.station.site.room = '1')), path: '/station/site/room', says: /unknown key "room"/ },
  { name: 'empty data dir', doc: variant((c) => (c.dataDir = '')), path: '/dataDir', says: /at least 1 characters/ },
  { name: 'log level unknown', doc: variant((c) => (c.logging.level = 'verbose')), path: '/logging/level', says: /expected one of/ },
  { name: 'log buffer negative', doc: variant((c) => (c.logging.bufferLines = -1)), path: '/logging/bufferLines', says: />= 0/ },
  { name: 'socket mode not octal', doc: variant((c) => (c.control = { mode: '0999' })), path: '/control/mode', says: /matching/ },
  { name: 'socket line limit too small', doc: variant((c) => (c.control = { maxLineBytes: 10 })), path: '/control/maxLineBytes', says: />= 1024/ },
  { name: 'stop timeout too long', doc: variant((c) => (c.lifecycle = { stopTimeoutMs: 999999 })), path: '/lifecycle/stopTimeoutMs', says: /<= 60000/ },
  { name: 'stop timeout fractional', doc: variant((c) => (c.lifecycle = { stopTimeoutMs: 1.5 })), path: '/lifecycle/stopTimeoutMs', says: /expected integer/ },
  { name: 'broker url scheme', doc: variant((c) => (c.mqtt.url = 'http://x')), path: '/mqtt/url', says: /matching/ },
  { name: 'protocol version 3', doc: variant((c) => (c.mqtt.protocolVersion = 3)), path: '/mqtt/protocolVersion', says: /expected one of 4, 5/ },
  { name: 'keepalive as text', doc: variant((c) => (c.mqtt.keepaliveS = '30')), path: '/mqtt/keepaliveS', says: /expected integer/ },
  { name: 'tls without key', doc: variant((c) => (c.mqtt.tls = { ca: 'a', cert: 'b' })), path: '/mqtt/tls', says: /missing required key "key"/ },
  { name: 'broker port out of range', doc: variant((c) => (c.mqtt.embeddedBroker.port = 70000)), path: '/mqtt/embeddedBroker/port', says: /<= 65535/ },
  { name: 'broker enabled as string', doc: variant((c) => (c.mqtt.embeddedBroker.enabled = 'yes')), path: '/mqtt/embeddedBroker/enabled', says: /expected boolean/ },
  { name: 'display on a public address', doc: variant((c) => (c.display.host = '0.0.0.0')), path: '/display/host', says: /expected one of/ },
  { name: 'display port negative', doc: variant((c) => (c.display.port = -1)), path: '/display/port', says: />= 0/ },
  { name: 'unknown device kind', doc: variant((c) => (c.devices.camera = { mode: 'sim' })), path: '/devices/camera', says: /unknown device kind "camera"/ },
  { name: 'device without mode', doc: variant((c) => (c.devices.spo2 = {})), path: '/devices/spo2', says: /missing required key "mode"/ },
  { name: 'device mode unknown', doc: variant((c) => (c.devices.scale.mode = 'fake')), path: '/devices/scale/mode', says: /expected one of "real", "sim"/ },
  { name: 'i2c address out of range', doc: variant((c) => (c.devices.spo2.address = 200)), path: '/devices/spo2/address', says: /<= 119/ },
  { name: 'i2c bus as text', doc: variant((c) => (c.devices.thermometer.bus = 'one')), path: '/devices/thermometer/bus', says: /expected integer/ },
  { name: 'serial without path', doc: variant((c) => (c.devices.bloodPressure.serial = { baudRate: 9600 })), path: '/devices/bloodPressure/serial', says: /missing required key "path"/ },
  { name: 'odd baud rate', doc: variant((c) => (c.devices.printer.serial = { path: '/dev/x', baudRate: 1234 })), path: '/devices/printer/serial/baudRate', says: /expected one of/ },
  { name: 'unknown device option', doc: variant((c) => (c.devices.height.offset = 3)), path: '/devices/height/offset', says: /unknown key "offset"/ },
  { name: 'mounting height too low', doc: variant((c) => (c.devices.height.mountingHeightMm = 100)), path: '/devices/height/mountingHeightMm', says: />= 1000/ },
  { name: 'keypad with three rows', doc: variant((c) => (c.devices.keypad.rows = [1, 2, 3])), path: '/devices/keypad/rows', says: /at least 4 items/ },
  { name: 'keypad line out of range', doc: variant((c) => (c.devices.keypad.led = 99)), path: '/devices/keypad/led', says: /<= 63/ },
  { name: 'scale source unknown', doc: variant((c) => (c.devices.scale.source = 'usb')), path: '/devices/scale/source', says: /expected one of "serial", "iio"/ },
  { name: 'devices not an object', doc: variant((c) => (c.devices = [])), path: '/devices', says: /expected object/ },
  { name: 'telemetry interval zero', doc: variant((c) => (c.telemetry.intervalS = 0)), path: '/telemetry/intervalS', says: />= 1/ },
  { name: 'root is an array', doc: [], path: '/', says: /expected object/ },
];

t.test(`a corpus of ${corpus.length} broken configs, each rejected naming its path`, async (t) => {
  t.ok(corpus.length >= 30);
  for (const entry of corpus) {
    const r = validateConfig(entry.doc);
    if (r.ok) {
      t.fail(`${entry.name}: accepted`);
      continue;
    }
    const lines = formatProblems('station.json', r.problems);
    const hit = lines.find((l) => l.startsWith(`station.json: ${entry.path}: `) && entry.says.test(l));
    t.ok(hit, `${entry.name}: ${lines.join(' | ')}`);
  }
});

t.test('a file that is not JSON names the line and column', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const file = join(dir, 'broken.json');
  writeFileSync(file, '{\n  "version": 1,\n  "station": { "id": "abc" ,, }\n}\n');
  const r = validateConfigFile(file);
  t.notOk(r.ok);
  if (!r.ok) t.match(formatProblems(file, r.problems)[0], /broken\.json: \/: not valid JSON at line 3/);
  const missing = validateConfigFile(join(dir, 'nope.json'));
  t.notOk(missing.ok);
  if (!missing.ok) t.match(missing.problems[0].message, /cannot read file/);
});

t.test('loadConfig throws CONFIG_INVALID with every problem line', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const file = join(dir, 'bad.json');
  writeFileSync(file, JSON.stringify({ version: 1, station: { id: 'ok-id' }, display: { port: 'x' }, extra: true }));
  t.throws(() => loadConfig(file), { code: 'CONFIG_INVALID', message: /^(?=[\s\S]*display\/port: expected integer)(?=[\s\S]*\/extra: unknown key)/ });
});
