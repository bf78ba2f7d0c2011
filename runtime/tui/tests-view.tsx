/**
 * Device tests: each row runs one test on the daemon (audited there). The scale's calibration asks
 * for the known weight; a running blood-pressure test shows the cuff pressure as it climbs.
 */
import { useEffect, useRef, useState } from 'react';
import { Box, Text } from 'ink';
import type { DeviceName } from '../../drivers/types.js';
import type { DeviceReading, DeviceTestAction } from '../control-methods.js';
import type { Envelope } from '../ports.js';
import { clip, gauge, padEnd, timeOfDay } from './format.js';
import { LineInput } from './line-input.js';
import { useKeys } from './keys.js';
import type { ViewContext } from './station-client.js';

interface TestRow {
  device: DeviceName;
  label: string;
  /** The name in results: `calibrate`, `measure`. */
  short: string;
  run: { kind: 'test'; action: DeviceTestAction } | { kind: 'tare' } | { kind: 'span' };
}

export const testRows: readonly TestRow[] = [
  { device: 'bloodPressure', label: 'measure (cuff on an arm: it inflates)', short: 'measure', run: { kind: 'test', action: 'measure' } },
  { device: 'spo2', label: 'measure (finger on the sensor)', short: 'measure', run: { kind: 'test', action: 'measure' } },
  { device: 'thermometer', label: 'measure', short: 'measure', run: { kind: 'test', action: 'measure' } },
  { device: 'height', label: 'measure', short: 'measure', run: { kind: 'test', action: 'measure' } },
  { device: 'scale', label: 'measure', short: 'measure', run: { kind: 'test', action: 'measure' } },
  { device: 'scale', label: 'tare (scale empty)', short: 'tare', run: { kind: 'tare' } },
  { device: 'scale', label: 'calibrate with a known weight...', short: 'calibrate', run: { kind: 'span' } },
  { device: 'cccdScanner', label: 'read a CCCD (shown masked)', short: 'read', run: { kind: 'test', action: 'read-cccd' } },
  { device: 'printer', label: 'print a test receipt', short: 'test receipt', run: { kind: 'test', action: 'print-test' } },
  { device: 'keypad', label: 'beep', short: 'beep', run: { kind: 'test', action: 'beep' } },
  { device: 'keypad', label: 'blink the status LED', short: 'blink', run: { kind: 'test', action: 'blink' } },
];

interface Outcome {
  at: number;
  ok: boolean;
  text: string;
}

export function TestsView({ ctx, active }: { ctx: ViewContext; active: boolean }) {
  const [index, setIndex] = useState(0);
  const [asking, setAsking] = useState(false);
  const [running, setRunning] = useState<TestRow | undefined>(undefined);
  const [cuff, setCuff] = useState<number | undefined>(undefined);
  const [phase, setPhase] = useState<string | undefined>(undefined);
  const [outcomes, setOutcomes] = useState<Outcome[]>([]);
  const mounted = useRef(true);
  useEffect(() => () => void (mounted.current = false), []);

  // Listening from mount, not from the render that shows RUNNING: the daemon may push the first
  // cuff pressure before React has committed that render.
  const runningDevice = useRef<DeviceName | undefined>(undefined);
  useEffect(
    () =>
      ctx.client.onEvent((event, data) => {
        const r = data as DeviceReading;
        if (event !== 'device.reading' || r.device !== runningDevice.current) return;
        if (r.cuffPressure !== undefined) setCuff(r.cuffPressure);
        if (r.phase) setPhase(r.phase);
      }),
    [ctx.client],
  );

  async function start(row: TestRow, knownKg?: number): Promise<void> {
    runningDevice.current = row.device;
    setRunning(row);
    setCuff(undefined);
    setPhase(undefined);
    const operator = ctx.operator;
    let res: Envelope<{ summary?: string; zeroRaw?: number; kgPerCount?: number }>;
    if (row.run.kind === 'test') {
      res = await ctx.client.call('devices.test', { device: row.device, action: row.run.action, operator });
    } else if (row.run.kind === 'tare') {
      res = await ctx.client.call('devices.calibrate', { device: 'scale', step: 'tare', operator });
    } else {
      res = await ctx.client.call('devices.calibrate', { device: 'scale', step: 'span', knownKg: knownKg!, operator });
    }
    if (!mounted.current) return;
    const what = `${row.device} ${row.short}`;
    let text: string;
    if (!res.ok) text = `${what}: ${res.error.code}: ${res.error.message}`;
    else if (res.data.summary) text = `${what}: ${res.data.summary}`;
    else text = `${what}: saved, zero ${res.data.zeroRaw}, ${(1 / res.data.kgPerCount!).toFixed(1)} counts/kg`;
    setOutcomes((o) => [{ at: ctx.clock.now(), ok: res.ok, text }, ...o].slice(0, 5));
    ctx.notify(res.ok ? 'ok' : 'error', text);
    runningDevice.current = undefined;
    setRunning(undefined);
  }

  useKeys(
    ctx,
    (_input, key) => {
      if (key.upArrow) setIndex((i) => (i - 1 + testRows.length) % testRows.length);
      else if (key.downArrow) setIndex((i) => (i + 1) % testRows.length);
      else if (key.return && !running) {
        const row = testRows[index]!;
        if (row.run.kind === 'span') {
          setAsking(true);
          ctx.setCapture(true);
        } else {
          void start(row);
        }
      }
    },
    active && !asking,
  );

  return (
    <Box flexDirection="column">
      <Text bold>Device tests (Up/Down choose, Enter runs; every test is audited)</Text>
      {testRows.map((row, i) => (
        <Text key={i} inverse={i === index}>
          {`${i === index ? '>' : ' '} ${padEnd(row.device, 14)}${row.label}`}
        </Text>
      ))}
      {asking ? (
        <LineInput
          ctx={ctx}
          label="Known weight on the scale, kg: "
          accept={/[0-9.]/}
          maxLength={7}
          onSubmit={(v) => {
            setAsking(false);
            ctx.setCapture(false);
            const kg = Number(v);
            if (!(kg > 0)) ctx.notify('error', `"${v}" is not a weight in kg`);
            else void start(testRows[index]!, kg);
          }}
          onCancel={() => {
            setAsking(false);
            ctx.setCapture(false);
          }}
        />
      ) : (
        <Text>
          {running
            ? clip(`RUNNING ${running.device} ${running.short}${phase ? `  phase ${phase}` : ''}${cuff !== undefined ? `  cuff ${Math.round(cuff)} mmHg ${gauge(cuff, 300, 20)}` : ''}`, 78)
            : ' '}
        </Text>
      )}
      {outcomes.map((o, i) => (
        <Text key={i}>{clip(`${timeOfDay(o.at)} ${o.ok ? 'OK  ' : 'FAIL'} ${o.text}`, 78)}</Text>
      ))}
    </Box>
  );
}
