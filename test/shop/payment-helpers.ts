/** Helpers of the payment suites: a shop with payments against the fake providers, and a customer. */
import { paymentsSchema, type PaymentsSettings } from '../../shop/src/payments/config';
import type { PaymentOptions } from '../../shop/src/payments/index';
import type { ShopOptions } from '../../shop/src/types';
import { FAKE_SECRET, type FakeProvider } from '../support/fake-pg';
import type { PostgresServer } from '../support/postgres';
import { JSON_HEADERS, postJson, startShop, type RunningShop } from './helpers';

/**
 * Toss for card and easy-pay, KakaoPay for easy-pay; a breaker that opens after 3 failures of 4.
 * Toss's window is the fake's window page (`windowUrl`, which the HTTP tests follow without a
 * browser), or with `shopWindow` the shop's own page loading the fake's SDK stand-in.
 */
export function paymentSettings(
  fakes: { toss: FakeProvider; kakao: FakeProvider },
  overrides: Partial<PaymentsSettings> = {},
  timeoutMs = 600,
  { shopWindow = false } = {},
): PaymentsSettings {
  return paymentsSchema.parse({
    providers: [
      {
        id: 'toss',
        kind: 'toss-payments',
        baseUrl: fakes.toss.apiUrl,
        ...(shopWindow ? { sdkUrl: fakes.toss.sdkUrl } : { windowUrl: fakes.toss.windowUrl }),
        methods: ['card', 'easy-pay'],
        timeoutMs,
        secretName: 'shop/payments/toss',
      },
      {
        id: 'kakaopay',
        kind: 'kakaopay',
        baseUrl: fakes.kakao.apiUrl,
        methods: ['easy-pay'],
        timeoutMs,
        secretName: 'shop/payments/kakaopay',
      },
    ],
    manual: {
      bankTransfer: {
        bank: { ko: '국민은행', en: 'KB Kookmin Bank' },
        account: '123-45-6789',
        holder: { ko: '레질리언트샵', en: 'Resilient Shop' },
        holdHours: 24,
      },
      phoneOrders: true,
    },
    breaker: { failureRatePercent: 50, minimumAttempts: 3, windowSeconds: 10, halfOpenAfterSeconds: 30 },
    switchParameter: '/shop/payments/disabled',
    reconcileEverySeconds: 3600,
    confirmGraceSeconds: 0.2,
    ...overrides,
  });
}

/** Starts a shop with payments (secrets from the fakes; nothing disabled unless `switchReader` says so). */
export async function startPayShop(
  pg: PostgresServer,
  db: string,
  settings: PaymentsSettings,
  extra: Partial<PaymentOptions> = {},
  shop: Partial<ShopOptions> = {},
): Promise<RunningShop> {
  return startShop(pg, db, {
    ...shop,
    payments: {
      settings,
      readSecret: async () => FAKE_SECRET,
      switchReader: async () => '[]',
      trialHoldMs: 2000,
      ...extra,
    },
  });
}

/** A cart with one product and its checkout: the order awaiting payment. */
export async function newOrder(
  base: string,
  productId = 2,
): Promise<{ orderId: string; amount: number; body: any }> {
  const cart = await postJson(base, '/cart', { productId, quantity: 1 });
  const order = await postJson(base, '/checkout', { cartId: cart.json.cartId });
  if (order.status !== 201) throw new Error(`checkout ${order.status}: ${order.text}`);
  return { orderId: order.json.orderId, amount: order.json.amount, body: order.json };
}

/** Starts paying; returns the JSON answer of POST /orders/{id}/pay. */
export async function startPay(base: string, orderId: string, method: string, provider?: string) {
  return postJson(base, `/orders/${orderId}/pay`, provider ? { method, provider } : { method });
}

/**
 * The customer's trip through the provider's window: follows the redirect to the window, which
 * redirects to the shop's return URL; returns that URL (not yet requested).
 */
export async function throughWindow(redirectUrl: string): Promise<string> {
  const res = await fetch(redirectUrl, { redirect: 'manual' });
  await res.arrayBuffer();
  const location = res.headers.get('location');
  if (res.status !== 302 || !location) throw new Error(`window answered ${res.status}`);
  return location;
}

/** Requests the return URL as the browser would (JSON for the test). */
export async function returnTo(url: string) {
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

/** A whole purchase: order, pay with `method` (and `provider`), window, return. */
export async function buy(base: string, method = 'card', provider?: string) {
  const { orderId } = await newOrder(base);
  const pay = await startPay(base, orderId, method, provider);
  if (pay.status !== 200) return { orderId, pay, result: undefined };
  const back = await throughWindow(pay.json.redirectUrl);
  const result = await returnTo(back);
  return { orderId, pay, back, result };
}

export async function orderJson(base: string, orderId: string) {
  const res = await fetch(`${base}/orders/${orderId}`, { headers: JSON_HEADERS });
  return (await res.json()) as Record<string, any>;
}

/** Orders paid in the database vs charges kept on the fakes' ledgers. */
export async function ledgerCheck(pg: PostgresServer, db: string, fakes: FakeProvider[]) {
  const paid = await pg.sql<{ id: string }>("SELECT id FROM orders WHERE status = 'paid'", [], db);
  const approved = await pg.sql<{ id: string; order_id: string; provider: string; provider_ref: string }>(
    "SELECT id, order_id, provider, provider_ref FROM payment_attempts WHERE status = 'approved'",
    [],
    db,
  );
  const charges = fakes.flatMap((f) => f.charges());
  const chargedOrders = new Map<string, number>();
  const attemptOrder = new Map(
    (await pg.sql<{ id: string; order_id: string }>('SELECT id, order_id FROM payment_attempts', [], db)).map(
      (r) => [r.id, r.order_id],
    ),
  );
  for (const c of charges) {
    const order = attemptOrder.get(c.orderId) ?? `unknown:${c.orderId}`;
    chargedOrders.set(order, (chargedOrders.get(order) ?? 0) + 1);
  }
  const doubleCharges = [...chargedOrders.values()].filter((n) => n > 1).length;
  const paidIds = new Set(paid.map((p) => p.id));
  // A charge kept by a provider for an order the shop does not show as paid: a lost paid order.
  const lostPaidOrders = [...chargedOrders.keys()].filter((o) => !paidIds.has(o)).length;
  // A paid order without a charge on any ledger: paid for free.
  const unpaidButPaid = [...paidIds].filter((o) => !chargedOrders.has(o)).length;
  return {
    paid: paid.length,
    approved: approved.length,
    charges: charges.length,
    doubleCharges,
    lostPaidOrders,
    unpaidButPaid,
  };
}
