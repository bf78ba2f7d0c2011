/**
 * `npm start`: the station daemon as in production, with the development central simulator
 * (scripts/central-sim.ts) handed to it, so a fresh machine shows the whole loop. The product's own
 * entries (runtime/daemon.ts, runtime/cli.ts) never import scripts/: the bundle the unit runs holds
 * no simulator, and scripts/build.mjs fails if it ever does.
 */
import { runDaemonCommand } from '../runtime/main.js';
import { startCentralSim } from './central-sim.js';

const args = process.argv.slice(2);
runDaemonCommand(args[0] === 'start' ? args.slice(1) : args, { stderr: (s) => process.stderr.write(s) }, {
  startCentralSim: (o) => startCentralSim({ url: o.url, protocolVersion: o.protocolVersion, stationId: o.stationId, paymentDelayMs: o.paymentDelayMs, clock: o.clock, logger: o.logger }),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`station: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
