/**
 * Checkout with payment against real PostgreSQL and the fake providers over real HTTP: card and
 * easy-pay through both adapters, the manual ways, tampered returns refused with nothing confirmed,
 * concurrent confirmations of one order charging once, and the health/choice pages. Every test
 * counts the fakes' ledgers against the database.
 */
import type { MetricDatum } from '@aws-sdk/client-cloudwatch';
import { sharedPostgres, type PostgresServer } from '../support/postgres';
import { FAKE_SECRET, startFakeProviders, type FakeProvider } from '../support/fake-pg';
import { JSON_HEADERS, postJson, stockOf, type RunningShop } from './helpers';
import {
  buy,
  ledgerCheck,
  newOrder,
  orderJson,
  paymentSettings,
  returnTo,
  startPay,
  startPayShop,
  throughWindow,
} from './payment-helpers';

let pg: PostgresServer;
let db: string;
let fakes: { toss: FakeProvider; kakao: FakeProvider };
let shop: RunningShop;
const published: { namespace: string; data: MetricDatum[] }[] = [];

beforeAll(async () => {
  [pg, fakes] = await Promise.all([sharedPostgres(), startFakeProviders()]);
  db = await pg.createDatabase();
  shop = await startPayShop(pg, db, paymentSettings(fakes), {
    publisher: async (namespace, data) => {
      published.push({ namespace, data });
    },
  });
});
afterAll(async () => {
  await shop?.close();
  await Promise.all([fakes?.toss.close(), fakes?.kakao.close()]);
  await pg?.destroy();
});

afterEach(async () => {
  const check = await ledgerCheck(pg, db, [fakes.toss, fakes.kakao]);
  expect(check).toMatchObject({ doubleCharges: 0, lostPaidOrders: 0, unpaidButPaid: 0 });
});

test('checkout creates an order awaiting payment and offers every method', async () => {
  const { orderId, body } = await newOrder(shop.base);
  expect(body.status).toBe('awaiting_payment');
  expect(body.amount).toBe(19_000); // 19,000원: KRW amounts are whole won (migration 6)
  expect(body.payment.methods.map((m: { method: string }) => m.method)).toEqual([
    'card',
    'easy-pay',
    'bank-transfer',
    'phone',
  ]);
  expect((await orderJson(shop.base, orderId)).payment).toBe('awaiting-payment');
});

test('card through Toss: window, return, server-side confirm with the idempotency key, paid', async () => {
  const { orderId, result, pay } = await buy(shop.base, 'card');
  expect(pay.json.provider).toBe('toss');
  expect(result).toMatchObject({ status: 200, json: { orderId, payment: 'paid' } });
  const order = await orderJson(shop.base, orderId);
  expect(order).toMatchObject({ status: 'paid', payment: 'paid' });
  const [attempt] = await pg.sql<{ idempotency_key: string; provider_ref: string }>(
    'SELECT idempotency_key, provider_ref FROM payment_attempts WHERE order_id = $1',
    [orderId],
    db,
  );
  expect(fakes.toss.payments.get(attempt.provider_ref)?.status).toBe('DONE');
  expect(attempt.idempotency_key).toMatch(/^pay-/);
});

test('easy-pay through KakaoPay: ready (tid stored), window, approve with pg_token, paid', async () => {
  const { orderId, result, pay } = await buy(shop.base, 'easy-pay', 'kakaopay');
  expect(pay.json.provider).toBe('kakaopay');
  expect(result?.json).toMatchObject({ orderId, payment: 'paid' });
  const [attempt] = await pg.sql<{ provider_ref: string; status: string }>(
    'SELECT provider_ref, status FROM payment_attempts WHERE order_id = $1',
    [orderId],
    db,
  );
  expect(attempt.status).toBe('approved');
  expect(fakes.kakao.payments.get(attempt.provider_ref)?.status).toBe('DONE');
});

