/**
 * `station status`: asks the daemon over the control socket and prints its state. Exits 1 when the
 * daemon cannot be reached, so scripts and monitoring can rely on the exit code.
 */
import { resolve } from 'node:path';
import { ControlClient } from '../control/client.js';
import { resolveDataPath } from '../config/config.js';
import { loadLayeredConfig } from '../config/layers.js';
import type { StatusReport } from '../control/methods.js';

export interface StatusCommandOptions {
  configFile?: string;
  dataDir?: string;
  socketPath?: string;
  json: boolean;
}

type Io = { stdout: (s: string) => void; stderr: (s: string) => void };

const defaultConfig = '/etc/citizen-station/station.json';

export function socketPathFor(options: Omit<StatusCommandOptions, 'json'>): string {
  if (options.socketPath) return resolve(options.socketPath);
  // The layers too: a technician or central may have moved the socket (runtime/config/layers.ts).
  const { config } = loadLayeredConfig({ factoryFile: options.configFile ?? defaultConfig, ...(options.dataDir ? { dataDir: options.dataDir } : {}) });
  return resolveDataPath(config.dataDir, config.control.socketPath);
}

export async function statusCommand(options: StatusCommandOptions, io: Io): Promise<number> {
  let socketPath: string;
  try {
    socketPath = socketPathFor(options);
  } catch (err) {
    io.stderr(`station status: ${(err as Error).message}\n`);
    return 1;
  }
  const client = new ControlClient(socketPath);
  try {
    await client.connect();
  } catch (err) {
    io.stderr(`station status: ${(err as Error).message}\n`);
    return 1;
  }
  try {
    const reply = await client.call('status');
    if (!reply.ok) {
      io.stderr(`station status: ${reply.error.code}: ${reply.error.message}\n`);
      return 1;
    }
    io.stdout(options.json ? JSON.stringify(reply.data, null, 2) + '\n' : formatStatus(reply.data));
    return 0;
  } finally {
    client.close();
  }
}

/** Plain text, readable without colour, fits 80 columns. */
export function formatStatus(s: StatusReport): string {
  const lines = [
    `station    ${s.stationId}  v${s.version}  pid ${s.pid}`,
    `uptime     ${s.uptimeS} s (since ${s.startedAt})`,
    `health     ${s.healthy ? 'OK' : 'NOT HEALTHY'}   event-loop lag ${s.eventLoopLagMs} ms`,
    `maintenance ${s.maintenance.on ? `ON${s.maintenance.reason ? ` (${s.maintenance.reason})` : ''}` : 'off'}`,
    `link       ${s.link.state}  ${s.link.url}${s.link.protocolVersion ? `  mqtt v${s.link.protocolVersion === 4 ? '3.1.1' : '5'}` : ''}`,
    `outbox     ${s.outbox.depth} waiting, oldest ${s.outbox.oldestAgeS === null ? '-' : `${s.outbox.oldestAgeS} s`}, ${s.outbox.flagged} flagged, ${s.outbox.telemetryDropped} telemetry dropped`,
  ];
  if (s.time) lines.push(`clock      ${s.time.trusted ? `trusted${s.time.synchronized ? ' (synchronised)' : ''}` : `NOT TRUSTED: ${s.time.reason ?? 'before the build date'}`}`);
  if (s.display) lines.push(`display    ${s.display.url}`);
  lines.push('components');
  for (const c of s.components) {
    lines.push(`  ${c.name.padEnd(22)} ${c.state.padEnd(12)} ${c.optional ? 'optional' : 'required'}${c.error ? `  ${c.error}` : ''}`);
  }
  return lines.join('\n') + '\n';
}
