/**
 * Every screen of every flow, as a resident meets it: seeded random walks through the real flow files
 * in Vietnamese and in English, with central answering from the simulator's fixtures, devices that
 * sometimes fail, payments that are paid, and residents who sometimes wait for timeouts. Every screen
 * published is checked for what a resident must never see: an empty title, a raw catalog key, an
 * unfilled template, `undefined`, English words on a Vietnamese screen or Vietnamese words on an
 * English one.
 */
import t from 'tap';
import { loadFlowBundle, formatFlowProblems } from '../../runtime/flows/bundle.js';
import { StationError } from '../../runtime/kernel/errors.js';
import type { Key } from '../../runtime/kernel/input.js';
import type { Screen } from '../../runtime/flows/screen-model.js';
import type { PaymentRunner } from '../../runtime/flows/session.js';
import type { MeasurementKind } from '../../drivers/types.js';
import * as fixtures from '../../scripts/central-sim/fixtures.js';
import { SeededRandom } from '../../drivers/transports/seeded-random.js';
import { flowRig, flowsDir } from '../fakes/flow-kit.js';
import type { FlowRig } from '../fakes/flow-kit.js';

/** Every string the resident reads on a screen, with where it is. */
function texts(s: Screen): { where: string; text: string }[] {
  const out: { where: string; text: string }[] = [{ where: 'title', text: s.title }];
  (s.body ?? []).forEach((b, i) => out.push({ where: `body[${i}]`, text: b }));
  if (s.help) out.push({ where: 'help', text: s.help });
  for (const o of s.options ?? []) {
    out.push({ where: `option ${o.key}`, text: o.label });
    if (o.hint) out.push({ where: `option ${o.key} hint`, text: o.hint });
  }
  for (const r of s.rows ?? []) {
    out.push({ where: 'row label', text: r.label }, { where: `row ${r.label}`, text: String(r.value) });
    if (r.unit) out.push({ where: `row ${r.label} unit`, text: r.unit });
    if (r.band) out.push({ where: `row ${r.label} band`, text: r.band });
  }
  for (const k of s.keys ?? []) out.push({ where: `key ${k.key}`, text: k.label });
  if (s.progress?.label) out.push({ where: 'progress', text: s.progress.label });
  if (s.input?.placeholder) out.push({ where: 'placeholder', text: s.input.placeholder });
  return out;
}

const rawKey = /^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+$/;
/** Common English words that have no place on a Vietnamese screen (brand names and OK are fine). */
const englishOnVi = /(?<![\p{L}\p{N}])(the|and|or|of|to|your|you|please|press|month|months|page|from|not|found|error|cancel|back|home|help|yes|no|submit|confirm|amount|total|status|name|date|time|thanks?|done|finished|paid|pay|bill|code|phone|weight|height|pressure|temperature|pulse|normal|high|low|step|skip|delete|next|previous|wait|waiting|scan|print|receipt|min|bpm)(?![\p{L}\p{N}])/iu;
/** Vietnamese words that give away an untranslated text on an English screen. */
const vietnameseOnEn = /(?<![\p{L}\p{N}])(tháng|năm|ngày|giờ|phút|giây|lần|bấm|và|của|không|được|đang|xong|trang)(?![\p{L}\p{N}])/iu;

/** Lines of fixture data central sends (names, agencies, procedures): Vietnamese in both languages. */
function isCentralData(text: string): boolean {
  return /BỆNH VIỆN|Bệnh viện|UBND|Công an|Đăng ký|Cấp |Chứng thực|Xác nhận|NGUYỄN|TRẦN|LÊ|PHẠM|Công ty|CÔNG TY|Căn hộ|Trường|Học kỳ|phường/.test(text);
}

