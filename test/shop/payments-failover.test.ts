/**
 * A region failover in the middle of payments, on real PostgreSQL (a primary and its streaming
 * standby) with two shop instances, region A on the primary and region B on the standby, both
 * against the same fake providers.
 *
 * Customers are caught by the failure at the two points that matter:
 * - at the provider's window (the attempt committed in region A, the customer authenticated at Toss
 *   or KakaoPay, nothing confirmed yet);
 * - with region A's confirm already sent: the provider has charged and answered, and region A dies
 *   before it writes the answer (its database killed with `immediate`, a crash).
 * The standby is promoted and the fence moved (the promotion procedure); the customers' return URLs,
 * which name the shop's one host, now reach region B (DNS failed over). A return that reaches B before
 * the promotion is refused read-only and confirms nothing. Region B confirms the waiting payments once
 * and its reconciler settles the one whose answer died with region A.
 *
 * Counted against the fakes' ledgers: paid orders, charges, confirm calls, double charges (0), lost
 * paid orders (0) and unknowns left after the reconciler (0). The long tier runs more customers of
 * each kind at once (SHOP_TEST_LONG=1, test/support/long.ts).
 *
 * And customers in the replication lag: their attempts reached the standby, then replication stopped
 * while region A confirmed them, wrote "paid" and told them so; that record is lost with A. Region B,
 * once promoted, sweeps its recent `started` attempts and finds their charges by look-up.
 *
 * And purchases wholly in the lag (order, attempt, confirm, "paid" never reached the standby): the
 * promoted region finds their charges in Toss's transaction list, knows no record of them, and
 * refunds them (recorded as `orphan-refunded`). KakaoPay has no such list: its customers' browsers
 * keep a signed recovery key (tid) in a cookie; one who comes back to region B (the return from the
 * window, or "check my payment") has the payment looked up by tid and refunded, or is told nothing
 * was charged. A forged or missing key finds nothing. And KakaoPay payments whose order reached the
 * standby but whose attempt did not: found the same way and recorded against the order (paid), or
 * the order left to be paid again when nothing was charged.
 */
import { HEALTH_MARKER } from '../../lib/contract/shop';
import { KakaoPay } from '../../shop/src/payments/kakaopay';
import type { Outcome } from '../../shop/src/payments/types';
import { FAKE_SECRET, startFakeProviders, type FakeProvider } from '../support/fake-pg';
import { LONG } from '../support/long';
import { startPostgres, type PostgresServer } from '../support/postgres';
import { waitForDb } from './fault-harness';
import { getHealth, waitFor, type RunningShop } from './helpers';
import {
  ledgerCheck,
  newOrder,
  orderJson,
  paymentSettings,
  returnTo,
  startPay,
  startPayShop,
  throughWindow,
} from './payment-helpers';

/** Customers of each kind: at Toss's window, at KakaoPay's window, with A's Toss confirm in flight. */
const EACH = LONG ? 6 : 1;

let primary: PostgresServer;
let standby: PostgresServer;
let db: string;
let fakes: { toss: FakeProvider; kakao: FakeProvider };
let shopA: RunningShop;
let shopB: RunningShop;
/** Region B's clock runs this far ahead, so that its reconciler sees A's confirms as stale. */
let skewB = 0;
/** Attempts whose provider answer region A holds (A dies before writing it), and their release. */
const heldInA = new Map<string, () => void>();
const answeredInA = new Set<string>();

