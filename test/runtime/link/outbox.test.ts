import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { Journal } from '../../../runtime/link/journal.js';
import { Outbox } from '../../../runtime/link/outbox.js';
import type { OutboxOptions } from '../../../runtime/link/outbox.js';
import type { EventPayload, TelemetryPayload } from '../../../runtime/link/topics.js';
import { signReceipt } from '../../../runtime/link/receipts.js';
import type { ReceiptEnvelope } from '../../../runtime/link/receipts.js';
import { FakeLink } from '../../fakes/fake-link.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { silentLogger, tempDir } from '../../fakes/link-test-kit.js';

const logger = silentLogger();
const central = generateKeyPairSync('ed25519');
const receiptKeys = { 'central-1': central.publicKey.export({ type: 'spki', format: 'pem' }).toString() };

async function setup(t: { teardown: (fn: () => unknown) => void }, options: Partial<OutboxOptions> = {}, journalBytes = 64 << 20) {
  const clock = new ManualClock();
  const journal = new Journal({ dir: await tempDir(t), idPrefix: 'HCM-BT-001:1', clock, logger, maxBytes: journalBytes });
  await journal.open();
  const link = new FakeLink();
  const outbox = new Outbox({ journal, link, clock, logger, receiptTimeoutMs: 10_000, receiptKeys, ...options });
  await outbox.start();
  t.teardown(async () => {
    await outbox.stop();
    await journal.close();
  });
  return { clock, journal, link, outbox };
}

const events = (link: FakeLink) => link.published.filter((p) => p.name === 'event').map((p) => p.payload as EventPayload);

/** Central's signed receipt for one stream. */
function receipt(link: FakeLink, stream: string, through: number, missing: number[] = [], over: Partial<ReceiptEnvelope> = {}) {
  link.deliver('receipt', {}, signReceipt({ stationId: link.stationId, keyId: 'central-1', stream, through, missing, issuedAt: 0, expiresAt: 8.64e15, ...over }, central.privateKey));
}

/** Cumulative receipts covering these events: per stream, through the highest stream seq among them. */
function ack(link: FakeLink, sent: EventPayload[]) {
  const top = new Map<string, number>();
  for (const e of sent) top.set(e.stream, Math.max(top.get(e.stream) ?? 0, e.streamSeq));
  for (const [stream, through] of top) receipt(link, stream, through);
}

t.test('nothing is published while offline; on connect each stream goes in order', async (t) => {
  const { clock, link, outbox } = await setup(t, { streamWindow: 1 });
  for (let i = 0; i < 6; i++) await outbox.record(i % 2 ? 'payment' : 'feedback', { i });
  await clock.advance(1000);
  t.equal(link.published.length, 0);
  t.equal(outbox.status().depth, 6);
  link.setState('connected');
  await clock.advance(0);
  t.same(events(link).map((e) => e.data.i), [0, 1], 'one record per stream until its receipt');
  t.equal(outbox.status().awaitingReceipt, 2);
  for (let k = 0; k < 3; k++) {
    ack(link, events(link));
    await clock.advance(0);
  }
  const sent = events(link);
  t.same(sent.filter((e) => e.kind === 'payment').map((e) => e.data.i), [1, 3, 5]);
  t.same(sent.filter((e) => e.kind === 'feedback').map((e) => e.data.i), [0, 2, 4]);
  t.equal(outbox.status().depth, 0);
});

t.test('a wider stream window pipelines a stream', async (t) => {
  const { clock, link, outbox } = await setup(t, { streamWindow: 4 });
  for (let i = 0; i < 6; i++) await outbox.record('payment', { i });
  link.setState('connected');
  await clock.advance(0);
  t.same(events(link).map((e) => e.data.i), [0, 1, 2, 3]);
});

t.test('a receipt releases records from the journal; a missing receipt means a resend with the same key', async (t) => {
  const { clock, journal, link, outbox } = await setup(t, { streamWindow: 1 });
  link.setState('connected');
  const a = await outbox.record('payment', { n: 1 });
  const b = await outbox.record('payment', { n: 2 });
  await clock.advance(0);
  ack(link, events(link).filter((e) => e.eventId === a.eventId));
  receipt(link, 'no-such-stream', 40);
  await clock.advance(0);
  t.same(journal.unreleased().map((r) => r.eventId), [b.eventId]);
  t.equal(events(link).length, 2, 'the receipt let the next record of the stream go');
  await clock.advance(9_999);
  t.equal(events(link).length, 2);
  await clock.advance(1);
  t.same(events(link).map((e) => e.eventId), [a.eventId, b.eventId, b.eventId], 'resent after the receipt timeout');
  t.equal(outbox.status().resends, 1);
  link.deliver('receipt', {}, 'not json');
  ack(link, events(link).filter((e) => e.eventId === b.eventId));
  await clock.advance(0);
  t.equal(outbox.status().depth, 0);
});

