import t from 'tap';
import { countFailures } from '../../scripts/fuzz-targets.js';
import { i2cFuzzTargets } from '../../scripts/fuzz-targets-i2c.js';

// Moderate counts for CI; `npm run fuzz` runs 100 000 per property.
const runs: Record<string, number> = { max30102: 500, mlx90614: 500, 'spo2-analysis': 150 };

for (const target of i2cFuzzTargets) {
  for (const property of target.properties) {
    t.test(`${target.name}: ${property.name}`, async (t) => {
      const { failures, example } = countFailures(property, runs[target.name] ?? 200, 20261125);
      t.equal(failures, 0, example === undefined ? 'no failures' : `first failing input: ${JSON.stringify(example).slice(0, 300)}`);
    });
  }
}
