import t, { type Test } from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { ControlSocket } from '../../../runtime/control/server.js';
import { ControlClient } from '../../../runtime/control/client.js';
import type { DeviceReading, ScaleCalibration } from '../../../runtime/control/methods.js';
import { StationError } from '../../../runtime/kernel/errors.js';
import type { ReceiptLine, RecordKind, RecordSink } from '../../../runtime/flows/ports.js';
import {
  outboxInspector, redactBody, registerTechnicianActions, spanCalibration,
  type LiveReadingSource, type TechnicianServices, type WaitingRecord,
} from '../../../runtime/technician/actions.js';
import { AuditTrail, audited } from '../../../runtime/technician/audit-trail.js';
import type { Measurement, MeasureOptions, MeasurementKind } from '../../../drivers/types.js';
import { ManualClock, flushMicrotasks } from '../../fakes/manual-clock.js';

const logger = pino({ level: 'silent' });

class MemorySink implements RecordSink {
  records: { kind: RecordKind; payload: Record<string, unknown> }[] = [];
  failWith: StationError | undefined;
  async record(kind: RecordKind, payload: Record<string, unknown>) {
    if (this.failWith) throw this.failWith;
    this.records.push({ kind, payload });
    return { eventId: `st:1:${this.records.length}`, recordedAt: 0 };
  }
  get last() {
    return this.records.at(-1)!;
  }
}

interface Rig {
  clock: ManualClock;
  sink: MemorySink;
  client: ControlClient;
  events: { event: string; data: unknown }[];
  services: TechnicianServices;
  printed: ReceiptLine[][];
  dir: string;
}

