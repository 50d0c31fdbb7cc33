/**
 * Contact details at checkout and the outbox rows the shop writes with each order and payment
 * change (real PostgreSQL, the shop over HTTP, the fake payment providers).
 */
import { startFakeProviders, type FakeProvider } from '../support/fake-pg';
import { sharedPostgres, type PostgresServer } from '../support/postgres';
import { type RunningShop, postJson } from '../shop/helpers';
import { paymentSettings, returnTo, startPay, startPayShop, throughWindow } from '../shop/payment-helpers';

let pg: PostgresServer;
let db: string;
let fakes: { toss: FakeProvider; kakao: FakeProvider };
let shop: RunningShop;

beforeAll(async () => {
  pg = await sharedPostgres();
});
afterAll(async () => {
  await pg?.destroy();
});
beforeEach(async () => {
  [db, fakes] = await Promise.all([pg.createDatabase(), startFakeProviders()]);
  shop = await startPayShop(pg, db, paymentSettings(fakes));
});
afterEach(async () => {
  await shop.close();
  await Promise.all([fakes.toss.close(), fakes.kakao.close()]);
});

async function checkout(contact: Record<string, unknown>, lang = 'en') {
  const cart = await postJson(shop.base, '/cart', { productId: 2, quantity: 1 });
  return postJson(shop.base, `/checkout?lang=${lang}`, { cartId: cart.json.cartId, ...contact });
}

const notices = (orderId?: string) =>
  pg.sql<{ kind: string; dedupe: string; detail: any }>(
    `SELECT kind, dedupe, detail FROM notices ${orderId ? 'WHERE order_id = $1' : ''} ORDER BY id`,
    orderId ? [orderId] : [],
    db,
  );

test('a guest leaves a mobile number and an e-mail: stored with the order and its consent, "order received" in the outbox', async () => {
  const res = await checkout({ phone: '+82 10-1234-5678', email: 'kim@example.com', consent: true }, 'ko');
  expect(res.status).toBe(201);
  const orderId = res.json.orderId as string;
  const rows = await pg.sql<any>(
    'SELECT phone, email, lang, consent_version, erase_after - consented_at AS kept FROM order_contacts WHERE order_id = $1',
    [orderId],
    db,
  );
  expect(rows).toEqual([
    {
      phone: '01012345678',
      email: 'kim@example.com',
      lang: 'ko',
      consent_version: 'notify-2026-12',
      kept: { days: 30 },
    },
  ]);
  expect(await notices(orderId)).toEqual([{ kind: 'order-received', dedupe: '', detail: { amount: 19000 } }]);
});

test.each([
  [{ phone: '02-123-4567', consent: true }, 'Enter a Korean mobile number such as 010-1234-5678.'],
  [{ email: 'not-an-address', consent: true }, 'Enter an e-mail address such as name@example.com.'],
  [{ phone: '010-1234-5678' }, 'To receive order messages, agree to the use of your contact details.'],
])('invalid contact %j: 400 naming the fix, no order, no notice', async (contact, message) => {
  const res = await checkout(contact);
  expect(res.status).toBe(400);
  expect(res.text).toContain(message);
  expect(await pg.sql('SELECT id FROM orders', [], db)).toEqual([]);
  expect(await notices()).toEqual([]);
});

test('no contact: the order is placed as before and no notice is queued', async () => {
  const res = await checkout({});
  expect(res.status).toBe(201);
  expect(await notices()).toEqual([]);
});

test('bank transfer, card payment and an unknown card outcome each queue their notice with the state change', async () => {
  const transfer = (await checkout({ phone: '010-2222-3333', consent: 'on' })).json.orderId as string;
  expect((await startPay(shop.base, transfer, 'bank-transfer')).status).toBe(201);
  const [received, awaiting] = await notices(transfer);
  expect(received.kind).toBe('order-received');
  expect(awaiting).toMatchObject({
    kind: 'awaiting-transfer',
    detail: { amount: 19000, account: '123-45-6789', bank: { ko: '국민은행', en: 'KB Kookmin Bank' } },
  });

  const card = (await checkout({ email: 'lee@example.com', consent: true })).json.orderId as string;
  const pay = await startPay(shop.base, card, 'card');
  expect((await returnTo(await throughWindow(pay.json.redirectUrl))).json).toMatchObject({ payment: 'paid' });
  expect((await notices(card)).map((n) => n.kind)).toEqual(['order-received', 'payment-confirmed']);

  await fakes.toss.setMode('charge-then-timeout');
  const slow = (await checkout({ email: 'park@example.com', consent: true })).json.orderId as string;
  const pay2 = await startPay(shop.base, slow, 'card');
  expect((await returnTo(await throughWindow(pay2.json.redirectUrl))).json).toMatchObject({
    payment: 'confirming',
  });
  const attempt = await pg.sql<{ id: string }>(
    'SELECT id FROM payment_attempts WHERE order_id = $1',
    [slow],
    db,
  );
  expect((await notices(slow)).map((n) => [n.kind, n.dedupe])).toEqual([
    ['order-received', ''],
    ['payment-confirming', attempt[0].id],
  ]);
  // The reconciler finds the charge: "payment confirmed" joins in the same transaction as 'paid'.
  await fakes.toss.setMode('ok');
  await shop.shop.payments!.reconcile();
  expect((await notices(slow)).map((n) => n.kind)).toEqual([
    'order-received',
    'payment-confirming',
    'payment-confirmed',
  ]);
  // Every paid order with a contact has exactly one "payment confirmed".
  const check = await pg.sql<{ paid: string; confirmed: string }>(
    `SELECT (SELECT count(*) FROM orders o JOIN order_contacts k ON k.order_id = o.id WHERE o.status = 'paid') AS paid,
            (SELECT count(*) FROM notices WHERE kind = 'payment-confirmed') AS confirmed`,
    [],
    db,
  );
  expect(check).toEqual([{ paid: '2', confirmed: '2' }]);
});
