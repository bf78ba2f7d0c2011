import t from 'tap';
import { countFailures, serialFuzzTargets } from '../../scripts/fuzz-targets.js';

// Moderate counts for CI; `npm run fuzz` runs 100 000 per property.
const runs = 300;
const seed = 20261125;

for (const target of serialFuzzTargets) {
  t.test(target.name, async (t) => {
    for (const property of target.properties) {
      const result = countFailures(property, runs, seed);
      t.equal(result.failures, 0, `${property.name}${result.example === undefined ? '' : ` (e.g. ${JSON.stringify(result.example).slice(0, 300)})`}`);
    }
  });
}
