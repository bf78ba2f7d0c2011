/**
 * Drives the station's real FlowSession with simulated residents: each planned visit
 * (scripts/resident-behaviour.ts) walks up at its time, picks its service on the home screen, scans
 * its CCCD when asked, presses through the real flow files on the keypad, and either finishes, walks
 * away (the idle wipe ends the session) or meets a failing device or an unreachable central. The
 * session's own analytics events are what gets counted, so usage data comes from the real flows.
 *
 * Central and the devices are in-process stand-ins answering the shapes of docs/services.md; time is
 * a virtual clock, so two months of lobby use run in seconds.
 */
import type { Clock } from '../runtime/kernel/clock.js';
import type { Logger } from '../runtime/kernel/logger.js';
import { StationError } from '../runtime/kernel/errors.js';
import type { InputEvent, Key } from '../runtime/kernel/input.js';
import type { RecordKind, RecordSink, RecordedEvent, RpcClient, RpcService } from '../runtime/flows/ports.js';
import type { Screen } from '../runtime/flows/screen-model.js';
import type { SessionAnalyticsEvent, SessionAnalyticsSink } from '../runtime/analytics/events.js';
import type { Measurement, MeasurementKind, MeasurementValues, MeasureOptions, MeasureService } from '../drivers/types.js';
import { FlowSession, paymentRunnerFor } from '../runtime/flows/session.js';
import { defaultEngineConfig } from '../runtime/flows/engine.js';
import type { FlowSnapshot } from '../runtime/flows/engine.js';
import type { FlowBundle } from '../runtime/flows/types.js';
import { PaymentService } from '../runtime/services/payment.js';
import type { PaymentRecord } from '../runtime/services/payment.js';
import { SeededRandom } from '../drivers/transports/seeded-random.js';
import { VirtualClock } from '../runtime/kernel/virtual-clock.js';

export { VirtualClock };
import type { PlannedVisit } from './resident-behaviour.js';

/** The QR text with the birth year moved by ten years, so it fails the CCCD cross-check. */
function wornQr(qr: string): string {
  const fields = qr.split('|');
  const birth = fields[3] ?? '';
  fields[3] = birth.slice(0, 4) + String(Number(birth.slice(4)) + 10);
  return fields.join('|');
}

/** The device behind the planned failing step (the behaviour model names measure steps by device). */
function failingDevice(visit: PlannedVisit): MeasurementKind {
  const step = visit.ending.outcome === 'failed' ? visit.ending.atStep : 0;
  const byStep: Record<number, MeasurementKind> = { 3: 'weight', 4: 'height', 5: 'spo2', 6: 'bloodPressure', 7: 'temperature' };
  return byStep[step] ?? 'bloodPressure';
}

/** Central's services as docs/services.md describes them, answered in-process. */
class LobbyCentral implements RpcClient {
  /** Central is unreachable during the visit being driven (payment confirmations still arrive). */
  unreachable = false;
  private readonly rng: SeededRandom;
  constructor(seed: number, private readonly clock: Clock) {
    this.rng = new SeededRandom(seed);
  }

