/**
 * The payment drill's own synthetic checkouts: traffic for the breaker when the region has too few
 * customers to open it within the drill.
 *
 * Each one is a drill order (`DRILL_HEADER`, signed like the drill probe's: it takes no stock and is
 * left out of fulfilment) paid with the faulted provider. The shop sends a drill order's payment
 * only into the game day's fault, which fails it before anything leaves the shop
 * (shop/src/payments/service.ts `drillProvider`): with no fault in force it refuses with 409 and
 * calls nobody. Where the provider's window is the customer's browser (Toss), the drill makes up
 * the window's return (a `drill-` payment key), so the shop's confirm is what the fault fails;
 * where preparing the window calls the provider (KakaoPay `ready`), that call is what fails.
 * Nothing can be charged: no customer ever authenticates in a provider's window.
 */
import { randomUUID } from 'node:crypto';
import { DRILL_FAILED_AT_PROVIDER } from '../../lib/contract/payments';
import { IDEMPOTENCY_HEADER, DRILL_HEADER } from '../../lib/contract/shop';
import { request, type FetchFn, type HttpResponse, type RequestInput } from '../../lambda/canary/http';
import { type CallContext, withDeadline } from '../aws/deadline';
import { rootMessage } from '../aws/errors';

/** What one synthetic checkout met. */
export type SyntheticOutcome =
  /** The faulted provider failed it (confirm refused or stalled, or the window not prepared): the breaker counted it. */
  | 'failed-at-provider'
  /** No provider may take it now (the faulted one is open): what the shop answers customers too. */
  | 'no-provider'
  /** The shop refused a drill payment (no fault in force where it landed, or another refusal). */
  | 'refused'
  /** Anything else: no answer, an unexpected status. */
  | 'error';

export interface SyntheticResult {
  readonly outcome: SyntheticOutcome;
  readonly detail?: string;
}

export interface SyntheticCheckoutOptions {
  /** The region's own record, e.g. `https://ap-northeast-2.shop.example.com`. */
  readonly baseUrl: string;
  readonly fetch: FetchFn;
  /** Deadline of one request (longer than the provider's timeout: a stalled confirm takes that long). */
  readonly timeoutMs: number;
  /** Signs `DRILL_HEADER` for `method path` (cli/drill/signing.ts); absent: the unsigned `1` (local shop). */
  readonly sign?: (header: string, method: string, path: string) => Promise<string>;
}

const json = (body: unknown, headers: Record<string, string> = {}): RequestInput => ({
  method: 'POST',
  json: body,
  headers: { accept: 'application/json', ...headers },
});

const parse = (res: HttpResponse): Record<string, unknown> | undefined => {
  try {
    return JSON.parse(res.body) as Record<string, unknown>;
  } catch {
    return undefined;
  }
};

const errorOf = (res: HttpResponse) => {
  const e = parse(res)?.error;
  return typeof e === 'string' ? `: ${e}` : '';
};

/** Sends synthetic checkouts paying `method` through `provider` and says what each met. */
export class SyntheticCheckouts {
  private productId?: number;

  constructor(private readonly o: SyntheticCheckoutOptions) {}

  private http(ctx: CallContext, path: string, input: RequestInput = {}): Promise<HttpResponse> {
    return withDeadline(
      ctx,
      (signal) =>
        request(
          this.o.fetch,
          this.o.baseUrl + path,
          { ...input, headers: { 'user-agent': 'shopctl-drill/1', ...input.headers } },
          signal,
          0,
        ),
      { timeoutMs: this.o.timeoutMs },
    );
  }

  /** A product in stock (a drill order checks the stock but takes none). */
  private async product(ctx: CallContext): Promise<number> {
    if (this.productId !== undefined) return this.productId;
    const res = await this.http(ctx, '/products', { headers: { accept: 'application/json' } });
    const list = res.status === 200 ? (JSON.parse(res.body) as { id?: unknown; stock?: unknown }[]) : [];
    const p = Array.isArray(list)
      ? list.find((x) => typeof x.id === 'number' && Number(x.stock) > 0)
      : undefined;
    if (!p) throw new Error(`GET /products answered ${res.status} without a product in stock`);
    this.productId = p.id as number;
    return this.productId;
  }

  /** One synthetic checkout: cart, drill order, pay with `provider`, and the window's return where it is the browser's. */
  async send(
    ctx: CallContext,
    provider: string,
    method: string,
    returnFromWindow: boolean,
  ): Promise<SyntheticResult> {
    try {
      const productId = await this.product(ctx);
      const cart = await this.http(ctx, '/cart', json({ productId, quantity: 1 }));
      const cartId = parse(cart)?.cartId;
      if (cart.status !== 201 || typeof cartId !== 'string')
        return { outcome: 'error', detail: `POST /cart answered ${cart.status}${errorOf(cart)}` };
      const signed = this.o.sign ? await this.o.sign(DRILL_HEADER, 'POST', '/checkout') : '1';
      const order = await this.http(
        ctx,
        '/checkout',
        json({ cartId }, { [DRILL_HEADER]: signed, [IDEMPOTENCY_HEADER]: `drill-pay-${randomUUID()}` }),
      );
      const o = parse(order);
      if (order.status !== 201 || typeof o?.orderId !== 'string' || typeof o.amount !== 'number')
        return { outcome: 'error', detail: `POST /checkout answered ${order.status}${errorOf(order)}` };
      const pay = await this.http(ctx, `/orders/${o.orderId}/pay`, json({ method, provider }));
      const p = parse(pay);
      // 503: the fault failed the provider's window (the shop says so), or no provider may take it.
      if (pay.status === 503)
        return {
          outcome: parse(pay)?.error === DRILL_FAILED_AT_PROVIDER ? 'failed-at-provider' : 'no-provider',
        };
      if (pay.status === 409) return { outcome: 'refused', detail: `pay${errorOf(pay)}` };
      if (pay.status !== 200 || typeof p?.attemptId !== 'string')
        return { outcome: 'error', detail: `POST /orders/…/pay answered ${pay.status}${errorOf(pay)}` };
      // The window was prepared: for KakaoPay that means its `ready` went through (no fault where it
      // landed); the drill never opens the window, so nothing more happens.
      if (!returnFromWindow) return { outcome: 'refused', detail: `${p.provider} prepared its window` };
      const q = new URLSearchParams({
        attempt: p.attemptId,
        paymentKey: `drill-${randomUUID()}`,
        orderId: p.attemptId,
        amount: String(o.amount),
      });
      const back = await this.http(ctx, `/payments/return?${q.toString()}`, {
        headers: { accept: 'application/json' },
      });
      const r = parse(back);
      if (back.status === 200 && (r?.payment === 'failed' || r?.payment === 'confirming'))
        return { outcome: 'failed-at-provider' };
      if (back.status === 400 || back.status === 409)
        return { outcome: 'refused', detail: `return${errorOf(back)}` };
      return {
        outcome: 'error',
        detail: `return answered ${back.status} ${String(r?.payment ?? '')}`.trim(),
      };
    } catch (e) {
      return { outcome: 'error', detail: `no answer: ${rootMessage(e)}` };
    }
  }
}