async function rig(t: Test, overrides: Partial<TechnicianServices> = {}): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'technician-'));
  const clock = new ManualClock();
  const sink = new MemorySink();
  const printed: ReceiptLine[][] = [];
  const services: TechnicianServices = {
    clock, logger, audit: sink, exportDir: dir, stationId: 'hcm-bt-dkc-01',
    printer: { print: async (lines) => void printed.push(lines) },
    signals: { beep: async () => undefined, blink: async () => undefined },
    ...overrides,
  };
  const control = new ControlSocket({ path: join(dir, 'control.sock'), mode: '0600', maxLineBytes: 65536, logger });
  registerTechnicianActions(control, services);
  await control.start();
  const client = new ControlClient(join(dir, 'control.sock'));
  await client.connect();
  const events: { event: string; data: unknown }[] = [];
  client.onEvent((event, data) => events.push({ event, data }));
  t.teardown(async () => {
    client.close();
    await control.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { clock, sink, client, events, services, printed, dir };
}

/** Lets socket round trips complete: real I/O on a Unix socket, turned by immediates, not by time. */
async function settle(): Promise<void> {
  for (let i = 0; i < 8; i++) await flushMicrotasks();
}

t.test('a beep is run, answered and audited with the operator', async (t) => {
  const { client, sink } = await rig(t);
  const res = await client.call('devices.test', { device: 'keypad', action: 'beep', operator: 'kythuat.an' });
  t.same(res, { id: res.id, ok: true, data: { device: 'keypad', action: 'beep', summary: 'buzzer sounded for 0.3 s' } });
  t.equal(sink.records.length, 1);
  t.equal(sink.last.kind, 'audit');
  t.match(sink.last.payload, { action: 'device.test', operator: 'kythuat.an', outcome: 'ok', detail: { device: 'keypad', test: 'beep' } });
  t.equal(sink.last.payload.at, '2026-11-25T02:00:00.000Z', 'time from the injected clock');
});

t.test('a test the device does not offer is refused before anything runs', async (t) => {
  const { client, sink } = await rig(t);
  const res = await client.call('devices.test', { device: 'printer', action: 'beep' });
  t.match(res, { ok: false, error: { code: 'CONTROL_BAD_PARAMS', message: /printer offers print-test/ } });
  const missing = await client.call('devices.test', { device: 'cccdScanner', action: 'read-cccd' });
  t.match(missing, { ok: false, error: { code: 'DEVICE_MISSING' } });
  t.match(sink.last.payload, { outcome: 'failed', detail: { device: 'cccdScanner', error: 'DEVICE_MISSING' } }, 'a failed test is audited too');
});

t.test('a blood-pressure test pushes cuff pressure and keeps values out of the audit', async (t) => {
  let release: (() => void) | undefined;
  const measure = {
    measure: async <K extends MeasurementKind>(kind: K, o?: MeasureOptions): Promise<Measurement<K>> => {
      o?.onProgress?.({ kind, phase: 'inflating', cuffPressure: 95 });
      o?.onProgress?.({ kind, phase: 'deflating', cuffPressure: 160 });
      await new Promise<void>((r) => (release = r));
      return { kind, at: 0, device: 'bloodPressure', values: { systolic: 118, diastolic: 76, map: 90, pulse: 72 } } as unknown as Measurement<K>;
    },
  };
  const { client, sink, events } = await rig(t, { measure });
  const pending = client.call('devices.test', { device: 'bloodPressure', action: 'measure', operator: 'an' });
  await settle();
  const cuff = events.filter((e) => e.event === 'device.reading').map((e) => (e.data as DeviceReading).cuffPressure);
  t.same(cuff, [95, 160], 'cuff pressure reaches the technician while inflating');
  const busy = await client.call('devices.test', { device: 'bloodPressure', action: 'measure' });
  t.match(busy, { ok: false, error: { code: 'DEVICE_BUSY' } }, 'one test per device at a time');
  release!();
  const res = await pending;
  t.match(res, { ok: true, data: { summary: '118/76 mmHg (MAP 90), pulse 72/min' } });
  const audit = JSON.stringify(sink.records);
  t.notMatch(audit, /118|76|systolic/, 'no health value in any audit record');
});

t.test('a CCCD read shows the number masked and never audits it', async (t) => {
  const qr = '079123456745|025123456|Nguyễn Văn A|01011960|Nam|104 Nguyễn Văn Hưởng|01012021';
  const { client, sink } = await rig(t, { scanner: { nextScan: async () => qr } });
  const res = await client.call('devices.test', { device: 'cccdScanner', action: 'read-cccd' });
  t.match(res, { ok: true, data: { summary: 'CCCD 079*******45 read', values: { cccd: '079*******45' } } });
  t.notMatch(JSON.stringify(res), /1234567|Nguyễn/, 'the answer holds neither the number nor the name');
  t.notMatch(JSON.stringify(sink.records), /079|Nguyễn/);
});

t.test('a scan that never comes times out on the clock and is audited as failed', async (t) => {
  const { client, sink, clock } = await rig(t, {
    scanner: { nextScan: (signal) => new Promise((_r, reject) => signal.addEventListener('abort', () => reject(signal.reason))) },
  });
  const pending = client.call('devices.test', { device: 'cccdScanner', action: 'read-cccd' });
  await settle();
  await clock.advance(29_999);
  await settle();
  t.equal(sink.records.length, 0, 'still waiting before 30 s');
  await clock.advance(1);
  t.match(await pending, { ok: false, error: { code: 'DEVICE_TIMEOUT', message: /within 30 s/ } });
  t.match(sink.last.payload, { outcome: 'failed', detail: { error: 'DEVICE_TIMEOUT' } });
});

t.test('the test receipt carries the station and the Vietnamese check line', async (t) => {
  const { client, printed } = await rig(t);
  const res = await client.call('devices.test', { device: 'printer', action: 'print-test' });
  t.equal(res.ok, true);
  t.equal(printed.length, 1);
  t.match(printed[0]!.map((l) => l.text ?? l.qr).join('\n'), /Trạm hcm-bt-dkc-01[\s\S]*ắ ằ ẳ ẵ ặ[\s\S]*cds:test:hcm-bt-dkc-01:/);
});

t.test('scale calibration: tare, then span with a known weight, persisted and audited', async (t) => {
  let raw = 8_412;
  let saved: ScaleCalibration | undefined;
  const scale = {
    readStableRaw: async () => raw,
    current: () => saved,
    save: async (c: ScaleCalibration) => void (saved = c),
  };
  const { client, sink } = await rig(t, { scale });
  const early = await client.call('devices.calibrate', { device: 'scale', step: 'span', knownKg: 20 });
  t.match(early, { ok: false, error: { message: /tare the empty scale first/ } });
  t.match(await client.call('devices.calibrate', { device: 'scale', step: 'tare', operator: 'an' }), { ok: true, data: { zeroRaw: 8_412, kgPerCount: 1 } });
  raw = 8_412 + 420_000;
  const span = await client.call('devices.calibrate', { device: 'scale', step: 'span', knownKg: 20, operator: 'an' });
  t.match(span, { ok: true, data: { zeroRaw: 8_412, knownKg: 20 } });
  t.equal(saved?.kgPerCount, 20 / 420_000, 'factor persisted through the port');
  t.equal((raw - saved!.zeroRaw) * saved!.kgPerCount, 20, 'the known weight reads back as itself');
  t.match(sink.last.payload, { action: 'scale.span', outcome: 'ok', detail: { knownKg: 20 } });
  const bad = await client.call('devices.calibrate', { device: 'scale', step: 'span', knownKg: -1 });
  t.match(bad, { ok: false, error: { code: 'CONTROL_BAD_PARAMS' } });
  raw = 8_412;
  t.match(await client.call('devices.calibrate', { device: 'scale', step: 'span', knownKg: 20 }), { ok: false, error: { code: 'DEVICE_IMPLAUSIBLE', message: /is the weight on it/ } });
  t.equal(saved?.kgPerCount, 20 / 420_000, 'a refused span leaves the calibration alone');
});

t.test('spanCalibration rejects a span lost in noise or going the wrong way', async (t) => {
  t.throws(() => spanCalibration(100_000, 100_500, 20, 0), { code: 'DEVICE_IMPLAUSIBLE' });
  t.throws(() => spanCalibration(0, -5_000, 20, 0), /went down/);
  t.equal(spanCalibration(0, 40, 20, 0).kgPerCount, 0.5);
});

t.test('live readings are coalesced per interval and stop on unsubscribe and on disconnect', async (t) => {
  const listeners = new Set<(r: DeviceReading) => void>();
  const readings: LiveReadingSource = {
    watch: (_device, l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  const { client, clock, events } = await rig(t, { readings });
  t.match(await client.call('devices.reading.subscribe', { device: 'spo2' }), { ok: true });
  await client.call('devices.reading.subscribe', { device: 'spo2' });
  t.equal(listeners.size, 1, 'subscribing twice watches once');
  for (let i = 0; i < 10; i++) for (const l of listeners) l({ device: 'spo2', at: i, fingerOn: true, ppg: [i * 2, i * 2 + 1] });
  await clock.advance(99);
  await settle();
  t.equal(events.length, 0, 'nothing before the interval');
  await clock.advance(1);
  await settle();
  t.equal(events.length, 1, 'one push per interval');
  t.same((events[0]!.data as DeviceReading).ppg, Array.from({ length: 20 }, (_, i) => i), 'every PPG sample, in order');
  await client.call('devices.reading.unsubscribe', { device: 'spo2' });
  t.equal(listeners.size, 0, 'unsubscribe stops the source');
  await client.call('devices.reading.subscribe', { device: 'scale' });
  t.equal(listeners.size, 1);
  client.close();
  await settle();
  t.equal(listeners.size, 0, 'a closed connection stops its readings');
});

t.test('journal list, retry and a redacted export', async (t) => {
  const waiting: WaitingRecord[] = [
    { eventId: 'st:1:1', kind: 'health-record', recordedAt: 1, personal: true, state: 'waiting', body: { cccd: '079123456745', systolic: 130 } },
    { eventId: 'st:1:2', kind: 'feedback', recordedAt: 2, personal: false, state: 'flagged', reasonCode: 0x97, refusals: 2, body: { rating: 5, contact: { phone: '0909000000', name: 'B' }, text: 'tốt' } },
    { eventId: 'st:1:3', kind: 'analytics', recordedAt: 3, personal: false, state: 'waiting', body: { service: 'bills' } },
  ];
  let retried: string[] | undefined | 'none' = 'none';
  const outbox = { waiting: () => waiting, retryFlagged: (ids?: string[]) => ((retried = ids), 1) };
  const { client, sink } = await rig(t, { outbox });
  const all = await client.call('journal.list', {});
  t.match(all, { ok: true, data: { total: 3 } });
  t.same(all.ok && all.data.records.map((r) => r.eventId), ['st:1:3', 'st:1:2', 'st:1:1'], 'newest first');
  t.notMatch(JSON.stringify(all), /0791|systolic|0909/, 'bodies never listed');
  const flagged = await client.call('journal.list', { filter: 'flagged' });
  t.same(flagged.ok && flagged.data.records.map((r) => r.eventId), ['st:1:2']);
  t.match(await client.call('journal.retry', { operator: 'an' }), { ok: true, data: { retried: 1 } });
  t.equal(retried, undefined, 'no ids: every flagged record');
  t.match(sink.last.payload, { action: 'journal.retry', detail: { requested: 'all', retried: 1 } });

  const exported = await client.call('journal.export', { operator: 'an' });
  t.ok(exported.ok);
  const file = exported.ok ? exported.data.file : '';
  t.match(file, /journal-export-2026-11-25T02-00-00-000Z\.json$/);
  const text = readFileSync(file, 'utf8');
  t.notMatch(text, /0791|130|0909/, 'no personal data or health value in the export');
  const doc = JSON.parse(text) as { redacted: boolean; records: { body: unknown }[] };
  t.equal(doc.redacted, true);
  t.equal(doc.records[0]!.body, '[personal: not exported]');
  t.same(doc.records[1]!.body, { rating: 5, contact: { phone: '[redacted]', name: '[redacted]' }, text: 'tốt' });
  t.match(sink.last.payload, { action: 'journal.export', outcome: 'ok', detail: { records: 3 } });
});

t.test('audit.record from the UI keeps only short, non-personal details', async (t) => {
  const { client, sink } = await rig(t);
  const res = await client.call('audit.record', { action: 'shell.open', operator: 'an; rm -rf /', detail: { command: 'i2cdetect -y 1', cccd: '079123456745' } });
  t.match(res, { ok: true, data: { eventId: 'st:1:1' } });
  t.same(sink.last.payload.detail, { command: 'i2cdetect -y 1' });
  t.equal(sink.last.payload.action, 'tui.shell.open');
  t.equal(sink.last.payload.operator, 'anrm-rf', 'operator cut to login-name characters');
  t.match(await client.call('audit.record', { action: 'Bad Action!' }), { ok: false, error: { code: 'CONTROL_BAD_PARAMS' } });
});

t.test('audited() says so when the action ran but its audit record could not be written', async (t) => {
  const sink = new MemorySink();
  const trail = new AuditTrail(sink, new ManualClock(), logger);
  const ctx = { push: () => undefined, onClose: () => undefined };
  let ran = 0;
  const handler = audited(trail, 'maintenance.set', (p: { on: boolean }) => ((ran++), { on: p.on }), (p) => ({ on: p.on }));
  t.same(await handler({ on: true }, ctx), { on: true });
  t.match(sink.last.payload, { action: 'maintenance.set', detail: { on: true } });
  sink.failWith = new StationError('JOURNAL_FULL');
  await t.rejects(handler({ on: false }, ctx), { code: 'JOURNAL_FULL', message: /maintenance.set done, but its audit record was not written/ });
  t.equal(ran, 2);
});

t.test('redactBody replaces personal keys at any depth', async (t) => {
  t.same(redactBody({ a: [{ fullName: 'X', ok: 1 }], b: { c: { address: 'Y' } } }), { a: [{ fullName: '[redacted]', ok: 1 }], b: { c: { address: '[redacted]' } } });
});

t.test('outboxInspector joins journal records with the outbox flags', async (t) => {
  const journal = {
    unreleased: () => [
      { eventId: 's:1:1', kind: 'feedback', recordedAt: 5, personal: false, body: { rating: 4 } },
      { eventId: 's:1:2', kind: 'health-record', recordedAt: 6, personal: true, body: { spo2: 97 } },
    ],
  };
  let asked: string[] | undefined | 'none' = 'none';
  const outbox = {
    status: () => ({ flagged: [{ eventId: 's:1:2', reasonCode: 0x87, refusals: 2, retryAt: 99 }] }),
    retryFlagged: (ids?: string[]) => ((asked = ids), 1),
  };
  const inspector = outboxInspector(journal, outbox);
  t.same(inspector.waiting(), [
    { eventId: 's:1:1', kind: 'feedback', recordedAt: 5, personal: false, state: 'waiting', body: { rating: 4 } },
    { eventId: 's:1:2', kind: 'health-record', recordedAt: 6, personal: true, state: 'flagged', body: { spo2: 97 }, reasonCode: 0x87, refusals: 2, retryAt: 99 },
  ]);
  t.equal(inspector.retryFlagged(['s:1:2']), 1);
  t.same(asked, ['s:1:2']);
});
