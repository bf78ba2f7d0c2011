/**
 * Every RPC-backed resident service against the central simulator, end to end: the real flow bundle,
 * FlowSession, PaymentService and central link, the simulator over the embedded aedes broker, and a
 * resident on the keypad typing the fixture codes listed in docs/services.md ("Simulator fixtures").
 * One broker, link and simulator for the whole file; the manual clock moves only where a step needs
 * time (the bank's confirmation), everything else waits on loopback I/O with a bounded wall clock.
 */
import t from 'tap';
import mqtt from 'mqtt';
import * as fixtures from '../../scripts/central-sim/fixtures.js';
import { parseVietQr } from '../../runtime/services/vietqr.js';
import { TOPIC_ROOT } from '../../runtime/link/topics.js';
import { residentCccd } from '../fakes/service-station.js';
import { centralStation } from '../fakes/central-station.js';
import type { CentralStation } from '../fakes/central-station.js';
import { renderTemplate } from '../../runtime/flows/template.js';

const s: CentralStation = await centralStation(t, { paymentDelayMs: 4000 });

/** Waits until the working step `stepId` (an RPC or a journal write) has been left. */
async function leave(stepId: string): Promise<void> {
  await s.until(() => s.screen().stepId !== stepId, `${stepId} left`);
}

/** Waits until the screen is `stepId` (a journaled consent or record needs real disk and socket I/O). */
async function reach(stepId: string): Promise<void> {
  await s.until(() => s.screen().stepId === stepId, `${stepId} shown`);
}

function lastRequest(service: string): Record<string, unknown> | undefined {
  return s.sim.requests.filter((r) => r.service === service).at(-1)?.params;
}

/** `1.284.350 ₫`, as the flows' `vnd` filter shows amounts. */
function vnd(amount: number): string {
  return `${amount.toLocaleString('de-DE')} ₫`;
}

t.test('bill payment: a fixture code of every provider, typed on the keypad, shows that bill', async (t) => {
  const cases: Array<{ key: string; provider: fixtures.BillProvider; typed: string; code: string }> = [
    { key: '1', provider: 'evn', typed: '01000654321', code: 'PE01000654321' },
    { key: '2', provider: 'sawaco', typed: '13012345678', code: '13012345678' },
    { key: '3', provider: 'internet', typed: '2870654321', code: '2870654321' },
    { key: '4', provider: 'tuition', typed: '7912301142', code: '7912301142' },
    { key: '5', provider: 'building', typed: '021205', code: '021205' },
  ];
  for (const c of cases) {
    const expected = fixtures.bills({ provider: c.provider, customerCode: c.code });
    await s.press('home', '5', c.key);
    await s.type(c.typed);
    await s.press('ok');
    await leave(c.provider === 'evn' ? 'lookup-evn' : 'lookup');
    t.equal(s.screen().stepId, 'show-bill', `${c.provider}: the bill is shown`);
    t.same(lastRequest('bills'), { provider: c.provider, customerCode: c.code }, `${c.provider}: central got the full code`);
    const text = s.text();
    t.match(text, expected.providerName, `${c.provider}: provider`);
    t.match(text, expected.customerName, `${c.provider}: customer`);
    t.match(text, expected.bills[0]!.period, `${c.provider}: period`);
    t.match(text, vnd(expected.total), `${c.provider}: total ${vnd(expected.total)}`);
  }
  t.equal(fixtures.bills({ provider: 'evn', customerCode: 'PE01000654321' }).bills.length, 2, 'the EVN case covered a two-bill total');
});

t.test('bill payment: the building fee paid by VietQR, confirmed by the simulator, receipt printed', async (t) => {
  await s.press('home', '5', '5');
  await s.type('021205');
  await s.press('ok');
  await leave('lookup');
  await s.press('1');
  await s.until(() => s.screen().kind === 'pay' && s.screen().qr !== undefined, 'QR shown');
  const qr = parseVietQr(s.screen().qr!.payload);
  t.ok(qr.ok && qr.value.amount === 1_560_000 && qr.value.bill === 'PQL-2611-021205', 'the QR carries the fixture bill');
  await s.until(() => s.screen().stepId !== 'pay', 'payment confirmed', 100);
  t.equal(s.screen().stepId, 'paid');
  t.match(s.text(), vnd(1_560_000));
  const printed = s.printed.length;
  await s.press('ok');
  await s.until(() => s.printed.length > printed, 'receipt printed');
  t.match(s.printed.at(-1)!.map((l) => l.text ?? '').join('\n'), /PQL-2611-021205/);
});