function problems(s: Screen): string[] {
  const out: string[] = [];
  const where = `${s.locale} ${s.flowId ?? 'home'}/${s.stepId ?? s.kind}`;
  if (s.title.trim() === '') out.push(`${where}: empty title`);
  for (const { where: w, text } of texts(s)) {
    if (rawKey.test(text.trim())) out.push(`${where} ${w}: raw key "${text}"`);
    if (/\{\{|\}\}|undefined|NaN|\[object/.test(text)) out.push(`${where} ${w}: unfilled "${text}"`);
    if (w !== 'key *' && s.locale === 'vi' && englishOnVi.test(text) && !isCentralData(text)) out.push(`${where} ${w}: English on a Vietnamese screen "${text}"`);
    // Row values carry central's own notes (in Vietnamese for every resident); labels and units must not.
    const centralValue = w.startsWith('row ') && w !== 'row label' && !w.endsWith(' unit') && !w.endsWith(' band');
    if (s.locale === 'en' && !centralValue && vietnameseOnEn.test(text) && !isCentralData(text)) out.push(`${where} ${w}: Vietnamese on an English screen "${text}"`);
  }
  return out;
}

/** Answers as the central simulator does, refusals as runtime/link/rpc.ts reports them. */
function centralFixtures(rig: FlowRig): void {
  const wrap = (fn: (p: Record<string, unknown>) => unknown) => (p: Record<string, unknown>) => {
    try {
      return fn(p);
    } catch (err) {
      if (err instanceof fixtures.FixtureError) throw new StationError('RPC_FAILED', err.message, { details: { centralCode: (err as { code?: string }).code } });
      throw err;
    }
  };
  rig.rpc.on('bills', wrap(fixtures.bills)).on('dossiers', wrap(fixtures.dossiers)).on('bhxh', wrap(fixtures.bhxh))
    .on('hospitals', wrap(() => fixtures.hospitals())).on('telehealth-slots', wrap((p) => fixtures.telehealthSlots({ from: '2026-11-26', ...p })))
    .on('bhyt-quote', wrap(fixtures.bhytQuote));
}

const paidLater = (rig: () => FlowRig): PaymentRunner => ({
  pay: (request, { signal, onState }) => new Promise((resolve) => {
    const paymentId = `CDS${request.reference.replace(/[^A-Z0-9]/gi, '').slice(0, 10)}`;
    onState({ state: 'CREATED', paymentId, qr: '000201010212', expiresAt: rig().clock.now() + (request.expiresInMs ?? 0) });
    const timer = rig().clock.setTimeout(() => {
      onState({ state: 'PAID', paymentId });
      resolve(undefined);
    }, 4000);
    signal.addEventListener('abort', () => {
      rig().clock.clearTimeout(timer);
      resolve(undefined);
    }, { once: true });
  }),
});

/** Values a resident would type into each validator: mostly valid, sometimes not. */
const typed: Record<string, string[]> = {
  cccd12: ['079085001234', '079304005678', '12345'],
  bhxhCode: ['7910012345', '7999999999'],
  digits: ['01000123456', '01000777888', '09999999999'],
  customerCode: ['13012345678', '2870654321', '7912301142', '021205', '99999'],
  dossierCode: ['0000000292601060001', '0000000292611180103', '0000000292611200008', '0000000292609300077', '0000000292601069999'],
  phone: ['0903123456', '0123'],
  personalIdOrBhxh: ['079085001234', '7910012345'],
  amount: ['50000'],
};

async function walk(rig: FlowRig, rng: SeededRandom, menuKey: string, locale: 'vi' | 'en', validators: Map<string, string>): Promise<void> {
  if (locale === 'en') await rig.press('*');
  await rig.press(menuKey as Key);
  for (let i = 0; i < 60 && rig.session.current().kind !== 'home'; i++) {
    const s = rig.session.current();
    if (s.kind === 'lookup' || (s.progress && !s.options?.length && s.kind !== 'info' && s.kind !== 'result') || s.kind === 'pay') {
      await rig.wait(s.kind === 'pay' ? 5000 : 2500);
      continue;
    }
    if (s.kind === 'input' || s.kind === 'identity') {
      const validator = s.kind === 'identity' ? 'cccd12' : validators.get(`${s.flowId}/${s.stepId}`) ?? 'digits';
      const choices = typed[validator] ?? ['1'];
      if (rng.next() < 0.1 && s.kind === 'identity') {
        rig.session.input({ type: 'scan', text: '079085001234||Nguyễn Văn An|15031985|Nam|12 Lý Thường Kiệt, Quận 10, TP.HCM|01052021' });
        await rig.wait(0);
        continue;
      }
      rig.session.input({ type: 'text', text: choices[Math.floor(rng.next() * choices.length)]! });
      await rig.press('ok');
      continue;
    }
    const r = rng.next();
    if (r < 0.04) {
      await rig.wait(70_000);
      continue;
    }
    const keys: Key[] = [...(s.options ?? []).map((o) => o.key), ...(s.keys ?? []).map((k) => k.key).filter((k) => k !== 'home')];
    if (s.kind === 'measure') keys.push('ok', 'ok', 'ok');
    const key = keys.length ? keys[Math.floor(rng.next() * keys.length)]! : 'ok';
    await rig.press(key);
    if (s.kind === 'measure' && key === 'ok') await rig.wait(3000);
  }
  for (let i = 0; i < 12 && rig.session.current().kind !== 'home'; i++) await rig.wait(30_000);
}

t.test('no screen of any flow shows a raw key, an empty title or the other language', async (t) => {
  const loaded = await loadFlowBundle(flowsDir);
  if (!loaded.ok) throw new Error(formatFlowProblems(loaded.problems).join('\n'));
  const bundle = loaded.bundle;
  const validators = new Map<string, string>();
  for (const flow of Object.values(bundle.flows)) {
    for (const [id, step] of Object.entries(flow.steps)) if (step.kind === 'input') validators.set(`${flow.id}/${id}`, step.validator);
  }
  const rig: FlowRig = await flowRig({ bundle, payments: paidLater(() => rig) });
  centralFixtures(rig);
  const found = new Map<string, number>();
  const seen = new Set<string>();
  rig.session.subscribe((s) => {
    seen.add(`${s.locale} ${s.flowId ?? 'home'}/${s.stepId ?? s.kind}`);
    for (const p of problems(s)) found.set(p, (found.get(p) ?? 0) + 1);
  });
  const rng = new SeededRandom(20261125);
  const failing: MeasurementKind[] = ['weight', 'height', 'spo2', 'bloodPressure', 'temperature'];
  const receipts: { locale: 'vi' | 'en'; lines: string[] }[] = [];
  for (const locale of ['vi', 'en'] as const) {
    const printedBefore = rig.printer.receipts.length;
    for (const entry of bundle.homeMenu) {
      for (let n = 0; n < 12; n++) {
        if (rng.next() < 0.3) rig.devices.script(failing[Math.floor(rng.next() * failing.length)]!, { fail: 'DEVICE_TIMEOUT', afterMs: 1000 });
        rig.rpc.offline = rng.next() < 0.08;
        await walk(rig, rng, entry.key, locale, validators);
      }
    }
    rig.session.input({ type: 'emergency' });
    await rig.wait(0);
    if (locale === 'en') {
      await rig.press('home', '*');
      rig.session.input({ type: 'emergency' });
      await rig.wait(0);
    }
    for (let i = 0; i < 12 && rig.session.current().kind !== 'home'; i++) await rig.wait(30_000);
    for (const r of rig.printer.receipts.slice(printedBefore)) receipts.push({ locale, lines: r.map((l) => l.text ?? '').filter(Boolean) });
  }
  rig.rpc.offline = false;
  // Receipts are read at home: the same checks as a screen whose body is the receipt's lines.
  t.ok(receipts.some((r) => r.locale === 'vi') && receipts.some((r) => r.locale === 'en'), `${receipts.length} receipts printed in both languages`);
  for (const r of receipts) {
    for (const p of problems({ kind: 'result', locale: r.locale, stepId: 'receipt', title: r.lines[0] ?? '', body: r.lines.slice(1), keys: [] })) found.set(p, (found.get(p) ?? 0) + 1);
  }
  await rig.session.stop();
  const steps = Object.values(bundle.flows).reduce((n, f) => n + Object.keys(f.steps).length, 0);
  t.ok(seen.size > steps, `walked ${seen.size} distinct screens over ${steps} steps in two languages`);
  t.same([...found.keys()].sort(), [], 'nothing a resident should not see');
});

t.test('every step of every flow, its help and every failure screen, rendered in both languages', async (t) => {
  const { defaultEngineConfig, initialSnapshot, renderScreen } = await import('../../runtime/flows/engine.js');
  const loaded = await loadFlowBundle(flowsDir);
  if (!loaded.ok) throw new Error(formatFlowProblems(loaded.problems).join('\n'));
  const def = { bundle: loaded.bundle, config: defaultEngineConfig };
  const found: string[] = [];
  let screens = 0;
  const check = (s: Screen) => {
    screens += 1;
    found.push(...problems(s));
  };
  for (const locale of ['vi', 'en'] as const) {
    const home = { ...initialSnapshot(def.config), locale };
    check(renderScreen(def, home));
    check(renderScreen(def, { ...home, help: true }));
    check(renderScreen(def, { ...home, maintenance: true }));
    for (const flow of Object.values(loaded.bundle.flows)) {
      const run = { sessionId: 's', analyticsId: 'a', flowId: flow.id, flowVersion: flow.version, startedAt: 0, steps: [] };
      const base = { ...home, run, data: { station: { ...def.config.station } }, history: ['x'] };
      for (const [stepId, step] of Object.entries(flow.steps)) {
        const phases = step.kind === 'measure' ? ['ready', 'working', 'failed'] as const : ['lookup', 'submit', 'print', 'pay'].includes(step.kind) ? ['working'] as const : ['ready'] as const;
        for (const phase of phases) {
          const state = { phase, value: '', attempts: 1, page: 0, ...(phase === 'failed' ? { error: 'measure.failed' } : {}) };
          check(renderScreen(def, { ...base, stepId, step: state }));
          check(renderScreen(def, { ...base, stepId, step: state, help: true }));
        }
        if (step.kind === 'input' || step.kind === 'identity') {
          check(renderScreen(def, { ...base, stepId, step: { phase: 'ready', value: '', attempts: 1, page: 0, error: 'invalid.empty' } }));
        }
      }
      const first = { ...base, stepId: flow.start, step: { phase: 'ready' as const, value: '', attempts: 0, page: 0 } };
      check(renderScreen(def, { ...first, idleUntil: 20_000, countdown: 20 }));
      for (const cause of ['device', 'central', 'input', 'journal', 'printer', undefined] as const) {
        check(renderScreen(def, { ...first, notice: { kind: 'failed', ...(cause ? { cause } : {}), code: 'RPC_TIMEOUT' } }));
      }
      check(renderScreen(def, { ...first, notice: { kind: 'abandoned' } }));
    }
  }
  t.ok(screens > 400, `${screens} screens rendered`);
  t.same([...new Set(found)].sort(), [], 'nothing a resident should not see');
});

t.test('the check finds what it looks for', async (t) => {
  const vi: Screen = { kind: 'info', locale: 'vi', title: ' ', body: ['failure.central', 'Press OK to go on', 'Mã {{ma}}', 'Thanh toán hóa đơn tiền điện'], keys: [{ key: '*', label: 'English' }] };
  t.same(problems(vi).map((p) => p.replace(/^vi home\/info /, '').split(':')[0]), ['vi home/info', 'body[0]', 'body[1]', 'body[2]'], 'empty title, raw key, English, unfilled; the language key and Vietnamese words pass');
  const en: Screen = { kind: 'result', locale: 'en', title: 'History', rows: [{ label: '2019-03 – 2021-06 (28 tháng)', value: 'Đã trả kết quả — Ngành nghề không phù hợp' }], keys: [] };
  t.equal(problems(en).length, 1, 'a Vietnamese row label on an English screen; central\'s note in a value passes');
});
