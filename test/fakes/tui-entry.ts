/**
 * Runs the technician UI on this process's terminal against the socket named on the command line,
 * for tests that drive it in a real terminal (tmux). The product entry is `station tui`.
 */
import { runTui } from '../../runtime/tui/run-tui.js';

process.exitCode = await runTui({ socketPath: process.argv[2]!, stdin: process.stdin, stdout: process.stdout, operator: process.argv[3] ?? 'tmux-tech' });
