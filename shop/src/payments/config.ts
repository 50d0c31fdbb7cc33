/**
 * The shop's payment settings: `SHOP_PAYMENTS` (docs/payments.md; written by the web tier from the
 * config's `payments` key, which lib/config validates at synth). Parsed once here, with errors that
 * name the key, so a hand-edited environment file fails loudly instead of half-working.
 */
import { z } from 'zod';
import type { LocalizedText } from '../../../lib/contract/contacts';
import { ONLINE_METHODS } from './types';

/** Toss's JavaScript SDK v2 (https://docs.tosspayments.com/sdk/v2/js, "SDK 설치"). */
export const TOSS_SDK_URL = 'https://js.tosspayments.com/v2/standard';

/** Environment variable holding the JSON (PAYMENTS-CONTRACT "Shop environment"). */
export const PAYMENTS_ENV = 'SHOP_PAYMENTS';

const text = z.union([z.string().min(1), z.object({ ko: z.string().min(1), en: z.string().min(1) })]);

const providerSchema = z.object({
  id: z.string().regex(/^[a-z0-9-]{1,32}$/),
  kind: z.enum(['toss-payments', 'kakaopay']),
  baseUrl: z.string().url(),
  methods: z.array(z.enum(ONLINE_METHODS)).min(1),
  timeoutMs: z.number().int().min(100).max(60_000).default(8000),
  secretName: z.string().min(1).optional(),
  /**
   * Toss only: a page of your own that opens Toss's payment window. Without it the shop serves its
   * own page (`GET /payments/window`, shop/src/payments/toss-window.ts).
   */
  windowUrl: z.string().url().optional(),
  /**
   * Toss only: where the shop's window page loads Toss's JavaScript SDK from. Not in the config: the
   * default is Toss's own; tests point it at the fake's stand-in.
   */
  sdkUrl: z.string().url().default(TOSS_SDK_URL),
  /** Secrets Manager name of the provider's TEST keys, for the canary's test payment (test-payment.ts). */
  testSecretName: z.string().min(1).optional(),
});

export const paymentsSchema = z.object({
  providers: z.array(providerSchema).default([]),
  manual: z
    .object({
      bankTransfer: z
        .object({
          bank: text,
          account: z.string().min(1),
          holder: text,
          holdHours: z.number().positive().max(720),
        })
        .optional(),
      phoneOrders: z.boolean().default(true),
    })
    .default({ phoneOrders: true }),
  breaker: z
    .object({
      failureRatePercent: z.number().min(1).max(100).default(50),
      minimumAttempts: z.number().int().min(1).default(10),
      windowSeconds: z.number().positive().default(60),
      halfOpenAfterSeconds: z.number().positive().default(30),
    })
    .default({ failureRatePercent: 50, minimumAttempts: 10, windowSeconds: 60, halfOpenAfterSeconds: 30 }),
  switchParameter: z.string().min(1).optional(),
  /** SSM parameter of the payment game day's fault switch (lib/contract/payments.ts `DrillFault`). */
  faultParameter: z.string().min(1).optional(),
  reconcileEverySeconds: z.number().positive().default(60),
  /** Not in the contract: how long a shop may wait after its own confirm deadline before a look-up. */
  confirmGraceSeconds: z.number().positive().default(5),
  /** Not in the contract: how long an attempt resolved "not charged" after an unknown is re-checked. */
  recheckMinutes: z.number().positive().default(60),
  /**
   * Not in the contract: how far back the sweep after a promotion (and at start) looks up attempts
   * still `started` (service.ts `sweepStarted`); longer than a customer stays in a payment window.
   */
  sweepMinutes: z.number().positive().default(30),
});

export type PaymentsSettings = z.infer<typeof paymentsSchema>;
export type ProviderSettings = z.infer<typeof providerSchema>;
export type BankTransferSettings = {
  bank: LocalizedText;
  account: string;
  holder: LocalizedText;
  holdHours: number;
};

/** Parses the JSON of `SHOP_PAYMENTS`; undefined when unset (checkout then takes no payment, as before). */
export function parsePayments(raw: string | undefined): PaymentsSettings | undefined {
  if (!raw) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new Error(`${PAYMENTS_ENV} is not JSON; fix the web tier's environment file`);
  }
  const parsed = paymentsSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `${PAYMENTS_ENV}.${issue.path.join('.')}: ${issue.message}; fix config "payments" and redeploy`,
    );
  }
  const ids = parsed.data.providers.map((p) => p.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup)
    throw new Error(`${PAYMENTS_ENV}.providers: id "${dup}" appears twice; give each provider its own id`);
  return parsed.data;
}
