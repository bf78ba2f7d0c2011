/**
 * A FlowSession wired to simulated devices and central: a scripted MeasureService, the in-memory
 * journal and RPC fakes, a printer that keeps its lines, a snapshot store in memory, and an
 * analytics collector. Tests drive it with keypad events and the ManualClock only.
 */
import { fileURLToPath } from 'node:url';
import { readFile } from 'node:fs/promises';
import { StationError } from '../../runtime/kernel/errors.js';
import type { ErrorCode } from '../../runtime/kernel/errors.js';
import type { ReceiptLine, ReceiptPrinter } from '../../runtime/flows/ports.js';
import type { Key } from '../../runtime/kernel/input.js';
import type { Measurement, MeasurementKind, MeasurementValues, MeasureOptions, MeasureService } from '../../drivers/types.js';
import type { SessionAnalyticsEvent, SessionAnalyticsSink } from '../../runtime/analytics/events.js';
import { FlowSession } from '../../runtime/flows/session.js';
import type { ChipReadService, PaymentRunner, SessionHooks, SnapshotStore } from '../../runtime/flows/session.js';
import type { FlowSnapshot, PendingPayment } from '../../runtime/flows/engine.js';
import { defaultEngineConfig } from '../../runtime/flows/engine.js';
import type { EngineConfig } from '../../runtime/flows/engine.js';
import { parseFlowBundle, formatFlowProblems } from '../../runtime/flows/bundle.js';
import type { FlowSource } from '../../runtime/flows/bundle.js';
import type { FlowBundle } from '../../runtime/flows/types.js';
import { ManualClock } from './manual-clock.js';
import { FakeRpc, MemoryRecordSink } from './payment-fakes.js';
import { silentLogger } from './link-test-kit.js';

export const flowsDir = fileURLToPath(new URL('../../flows/', import.meta.url));

/** The engine's own flows plus any extra test files; other services' files are not needed here. */
export async function testBundle(extra: FlowSource[] = []): Promise<FlowBundle> {
  const sources: FlowSource[] = [];
  for (const name of ['health-check.yaml', 'feedback.yaml', 'emergency.yaml']) {
    sources.push({ name, text: await readFile(flowsDir + name, 'utf8') });
  }
  const result = parseFlowBundle([...sources, ...extra]);
  if (!result.ok) throw new Error(formatFlowProblems(result.problems).join('\n'));
  return result.bundle;
}

/** What a scripted device does on its next measurement. */
export type DeviceScript =
  | { values: MeasurementValues[MeasurementKind]; afterMs?: number; progress?: { phase: string; cuffPressure?: number }[] }
  | { fail: ErrorCode; afterMs?: number }
  /** Runs until aborted (a cuff held inflated), then rejects DEVICE_ABORTED. */
  | { hang: true; progress?: { phase: string; cuffPressure?: number }[] };

export const normalReadings: { [K in MeasurementKind]: MeasurementValues[K] } = {
  weight: { weightKg: 62.4 },
  height: { heightCm: 165 },
  spo2: { spo2: 97, heartRate: 72, perfusionIndex: 2.1 },
  bloodPressure: { systolic: 118, diastolic: 76, map: 90, pulse: 74 },
  temperature: { celsius: 36.6 },
};

/** A MeasureService whose devices follow scripts; without a script a device answers a normal reading after 2 s. */
export class ScriptedDevices implements MeasureService {
  readonly scripts = new Map<MeasurementKind, DeviceScript[]>();
  readonly started: MeasurementKind[] = [];
  readonly aborted: MeasurementKind[] = [];

  constructor(private readonly clock: ManualClock) {}

  script(kind: MeasurementKind, ...steps: DeviceScript[]): this {
    this.scripts.set(kind, [...(this.scripts.get(kind) ?? []), ...steps]);
    return this;
  }

  measure<K extends MeasurementKind>(kind: K, options: MeasureOptions = {}): Promise<Measurement<K>> {
    this.started.push(kind);
    const script: DeviceScript = this.scripts.get(kind)?.shift() ?? { values: normalReadings[kind], afterMs: 2000 };
    return new Promise<Measurement<K>>((resolve, reject) => {
      const onAbort = () => {
        this.clock.clearTimeout(timer);
        this.aborted.push(kind);
        reject(new StationError('DEVICE_ABORTED'));
      };
      if ('progress' in script) for (const p of script.progress ?? []) options.onProgress?.({ kind, ...p });
      let timer: ReturnType<ManualClock['setTimeout']> | undefined;
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if ('hang' in script) return;
      timer = this.clock.setTimeout(() => {
        options.signal?.removeEventListener('abort', onAbort);
        if ('fail' in script) reject(new StationError(script.fail));
        else resolve({ kind, at: this.clock.now(), values: script.values as MeasurementValues[K], device: deviceOf(kind) });
      }, script.afterMs ?? 2000);
    });
  }
}

