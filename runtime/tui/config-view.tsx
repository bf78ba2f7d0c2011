/**
 * The running configuration: read it, change one value, validate the change on the daemon, apply it,
 * and be told whether the station must restart for it to take effect.
 */
import { useEffect, useState } from 'react';
import { Box, Text } from 'ink';
import type { ConfigProblem } from '../control/methods.js';
import { changedPaths, clip, setAtPointer } from './format.js';
import { LineInput } from './line-input.js';
import { useKeys } from './keys.js';
import type { ViewContext } from './station-client.js';

/** What `config.apply` answers; `restartRequired` lists the paths that wait for a restart. */
interface ApplyResult {
  applied?: boolean;
  restartRequired?: boolean | string[];
}

type Step = 'view' | 'path' | 'value';

export function ConfigView({ ctx, active, rows }: { ctx: ViewContext; active: boolean; rows: number }) {
  const [file, setFile] = useState('');
  const [config, setConfig] = useState<unknown>(undefined);
  const [draft, setDraft] = useState<unknown>(undefined);
  const [problems, setProblems] = useState<ConfigProblem[] | undefined>(undefined);
  const [step, setStep] = useState<Step>('view');
  const [path, setPath] = useState('');
  const [scroll, setScroll] = useState(0);
  const [error, setError] = useState<string | undefined>(undefined);
  /** Paths applied that take effect only after a restart; stays shown until the view reloads. */
  const [restartFor, setRestartFor] = useState<string[]>([]);

  async function load(): Promise<void> {
    const res = await ctx.client.call('config.get', {});
    if (res.ok) {
      setFile(res.data.file);
      setConfig(res.data.config);
      setError(undefined);
    } else setError(`${res.error.code}: ${res.error.message}`);
  }

  useEffect(() => {
    if (active && config === undefined) void load();
  }, [active]);

  async function validate(next: unknown): Promise<void> {
    const res = await ctx.client.call('config.validate', { config: next });
    if (!res.ok) {
      ctx.notify('error', `validate: ${res.error.code}: ${res.error.message}`);
      return;
    }
    setProblems(res.data.problems);
    ctx.notify(res.data.valid ? 'ok' : 'error', res.data.valid ? 'the change is valid; press a to apply it' : `${res.data.problems.length} problem(s): nothing applied`);
  }

  async function apply(): Promise<void> {
    const res = await ctx.client.call('config.apply', { config: draft as Record<string, unknown>, operator: ctx.operator } as Record<string, unknown>);
    if (!res.ok) {
      ctx.notify('error', `apply: ${res.error.code}: ${res.error.message}`);
      return;
    }
    const r = (res.data ?? {}) as ApplyResult;
    const restart = Array.isArray(r.restartRequired) ? r.restartRequired : r.restartRequired ? changed : [];
    setRestartFor(restart);
    ctx.notify('ok', restart.length ? 'applied; a RESTART IS NEEDED for it to take effect (see above)' : 'applied; in effect now, no restart needed');
    setDraft(undefined);
    setProblems(undefined);
    setConfig(undefined);
    await load();
  }

  const shownDoc = draft ?? config;
  const text = shownDoc === undefined ? [] : JSON.stringify(shownDoc, null, 2).split('\n');
  const changed = draft === undefined ? [] : changedPaths(config, draft);
  const reserved = 2 + (restartFor.length ? 2 : 0) + (changed.length ? 1 : 0) + Math.min(problems?.length ?? 0, 4) + (step === 'view' ? 0 : 1);
  const room = Math.max(3, rows - reserved);
  const maxScroll = Math.max(0, text.length - room);

  useKeys(
    ctx,
    (input, key) => {
      if (key.upArrow) setScroll((s) => Math.max(0, s - 1));
      else if (key.downArrow) setScroll((s) => Math.min(maxScroll, s + 1));
      else if (key.pageUp) setScroll((s) => Math.max(0, s - room));
      else if (key.pageDown) setScroll((s) => Math.min(maxScroll, s + room));
      else if (input === 'e' && config !== undefined) {
        setStep('path');
        ctx.setCapture(true);
      } else if (input === 'v' && draft !== undefined) void validate(draft);
      else if (input === 'a' && draft !== undefined) {
        if (problems === undefined) ctx.notify('info', 'validate first (v)');
        else if (problems.length > 0) ctx.notify('error', 'the change has problems; fix or discard it (x)');
        else void apply();
      } else if (input === 'x' && draft !== undefined) {
        setDraft(undefined);
        setProblems(undefined);
        ctx.notify('info', 'change discarded');
      } else if (input === 'g') {
        setRestartFor([]);
        setConfig(undefined);
        void load();
      }
    },
    active && step === 'view',
  );

  const finishInput = () => {
    setStep('view');
    ctx.setCapture(false);
  };

  return (
    <Box flexDirection="column">
      <Text>{clip(`File: ${file || '-'}${draft !== undefined ? '   [CHANGED, not applied]' : ''}`, 78)}</Text>
      {error ? <Text>{clip(`cannot read the config: ${error}`, 78)}</Text> : null}
      {text.slice(scroll, scroll + room).map((l, i) => (
        <Text key={i}>{clip(l, 78)}</Text>
      ))}
      {restartFor.length ? (
        <>
          <Text bold>{clip(`RESTART NEEDED for ${restartFor.join(', ')}`, 78)}</Text>
          <Text>  sudo systemctl restart citizen-station</Text>
        </>
      ) : null}
      {changed.length ? <Text bold>{clip(`Changed: ${changed.join(', ')}${problems === undefined ? '  (not validated: v)' : problems.length ? '  INVALID' : '  VALID (a applies)'}`, 78)}</Text> : null}
      {(problems ?? []).slice(0, 4).map((p, i) => (
        <Text key={i}>{clip(`  ! ${p.path || '/'}: ${p.message}`, 78)}</Text>
      ))}
      {step === 'path' ? (
        <LineInput
          ctx={ctx}
          label="Path (e.g. /telemetry/intervalS): "
          onSubmit={(v) => {
            setPath(v);
            setStep('value');
          }}
          onCancel={finishInput}
        />
      ) : null}
      {step === 'value' ? (
        <LineInput
          ctx={ctx}
          label={`${path} = (JSON) `}
          onSubmit={(v) => {
            finishInput();
            try {
              const next = setAtPointer(draft ?? config, path, v);
              setDraft(next);
              setProblems(undefined);
              void validate(next);
            } catch (err) {
              ctx.notify('error', (err as Error).message);
            }
          }}
          onCancel={finishInput}
        />
      ) : null}
    </Box>
  );
}
