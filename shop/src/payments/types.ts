/**
 * The payment port: what the shop needs from any online payment provider, whatever its API. One
 * adapter per provider kind implements it (toss.ts, kakaopay.ts); the fakes in test/support/fake-pg
 * speak the same HTTP.
 */
import type { TossWindowRequest } from './toss-window';

/** Payment methods of the contract (docs/payments.md). */
export const ONLINE_METHODS = ['card', 'easy-pay'] as const;
export const MANUAL_METHODS = ['bank-transfer', 'phone'] as const;
export type OnlineMethod = (typeof ONLINE_METHODS)[number];
export type ManualMethod = (typeof MANUAL_METHODS)[number];
export type PaymentMethod = OnlineMethod | ManualMethod;

export const isOnlineMethod = (m: unknown): m is OnlineMethod =>
  (ONLINE_METHODS as readonly unknown[]).includes(m);
export const isManualMethod = (m: unknown): m is ManualMethod =>
  (MANUAL_METHODS as readonly unknown[]).includes(m);

/** What the adapters know of an attempt (a row of `payment_attempts`). */
export interface AttemptRef {
  /** Attempt id: also the order id the provider sees (a fresh one per attempt). */
  id: string;
  orderId: string;
  method: OnlineMethod;
  amount: number;
  /** Sent as `Idempotency-Key` where the provider supports one. */
  idempotencyKey: string;
  /** The provider's own id of the payment (Toss paymentKey, KakaoPay tid), once known. */
  providerRef?: string;
}

/** Where the provider's window sends the customer back to. */
export interface ReturnUrls {
  /** The shop's own window page for this attempt (Toss without a `windowUrl`). */
  window: string;
  success: string;
  fail: string;
  cancel: string;
}

/** Query parameters of the return from the provider's window, as received. */
export type ReturnParams = Record<string, string | undefined>;

/** The outcome of a confirm (or a look-up) as the shop must act on it. */
export type Outcome =
  | { kind: 'approved'; providerRef: string; amount: number; providerOrderId: string }
  | { kind: 'declined'; code: string; message: string }
  | { kind: 'not-charged'; code: string; message: string }
  | { kind: 'unknown'; code: string; message: string };

/** A look-up: did the provider charge this attempt? */
export type LookupResult =
  | { kind: 'charged'; providerRef: string; amount: number; providerOrderId: string }
  | { kind: 'not-charged'; detail: string }
  | { kind: 'canceled'; providerRef: string };

/** A charge as the provider's own transaction list shows it (a sweep for records lost in a failover). */
export interface ProviderCharge {
  providerRef: string;
  /** The merchant's order id the provider holds: the shop's attempt id. */
  providerOrderId: string;
  amount: number;
  /** Whether the shop's own window page made it (see `listCharges`). */
  fromShopWindow: boolean;
}

/**
 * How a failed call to a provider is classified (the `ErrorClass` of the health report):
 * `connect` never reached the provider (nothing can have happened), `timeout` and `reset` may have
 * been processed, `5xx` may have been processed, `4xx` was refused, `maintenance` is a provider-side
 * refusal code (the provider works but will not take payments), `protocol` an answer we cannot read.
 */
export type ErrorClass = 'connect' | 'timeout' | 'reset' | '5xx' | '4xx' | 'maintenance' | 'protocol';

/** A call to the provider failed; `sent` says whether the request may have reached it. */
export class ProviderCallError extends Error {
  constructor(
    readonly errorClass: ErrorClass,
    readonly sent: boolean,
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

/**
 * What finds a payment again when every record of it here was lost (a failover's replication lag
 * took the order, the attempt and its provider id): sealed by the adapter into a value the
 * customer's browser keeps (a cookie), opened by whichever region the customer comes back to.
 */
export interface RecoveryKey {
  attemptId: string;
  orderId: string;
  /** The provider's id of the payment (KakaoPay tid): what its look-up needs. */
  providerRef: string;
  amount: number;
  /** When the key was sealed (ms since the epoch): an old key opens nothing. */
  createdAt: number;
}

/** The shop's window page: the SDK to load and the request to give it (toss-window.ts). */
export interface WindowPage {
  sdkUrl: string;
  request: TossWindowRequest;
}

/** The port. Every method may throw `ProviderCallError`; none holds anything of the shop's. */
export interface PaymentProvider {
  readonly id: string;
  readonly kind: string;
  readonly methods: readonly OnlineMethod[];
  /** Whether `startWindow` calls the provider (then it runs through the breaker and counts for health). */
  readonly windowCallsProvider: boolean;
  /**
   * Prepares the provider's window: where to send the customer, and the provider's id of the
   * payment if it assigns one now (KakaoPay `ready` returns `tid`; Toss assigns `paymentKey` later).
   */
  startWindow(
    attempt: AttemptRef,
    urls: ReturnUrls,
    orderName: string,
  ): Promise<{ redirectUrl: string; providerRef?: string }>;
  /**
   * What the shop's own window page hands to the provider's browser SDK (Toss without a
   * `windowUrl`); absent for providers whose window is their own page.
   */
  windowPage?(attempt: AttemptRef, urls: ReturnUrls, orderName: string): Promise<WindowPage>;
  /** The provider's payment id carried by the return from the window (Toss paymentKey, KakaoPay tid). */
  returnRef(attempt: AttemptRef, params: ReturnParams): string | undefined;
  /** Checks the return's own claims (order id, amount) against the attempt; a message when they differ. */
  checkReturn(attempt: AttemptRef, params: ReturnParams): string | undefined;
  /** Confirms (approves) the payment server-side: the call that moves the money. */
  confirm(attempt: AttemptRef, params: ReturnParams): Promise<Outcome>;
  /**
   * The provider's charges (approved, not cancelled) made between the two times, from its own
   * transaction list; absent for providers without one.
   */
  listCharges?(since: Date, until: Date): Promise<ProviderCharge[]>;
  /**
   * Seals a recovery key for the customer's browser (signed with a key derived from the provider's
   * secret, which every region holds); present for providers whose charges the shop could not
   * otherwise find without its own records (KakaoPay: no transaction list).
   */
  sealRecovery?(key: RecoveryKey): Promise<string>;
  /** Opens a sealed recovery key; undefined when it is malformed or its signature does not verify. */
  openRecovery?(sealed: string): Promise<RecoveryKey | undefined>;
  /** Asks the provider whether this attempt was charged. */
  lookup(attempt: AttemptRef): Promise<LookupResult>;
  /** Cancels (refunds) a charged attempt in full. */
  cancel(attempt: AttemptRef, reason: string): Promise<void>;
}