  async call<T = unknown>(service: RpcService, params: Record<string, unknown>): Promise<T> {
    if (this.unreachable && service !== 'payment-status') throw new StationError('RPC_UNAVAILABLE', 'central is unreachable', { transient: true });
    const day = new Date(this.clock.now() + 7 * 3_600_000);
    const date = (offset: number) => new Date(day.getTime() + offset * 86_400_000).toISOString().slice(0, 10);
    switch (service) {
      case 'bills': {
        const amount = 1000 * Math.round(this.rng.between(80, 900));
        return { providerName: 'EVN HCMC', service: 'electricity', customerName: 'Khách hàng', bills: [{ billId: 'B1', period: date(0).slice(0, 7), amount }], total: amount } as T;
      }
      case 'payment-status':
        return { paymentId: params.paymentId, status: 'paid', amount: params.amount, bankRef: 'FT-SIM' } as T;
      case 'dossiers':
        return { code: params.code, procedure: 'Đăng ký thường trú', agency: 'UBND phường Bình Trưng', status: 'processing', receivedAt: date(-5), dueAt: date(5), events: [{ status: 'received', at: date(-5) }] } as T;
      case 'bhxh':
        return { bhxhCode: '7912345678', totalMonths: 120, periods: [{ from: '2015-01', to: '2024-12', months: 120, employer: 'Công ty TNHH Sao Mai', salary: 9_000_000 }] } as T;
      case 'hospitals':
        return [{ id: 'h1', name: 'Bệnh viện Lê Văn Thịnh', district: 'Thủ Đức', specialties: [{ id: 'noi', name: 'Nội tổng quát' }, { id: 'tim', name: 'Tim mạch' }] }] as T;
      case 'telehealth-slots':
        return { slots: [{ slotId: 's1', date: date(1), time: '08:30', doctor: 'BS. Trần Minh' }, { slotId: 's2', date: date(2), time: '14:00' }] } as T;
      case 'bhyt-quote':
        return { baseSalary: 2_340_000, months: params.months, total: 1_263_600 } as T;
      default:
        throw new StationError('RPC_FAILED', `no answer for ${service as string}`);
    }
  }
}

/** Health devices that measure plausible values after a realistic time, or time out when the visit says so. */
class LobbyDevices implements MeasureService {
  /** The device that times out during the visit being driven. */
  failing: MeasurementKind | undefined;
  private readonly rng: SeededRandom;
  constructor(seed: number, private readonly clock: Clock) {
    this.rng = new SeededRandom(seed);
  }

