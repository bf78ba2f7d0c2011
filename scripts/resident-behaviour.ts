/**
 * A resident-behaviour model of the lobby at Đảo Kim Cương: who comes to the station, when, for what,
 * and how far they get. It plans visits (time, resident, service, what happens) from a seed, so a
 * simulated pilot replays exactly. scripts/simulate-usage.ts turns plans into session events; the
 * residents carry real-looking CCCD numbers and names so tests can prove none of it reaches analytics.
 *
 * The mix follows what the pilot reported: evening peaks after work, elderly residents mostly for the
 * health check in the morning, bill payments in the first days of the month.
 */
import { SeededRandom } from '../drivers/transports/seeded-random.js';
import { ageBandOf } from '../runtime/analytics/events.js';
import type { FailureCause, SessionAnalyticsEvent, StepVisit } from '../runtime/analytics/events.js';
import { addDays, isoWeekday, localMidnight } from '../runtime/analytics/report/aggregate.js';

export interface SimulatedResident {
  /** 12-digit CCCD number: province 079 (Hồ Chí Minh), century/sex digit, birth year, serial. */
  cccd: string;
  fullName: string;
  /** YYYY-MM-DD */
  birthDate: string;
  sex: 'male' | 'female';
  /** The QR text on the chip CCCD: `ID|oldID|name|DDMMYYYY|sex|address|DDMMYYYY`. */
  qr: string;
}

export interface FlowStepPlan {
  stepId: string;
  kind: string;
  /** Typical seconds a resident of working age spends on it. */
  typicalS: number;
  /** What can go wrong here. */
  fails?: FailureCause;
}

/** The steps each simulated service walks through, in order (mirrors the flow files' shape). */
export const serviceSteps: Record<string, FlowStepPlan[]> = {
  'health-check': [
    { stepId: 'start', kind: 'menu', typicalS: 8 },
    { stepId: 'identity', kind: 'identity', typicalS: 20, fails: 'input' },
    { stepId: 'consent', kind: 'consent', typicalS: 15 },
    { stepId: 'measure-weight', kind: 'measure', typicalS: 20, fails: 'device' },
    { stepId: 'measure-height', kind: 'measure', typicalS: 15, fails: 'device' },
    { stepId: 'measure-spo2', kind: 'measure', typicalS: 40, fails: 'device' },
    { stepId: 'measure-bp', kind: 'measure', typicalS: 60, fails: 'device' },
    { stepId: 'measure-temp', kind: 'measure', typicalS: 10, fails: 'device' },
    { stepId: 'result', kind: 'result', typicalS: 30 },
    { stepId: 'send', kind: 'submit', typicalS: 5, fails: 'central' },
  ],
  'bill-payment': [
    { stepId: 'start', kind: 'menu', typicalS: 8 },
    { stepId: 'provider', kind: 'menu', typicalS: 12 },
    { stepId: 'customer-code', kind: 'input', typicalS: 30, fails: 'input' },
    { stepId: 'lookup', kind: 'lookup', typicalS: 4, fails: 'central' },
    { stepId: 'confirm', kind: 'confirm', typicalS: 15 },
    { stepId: 'pay', kind: 'pay', typicalS: 60, fails: 'central' },
    { stepId: 'receipt', kind: 'result', typicalS: 10 },
  ],
  'dossier-lookup': [
    { stepId: 'start', kind: 'menu', typicalS: 8 },
    { stepId: 'identity', kind: 'identity', typicalS: 20, fails: 'input' },
    { stepId: 'lookup', kind: 'lookup', typicalS: 4, fails: 'central' },
    { stepId: 'result', kind: 'result', typicalS: 25 },
  ],
  'telehealth-appointment': [
    { stepId: 'start', kind: 'menu', typicalS: 8 },
    { stepId: 'identity', kind: 'identity', typicalS: 20, fails: 'input' },
    { stepId: 'hospital', kind: 'menu', typicalS: 20 },
    { stepId: 'slots', kind: 'lookup', typicalS: 5, fails: 'central' },
    { stepId: 'confirm', kind: 'confirm', typicalS: 15 },
    { stepId: 'result', kind: 'result', typicalS: 10 },
  ],
  'bhxh-lookup': [
    { stepId: 'start', kind: 'menu', typicalS: 8 },
    { stepId: 'identity', kind: 'identity', typicalS: 20, fails: 'input' },
    { stepId: 'lookup', kind: 'lookup', typicalS: 4, fails: 'central' },
    { stepId: 'result', kind: 'result', typicalS: 30 },
  ],
  notices: [
    { stepId: 'start', kind: 'menu', typicalS: 8 },
    { stepId: 'list', kind: 'info', typicalS: 40 },
  ],
  'dossier-submission': [
    { stepId: 'start', kind: 'menu', typicalS: 10 },
    { stepId: 'procedure', kind: 'menu', typicalS: 25 },
    { stepId: 'identity', kind: 'identity', typicalS: 20, fails: 'input' },
    { stepId: 'phone', kind: 'input', typicalS: 30, fails: 'input' },
    { stepId: 'confirm', kind: 'confirm', typicalS: 20 },
    { stepId: 'submit', kind: 'submit', typicalS: 4, fails: 'central' },
    { stepId: 'done', kind: 'result', typicalS: 15 },
  ],
  'security-report': [
    { stepId: 'category', kind: 'menu', typicalS: 15 },
    { stepId: 'where', kind: 'menu', typicalS: 15 },
    { stepId: 'phone', kind: 'input', typicalS: 25, fails: 'input' },
    { stepId: 'submit', kind: 'submit', typicalS: 4, fails: 'central' },
    { stepId: 'done', kind: 'result', typicalS: 10 },
  ],
  'bhyt-registration': [
    { stepId: 'consent', kind: 'consent', typicalS: 20 },
    { stepId: 'identity', kind: 'identity', typicalS: 20, fails: 'input' },
    { stepId: 'members', kind: 'menu', typicalS: 15 },
    { stepId: 'quote', kind: 'lookup', typicalS: 4, fails: 'central' },
    { stepId: 'pay', kind: 'pay', typicalS: 70, fails: 'central' },
    { stepId: 'done', kind: 'result', typicalS: 10 },
  ],
  'digital-signature': [
    { stepId: 'provider', kind: 'menu', typicalS: 20 },
    { stepId: 'identity', kind: 'identity', typicalS: 20, fails: 'input' },
    { stepId: 'phone', kind: 'input', typicalS: 25, fails: 'input' },
    { stepId: 'submit', kind: 'submit', typicalS: 4, fails: 'central' },
    { stepId: 'done', kind: 'result', typicalS: 10 },
  ],
};

