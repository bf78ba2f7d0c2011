/**
 * The technician UI frame: a header, the view tabs, the current view, a message row and the keys of
 * the view. Fits 80x24; every state is a word or a marker, so it reads without colour.
 */
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { Box, Text, useApp, useInput, useStdin } from 'ink';
import type { DeviceStatus } from '../control/methods.js';
import type { StatusReport } from '../control/methods.js';
import type { Clock } from '../kernel/clock.js';
import type { DiagnosticShell } from './diagnostic-shell.js';
import { clip, timeOfDay } from './format.js';
import { splitKeys } from './keys.js';
import type { StationClient, TypedKey, ViewContext } from './station-client.js';
import { DashboardView } from './dashboard-view.js';
import { DevicesView } from './devices-view.js';
import { TestsView } from './tests-view.js';
import { JournalView } from './journal-view.js';
import { LogsView } from './logs-view.js';
import { ConfigView } from './config-view.js';
import { MaintenanceView } from './maintenance-view.js';
import { ShellView } from './shell-view.js';
import { UsageView } from './usage-view.js';

export const views = [
  { id: 'dashboard', title: 'Dashboard', keys: '' },
  { id: 'devices', title: 'Devices', keys: 'Up/Down device' },
  { id: 'tests', title: 'Tests', keys: 'Up/Down choose  Enter run  c cancel button test' },
  { id: 'journal', title: 'Journal', keys: 'f filter  r retry flagged  e export redacted' },
  { id: 'logs', title: 'Logs', keys: 'l level  c component  space pause  arrows scroll' },
  { id: 'config', title: 'Config', keys: 'e edit  v validate  a apply  x discard  g reload' },
  { id: 'maintenance', title: 'Maint', keys: 'm maintenance on/off' },
  { id: 'shell', title: 'Board', keys: 'Up/Down choose  Enter run  Esc close' },
  { id: 'usage', title: 'Usage', keys: 't today/week' },
] as const;
export type ViewId = (typeof views)[number]['id'];

/** Rows left for a view in a 24-row terminal: header, tabs, message and keys take four. */
export const viewRows = 19;

export interface AppProps {
  client: StationClient;
  clock: Clock;
  operator: string;
  shell: DiagnosticShell;
  /** How often status and devices refresh. Default 2000 ms. */
  pollMs?: number;
  initialView?: ViewId;
}

