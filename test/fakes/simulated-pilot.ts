/**
 * The simulated pilot shared by the analytics tests: 1,800 sessions over 60 days with a fixed seed,
 * from the resident-behaviour model, with the residents (CCCD numbers, names) that must never show.
 */
import { SeededRandom } from '../../drivers/transports/seeded-random.js';
import type { SessionAnalyticsEvent } from '../../runtime/analytics/events.js';
import { addSession, emptyDay, localDay } from '../../runtime/analytics/report/aggregate.js';
import type { DayAggregate } from '../../runtime/analytics/report/aggregate.js';
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
  ];
}

/** The random session ids of the pilot events (UUIDs): any UUID in an output is checked against these. */
export function pilotSessionIds(): Set<string> {
  return new Set(pilotEvents.map((e) => e.sessionId));
}

/** Every key, string and number in JSON documents, so leak checks compare against a few hundred distinct strings. */
export function jsonStrings(...documents: unknown[]): Set<string> {
  const out = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === 'string' || typeof v === 'number') out.add(String(v));
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        out.add(k);
        walk(x);
      }
    }
  };
  documents.forEach(walk);
  return out;
}

/** The forbidden strings found inside any of `strings`. */
export function leaks(strings: Set<string>, forbidden: Iterable<string>): string[] {
  const all = [...strings];
  return [...forbidden].filter((f) => all.some((s) => s.includes(f)));
}
