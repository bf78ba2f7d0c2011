/**
 * The board-tools pane of the technician UI: runs one of a fixed list of diagnostic commands in a
 * pseudo-terminal and keeps its output as plain lines for an 80x24 pane.
 *
 * A fixed list, not a shell: the technician reached the TUI through SSH and already has a shell one
 * keystroke away (quit, or a second SSH session), so a shell here would add nothing but an unaudited
 * way around the UI. Each listed command is audited by name, runs with a clean environment, and is
 * safe for a technician account that is in the citizen-station group only.
 *
 * A pseudo-terminal rather than a pipe, because the tools change behaviour without one: i2cdetect
 * asks before probing (its `-y` skips that, but the technician can still answer), systemctl and
 * journalctl fit lines to the terminal width, and Ctrl-C must reach the tool. node-pty is a native
 * module, so it is imported only when the pane opens (tests pass their own `spawn`).
 */

export interface PtyProcess {
  onData(listener: (data: string) => void): { dispose(): void };
  onExit(listener: (event: { exitCode: number; signal?: number }) => void): { dispose(): void };
  write(data: string): void;
  resize(cols: number, rows: number): void;
  kill(signal?: string): void;
}

export type PtySpawn = (
  file: string,
  args: string[],
  options: { name: string; cols: number; rows: number; cwd: string; env: Record<string, string> },
) => PtyProcess;

export interface BoardCommand {
  /** Short name used in the audit record. */
  id: string;
  label: string;
  file: string;
  args: string[];
}

/** The commands offered, in menu order. */
export const boardCommands: readonly BoardCommand[] = [
  { id: 'service-status', label: 'systemctl status citizen-station', file: 'systemctl', args: ['status', '--no-pager', '--lines=15', 'citizen-station.service'] },
  { id: 'kiosk-status', label: 'systemctl status citizen-station-display', file: 'systemctl', args: ['status', '--no-pager', '--lines=10', 'citizen-station-display.service'] },
  { id: 'journal', label: 'journalctl: station, last 200 lines', file: 'journalctl', args: ['-u', 'citizen-station.service', '-n', '200', '--no-pager', '-o', 'short-iso'] },
  { id: 'kernel-warnings', label: 'journalctl: kernel warnings this boot', file: 'journalctl', args: ['-k', '-b', '-p', 'warning', '-n', '100', '--no-pager'] },
  { id: 'i2c-scan', label: 'i2cdetect -y 1 (expect 57 and 5a)', file: 'i2cdetect', args: ['-y', '1'] },
  { id: 'serial-names', label: 'serial adapters (/dev/station-*)', file: 'find', args: ['/dev', '-maxdepth', '1', '-name', 'station-*', '-printf', '%p -> %l\\n'] },
  { id: 'usb', label: 'lsusb (adapters, scanner, printer)', file: 'lsusb', args: [] },
  { id: 'gpio', label: 'gpioinfo (line offsets = BCM numbers)', file: 'gpioinfo', args: [] },
  { id: 'throttled', label: 'vcgencmd get_throttled (under-voltage)', file: 'vcgencmd', args: ['get_throttled'] },
  { id: 'temperature', label: 'vcgencmd measure_temp', file: 'vcgencmd', args: ['measure_temp'] },
  { id: 'disk', label: 'df -h (root and data partition)', file: 'df', args: ['-h', '/', '/var/lib/citizen-station'] },
  { id: 'network', label: 'ip -brief address', file: 'ip', args: ['-brief', 'address'] },
];

export interface DiagnosticShellOptions {
  /** Default: node-pty's spawn, loaded on first use. */
  spawn?: PtySpawn;
  /** Pane size. Default 78x16. */
  cols?: number;
  rows?: number;
  /** Output lines kept for scrolling back. Default 1000. */
  maxLines?: number;
}

/** A clean environment: nothing of the technician's session leaks into the tools, and no pager or colour. */
const toolEnvironment: Record<string, string> = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  TERM: 'dumb',
  LANG: 'C.UTF-8',
  PAGER: 'cat',
  SYSTEMD_PAGER: '',
  SYSTEMD_COLORS: '0',
};

