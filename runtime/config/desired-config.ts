/**
 * Central's desired configuration, kept like a device shadow (AWS IoT Device Shadow, Azure device
 * twin): central publishes a signed, retained `config/desired` command named `config` whose args are
 * `{version, config}`, `config` being a JSON Merge Patch over the factory and site layers. The station
 * applies a version above the one it runs, writes it as the `desired` layer, and only then publishes
 * the retained `config/reported` `{version, desired, restartRequired, at}`.
 *
 * An unsigned document never reaches this handler (runtime/link/commands.ts); a malformed, invalid or
 * stale one is refused here: central is answered on `cmd/config/res`, the refusal is counted, and
 * `config/reported` keeps saying what the station really runs. The applied version is kept durably
 * beside the layers, so after a restart an older document is still stale.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';
import { writeFileDurable } from '../kernel/durable-file.js';
import { StationError } from '../kernel/errors.js';
import type { ConfigReportedPayload } from '../link/topics.js';
import type { ConfigApplyResult } from './apply.js';
import { layerDir } from './layers.js';
import { isJsonObject, type JsonObject } from './merge-patch.js';

/** What the station publishes retained on `config/reported` (runtime/link/topics.ts). */
export type ReportedConfig = ConfigReportedPayload;

export type DesiredRefusal = 'malformed' | 'stale' | 'invalid';

export interface DesiredConfigOptions {
  dataDir: string;
  clock: Clock;
  logger: Logger;
  /** Writes the desired layer and applies it (runtime/config/apply.ts); throws CONFIG_INVALID. */
  apply: (patch: JsonObject) => Promise<ConfigApplyResult>;
  /** Publishes the retained reported document. */
  publishReported: (reported: ReportedConfig) => Promise<void>;
  /** Counts one refused desired document (wired to the station's refusal counter). */
  refused: (reason: DesiredRefusal) => void;
}

export class DesiredConfig {
  private readonly o: DesiredConfigOptions;
  private reported: ReportedConfig = { version: 0, desired: {}, restartRequired: [], at: 0 };

  constructor(options: DesiredConfigOptions) {
    this.o = options;
  }

  private get file(): string {
    return join(layerDir(this.o.dataDir), 'reported.json');
  }

  /** Reads the reported document kept at the last change; none is version 0. */
  load(): ReportedConfig {
    try {
      const value = JSON.parse(readFileSync(this.file, 'utf8')) as unknown;
      if (isJsonObject(value) && Number.isSafeInteger(value.version) && isJsonObject(value.desired)) this.reported = value as unknown as ReportedConfig;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.o.logger.warn({ err: (err as Error).message }, 'reported config unreadable; taken as version 0');
    }
    return this.current();
  }

  current(): ReportedConfig {
    return structuredClone(this.reported);
  }

  private refuse(reason: DesiredRefusal, code: 'CONFIG_INVALID' | 'CONFIG_STALE', message: string): never {
    this.o.refused(reason);
    this.o.logger.warn({ reason, reportedVersion: this.reported.version }, 'desired config refused');
    throw new StationError(code, message);
  }

  /** The `config` command handler. */
  async handle(args: Record<string, unknown>): Promise<ConfigApplyResult & { version: number }> {
    const version = args.version;
    if (!Number.isSafeInteger(version) || (version as number) < 1) {
      this.refuse('malformed', 'CONFIG_INVALID', 'args.version must be a positive integer: the version of the desired document');
    }
    if (!isJsonObject(args.config)) this.refuse('malformed', 'CONFIG_INVALID', 'args.config must be an object: a merge patch over the factory and site layers');
    if ((version as number) <= this.reported.version) {
      this.refuse('stale', 'CONFIG_STALE', `desired version ${String(version)} is not above version ${this.reported.version} in effect`);
    }
    let result: ConfigApplyResult;
    try {
      result = await this.o.apply(args.config);
    } catch (err) {
      if (err instanceof StationError && err.code === 'CONFIG_INVALID') this.refuse('invalid', 'CONFIG_INVALID', err.message);
      throw err;
    }
    this.reported = { version: version as number, desired: structuredClone(args.config), restartRequired: result.restartRequired, at: this.o.clock.now() };
    await writeFileDurable(this.file, JSON.stringify(this.reported) + '\n', 0o640);
    try {
      await this.o.publishReported(this.current());
    } catch (err) {
      this.o.logger.warn({ err: (err as Error).message }, 'reported config not sent (link offline); central has the answer on cmd/config/res once delivered, config/reported at the next change');
    }
    return { ...result, version: version as number };
  }
}
