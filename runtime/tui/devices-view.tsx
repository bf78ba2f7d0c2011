/**
 * Each device with its live reading: the PPG as a sparkline while a finger is on the sensor, the
 * cuff pressure, the scale's raw and calibrated value. Readings stream only for the selected device.
 */
import { useEffect, useState } from 'react';
import { Box, Text } from 'ink';
import { deviceNames, type DeviceName, type DeviceStatus } from '../control/methods.js';
import type { DeviceReading } from '../control/methods.js';
import { clip, gauge, healthColour, healthMarker, padEnd, sparkline, timeOfDay } from './format.js';
import { useKeys } from './keys.js';
import type { ViewContext } from './station-client.js';

export interface DevicesProps {
  ctx: ViewContext;
  devices: DeviceStatus[] | undefined;
  active: boolean;
}

const sparkWidth = 50;
/** PPG samples kept: about 4 s at 50 samples/s, enough for three or four beats. */
const ppgKept = 200;

export function DevicesView({ ctx, devices, active }: DevicesProps) {
  const listed: DeviceName[] = devices && devices.length > 0 ? devices.map((d) => d.name) : [...deviceNames];
  const [index, setIndex] = useState(0);
  const selected = listed[Math.min(index, listed.length - 1)]!;
  const [reading, setReading] = useState<DeviceReading | undefined>(undefined);
  const [ppg, setPpg] = useState<number[]>([]);
  const [streamError, setStreamError] = useState<string | undefined>(undefined);

  useKeys(
    ctx,
    (_input, key) => {
      if (key.upArrow) setIndex((i) => (i - 1 + listed.length) % listed.length);
      if (key.downArrow) setIndex((i) => (i + 1) % listed.length);
    },
    active,
  );

  useEffect(() => {
    if (!active) return;
    let live = true;
    setReading(undefined);
    setPpg([]);
    setStreamError(undefined);
    const off = ctx.client.onEvent((event, data) => {
      if (event !== 'device.reading' || !live) return;
      const r = data as DeviceReading;
      if (r.device !== selected) return;
      setReading((prev) => ({ ...prev, ...r }));
      if (r.fingerOn === false) setPpg([]);
      else if (r.ppg) setPpg((prev) => [...prev, ...r.ppg!].slice(-ppgKept));
    });
    void ctx.client.call('devices.reading.subscribe', { device: selected }).then((res) => {
      if (live && !res.ok) setStreamError(`${res.error.code}: ${res.error.message}`);
    });
    return () => {
      live = false;
      off();
      void ctx.client.call('devices.reading.unsubscribe', { device: selected });
    };
  }, [active, selected, ctx.client, ctx.connection]);

  const status = devices?.find((d) => d.name === selected);
  return (
    <Box flexDirection="row">
      <Box flexDirection="column" width={24}>
        {listed.map((name) => {
          const d = devices?.find((x) => x.name === name);
          const health = d?.health ?? 'unknown';
          return (
            <Text key={name} inverse={name === selected}>
              {name === selected ? '>' : ' '}
              <Text color={healthColour(health)}>{healthMarker(health)}</Text>
              {` ${padEnd(name, 15)}`}
            </Text>
          );
        })}
      </Box>
      <Box flexDirection="column" width={54}>
        <Text bold>{clip(`${selected}  ${status ? `${status.mode}  ${status.health.toUpperCase()} since ${timeOfDay(status.since)}` : 'no status'}`, 54)}</Text>
        {status?.reason ? <Text>{clip(`Reason: ${status.reason}`, 54)}</Text> : null}
        {Object.entries(status?.detail ?? {}).slice(0, 4).map(([k, v]) => (
          <Text key={k}>{clip(`${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`, 54)}</Text>
        ))}
        <Text> </Text>
        <Text bold>Live</Text>
        {streamError ? <Text>{clip(`no live readings: ${streamError}`, 54)}</Text> : <LiveReading device={selected} reading={reading} ppg={ppg} />}
      </Box>
    </Box>
  );
}

function LiveReading({ device, reading, ppg }: { device: DeviceName; reading: DeviceReading | undefined; ppg: number[] }) {
  if (!reading) return <Text>waiting for a reading...</Text>;
  const lines: string[] = [];
  if (reading.phase) lines.push(`Phase: ${reading.phase}`);
  if (device === 'spo2' || reading.fingerOn !== undefined) {
    lines.push(`Finger: ${reading.fingerOn ? 'ON' : 'OFF (place a finger on the sensor)'}`);
  }
  if (reading.fingerOn && reading.heartRate != null && reading.spo2 != null) {
    lines.push(`Estimate: HR ${reading.heartRate} bpm  SpO2 ${reading.spo2} %`);
    lines.push(`(${reading.label ?? 'reference value, not a diagnosis'})`);
  }
  if (reading.cuffPressure !== undefined) {
    lines.push(`Cuff: ${String(Math.round(reading.cuffPressure)).padStart(3)} mmHg ${gauge(reading.cuffPressure, 300, 30)}`);
  }
  if (reading.raw !== undefined) lines.push(`Raw: ${reading.raw}`);
  if (reading.value !== undefined) {
    lines.push(`${device === 'scale' ? 'Calibrated' : 'Value'}: ${reading.value}${reading.unit ? ` ${reading.unit}` : ''}${reading.stable === undefined ? '' : reading.stable ? '  STABLE' : '  settling'}`);
  }
  return (
    <Box flexDirection="column">
      {lines.map((l, i) => (
        <Text key={i}>{clip(l, 54)}</Text>
      ))}
      {reading.fingerOn && ppg.length > 1 ? (
        <>
          <Text>PPG (IR, newest right):</Text>
          <Text>{sparkline(ppg, sparkWidth)}</Text>
        </>
      ) : null}
    </Box>
  );
}