export interface PlannedVisit {
  startedAt: number;
  service: string;
  resident: SimulatedResident;
  /** Whether the resident scans (or types) the CCCD when the flow asks for identity. */
  showsCccd: boolean;
  /** What happens: the whole flow, leaving at a step, or a failure at a step. */
  ending: { outcome: 'completed' } | { outcome: 'abandoned'; atStep: number } | { outcome: 'failed'; atStep: number; cause: FailureCause };
  /** Seconds spent on each step up to the last one. */
  stepSeconds: number[];
  locale: 'vi' | 'en';
  /**
   * The answer to the 1..5 question asked after a completed service, or null when the resident
   * leaves it unanswered (about two thirds do).
   */
  rating: number | null;
}

/** Services whose flow does not ask the feedback question afterwards (`feedback: false` in flows/). */
export const servicesWithoutFeedback: readonly string[] = ['notices', 'emergency', 'feedback'];

/**
 * How residents rate a completed service: mostly satisfied, but every answer occurs, and a slow
 * visit or one where a device failed is rated lower (the pilot's paper survey had the same shape).
 */
function planRating(rng: SeededRandom, slow: boolean, troubled: boolean): number | null {
  if (rng.next() >= 0.35) return null;
  const shift = (slow ? 1 : 0) + (troubled ? 1 : 0);
  const weights: [number, number][] = [[5, 0.44 - 0.12 * shift], [4, 0.3], [3, 0.13 + 0.05 * shift], [2, 0.08 + 0.04 * shift], [1, 0.05 + 0.03 * shift]];
  return weighted(rng, weights);
}

const familyNames = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Huỳnh', 'Phan', 'Vũ', 'Võ', 'Đặng', 'Bùi', 'Đỗ', 'Hồ', 'Ngô', 'Dương'];
const middleNames = { male: ['Văn', 'Hữu', 'Minh', 'Quốc', 'Đức'], female: ['Thị', 'Ngọc', 'Thanh', 'Mỹ', 'Kim'] };
const givenNames = {
  male: ['Hùng', 'Dũng', 'Phúc', 'Khang', 'Bảo', 'Tuấn', 'Thắng', 'Long', 'Nghĩa', 'Quang'],
  female: ['Lan', 'Hương', 'Trang', 'Thảo', 'Hạnh', 'Ngân', 'Yến', 'Phượng', 'Diệp', 'Loan'],
};

function pick<T>(rng: SeededRandom, items: readonly T[]): T {
  return items[Math.floor(rng.next() * items.length)]!;
}