t.test('bill payment: a known EVN customer with nothing due is the empty answer, not an error', async (t) => {
  await s.press('home', '5', '1');
  await s.type('01000777888');
  await s.press('ok');
  await leave('lookup-evn');
  t.equal(s.screen().stepId, 'no-bill-evn');
  t.match(s.text(), /PE01000777888/);
});

t.test('dossier lookup: the 19 digits of a fixture code show its status in plain words', async (t) => {
  await s.press('home', '3');
  await s.type('0000000' + '29' + '261118' + '0103');
  await s.press('ok');
  await leave('lookup');
  t.same(lastRequest('dossiers'), { code: '000.00.00.H29-261118-0103' });
  t.equal(s.screen().stepId, 'status');
  const text = s.text();
  t.match(text, '000.00.00.H29-261118-0103');
  t.match(text, 'Cấp giấy phép xây dựng nhà ở riêng lẻ');
  t.match(text, 'Bổ sung bản vẽ mặt bằng có chữ ký chủ đầu tư', 'what to bring');
  t.match(text, /03\/12\/2026/, 'the due date');
});

async function bhxhBy(choice: '1' | '2', digits: string): Promise<void> {
  await s.press('home', '8', '1');
  await reach('by');
  await s.press(choice);
  await s.type(digits);
  await s.press('ok');
  await leave(choice === '1' ? 'lookup-cccd' : 'lookup-code');
}

t.test('BHXH lookup by CCCD and by BHXH code show the same fixture history', async (t) => {
  const expected = fixtures.bhxh({ cccd: '079085001234' });
  for (const [choice, digits, param] of [['1', '079085001234', { cccd: '079085001234' }], ['2', '7910012345', { bhxhCode: '7910012345' }]] as const) {
    await bhxhBy(choice, digits);
    t.same(lastRequest('bhxh'), param, `central got ${Object.keys(param)[0]}`);
    t.equal(s.screen().stepId, 'history', `by ${Object.keys(param)[0]}: the history is shown`);
    const text = s.text();
    t.match(text, '7910012345');
    t.match(text, String(expected.totalMonths));
    const listed = JSON.stringify(s.screen());
    for (const p of expected.periods) t.match(listed, `${p.from} – ${p.to} (${p.months} tháng)`, `period ${p.from}`);
    t.match(listed, 'Công ty CP Logistics Cát Lái');
  }
  await bhxhBy('2', '7920045678');
  t.equal(s.screen().stepId, 'not-found', 'insured without contributions: the empty answer');
});

t.test('telehealth: hospital, specialty, the first nine free slots, booking recorded at central', async (t) => {
  await s.press('home', '2');
  await leave('hospitals');
  t.equal(s.screen().stepId, 'hospital');
  t.match(s.text(), '1. Bệnh viện Lê Văn Thịnh');
  await s.press('1');
  t.match(s.text(), '2. Tim mạch');
  await s.press('2');
  await leave('slots');
  t.same(lastRequest('telehealth-slots'), { hospitalId: 'bv-le-van-thinh', specialty: 'tim-mach' });
  t.equal(s.screen().stepId, 'slot');
  // The station's clock is 25/11/2026 in Ho Chi Minh City: the simulator offers the 26th onwards.
  const free = fixtures.telehealthSlots({ hospitalId: 'bv-le-van-thinh', specialty: 'tim-mach', from: '2026-11-26' }).slots;
  const options = s.screen().options ?? [];
  t.equal(options.length, Math.min(6, free.length), 'one option per free slot, six a page');
  free.slice(0, options.length).forEach((slot, i) => {
    const [y, m, d] = slot.date.split('-');
    t.match(options[i]!.label, `${slot.time} · ${d}/${m}/${y}`, `option ${i + 1} is the free slot ${slot.date} ${slot.time}`);
  });
  await s.press('1');
  await s.press('1');
  await reach('identity');
  await s.type(residentCccd);
  await s.press('ok');
  await reach('phone');
  await s.type('0903123456');
  await s.press('ok');
  t.equal(s.screen().stepId, 'check');
  await s.press('1');
  await leave('book');
  t.equal(s.screen().stepId, 'booked');
  t.match(s.text(), free[0]!.time);
  await s.until(() => s.sim.events.some((e) => e.event.kind === 'appointment'), 'appointment at central', 10);
  const appt = s.sim.events.find((e) => e.event.kind === 'appointment')!;
  t.equal(appt.stationId, s.stationId);
  t.ok(s.text().includes(renderTemplate('{{id | ref}}', { id: appt.event.eventId })), 'the code on screen is the reference of the event central received');
});

