/**
 * Payments under provider faults, on real PostgreSQL and real HTTP fakes: a provider that charges
 * and never answers, a shop process SIGKILLed between the provider's approval and its own commit, a
 * provider that is down (breaker opens, checkouts go through the other provider, then half-open and
 * closed again), one that declines everything with a maintenance code, a slow one that must not
 * take the database pool from browsing customers, and a late charge after "not charged" (refunded
 * automatically). Each test ends with zero double charges and zero lost paid orders, counted on
 * the fakes' ledgers against the database. A region failover mid-payment: payments-failover.test.ts.
 */
import { startPostgres, type PostgresServer } from '../support/postgres';
import { startFakeProviders, type FakeProvider } from '../support/fake-pg';
import type { PaymentOptions } from '../../shop/src/payments/index';
import type { ShopOptions } from '../../shop/src/types';
import { spawnShop } from './fault-harness';
import { JSON_HEADERS, type RunningShop } from './helpers';
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
let shops: RunningShop[] = [];

beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  await pg?.destroy();
});
beforeEach(async () => {
  [db, fakes] = await Promise.all([pg.createDatabase(), startFakeProviders()]);
});
afterEach(async () => {
  await Promise.all(shops.map((s) => s.close()));
  shops = [];
  const check = await ledgerCheck(pg, db, [fakes.toss, fakes.kakao]);
  expect(check).toMatchObject({ doubleCharges: 0, lostPaidOrders: 0, unpaidButPaid: 0 });
  await Promise.all([fakes.toss.close(), fakes.kakao.close()]);
});

async function shopWith(
  extra: Partial<PaymentOptions> = {},
  opts: Partial<ShopOptions> = {},
  timeoutMs = 600,
) {
  const s = await startPayShop(pg, db, paymentSettings(fakes, {}, timeoutMs), extra, opts);
  shops.push(s);
  return s;
}

async function health(base: string) {
  return (await (await fetch(`${base}/payments/health`, { headers: JSON_HEADERS })).json()) as any;
}

test('a provider charges and never answers: unknown, no retry elsewhere, the reconciler finds the charge', async () => {
  const shop = await shopWith();
  await fakes.toss.setMode('charge-then-timeout');
  const { orderId, result } = await buy(shop.base, 'card');
  expect(result?.json).toMatchObject({ orderId, payment: 'confirming' });
  expect(fakes.toss.charges()).toHaveLength(1);
  expect((await orderJson(shop.base, orderId)).payment).toBe('confirming');
  // The customer tries KakaoPay: refused while the first outcome is unknown.
  const other = await startPay(shop.base, orderId, 'easy-pay', 'kakaopay');
  expect(other.status).toBe(409);
  expect(fakes.kakao.calls['/online/v1/payment/ready']).toBeUndefined();
  await fakes.toss.setMode('ok');
  const report = await shop.shop.payments!.reconcile();
  expect(report).toMatchObject({ looked: 1, approved: 1, unresolved: 0 });
  expect(await orderJson(shop.base, orderId)).toMatchObject({ status: 'paid', payment: 'paid' });
  expect(await ledgerCheck(pg, db, [fakes.toss, fakes.kakao])).toMatchObject({ paid: 1, charges: 1 });
});

test('a stall that did not charge: resolved "not charged", paid through B, and a late charge at A is refunded', async () => {
  const shop = await shopWith();
  await fakes.toss.setMode('stall');
  const { orderId, result } = await buy(shop.base, 'easy-pay', 'toss');
  expect(result?.json.payment).toBe('confirming');
  await fakes.toss.setMode('ok');
  expect(await shop.shop.payments!.reconcile()).toMatchObject({ looked: 1, notCharged: 1 });
  expect((await orderJson(shop.base, orderId)).payment).toBe('failed');
  // Now another provider may take it.
  const pay = await startPay(shop.base, orderId, 'easy-pay', 'kakaopay');
  expect(pay.status).toBe(200);
  expect((await returnTo(await throughWindow(pay.json.redirectUrl))).json.payment).toBe('paid');
  // The stalled request is processed late by A after all (the worst case): A's ledger gets a charge.
  const late = [...fakes.toss.payments.values()].find((p) => p.status === 'IN_PROGRESS')!;
  late.status = 'DONE';
  late.chargedAt = Date.now();
  expect(await shop.shop.payments!.reconcile()).toMatchObject({ duplicatesRefunded: 1 });
  expect(late.status).toBe('CANCELED');
  const events = await pg.sql<{ kind: string }>(
    'SELECT kind FROM payment_events WHERE order_id = $1 ORDER BY id',
    [orderId],
    db,
  );
  expect(events.map((e) => e.kind)).toEqual(['duplicate-approval', 'duplicate-refunded']);
  expect(await ledgerCheck(pg, db, [fakes.toss, fakes.kakao])).toMatchObject({ paid: 1, charges: 1 });
});