function weighted<T>(rng: SeededRandom, entries: readonly (readonly [T, number])[]): T {
  const total = entries.reduce((s, [, w]) => s + w, 0);
  let r = rng.next() * total;
  for (const [value, w] of entries) {
    r -= w;
    if (r < 0) return value;
  }
  return entries[entries.length - 1]![0];
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** A version-4-shaped UUID from the seeded generator, like the random session id the session runner uses. */
function randomUuid(rng: SeededRandom): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(rng.next() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

/** The residents of the building: about a third over 60, as in the pilot lobby. */
export function residentsOf(count: number, rng: SeededRandom): SimulatedResident[] {
  const out: SimulatedResident[] = [];
  const used = new Set<string>();
  while (out.length < count) {
    const sex = rng.next() < 0.5 ? 'male' : 'female';
    const age = weighted(rng, [[[8, 17], 0.05], [[18, 29], 0.17], [[30, 44], 0.25], [[45, 59], 0.2], [[60, 74], 0.23], [[75, 92], 0.1]] as const);
    const year = 2026 - Math.floor(rng.between(age[0], age[1] + 1));
    const birthDate = `${year}-${pad(1 + Math.floor(rng.next() * 12), 2)}-${pad(1 + Math.floor(rng.next() * 28), 2)}`;
    // Digit 4 of a CCCD encodes century and sex (0/1: 1900s male/female, 2/3: 2000s male/female).
    const centurySex = (year >= 2000 ? 2 : 0) + (sex === 'female' ? 1 : 0);
    const cccd = `079${centurySex}${pad(year % 100, 2)}${pad(Math.floor(rng.next() * 1_000_000), 6)}`;
    if (used.has(cccd)) continue;
    used.add(cccd);
    const fullName = `${pick(rng, familyNames)} ${pick(rng, middleNames[sex])} ${pick(rng, givenNames[sex])}`;
    const [y, m, d] = birthDate.split('-');
    const oldId = pad(Math.floor(rng.next() * 1_000_000_000), 9);
    const qr = `${cccd}|${oldId}|${fullName}|${d}${m}${y}|${sex === 'male' ? 'Nam' : 'Nữ'}|Đảo Kim Cương, Bình Trưng, TP. Hồ Chí Minh|01072021`;
    out.push({ cccd, fullName, birthDate, sex, qr });
  }
  return out;
}

/** Relative arrivals per local hour: a morning bump (elderly) and the evening peak after work. */
const hourWeights = [0.1, 0.05, 0.02, 0.02, 0.05, 0.4, 1.4, 2.2, 1.8, 1.3, 1.1, 1.0, 0.9, 0.8, 0.8, 0.9, 1.2, 2.0, 3.2, 3.6, 3.0, 1.8, 0.8, 0.3];

function serviceWeights(age: number, dayOfMonth: number): [string, number][] {
  const elderly = age >= 60;
  const billSeason = dayOfMonth <= 7 ? 4 : 1;
  return [
    ['health-check', elderly ? 6 : 1.2],
    ['bill-payment', (elderly ? 0.8 : 2) * billSeason],
    ['dossier-lookup', elderly ? 0.5 : 1.2],
    ['dossier-submission', elderly ? 0.2 : 0.5],
    ['telehealth-appointment', elderly ? 1.2 : 0.3],
    ['bhxh-lookup', age >= 45 ? 0.9 : 0.5],
    ['bhyt-registration', 0.3],
    ['digital-signature', elderly ? 0.05 : 0.3],
    ['security-report', 0.15],
    ['notices', 0.8],
  ];
}

function ageOn(resident: SimulatedResident, at: number): number {
  return new Date(at).getUTCFullYear() - Number(resident.birthDate.slice(0, 4));
}

export interface UsagePlanOptions {
  sessions: number;
  days: number;
  seed: number;
  /** First local day, YYYY-MM-DD. */
  startDay: string;
}

/** Plans `sessions` visits over `days` local days from `startDay`, ordered by start time. */
export function planUsage(options: UsagePlanOptions): PlannedVisit[] {
  const rng = new SeededRandom(options.seed);
  // Ratings come from a generator of their own, so the rest of a seeded plan stays as it was.
  const moods = new SeededRandom(options.seed ^ 0x5a7e);
  const residents = residentsOf(Math.max(40, Math.round(options.sessions / 5)), rng);
  const dayWeights = Array.from({ length: options.days }, (_, i) => {
    const day = addDays(options.startDay, i);
    const weekend = isoWeekday(day) >= 6 ? 1.3 : 1;
    const monthStart = Number(day.slice(8, 10)) <= 7 ? 1.35 : 1;
    return [i, weekend * monthStart] as const;
  });
  const hours = hourWeights.map((w, h) => [h, w] as const);
  const visits: PlannedVisit[] = [];
  for (let n = 0; n < options.sessions; n++) {
    const dayIndex = weighted(rng, dayWeights);
    const day = addDays(options.startDay, dayIndex);
    const resident = pick(rng, residents);
    let hour = weighted(rng, hours);
    const startedAt0 = localMidnight(day);
    const age = ageOn(resident, startedAt0);
    // Elderly residents come mostly in the morning.
    if (age >= 60 && rng.next() < 0.5) hour = Math.floor(rng.between(6, 11));
    const startedAt = startedAt0 + hour * 3_600_000 + Math.floor(rng.next() * 3_540_000);
    const service = weighted(rng, serviceWeights(age, Number(day.slice(8, 10))));
    const steps = serviceSteps[service]!;
    const slow = age >= 75 ? 1.9 : age >= 60 ? 1.5 : 1;
    const r = rng.next();
    const abandonRate = age >= 60 ? 0.2 : 0.13;
    let ending: PlannedVisit['ending'] = { outcome: 'completed' };
    if (r < abandonRate) {
      ending = { outcome: 'abandoned', atStep: Math.floor(rng.next() * steps.length) };
    } else if (r < abandonRate + 0.07) {
      const failing = steps.map((s, i) => [i, s.fails] as const).filter(([, f]) => f !== undefined);
      if (failing.length > 0) {
        const [atStep, cause] = pick(rng, failing);
        ending = { outcome: 'failed', atStep, cause: cause! };
      }
    }
    const last = ending.outcome === 'completed' || skipsFailedDevice(service, ending) ? steps.length - 1 : ending.atStep;
    const stepSeconds = steps.slice(0, last + 1).map((s) => Math.max(1, Math.round(s.typicalS * slow * rng.between(0.6, 1.7))));
    visits.push({
      startedAt, service, resident, locale: rng.next() < 0.93 ? 'vi' : 'en',
      showsCccd: rng.next() < 0.92, ending, stepSeconds,
      rating: planRating(moods, slow > 1.4, ending.outcome === 'failed'),
    });
  }
  return visits.sort((a, b) => a.startedAt - b.startedAt);
}

/**
 * Whether the flow goes on past this failure: the health check skips a device that fails and
 * measures the next one (flows/health-check.yaml), so the run completes with the failure noted.
 */
export function skipsFailedDevice(service: string, ending: PlannedVisit['ending']): boolean {
  return service === 'health-check' && ending.outcome === 'failed' && ending.cause === 'device';
}

/**
 * The session event the flow engine would report for a planned visit. Used when the visit is not
 * driven through the real session; identity is reduced exactly as the engine does (age band, sex).
 */
export function modelSessionEvent(visit: PlannedVisit, rng: SeededRandom): SessionAnalyticsEvent {
  const plan = serviceSteps[visit.service]!;
  const wentOn = skipsFailedDevice(visit.service, visit.ending);
  const outcome = wentOn ? 'completed' : visit.ending.outcome;
  let t = visit.startedAt;
  const steps: StepVisit[] = visit.stepSeconds.map((s, i) => {
    const enteredAt = t;
    t += s * 1000;
    const isLast = i === visit.stepSeconds.length - 1;
    const failedHere = visit.ending.outcome === 'failed' && (wentOn ? i === visit.ending.atStep : isLast);
    const outcome = isLast && visit.ending.outcome === 'abandoned' ? undefined : failedHere ? 'error' : 'ok';
    return { stepId: plan[i]!.stepId, kind: plan[i]!.kind, enteredAt, durationMs: s * 1000, ...(outcome ? { outcome } : {}) };
  });
  // An abandoned run ends at the idle wipe, two minutes after the resident walked away.
  if (visit.ending.outcome === 'abandoned') t += 120_000;
  const identified = visit.showsCccd && steps.some((s) => s.kind === 'identity' && s.outcome === 'ok');
  const ageBand = ageBandOf(visit.resident.birthDate, visit.startedAt);
  const failureCodes: Record<FailureCause, string> = { device: 'DEVICE_TIMEOUT', central: 'RPC_UNAVAILABLE', input: 'CCCD_INVALID' };
  return {
    sessionId: randomUuid(rng),
    service: visit.service,
    flowVersion: 1,
    startedAt: visit.startedAt,
    endedAt: t,
    outcome,
    lastStep: steps[steps.length - 1]!.stepId,
    steps,
    ...(visit.ending.outcome === 'failed' ? { failureCause: visit.ending.cause, failureCode: failureCodes[visit.ending.cause] } : {}),
    ...(identified && ageBand ? { beneficiary: { ageBand, sex: visit.resident.sex } } : {}),
    locale: visit.locale,
    ...(outcome === 'completed' && !servicesWithoutFeedback.includes(visit.service) ? { feedback: { rating: visit.rating } } : {}),
  };
}
