/**
 * The resident-facing service as one lifecycle component: loads and checks the flow bundle
 * (config `flows.dir`), runs the FlowSession on the injected devices, central, journal, printer and
 * payments, and accepts new bundles from central — a refused bundle is reported with file, path and
 * reason while the last good one keeps running. The display and keypad talk to it as ScreenFeed and
 * InputSink.
 */
import { isAbsolute, resolve } from 'node:path';
import type { Clock } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';
import type { StationConfig } from '../config/config.js';
import type { Component } from '../kernel/lifecycle.js';
import { StationError } from '../kernel/errors.js';
import type { InputEvent, InputSink } from '../kernel/input.js';
import type { Screen, ScreenFeed } from './screen-model.js';
import type { ReceiptPrinter, RecordSink, RpcClient } from './ports.js';
import type { MeasureService } from '../../drivers/types.js';
import type { SessionAnalyticsSink } from '../analytics/events.js';
import type { FlowBundle } from './types.js';
import type { FlowProblem } from './problems.js';
import { formatFlowProblems } from './problems.js';
import type { FlowSource } from './sources.js';
import { loadFlowBundleCached } from './bundle-cache.js';
import { engineConfigFrom } from './config.js';
import type { FlowsConfig } from './config.js';
import { FlowSession } from './session.js';
import type { PaymentRunner, SessionHooks, SnapshotStore } from './session.js';
import { FileSnapshotStore } from './snapshot-store.js';
import type { InstallPaths } from '../platform/install-paths.js';

export interface FlowServiceDeps {
  config: StationConfig;
  /** Where a relative `flows.dir` and the build's checked flow bundle are (runtime/platform/install-paths.ts). */
  paths: Pick<InstallPaths, 'root' | 'flowBundleCache'>;
  clock: Clock;
  logger: Logger;
  measure: MeasureService;
  rpc: RpcClient;
  records: RecordSink;
  printer: ReceiptPrinter;
  analytics: SessionAnalyticsSink;
  /** runtime/services/payment.ts through `paymentRunnerFor(service)`; without it pay steps end in their error branch. */
  payments?: PaymentRunner;
  hooks?: SessionHooks;
  /** Default: `flow-snapshot.json` in `config.dataDir`. */
  store?: SnapshotStore;
}

export type BundleResult = { ok: true; digest: string; flows: Record<string, number> } | { ok: false; problems: FlowProblem[] };

export class FlowService implements Component, ScreenFeed, InputSink {
  readonly name = 'flows';
  private readonly deps: FlowServiceDeps;
  private session: FlowSession | undefined;
  private bundle: FlowBundle | undefined;
  private flows: FlowsConfig | undefined;
  private readonly listeners = new Set<(screen: Screen) => void>();
  private unsubscribe: (() => void) | undefined;

  constructor(deps: FlowServiceDeps) {
    this.deps = deps;
  }

  /** Refuses to start (FLOW_INVALID, every problem listed) when the bundle on disk is not valid: there is no last good one yet. */
  async start(): Promise<void> {
    if (this.session) return;
    const built = engineConfigFrom(this.deps.config);
    if (!built.ok) {
      throw new StationError('CONFIG_INVALID', built.problems.map((p) => `${p.path}: ${p.reason}`).join('; '));
    }
    this.flows = built.flows;
    // The bundle the build checked, while the files still hash the same (runtime/flows/bundle-cache.ts).
    const loaded = await loadFlowBundleCached(this.flowsDir(), this.deps.paths.flowBundleCache);
    if (!loaded.ok) {
      const lines = formatFlowProblems(loaded.problems);
      for (const line of lines) this.deps.logger.error({ problem: line }, 'flow file refused');
      throw new StationError('FLOW_INVALID', lines.join('; '), { details: { problems: loaded.problems } });
    }
    this.bundle = loaded.bundle;
    const session = new FlowSession({
      bundle: loaded.bundle, config: built.config, clock: this.deps.clock, logger: this.deps.logger,
      measure: this.deps.measure, rpc: this.deps.rpc, records: this.deps.records, printer: this.deps.printer,
      store: this.deps.store ?? new FileSnapshotStore(this.deps.config.dataDir, this.deps.logger),
      analytics: this.deps.analytics,
      ...(this.deps.payments ? { payments: this.deps.payments } : {}),
      ...(this.deps.hooks ? { hooks: this.deps.hooks } : {}),
    });
    this.unsubscribe = session.subscribe((screen) => {
      for (const listener of [...this.listeners]) listener(screen);
    });
    await session.start();
    this.session = session;
    this.deps.logger.info({ digest: loaded.bundle.digest, flows: Object.keys(loaded.bundle.flows).length }, 'flows running');
  }

  async stop(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await session?.stop();
  }

  /** The flows directory: config `flows.dir`, relative to the installation unless absolute. */
  flowsDir(): string {
    const dir = this.flows?.dir ?? (this.deps.config.flows as { dir?: string } | undefined)?.dir ?? 'flows';
    return isAbsolute(dir) ? dir : resolve(this.deps.paths.root, dir);
  }

  /**
   * Central pushed a bundle (all files, content/ included): applied when valid, else refused and reported.
   * The checker (YAML parser, flow schema) is imported here, not at start: a station starting from its
   * build-time bundle never parses YAML, and loading the parser was the largest part of its start.
   */
  async applyBundle(sources: FlowSource[]): Promise<BundleResult> {
    const { parseFlowBundle } = await import('./bundle.js');
    const checked = parseFlowBundle(sources);
    if (!checked.ok) {
      for (const line of formatFlowProblems(checked.problems)) this.deps.logger.warn({ problem: line }, 'pushed flow bundle refused; the last good bundle keeps running');
      return { ok: false, problems: checked.problems };
    }
    return this.use(checked.bundle);
  }

  /** Reads `flows.dir` again (technician after editing a file); same rule: refused unless wholly valid. */
  async reload(): Promise<BundleResult> {
    const { loadFlowBundle } = await import('./bundle.js');
    const loaded = await loadFlowBundle(this.flowsDir());
    if (!loaded.ok) return { ok: false, problems: loaded.problems };
    return this.use(loaded.bundle);
  }

  /** Flow versions and bundle digest, for the birth message and `station status`. */
  versions(): { digest: string; flows: Record<string, number> } | undefined {
    if (!this.bundle) return undefined;
    return { digest: this.bundle.digest, flows: Object.fromEntries(Object.values(this.bundle.flows).map((f) => [f.id, f.version])) };
  }

  input(event: InputEvent): void {
    this.session?.input(event);
  }

  /** Before start, an out-of-service screen (the display may connect first). */
  current(): Screen {
    return this.session?.current() ?? { kind: 'out-of-service', locale: 'vi', title: 'Trạm đang khởi động', body: ['Xin chờ trong giây lát.'], keys: [] };
  }

  subscribe(listener: (screen: Screen) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setMaintenance(on: boolean): void {
    this.session?.setMaintenance(on);
  }

  setLinkOnline(online: boolean): void {
    this.session?.setLinkOnline(online);
  }

  settlePayment(paymentId: string, state: 'PAID' | 'EXPIRED' | 'FAILED'): void {
    this.session?.settlePayment(paymentId, state);
  }

  /** The running session (technician mirror, tests); undefined before start. */
  flowSession(): FlowSession | undefined {
    return this.session;
  }

  private use(bundle: FlowBundle): BundleResult {
    this.bundle = bundle;
    this.session?.replaceBundle(bundle);
    const versions = this.versions() as { digest: string; flows: Record<string, number> };
    return { ok: true, ...versions };
  }
}
