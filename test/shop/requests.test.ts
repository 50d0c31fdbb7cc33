/**
 * Request validation: cross-site requests refused on every state-changing route, no body parsed
 * as JSON without saying so, the idempotency key from the header or the form, and the per-order
 * maximum of one product.
 */
import { randomUUID } from 'node:crypto';
import { IDEMPOTENCY_HEADER } from '../../lib/contract/shop';
import { DEFAULT_LIMITS, MAX_QUANTITY_PER_PRODUCT } from '../../shop/src/limits';
import { crossSiteReason } from '../../shop/src/origin';
import { idempotencyKey } from '../../shop/src/routes';
import { sharedPostgres, type PostgresServer } from '../support/postgres';
import { count, postJson, startShop, type RunningShop } from './helpers';

let pg: PostgresServer;
let db: string;
let shop: RunningShop;

beforeAll(async () => {
  pg = await sharedPostgres();
  db = await pg.createDatabase();
  shop = await startShop(pg, db, { cartCleanup: false, limits: DEFAULT_LIMITS });
});
afterAll(async () => {
  await shop?.close();
  await pg?.destroy();
});

async function newCart(): Promise<string> {
  const r = await postJson(shop.base, '/cart', { productId: 1, quantity: 1 });
  expect(r.status).toBe(201);
  return r.json.cartId as string;
}

/** Every state-changing route of the shop, with a body that would change state if accepted. */
const ROUTES: { method: string; path: string; body: () => Promise<string> }[] = [
  { method: 'POST', path: '/cart', body: async () => 'productId=1&quantity=1' },
  { method: 'POST', path: '/checkout', body: async () => `cartId=${await newCart()}` },
];

/** What a browser sends for a form on another site posting to the shop. */
const CROSS_SITE: Record<string, Record<string, string>> = {
  'Sec-Fetch-Site cross-site': { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
  'Sec-Fetch-Site same-site (a sibling subdomain)': {
    'sec-fetch-site': 'same-site',
    origin: 'https://blog.shop.example',
  },
  'Origin of another site (older browser, no Sec-Fetch-Site)': { origin: 'https://evil.example' },
  'Origin null (sandboxed frame)': { origin: 'null' },
};

describe.each(ROUTES)('$method $path', ({ method, path, body }) => {
  test.each(Object.entries(CROSS_SITE))('refuses a cross-site form post: %s', async (_name, headers) => {
    const payload = await body();
    const [carts, orders] = [await count(pg, db, 'carts'), await count(pg, db, 'orders')];
    const res = await fetch(shop.base + path, {
      method,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: payload,
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('another site');
    expect([await count(pg, db, 'carts'), await count(pg, db, 'orders')]).toEqual([carts, orders]);
  });

  test('accepts the same post from the shop itself (same origin)', async () => {
    const host = new URL(shop.base).host;
    const res = await fetch(shop.base + path, {
      method,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'sec-fetch-site': 'same-origin',
        origin: `http://${host}`,
      },
      body: await body(),
    });
    expect(res.status).toBe(201);
  });

  test('refuses a body without Content-Type (a no-cors fetch) instead of reading it as JSON', async () => {
    const res = await fetch(shop.base + path, {
      method,
      body: new TextEncoder().encode(JSON.stringify({ productId: 1, quantity: 1, cartId: randomUUID() })),
    });
    expect(res.status).toBe(415);
  });
});

test('POST /orders/{id}/pay (payments) is refused cross-site before routing; same-origin reaches the route', async () => {
  const path = `/orders/${randomUUID()}/pay`;
  const post = (headers: Record<string, string>) =>
    fetch(shop.base + path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: 'method=card',
    });
  for (const headers of Object.values(CROSS_SITE)) expect((await post(headers)).status).toBe(403);
  expect((await post({ 'sec-fetch-site': 'same-origin' })).status).not.toBe(403);
});

test('the check covers every non-GET method and path, known or not', () => {
  const req = (method: string, headers: Record<string, string>) => ({ method, headers });
  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
    expect(crossSiteReason(req(method, { 'sec-fetch-site': 'cross-site' }))).toBeDefined();
    expect(
      crossSiteReason(req(method, { origin: 'https://evil.example', host: 'shop.example' })),
    ).toBeDefined();
    expect(
      crossSiteReason(req(method, { origin: 'https://shop.example', host: 'shop.example' })),
    ).toBeUndefined();
    expect(crossSiteReason(req(method, {}))).toBeUndefined();
  }
  expect(crossSiteReason(req('GET', { 'sec-fetch-site': 'cross-site' }))).toBeUndefined();
});

describe('idempotency key', () => {
  test('an empty header counts as absent: the form key is used, and the retry gets the same order', async () => {
    const cartId = await newCart();
    const key = randomUUID();
    const post = () =>
      fetch(shop.base + '/checkout', {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
          [IDEMPOTENCY_HEADER]: '',
        },
        body: `cartId=${cartId}&idempotencyKey=${key}`,
      });
    const first = await post();
    const retry = await post();
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.headers.get('x-idempotent-replay')).toBe('true');
    const [a, b] = [(await first.json()) as { orderId: string }, (await retry.json()) as { orderId: string }];
    expect(b.orderId).toBe(a.orderId);
    const stored = await pg.sql<{ key: string }>(
      'SELECT key FROM checkout_keys WHERE order_id = $1',
      [a.orderId],
      db,
    );
    expect(stored).toEqual([{ key }]);
  });

  test('two different keys in one request are refused before anything is done', async () => {
    const cartId = await newCart();
    const orders = await count(pg, db, 'orders');
    const r = await fetch(shop.base + '/checkout', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        [IDEMPOTENCY_HEADER]: randomUUID(),
      },
      body: `cartId=${cartId}&idempotencyKey=${randomUUID()}`,
    });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: string }).error).toContain('differ');
    expect(await count(pg, db, 'orders')).toBe(orders);
  });

  test.each([
    [undefined, undefined, undefined],
    ['', '', undefined],
    ['key-00000001', '', 'key-00000001'],
    ['', 'key-00000001', 'key-00000001'],
    ['key-00000001', 'key-00000001', 'key-00000001'],
  ])('header %p, form %p -> %p', (header, field, expected) => {
    expect(idempotencyKey(header, field)).toBe(expected);
  });
});

test(`at most ${MAX_QUANTITY_PER_PRODUCT} of one product per order, added at once or bit by bit`, async () => {
  const over = await postJson(shop.base, '/cart', { productId: 2, quantity: MAX_QUANTITY_PER_PRODUCT + 1 });
  expect(over.status).toBe(400);
  const cart = await postJson(shop.base, '/cart', { productId: 2, quantity: MAX_QUANTITY_PER_PRODUCT });
  expect(cart.status).toBe(201);
  const more = await postJson(shop.base, '/cart', { productId: 2, quantity: 1, cartId: cart.json.cartId });
  expect(more.status).toBe(400);
  expect(more.json.error).toContain(`at most ${MAX_QUANTITY_PER_PRODUCT}`);
  const items = await pg.sql<{ quantity: number }>(
    'SELECT quantity FROM cart_items WHERE cart_id = $1',
    [cart.json.cartId],
    db,
  );
  expect(items).toEqual([{ quantity: MAX_QUANTITY_PER_PRODUCT }]);
});
