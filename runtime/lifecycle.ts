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

interface Entry {
  component: Component;
  report: ComponentReport;
}

export interface LifecycleOptions {
  /** Longest a single stop may take before it is abandoned. Default 400 ms. */
  stopTimeoutMs?: number;
}

export class Lifecycle {
  private readonly entries: Entry[] = [];
  /** Components that start together, in start order. */
  private readonly groups: Entry[][] = [];
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: LifecycleOptions = {},
  ) {}

  /** Adds a component; components start in the order they are added. */
  add(component: Component): this {
    return this.push(component, this.groups.length);
  }

  /**
   * Adds a component that starts at the same time as the one added just before it: for parts that
   * do not depend on each other (the central link and the devices), so a start waits for the slower
   * of the two rather than for both in turn.
   */
  alongside(component: Component): this {
    return this.push(component, Math.max(0, this.groups.length - 1));
  }

  private push(component: Component, group: number): this {
    if (this.entries.some((e) => e.component.name === component.name)) {
      throw new Error(`component "${component.name}" added twice`);
    }
    const entry = { component, report: { name: component.name, optional: component.optional ?? false, state: 'idle' as ComponentState } };
    this.entries.push(entry);
    (this.groups[group] ??= []).push(entry);
    return this;
  }

  reports(): ComponentReport[] {
    return this.entries.map((e) => ({ ...e.report }));
  }

  state(name: string): ComponentState | undefined {
    return this.entries.find((e) => e.component.name === name)?.report.state;
  }

  /**
   * Starts every component in order. Rejects with COMPONENT_START_FAILED after stopping what had
   * started when a required component fails.
   */
  async start(): Promise<void> {
    for (const group of this.groups) {
      const failures = (await Promise.all(group.map((entry) => this.startOne(entry)))).filter((f) => f !== undefined);
      const fatal = failures.find((f) => !f.entry.report.optional);
      if (fatal) {
        await this.stop();
        throw new StationError('COMPONENT_START_FAILED', `${fatal.entry.component.name}: ${fatal.entry.report.error}`, { cause: fatal.err });
      }
    }
  }

  /** Starts one component; resolves with the failure instead of throwing. */
  private async startOne(entry: Entry): Promise<{ entry: Entry; err: unknown } | undefined> {
    const { component, report } = entry;
    report.state = 'starting';
    const began = this.clock.now();
    try {
      await component.start();
      report.state = 'running';
      report.startMs = this.clock.now() - began;
      return undefined;
    } catch (err) {
      report.state = 'failed';
      report.error = err instanceof Error ? err.message : String(err);
      if (report.optional) {
        this.logger.warn({ component: component.name, err: report.error }, 'optional component failed to start; running without it');
      } else {
        this.logger.error({ component: component.name, err: report.error }, 'required component failed to start');
      }
      return { entry, err };
    }
  }

  /** Stops running components in reverse order; safe to call more than once. */
  stop(): Promise<void> {
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  private async stopAll(): Promise<void> {
    const timeoutMs = this.options.stopTimeoutMs ?? 400;
    for (const { component, report } of [...this.entries].reverse()) {
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
