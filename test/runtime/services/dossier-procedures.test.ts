import t from 'tap';
import { loadFlowBundle, formatFlowProblems } from '../../../runtime/flows/bundle.js';
import { flowsDir } from '../../fakes/flow-kit.js';

t.test('the shipped procedures load with the flows', async (t) => {
  const r = await loadFlowBundle(flowsDir);
  if (!r.ok) t.fail(formatFlowProblems(r.problems).join('\n'));
  t.ok(r.ok);
});