test("KakaoPay's tid is also kept in the customer's recovery cookie, and 'check my payment' reads it", async () => {
  const { orderId } = await newOrder(shop.base);
  const pay = await startPay(shop.base, orderId, 'easy-pay', 'kakaopay');
  expect(Object.keys(pay.json).sort()).toEqual(['attemptId', 'kind', 'orderId', 'provider', 'redirectUrl']);
  const set = pay.headers.get('set-cookie')!;
  expect(set).toMatch(
    new RegExp(
      `^shop-pay-${pay.json.attemptId}=kakaopay\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+; Path=/payments; Max-Age=2592000; SameSite=Lax; HttpOnly; Secure$`,
    ),
  );
  const cookie = set.split(';')[0];
  await returnTo(await throughWindow(pay.json.redirectUrl));
  const check = (lang: string, c = cookie) =>
    fetch(`${shop.base}/payments/check`, { headers: { cookie: `${c}; shop-lang=${lang}` } }).then((r) =>
      r.text(),
    );
  const en = await check('en');
  expect(en).toContain(`<li data-attempt="${pay.json.attemptId}"><a href="/orders/${orderId}">`);
  expect(en).toContain('paid');
  expect(await check('ko')).toContain('결제 완료');
  expect(await check('en', 'other=1')).toContain('This browser has no recent payment to check.');
  // Toss assigns its payment key in the window: no cookie for it (its sweep reads Toss's list).
  const toss = await startPay(shop.base, (await newOrder(shop.base)).orderId, 'card', 'toss');
  expect(toss.headers.get('set-cookie')).toBeNull();
});

test('replaying the return URL confirms nothing a second time', async () => {
  const { orderId, back } = await buy(shop.base, 'card');
  const confirms = fakes.toss.calls['/v1/payments/confirm'];
  const again = await returnTo(back!);
  expect(again.json).toMatchObject({ orderId, payment: 'paid' });
  expect(fakes.toss.calls['/v1/payments/confirm']).toBe(confirms);
});

describe('tampered returns are refused and nothing is confirmed', () => {
  test.each([
    [
      'another amount',
      (u: URL) => u.searchParams.set('amount', '100'),
      'The amount returned by the payment window does not match the order.',
    ],
    [
      'another order',
      (u: URL) => u.searchParams.set('orderId', '00000000-0000-4000-8000-000000000000'),
      'The return from the payment window names another order.',
    ],
  ])('%s', async (_name, tamper, message) => {
    const { orderId } = await newOrder(shop.base);
    const pay = await startPay(shop.base, orderId, 'card');
    const back = new URL(await throughWindow(pay.json.redirectUrl));
    tamper(back);
    const confirms = fakes.toss.calls['/v1/payments/confirm'] ?? 0;
    const res = await returnTo(back.toString());
    expect(res.status).toBe(400);
    expect(res.json.error).toBe(`${message} Nothing was charged.`);
    expect(fakes.toss.calls['/v1/payments/confirm'] ?? 0).toBe(confirms);
    expect((await orderJson(shop.base, orderId)).status).toBe('awaiting_payment');
    const events = await pg.sql('SELECT kind FROM payment_events WHERE order_id = $1', [orderId], db);
    expect(events).toEqual([{ kind: 'return-refused' }]);
  });

  test('a payment key replayed from another paid order', async () => {
    const first = await buy(shop.base, 'card');
    const usedKey = new URL(first.back!).searchParams.get('paymentKey')!;
    const { orderId } = await newOrder(shop.base);
    const pay = await startPay(shop.base, orderId, 'card');
    const back = new URL(await throughWindow(pay.json.redirectUrl));
    back.searchParams.set('paymentKey', usedKey);
    const res = await returnTo(back.toString());
    expect(res.status).toBe(400);
    expect(res.json.error).toBe(
      'This payment key was already used for another payment. Nothing was charged.',
    );
    expect((await orderJson(shop.base, orderId)).status).toBe('awaiting_payment');
  });
});

