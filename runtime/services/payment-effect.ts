/** The flow engine's `pay` effect run on the PaymentService (runtime/flows/session.ts hands it over). */
import type { ErrorShape } from '../kernel/errors.js';
import type { PaymentRecord, PaymentRequest, PaymentService, PaymentState } from './payment.js';

/** How much earlier than the pay step's deadline its code expires. */
export const STEP_GRACE_MS = 1000;

/** What the session feeds back to the engine (`payment-state` EffectEvent), structurally. */
export interface PaymentStateEvent {
  type: 'payment-state';
  effectId: string;
  state: PaymentState;
  paymentId?: string;
  /** The VietQR payload, with the PENDING event. */
  qr?: string;
  expiresAt?: number;
  error?: ErrorShape;
  /** False while central cannot be asked about the payment (for the offline banner). */
  centralReachable?: boolean;
}

/**
 * Runs the engine's `pay` effect on the PaymentService: creates the payment, emits `payment-state`
 * events (PENDING with the QR and deadline, then PAID / EXPIRED / FAILED), and cancels the payment
 * when `signal` aborts (the engine's `abort` effect: Back, Home, session wipe). Resolves with the
 * settled payment; rejects with the StationError when the payment is refused before any QR exists
 * (JOURNAL_FULL, INPUT_INVALID), which the session turns into the step's `error` outcome.
 */
export async function runPayEffect(
  service: PaymentService,
  effectId: string,
  request: PaymentRequest,
  emit: (event: PaymentStateEvent) => void,
  signal?: AbortSignal,
): Promise<PaymentRecord | undefined> {
  if (signal?.aborted) return undefined;
  const create: PaymentRequest = { service: request.service, amount: request.amount, reference: request.reference, ...(request.purpose !== undefined ? { purpose: request.purpose } : {}) };
  // The code expires a moment before the step's own deadline, so the step ends on the payment's
  // EXPIRED state (with its payment id for the screen and receipt) rather than on its bare timeout.
  if (request.expiresInMs !== undefined) create.expiresInMs = request.expiresInMs > 2 * STEP_GRACE_MS ? request.expiresInMs - STEP_GRACE_MS : request.expiresInMs;
  // A refusal before any QR exists (JOURNAL_FULL, INPUT_INVALID) rejects: the step shows the failure screen.
  const handle = await service.create(create);
  const event = (p: PaymentRecord, reachable: boolean): PaymentStateEvent => {
    const e: PaymentStateEvent = { type: 'payment-state', effectId, state: p.state, paymentId: p.paymentId, centralReachable: reachable };
    if (p.state === 'PENDING') {
      e.qr = p.payload;
      e.expiresAt = p.expiresAt;
    }
    if (p.failure) e.error = p.failure;
    return e;
  };
  const unsubscribe = handle.subscribe((p, reachable) => emit(event(p, reachable)));
  emit(event(handle.current(), handle.centralReachable()));
  const onAbort = () => void handle.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await handle.settled;
  } finally {
    unsubscribe();
    signal?.removeEventListener('abort', onAbort);
  }
}
