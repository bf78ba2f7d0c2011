/**
 * The first screen: is the station healthy, is it talking to central, is anything waiting, which
 * device is wrong, what needs attention.
 */
import { Box, Text } from 'ink';
import type { DeviceStatus } from '../control/methods.js';
import type { StatusReport } from '../control/methods.js';
import { clip, formatDuration, healthColour, healthMarker, padEnd, timeOfDay } from './format.js';

export interface DashboardProps {
  status: StatusReport | undefined;
  devices: DeviceStatus[] | undefined;
  /** Rows available to the view. */
  rows: number;
}

export function DashboardView({ status, devices, rows }: DashboardProps) {
  if (!status) return <Text>Waiting for the station's status...</Text>;
  const link = status.link;
  const outbox = status.outbox;
  const failed = status.components.filter((c) => c.state === 'failed');
  const alerts = status.alerts ?? [];
  // An untrusted clock stops every command from central, so it heads the alerts.
  const clockAlert = status.time && !status.time.trusted ? [`!! CLOCK NOT TRUSTED: ${status.time.reason ?? 'before the build date'}`] : [];
  const deviceRows = devices ?? [];
  const fixedRows = 7 + deviceRows.length;
  const alertRoom = Math.max(1, rows - fixedRows - 1);
  return (
    <Box flexDirection="column">
      <Text>
        {padEnd('Station', 10)}
        <Text bold>{status.healthy ? 'HEALTHY' : 'UNHEALTHY'}</Text>
        {`  event-loop lag ${status.eventLoopLagMs} ms  up ${formatDuration(status.uptimeS)}`}
      </Text>
      <Text>
        {padEnd('Link', 10)}
        <Text bold color={link.state === 'connected' ? 'green' : 'red'}>{link.state.toUpperCase()}</Text>
        {clip(`  ${link.url}${link.since ? `  since ${timeOfDay(link.since)}` : ''}`, 60)}
      </Text>
      {link.lastError ? <Text>{clip(`${' '.repeat(10)}last error: ${link.lastError}`, 78)}</Text> : null}
      {link.refused && link.refused.total > 0 ? <Text>{clip(`${' '.repeat(10)}refused ${link.refused.total} inbound: ${Object.entries(link.refused.byTopic).map(([topic, reasons]) => `${topic} ${Object.entries(reasons).map(([r, n]) => `${r} ${n}`).join(', ')}`).join('; ')}`, 78)}</Text> : null}
      <Text>
        {padEnd('Outbox', 10)}
        {`${outbox.depth} waiting, oldest ${formatDuration(outbox.oldestAgeS)}, `}
        <Text bold={outbox.flagged > 0}>{`${outbox.flagged} flagged`}</Text>
        {outbox.telemetryDropped ? `, ${outbox.telemetryDropped} telemetry dropped` : ''}
      </Text>
      <Text>{`${padEnd('Sessions', 10)}${status.sessionsToday ?? 'n/a'} today`}</Text>
      <Text>
        {padEnd('Mode', 10)}
        <Text bold inverse={status.maintenance.on}>{status.maintenance.on ? 'MAINTENANCE (residents see: out of service)' : 'IN SERVICE'}</Text>
        {status.maintenance.on && status.maintenance.reason ? clip(`  ${status.maintenance.reason}`, 24) : ''}
      </Text>
      <Text bold>Devices</Text>
      {deviceRows.length === 0 ? <Text>  (no devices reported)</Text> : null}
      {deviceRows.map((d) => (
        <Text key={d.name}>
          {'  '}
          <Text color={healthColour(d.health)}>{healthMarker(d.health)}</Text>
          {clip(` ${padEnd(d.name, 14)}${padEnd(d.mode, 5)}${d.health === 'ok' ? '' : d.reason ?? d.health}`, 70)}
        </Text>
      ))}
      <Text bold>{`Alerts (${clockAlert.length + alerts.length + failed.length})`}</Text>
      {[
        ...clockAlert,
        ...failed.map((c) => `! COMPONENT ${c.name} failed: ${c.error ?? 'no reason given'}`),
        ...alerts.map((a) => `${a.severity === 'critical' ? '!!' : '! '} ${timeOfDay(a.at)} ${a.code}: ${a.message}`),
      ]
        .slice(0, alertRoom)
        .map((line, i) => (
          <Text key={i}>{clip(`  ${line}`, 78)}</Text>
        ))}
      {clockAlert.length + alerts.length + failed.length === 0 ? <Text>  none</Text> : null}
    </Box>
  );
}
