/** The payments a station still waits on, kept across restarts in `payments.json` (durable document). */
import { join } from 'node:path';
import type { Low } from 'lowdb';
import type { Logger } from '../kernel/logger.js';
import { openDocument } from '../platform/document-store.js';
import type { DocumentValidator } from '../platform/document-store.js';
import type { PaymentLedger, PaymentRecord } from './payment.js';

const paymentStates: readonly string[] = ['CREATED', 'PENDING', 'PAID', 'EXPIRED', 'FAILED'];

export const validatePaymentLedger: DocumentValidator<{ payments: PaymentRecord[] }> = (v) => {
  const o = v as { payments?: unknown } | null;
  if (typeof o !== 'object' || o === null || !Array.isArray(o.payments)) return { ok: false, reason: 'payments is not a list' };
  for (const p of o.payments as Partial<PaymentRecord>[]) {
    if (typeof p?.paymentId !== 'string' || !paymentStates.includes(p.state as string) || !Number.isSafeInteger(p.amount) ||
      typeof p.expiresAt !== 'number' || typeof p.payload !== 'string') {
      return { ok: false, reason: 'a payment entry is malformed' };
    }
  }
  return { ok: true, value: o as { payments: PaymentRecord[] } };
};

/** The ledger as `payments.json` in the data directory, on the durable (fsync + rename) adapter. */
export async function openPaymentLedger(dataDir: string, logger: Logger): Promise<PaymentLedger> {
  const db: Low<{ payments: PaymentRecord[] }> = await openDocument({
    path: join(dataDir, 'payments.json'), validate: validatePaymentLedger, logger, defaults: { payments: [] },
  });
  return {
    load: async () => db.data.payments.map((p) => ({ ...p })),
    save: async (payments) => {
      db.data = { payments: payments.map((p) => ({ ...p })) };
      await db.write();
    },
  };
}
