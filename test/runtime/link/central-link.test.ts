import t from 'tap';
import type { Test } from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import { CentralLink } from '../../../runtime/link/central-link.js';
import { CryptoBox } from '../../../runtime/link/crypto-box.js';
import { EmbeddedBroker } from '../../../runtime/link/embedded-broker.js';
import { signCommand } from '../../../runtime/link/commands.js';
import { CentralSim, DEV_KEY_ID, devKeyDir } from '../../../scripts/central-sim.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { silentLogger, tempDir, until } from '../../fakes/link-test-kit.js';
import { startMosquitto } from '../../fakes/mosquitto.js';

const logger = silentLogger();
const box = CryptoBox.fromText('aa'.repeat(32));

async function devPublicKey() {
  return readFile(join(devKeyDir(), 'central-dev.ed25519.pub.pem'), 'utf8');
}

interface Rig {
  clock: ManualClock;
  station: CentralLink;
  sim: CentralSim;
  observer: MqttClient;
  seen: Map<string, { payload: string; retain: boolean }[]>;
  maintenance: Array<Record<string, unknown>>;
}

async function rig(t: Test, url: string, protocolVersion: 4 | 5, dataDir?: string): Promise<Rig> {
  const clock = new ManualClock();
  const dir = dataDir ?? (await tempDir(t));
  const maintenance: Array<Record<string, unknown>> = [];
  const station = new CentralLink({
    stationId: 'HCM-BT-001', dataDir: dir, clock, logger, box,
    mqtt: { url, protocolVersion, reconnectMinMs: 1000, reconnectMaxMs: 8000, random: () => 0.5,
      birth: () => ({ versions: { runtime: '0.1.0' }, devices: [], flows: [{ id: 'bill-payment', version: '1' }], capabilities: ['vietqr'] }) },
    commandKeys: { [DEV_KEY_ID]: await devPublicKey() },
    commandHandlers: { maintenance: async (args) => (maintenance.push(args), { maintenance: args.on }) },
    outbox: { receiptTimeoutMs: 5000 },
  });
  const sim = new CentralSim({ url, protocolVersion, clock, logger, paymentDelayMs: 3000 });
  await sim.start();
  const observer = await mqtt.connectAsync(url, { protocolVersion, clientId: `observer-${protocolVersion}-${Math.random()}` });
  const seen = new Map<string, { payload: string; retain: boolean }[]>();
  observer.on('message', (topic, payload, packet) => {
    const list = seen.get(topic) ?? [];
    list.push({ payload: payload.toString(), retain: packet.retain });
    seen.set(topic, list);
  });
  await observer.subscribeAsync('cds/v1/HCM-BT-001/#', { qos: 1 });
  await station.start();
  t.teardown(async () => {
    await station.stop();
    await sim.stop();
    await observer.endAsync(true);
  });
  await until(clock, () => station.status().link.state === 'connected', 'station connected', 0);
  return { clock, station, sim, observer, seen, maintenance };
}

