/**
 * `station tui`: the technician UI as its own process, talking to the daemon over the control
 * socket only. The CLI calls {@link runTui} with the socket path from the config.
 */
import { userInfo } from 'node:os';
import { render } from 'ink';
import { ControlClient } from '../control/client.js';
import { systemClock, type Clock } from '../kernel/clock.js';
import { DiagnosticShell } from './diagnostic-shell.js';
import { App } from './app.js';
import { ReconnectingClient } from './reconnecting-client.js';

export interface RunTuiOptions {
  socketPath: string;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  /** Login name written into audit records. Default: the user running the UI. */
  operator?: string;
  /** Default: the wall clock. */
  clock?: Clock;
}

/** Runs until the technician quits; resolves with the process exit code. */
export async function runTui(options: RunTuiOptions): Promise<number> {
  const client = new ReconnectingClient(() => new ControlClient(options.socketPath));
  const first = await client.call('status', {});
  if (!first.ok && first.error.code === 'DAEMON_UNREACHABLE') {
    options.stdout.write(`${first.error.message}\nIs the station running? sudo systemctl status citizen-station\n`);
    return 1;
  }
  const operator = options.operator ?? userInfo().username;
  const opened = await client.call('audit.record', { action: 'session.open', operator });
  if (!opened.ok) {
    // Reading is still allowed; every action the technician takes is audited on its own.
    options.stdout.write(`note: the session could not be audited (${opened.error.code}); actions still are\n`);
  }
  const shell = new DiagnosticShell();
  const instance = render(<App client={client} clock={options.clock ?? systemClock} operator={operator} shell={shell} />, {
    stdin: options.stdin,
    stdout: options.stdout,
    // Ctrl-C belongs to the tool in the board-tools pane; elsewhere the frame quits on it.
    exitOnCtrlC: false,
    patchConsole: false,
  });
  try {
    await instance.waitUntilExit();
  } finally {
    await shell.close();
    await client.call('audit.record', { action: 'session.close', operator });
    client.close();
  }
  return 0;
}
