/**
 * The audit trail of technician actions: who did what, when, and how it ended, journaled as `audit`
 * records that reach central like any other record. Used by the technician methods
 * (runtime/technician/actions.ts), the daemon's own mutating methods and the emergency button test.
 */
import type { Clock } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';
import { StationError, toErrorShape } from '../kernel/errors.js';
import type { RecordSink } from '../flows/ports.js';
import type { ControlContext } from '../control/server.js';
import type { TechnicianParams } from '../control/methods.js';

export type AuditDetail = Record<string, string | number | boolean>;

/** Writes audit records: who did what, when, and how it ended. */
export class AuditTrail {
  constructor(private readonly sink: RecordSink, private readonly clock: Clock, private readonly logger: Logger) {}

  async record(action: string, operator: string | undefined, outcome: 'ok' | 'failed', detail: AuditDetail = {}): Promise<string> {
    const event = await this.sink.record('audit', {
      action,
      operator: cleanOperator(operator),
      outcome,
      at: new Date(this.clock.now()).toISOString(),
      detail,
    });
    this.logger.info({ action, outcome, eventId: event.eventId }, 'technician action audited');
    return event.eventId;
  }
}

/**
 * Wraps a handler so its call is audited, ok or failed. For the daemon's own mutating methods
 * (`maintenance.set`, `config.apply`); `describe` picks what may go in the record (no personal data).
 * When the audit record cannot be written the caller hears it, with what happened to the action.
 */
export function audited<P, R>(
  trail: AuditTrail,
  action: string,
  handler: (params: P, context: ControlContext) => R | Promise<R>,
  describe: (params: P, result: R | undefined) => AuditDetail = () => ({}),
): (params: P, context: ControlContext) => Promise<R> {
  return async (params, context) => {
    const operator = (params as TechnicianParams | undefined)?.operator;
    let result: R;
    try {
      result = await handler(params, context);
    } catch (err) {
      await trail
        .record(action, operator, 'failed', { ...describe(params, undefined), error: toErrorShape(err).code })
        .catch((auditErr: unknown) => {
          throw auditFailure(action, 'failed', auditErr);
        });
      throw err;
    }
    try {
      await trail.record(action, operator, 'ok', describe(params, result));
    } catch (auditErr) {
      throw auditFailure(action, 'done', auditErr);
    }
    return result;
  };
}

function auditFailure(action: string, what: string, err: unknown): StationError {
  const shape = toErrorShape(err);
  return new StationError(shape.code, `${action} ${what}, but its audit record was not written: ${shape.message}`, { cause: err });
}

/** Operators are login names; anything else is cut so a record cannot carry free text. */
function cleanOperator(operator: string | undefined): string {
  if (typeof operator !== 'string') return 'unknown';
  const clean = operator.replace(/[^A-Za-z0-9._@-]/g, '').slice(0, 64);
  return clean || 'unknown';
}