test('the shop process is SIGKILLed between the approval and its commit; the next process reconciles it at start', async () => {
  // A real process, killed at the worst point: the provider has charged and answered, the answer
  // is not written. No hook throws in the shop under test: the process just stops existing.
  const child = await spawnShop(
    { db: { writerHost: pg.host, port: pg.port, database: db, user: pg.user } },
    {
      SHOP_TEST_PAYMENTS: JSON.stringify({ settings: paymentSettings(fakes), stopAfterProviderAnswer: true }),
    },
  );
  try {
    let out = '';
    const answered = new Promise<string>((resolve) =>
      child.child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /provider-answered (\S+) (\S+)/.exec(out);
        if (m) resolve(`${m[1]} ${m[2]}`);
      }),
    );
    const { orderId } = await newOrder(child.base);
    const pay = await startPay(child.base, orderId, 'card');
    const back = await throughWindow(pay.json.redirectUrl);
    const customer = returnTo(back).catch((err: Error) => ({ status: 'no-answer', error: err.message }));
    expect(await answered).toBe(`${pay.json.attemptId} approved`);
    child.child.kill('SIGKILL');
    await new Promise((r) => (child.alive() ? child.child.once('exit', r) : r(undefined)));
    expect(child.child.signalCode).toBe('SIGKILL');
    // The customer's request died with the process; the charge is on the provider's ledger only.
    expect(await customer).toMatchObject({ status: 'no-answer' });
    expect(fakes.toss.charges()).toHaveLength(1);
    const [attempt] = await pg.sql<{ status: string }>(
      'SELECT status FROM payment_attempts WHERE order_id = $1',
      [orderId],
      db,
    );
    expect(attempt.status).toBe('confirming');
    // The next process starts later than the confirm deadline (clock injected, not waited for).
    const next = await shopWith({}, { now: () => Date.now() + 60_000 });
    const deadline = Date.now() + 5000;
    while ((await orderJson(next.base, orderId)).payment !== 'paid' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(await orderJson(next.base, orderId)).toMatchObject({ status: 'paid', payment: 'paid' });
    expect(fakes.toss.calls['/v1/payments/confirm']).toBe(1);
    expect(await ledgerCheck(pg, db, [fakes.toss, fakes.kakao])).toMatchObject({ paid: 1, charges: 1 });
  } finally {
    await child.stop();
  }
});

test('provider A down: its breaker opens, checkouts go through B, card is shown unavailable; A recovers via half-open', async () => {
  let skew = 0;
  const shop = await shopWith({ breakerClock: () => Date.now() + skew });
  await fakes.toss.setMode('refuse');
  for (const method of ['card', 'easy-pay']) {
    for (let i = 0; i < 3; i++) {
      const { result, pay } = await buy(shop.base, method);
      expect(pay.json.provider).toBe('toss');
      expect(result?.json.payment).toBe('failed');
    }
  }
  let h = await health(shop.base);
  expect(h.providers.find((p: any) => p.provider === 'toss' && p.method === 'easy-pay')).toMatchObject({
    breaker: 'open',
    available: false,
    window: { providerErrors: 3, errorClasses: { connect: 3 } },
  });
  expect(h).toMatchObject({ status: 'degraded', methodsDown: ['card'] });
  const { body } = await newOrder(shop.base);
  expect(body.payment.methods.map((m: any) => `${m.method}:${m.available}`)).toEqual([
    'easy-pay:true',
    'bank-transfer:true',
    'phone:true',
    'card:false',
  ]);
  for (let i = 0; i < 3; i++) {
    const { result, pay } = await buy(shop.base, 'easy-pay');
    expect(pay.json.provider).toBe('kakaopay');
    expect(result?.json.payment).toBe('paid');
  }
  const page = await (await fetch(`${shop.base}/orders/${body.orderId}/pay`)).text();
  expect(page).toContain('data-payment-method="card" data-available="false"');
  expect(page).toContain('Not available right now');
  // A comes back; after halfOpenAfterSeconds (30 s on the breakers' clock, moved rather than
  // waited for) one trial checkout goes to A and closes the breaker.
  await fakes.toss.setMode('ok');
  expect((await health(shop.base)).providers[0].breaker).toBe('open');
  skew = 31_000;
  h = await health(shop.base);
  expect(h.providers.find((p: any) => p.provider === 'toss' && p.method === 'card').breaker).toBe(
    'half-open',
  );
  const trial = await buy(shop.base, 'card');
  expect(trial.result?.json.payment).toBe('paid');
  h = await health(shop.base);
  expect(h.providers.find((p: any) => p.provider === 'toss' && p.method === 'card').breaker).toBe('closed');
  expect(await ledgerCheck(pg, db, [fakes.toss, fakes.kakao])).toMatchObject({ paid: 4, charges: 4 });
});

