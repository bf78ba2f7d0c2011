/**
 * Starts components in dependency order and stops them in reverse, each stop bounded by a timeout.
 * An optional component that fails to start is isolated and reported (a missing printer must not
 * stop health checks); a required one (the journal) makes the whole start fail.
 */
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import { StationError } from './errors.js';

export interface Component {
  /** Unique, shown in `station status`. */
  readonly name: string;
  /** When true, a failed start is reported and the station runs on without it. */
  readonly optional?: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export type ComponentState = 'idle' | 'starting' | 'running' | 'failed' | 'stopping' | 'stopped' | 'stop-timeout';

export interface ComponentReport {
  name: string;
  optional: boolean;
  state: ComponentState;
  /** Why it failed, for the technician. */
  error?: string;
  /** Milliseconds its start took. */
  startMs?: number;
}

export interface LifecycleOptions {
  /** Longest a single stop may take before it is abandoned. Default 400 ms. */
  stopTimeoutMs?: number;
}

export interface AddOptions {
  /**
   * Components that must be running before this one starts (names added earlier). Default: the
   * component added just before, so plain `add` calls start one after another. `[]` starts it at
   * once. An optional dependency that failed does not hold its dependents back: they are written
   * to run without it.
   */
  after?: readonly string[];
}

interface Entry {
  component: Component;
  report: ComponentReport;
  after: Entry[];
  /** Settles with the component's start: see {@link Lifecycle.running}. */
  settled: Promise<void>;
  settle(err?: unknown): void;
}

export class Lifecycle {
  private readonly entries: Entry[] = [];
  /** Components in the order their start began: stop goes the other way, dependents first. */
  private readonly started: Entry[] = [];
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: LifecycleOptions = {},
  ) {}

  /**
   * Adds a component. It starts as soon as the components it comes `after` are running, so parts
   * that do not depend on each other (the device probes, the central link, the flow session)
   * start at the same time and the whole start waits for the slowest chain rather than for the sum.
   */
  add(component: Component, options: AddOptions = {}): this {
    if (this.entries.some((e) => e.component.name === component.name)) {
      throw new Error(`component "${component.name}" added twice`);
    }
    const previous = this.entries.at(-1);
    const after = options.after
      ? options.after.map((name) => {
          const dep = this.entries.find((e) => e.component.name === name);
          if (!dep) throw new Error(`component "${component.name}" comes after "${name}", which was not added before it`);
          return dep;
        })
      : previous ? [previous] : [];
    let settle!: (err?: unknown) => void;
    const settled = new Promise<void>((resolve, reject) => (settle = (err) => (err === undefined ? resolve() : reject(err))));
    // Nobody need wait for a component; its failure is reported by start() and the reports.
    settled.catch(() => undefined);
    this.entries.push({ component, after, settled, settle, report: { name: component.name, optional: component.optional ?? false, state: 'idle' } });
    return this;
  }

  /**
   * Resolves once the named component runs, at once if it already does; rejects with NOT_RUNNING
   * when it failed, was never started (the start was given up) or has stopped. For a part that
   * starts alongside another and needs it only when it is first used: the flow session's records
   * wait for the central link this way rather than holding the session's start back.
   */
  running(name: string): Promise<void> {
    const entry = this.entries.find((e) => e.component.name === name);
    if (!entry) return Promise.reject(new Error(`no component "${name}"`));
    const { state } = entry.report;
    if (state === 'running') return Promise.resolve();
    if (state === 'idle' || state === 'starting' || state === 'failed') return entry.settled;
    return Promise.reject(new StationError('NOT_RUNNING', `${name} is ${state}`));
  }

  reports(): ComponentReport[] {
    return this.entries.map((e) => ({ ...e.report }));
  }

  state(name: string): ComponentState | undefined {
    return this.entries.find((e) => e.component.name === name)?.report.state;
  }

  /**
   * Starts every component once its dependencies run. Rejects with COMPONENT_START_FAILED when a
   * required component fails: nothing new starts, the starts under way finish, and everything that
   * started is stopped again.
   */
  async start(): Promise<void> {
    let fatal: { entry: Entry; err: unknown } | undefined;
    const runs = new Map<Entry, Promise<void>>();
    const run = (entry: Entry): Promise<void> => {
      let running = runs.get(entry);
      if (!running) {
        running = (async () => {
          await Promise.all(entry.after.map(run));
          if (fatal || this.stopping) return;
          const failure = await this.startOne(entry);
          if (failure && !entry.report.optional) fatal ??= failure;
        })();
        runs.set(entry, running);
      }
      return running;
    };
    await Promise.all(this.entries.map(run));
    for (const entry of this.entries) {
      if (entry.report.state === 'idle') entry.settle(new StationError('NOT_RUNNING', `${entry.component.name} was not started: the station start was given up`));
    }
    if (fatal) {
      await this.stop();
      throw new StationError('COMPONENT_START_FAILED', `${fatal.entry.component.name}: ${fatal.entry.report.error}`, { cause: fatal.err });
    }
  }

  /** Starts one component; resolves with the failure instead of throwing. */
  private async startOne(entry: Entry): Promise<{ entry: Entry; err: unknown } | undefined> {
    const { component, report } = entry;
    report.state = 'starting';
    this.started.push(entry);
    const began = this.clock.now();
    try {
      await component.start();
      report.state = 'running';
      report.startMs = this.clock.now() - began;
      entry.settle();
      return undefined;
    } catch (err) {
      report.state = 'failed';
      report.error = err instanceof Error ? err.message : String(err);
      if (report.optional) {
        this.logger.warn({ component: component.name, err: report.error }, 'optional component failed to start; running without it');
      } else {
        this.logger.error({ component: component.name, err: report.error }, 'required component failed to start');
      }
      entry.settle(new StationError('NOT_RUNNING', `${component.name} failed to start: ${report.error}`, { cause: err }));
      return { entry, err };
    }
  }

  /** Stops running components in reverse order of their start; safe to call more than once. */
  stop(): Promise<void> {
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  private async stopAll(): Promise<void> {
    const timeoutMs = this.options.stopTimeoutMs ?? 400;
    for (const { component, report } of [...this.started].reverse()) {
      if (report.state !== 'running' && report.state !== 'starting') continue;
      report.state = 'stopping';
      let timer: ReturnType<Clock['setTimeout']> | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = this.clock.setTimeout(() => resolve('timeout'), timeoutMs);
      });
      try {
        const outcome = await Promise.race([component.stop().then(() => 'stopped' as const), timedOut]);
        if (outcome === 'timeout') {
          report.state = 'stop-timeout';
          report.error = `did not stop within ${timeoutMs} ms`;
          this.logger.warn({ component: component.name, timeoutMs }, 'component did not stop in time; abandoned');
        } else {
          report.state = 'stopped';
        }
      } catch (err) {
        report.state = 'stopped';
        report.error = err instanceof Error ? err.message : String(err);
        this.logger.warn({ component: component.name, err: report.error }, 'component failed while stopping');
      } finally {
        this.clock.clearTimeout(timer);
      }
    }
  }
}
