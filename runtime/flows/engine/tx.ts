/** One transition's scratch: the snapshot being built and the effects asked for so far. */
import type { FlowDefinition, Step, Text } from '../types.js';
import type { EngineDefinition, EventContext, FlowEffect, FlowSnapshot } from './state.js';
import { resolveText } from './texts.js';

/** Mutable scratch for one transition; the input snapshot is never modified. */
export class Tx {
  s: FlowSnapshot;
  effects: FlowEffect[] = [];
  constructor(readonly def: EngineDefinition, snapshot: FlowSnapshot, readonly ctx: EventContext) {
    this.s = { ...snapshot };
  }

  get flow(): FlowDefinition | undefined {
    return this.s.run ? this.def.bundle.flows[this.s.run.flowId] : undefined;
  }

  get step(): Step | undefined {
    return this.s.stepId && this.flow ? this.flow.steps[this.s.stepId] : undefined;
  }

  nextId(prefix: string): string {
    this.s.seq += 1;
    return `${prefix}-${this.s.seq}`;
  }

  setTimer(ms: number): void {
    this.clearTimer();
    const id = this.nextId('t');
    this.s.timerId = id;
    this.effects.push({ type: 'startTimer', timerId: id, ms });
  }

  clearTimer(): void {
    if (this.s.timerId) this.effects.push({ type: 'cancelTimer', timerId: this.s.timerId });
    this.s.timerId = undefined;
  }

  abortWork(): void {
    if (this.s.step.effectId) this.effects.push({ type: 'abort', effectId: this.s.step.effectId });
  }

  text(t: Text | undefined, extra?: Record<string, unknown>): string {
    return resolveText(this.def.bundle, this.s.locale, t, extra ? { ...this.s.data, ...extra } : this.s.data);
  }

  stepTimeout(step: Step): number {
    return step.timeoutMs ?? (step.kind === 'end' ? this.def.config.noticeMs : this.def.config.stepTimeoutMs);
  }
}