test('two concurrent confirmations of one order: one confirm call, one charge, both answers say paid', async () => {
  const { orderId } = await newOrder(shop.base);
  const pay = await startPay(shop.base, orderId, 'card');
  const back = await throughWindow(pay.json.redirectUrl);
  const confirms = fakes.toss.calls['/v1/payments/confirm'] ?? 0;
  fakes.toss.latencyMs = 150; // both requests are in the shop while the first confirm is in flight
  const answers = await Promise.all([returnTo(back), returnTo(back), returnTo(back)]);
  fakes.toss.latencyMs = 0;
  expect(fakes.toss.calls['/v1/payments/confirm'] - confirms).toBe(1);
  expect(answers.map((a) => a.json.payment).sort()).toEqual(['confirming', 'confirming', 'paid']);
  expect((await orderJson(shop.base, orderId)).payment).toBe('paid');
});

test('a second attempt cannot start while one is confirming; a paid order cannot be paid again', async () => {
  const { orderId } = await buy(shop.base, 'card');
  const again = await startPay(shop.base, orderId, 'easy-pay', 'kakaopay');
  expect(again.status).toBe(409);
  expect(again.json.error).toBe('This order is already paid.');
});

test('bank transfer: the order waits for the deposit with a bounded hold, then expires and returns its stock', async () => {
  const before = await stockOf(pg, db, 2);
  const { orderId } = await newOrder(shop.base);
  const res = await startPay(shop.base, orderId, 'bank-transfer');
  expect(res.status).toBe(201);
  expect(res.json).toMatchObject({ kind: 'bank-transfer', orderId, amount: 19_000 });
  expect((await orderJson(shop.base, orderId)).payment).toBe('awaiting-transfer');
  expect(await stockOf(pg, db, 2)).toBe(before - 1);
  await pg.sql("UPDATE orders SET payment_due_at = now() - interval '1 minute' WHERE id = $1", [orderId], db);
  const report = await shop.shop.payments!.reconcile();
  expect(report.expiredHolds).toBe(1);
  expect((await orderJson(shop.base, orderId)).payment).toBe('expired');
  expect(await stockOf(pg, db, 2)).toBe(before);
});

test('an online order never paid expires after the hold; one with a payment in flight does not', async () => {
  const before = await stockOf(pg, db, 2);
  const idle = await newOrder(shop.base);
  const inFlight = await newOrder(shop.base);
  await pg.sql(
    `INSERT INTO payment_attempts (id, order_id, provider, method, amount, idempotency_key, status)
     VALUES (gen_random_uuid(), $1, 'toss', 'card', 1900, 'pay-in-flight-test', 'confirming')`,
    [inFlight.orderId],
    db,
  );
  await pg.sql(
    "UPDATE orders SET created_at = now() - interval '25 hours' WHERE id = ANY($1)",
    [[idle.orderId, inFlight.orderId]],
    db,
  );
  // The attempt is `confirming` and fresh (its confirm may still be in flight): not looked up yet.
  expect(await shop.shop.payments!.reconcile()).toMatchObject({ looked: 0, expiredHolds: 1 });
  expect((await orderJson(shop.base, idle.orderId)).payment).toBe('expired');
  expect((await orderJson(shop.base, inFlight.orderId)).payment).toBe('confirming');
  expect(await stockOf(pg, db, 2)).toBe(before - 1);
  await pg.sql(
    "UPDATE payment_attempts SET status = 'failed' WHERE idempotency_key = 'pay-in-flight-test'",
    [],
    db,
  );
});

test('the HTML choice page lists methods; phone orders show the number to call', async () => {
  const { orderId } = await newOrder(shop.base);
  const page = await (
    await fetch(`${shop.base}/orders/${orderId}/pay`, { headers: { 'accept-language': 'ko' } })
  ).text();
  expect(page).toContain('data-payment-method="card" data-available="true"');
  expect(page).toContain('결제 방법을 선택해 주세요');
  const phone = await fetch(`${shop.base}/orders/${orderId}/pay`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    body: 'method=phone',
  });
  expect(phone.status).toBe(201);
  expect(await phone.text()).toContain('tel:+82212345678');
});