test('A declines everything with a maintenance code: counted as provider errors, breaker opens; customer declines are not', async () => {
  const shop = await shopWith();
  await fakes.toss.setMode('decline');
  for (let i = 0; i < 4; i++) expect((await buy(shop.base, 'card')).result?.json.payment).toBe('failed');
  let lane = (await health(shop.base)).providers.find(
    (p: any) => p.provider === 'toss' && p.method === 'card',
  );
  expect(lane).toMatchObject({ breaker: 'closed', window: { customerDeclines: 4, approvalRate: null } });
  await fakes.toss.setMode('maintenance');
  // Declines were successes for the breaker; three refusals in a row open it.
  for (let i = 0; i < 3; i++) {
    const { result } = await buy(shop.base, 'card');
    expect(result?.json).toMatchObject({ payment: 'failed', code: 'PROVIDER_ERROR' });
  }
  lane = (await health(shop.base)).providers.find((p: any) => p.provider === 'toss' && p.method === 'card');
  expect(lane).toMatchObject({
    breaker: 'open',
    window: { customerDeclines: 4, providerErrors: 3, errorClasses: { maintenance: 3 } },
  });
  expect((await startPay(shop.base, (await newOrder(shop.base)).orderId, 'card')).status).toBe(503);
  expect(fakes.toss.charges()).toHaveLength(0);
});

test('every online method down (switch + breaker): the page says so and offers the manual ways', async () => {
  let value = '["provider:kakaopay"]';
  const shop = await shopWith({ switchReader: async () => value });
  await fakes.toss.setMode('refuse');
  // The breaker is per provider and method: A's card and A's easy-pay each see the outage.
  for (let i = 0; i < 3; i++) await buy(shop.base, 'card');
  for (let i = 0; i < 3; i++) await buy(shop.base, 'easy-pay', 'toss');
  const { body, orderId } = await newOrder(shop.base);
  expect(body.payment.allOnlineDown).toBe(true);
  expect(body.payment.methods.filter((m: any) => m.available).map((m: any) => m.method)).toEqual([
    'bank-transfer',
    'phone',
  ]);
  const page = await (
    await fetch(`${shop.base}/orders/${orderId}/pay`, { headers: { 'accept-language': 'ko' } })
  ).text();
  expect(page).toContain('data-payments="all-online-down"');
  expect(page).toContain('계좌이체나 전화로 결제하실 수 있으며');
  const h = await health(shop.base);
  expect(h).toMatchObject({
    status: 'all-online-down',
    onlineMethodsAvailable: 0,
    switch: { disabled: ['provider:kakaopay'] },
  });
  // A failed read of the switch keeps the last value.
  value = 'not json';
  await (shop.shop.payments as any).o.switch.refresh();
  expect((await health(shop.base)).switch).toMatchObject({ disabled: ['provider:kakaopay'] });
});

test('a slow provider does not take the database pool: browsing stays answered while confirms wait', async () => {
  const shop = await shopWith(
    {},
    { db: { writerHost: pg.host, port: pg.port, database: db, user: pg.user, poolMax: 3 } },
    4000,
  );
  const returns: string[] = [];
  for (let i = 0; i < 8; i++) {
    const { orderId } = await newOrder(shop.base);
    const pay = await startPay(shop.base, orderId, 'card');
    returns.push(await throughWindow(pay.json.redirectUrl));
  }
  fakes.toss.latencyMs = 1500;
  // A return refused by the admission gate (503 + Retry-After, nothing done) is retried, as a browser would.
  const returnRetrying = async (u: string) => {
    for (let i = 0; ; i++) {
      const r = await returnTo(u);
      if (r.status !== 503 || i === 5) return r;
      await new Promise((res) => setTimeout(res, 200));
    }
  };
  const confirming = Promise.all(returns.map(returnRetrying));
  await new Promise((r) => setTimeout(r, 300)); // all eight confirms are now waiting on the provider
  expect(shop.shop.db.gate.stats().active).toBe(0);
  const started = Date.now();
  const browse = await Promise.all(
    // Six at once: within the admission gate's pool (3) + queue (6), so every one must be served.
    Array.from({ length: 6 }, (_, i) =>
      fetch(
        `${shop.base}/orders/${returns[i % 8] ? new URL(returns[i % 8]).searchParams.get('attempt') : ''}`,
        {
          headers: JSON_HEADERS,
        },
      ).then((r) => r.status),
    ),
  );
  const products = await fetch(`${shop.base}/products`, { headers: JSON_HEADERS });
  expect(products.status).toBe(200);
  expect(browse).toEqual(Array(6).fill(404)); // answered by the database (attempt ids are not orders)
  expect(Date.now() - started).toBeLessThan(1000);
  const done = await confirming;
  expect(done.map((d) => d.json.payment)).toEqual(Array(8).fill('paid'));
});
