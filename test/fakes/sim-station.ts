/**
 * The whole station in-process with the simulation config (config/sim.json): every device
 * simulated, an embedded broker on a free port, no central simulator and no display, on a
 * ManualClock. What leaves the station is read at the broker (`brokerUrl()`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfig, type StationConfig } from '../../runtime/config/config.js';
import { LogBuffer } from '../../runtime/platform/log-buffer.js';
import { createStation, type Station } from '../../runtime/station/station.js';
import { ManualClock } from './manual-clock.js';
import { silentLogger, tempDir, until } from './link-test-kit.js';
import { installPathsAt } from '../../runtime/platform/install-paths.js';

export interface SimStation {
  station: Station;
  config: StationConfig;
  clock: ManualClock;
  dataDir: string;
}

/** Builds the station without starting it, for a test that watches what happens during the start. */
export async function simStation(t: { teardown: (fn: () => unknown) => void }): Promise<SimStation> {
  const dataDir = await tempDir(t);
  const doc = JSON.parse(readFileSync(join(process.cwd(), 'config', 'sim.json'), 'utf8'));
  doc.dataDir = dataDir;
  doc.mqtt.embeddedBroker = { enabled: true, host: '127.0.0.1', port: 0 };
  doc.centralSim = { enabled: false };
  doc.display = { enabled: false, host: '127.0.0.1', port: 0 };
  const checked = validateConfig(doc);
  if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
  const clock = new ManualClock(Date.parse('2026-11-25T01:00:00Z'));
  const station = createStation({
    config: checked.config, configFile: join(dataDir, 'station.json'), clock, logger: silentLogger(), logBuffer: new LogBuffer(100),
    version: '0.0.0-test', paths: installPathsAt(process.cwd()), transports: {},
  });
  t.teardown(() => station.stop());
  return { station, config: checked.config, clock, dataDir };
}

/** Starts it, moving the clock on until every component runs (the simulated devices answer on it). */
export async function startSimStation(t: { teardown: (fn: () => unknown) => void }): Promise<SimStation> {
  const sim = await simStation(t);
  let started = false;
  const starting = sim.station.start().then(() => (started = true));
  await until(sim.clock, () => started, 'station started', 10);
  await starting;
  return sim;
}