async function exercise(t: Test, url: string, protocolVersion: 4 | 5) {
  const r = await rig(t, url, protocolVersion);
  const { clock, station, sim, seen } = r;
  t.equal(station.status().link.protocolVersion, protocolVersion);

  await until(clock, () => (seen.get('cds/v1/HCM-BT-001/status')?.length ?? 0) > 0 && seen.has('cds/v1/HCM-BT-001/birth'), 'birth and status', 0);
  t.match(JSON.parse(seen.get('cds/v1/HCM-BT-001/status')!.at(-1)!.payload), { state: 'online', bootSeq: 1 });
  t.match(JSON.parse(seen.get('cds/v1/HCM-BT-001/birth')!.at(-1)!.payload), { bootSeq: 1, capabilities: ['vietqr'] });
  const late = await mqtt.connectAsync(url, { protocolVersion, clientId: `late-${protocolVersion}` });
  const retained: string[] = [];
  late.on('message', (topic, _p, packet) => packet.retain && retained.push(topic));
  await late.subscribeAsync('cds/v1/HCM-BT-001/+', { qos: 1 });
  await until(clock, () => retained.length >= 2, 'retained birth and status', 0);
  t.same(retained.sort(), ['cds/v1/HCM-BT-001/birth', 'cds/v1/HCM-BT-001/status'], 'birth and status are retained');
  await late.endAsync(true);

  // Records: on disk first, delivered, receipted, released.
  const ids = [];
  for (let i = 0; i < 15; i++) {
    ids.push((await station.record(i % 3 === 0 ? 'payment' : 'feedback', { i, paymentId: `P${i}` }, { personal: i % 3 === 0 })).eventId);
  }
  t.same(ids.slice(0, 3), ['HCM-BT-001:1:1', 'HCM-BT-001:1:2', 'HCM-BT-001:1:3'], 'idempotency keys are {stationId}:{bootSeq}:{seq}');
  await until(clock, () => sim.tally('HCM-BT-001').unique === 15 && station.status().depth === 0, 'delivered and released', 0);
  t.equal(sim.tally('HCM-BT-001').duplicates, 0);
  t.equal(sim.gaps('HCM-BT-001'), 0);
  t.same(sim.events.filter((e) => e.event.kind === 'payment').map((e) => e.event.data.i), [0, 3, 6, 9, 12], 'per-stream order');

  // Receipts dropped: the record stays and is resent with the same key after the receipt timeout.
  sim.misbehave({ dropReceipts: true });
  const kept = await station.record('report', { text: 'Đèn hành lang tầng 12 hỏng' });
  await until(clock, () => sim.tally('HCM-BT-001').received === 16, 'first delivery', 0);
  t.equal(station.status().awaitingReceipt, 1, 'delivered, awaiting receipt');
  sim.misbehave({});
  await clock.advance(5000);
  await until(clock, () => station.status().depth === 0, 'resent and released', 0);
  t.equal(sim.tally('HCM-BT-001').duplicates, 1, 'the resend is a duplicate with the same key');
  t.equal(sim.events.filter((e) => e.event.eventId === kept.eventId).length, 1);

  // RPC: answers, central errors, unavailable, garbage, late.
  const bill = await station.call<{ customerName: string; total: number }>('bills', { provider: 'evn', customerCode: 'PE01000123456' });
  t.equal(bill.customerName, 'NGUYỄN VĂN AN');
  t.equal(bill.total, 1_284_350);
  const dossier = await station.call<{ statusLabel: string }>('dossiers', { code: '000.00.00.H29-261118-0103' });
  t.equal(dossier.statusLabel, 'Cần bổ sung hồ sơ');
  await t.rejects(station.call('bills', { provider: 'evn', customerCode: 'PE09999999999' }), { code: 'RPC_FAILED', details: { centralCode: 'NOT_FOUND' } });
  sim.misbehave({ unavailable: ['bhxh'] });
  await t.rejects(station.call('bhxh', { cccd: '079203001245' }), { code: 'RPC_UNAVAILABLE', transient: true });
  sim.misbehave({ garbage: true });
  const garbage = station.call('hospitals', {}, { timeoutMs: 2000 });
  garbage.catch(() => undefined);
  await until(clock, () => station.rpc!.waiting === 1, 'request sent', 0);
  await clock.advance(2000);
  await t.rejects(garbage, { code: 'RPC_TIMEOUT' });
  sim.misbehave({ replyDelayMs: 4000 });
  const slow = station.call('hospitals', {}, { timeoutMs: 3000 });
  slow.catch(() => undefined);
  await clock.advance(3000);
  await t.rejects(slow, { code: 'RPC_TIMEOUT' }, 'an answer later than the timeout is a timeout');
  sim.misbehave({});
  const status1 = await station.call<{ status: string }>('payment-status', { paymentId: 'PAY-1', amount: 1_284_350 });
  t.equal(status1.status, 'pending');
  await clock.advance(3000);
  t.match(await station.call('payment-status', { paymentId: 'PAY-1', amount: 1_284_350 }), { status: 'paid', amount: 1_284_350 });

  // Signed commands.
  const answer = await sim.sendCommand('HCM-BT-001', 'maintenance', { on: true });
  t.match(answer, { ok: true, data: { maintenance: true } });
  t.same(r.maintenance, [{ on: true }]);
  const unknown = await sim.sendCommand('HCM-BT-001', 'maintenance', { on: false }, { envelope: { keyId: 'other' } });
  t.match(unknown, { ok: false, error: { code: 'CMD_REJECTED', message: 'unknown-key' } });
  t.equal(r.maintenance.length, 1);

  // Last will and reconnect on the clock: cut the station's socket without DISCONNECT.
  const before = seen.get('cds/v1/HCM-BT-001/status')!.length;
  (station.link as unknown as { client: MqttClient }).client.stream.destroy();
  await until(clock, () => seen.get('cds/v1/HCM-BT-001/status')!.slice(before).some((m) => JSON.parse(m.payload).state === 'offline'), 'last will', 0);
  t.equal(station.status().link.state, 'connecting');
  await clock.advance(700);
  t.equal(station.status().link.state, 'connecting', 'no reconnect before the backoff delay (750 ms with this jitter)');
  await until(clock, () => station.status().link.state === 'connected', 'reconnected', 100);
  const rec = await station.record('feedback', { stars: 5 });
  await until(clock, () => sim.events.some((e) => e.event.eventId === rec.eventId) && station.status().depth === 0, 'delivery after reconnect', 0);
  t.pass('records flow again after the reconnect');
}

