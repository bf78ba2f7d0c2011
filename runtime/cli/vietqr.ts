/**
 * `station vietqr`: prints a VietQR payload built from command-line arguments, so a technician or an
 * operator can check what the station shows without a resident session. Pure: returns what to print
 * and the exit code; the `station` CLI writes it out.
 */
import { AMOUNT_MAX_LENGTH, buildVietQr, VietQrInputError } from '../services/vietqr.js';
import type { VietQrField, VietQrInput } from '../services/vietqr.js';

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export const vietqrUsage =
  'usage: station vietqr --bank BIN --account NO [--amount N] [--bill REF] [--terminal ID] [--purpose TEXT] [--card]\n' +
  '  --bank      NAPAS bank BIN, 6 digits (e.g. 970436)\n' +
  '  --account   beneficiary account number, 1-19 letters or digits\n' +
  `  --amount    amount in dong, a positive integer of at most ${AMOUNT_MAX_LENGTH} digits (makes a dynamic code)\n` +
  '  --bill      bill reference (62/01), at most 25 characters\n' +
  '  --terminal  terminal or station id (62/07), at most 25 characters\n' +
  '  --purpose   purpose of transfer (62/08), Vietnamese diacritics removed, at most 25 characters\n' +
  '  --card      the number is a card number (service QRIBFTTC) instead of an account (QRIBFTTA)\n';

const valueOptions = ['bank', 'account', 'amount', 'bill', 'terminal', 'purpose'] as const;
type ValueOption = (typeof valueOptions)[number];

const optionOfField: Record<VietQrField, string> = {
  bankBin: '--bank', account: '--account', amount: '--amount', bill: '--bill', terminal: '--terminal',
  purpose: '--purpose', service: '--card',
};

function fail(message: string): CommandResult {
  return { exitCode: 1, stdout: '', stderr: `station vietqr: ${message}\n${vietqrUsage}` };
}

/**
 * Runs `station vietqr` with the arguments that follow the command name (a leading `vietqr` is
 * skipped too). Options take their value as the next argument or after `=`.
 */
export function vietqrCommand(argv: string[]): CommandResult {
  const args = argv[0] === 'vietqr' ? argv.slice(1) : argv;
  const values = new Map<ValueOption, string>();
  let card = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--help' || arg === '-h') return { exitCode: 0, stdout: vietqrUsage, stderr: '' };
    if (!arg.startsWith('--')) return fail(`unexpected argument ${JSON.stringify(arg)}`);
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (name === 'card') {
      if (eq !== -1) return fail('--card takes no value');
      card = true;
      continue;
    }
    if (!(valueOptions as readonly string[]).includes(name)) return fail(`unknown option --${name}`);
    const option = name as ValueOption;
    if (values.has(option)) return fail(`--${option} given twice`);
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      value = args[i + 1];
      if (value === undefined || value.startsWith('--')) return fail(`--${option} needs a value`);
      i++;
    }
    values.set(option, value);
  }

  const bank = values.get('bank');
  const account = values.get('account');
  if (bank === undefined) return fail('--bank is required');
  if (account === undefined) return fail('--account is required');
  const input: VietQrInput = { bankBin: bank, account, service: card ? 'QRIBFTTC' : 'QRIBFTTA' };

  const amount = values.get('amount');
  if (amount !== undefined) {
    // Digits only: `120.000`, `1e5` or `-5` would be read differently by different people.
    if (!new RegExp(`^[1-9][0-9]{0,${AMOUNT_MAX_LENGTH - 1}}$`).test(amount)) {
      return fail(`--amount must be a positive integer of at most ${AMOUNT_MAX_LENGTH} digits, got ${JSON.stringify(amount)}`);
    }
    input.amount = Number(amount);
  }
  for (const [option, field] of [['bill', 'bill'], ['terminal', 'terminal'], ['purpose', 'purpose']] as const) {
    const value = values.get(option);
    if (value === undefined) continue;
    if (value.trim() === '') return fail(`--${option} must not be empty`);
    input[field] = value;
  }

  try {
    return { exitCode: 0, stdout: buildVietQr(input) + '\n', stderr: '' };
  } catch (err) {
    if (err instanceof VietQrInputError) return fail(`${optionOfField[err.field]}: ${err.message}`);
    throw err;
  }
}
