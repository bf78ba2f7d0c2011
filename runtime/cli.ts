#!/usr/bin/env node
/**
 * The `station` command. Each subcommand loads only what it needs, so `station status` and
 * `station start` stay quick on a small board.
 */
import { parseArgs } from 'node:util';

const usage = `usage: station <command> [options]

commands:
  start --config FILE [--data DIR] [--broker URL]   run the station daemon
  status [--config FILE] [--data DIR] [--socket PATH] [--json]
                                                    show the running daemon's state
  check-config FILE                                 validate a configuration file
  vietqr --bank BIN --account NO [--amount N] [--bill REF] [--terminal ID] [--purpose TEXT]
                                                    print a VietQR payload
  cccd "<qr text>"                                  parse and cross-check a CCCD QR line
  analyze-ppg FILE.csv [--rate HZ]                  heart rate and SpO2 from a recorded red,ir trace
  report [--data DIR] [--from DATE] [--to DATE] [--format table|json|csv|svg]
                                                    usage analytics of this station
  tui [--config FILE] [--data DIR] [--socket PATH]  the technician terminal UI
`;

type Io = { stdout: (s: string) => void; stderr: (s: string) => void };

async function main(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start': {
      const { runDaemonCommand } = await import('./main.js');
      return runDaemonCommand(rest, io);
    }
    case 'status': {
      const { values } = parseArgs({
        args: rest,
        options: { config: { type: 'string' }, data: { type: 'string' }, socket: { type: 'string' }, json: { type: 'boolean' } },
      });
      const { statusCommand } = await import('./cli/status.js');
      return statusCommand({ configFile: values.config, dataDir: values.data, socketPath: values.socket, json: values.json ?? false }, io);
    }
    case 'check-config': {
      const file = rest[0];
      if (!file || rest.length > 1) {
        io.stderr('station check-config: give exactly one FILE\n');
        return 2;
      }
      const { validateConfigFile, formatProblems } = await import('./config/config.js');
      const result = validateConfigFile(file);
      if (result.ok) {
        io.stdout(`${file}: valid\n`);
        return 0;
      }
      io.stderr(formatProblems(file, result.problems).join('\n') + '\n');
      return 1;
    }
    case 'vietqr': {
      const { vietqrCommand } = await import('./cli/vietqr.js');
      const result = vietqrCommand(rest);
      if (result.stdout) io.stdout(result.stdout);
      if (result.stderr) io.stderr(result.stderr);
      return result.exitCode;
    }
    case 'cccd': {
      if (rest.length !== 1) {
        io.stderr('station cccd: give the QR text as one argument, quoted\n');
        return 2;
      }
      const { parseCccd } = await import('../drivers/cccd.js');
      const result = parseCccd(rest[0]!);
      if (!result.ok) {
        io.stderr(`station cccd: refused: ${result.error}\n`);
        return 1;
      }
      io.stdout(JSON.stringify(result.value, null, 2) + '\n');
      return 0;
    }
    case 'analyze-ppg': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { rate: { type: 'string' } } });
      if (positionals.length !== 1) {
        io.stderr('station analyze-ppg: give exactly one FILE.csv\n');
        return 2;
      }
      const rate = values.rate === undefined ? 100 : Number(values.rate);
      const [{ readFile }, { analyzePpgCsv }] = await Promise.all([import('node:fs/promises'), import('../drivers/spo2/ppg-analysis.js')]);
      try {
        io.stdout(JSON.stringify(analyzePpgCsv(await readFile(positionals[0]!, 'utf8'), rate), null, 2) + '\n');
        return 0;
      } catch (err) {
        io.stderr(`station analyze-ppg: ${positionals[0]}: ${(err as Error).message}\n`);
        return 1;
      }
    }
    case 'report': {
      const [{ reportCommand }, { findInstallPaths }] = await Promise.all([import('./cli/report.js'), import('./platform/install-paths.js')]);
      return reportCommand(rest, { stdout: { write: io.stdout }, stderr: { write: io.stderr }, flowsDir: findInstallPaths(import.meta.url).flowsDir });
    }
    case 'tui': {
      const { values } = parseArgs({ args: rest, options: { config: { type: 'string' }, data: { type: 'string' }, socket: { type: 'string' } } });
      const [{ socketPathFor }, { runTui }] = await Promise.all([import('./cli/status.js'), import('./tui/run-tui.js')]);
      let socketPath: string;
      try {
        socketPath = socketPathFor({ configFile: values.config, dataDir: values.data, socketPath: values.socket });
      } catch (err) {
        io.stderr(`station tui: ${(err as Error).message}\n`);
        return 1;
      }
      return runTui({ socketPath, stdin: process.stdin, stdout: process.stdout });
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      io.stdout(usage);
      return command === undefined ? 2 : 0;
    default:
      io.stderr(`station: unknown command "${command}"\n${usage}`);
      return 2;
  }
}

const io: Io = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };
main(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`station: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