t.test('against mosquitto with MQTT 5', async (t) => {
  const broker = await startMosquitto(t);
  await exercise(t, broker.url, 5);
});

t.test('against the embedded aedes broker with MQTT 3.1.1', async (t) => {
  const broker = new EmbeddedBroker({ port: 0, logger });
  await broker.start();
  t.teardown(() => broker.stop());
  await exercise(t, broker.url, 4);
});

t.test('a retained command is ignored after a restart; a record survives a restart and keeps its key', async (t) => {
  const broker = await startMosquitto(t);
  const dir = await tempDir(t);
  const first = await rig(t, broker.url, 5, dir);
  const pending = await first.station.record('payment', { paymentId: 'P-restart' });
  await until(first.clock, () => first.sim.tally('HCM-BT-001').unique === 1 && first.station.status().depth === 0, 'delivered', 0);
  first.sim.misbehave({ dropReceipts: true });
  const unreceipted = await first.station.record('payment', { paymentId: 'P-kept' });
  await until(first.clock, () => first.sim.tally('HCM-BT-001').received === 2, 'sent without receipt', 0);
  const key = await readFile(join(devKeyDir(), 'central-dev.ed25519.key.pem'), 'utf8');
  const now = first.clock.now();
  const signed = signCommand({ stationId: 'HCM-BT-001', cmdId: 'retained-1', seq: now * 10, issuedAt: now, expiresAt: now + 600_000, keyId: DEV_KEY_ID, name: 'maintenance', args: { on: true } }, key);
  await first.station.stop();
  await first.observer.publishAsync('cds/v1/HCM-BT-001/cmd/maintenance', JSON.stringify(signed), { qos: 1, retain: true });
  t.teardown(() => first.observer.publishAsync('cds/v1/HCM-BT-001/cmd/maintenance', '', { qos: 1, retain: true }));

  const second = await rig(t, broker.url, 5, dir);
  t.equal(second.station.bootSeq, 2, 'the boot counter survived the restart');
  await until(second.clock, () => second.sim.tally('HCM-BT-001').received >= 1 && second.station.status().depth === 0, 'resent after restart', 0);
  t.same(second.sim.events.map((e) => e.event.eventId), [unreceipted.eventId], 'the unreceipted record was resent with its original key');
  t.not(unreceipted.eventId, pending.eventId);
  await second.station.commands!.idle();
  t.same(second.maintenance, [], 'the retained command did not run');
  const next = await second.station.record('feedback', {});
  t.equal(next.eventId, 'HCM-BT-001:2:3', 'new records carry the new boot counter and continue the sequence');
});
