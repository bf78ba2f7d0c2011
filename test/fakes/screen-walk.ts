/**
 * Every screen the flow engine can show, found by walking the pure transition: from the home screen,
 * each reachable snapshot is fed every key, valid and invalid typed values, a scanned card, and for
 * the effect it waits on a success, a failure and its timeout (central answers from the central
 * simulator's fixtures). Screens are told apart by what they show, not by counters, so a countdown
 * tick or a live reading is not a new screen. The layout audit and the next-resident canary use it.
 */
import { createHash } from 'node:crypto';
import type { Screen } from '../../runtime/flows/screen-model.js';
import type { Key } from '../../runtime/kernel/input.js';
import type { FlowBundle, Locale } from '../../runtime/flows/types.js';
import {
  defaultEngineConfig, initialSnapshot, transition, type EngineConfig, type EngineEvent, type FlowEffect, type FlowSnapshot,
} from '../../runtime/flows/engine.js';
import type { MeasurementKind, MeasurementValues } from '../../drivers/types.js';
import { buildVietQr } from '../../runtime/services/vietqr.js';
import * as fixtures from '../../scripts/central-sim/fixtures.js';

export interface WalkedScreen {
  /** Stable name for files and messages: `flow.step.variant`. */
  name: string;
  screen: Screen;
  /** How it was reached from home, for a person reading a failure. */
  path: string[];
  /** The engine's state showing it, to go on from (the next-resident canary). */
  snapshot: FlowSnapshot;
}

const keys: Key[] = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '*', '#', 'ok', 'back', 'help'];

/** Values a resident might type: every fixture code and number, and one that no validator accepts. */
export const typedValues = [
  '079085001234', '079304005678', '7910012345', '7920045678', '0901234567', '01000123456', '01000654321',
  ...['260106', '261104', '261110', '261118', '261120', '261012', '260930', '260815'].map((d, i) => `000000029${d}${['0001', '0017', '0042', '0103', '0008', '0230', '0077', '0011'][i]}`),
  '123',
];

export const scannedCard = '079085001234|280123456|Nguyễn Văn An|01011985|Nam|12 Nguyễn Văn Giáp, Bình Trưng, TP.HCM|01012022';

const highReadings: { [K in MeasurementKind]: MeasurementValues[K] } = {
  weight: { weightKg: 81.3 },
  height: { heightCm: 158 },
  spo2: { spo2: 91, heartRate: 118, perfusionIndex: 1.2 },
  bloodPressure: { systolic: 168, diastolic: 102, map: 124, pulse: 96 },
  temperature: { celsius: 38.4 },
};
const normal: { [K in MeasurementKind]: MeasurementValues[K] } = {
  weight: { weightKg: 62.4 },
  height: { heightCm: 165 },
  spo2: { spo2: 97, heartRate: 72, perfusionIndex: 2.1 },
  bloodPressure: { systolic: 118, diastolic: 76, map: 90, pulse: 74 },
  temperature: { celsius: 36.6 },
};
const device: Record<MeasurementKind, string> = { weight: 'scale', height: 'height', spo2: 'spo2', bloodPressure: 'bloodPressure', temperature: 'thermometer' };

function rpcAnswer(service: string, params: Record<string, unknown>): { ok: true; data: unknown } | { ok: false; notFound: boolean } {
  try {
    switch (service) {
      case 'bills': return { ok: true, data: fixtures.bills(params) };
      case 'dossiers': return { ok: true, data: fixtures.dossiers(params) };
      case 'bhxh': return { ok: true, data: fixtures.bhxh(params) };
      case 'hospitals': return { ok: true, data: fixtures.hospitals() };
      case 'telehealth-slots': return { ok: true, data: fixtures.telehealthSlots({ from: '2026-12-05', ...params }) };
      case 'bhyt-quote': return { ok: true, data: fixtures.bhytQuote(params) };
      default: return { ok: false, notFound: false };
    }
  } catch (err) {
    return { ok: false, notFound: err instanceof fixtures.FixtureError && err.code === 'NOT_FOUND' };
  }
}

type WorkEffect = Extract<FlowEffect, { type: 'measure' | 'rpc' | 'record' | 'print' | 'pay' }>;

function isWork(e: FlowEffect): e is WorkEffect {
  return e.type === 'measure' || e.type === 'rpc' || e.type === 'record' || e.type === 'print' || e.type === 'pay';
}

