/**
 * The simulated pilot shared by the analytics tests: 1,800 sessions over 60 days with a fixed seed,
 * from the resident-behaviour model, with the residents (CCCD numbers, names) that must never show.
 */
import { SeededRandom } from '../../drivers/transports/seeded-random.js';
import type { SessionAnalyticsEvent } from '../../runtime/analytics-events.js';
import { addSession, emptyDay, localDay } from '../../runtime/report/aggregate.js';
import type { DayAggregate } from '../../runtime/report/aggregate.js';
import { modelSessionEvent, planUsage } from '../../scripts/resident-behaviour.js';
import type { PlannedVisit, SimulatedResident } from '../../scripts/resident-behaviour.js';

export const pilotStartDay = '2026-09-26';
export const pilotVisits: PlannedVisit[] = planUsage({ sessions: 1800, days: 60, seed: 20260925, startDay: pilotStartDay });
const rng = new SeededRandom(7);
export const pilotEvents: SessionAnalyticsEvent[] = pilotVisits.map((v) => modelSessionEvent(v, rng));
export const pilotResidents: SimulatedResident[] = [...new Map(pilotVisits.map((v) => [v.resident.cccd, v.resident])).values()];

/** Day aggregates of a list of events (the same path StationAnalytics takes, without disk). */
export function aggregateDays(events: SessionAnalyticsEvent[]): DayAggregate[] {
  const days = new Map<string, DayAggregate>();
  for (const e of events) {
    const day = localDay(e.startedAt);
    let d = days.get(day);
    if (!d) days.set(day, (d = emptyDay(day)));
    addSession(d, e);
  }
  return [...days.values()].sort((a, b) => a.day.localeCompare(b.day));
}

/** Strings that identify a resident or a session; none may appear in any output. */
export function identifyingStrings(): string[] {
  return [
    ...pilotResidents.flatMap((r) => [r.cccd, r.fullName, r.qr.split('|')[1]!]),
    ...pilotEvents.map((e) => e.sessionId),
  ];
}
