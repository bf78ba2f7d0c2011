/**
 * Vietnamese names for services and steps, taken from the flow files, so funnels read "Đo huyết áp"
 * rather than `blood-pressure`. The report works without them (ids are shown) when the flow files
 * are not at hand, e.g. for a copy of a data directory on a ward office PC.
 */
import { loadFlowBundle } from '../../flows/bundle.js';
import { resolveText } from '../../flows/engine.js';
import type { FlowBundle, FlowDefinition, Step } from '../../flows/types.js';
import type { ReportLabels } from './model.js';

/** Labels from a loaded bundle; templates render without resident data, so placeholders drop out. */
export function labelsFromBundle(bundle: FlowBundle): ReportLabels {
  const clean = (text: string) => text.replace(/\s+/g, ' ').replace(/[\s:\u00b7,-]+$/, '').trim();
  return {
    service: (id) => {
      const flow = bundle.flows[id];
      return flow ? clean(resolveText(bundle, 'vi', flow.title, {})) || undefined : undefined;
    },
    step: (service, step) => {
      const title = bundle.flows[service]?.steps[step]?.title;
      return title === undefined ? undefined : clean(resolveText(bundle, 'vi', title, {})) || undefined;
    },
    stepOrder: (service) => {
      const flow = bundle.flows[service];
      return flow ? pathOrder(flow) : undefined;
    },
  };
}

/**
 * The steps of a flow in the order a resident walks them: from the start, along each step's `next`
 * first (the main path), then its outcomes and options; a branch comes after the path it leaves.
 * Steps no path reaches follow in file order.
 */
export function pathOrder(flow: FlowDefinition): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const branches: string[] = [flow.start];
  while (branches.length > 0) {
    let id: string | undefined = branches.shift();
    // Walk the main path of this branch; the other exits of each step wait their turn.
    while (id !== undefined && !seen.has(id) && flow.steps[id]) {
      seen.add(id);
      order.push(id);
      const step: Step = flow.steps[id];
      const exits = [...Object.values(step.on ?? {}), ...('options' in step ? (step.options ?? []).map((o) => o.next) : [])];
      branches.push(...exits.filter((e): e is string => typeof e === 'string'));
      id = step.next ?? exits.find((e) => typeof e === 'string' && !seen.has(e));
    }
  }
  for (const id of Object.keys(flow.steps)) if (!seen.has(id)) order.push(id);
  return order;
}

/** Loads labels from the flow files in `dir` (InstallPaths.flowsDir, or `--flows`); undefined when none can be read. */
export async function loadFlowLabels(dir: string): Promise<ReportLabels | undefined> {
  const loaded = await loadFlowBundle(dir).catch(() => undefined);
  return loaded?.ok ? labelsFromBundle(loaded.bundle) : undefined;
}