export function App({ client, clock, operator, shell, pollMs = 2000, initialView = 'dashboard' }: AppProps) {
  const { exit } = useApp();
  const [view, setView] = useState<ViewId>(initialView);
  const [status, setStatus] = useState<StatusReport | undefined>(undefined);
  const [devices, setDevices] = useState<DeviceStatus[] | undefined>(undefined);
  const [reachable, setReachable] = useState<string | undefined>(undefined);
  const [polls, setPolls] = useState(0);
  const [message, setMessage] = useState<{ kind: 'ok' | 'error' | 'info'; text: string; at: number } | undefined>(undefined);
  const [capture, setCaptureState] = useState(false);
  // Keys typed fast (or batched by a slow SSH link) can arrive after a key opened a field but before
  // React has rendered the field and it listens. Those keys are kept and handed to the field. To tell
  // the opening key from the ones after it, every key is numbered by a listener placed first.
  const { internal_eventEmitter: inputEvents } = useStdin();
  const keySeq = useRef(0);
  const captureRef = useRef(false);
  const openedAtSeq = useRef(0);
  const typedAhead = useRef<TypedKey[]>([]);
  useLayoutEffect(() => {
    const count = () => void keySeq.current++;
    inputEvents.prependListener('input', count);
    return () => void inputEvents.removeListener('input', count);
  }, [inputEvents]);
  const setCapture = useCallback((on: boolean) => {
    captureRef.current = on;
    openedAtSeq.current = keySeq.current;
    typedAhead.current = [];
    setCaptureState(on);
  }, []);
  const [connection, setConnection] = useState(0);
  useEffect(() => client.onReconnect?.(() => setConnection((n) => n + 1)), [client]);
  const pollTimer = useRef<ReturnType<Clock['setTimeout']> | undefined>(undefined);

  const refresh = useCallback(async () => {
    const [s, d] = await Promise.all([client.call('status', {}), client.call('devices', {})]);
    if (s.ok) {
      setStatus(s.data);
      setReachable(undefined);
    } else setReachable(`${s.error.code}: ${s.error.message}`);
    if (d.ok) setDevices(d.data);
    setPolls((n) => n + 1);
  }, [client]);

  useEffect(() => {
    let live = true;
    const tick = async () => {
      await refresh();
      if (live) pollTimer.current = clock.setTimeout(() => void tick(), pollMs);
    };
    void tick();
    return () => {
      live = false;
      clock.clearTimeout(pollTimer.current);
    };
  }, [clock, pollMs, refresh]);

  const ctx: ViewContext = useMemo(
    () => ({
      client,
      clock,
      connection,
      operator,
      notify: (kind, text) => setMessage({ kind, text, at: clock.now() }),
      setCapture,
      capturing: () => captureRef.current,
      keepTypedAhead: (input, key) => void typedAhead.current.push({ input, key }),
      takeTypedAhead: () => typedAhead.current.splice(0),
    }),
    [client, clock, connection, operator, setCapture],
  );

  // Always listening keeps the terminal in raw mode for the whole session: when the last active
  // input hook lets go, Ink drops raw mode and detaches stdin, and keys typed while one field hands
  // over to the next could be lost.
  useInput(() => undefined);
  useInput(
    (input, key) => {
      if (captureRef.current) {
        // Keys of the event that opened the field were kept by the view that opened it.
        if (keySeq.current > openedAtSeq.current) typedAhead.current.push(...splitKeys(input, key));
        return;
      }
      // A chunk of several keys is for the view's fields; navigation keys come one at a time.
      if ([...input].length > 1) return;
      const n = Number(input);
      if (input === 'q' || (key.ctrl && input === 'c')) exit();
      else if (Number.isInteger(n) && n >= 1 && n <= views.length) setView(views[n - 1]!.id);
      else if (key.tab || key.rightArrow || key.leftArrow) {
        const i = views.findIndex((v) => v.id === view);
        const step = key.leftArrow || key.shift ? -1 : 1;
        setView(views[(i + step + views.length) % views.length]!.id);
      }
    },
    { isActive: !capture },
  );

  const current = views.find((v) => v.id === view)!;
  const linkState = status?.link.state.toUpperCase() ?? '?';
  const header = reachable
    ? `citizen-station  DAEMON UNREACHABLE: ${reachable}`
    : `citizen-station ${status?.stationId ?? '...'} v${status?.version ?? '?'}  ${status?.maintenance.on ? 'MAINTENANCE' : 'IN SERVICE'}  link ${linkState}  tech ${operator}`;

  return (
    <Box flexDirection="column" width={80}>
      <Text bold inverse>{clip(header, 80).padEnd(80)}</Text>
      <Text>
        {views.map((v, i) => {
          // Nine tabs fit 80 columns only with one column between them; the current tab's brackets
          // stand in for the spaces around it.
          const before = v.id === view ? '[' : i === 0 || views[i - 1]!.id === view ? '' : ' ';
          return (
            <Text key={v.id}>
              {before}
              <Text bold={v.id === view} inverse={v.id === view}>{`${i + 1} ${v.title}`}</Text>
              {v.id === view ? ']' : ''}
            </Text>
          );
        })}
      </Text>
      <Box flexDirection="column" height={viewRows} overflow="hidden">
        {view === 'dashboard' ? <DashboardView status={status} devices={devices} rows={viewRows} /> : null}
        {view === 'devices' ? <DevicesView ctx={ctx} devices={devices} active /> : null}
        {view === 'tests' ? <TestsView ctx={ctx} active /> : null}
        {view === 'journal' ? <JournalView ctx={ctx} outbox={status?.outbox} active rows={viewRows} /> : null}
        {view === 'logs' ? <LogsView ctx={ctx} active rows={viewRows} /> : null}
        {view === 'config' ? <ConfigView ctx={ctx} active rows={viewRows} /> : null}
        {view === 'maintenance' ? <MaintenanceView ctx={ctx} status={status} active refresh={() => void refresh()} /> : null}
        {view === 'shell' ? <ShellView ctx={ctx} shell={shell} active rows={viewRows} /> : null}
        {view === 'usage' ? <UsageView ctx={ctx} poll={polls} active rows={viewRows} /> : null}
      </Box>
      <Text bold={message?.kind === 'error'}>
        {message ? clip(`${timeOfDay(message.at)} ${message.kind === 'ok' ? 'OK:' : message.kind === 'error' ? 'ERROR:' : 'NOTE:'} ${message.text}`, 80) : ' '}
      </Text>
      <Text dimColor>{clip(`${current.keys ? `${current.keys} | ` : ''}${capture ? 'typing: Esc leaves' : `1-${views.length}/Tab views  q quit`}`, 80)}</Text>
    </Box>
  );
}
