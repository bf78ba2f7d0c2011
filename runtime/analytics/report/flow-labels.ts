/**
 * Vietnamese names for services and steps, taken from the flow files, so funnels read "Đo huyết áp"
 * rather than `blood-pressure`. The report works without them (ids are shown) when the flow files
 * are not at hand, e.g. for a copy of a data directory on a ward office PC.
 */
import { loadFlowBundle } from '../../flows/bundle.js';
import { resolveText } from '../../flows/engine.js';
import type { FlowBundle } from '../../flows/types.js';
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
  };
}

/** Loads labels from the flow files in `dir` (InstallPaths.flowsDir, or `--flows`); undefined when none can be read. */
export async function loadFlowLabels(dir: string): Promise<ReportLabels | undefined> {
  const loaded = await loadFlowBundle(dir).catch(() => undefined);
  return loaded?.ok ? labelsFromBundle(loaded.bundle) : undefined;
}
