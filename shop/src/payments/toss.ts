/**
 * Toss Payments adapter (core API v1), following:
 * - authentication: Basic with the secret key as user name and an empty password; `Idempotency-Key`
 *   header on POSTs so that a repeated request is answered, not re-executed:
 *   https://docs.tosspayments.com/reference/using-api/authorization
 * - confirm `POST /v1/payments/confirm` with `paymentKey`, `orderId`, `amount`; the window returns to
 *   the success URL with the same three query parameters, to be checked against the order first:
 *   https://docs.tosspayments.com/reference (결제 승인) and https://pypi.org/project/python-tosspayments/0.0.7/
 * - look-up by order id `GET /v1/payments/orders/{orderId}`: https://docs.rs/tosspayments-rs/latest/src/tosspayments/api/get_payment.rs.html
 * - cancel `POST /v1/payments/{paymentKey}/cancel` with `cancelReason`:
 *   https://docs.tosspayments.com/guides/apis/cancel-payment
 * - transactions of a period `GET /v1/transactions?startDate&endDate` (approvals and cancellations,
 *   each with paymentKey, orderId, customerKey, amount, status, transactionAt in +09:00):
 *   https://docs.tosspayments.com/guides/apis/transactions
 * - error codes (`NOT_FOUND_PAYMENT`, `ALREADY_PROCESSED_PAYMENT`, `PROVIDER_ERROR`, card refusals):
 *   https://docs.tosspayments.com/reference/error-codes
 *
 * The payment window itself is Toss's JavaScript SDK (`requestPayment`): the shop sends the customer
 * to its own page that loads the SDK (toss-window.ts), or to `windowUrl` when one is configured.
 */
import { callProvider, errorFields, type ProviderAnswer } from './call';
import type { ProviderSettings } from './config';
import {
  type AttemptRef,
  type LookupResult,
  type OnlineMethod,
  type Outcome,
  type PaymentProvider,
  ProviderCallError,
  type ReturnParams,
  type ProviderCharge,
  type ReturnUrls,
  type WindowPage,
} from './types';

/** Refusals about the customer's card or account, not about the provider: health leaves them out. */
const CUSTOMER_DECLINES = new Set([
  'REJECT_CARD_PAYMENT',
  'REJECT_CARD_COMPANY',
  'INVALID_REJECT_CARD',
  'INVALID_STOPPED_CARD',
  'INVALID_CARD_EXPIRATION',
  'INVALID_CARD_NUMBER',
  'EXCEED_MAX_DAILY_PAYMENT_COUNT',
  'EXCEED_MAX_PAYMENT_AMOUNT',
  'EXCEED_MAX_AMOUNT',
  'NOT_ENOUGH_BALANCE',
  'REJECT_ACCOUNT_PAYMENT',
  'BELOW_MINIMUM_AMOUNT',
  'PAY_PROCESS_CANCELED',
  'PAY_PROCESS_ABORTED',
  'INVALID_PASSWORD',
]);
/** The provider says it cannot take payments now (temporary error, system processing, maintenance). */
const PROVIDER_SIDE = new Set([
  'PROVIDER_ERROR',
  'FAILED_PAYMENT_INTERNAL_SYSTEM_PROCESSING',
  'FAILED_INTERNAL_SYSTEM_PROCESSING',
  'UNKNOWN_PAYMENT_ERROR',
  'NOT_AVAILABLE_PAYMENT',
  'COMMON_ERROR',
]);

/**
 * Secret of a Toss provider (`${appName}/payments/${id}`): `{ "secretKey": "…", "clientKey": "…" }`.
 * The client key is public (the window page shows it to every browser); it is kept beside the secret
 * key because the two come as a pair (test_ck/test_sk or live_ck/live_sk) and must not be mixed.
 */
export interface TossSecret {
  secretKey: string;
  clientKey?: string;
}

export class TossPayments implements PaymentProvider {
  readonly kind = 'toss-payments';
  readonly windowCallsProvider = false;
  readonly id: string;
  readonly methods: readonly OnlineMethod[];