test.each([
  ['card', 'toss', '/v1/payments/confirm'],
  ['easy-pay', 'kakaopay', '/online/v1/payment/approve'],
] as const)(
  '%s through %s: a confirm whose record was lost (the attempt back at started, as after a failover) is confirmed again and charged once',
  async (method, provider, endpoint) => {
    const { orderId, back } = await buy(shop.base, method, provider);
    const fake = provider === 'toss' ? fakes.toss : fakes.kakao;
    const calls = fake.calls[endpoint];
    const charges = fake.charges().length;
    // The old primary's last commits never reached the promoted standby.
    await pg.sql("UPDATE payment_attempts SET status = 'started' WHERE order_id = $1", [orderId], db);
    await pg.sql("UPDATE orders SET status = 'awaiting_payment' WHERE id = $1", [orderId], db);
    // Toss answers the repeated confirm from its idempotency key; KakaoPay refuses the second
    // approve and the adapter's look-up finds the charge.
    expect((await returnTo(back!)).json).toMatchObject({ orderId, payment: 'paid' });
    expect(fake.calls[endpoint]).toBe(calls + 1);
    expect(fake.charges()).toHaveLength(charges);
  },
);

describe("Toss without a windowUrl: the shop's own window page", () => {
  let windowShop: RunningShop;
  beforeAll(async () => {
    windowShop = await startPayShop(pg, db, paymentSettings(fakes, {}, 600, { shopWindow: true }));
  });
  afterAll(() => windowShop?.close());

  /** The request in the page's data block, as the SDK receives it. */
  const requestIn = (page: string) =>
    JSON.parse(/<script type="application\/json" id="toss-request">([^<]*)<\/script>/.exec(page)![1]);

  test('loads the SDK with the client key and the amount from the database; only the SDK origin may run scripts; the return confirms', async () => {
    const { orderId, amount } = await newOrder(windowShop.base);
    const pay = await startPay(windowShop.base, orderId, 'card');
    expect(pay.json.redirectUrl).toBe(`${windowShop.base}/payments/window?attempt=${pay.json.attemptId}`);
    const res = await fetch(pay.json.redirectUrl, { headers: { 'accept-language': 'ko' } });
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy')!;
    const scriptSrc = /script-src ([^;]+)/.exec(csp)![1].split(' ');
    expect(scriptSrc).toHaveLength(2);
    expect(scriptSrc[0]).toBe(new URL(fakes.toss.sdkUrl).origin);
    expect(scriptSrc[1]).toMatch(/^'sha256-[A-Za-z0-9+/]+=*'$/);
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    const page = await res.text();
    expect(page).toContain(`<script src="${fakes.toss.sdkUrl}"></script>`);
    expect(page).not.toContain(FAKE_SECRET.secretKey);
    const request = requestIn(page);
    expect(request).toEqual({
      clientKey: FAKE_SECRET.clientKey,
      customerKey: `guest_${pay.json.attemptId}`,
      method: 'CARD',
      amount: { currency: 'KRW', value: amount },
      orderId: pay.json.attemptId,
      orderName: expect.any(String),
      successUrl: `${windowShop.base}/payments/return?attempt=${pay.json.attemptId}`,
      failUrl: `${windowShop.base}/payments/fail?attempt=${pay.json.attemptId}`,
    });
    // What the SDK stand-in sends to the window (the browser test runs the script itself).
    const window = new URL(fakes.toss.windowUrl);
    for (const [k, v] of Object.entries({ ...request, amount: String(amount), currency: 'KRW' }))
      window.searchParams.set(k, String(v));
    const result = await returnTo(await throughWindow(window.toString()));
    expect(result.json).toMatchObject({ orderId, payment: 'paid' });
    // Paid: the window page now sends the customer to the order instead of opening the window again.
    const again = await fetch(pay.json.redirectUrl, { redirect: 'manual' });
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toBe(`/orders/${orderId}`);
  });

  test('a Toss secret without its client key: the window page answers 503 with the way out, nothing is sent to Toss', async () => {
    const noKey = await startPayShop(pg, db, paymentSettings(fakes, {}, 600, { shopWindow: true }), {
      readSecret: async () => ({ secretKey: FAKE_SECRET.secretKey }),
    });
    try {
      const { orderId } = await newOrder(noKey.base);
      const pay = await startPay(noKey.base, orderId, 'card');
      const res = await fetch(pay.json.redirectUrl, { headers: JSON_HEADERS });
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('Please choose another way to pay.');
      expect((await orderJson(noKey.base, orderId)).payment).toBe('awaiting-payment');
    } finally {
      await noKey.close();
    }
  });

  test('a wrong client key is refused by the window: back to the fail URL, nothing charged', async () => {
    const { orderId } = await newOrder(windowShop.base);
    const pay = await startPay(windowShop.base, orderId, 'card');
    const request = requestIn(await (await fetch(pay.json.redirectUrl)).text());
    const window = new URL(fakes.toss.windowUrl);
    for (const [k, v] of Object.entries({ ...request, clientKey: 'test_ck_other', amount: '1' }))
      window.searchParams.set(k, String(v));
    const back = await throughWindow(window.toString());
    expect(back).toContain('/payments/fail?');
    expect((await returnTo(back)).json).toMatchObject({
      orderId,
      payment: 'failed',
      code: 'INVALID_CLIENT_KEY',
    });
  });
});

