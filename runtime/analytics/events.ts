/**
 * The anonymous record of one service run, emitted when the run ends (completed, abandoned at the
 * idle wipe or by Home, or failed). It carries no identity: the session id is random per run and
 * not linked to the resident; the beneficiary is reduced to an age band and sex, and only when a
 * CCCD was scanned. The analytics component receives these through {@link SessionAnalyticsSink}.
 */

export type SessionOutcome = 'completed' | 'abandoned' | 'failed';

/** Why a run failed: a device did not measure, central did not answer, or the resident's input was refused. */
export type FailureCause = 'device' | 'central' | 'input';

/** Age bands wide enough that they cannot single out a resident in a lobby of a few hundred flats. */
export const ageBands = ['0-17', '18-29', '30-44', '45-59', '60-74', '75+'] as const;
export type AgeBand = (typeof ageBands)[number];

export interface StepVisit {
  /** Step id within the flow file. */
  stepId: string;
  /** Step kind from the flow vocabulary (menu, input, measure…). */
  kind: string;
  /** Clock ms when the step was entered. */
  enteredAt: number;
  /** Time spent on the step in ms. */
  durationMs: number;
  /** The outcome that left the step (ok, skip, timeout, error, an option key…); absent for the last step of an abandoned run. */
  outcome?: string;
}

export interface SessionAnalyticsEvent {
  /** Random per run (UUID); never derived from identity, and not the id the run's records carry. */
  sessionId: string;
  /** Flow id, e.g. `health-check`, `bill-payment`, `feedback`, `emergency`. */
  service: string;
  /** Version of the flow file that ran. */
  flowVersion: number;
  /** Clock ms. */
  startedAt: number;
  endedAt: number;
  outcome: SessionOutcome;
  /** The step the run ended on. */
  lastStep: string;
  /** Steps in the order visited (a step visited twice appears twice). */
  steps: StepVisit[];
  /**
   * The first failure in the run: always present when outcome is `failed`; also present when the run
   * went on past a failure (a health check that skipped a broken device) or was abandoned after one.
   */
  failureCause?: FailureCause;
  /** Error code from runtime/kernel/errors.ts behind the failure. */
  failureCode?: string;
  /** Present only when a CCCD was scanned in this run (a typed number gives none). */
  beneficiary?: { ageBand: AgeBand; sex: 'male' | 'female' | 'unknown' };
  /** Language the resident used. */
  locale: 'vi' | 'en';
  /**
   * The satisfaction question the station asks after a completed service is part of that visit, not
   * a session of its own: present when it was shown after this run, `rating` 1..5 when the resident
   * answered and null when they left it unanswered (timeout, Home, emergency). The event is emitted
   * when that question ends; `endedAt` and the durations stay those of the service itself.
   */
  feedback?: { rating: number | null };
}

/** Where the session runner delivers analytics; implemented by the analytics component. Must not throw. */
export interface SessionAnalyticsSink {
  sessionEnded(event: SessionAnalyticsEvent): void;
}

/** The age band on `at` (clock ms) of someone born on `birthDate` (YYYY-MM-DD); undefined if the date is unusable. */
export function ageBandOf(birthDate: string, at: number): AgeBand | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthDate);
  if (!m) return undefined;
  const now = new Date(at);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  let age = now.getUTCFullYear() - y;
  if (now.getUTCMonth() + 1 < mo || (now.getUTCMonth() + 1 === mo && now.getUTCDate() < d)) age -= 1;
  if (age < 0 || age > 130) return undefined;
  if (age < 18) return '0-17';
  if (age < 30) return '18-29';
  if (age < 45) return '30-44';
  if (age < 60) return '45-59';
  if (age < 75) return '60-74';
  return '75+';
}