/** The events worth trying in `snapshot`, which waits on `pending` when it is set. */
function eventsFor(snapshot: FlowSnapshot, pending: WorkEffect | undefined, now: number): { label: string; event: EngineEvent }[] {
  const out: { label: string; event: EngineEvent }[] = [];
  if (snapshot.timerId) out.push({ label: 'timer', event: { type: 'timer', timerId: snapshot.timerId } });
  if (pending?.type === 'pay' && snapshot.step.qr) {
    for (const state of ['PAID', 'EXPIRED'] as const) {
      out.push({ label: state, event: { type: 'payment-state', effectId: pending.effectId, state, paymentId: 'pay-1' } });
    }
    return out;
  }
  for (const e of pending ? [pending] : []) {
    switch (e.type) {
      case 'measure': {
        const id = e.effectId;
        out.push({ label: 'progress', event: { type: 'measure-progress', effectId: id, progress: { kind: e.kind, phase: e.kind === 'bloodPressure' ? 'inflating' : 'settling', ...(e.kind === 'bloodPressure' ? { cuffPressure: 142 } : e.kind === 'weight' ? { liveValue: 61.8 } : e.kind === 'spo2' ? { secondsLeft: 12 } : {}) } as never } });
        for (const [label, values] of [['normal', normal], ['high', highReadings]] as const) {
          out.push({ label: `measured-${label}`, event: { type: 'measured', effectId: id, measurement: { kind: e.kind, at: now, values: values[e.kind], device: device[e.kind] } as never } });
        }
        out.push({ label: 'measure-failed', event: { type: 'measure-failed', effectId: id, error: { code: 'DEVICE_READ_FAILED', message: 'read failed' } } });
        out.push({ label: 'device-missing', event: { type: 'measure-failed', effectId: id, error: { code: 'DEVICE_MISSING', message: 'missing' } } });
        break;
      }
      case 'rpc': {
        const answer = rpcAnswer(e.service, e.params);
        if (answer.ok) out.push({ label: `rpc-ok`, event: { type: 'rpc-ok', effectId: e.effectId, data: answer.data } });
        else if (answer.notFound) out.push({ label: 'rpc-not-found', event: { type: 'rpc-not-found', effectId: e.effectId } });
        out.push({ label: 'rpc-failed', event: { type: 'rpc-failed', effectId: e.effectId, error: { code: 'RPC_UNAVAILABLE', message: 'down' } } });
        break;
      }
      case 'record':
        out.push({ label: 'recorded', event: { type: 'recorded', effectId: e.effectId, eventId: 'st:1:7' } });
        out.push({ label: 'record-failed', event: { type: 'record-failed', effectId: e.effectId, error: { code: 'JOURNAL_FULL', message: 'full' } } });
        break;
      case 'print':
        out.push({ label: 'printed', event: { type: 'printed', effectId: e.effectId } });
        out.push({ label: 'print-failed', event: { type: 'print-failed', effectId: e.effectId, error: { code: 'PRINTER_PAPER_OUT', message: 'paper' } } });
        break;
      case 'pay': {
        const qr = buildVietQr({
          bankBin: '970436', account: '0071000123456', amount: e.request.amount, bill: e.request.reference.slice(0, 25) || 'REF', terminal: 'hcm-station-00',
          purpose: (e.request.purpose ?? '').slice(0, 25),
        });
        out.push({ label: 'qr', event: { type: 'payment-state', effectId: e.effectId, state: 'PENDING', paymentId: 'pay-1', qr, expiresAt: now + 300_000 } });
        out.push({ label: 'pay-failed', event: { type: 'pay-failed', effectId: e.effectId, error: { code: 'PAYMENT_FAILED', message: 'refused' } } });
        break;
      }
    }
  }
  return out;
}

/** What makes a screen a different one to look at: everything but live numbers. */
function screenKey(screen: Screen): string {
  // Which flow and step drew it does not change how it looks: the idle warning is one screen.
  const { countdown: _c, progress, input, flowId: _f, stepId: _s, ...rest } = screen;
  const shown = {
    ...rest,
    ...(progress ? { progress: { label: progress.label, hasValue: progress.value !== undefined } } : {}),
    ...(input ? { input: { ...input, value: input.value.length === 0 ? '' : input.value.length >= input.maxLength ? 'full' : 'typed' } } : {}),
  };
  // Digits become 0: codes and amounts of the same length lay out alike.
  return createHash('sha256').update(JSON.stringify(shown).replace(/[0-9]/g, '0')).digest('hex').slice(0, 16);
}

interface Node {
  snapshot: FlowSnapshot;
  effects: FlowEffect[];
  pending: WorkEffect | undefined;
  path: string[];
}