t.test('a PUBACK refusal keeps the record, flags it, alerts and backs off without a hot loop', async (t) => {
  const { clock, link, outbox } = await setup(t, { refusedBackoffMinMs: 5000, refusedBackoffMaxMs: 40_000 });
  const alerts: string[] = [];
  outbox.events.on('alert', t, (a) => alerts.push(`${a.code}:${(a.details as { reasonCode: number }).reasonCode}`));
  let refuse = true;
  link.reasonCodeFor = (p) => (refuse && p.name === 'event' && (p.payload as EventPayload).kind === 'payment' ? 0x97 : 0);
  link.setState('connected');
  const pay = await outbox.record('payment', { amount: 100 });
  const other = await outbox.record('feedback', { stars: 4 });
  await clock.advance(0);
  t.same(alerts, ['OUTBOX_FLAGGED:151']);
  const flagged = outbox.status().flagged;
  t.match(flagged, [{ eventId: pay.eventId, reasonCode: 0x97, refusals: 1 }]);
  t.ok(events(link).some((e) => e.eventId === other.eventId), 'other streams keep flowing');
  await clock.advance(4_999);
  t.equal(events(link).filter((e) => e.eventId === pay.eventId).length, 1, 'no retry during the back-off');
  await clock.advance(1);
  t.equal(events(link).filter((e) => e.eventId === pay.eventId).length, 2);
  await clock.advance(10_000);
  t.equal(events(link).filter((e) => e.eventId === pay.eventId).length, 3, 'back-off doubled: 5 s then 10 s');
  await clock.advance(60_000);
  const tries = events(link).filter((e) => e.eventId === pay.eventId).length;
  t.ok(tries <= 5, `${tries} tries in 75 s: capped back-off, no hot loop`);
  t.equal(outbox.status().depth, 2, 'the refused record was never dropped');
  refuse = false;
  await clock.advance(40_000);
  t.same(outbox.status().flagged, [], 'flag cleared once the broker accepted it');
});

t.test('a publish with no PUBACK is tried again after the PUBACK timeout', async (t) => {
  const { clock, link, outbox } = await setup(t, { pubackTimeoutMs: 3000 });
  link.holdAcks = true;
  link.setState('connected');
  await outbox.record('payment', { n: 1 });
  await clock.advance(2999);
  t.equal(events(link).length, 1);
  await clock.advance(1);
  t.equal(events(link).length, 2);
  link.holdAcks = false;
  link.ackAll();
  await clock.advance(0);
  t.equal(outbox.status().awaitingReceipt, 1);
});

// Reliability figure 6.
t.test('outbox full while offline: telemetry dropped oldest-first and counted, no transaction dropped', async (t) => {
  const { clock, link, outbox, journal } = await setup(t, { telemetryCap: 100, telemetryTtlMs: 3_600_000 }, 64 * 1024);
  let accepted = 0;
  let refused = 0;
  for (let i = 0; i < 2000; i++) {
    outbox.telemetry('station', { i, cpuC: 48.5 });
    if (i % 4 === 0) {
      try {
        await outbox.record('payment', { i, amount: 50_000, ref: `HD${i}` });
        accepted++;
      } catch (err) {
        t.equal((err as { code: string }).code, 'JOURNAL_FULL');
        refused++;
      }
    }
    await clock.advance(100);
  }
  const st = outbox.status();
  t.equal(st.telemetry.queued, 100);
  t.equal(st.telemetry.droppedCap, 1900);
  t.ok(refused > 0, `journal full: ${refused} payments refused with JOURNAL_FULL (the flow shows a clear screen)`);
  t.equal(journal.stats().unreleased, accepted, 'every accepted payment is in the journal');
  link.setState('connected');
  await clock.advance(0);
  for (let k = 0; k < accepted + 5 && outbox.status().depth > 0; k++) {
    ack(link, events(link).slice(-4));
    await clock.advance(0);
  }
  const tel = link.published.filter((p) => p.name === 'telemetry').map((p) => p.payload as TelemetryPayload);
  t.same(tel.map((s) => s.data.i), Array.from({ length: 100 }, (_, k) => 1900 + k), 'the newest 100 samples survive, in order');
  t.equal(tel[0]!.dropped, 1900, 'the drop count rides on the next sample');
  const payments = new Set(events(link).map((e) => e.data.i));
  t.equal(payments.size, accepted, 'every accepted payment was delivered');
  t.equal(outbox.status().depth, 0);
  t.comment(`figure 6: 2000 samples offline with cap 100: ${st.telemetry.droppedCap} dropped oldest-first and counted; ${accepted} payments accepted, ${refused} refused (JOURNAL_FULL), 0 accepted payments dropped`);
});

t.test('telemetry older than its TTL is dropped and counted', async (t) => {
  const { clock, link, outbox } = await setup(t, { telemetryTtlMs: 1000 });
  outbox.telemetry('spo2', { v: 1 });
  await clock.advance(2000);
  outbox.telemetry('spo2', { v: 2 });
  link.setState('connected');
  await clock.advance(0);
  const tel = link.published.filter((p) => p.name === 'telemetry').map((p) => p.payload as TelemetryPayload);
  t.same(tel.map((s) => [s.data.v, s.dropped]), [[2, 1]]);
  t.equal(outbox.status().telemetry.droppedExpired, 1);
});

