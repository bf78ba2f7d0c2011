/**
 * The flow engine's settings from the station configuration (sections `flows`, `health`, `station`),
 * with the cross-field check the JSON schema cannot express: health bands must rise.
 */
import type { StationConfig } from '../config/config.js';
import type { EngineConfig } from './engine.js';
import { defaultEngineConfig } from './engine.js';
import type { HealthThresholds } from '../services/health-classification.js';
import { checkHealthThresholds, defaultHealthThresholds } from '../services/health-classification.js';

export interface FlowsConfig {
  dir: string;
  stepTimeoutMs: number;
  idleWarningSeconds: number;
  noticeMs: number;
}

export type EngineConfigResult = { ok: true; config: EngineConfig; flows: FlowsConfig } | { ok: false; problems: { path: string; reason: string }[] };

function merge<T extends object>(defaults: T, given: unknown): T {
  return { ...defaults, ...(typeof given === 'object' && given !== null ? (given as Partial<T>) : {}) };
}

/** Builds the EngineConfig; problems name the config path (e.g. `/health/thresholds`). */
export function engineConfigFrom(config: StationConfig): EngineConfigResult {
  const flows = merge<FlowsConfig>({
    dir: 'flows', stepTimeoutMs: defaultEngineConfig.stepTimeoutMs, idleWarningSeconds: defaultEngineConfig.idleWarningSeconds, noticeMs: defaultEngineConfig.noticeMs,
  }, config.flows);
  const given = ((config.health as { thresholds?: Partial<HealthThresholds> } | undefined)?.thresholds ?? {}) as Partial<HealthThresholds>;
  const thresholds: HealthThresholds = {
    bloodPressure: merge(defaultHealthThresholds.bloodPressure, given.bloodPressure),
    spo2: merge(defaultHealthThresholds.spo2, given.spo2),
    pulse: merge(defaultHealthThresholds.pulse, given.pulse),
    bmi: merge(defaultHealthThresholds.bmi, given.bmi),
    temperature: merge(defaultHealthThresholds.temperature, given.temperature),
  };
  const problems = checkHealthThresholds(thresholds).map((reason) => ({ path: '/health/thresholds', reason }));
  if (problems.length > 0) return { ok: false, problems };
  const site = config.station.site;
  return {
    ok: true,
    flows,
    config: {
      stepTimeoutMs: flows.stepTimeoutMs,
      idleWarningSeconds: flows.idleWarningSeconds,
      noticeMs: flows.noticeMs,
      defaultLocale: config.station.locale,
      station: { id: config.station.id, name: config.station.name, building: site.building, floor: site.floor, address: site.address, ward: site.ward },
      healthThresholds: thresholds,
    },
  };
}