test('GET /payments/health reports each provider and method, and /healthz is unchanged', async () => {
  const res = await fetch(`${shop.base}/payments/health`, { headers: JSON_HEADERS });
  const body = (await res.json()) as any;
  expect(body).toMatchObject({
    region: 'ap-northeast-2',
    status: 'ok',
    onlineMethodsAvailable: 2,
    onlineMethods: 2,
  });
  expect(body.providers.map((p: any) => `${p.provider}:${p.method}:${p.breaker}`)).toEqual([
    'toss:card:closed',
    'toss:easy-pay:closed',
    'kakaopay:easy-pay:closed',
  ]);
  expect(body.switch).toMatchObject({ disabled: [], error: null });
  expect((await fetch(`${shop.base}/healthz`)).status).toBe(200);
});

test('the idempotent checkout replay answers with the same order awaiting payment', async () => {
  const cart = await postJson(shop.base, '/cart', { productId: 1 });
  const key = 'pay-replay-key-1';
  const a = await postJson(shop.base, '/checkout', { cartId: cart.json.cartId }, { 'idempotency-key': key });
  const b = await postJson(shop.base, '/checkout', { cartId: cart.json.cartId }, { 'idempotency-key': key });
  expect(b.json.orderId).toBe(a.json.orderId);
  expect(b.headers.get('x-idempotent-replay')).toBe('true');
  expect(b.json.status).toBe('awaiting_payment');
});

test('metrics of real traffic go to the publisher under ${app}/payments, with the unknowns gauge from the database', async () => {
  await shop.shop.payments!.publishMetrics(true); // what came before this test
  published.length = 0;
  await buy(shop.base, 'card');
  await buy(shop.base, 'easy-pay', 'kakaopay');
  await shop.shop.payments!.publishMetrics(true);
  expect(published).toHaveLength(1);
  expect(published[0].namespace).toBe('shop/payments');
  const value = (name: string, provider?: string) =>
    published[0].data.find(
      (d) => d.MetricName === name && (!provider || d.Dimensions?.some((x) => x.Value === provider)),
    )?.Value;
  expect(value('Approvals', 'toss')).toBe(1);
  expect(value('Approvals', 'kakaopay')).toBe(1);
  expect(value('UnresolvedUnknowns')).toBe(0);
  expect(value('OnlineMethodsAvailable')).toBe(2);
});
