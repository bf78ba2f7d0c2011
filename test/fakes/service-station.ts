/**
 * A station for service-flow tests: the real flow bundle, FlowSession, PaymentService and VietQR,
 * with central answered by a FakeRpc (the shapes of docs/services.md), records in memory, a manual
 * clock and a printer that keeps its lines. Tests drive it with keypad events only.
 */
import type { PaperService } from '../../runtime/services/paper-desk.js';
import { FlowSession, paymentRunnerFor } from '../../runtime/flows/session.js';
import type { ChipReadService, SnapshotStore } from '../../runtime/flows/session.js';
import { defaultEngineConfig } from '../../runtime/flows/engine.js';
import type { EngineConfig, FlowSnapshot } from '../../runtime/flows/engine.js';
import { loadFlowBundle, formatFlowProblems } from '../../runtime/flows/bundle.js';
import { PaymentService } from '../../runtime/services/payment.js';
import { StationError } from '../../runtime/kernel/errors.js';
import type { Key } from '../../runtime/kernel/input.js';
import type { ReceiptLine, RecordSink, RpcClient } from '../../runtime/flows/ports.js';
import type { Screen } from '../../runtime/flows/screen-model.js';
import type { MeasureService } from '../../drivers/types.js';
import type { SessionAnalyticsEvent } from '../../runtime/analytics/events.js';
import { ManualClock } from './manual-clock.js';
import { silentLogger } from './link-test-kit.js';
import { FakeRpc, MemoryPaymentLedger, MemoryRecordSink } from './payment-fakes.js';

export const flowsDir = new URL('../../flows', import.meta.url).pathname;

/** A valid chip-CCCD number (HCMC province code 079, male born 1985). */
export const residentCccd = '079085001234';

export interface ServiceStation {
  clock: ManualClock;
  /** The fake central (unused when a real link was passed in). */
  rpc: FakeRpc;
  /** The in-memory journal (unused when a real link was passed in). */
  records: MemoryRecordSink;
  payments: PaymentService;
  session: FlowSession;
  printed: ReceiptLine[][];
  analytics: SessionAnalyticsEvent[];
  screen(): Screen;
  /** Presses keys in order, letting effects settle after each. */
  press(...keys: (Key | string)[]): Promise<void>;
  /** Types digits one key at a time. */
  type(digits: string): Promise<void>;
  /** All screen text (title, body, rows, options) as one string, for matching. */
  text(): string;
  stop(): Promise<void>;
}

export interface ServiceStationOptions {
  paymentTimeoutMs?: number;
  station?: Partial<EngineConfig['station']>;
  clock?: ManualClock;
  /** A real central link (journal, outbox, RPC) instead of the in-memory fakes. */
  link?: RecordSink & RpcClient;
  /** Deadline of each payment-status poll; default 5000 ms. */
  rpcTimeoutMs?: number;
  /** The devices; default none (every measurement DEVICE_MISSING). */
  measure?: MeasureService;
  /** A chip CCCD reader: identity steps read the chip after the QR. */
  chip?: ChipReadService;
  /** The scanner and papers for scan steps (none by default). */
  papers?: PaperService;
}

export async function serviceStation(options: ServiceStationOptions = {}): Promise<ServiceStation> {
  const loaded = await loadFlowBundle(flowsDir);
  if (!loaded.ok) throw new Error(formatFlowProblems(loaded.problems).join('\n'));
  const clock = options.clock ?? new ManualClock();
  const rpc = new FakeRpc();
  const records = new MemoryRecordSink();
  const central: RecordSink & RpcClient = options.link ?? { record: (k, p, o) => records.record(k, p, o), call: (s, p, o) => rpc.call(s, p, o) };
  const logger = silentLogger();
  const payments = new PaymentService({
    clock, logger, records: central, rpc: central, ledger: new MemoryPaymentLedger(), stationId: 'cds-bt-001', bankBin: '970436',
    account: '1017788990', timeoutMs: options.paymentTimeoutMs ?? 300_000, pollIntervalMs: 2000, reconcileIntervalMs: 30_000,
    ...(options.rpcTimeoutMs ? { rpcTimeoutMs: options.rpcTimeoutMs } : {}),
  });
  await payments.start();
  let saved: FlowSnapshot | null = null;
  const store: SnapshotStore = { save: async (s) => { saved = structuredClone(s); }, load: async () => saved };
  const printed: ReceiptLine[][] = [];
  const analytics: SessionAnalyticsEvent[] = [];
  const config: EngineConfig = {
    ...defaultEngineConfig,
    station: { ...defaultEngineConfig.station, id: 'cds-bt-001', building: 'Tháp Bahamas', floor: 'Sảnh tầng trệt', ward: 'Bình Trưng', ...options.station },
    ...(options.chip ? { chipReader: true } : {}),
  };
  let n = 0;
  const session = new FlowSession({
    bundle: loaded.bundle, config, clock, logger,
    measure: options.measure ?? { measure: async () => { throw new StationError('DEVICE_MISSING'); } },
    rpc: central, records: central,
    printer: { print: async (lines) => { printed.push(lines); } },
    payments: paymentRunnerFor(payments),
    ...(options.papers ? { papers: options.papers } : {}),
    store,
    analytics: { sessionEnded: (e) => { analytics.push(e); } },
    newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    ...(options.chip ? { chip: options.chip } : {}),
  });
  await session.start();
  const settle = () => clock.advance(0);
  const station: ServiceStation = {
    clock, rpc, records, payments, session, printed, analytics,
    screen: () => session.current(),
    press: async (...keys) => {
      for (const key of keys) {
        session.input({ type: 'key', key: key as Key });
        await settle();
      }
    },
    type: async (digits) => {
      for (const d of digits) {
        session.input({ type: 'key', key: d as Key });
        await settle();
      }
    },
    text: () => {
      const s = session.current();
      return [s.title, ...(s.body ?? []), ...(s.rows ?? []).map((r) => `${r.label}: ${r.value}`), ...(s.options ?? []).map((o) => `${o.key}. ${o.label}`)].join('\n');
    },
    stop: async () => {
      await session.stop();
      await payments.stop();
    },
  };
  return station;
}
