/**
 * `station config show [--config FILE] [--data DIR] [--json]`: the configuration the station starts
 * with, merged from its layers (runtime/config/layers.ts), one line per value with the layer that set
 * it (`factory`, `site`, `desired`, `technician`) or `default`. Reads the files, so it works while the
 * daemon is stopped; what the running daemon holds is in the TUI's Config view.
 */
import { parseArgs } from 'node:util';
import { loadLayeredConfig } from '../config/layers.js';
import { leafPointers, valueAt } from '../config/merge-patch.js';
import { CONFIG_VERSION } from '../config/migrations.js';

type Io = { stdout: (s: string) => void; stderr: (s: string) => void };

const defaultConfig = '/etc/citizen-station/station.json';

export function configShowCommand(args: string[], io: Io): number {
  const { values } = parseArgs({ args, options: { config: { type: 'string' }, data: { type: 'string' }, json: { type: 'boolean' } } });
  let layered;
  try {
    layered = loadLayeredConfig({ factoryFile: values.config ?? defaultConfig, ...(values.data ? { dataDir: values.data } : {}) });
  } catch (err) {
    io.stderr(`station config show: ${(err as Error).message}\n`);
    return 1;
  }
  if (values.json) {
    io.stdout(JSON.stringify({ config: layered.config, origins: layered.origins, layers: layered.layers }, null, 2) + '\n');
    return 0;
  }
  const lines = layered.layers.map((l) => `# ${l.name.padEnd(10)} ${l.present ? l.file : `${l.file} (none)`}${l.fromVersion !== undefined && l.fromVersion !== CONFIG_VERSION ? ` (format ${l.fromVersion}, migrated)` : ''}`);
  const leaves = leafPointers(layered.config);
  const width = Math.min(48, Math.max(...leaves.map((p) => p.length)));
  for (const pointer of leaves) {
    lines.push(`${pointer.padEnd(width)}  ${JSON.stringify(valueAt(layered.config, pointer))}  ${layered.origins[pointer] ?? 'default'}`);
  }
  io.stdout(lines.join('\n') + '\n');
  return 0;
}