  measure<K extends MeasurementKind>(kind: K, options: MeasureOptions = {}): Promise<Measurement<K>> {
    const r = this.rng;
    const values: { [M in MeasurementKind]: MeasurementValues[M] } = {
      weight: { weightKg: Math.round(r.between(45, 85) * 10) / 10 },
      height: { heightCm: Math.round(r.between(148, 178)) },
      spo2: { spo2: Math.round(r.between(94, 99)), heartRate: Math.round(r.between(60, 95)), perfusionIndex: 2 },
      bloodPressure: { systolic: Math.round(r.between(105, 160)), diastolic: Math.round(r.between(65, 95)), map: 90, pulse: Math.round(r.between(60, 95)) },
      temperature: { celsius: Math.round(r.between(36.1, 37.3) * 10) / 10 },
    };
    const seconds = { weight: 4, height: 3, spo2: 20, bloodPressure: 45, temperature: 2 }[kind];
    const fail = this.failing === kind;
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        options.signal?.removeEventListener('abort', onAbort);
        if (fail) reject(new StationError('DEVICE_TIMEOUT', undefined, { transient: true }));
        else resolve({ kind, at: this.clock.now(), values: values[kind] as MeasurementValues[K], device: deviceName[kind] });
      }, seconds * 1000);
      const onAbort = () => {
        this.clock.clearTimeout(timer);
        reject(new StationError('DEVICE_ABORTED'));
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

const deviceName: Record<MeasurementKind, Measurement['device']> = {
  weight: 'scale', height: 'height', spo2: 'spo2', bloodPressure: 'bloodPressure', temperature: 'thermometer',
};

class DiscardedRecords implements RecordSink {
  private seq = 0;
  async record(_kind: RecordKind, _payload: Record<string, unknown>): Promise<RecordedEvent> {
    this.seq += 1;
    return { eventId: `SIM:1:${this.seq}`, recordedAt: 0 };
  }
}

/** A dossier receipt code in the one-stop-shop format (docs/services.md). */
const dossierCode = '000.00.00.H29-260106-0001';
/** An EVN HCMC customer code. */
const customerCode = 'PE01000123456';

/** The home-screen key of each service (flows/*.yaml home entries). */
export const homeKeys: Record<string, Key> = {
  'health-check': '1', 'telehealth-appointment': '2', 'dossier-lookup': '3', 'dossier-submission': '4', 'bill-payment': '5',
  'security-report': '6', 'bhyt-registration': '7', 'bhxh-lookup': '8', 'digital-signature': '9', notices: '0',
};

export interface SessionDriverOptions {
  bundle: FlowBundle;
  clock: VirtualClock;
  logger: Logger;
  seed: number;
  /** Receives the session's analytics events (the station's analytics component). */
  analytics: SessionAnalyticsSink;
}

/** Outcome of driving one visit through the real session. */
export interface DrivenVisit {
  event: SessionAnalyticsEvent | undefined;
  inputs: number;
}

/** The lobby: one FlowSession with stand-in central and devices, and residents taking turns. */
export class ResidentSessionDriver {
  private readonly central: LobbyCentral;
  private readonly devices: LobbyDevices;
  private readonly payments: PaymentService;
  private readonly session: FlowSession;
  private readonly ended: SessionAnalyticsEvent[] = [];
  private readonly rng: SeededRandom;

  constructor(private readonly options: SessionDriverOptions) {
    const { clock, logger } = options;
    this.rng = new SeededRandom(options.seed ^ 0xd1e5);
    this.central = new LobbyCentral(options.seed, clock);
    this.devices = new LobbyDevices(options.seed + 1, clock);
    const records = new DiscardedRecords();
    let ledger: PaymentRecord[] = [];
    this.payments = new PaymentService({
      clock, logger, records, rpc: this.central, stationId: 'SIM-01', bankBin: '970436', account: '1017788990',
      ledger: { load: async () => ledger, save: async (p) => { ledger = p; } }, pollIntervalMs: 3000, reconcileIntervalMs: 60_000,
      reconcileWindowMs: 600_000,
    });
    let snapshot: FlowSnapshot | null = null;
    this.session = new FlowSession({
      bundle: options.bundle, config: { ...defaultEngineConfig, station: { ...defaultEngineConfig.station, id: 'SIM-01', building: 'Đảo Kim Cương', ward: 'Bình Trưng' } },
      clock, logger, measure: this.devices, rpc: this.central, records, printer: { print: async () => undefined },
      payments: paymentRunnerFor(this.payments), store: { save: async (s) => { snapshot = s; }, load: async () => snapshot },
      analytics: { sessionEnded: (e) => { this.ended.push(e); options.analytics.sessionEnded(e); } },
    });
  }

  async start(): Promise<void> {
    await this.payments.start();
    await this.session.start();
  }

  async stop(): Promise<void> {
    await this.session.stop();
    await this.payments.stop();
  }

  private async send(event: InputEvent, thinkS: number): Promise<void> {
    const fromHome = this.session.current().kind === 'home';
    await this.options.clock.advance(thinkS * 1000);
    // Wiped while the resident was thinking: a key meant for a service screen would start an
    // unplanned session from the home menu, so the resident, seeing the home screen, presses nothing.
    if (!fromHome && this.session.current().kind === 'home') return;
    this.session.input(event);
    await this.options.clock.advance(0);
  }

  /** The key a resident presses to go on from this screen. */
  private next(screen: Screen, visit: PlannedVisit): InputEvent | undefined {
    const keys = new Set((screen.options ?? []).map((o) => o.key));
    const press = (key: Key): InputEvent => ({ type: 'key', key });
    // The dossier form (flows/procedures/) is not modelled: these residents leave it to the one-stop
    // desk at the form, so the visit still ends here and the next one starts on the home screen.
    if (screen.flowId === 'dossier-submission' && screen.stepId === 'form') return press('home');
    switch (screen.kind) {
      case 'home':
      case 'maintenance':
        return press(homeKeys[visit.service] ?? '0');
      case 'identity':
        if (screen.input?.value) return press('ok');
        // A planned input failure is a worn card: the QR's birth date no longer matches the number's digits.
        if (visit.ending.outcome === 'failed' && visit.ending.cause === 'input') return { type: 'scan', text: wornQr(visit.resident.qr) };
        return visit.showsCccd ? { type: 'scan', text: visit.resident.qr } : { type: 'text', text: visit.resident.cccd };
      case 'input': {
        if (screen.input?.value) return press('ok');
        const max = screen.input?.maxLength ?? 10;
        if (screen.input?.charset === 'code') return { type: 'text', text: (screen.flowId === 'dossier-lookup' ? dossierCode : customerCode).slice(0, max) };
        if (max === 12) return { type: 'text', text: visit.resident.cccd };
        // Ten digits is a phone number; other lengths are codes printed on a bill.
        return { type: 'text', text: max === 10 ? '0903123456' : '01000123456789'.padEnd(max, '7').slice(0, max) };
      }
      case 'measure':
        return screen.progress ? undefined : press('ok');
      case 'pay':
      case 'lookup':
        return undefined;
      case 'result':
        // Health check results: some residents print, some send them to a doctor (which asks for the CCCD).
        if (screen.flowId === 'health-check' && keys.has('2') && visit.showsCccd && this.rng.next() < 0.5) return press('2');
        if (keys.has('1') && screen.flowId === 'health-check' && this.rng.next() < 0.5) return press('1');
        return screen.keys.some((k) => k.key === 'ok') ? press('ok') : keys.size > 0 ? press([...keys][0]!) : press('home');
      default: {
        if (keys.has('1')) return press('1');
        if (screen.keys.some((k) => k.key === 'ok')) return press('ok');
        if (keys.size > 0) return press([...keys][0]!);
        return undefined;
      }
    }
  }

  /**
   * Plays one visit: the resident arrives at `visit.startedAt`, and leaves when the flow ends, or
   * after `visit.stepSeconds.length` screens when the plan says they walk away.
   */
  async drive(visit: PlannedVisit): Promise<DrivenVisit> {
    const clock = this.options.clock;
    if (clock.now() < visit.startedAt) await clock.advance(visit.startedAt - clock.now());
    const failing = visit.ending.outcome === 'failed' ? visit.ending.cause : undefined;
    this.central.unreachable = failing === 'central';
    this.devices.failing = failing === 'device' && visit.ending.outcome === 'failed' ? failingDevice(visit) : undefined;
    for (let i = 0; i < 10 && this.session.current().kind !== 'home'; i++) await clock.advance(15_000);
    const before = this.ended.length;
    const walkAwayAfter = visit.ending.outcome === 'abandoned' ? visit.ending.atStep + 1 : Infinity;
    let inputs = 0;
    let screens = 0;
    let lastKey = '';
    let sameScreenInputs = 0;
    let waitedMs = 0;
    while (this.ended.length === before && inputs < 80 && waitedMs < 600_000) {
      const screen = this.session.current();
      // The service is over once its end screen shows; the feedback question after it is handled below.
      if ((screen.kind === 'end' && screen.stepId !== undefined) || screen.flowId === 'feedback') break;
      const key = `${screen.flowId ?? ''}/${screen.stepId ?? ''}/${screen.kind}`;
      if (key !== lastKey) {
        screens += 1;
        lastKey = key;
        sameScreenInputs = 0;
      }
      // The resident leaves at the planned screen, or gives up when pressing changes nothing.
      if (screens > walkAwayAfter || sameScreenInputs > 4) break;
      const event = this.next(screen, visit);
      if (event === undefined) {
        await clock.advance(5000);
        waitedMs += 5000;
        continue;
      }
      const think = visit.stepSeconds[Math.min(screens - 1, visit.stepSeconds.length - 1)] ?? 10;
      await this.send(event, Math.max(1, Math.round(think * this.rng.between(0.2, 0.6))));
      inputs += 1;
      sameScreenInputs += 1;
    }
    // After a completed service the station asks for feedback only when the resident presses OK on
    // the end screen: those who plan to answer (about a third, with every rating occurring) do; the
    // others walk away and the end screen returns home by itself. The answer (or its absence)
    // completes the service's own event.
    if (this.ended.length === before && this.session.current().kind === 'end' && visit.rating !== null) {
      await this.send({ type: 'key', key: 'ok' }, 2);
    }
    if (this.ended.length === before && this.session.current().flowId === 'feedback' && visit.rating !== null) {
      await this.send({ type: 'key', key: String(visit.rating) as Key }, 4);
    }
    // Walked away (or done): the idle warning and wipe end whatever is left, as in the lobby. A health
    // check left alone asks again at each measurement and skips it before its result times out: up to
    // half an hour.
    for (let i = 0; i < 60 && this.ended.length === before; i++) await clock.advance(30_000);
    const event = this.ended[before];
    return { event, inputs };
  }
}