beforeAll(async () => {
  [primary, fakes] = await Promise.all([startPostgres(), startFakeProviders()]);
  db = await primary.createDatabase();
  // Each commit flushed before it is acknowledged (the test cluster's default is off), so that what
  // the shop acknowledged is in the WAL that standbyCaughtUp() waits for.
  await primary.sql(`ALTER DATABASE ${db} SET synchronous_commit = on`);
  standby = await primary.createStandby();
  const settings = paymentSettings(fakes, {}, 2000);
  [shopA, shopB] = await Promise.all([
    startPayShop(
      primary,
      db,
      settings,
      {
        hooks: {
          afterProviderAnswer: (attemptId: string, _outcome: Outcome) => {
            answeredInA.add(attemptId);
            if (!heldInA.has(attemptId)) return;
            return new Promise<void>((resolve) => heldInA.set(attemptId, resolve));
          },
        },
      },
      {
        region: 'region-a',
        role: 'primary',
        fenceWitnesses: [{ host: standby.host, port: standby.port }],
      },
    ),
    startPayShop(
      standby,
      db,
      settings,
      {},
      {
        region: 'region-b',
        role: 'standby',
        fenceWitnesses: [{ host: primary.host, port: primary.port }],
        now: () => Date.now() + skewB,
      },
    ),
  ]);
  await waitForDb(shopA.base, (s) => s === 'writer');
  await waitFor(
    async () => (await getHealth(shopB.base)).body.marker === HEALTH_MARKER,
    20_000,
    'region B healthy on the replica',
  );
});
afterAll(async () => {
  for (const release of heldInA.values()) release();
  await Promise.all([shopA?.close(), shopB?.close()]);
  await Promise.all([fakes?.toss.close(), fakes?.kakao.close()]);
  await standby?.destroy();
  await primary?.destroy();
});

/** The same return URL, reached through the shop's host after DNS failed over to region B. */
const inRegionB = (url: string) => {
  const u = new URL(url);
  const b = new URL(shopB.base);
  u.host = b.host;
  return u.toString();
};

/**
 * Retries while the shop answers read-only. On a loaded machine a health probe can miss its short
 * test deadline (FAST in helpers.ts) and flip a healthy shop read-only for a moment; that moment is
 * not what this test is about, and a read-only answer confirms nothing, so asking again is safe.
 */