const deviceNameOf: Record<MeasurementKind, Measurement['device']> = {
  weight: 'scale', height: 'height', spo2: 'spo2', bloodPressure: 'bloodPressure', temperature: 'thermometer',
};

function deviceOf(kind: MeasurementKind): Measurement['device'] {
  return deviceNameOf[kind];
}

export class MemoryPrinter implements ReceiptPrinter {
  readonly receipts: ReceiptLine[][] = [];
  failWith: ErrorCode | undefined;
  async print(lines: ReceiptLine[]): Promise<void> {
    if (this.failWith) throw new StationError(this.failWith);
    this.receipts.push(lines);
  }
}

export class MemorySnapshotStore implements SnapshotStore {
  saved: FlowSnapshot | null = null;
  /** Every snapshot written, as JSON, to check none ever held resident data. */
  readonly writes: string[] = [];
  async save(snapshot: FlowSnapshot): Promise<void> {
    const json = JSON.stringify(snapshot);
    this.writes.push(json);
    this.saved = JSON.parse(json) as FlowSnapshot;
  }
  async load(): Promise<FlowSnapshot | null> {
    return this.saved;
  }
}

export class AnalyticsCollector implements SessionAnalyticsSink {
  readonly events: SessionAnalyticsEvent[] = [];
  sessionEnded(event: SessionAnalyticsEvent): void {
    this.events.push(event);
  }
}

export interface FlowRig {
  clock: ManualClock;
  devices: ScriptedDevices;
  rpc: FakeRpc;
  records: MemoryRecordSink;
  printer: MemoryPrinter;
  store: MemorySnapshotStore;
  analytics: AnalyticsCollector;
  payments: PendingPayment[];
  interrupted: MeasurementKind[];
  session: FlowSession;
  bundle: FlowBundle;
  config: EngineConfig;
  /** Presses keys one after another, letting effects settle between them. */
  press(...keys: Key[]): Promise<void>;
  /** Advances the clock (effects and timers run). */
  wait(ms: number): Promise<void>;
}

export interface RigOptions {
  bundle?: FlowBundle;
  store?: MemorySnapshotStore;
  clock?: ManualClock;
  payments?: PaymentRunner;
  config?: Partial<EngineConfig>;
  chip?: ChipReadService;
}

export async function flowRig(options: RigOptions = {}): Promise<FlowRig> {
  const clock = options.clock ?? new ManualClock();
  const devices = new ScriptedDevices(clock);
  const rpc = new FakeRpc();
  const records = new MemoryRecordSink();
  const printer = new MemoryPrinter();
  const store = options.store ?? new MemorySnapshotStore();
  const analytics = new AnalyticsCollector();
  const payments: PendingPayment[] = [];
  const interrupted: MeasurementKind[] = [];
  const bundle = options.bundle ?? (await testBundle());
  const config: EngineConfig = {
    ...defaultEngineConfig,
    station: { id: 'cds-bt-001', name: 'Trạm công dân số', building: 'Tháp Bora', floor: 'Sảnh tầng 1', address: '', ward: 'Bình Trưng' },
    ...options.config,
  };
  const hooks: SessionHooks = {
    onPayment: (p) => payments.push(p),
    onInterruptedMeasurement: (kind) => interrupted.push(kind),
  };
  let n = 0;
  const session = new FlowSession({
    bundle, config, clock, logger: silentLogger(), measure: devices, rpc, records, printer, store, analytics, hooks,
    newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    ...(options.payments ? { payments: options.payments } : {}),
    ...(options.chip ? { chip: options.chip } : {}),
  });
  await session.start();
  const rig: FlowRig = {
    clock, devices, rpc, records, printer, store, analytics, payments, interrupted, session, bundle, config,
    async press(...keys: Key[]) {
      for (const key of keys) {
        session.input({ type: 'key', key });
        await clock.advance(0);
      }
    },
    wait: (ms: number) => clock.advance(ms),
  };
  return rig;
}
