import t from 'tap';
import { DiagnosticShell, PaneText, boardCommands, type PtyProcess, type PtySpawn } from '../../../runtime/tui/diagnostic-shell.js';

t.test('pane text drops escapes, honours carriage return and backspace', async (t) => {
  const pane = new PaneText(3);
  pane.write('\u001b[1;32mActive:\u001b[0m running\r\n');
  pane.write('progress 10%\rprogress 99%\n');
  pane.write('ab\bc\u001b]0;title\u0007\n');
  t.same(pane.lines(), ['Active: running', 'progress 99%', 'ac']);
  pane.write('four\nfive');
  t.same(pane.lines(), ['ac', 'four', 'five'], 'keeps the newest lines');
});

t.test('only listed commands run, with a clean environment; close ends the tool', async (t) => {
  const calls: { file: string; args: string[]; env: Record<string, string> }[] = [];
  let killed: string | undefined;
  let exit: ((e: { exitCode: number }) => void) | undefined;
  const spawn: PtySpawn = (file, args, o) => {
    calls.push({ file, args, env: o.env });
    const proc: PtyProcess = {
      onData: () => ({ dispose() {} }),
      onExit: (l) => ((exit = l), { dispose() {} }),
      write: () => undefined,
      resize: () => undefined,
      kill: (s) => void (killed = s),
    };
    return proc;
  };
  const shell = new DiagnosticShell({ spawn });
  await t.rejects(shell.open('bash'), /not one of the board commands/);
  t.equal(calls.length, 0);
  await shell.open('i2c-scan');
  t.same(calls[0]!.args, ['-y', '1']);
  t.same(Object.keys(calls[0]!.env).sort(), ['LANG', 'PAGER', 'PATH', 'SYSTEMD_COLORS', 'SYSTEMD_PAGER', 'TERM'], 'nothing of the caller leaks in');
  t.ok(shell.running);
  await shell.close();
  t.equal(killed, 'SIGHUP');
  killed = undefined;
  await shell.close();
  t.equal(killed, undefined, 'idempotent');
  exit?.({ exitCode: 0 });
  t.notOk(shell.running, 'a late exit of a closed tool changes nothing');
  const shells = new Set(['sh', 'bash', 'dash', 'zsh', 'su', 'sudo', 'env', 'nsenter']);
  t.same(boardCommands.filter((c) => shells.has(c.file) || c.args.some((a) => a === '-exec' || a === '-c')), [], 'no shell, no way to run another program');
});

t.test('a listed command runs in a real pseudo-terminal (node-pty)', async (t) => {
  const shell = new DiagnosticShell({ cols: 78, rows: 16 });
  t.teardown(() => shell.close());
  const ended = new Promise<void>((resolve) => shell.onChange(() => !shell.running && resolve()));
  await shell.open('disk');
  await ended;
  const text = shell.lines().join('\n');
  t.match(text, /^\$ df -h \/ \/var\/lib\/citizen-station/);
  t.match(text, /Filesystem/, 'df printed its table through the pty');
  t.match(text, /\[exit \d+\]/, 'the end is shown with its exit code');
});