async function notReadOnly<T>(call: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const result = await call().catch((err: Error) => err);
    const readOnly =
      result instanceof Error
        ? result.message.includes('"read-only"')
        : (result as { json?: { error?: string } }).json?.error === 'read-only';
    if (!readOnly || Date.now() > deadline) {
      if (result instanceof Error) throw result;
      return result;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The recovery cookie the shop set when the payment started (`name=value`), for the customer's next requests. */
const recoveryCookie = (pay: { headers: Headers }) => {
  const set = pay.headers.get('set-cookie') ?? '';
  if (!set.startsWith('shop-pay-')) throw new Error(`no recovery cookie: ${set}`);
  return set.split(';')[0];
};

/** A GET as the customer's browser makes it, with its cookie (JSON for the test). */
async function getWithCookie(url: string, cookie: string) {
  const res = await fetch(url, { headers: { accept: 'application/json', cookie } });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, setCookie: res.headers.get('set-cookie') };
}

/** Waits until the standby has replayed everything the primary has written so far. */
async function standbyCaughtUp(): Promise<void> {
  const [{ lsn }] = await primary.sql<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
  await waitFor(
    async () =>
      (await standby.sql<{ ok: boolean }>('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok', [lsn]))[0]
        .ok,
    10_000,
    'the standby to replay the primary',
  );
}

test('region A dies with customers at the window, a confirm charged but not written, and confirms or whole purchases lost in the replication lag; region B charges each once or refunds', async () => {
  // At the window: attempt committed in A, customer authenticated, return URL not yet requested.
  const atWindow: { orderId: string; back: string }[] = [];
  for (let i = 0; i < EACH; i++)
    for (const [method, provider] of [
      ['card', 'toss'],
      ['easy-pay', 'kakaopay'],
    ] as const) {
      const { orderId } = await notReadOnly(() => newOrder(shopA.base));
      const pay = await notReadOnly(() => startPay(shopA.base, orderId, method, provider));
      expect(pay.json.provider).toBe(provider);
      atWindow.push({ orderId, back: await throughWindow(pay.json.redirectUrl) });
    }
  // Confirm in flight: A sent the confirm, Toss charged and answered, A has not written it.
  const inFlight: { orderId: string; back: string; answer: Promise<unknown> }[] = [];
  for (let i = 0; i < EACH; i++) {
    const { orderId } = await notReadOnly(() => newOrder(shopA.base));
    const pay = await notReadOnly(() => startPay(shopA.base, orderId, 'card', 'toss'));
    heldInA.set(pay.json.attemptId, () => undefined);
    const back = await throughWindow(pay.json.redirectUrl);
    const answer = notReadOnly(() => returnTo(back)).catch((err: Error) => ({
      status: 'no-answer',
      error: err.message,
    }));
    inFlight.push({ orderId, back, answer });
    await waitFor(() => answeredInA.has(pay.json.attemptId), 10_000, 'the provider to answer A');
  }
  expect(fakes.toss.charges()).toHaveLength(EACH);
  // In the replication lag: customers at the window whose attempts the standby has...
  const inLag: { orderId: string; back: string }[] = [];
  for (let i = 0; i < EACH; i++)
    for (const [method, provider] of [
      ['card', 'toss'],
      ['easy-pay', 'kakaopay'],
    ] as const) {
      const { orderId } = await notReadOnly(() => newOrder(shopA.base));
      const pay = await notReadOnly(() => startPay(shopA.base, orderId, method, provider));
      inLag.push({ orderId, back: await throughWindow(pay.json.redirectUrl) });
    }
  // Orders the standby will have, whose KakaoPay payment starts once replication has stopped.
  const kakaoOrderOnly: string[] = [];
  for (let i = 0; i < 2 * EACH; i++)
    kakaoOrderOnly.push((await notReadOnly(() => newOrder(shopA.base))).orderId);
  await standbyCaughtUp();
  // ...and then replication stops (the standby's WAL receiver is turned off) ...
  await standby.sql("ALTER SYSTEM SET primary_conninfo = ''");
  await standby.sql('SELECT pg_reload_conf()');
  await waitFor(
    async () => (await standby.sql('SELECT 1 FROM pg_stat_wal_receiver')).length === 0,
    10_000,
    'the standby to stop receiving',
  );
  // ...while region A confirms them and tells them "paid": that record never reaches the standby.
  for (const c of inLag)
    expect((await notReadOnly(() => returnTo(c.back))).json).toMatchObject({
      orderId: c.orderId,
      payment: 'paid',
    });

  // Customers whose whole purchase happened in the lag: order, attempt, Toss window (through the
  // shop's window page, whose SDK request carries customerKey guest_<attempt id>; emulated here on
  // the fake's window URL), confirm and "paid" all in region A only.
  const lostWhole: { attemptId: string }[] = [];
  for (let i = 0; i < EACH; i++) {
    const { orderId } = await notReadOnly(() => newOrder(shopA.base));
    const pay = await notReadOnly(() => startPay(shopA.base, orderId, 'card', 'toss'));
    const window = new URL(pay.json.redirectUrl);
    window.searchParams.set('customerKey', `guest_${pay.json.attemptId}`);
    const back = await throughWindow(window.toString());
    expect((await notReadOnly(() => returnTo(back))).json).toMatchObject({ orderId, payment: 'paid' });
    lostWhole.push({ attemptId: pay.json.attemptId });
  }
  // The same through KakaoPay (no transaction list): customers told "paid" by region A...
  const kakaoPaidLost: { attemptId: string; cookie: string }[] = [];
  // ...and customers at KakaoPay's window (authenticated, approve not yet sent) when A dies.
  const kakaoAtWindowLost: { attemptId: string; cookie: string; back: string }[] = [];
  for (let i = 0; i < EACH; i++) {
    for (const told of [true, false]) {
      const { orderId } = await notReadOnly(() => newOrder(shopA.base));
      const pay = await notReadOnly(() => startPay(shopA.base, orderId, 'easy-pay', 'kakaopay'));
      expect(pay.json.provider).toBe('kakaopay');
      expect(pay.json.recovery).toBeUndefined(); // the key goes to the cookie only
      const cookie = recoveryCookie(pay);
      const back = await throughWindow(pay.json.redirectUrl);
      if (told) {
        expect((await notReadOnly(() => getWithCookie(back, cookie))).json).toMatchObject({
          orderId,
          payment: 'paid',
        });
        kakaoPaidLost.push({ attemptId: pay.json.attemptId, cookie });
      } else kakaoAtWindowLost.push({ attemptId: pay.json.attemptId, cookie, back });
    }
  }

  // KakaoPay payments of orders the standby has: one told "paid" by A, one at the window.
  const attemptLost: { orderId: string; attemptId: string; cookie: string; back: string; told: boolean }[] =
    [];
  for (const [i, orderId] of kakaoOrderOnly.entries()) {
    const pay = await notReadOnly(() => startPay(shopA.base, orderId, 'easy-pay', 'kakaopay'));
    const cookie = recoveryCookie(pay);
    const back = await throughWindow(pay.json.redirectUrl);
    const told = i % 2 === 0;
    if (told)
      expect((await notReadOnly(() => getWithCookie(back, cookie))).json).toMatchObject({
        orderId,
        payment: 'paid',
      });
    attemptLost.push({ orderId, attemptId: pay.json.attemptId, cookie, back, told });
  }

  // Region A dies: its database crashes.
  await primary.stop('immediate');
  // The standby still has them as `started`: A's confirms and "paid" are gone with A.
  const onStandby = await standby.sql<{ status: string }>(
    'SELECT a.status FROM payment_attempts a WHERE a.order_id = ANY($1::uuid[])',
    [inLag.map((c) => c.orderId)],
    db,
  );
  expect(onStandby.map((r) => r.status)).toEqual(inLag.map(() => 'started'));

  // DNS sends the customers to region B before its database is promoted: refused, nothing confirmed.
  const early = await returnTo(inRegionB(atWindow[0].back));
  expect(early.status).toBe(503);
  expect(early.json?.error).toBe('read-only');
  expect(fakes.toss.calls['/v1/payments/confirm']).toBe(3 * EACH);
  expect(fakes.kakao.calls['/online/v1/payment/approve']).toBe(3 * EACH);

  // The promotion procedure: promote the standby, move the fence to region B.
  await standby.sql('SELECT pg_promote(true, 30)');
  await standby.sql(
    "UPDATE writer_fence SET epoch = epoch + 1, writer_region = 'region-b', updated_at = now()",
    [],
    db,
  );
  await waitForDb(shopB.base, (s) => s === 'writer');
  // Promoted, region B sweeps its recent `started` attempts: the lag customers' charges are found.
  await waitFor(
    async () => {
      for (const c of inLag) if ((await orderJson(shopB.base, c.orderId)).payment !== 'paid') return false;
      return true;
    },
    10_000,
    'the sweep after promotion to settle the confirms lost in the lag',
  );

  // Charges no record here knows of (made by the shop's window page): refunded by the sweep.
  await waitFor(
    () =>
      lostWhole.every(
        (c) =>
          [...fakes.toss.payments.values()].find((p) => p.orderId === c.attemptId)?.status === 'CANCELED',
      ),
    10_000,
    'the sweep to refund the charges whose every record was lost',
  );
  // The sweep records each refund right after the provider confirms it: waited for, not raced.
  const orphans = () =>
    standby.sql<{ order_id: string }>(
      "SELECT detail->>'providerOrderId' AS order_id FROM payment_events WHERE kind = 'orphan-refunded'",
      [],
      db,
    );
  await waitFor(
    async () => (await orphans()).length >= lostWhole.length,
    10_000,
    'the refunds to be recorded',
  );
  expect((await orphans()).map((o) => o.order_id).sort()).toEqual(lostWhole.map((c) => c.attemptId).sort());

  // KakaoPay purchases wholly lost: region B knows nothing of them; only the customer's key finds them.
  const kakaoLost = [...kakaoPaidLost, ...kakaoAtWindowLost];
  const onB = await standby.sql(
    'SELECT 1 FROM payment_attempts WHERE id = ANY($1::uuid[])',
    [kakaoLost.map((c) => c.attemptId)],
    db,
  );
  expect(onB).toHaveLength(0);
  const kakaoCharged = (attemptId: string) =>
    [...fakes.kakao.payments.values()].find((p) => p.orderId === attemptId)!;
  for (const c of kakaoPaidLost) expect(kakaoCharged(c.attemptId).status).toBe('DONE');
  const orderCalls = () => fakes.kakao.calls['/online/v1/payment/order'] ?? 0;
  // At the window: the return without its cookie, or with a forged one, finds nothing and asks nothing.
  for (const c of kakaoAtWindowLost) {
    const before = orderCalls();
    expect((await notReadOnly(() => returnTo(inRegionB(c.back)))).status).toBe(404);
    const [name, value] = c.cookie.split('=');
    const [provider, payload, mac] = value.split('.');
    const forged = JSON.parse(Buffer.from(payload, 'base64url').toString());
    forged.m = 1;
    const forgedCookie = `${name}=${provider}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${mac}`;
    expect((await notReadOnly(() => getWithCookie(inRegionB(c.back), forgedCookie))).status).toBe(404);
    expect(orderCalls()).toBe(before);
    // With it: looked up by tid, not charged, never approved by B (its order is gone): order again.
    const r = await notReadOnly(() => getWithCookie(inRegionB(c.back), c.cookie));
    expect(r.status).toBe(410);
    expect(r.json.error).toBe(
      'We lost the record of this order in a failover before it was paid. Nothing was charged; please order again.',
    );
    expect(r.setCookie).toMatch(/^shop-pay-[0-9a-f-]+=; Path=\/payments; Max-Age=0/);
    expect(kakaoCharged(c.attemptId).chargedAt).toBeUndefined();
  }
  // A key sealed (by the real adapter, with the real key) more than 30 days ago opens nothing and asks nothing.
  const kakao = new KakaoPay(
    paymentSettings(fakes).providers.find((p) => p.id === 'kakaopay')!,
    async () => FAKE_SECRET,
  );
  const old = kakaoPaidLost[0];
  const sealedOld = await kakao.sealRecovery({
    attemptId: old.attemptId,
    orderId: 'x',
    providerRef: kakaoCharged(old.attemptId).ref,
    amount: kakaoCharged(old.attemptId).amount,
    createdAt: Date.now() - 31 * 24 * 3600_000,
  });
  const lookupsBefore = orderCalls();
  const stale = await notReadOnly(() =>
    getWithCookie(`${shopB.base}/payments/check`, `shop-pay-${old.attemptId}=kakaopay.${sealedOld}`),
  );
  expect(stale.json).toEqual({ payments: [] });
  expect(orderCalls()).toBe(lookupsBefore);
  // Told "paid" by A: "check my payment" in region B looks the tid up and refunds the charge.
  for (const c of kakaoPaidLost) {
    const check = await notReadOnly(() => getWithCookie(`${shopB.base}/payments/check`, c.cookie));
    expect(check.status).toBe(200);
    expect(check.json.payments).toEqual([
      expect.objectContaining({ attemptId: c.attemptId, provider: 'kakaopay', outcome: 'refunded' }),
    ]);
    expect(kakaoCharged(c.attemptId).status).toBe('CANCELED');
    // Asked again (the cookie not yet gone): the same answer, no second refund.
    const cancels = fakes.kakao.calls['/online/v1/payment/cancel'];
    expect(
      (await notReadOnly(() => getWithCookie(`${shopB.base}/payments/check`, c.cookie))).json.payments[0]
        .outcome,
    ).toBe('refunded');
    expect(fakes.kakao.calls['/online/v1/payment/cancel']).toBe(cancels);
  }
  const kakaoOrphans = await standby.sql<{ order_id: string }>(
    "SELECT detail->>'providerOrderId' AS order_id FROM payment_events WHERE kind = 'orphan-refunded' AND detail->>'provider' = 'kakaopay'",
    [],
    db,
  );
  expect(kakaoOrphans.map((o) => o.order_id).sort()).toEqual(kakaoPaidLost.map((c) => c.attemptId).sort());

  // Only the attempt lost, the order here: told "paid" -> recorded against the order (paid, the
  // charge kept); at the window -> nothing charged, the order waits and is paid again in B.
  for (const c of attemptLost) {
    if (c.told) {
      const check = await notReadOnly(() => getWithCookie(`${shopB.base}/payments/check`, c.cookie));
      expect(check.json.payments).toEqual([{ attemptId: c.attemptId, orderId: c.orderId, payment: 'paid' }]);
      expect(kakaoCharged(c.attemptId).status).toBe('DONE');
    } else {
      const r = await notReadOnly(() => getWithCookie(inRegionB(c.back), c.cookie));
      expect(r.json).toEqual({ orderId: c.orderId, payment: 'awaiting-payment' });
      const again = await notReadOnly(() => startPay(shopB.base, c.orderId, 'easy-pay', 'kakaopay'));
      expect((await returnTo(await throughWindow(again.json.redirectUrl))).json).toMatchObject({
        orderId: c.orderId,
        payment: 'paid',
      });
    }
  }

  // The customers at the window come back through region B: each confirmed once, paid.
  for (const c of atWindow) {
    const result = await notReadOnly(() => returnTo(inRegionB(c.back)));
    expect({ orderId: c.orderId, ...result.json }).toMatchObject({ orderId: c.orderId, payment: 'paid' });
  }
  // The customer whose answer died with A reloads in region B: "confirming" (or "paid" once B's
  // reconciler, which also runs on promotion, has found the charge), never a second confirm.
  for (const c of inFlight) {
    const result = await notReadOnly(() => returnTo(inRegionB(c.back)));
    expect(['confirming', 'paid']).toContain(result.json?.payment);
  }
  expect(fakes.toss.calls['/v1/payments/confirm']).toBe(4 * EACH);
  expect(fakes.kakao.calls['/online/v1/payment/approve']).toBe(5 * EACH);

  // Region B's reconciler, once A's confirm deadline has passed (clock moved, not waited for).
  skewB = 60_000;
  expect(await shopB.shop.payments!.reconcile()).toMatchObject({ unresolved: 0, notCharged: 0 });
  for (const c of [...atWindow, ...inFlight, ...inLag, ...attemptLost])
    expect(await orderJson(shopB.base, c.orderId)).toMatchObject({ status: 'paid', payment: 'paid' });

  // Region A finally tries to write its answer: its database is gone, nothing more happens.
  for (const release of heldInA.values()) release();
  for (const c of inFlight) expect(await c.answer).not.toMatchObject({ json: { payment: 'paid' } });

  const unknowns = await standby.sql<{ n: string }>(
    "SELECT count(*) AS n FROM payment_attempts WHERE status IN ('confirming', 'unknown', 'duplicate')",
    [],
    db,
  );
  expect(Number(unknowns[0].n)).toBe(0);
  expect(await ledgerCheck(standby, db, [fakes.toss, fakes.kakao])).toEqual({
    paid: 7 * EACH,
    approved: 7 * EACH,
    charges: 7 * EACH,
    doubleCharges: 0,
    lostPaidOrders: 0,
    unpaidButPaid: 0,
  });
  // Nothing else was charged and refunded.
  expect(fakes.toss.everCharged()).toHaveLength(4 * EACH);
  expect(fakes.kakao.everCharged()).toHaveLength(5 * EACH);
  // Paid but recorded nowhere after recovery: no KakaoPay charge stands without a paid order.
  const attempts = new Set(
    (await standby.sql<{ id: string }>('SELECT id::text AS id FROM payment_attempts', [], db)).map(
      (r) => r.id,
    ),
  );
  expect(fakes.kakao.charges().filter((p) => !attempts.has(p.orderId))).toEqual([]);
});
