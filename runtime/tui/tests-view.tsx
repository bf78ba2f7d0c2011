/**
 * Device tests: each row runs one test on the daemon (audited there). The scale's calibration asks
 * for the known weight; a running blood-pressure test shows the cuff pressure as it climbs. The
 * emergency button's press test (maintenance mode only) arms a window in which a press of the
 * physical button is reported here instead of alerting the police; the view counts the seconds down
 * and `c` cancels it. After the press it waits for the daemon to see the button open again and
 * shows how long it was held, or that it stayed down (a latched head not twisted free, a stuck contact).
 */
import { useEffect, useRef, useState } from 'react';
import { Box, Text } from 'ink';
import type { DeviceName } from '../control/methods.js';
import type { DeviceReading, DeviceTestAction, EmergencyButtonTestReport } from '../control/methods.js';
import type { Envelope } from '../control/methods.js';
import { clip, gauge, padEnd, timeOfDay } from './format.js';
import { LineInput } from './line-input.js';
import { useKeys } from './keys.js';
import type { ViewContext } from './station-client.js';
import type { Clock } from '../kernel/clock.js';

interface DeviceTestRow {
  device: DeviceName;
  label: string;
  /** The name in results: `calibrate`, `measure`. */
  short: string;
  run: { kind: 'test'; action: DeviceTestAction } | { kind: 'tare' } | { kind: 'span' };
}

/** The emergency push button (read by the keypad board): its press test arms a window. */
interface EmergencyTestRow {
  device: 'emergency';
  label: string;
}

type TestRow = DeviceTestRow | EmergencyTestRow;

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
  { device: 'emergency', label: 'press test: no alert sent (maintenance only)' },
];

/** Why a press test ended without a press, in the technician's words. */
const notPressedWhy: Record<string, (r: EmergencyButtonTestReport) => string> = {
  'window-ended': (r) => `within ${r.windowS} s`,
  cancelled: () => '(cancelled)',
  'maintenance-off': () => '(maintenance was turned off)',
};

/** The press half of a press test's line: "pressed ✓ 3.0 s after arming". */
function pressedText(r: EmergencyButtonTestReport): string {
  return `pressed ✓ ${(r.afterMs! / 1000).toFixed(1)} s after arming`;
}

interface Outcome {
  at: number;
  ok: boolean;
  text: string;
}

