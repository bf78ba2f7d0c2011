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
`;

type Io = { stdout: (s: string) => void; stderr: (s: string) => void };

async function main(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start': {
      const { values } = parseArgs({ args: rest, options: { config: { type: 'string' }, data: { type: 'string' }, broker: { type: 'string' } } });
      if (!values.config) {
        io.stderr('station start: --config FILE is required\n');
        return 2;
      }
      const { runDaemon } = await import('./main.js');
      return runDaemon({ configFile: values.config, dataDir: values.data, brokerUrl: values.broker });
    }
    case 'status': {
      const { values } = parseArgs({
        args: rest,
        options: { config: { type: 'string' }, data: { type: 'string' }, socket: { type: 'string' }, json: { type: 'boolean' } },
      });
      const { statusCommand } = await import('./status-command.js');
      return statusCommand({ configFile: values.config, dataDir: values.data, socketPath: values.socket, json: values.json ?? false }, io);
    }
    case 'check-config': {
      const file = rest[0];
      if (!file || rest.length > 1) {
        io.stderr('station check-config: give exactly one FILE\n');
        return 2;
      }
      const { validateConfigFile, formatProblems } = await import('./config.js');
      const result = validateConfigFile(file);
      if (result.ok) {
        io.stdout(`${file}: valid\n`);
        return 0;
      }
      io.stderr(formatProblems(file, result.problems).join('\n') + '\n');
      return 1;
    }
    case 'vietqr': {
      const { vietqrCommand } = await import('./vietqr-cli.js');
      const result = vietqrCommand(rest);
      if (result.stdout) io.stdout(result.stdout);
      if (result.stderr) io.stderr(result.stderr);
      return result.exitCode;
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