  constructor(
    private readonly settings: ProviderSettings,
    private readonly secret: () => Promise<TossSecret>,
  ) {
    this.id = settings.id;
    this.methods = settings.methods;
  }

  private async headers(idempotencyKey?: string): Promise<Record<string, string>> {
    const { secretKey } = await this.secret();
    return {
      authorization: `Basic ${Buffer.from(`${secretKey}:`).toString('base64')}`,
      ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
    };
  }

  private url(path: string): string {
    return this.settings.baseUrl.replace(/\/$/, '') + path;
  }

  async startWindow(attempt: AttemptRef, urls: ReturnUrls, orderName: string) {
    // No server call: Toss assigns the paymentKey inside its window.
    if (!this.settings.windowUrl) return { redirectUrl: urls.window };
    const q = new URLSearchParams({
      orderId: attempt.id,
      amount: String(attempt.amount),
      orderName,
      method: attempt.method === 'card' ? 'CARD' : 'EASY_PAY',
      successUrl: urls.success,
      failUrl: urls.fail,
    });
    return { redirectUrl: `${this.settings.windowUrl}?${q}` };
  }

  async windowPage(attempt: AttemptRef, urls: ReturnUrls, orderName: string): Promise<WindowPage> {
    const { clientKey } = await this.secret();
    if (!clientKey)
      throw new Error(`secret of provider ${this.id} lacks "clientKey" (Toss's window needs it)`);
    return {
      sdkUrl: this.settings.sdkUrl,
      request: {
        clientKey,
        // A fresh random id per attempt: guests have no account, and the docs ask for a value that
        // cannot be guessed (https://docs.tosspayments.com/sdk/v2/js, customerKey).
        customerKey: `guest_${attempt.id}`,
        // Card and easy-pay both open Toss's card window, which lists the easy-pay apps beside the
        // cards ("Use CARD to open a card company or digital wallet payment window":
        // https://docs.tosspayments.com/guides/international/integration).
        method: 'CARD',
        amount: { currency: 'KRW', value: attempt.amount },
        orderId: attempt.id,
        orderName,
        successUrl: urls.success,
        failUrl: urls.fail,
      },
    };
  }

  returnRef(_attempt: AttemptRef, params: ReturnParams): string | undefined {
    return params.paymentKey || undefined;
  }

  checkReturn(attempt: AttemptRef, params: ReturnParams): string | undefined {
    if (!params.paymentKey) return 'The return from the payment window has no payment key.';
    if (params.orderId !== attempt.id) return 'The return from the payment window names another order.';
    if (params.amount !== String(attempt.amount))
      return 'The amount returned by the payment window does not match the order.';
    return undefined;
  }

  async confirm(attempt: AttemptRef, params: ReturnParams): Promise<Outcome> {
    const answer = await callProvider(
      this.url('/v1/payments/confirm'),
      {
        method: 'POST',
        headers: await this.headers(attempt.idempotencyKey),
        body: { paymentKey: params.paymentKey, orderId: attempt.id, amount: attempt.amount },
      },
      this.settings.timeoutMs,
    );
    if (answer.status === 200) return this.approved(answer);
    const { code, message } = errorFields(answer.body);
    if (answer.status >= 500) return { kind: 'unknown', code: `HTTP_${answer.status}`, message };
    if (code === 'ALREADY_PROCESSED_PAYMENT') {
      // Our earlier confirm got through: what it did is for the look-up to say.
      return { kind: 'unknown', code, message };
    }
    if (CUSTOMER_DECLINES.has(code)) return { kind: 'declined', code, message };
    if (PROVIDER_SIDE.has(code))
      throw new ProviderCallError('maintenance', true, message || code, answer.status, code);
    return { kind: 'not-charged', code, message };
  }

