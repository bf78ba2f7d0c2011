/**
 * Loads and validates station configuration against config/schema.json. Every problem is reported as
 * one line naming the file, the JSON path and what was expected, so a technician can fix a file
 * without reading code.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { DeviceConfigBase, DeviceName } from '../../drivers/types.js';
import { StationError } from '../kernel/errors.js';
import configSchema from '../../config/schema.json' with { type: 'json' };

const require = createRequire(import.meta.url);

export type { DeviceConfigBase, SerialPortConfig } from '../../drivers/types.js';

/** The validated configuration, with defaults filled in. */
export interface StationConfig {
  version: 1;
  station: {
    id: string;
    name: string;
    locale: 'vi' | 'en';
    site: { building: string; floor: string; address: string; ward: string };
  };
  dataDir: string;
  logging: { level: string; bufferLines: number };
  control: { socketPath: string; mode: string; maxLineBytes: number };
  lifecycle: { stopTimeoutMs: number; watchdogLagMs: number };
  mqtt: {
    url: string;
    protocolVersion: 4 | 5;
    reconnectMinMs: number;
    reconnectMaxMs: number;
    keepaliveS: number;
    sessionExpiryS: number;
    tls?: { ca: string; cert: string; key: string };
    embeddedBroker: { enabled: boolean; host: string; port: number };
    [key: string]: unknown;
  };
  centralSim: { enabled: boolean; paymentDelayMs: number; [key: string]: unknown };
  display: { enabled: boolean; host: string; port: number; voice: boolean; [key: string]: unknown };
  telemetry: { intervalS: number };
  journal: { maxBytes: number; segmentBytes: number; receiptTimeoutS: number; streamWindow: number; telemetryCap: number; telemetryTtlS: number };
  security: { provisioningFile: string; generateProvisioning: boolean; commandKeys: Record<string, string> };
  flows: { dir: string; stepTimeoutMs: number; idleWarningSeconds: number; noticeMs: number };
  payments: {
    enabled: boolean;
    bankBin?: string;
    account?: string;
    cardService: boolean;
    timeoutS: number;
    pollIntervalS: number;
    reconcileIntervalS: number;
    reconcileWindowS?: number;
  };
  health: { thresholds: Record<string, unknown> };
  devices: Partial<Record<DeviceName, DeviceConfigBase>>;
  [section: string]: unknown;
}

export interface ConfigProblem {
  /** JSON path in the file, e.g. `/devices/spo2/address`; empty for the root. */
  path: string;
  message: string;
}

export type ConfigResult =
  | { ok: true; config: StationConfig }
  | { ok: false; problems: ConfigProblem[] };

let compiled: ValidateFunction | undefined;

/** The schema (config/schema.json), part of the compiled code rather than a file looked up at run time. */
export function loadSchema(): Record<string, unknown> {
  return configSchema as Record<string, unknown>;
}

/** The ajv options of the config validator; scripts/build.mjs generates the same one ahead of time. */
export const ajvOptions = { allErrors: true, useDefaults: true, strict: true, allowUnionTypes: true } as const;

function validator(): ValidateFunction {
  if (!compiled) compiled = prebuiltValidator() ?? compileValidator();
  return compiled;
}

/**
 * The validator `npm run build` generated from config/schema.json with ajv's standalone code, beside
 * the compiled module: compiling the schema at every start costs more than the rest of a cold start.
 */
function prebuiltValidator(): ValidateFunction | undefined {
  try {
    return require('./config-validator.cjs') as ValidateFunction;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return undefined;
    throw err;
  }
}

function compileValidator(): ValidateFunction {
  // ajv is CommonJS; loading it lazily keeps it off the start path of commands that never validate.
  const AjvCtor = require('ajv') as typeof import('ajv').default;
  return new AjvCtor(ajvOptions).compile(loadSchema());
}

/** Validates a parsed document and fills defaults in place. */
export function validateConfig(document: unknown): ConfigResult {
  return validateOwned(structuredClone(document));
}

/** Validates a document nobody else holds: the validator fills defaults into it in place. */
function validateOwned(document: unknown): ConfigResult {
  const validate = validator();
  if (validate(document)) return { ok: true, config: document as StationConfig };
  return { ok: false, problems: describeErrors(validate.errors ?? []) };
}

/** Parses JSON text, turning a syntax error into a problem that names the line and column. */
export function parseConfigText(text: string): { ok: true; value: unknown } | { ok: false; problems: ConfigProblem[] } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    const message = (err as Error).message;
    const pos = /position (\d+)/.exec(message);
    let where = '';
    if (pos) {
      const offset = Number(pos[1]);
      const before = text.slice(0, offset);
      const line = before.split('\n').length;
      const column = offset - before.lastIndexOf('\n');
      where = ` at line ${line}, column ${column}`;
    }
    return { ok: false, problems: [{ path: '', message: `not valid JSON${where}: ${message}` }] };
  }
}

/** Reads, parses and validates a config file. */
export function validateConfigFile(file: string): ConfigResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, problems: [{ path: '', message: `cannot read file: ${(err as Error).message}` }] };
  }
  const parsed = parseConfigText(text);
  if (!parsed.ok) return parsed;
  return validateOwned(parsed.value);
}

/** One line per problem: `FILE: PATH: message`. */
export function formatProblems(file: string, problems: ConfigProblem[]): string[] {
  return problems.map((p) => `${file}: ${p.path || '/'}: ${p.message}`);
}

/** Loads a config file or throws CONFIG_INVALID whose message holds every problem line. */
export function loadConfig(file: string): StationConfig {
  const result = validateConfigFile(file);
  if (!result.ok) {
    throw new StationError('CONFIG_INVALID', formatProblems(file, result.problems).join('\n'), {
      details: { problems: result.problems },
    });
  }
  return result.config;
}

/** Resolves a path from the config against the data directory. */
export function resolveDataPath(dataDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(dataDir, path);
}

function describeErrors(errors: ErrorObject[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  // A failed `if`/`$ref` wrapper repeats what its inner keyword said; keep the specific lines.
  for (const e of errors) {
    const problem = describe(e);
    if (!problem) continue;
    const key = `${problem.path}|${problem.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      problems.push(problem);
    }
  }
  return problems;
}

function describe(e: ErrorObject): ConfigProblem | undefined {
  const path = e.instancePath;
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      if (path === '/devices') {
        return { path: `${path}/${key}`, message: `unknown device kind "${key}" (expected one of spo2, bloodPressure, scale, height, thermometer, cccdScanner, printer, keypad)` };
      }
      return { path: `${path}/${key}`, message: `unknown key "${key}"` };
    }
    case 'required':
      return { path, message: `missing required key "${String(p.missingProperty)}"` };
    case 'type':
      return { path, message: `expected ${String(p.type)}` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { path, message: `expected a number ${String(p.comparison)} ${String(p.limit)}` };
    case 'enum':
      return { path, message: `expected one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'const':
      return { path, message: `expected ${JSON.stringify(p.allowedValue)}` };
    case 'pattern':
      return { path, message: `expected a string matching ${String(p.pattern)}` };
    case 'minLength':
      return { path, message: `expected at least ${String(p.limit)} characters` };
    case 'maxLength':
      return { path, message: `expected at most ${String(p.limit)} characters` };
    case 'minItems':
      return { path, message: `expected at least ${String(p.limit)} items` };
    case 'maxItems':
      return { path, message: `expected at most ${String(p.limit)} items` };
    case 'if':
    case 'anyOf':
    case 'oneOf':
      return undefined;
    default:
      return { path, message: e.message ?? e.keyword };
  }
}