// CSI (ESC [ … final), OSC (ESC ] … BEL/ST) and two-byte escapes: none carry text for the pane.
const escapeSequence = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

/** Plain lines from terminal output: escapes dropped, `\r` returns to the line start, backspace erases. */
export class PaneText {
  private done: string[] = [];
  private current = '';
  private column = 0;

  constructor(private readonly maxLines: number) {}

  write(data: string): void {
    const text = data.replace(escapeSequence, '');
    for (const ch of text) {
      if (ch === '\n') {
        this.done.push(this.current);
        this.current = '';
        this.column = 0;
        if (this.done.length > this.maxLines) this.done.splice(0, this.done.length - this.maxLines);
      } else if (ch === '\r') {
        this.column = 0;
      } else if (ch === '\b') {
        this.column = Math.max(0, this.column - 1);
      } else if (ch >= ' ' || ch === '\t') {
        const c = ch === '\t' ? ' ' : ch;
        const chars = [...this.current];
        chars[this.column] = c;
        this.current = chars.join('');
        this.column++;
      }
    }
  }

  /** At most `maxLines`, the newest, the unfinished last line included. */
  lines(): string[] {
    return (this.current ? [...this.done, this.current] : this.done).slice(-this.maxLines);
  }
}

export class DiagnosticShell {
  private process: PtyProcess | undefined;
  private text: PaneText;
  private readonly listeners = new Set<() => void>();
  private exit: { exitCode: number; signal?: number } | undefined;
  private command: BoardCommand | undefined;

  constructor(private readonly options: DiagnosticShellOptions = {}) {
    this.text = new PaneText(options.maxLines ?? 1000);
  }

  get running(): boolean {
    return this.process !== undefined && this.exit === undefined;
  }

  get exitCode(): number | undefined {
    return this.exit?.exitCode;
  }

  get current(): BoardCommand | undefined {
    return this.command;
  }

  lines(): string[] {
    return this.text.lines();
  }

  /** Calls `listener` whenever output arrives or the command ends; returns the remover. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Runs one listed command; a previous one still running is ended first. */
  async open(id: string): Promise<BoardCommand> {
    const command = boardCommands.find((c) => c.id === id);
    if (!command) throw new Error(`"${id}" is not one of the board commands`);
    await this.close();
    const spawn = this.options.spawn ?? (await loadNodePty());
    this.text = new PaneText(this.options.maxLines ?? 1000);
    this.exit = undefined;
    this.command = command;
    this.text.write(`$ ${[command.file, ...command.args].join(' ')}\n`);
    const proc = spawn(command.file, command.args, {
      name: 'dumb',
      cols: this.options.cols ?? 78,
      rows: this.options.rows ?? 16,
      cwd: '/',
      env: toolEnvironment,
    });
    this.process = proc;
    proc.onData((data) => {
      if (this.process !== proc) return;
      this.text.write(data);
      this.changed();
    });
    proc.onExit((event) => {
      if (this.process !== proc) return;
      this.exit = event;
      this.text.write(`\n[exit ${event.exitCode}${event.signal ? `, signal ${event.signal}` : ''}]\n`);
      this.changed();
    });
    this.changed();
    return command;
  }

  /** Keys typed in the pane go to the tool (answers, `q`, Ctrl-C as `\x03`). */
  write(data: string): void {
    if (this.running) this.process!.write(data);
  }

  /** Ends the running command (SIGHUP, as when a terminal closes) and forgets it; idempotent. */
  async close(): Promise<void> {
    const proc = this.process;
    this.process = undefined;
    if (proc && this.exit === undefined) {
      try {
        proc.kill('SIGHUP');
      } catch (err) {
        // ESRCH: the tool exited between the exit check and the kill; nothing is left to end.
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
    }
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}

async function loadNodePty(): Promise<PtySpawn> {
  const pty = await import('node-pty');
  return (file, args, options) => pty.spawn(file, args, options);
}