export function TestsView({ ctx, active }: { ctx: ViewContext; active: boolean }) {
  const [index, setIndex] = useState(0);
  const [asking, setAsking] = useState(false);
  const [running, setRunning] = useState<DeviceTestRow | undefined>(undefined);
  const [cuff, setCuff] = useState<number | undefined>(undefined);
  const [phase, setPhase] = useState<string | undefined>(undefined);
  const [outcomes, setOutcomes] = useState<Outcome[]>([]);
  /** While a press test is armed: when its window closes, on this terminal's clock. */
  const [armedUntil, setArmedState] = useState<number | undefined>(undefined);
  const armedRef = useRef<number | undefined>(undefined);
  /** After the press, until the daemon knows whether the button opened again: the press's report. */
  const [holding, setHoldingState] = useState<EmergencyButtonTestReport | undefined>(undefined);
  const holdingRef = useRef<EmergencyButtonTestReport | undefined>(undefined);
  const [, setTick] = useState(0);
  const mounted = useRef(true);
  useEffect(() => () => void (mounted.current = false), []);

  function addOutcome(ok: boolean, text: string): void {
    setOutcomes((o) => [{ at: ctx.clock.now(), ok, text }, ...o].slice(0, 5));
    ctx.notify(ok ? 'ok' : 'error', text);
  }

  function setArmed(next: number | undefined): void {
    armedRef.current = next;
    setArmedState(next);
  }

  function setHolding(next: EmergencyButtonTestReport | undefined): void {
    holdingRef.current = next;
    setHoldingState(next);
  }

  function adopt(r: EmergencyButtonTestReport): void {
    if (!mounted.current) return;
    if (r.state === 'armed') {
      setArmed(ctx.clock.now() + r.secondsLeft! * 1000);
      return;
    }
    // The push and a poll may both bring the end: only the first one is reported.
    if (armedRef.current === undefined && holdingRef.current === undefined) return;
    setArmed(undefined);
    if (r.state === 'pressed' && r.released === undefined) {
      setHolding(r);
      return;
    }
    setHolding(undefined);
    if (r.state === 'pressed') {
      const hold = r.released ? `held ${(r.heldMs! / 1000).toFixed(1)} s` : 'still held: latched?';
      // "emergency:", not "emergency test:", so the longest line (120.0 s, still held) fits 80 columns.
      addOutcome(r.released === true, `emergency: ${pressedText(r)}, ${hold}`);
    } else addOutcome(false, `emergency test: not pressed ${notPressedWhy[r.ended ?? '']?.(r) ?? ''}`.trim());
  }

  // A test armed before this view opened (another view, another terminal) is shown too.
  useEffect(() => {
    void ctx.client.call('emergency.test.status', {}).then((res) => {
      if (res.ok && res.data.state === 'armed') adopt(res.data);
    });
    return ctx.client.onEvent((event, data) => {
      if (event === 'emergency.test') adopt(data as EmergencyButtonTestReport);
    });
  }, [ctx.client]);

  // While armed or waiting for the release: the seconds left each second, and the daemon asked how
  // the test stands, so the end shows even when the pushed result was lost with a reconnect.
  const waiting = armedUntil !== undefined || holding !== undefined;
  useEffect(() => {
    if (!waiting) return;
    let live = true;
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    const tick = () => {
      if (!live) return;
      setTick((n) => n + 1);
      void ctx.client.call('emergency.test.status', {}).then((res) => {
        if (live && res.ok && res.data.state !== 'armed') adopt(res.data);
      });
      timer = ctx.clock.setTimeout(tick, 1000);
    };
    timer = ctx.clock.setTimeout(tick, 1000);
    return () => {
      live = false;
      ctx.clock.clearTimeout(timer);
    };
  }, [waiting, ctx.clock, ctx.client]);

  async function arm(): Promise<void> {
    const res = await ctx.client.call('emergency.test.arm', { operator: ctx.operator });
    if (!mounted.current) return;
    if (res.ok) {
      adopt(res.data);
      ctx.notify('info', `emergency button armed for ${res.data.windowS} s: press the red button now; no alert is sent`);
    } else if (res.error.code === 'MAINTENANCE_REQUIRED') {
      // The daemon's reason is longer than a row: the same reason, short.
      addOutcome(false, 'emergency test: the station is in service; maintenance first (7)');
    } else addOutcome(false, `emergency test: ${res.error.code}: ${res.error.message}`);
  }

  async function cancelArmed(): Promise<void> {
    const res = await ctx.client.call('emergency.test.cancel', { operator: ctx.operator });
    if (res.ok) adopt(res.data);
    else if (mounted.current) ctx.notify('error', `cancel: ${res.error.code}: ${res.error.message}`);
  }

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

  async function start(row: DeviceTestRow, knownKg?: number): Promise<void> {
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
    addOutcome(res.ok, text);
    runningDevice.current = undefined;
    setRunning(undefined);
  }

  useKeys(
    ctx,
    (input, key) => {
      if (key.upArrow) setIndex((i) => (i - 1 + testRows.length) % testRows.length);
      else if (key.downArrow) setIndex((i) => (i + 1) % testRows.length);
      else if (input === 'c' && armedRef.current !== undefined) void cancelArmed();
      else if (key.return && !running && armedRef.current === undefined && holdingRef.current === undefined) {
        const row = testRows[index]!;
        if (row.device === 'emergency') void arm();
        else if (row.run.kind === 'span') {
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
            const row = testRows[index]!;
            if (!(kg > 0)) ctx.notify('error', `"${v}" is not a weight in kg`);
            else if (row.device !== 'emergency') void start(row, kg);
          }}
          onCancel={() => {
            setAsking(false);
            ctx.setCapture(false);
          }}
        />
      ) : (
        <Text bold={waiting}>
          {armedUntil !== undefined
            ? clip(`ARMED emergency button: press it now  ${Math.max(0, Math.ceil((armedUntil - ctx.clock.now()) / 1000))} s left  (c cancels)`, 78)
            : holding
            ? clip(`PRESSED ✓ ${(holding.afterMs! / 1000).toFixed(1)} s after arming: now release it (twist a latched head free)`, 78)
            : running
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
