/**
 * The catalogue of stable error codes. Codes travel in control-socket and MQTT envelopes and reach
 * flow error screens, so they never change meaning; add new ones, never rename.
 */
export const ErrorCodes = {
  CONFIG_INVALID: 'The configuration file does not match the schema',
  CONFIG_UNREADABLE: 'The configuration file cannot be read or parsed',
  CONTROL_BAD_REQUEST: 'The control request is not a JSON object with id, method and params',
  CONTROL_UNKNOWN_METHOD: 'The control method does not exist',
  CONTROL_BAD_PARAMS: 'The control method parameters are invalid',
  CONTROL_LINE_TOO_LONG: 'The control request line exceeds the size limit',
  INTERNAL: 'An unexpected internal error',
  COMPONENT_START_FAILED: 'A component failed to start',
  COMPONENT_STOP_TIMEOUT: 'A component did not stop in time',
  NOT_RUNNING: 'The component is not running',
  DAEMON_UNREACHABLE: 'The station daemon is not reachable on its control socket',
  DEVICE_MISSING: 'The device is not connected',
  DEVICE_BUSY: 'The device is busy with another measurement',
  DEVICE_READ_FAILED: 'The device did not return a valid reading',
  DEVICE_IMPLAUSIBLE: 'The device returned a value outside the plausible range',
  DEVICE_TIMEOUT: 'The device did not answer in time',
  DEVICE_ABORTED: 'The measurement was aborted',
  PRINTER_PAPER_OUT: 'The receipt printer is out of paper',
  JOURNAL_FULL: 'The journal has no room for new business records',
  JOURNAL_CORRUPT: 'A journal record failed its integrity check',
  JOURNAL_WRITE_FAILED: 'The storage failed while the record was written; nothing of it was kept',
  JOURNAL_CLOSED: 'The journal is closed',
  LINK_OFFLINE: 'The central link is offline',
  RPC_TIMEOUT: 'Central did not answer in time',
  RPC_FAILED: 'Central answered with an error',
  RPC_UNAVAILABLE: 'The central service is unavailable; try later',
  CMD_REJECTED: 'The command was rejected',
  FLOW_INVALID: 'A flow file does not match the flow schema',
  FLOW_STEP_FAILED: 'A flow step failed',
  INPUT_INVALID: 'The input is invalid',
  CCCD_INVALID: 'The CCCD data is invalid',
  PAYMENT_EXPIRED: 'The payment expired before it was confirmed',
  PAYMENT_FAILED: 'The payment failed',
  PAYMENT_CANCELLED: 'The resident cancelled the payment before it was confirmed',
  MAINTENANCE_REQUIRED: 'The action needs the station in maintenance mode',
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export interface ErrorShape {
  code: ErrorCode;
  message: string;
}

/** A typed error with a stable code; `transient` says whether trying again later may succeed. */
export class StationError extends Error {
  readonly code: ErrorCode;
  readonly transient: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message?: string,
    options: { transient?: boolean; cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message ?? ErrorCodes[code], options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StationError';
    this.code = code;
    this.transient = options.transient ?? false;
    this.details = options.details;
  }

  toShape(): ErrorShape {
    return { code: this.code, message: this.message };
  }
}

/** Turns anything thrown into an envelope error without leaking stack traces across a boundary. */
export function toErrorShape(err: unknown): ErrorShape {
  if (err instanceof StationError) return err.toShape();
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}

export function isStationError(err: unknown, code?: ErrorCode): err is StationError {
  return err instanceof StationError && (code === undefined || err.code === code);
}
