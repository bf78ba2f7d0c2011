/**
 * The flow snapshot on disk, written after every step through the durable document adapter
 * (runtime/platform/document-store.ts: tmp → fsync → rename → fsync(dir), last good copy kept). What is
 * written never holds the resident's data (see persistableSnapshot in runtime/flows/engine.ts).
 */
import { join } from 'node:path';
import { DurableJsonFile } from '../platform/document-store.js';
import type { DocumentValidator } from '../platform/document-store.js';
import type { Logger } from '../kernel/logger.js';
import type { FlowSnapshot } from './engine.js';
import type { SnapshotStore } from './session.js';

/** Shape check on read: a damaged or foreign file is treated as "no snapshot", never trusted. */
export const validateFlowSnapshot: DocumentValidator<FlowSnapshot> = (v) => {
  const o = v as Partial<FlowSnapshot> | null;
  if (typeof o !== 'object' || o === null) return { ok: false, reason: 'not an object' };
  if (o.version !== 1) return { ok: false, reason: 'unknown snapshot version' };
  if (o.locale !== 'vi' && o.locale !== 'en') return { ok: false, reason: 'locale is not vi or en' };
  if (typeof o.step !== 'object' || o.step === null || typeof o.seq !== 'number' || !Array.isArray(o.history)) {
    return { ok: false, reason: 'step, seq or history missing' };
  }
  if (o.run !== undefined && (typeof o.run.sessionId !== 'string' || typeof o.run.analyticsId !== 'string' || typeof o.run.flowId !== 'string' || !Array.isArray(o.run.steps))) {
    return { ok: false, reason: 'run is malformed' };
  }
  if (o.data && Object.keys(o.data).length > 0) return { ok: false, reason: 'holds resident data, which is never written' };
  return { ok: true, value: o as FlowSnapshot };
};

export class FileSnapshotStore implements SnapshotStore {
  private readonly file: DurableJsonFile<FlowSnapshot>;

  /** `dir`: the station's data directory (config `dataDir`); the file is `flow-snapshot.json`. */
  constructor(dir: string, logger: Logger) {
    this.file = new DurableJsonFile<FlowSnapshot>({ path: join(dir, 'flow-snapshot.json'), validate: validateFlowSnapshot, logger });
  }

  save(snapshot: FlowSnapshot): Promise<void> {
    return this.file.write(snapshot);
  }

  load(): Promise<FlowSnapshot | null> {
    return this.file.read();
  }
}