  private approved(answer: ProviderAnswer): Outcome {
    const b = answer.body ?? {};
    if (b.status !== 'DONE' || typeof b.paymentKey !== 'string' || typeof b.orderId !== 'string')
      return {
        kind: 'unknown',
        code: 'UNREADABLE_ANSWER',
        message: 'confirm answered 200 without a DONE payment',
      };
    return {
      kind: 'approved',
      providerRef: b.paymentKey,
      providerOrderId: b.orderId,
      amount: Number(b.totalAmount),
    };
  }

  async listCharges(since: Date, until: Date): Promise<ProviderCharge[]> {
    // The docs' examples give startDate/endDate as local date-times and answer in +09:00 without
    // saying which zone the query is read in: a day of margin on each side covers either reading.
    const day = 24 * 3600_000;
    const kst = (d: Date) => new Date(d.getTime() + 9 * 3600_000).toISOString().slice(0, 19);
    const q = new URLSearchParams({
      startDate: kst(new Date(since.getTime() - day)),
      endDate: kst(new Date(until.getTime() + day)),
      limit: '5000',
    });
    const answer = await callProvider(
      this.url(`/v1/transactions?${q}`),
      { method: 'GET', headers: await this.headers() },
      this.settings.timeoutMs,
    );
    if (answer.status !== 200 || !Array.isArray(answer.body)) {
      const { code, message } = errorFields(answer.body);
      throw new ProviderCallError(
        answer.status >= 500 ? '5xx' : '4xx',
        true,
        message || code || 'transactions',
        answer.status,
        code,
      );
    }
    const rows = answer.body as Record<string, unknown>[];
    const canceled = new Set(rows.filter((r) => r.status !== 'DONE').map((r) => String(r.paymentKey)));
    return rows
      .filter((r) => r.status === 'DONE' && !canceled.has(String(r.paymentKey)))
      .map((r) => ({
        providerRef: String(r.paymentKey),
        providerOrderId: String(r.orderId),
        amount: Number(r.amount),
        fromShopWindow: r.customerKey === `guest_${String(r.orderId)}`,
      }));
  }

  async lookup(attempt: AttemptRef): Promise<LookupResult> {
    const answer = await callProvider(
      this.url(`/v1/payments/orders/${encodeURIComponent(attempt.id)}`),
      { method: 'GET', headers: await this.headers() },
      this.settings.timeoutMs,
    );
    if (answer.status === 404) return { kind: 'not-charged', detail: 'NOT_FOUND_PAYMENT' };
    if (answer.status !== 200) {
      const { code, message } = errorFields(answer.body);
      throw new ProviderCallError(
        answer.status >= 500 ? '5xx' : '4xx',
        true,
        message || code,
        answer.status,
        code,
      );
    }
    const b = answer.body ?? {};
    if (b.status === 'DONE')
      return {
        kind: 'charged',
        providerRef: String(b.paymentKey),
        providerOrderId: String(b.orderId),
        amount: Number(b.totalAmount),
      };
    if (b.status === 'CANCELED' || b.status === 'PARTIAL_CANCELED')
      return { kind: 'canceled', providerRef: String(b.paymentKey) };
    // READY, IN_PROGRESS (authenticated, never confirmed), ABORTED, EXPIRED: no money moved.
    return { kind: 'not-charged', detail: String(b.status) };
  }

  async cancel(attempt: AttemptRef, reason: string): Promise<void> {
    if (!attempt.providerRef) throw new Error(`attempt ${attempt.id} has no paymentKey to cancel`);
    const answer = await callProvider(
      this.url(`/v1/payments/${encodeURIComponent(attempt.providerRef)}/cancel`),
      {
        method: 'POST',
        headers: await this.headers(`${attempt.idempotencyKey}:cancel`),
        body: { cancelReason: reason },
      },
      this.settings.timeoutMs,
    );
    if (answer.status === 200) return;
    const { code, message } = errorFields(answer.body);
    if (code === 'ALREADY_CANCELED_PAYMENT') return;
    throw new ProviderCallError(
      answer.status >= 500 ? '5xx' : '4xx',
      true,
      message || code,
      answer.status,
      code,
    );
  }
}