function pendingAfter(parent: WorkEffect | undefined, effects: FlowEffect[], snapshot: FlowSnapshot): WorkEffect | undefined {
  const id = snapshot.step.effectId;
  if (!id) return undefined;
  return effects.find((e): e is WorkEffect => isWork(e) && e.effectId === id) ?? (parent?.effectId === id ? parent : undefined);
}

/**
 * Walks every flow in `locale`. `perFlowLimit` bounds the screens kept per flow (data-driven lists
 * could otherwise multiply them); the walk is breadth-first, so the first screens of every branch come first.
 */
export function walkScreens(bundle: FlowBundle, locale: Locale, options: { perFlowLimit?: number; config?: EngineConfig } = {}): WalkedScreen[] {
  const config = { ...(options.config ?? defaultEngineConfig), defaultLocale: locale };
  const def = { bundle, config };
  const limit = options.perFlowLimit ?? 80;
  const seen = new Map<string, WalkedScreen>();
  const perFlow = new Map<string, number>();
  let clock = Date.UTC(2026, 11, 4, 2, 0, 0);
  let entropy = 0;
  const ctx = () => ({ now: (clock += 1000), entropy: `00000000-0000-4000-8000-${String(++entropy).padStart(12, '0')}`, analyticsId: `a-${entropy}` });

  const start = transition(def, initialSnapshot(config), { type: 'maintenance', on: false }, ctx());
  const maintenance = transition(def, initialSnapshot(config), { type: 'maintenance', on: true }, ctx());
  const queue: Node[] = [
    { snapshot: start.snapshot, effects: start.effects, pending: undefined, path: [] },
    { snapshot: maintenance.snapshot, effects: maintenance.effects, pending: undefined, path: ['maintenance'] },
  ];
  const nodeSeen = new Set<string>();
  while (queue.length > 0) {
    const node = queue.shift() as Node;
    const show = node.effects.filter((e) => e.type === 'show').at(-1);
    if (!show || show.type !== 'show') continue;
    const screen = show.screen;
    const key = screenKey(screen);
    const flowId = screen.flowId ?? 'home';
    // A screen already seen is expanded again only if the step's state differs (the same screen
    // can lead on differently, e.g. an empty field and a half-typed one).
    const asked = node.pending?.type === 'rpc' ? JSON.stringify(node.pending.params) : '';
    const stateKey = `${key}:${node.snapshot.run?.flowId}:${node.snapshot.step.phase}:${node.snapshot.step.value.length > 0}:${node.snapshot.stepId}:${node.snapshot.timerId !== undefined}:${asked}`;
    if (nodeSeen.has(stateKey)) continue;
    nodeSeen.add(stateKey);
    if (!seen.has(key)) {
      const count = perFlow.get(flowId) ?? 0;
      if (count >= limit) continue;
      perFlow.set(flowId, count + 1);
      const variant = [screen.kind, node.snapshot.help ? 'help' : '', screen.errorCode ?? ''].filter(Boolean).join('-');
      seen.set(key, { name: `${flowId}.${screen.stepId ?? variant}.${count}`, screen, path: node.path, snapshot: node.snapshot });
    }
    const next = (label: string, event: EngineEvent) => {
      const r = transition(def, node.snapshot, event, ctx());
      queue.push({ snapshot: r.snapshot, effects: r.effects, pending: pendingAfter(node.pending, r.effects, r.snapshot), path: [...node.path, label] });
    };
    const typing = screen.kind === 'input' || screen.kind === 'identity';
    for (const k of keys) {
      // Digits on a field only type (the typed values below cover them); `*` at home only changes the language.
      if (typing && /^[0-9]$/.test(k) && k !== '1') continue;
      if (screen.kind === 'home' && k === '*') continue;
      next(k, { type: 'key', key: k });
    }
    if (typing) {
      for (const text of typedValues) {
        const typed = transition(def, node.snapshot, { type: 'text', text }, ctx());
        const r = transition(def, typed.snapshot, { type: 'key', key: 'ok' }, ctx());
        queue.push({ snapshot: r.snapshot, effects: r.effects, pending: pendingAfter(node.pending, r.effects, r.snapshot), path: [...node.path, `type ${text}`, 'ok'] });
      }
      if (screen.kind === 'identity') next('scan card', { type: 'scan', text: scannedCard });
    }
    next('emergency', { type: 'emergency' });
    for (const { label, event } of eventsFor(node.snapshot, node.pending, clock)) next(label, event);
  }
  return [...seen.values()];
}
