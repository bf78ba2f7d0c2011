/**
 * Config changes on a running station: a technician's whole document (`config.apply`) becomes the
 * `technician` layer, central's signed desired document the `desired` layer (runtime/config/layers.ts),
 * each validated, written durably on the data partition and applied live where it can be. The
 * layers and where each value came from are kept for `config.get`.
 */
import { applyConfig, type ConfigApplyResult } from '../config/apply.js';
import type { StationConfig } from '../config/config.js';
import { DesiredConfig, type DesiredRefusal } from '../config/desired-config.js';
import { configOrigins, type LayeredConfig } from '../config/layers.js';
import type { JsonObject } from '../config/merge-patch.js';
import type { Clock } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';
import type { StartedParts } from './context.js';

/** The layers of a station started from one file only (tests, in-process stations). */
export function factoryOnly(config: StationConfig, file: string): LayeredConfig {
  const documents = { factory: config as unknown as JsonObject };
  return { config, documents, layers: [{ name: 'factory', file, present: true }], origins: configOrigins(config, documents) };
}

export interface ConfigChangeDeps {
  config: StationConfig;
  layered: LayeredConfig;
  clock: Clock;
  logger: Logger;
  parts: StartedParts;
  /** Counts a refused inbound message by topic and reason (the station's refusal counter). */
  refused: (topic: string, reason: string) => void;
}

export class StationConfigChanges {
  private layered: LayeredConfig;
  private readonly d: ConfigChangeDeps;
  readonly desired: DesiredConfig;

  constructor(deps: ConfigChangeDeps) {
    this.d = deps;
    this.layered = deps.layered;
    this.desired = new DesiredConfig({
      dataDir: deps.config.dataDir,
      clock: deps.clock,
      logger: deps.logger.child({ component: 'desired-config' }),
      apply: (patch) => this.apply('desired', 'patch', patch),
      publishReported: async (reported) => {
        const mqtt = deps.parts.link?.link;
        if (mqtt) await mqtt.publish('configReported', {}, reported);
      },
      refused: (reason: DesiredRefusal) => deps.refused('config/desired', reason),
    });
    this.desired.load();
  }

  /** The layers as written now, and the origin of every value. */
  view(): LayeredConfig {
    return this.layered;
  }

  /** `config.apply`: a whole document from the technician. */
  technician(candidate: unknown): Promise<ConfigApplyResult> {
    return this.apply('technician', 'whole', candidate);
  }

  private async apply(layer: 'technician' | 'desired', form: 'whole' | 'patch', candidate: unknown): Promise<ConfigApplyResult> {
    const { layered, ...result } = await applyConfig({
      layered: this.layered,
      current: this.layered.config,
      layer,
      form,
      candidate,
      applyLive: (pointer, value) => {
        if (pointer === '/logging/level' && typeof value === 'string') {
          this.d.logger.level = value;
          return true;
        }
        return false;
      },
    });
    this.layered = layered;
    return result;
  }
}