t.test('BHYT household quote: three members for twelve months, the simulator ladder on screen', async (t) => {
  const expected = fixtures.bhytQuote({ members: 3, months: 12 });
  t.equal(expected.total, 2_906_280, '4.5% of 2,340,000 × (1 + 0.7 + 0.6) × 12');
  await s.press('home', '7', 'ok', '1');
  await reach('identity');
  await s.type(residentCccd);
  await s.press('ok');
  await reach('household');
  await s.press('3', '3');
  await leave('quote');
  t.same(lastRequest('bhyt-quote'), { members: 3, months: 12 });
  t.equal(s.screen().stepId, 'show-quote');
  t.match(s.text(), vnd(expected.total));
});

t.test('unknown codes: central answers exactly { id, ok: false, error: { code: NOT_FOUND, message } }', async (t) => {
  const watcher = await mqtt.connectAsync(s.broker.url, { protocolVersion: 4, clientId: 'not-found-watcher' });
  t.teardown(() => watcher.endAsync(true));
  const answers: Array<{ topic: string; body: unknown }> = [];
  watcher.on('message', (topic, payload) => answers.push({ topic, body: JSON.parse(payload.toString('utf8')) }));
  await watcher.subscribeAsync(`${TOPIC_ROOT}/${s.stationId}/rpc/+/res`, { qos: 1 });

  const unknown: Array<[string, Record<string, unknown>]> = [
    ['bills', { provider: 'internet', customerCode: '2879999999' }],
    ['bills', { provider: 'evn', customerCode: 'PE09999999999' }],
    ['dossiers', { code: '000.00.00.H29-260101-9999' }],
    ['bhxh', { cccd: '079085009999' }],
    ['bhxh', { bhxhCode: '7999999999' }],
  ];
  for (const [service, params] of unknown) {
    await t.rejects(s.link.call(service as Parameters<typeof s.link.call>[0], params), { code: 'RPC_FAILED', details: { centralCode: 'NOT_FOUND' } }, `${service} ${JSON.stringify(params)}`);
  }
  await s.until(() => answers.length >= unknown.length, 'answers seen at the broker');
  for (const a of answers) {
    const body = a.body as { id: unknown; ok: unknown; error: { code: unknown; message: unknown } };
    t.same(Object.keys(body).sort(), ['error', 'id', 'ok'], `${a.topic}: only id, ok and error`);
    t.equal(typeof body.id, 'string');
    t.equal(body.ok, false);
    t.same(Object.keys(body.error).sort(), ['code', 'message']);
    t.equal(body.error.code, 'NOT_FOUND');
    t.ok(typeof body.error.message === 'string' && body.error.message.length > 0, 'a message in Vietnamese');
  }

  // The same from the keypad: the session takes NOT_FOUND as an empty answer, so the flow says "no bill".
  await s.press('home', '5', '3');
  await s.type('2879999999');
  await s.press('ok');
  await leave('lookup');
  t.same(lastRequest('bills'), { provider: 'internet', customerCode: '2879999999' });
  t.equal(s.screen().stepId, 'no-bill', 'the flow\'s own not-found screen, not "central unreachable"');
});
