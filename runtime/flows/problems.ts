/**
 * What a refused flow bundle reports, kept apart from the checker (runtime/flows/bundle.ts) so the
 * flow service can report problems without loading the YAML parser.
 */
import type { FlowBundle } from './types.js';

export interface FlowProblem {
  /** File name relative to the flows directory, e.g. `bill-payment.yaml`. */
  file: string;
  /** JSON pointer inside the file, e.g. `/steps/lookup/on/ok`; empty for the whole file. */
  path: string;
  reason: string;
}

export type FlowBundleResult = { ok: true; bundle: FlowBundle } | { ok: false; problems: FlowProblem[] };

/** One line per problem, for logs, the control socket and central's command result. */
export function formatFlowProblems(problems: FlowProblem[]): string[] {
  return problems.map((p) => `${p.file} ${p.path || '/'}: ${p.reason}`);
}