t.test('a technician retry lifts the back-off of flagged records and drains now', async (t) => {
  const { clock, link, outbox } = await setup(t, { refusedBackoffMinMs: 60_000, refusedBackoffMaxMs: 600_000 });
  let refuse = true;
  link.reasonCodeFor = (p) => (refuse && p.name === 'event' ? 0x87 : 0);
  link.setState('connected');
  const pay = await outbox.record('payment', { amount: 100 });
  await clock.advance(0);
  t.equal(outbox.status().flagged.length, 1);
  t.equal(outbox.retryFlagged(['HCM-BT-001:1:999']), 0, 'an id that is not flagged retries nothing');
  await clock.advance(0);
  t.equal(events(link).length, 1, 'still backing off');
  refuse = false;
  t.equal(outbox.retryFlagged(), 1);
  await clock.advance(0);
  t.same(events(link).map((e) => e.eventId), [pay.eventId, pay.eventId], 'sent again at once, same key');
  t.same(outbox.status().flagged, [], 'accepted, so no longer flagged');
});

t.test('a cumulative receipt releases through N except the missing, which are sent again at once', async (t) => {
  const { clock, journal, link, outbox } = await setup(t, { streamWindow: 10 });
  link.setState('connected');
  for (let i = 1; i <= 10; i++) await outbox.record('payment', { i });
  await clock.advance(0);
  t.same(events(link).map((e) => e.streamSeq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'every record carries its stream seq');
  receipt(link, 'payment', 10, [4, 7]);
  await clock.advance(0);
  t.same(journal.unreleased().map((r) => r.streamSeq), [4, 7], 'everything central holds is released');
  t.same(events(link).slice(10).map((e) => e.streamSeq), [4, 7], 'the missing ones go again without waiting for the receipt timeout');
  receipt(link, 'payment', 10);
  await clock.advance(0);
  t.equal(outbox.status().depth, 0);
  t.equal(outbox.status().receipts.accepted, 2);
});

t.test('unsigned, forged, expired, unknown-key and other-station receipts release nothing; each is counted and alerted', async (t) => {
  const { clock, journal, link, outbox } = await setup(t, { streamWindow: 10 });
  const alerts: string[] = [];
  outbox.events.on('alert', t, (a) => alerts.push(`${a.code}:${(a.details as { reason: string }).reason}`));
  link.setState('connected');
  for (let i = 1; i <= 3; i++) await outbox.record('payment', { i });
  await clock.advance(0);
  const ids = events(link).map((e) => e.eventId);
  link.deliver('receipt', {}, { eventIds: ids });
  const intruder = generateKeyPairSync('ed25519');
  link.deliver('receipt', {}, signReceipt({ stationId: link.stationId, keyId: 'central-1', stream: 'payment', through: 3, missing: [], issuedAt: 0, expiresAt: 8.64e15 }, intruder.privateKey));
  receipt(link, 'payment', 3, [], { keyId: 'central-old' });
  receipt(link, 'payment', 3, [], { stationId: 'HCM-BT-002' });
  receipt(link, 'payment', 3, [], { issuedAt: clock.now() - 120_000, expiresAt: clock.now() - 60_000 });
  const signed = JSON.parse(JSON.stringify(signReceipt({ stationId: link.stationId, keyId: 'central-1', stream: 'payment', through: 1, missing: [], issuedAt: 0, expiresAt: 8.64e15 }, central.privateKey)));
  signed.envelope = signed.envelope.replace('"through":1', '"through":3');
  link.deliver('receipt', {}, signed);
  await clock.advance(0);
  t.equal(journal.unreleased().length, 3, 'nothing was released');
  t.same(outbox.status().receipts, { accepted: 0, refused: { unsigned: 1, 'bad-signature': 2, 'unknown-key': 1, 'wrong-station': 1, expired: 1 } });
  t.same(alerts, ['RECEIPT_REFUSED:unsigned', 'RECEIPT_REFUSED:bad-signature', 'RECEIPT_REFUSED:unknown-key', 'RECEIPT_REFUSED:wrong-station', 'RECEIPT_REFUSED:expired', 'RECEIPT_REFUSED:bad-signature']);
  receipt(link, 'payment', 3);
  await clock.advance(0);
  t.equal(journal.unreleased().length, 0, 'the genuine receipt releases them');
});

t.test('after a reconnect, records awaiting their receipt go again at once: an interrupted drain does not stall', async (t) => {
  const { clock, link, outbox } = await setup(t, { streamWindow: 2, receiptTimeoutMs: 60_000 });
  link.setState('connected');
  for (let i = 1; i <= 4; i++) await outbox.record('payment', { i });
  await clock.advance(0);
  t.equal(events(link).length, 2, 'a full window awaits its receipt');
  link.setState('connecting');
  link.setState('connected');
  await clock.advance(0);
  t.same(events(link).map((e) => e.streamSeq), [1, 2, 1, 2], 'sent again right after the reconnect, not after 60 s');
  receipt(link, 'payment', 2);
  await clock.advance(0);
  t.same(events(link).slice(4).map((e) => e.streamSeq), [3, 4], 'and the drain goes on');
});
