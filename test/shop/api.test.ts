import {
  DRILL_HEADER,
  HEALTH_MARKER,
  IDEMPOTENCY_HEADER,
  MODE_HEADER,
  PAGE_MARKER,
  REGION_HEADER,
  SYNTHETIC_HEADER,
} from '../../lib/contract/shop';
import { sharedPostgres, type PostgresServer } from '../support/postgres';
import { count, getHealth, postJson, startShop, stockOf, type RunningShop } from './helpers';

let pg: PostgresServer;
let db: string;
let s: RunningShop;

beforeAll(async () => {
  pg = await sharedPostgres();
  db = await pg.createDatabase();
  s = await startShop(pg, db);
});
afterAll(async () => {
  await s?.close();
  await pg?.destroy();
});

describe('pages', () => {
  it.each(['/', '/products'])(
    '%s lists every product with the page marker and product links',
    async (path) => {
      const res = await fetch(s.base + path);
      expect(res.status).toBe(200);
      expect(res.headers.get(MODE_HEADER)).toBe('read-write');
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      const html = await res.text();
      expect(html).toContain(PAGE_MARKER);
      for (let id = 1; id <= 12; id++)
        expect(html).toContain(`<a href="/products/${id}" data-product-id="${id}">`);
      expect(html).not.toContain('class="banner"');
    },
  );

  it('GET /products/:id serves HTML, or JSON with Accept: application/json', async () => {
    const page = await fetch(s.base + '/products/3');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('Gooseneck Kettle');

    const json = await fetch(s.base + '/products/3', { headers: { accept: 'application/json' } });
    expect(json.status).toBe(200);
    const body = await json.json();
    expect(body).toEqual({ id: 3, name: 'Gooseneck Kettle', priceCents: 45_000, stock: expect.any(Number) });
  });

  it.each(['/products/999', '/products/abc', "/products/1'%20OR%20'1'='1", '/nope'])(
    '%s is a 404 shop page',
    async (path) => {
      const res = await fetch(s.base + path);
      expect(res.status).toBe(404);
      expect(res.headers.get(MODE_HEADER)).toBe('read-write');
      const html = await res.text();
      expect(html).toContain(PAGE_MARKER);
      expect(html).not.toMatch(/at .*\.ts:\d+/);
    },
  );

  it('HTML-escapes data from the database', async () => {
    const other = await pg.createDatabase();
    const t = await startShop(pg, other);
    try {
      await pg.sql("UPDATE products SET name = '<script>alert(1)</script>' WHERE id = 2", [], other);
      await t.shop.catalogue.refresh();
      const html = await (await fetch(t.base + '/products/2')).text();
      expect(html).not.toContain('<script>alert(1)</script>');
      expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    } finally {
      await t.close();
    }
  });
});

describe('cart and checkout', () => {
  it('a cart and a checkout create an order and decrement stock', async () => {
    const before = { p1: await stockOf(pg, db, 1), p4: await stockOf(pg, db, 4) };
    const cart = await postJson(s.base, '/cart', { productId: 1, quantity: 2 });
    expect(cart.status).toBe(201);
    expect(cart.json.items).toEqual([{ productId: 1, quantity: 2 }]);
    const cart2 = await postJson(s.base, '/cart', { productId: '4', quantity: 1, cartId: cart.json.cartId });
    expect(cart2.status).toBe(201);
    expect(cart2.json).toEqual({
      cartId: cart.json.cartId,
      items: [
        { productId: 1, quantity: 2 },
        { productId: 4, quantity: 1 },
      ],
    });

    const checkout = await postJson(s.base, '/checkout', { cartId: cart.json.cartId });
    expect(checkout.status).toBe(201);
    expect(checkout.json).toEqual({ orderId: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'placed' });
    expect(await stockOf(pg, db, 1)).toBe(before.p1 - 2);
    expect(await stockOf(pg, db, 4)).toBe(before.p4 - 1);

    const order = await fetch(`${s.base}/orders/${checkout.json.orderId}`, {
      headers: { accept: 'application/json' },
    });
    expect(order.status).toBe(200);
    const body = await order.json();
    expect(body).toMatchObject({
      id: checkout.json.orderId,
      status: 'placed',
      totalCents: 2 * 28_000 + 89_000,
    });
    const orderPage = await fetch(`${s.base}/orders/${checkout.json.orderId}`);
    expect(await orderPage.text()).toContain(PAGE_MARKER);

    const again = await postJson(s.base, '/checkout', { cartId: cart.json.cartId });
    expect(again.status).toBe(409);
  });

  it('a synthetic checkout walks the whole path and leaves no order and no stock change', async () => {
    const cart = await postJson(s.base, '/cart', { productId: 5, quantity: 3 });
    const orders = await count(pg, db, 'orders');
    const items = await count(pg, db, 'order_items');
    const stock = await stockOf(pg, db, 5);
    const res = await postJson(
      s.base,
      '/checkout',
      { cartId: cart.json.cartId },
      { [SYNTHETIC_HEADER]: '1' },
    );
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 'synthetic-ok', orderId: null });
    expect(await count(pg, db, 'orders')).toBe(orders);
    expect(await count(pg, db, 'order_items')).toBe(items);
    expect(await stockOf(pg, db, 5)).toBe(stock);
    const [cartRow] = await pg.sql<{ status: string }>(
      'SELECT status FROM carts WHERE id = $1',
      [cart.json.cartId],
      db,
    );
    expect(cartRow.status).toBe('open');
  });

  it('the synthetic checkout reports real failures (out of stock) instead of pretending', async () => {
    await pg.sql('UPDATE products SET stock = 1 WHERE id = 6', [], db);
    const cart = await postJson(s.base, '/cart', { productId: 6, quantity: 2 });
    const res = await postJson(
      s.base,
      '/checkout',
      { cartId: cart.json.cartId },
      { [SYNTHETIC_HEADER]: '1' },
    );
    expect(res.status).toBe(409);
    expect(await stockOf(pg, db, 6)).toBe(1);
  });

  it('works from HTML forms too', async () => {
    const res = await fetch(s.base + '/cart', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: 'productId=7&quantity=1',
    });
    expect(res.status).toBe(201);
    const html = await res.text();
    const cartId = /name="cartId" value="([0-9a-f-]{36})"/.exec(html)?.[1];
    expect(cartId).toBeDefined();
    const done = await fetch(s.base + '/checkout', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: `cartId=${cartId}`,
    });
    expect(done.status).toBe(201);
    expect(await done.text()).toContain('Thank you for your order');
  });
});

describe('drill orders (shopctl drill probe customer)', () => {
  const lookup = async (key: string) => {
    const res = await fetch(`${s.base}/checkout-keys/${key}`);
    return { status: res.status, body: await res.json() };
  };
  const order = async (key: string, headers: Record<string, string>) => {
    const cart = await postJson(s.base, '/cart', { productId: 11, quantity: 1 });
    return postJson(
      s.base,
      '/checkout',
      { cartId: cart.json.cartId },
      { [IDEMPOTENCY_HEADER]: key, ...headers },
    );
  };

  it('a drill order is a real order, marked drill, and readable by its key; a customer order is not', async () => {
    const drillKey = 'drill-0b5e1c4e-1111-4c1a-9d7e-000000000001';
    const stock = async () =>
      Number((await pg.sql('SELECT stock FROM products WHERE id = 11', [], db))[0].stock);
    const before = await stock();
    const placed = await order(drillKey, { [DRILL_HEADER]: '1' });
    expect(placed.status).toBe(201);
    // A drill order leaves the stock alone; a customer's order (below) takes one.
    expect(await stock()).toBe(before);
    expect(await pg.sql('SELECT drill, status FROM orders WHERE id = $1', [placed.json.orderId], db)).toEqual(
      [{ drill: true, status: 'placed' }],
    );
    expect(await lookup(drillKey)).toEqual({
      status: 200,
      body: { key: drillKey, orderId: placed.json.orderId, status: 'placed' },
    });

    const customerKey = 'cust-0b5e1c4e-2222-4c1a-9d7e-000000000002';
    const real = await order(customerKey, {});
    expect(real.status).toBe(201);
    expect(await stock()).toBe(before - 1);
    expect(await pg.sql('SELECT drill FROM orders WHERE id = $1', [real.json.orderId], db)).toEqual([
      { drill: false },
    ]);
    // Same answer as a key that never existed: the lookup says nothing about customers' orders.
    expect(await lookup(customerKey)).toEqual({ status: 404, body: { error: 'not-found' } });
    expect(await lookup('never-used-key-0000')).toEqual({ status: 404, body: { error: 'not-found' } });
    expect(await lookup('%E0%A4%A')).toEqual({ status: 404, body: { error: 'not-found' } });
  });

  it('an acknowledged drill order deleted from the database is reported missing', async () => {
    const key = 'drill-0b5e1c4e-3333-4c1a-9d7e-000000000003';
    const placed = await order(key, { [DRILL_HEADER]: '1' });
    expect((await lookup(key)).status).toBe(200);
    await pg.sql('DELETE FROM orders WHERE id = $1', [placed.json.orderId], db);
    expect(await lookup(key)).toEqual({ status: 404, body: { error: 'not-found' } });
  });
});

describe('bad input is rejected with a clear 4xx and stores nothing', () => {
  const snapshot = async () => ({
    carts: await count(pg, db, 'carts'),
    items: await count(pg, db, 'cart_items'),
    orders: await count(pg, db, 'orders'),
    products: await count(pg, db, 'products'),
  });

  it.each([
    ['malformed JSON', '/cart', '{"productId": 1,', 400],
    ['a JSON array', '/cart', '[1,2]', 400],
    ['unknown product', '/cart', { productId: 999, quantity: 1 }, 404],
    ['SQL in productId', '/cart', { productId: '1; DROP TABLE products; --', quantity: 1 }, 400],
    ['SQL in quantity', '/cart', { productId: 1, quantity: '1 OR 1=1' }, 400],
    ['negative quantity', '/cart', { productId: 1, quantity: -5 }, 400],
    ['SQL in cartId', '/cart', { productId: 1, cartId: "' OR '1'='1" }, 400],
    ['unknown cart', '/cart', { productId: 1, cartId: '00000000-0000-4000-8000-000000000000' }, 404],
    ['SQL in checkout cartId', '/checkout', { cartId: "x'; DELETE FROM orders; --" }, 400],
    ['unknown cart at checkout', '/checkout', { cartId: '00000000-0000-4000-8000-000000000000' }, 404],
    ['malformed JSON at checkout', '/checkout', 'not json', 400],
  ])('%s', async (_name, path, body, status) => {
    const before = await snapshot();
    const res = await postJson(s.base, path, body);
    expect(res.status).toBe(status);
    expect(typeof res.json?.error).toBe('string');
    expect(res.text).not.toMatch(/at .*\.(ts|js):\d+/);
    expect(await snapshot()).toEqual(before);
  });

  it('a body over 16 KiB gets 413', async () => {
    const before = await snapshot();
    const res = await postJson(s.base, '/cart', { productId: 1, quantity: 1, pad: 'x'.repeat(17 * 1024) });
    expect(res.status).toBe(413);
    expect(await snapshot()).toEqual(before);
  });

  it('a chunked body over 16 KiB gets 413 too', async () => {
    const before = await snapshot();
    const big = 'x'.repeat(20 * 1024);
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(`{"productId":1,"pad":"${big}"}`));
        controller.close();
      },
    });
    const res = await fetch(s.base + '/cart', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(await snapshot()).toEqual(before);
  });

  it('wrong methods get 405', async () => {
    expect((await fetch(s.base + '/checkout')).status).toBe(405);
    expect((await fetch(s.base + '/products', { method: 'POST' })).status).toBe(405);
  });
});

it('every answer names the region that served it (pages, errors, JSON, health)', async () => {
  for (const [path, init] of [
    ['/', {}],
    ['/products/11', {}],
    ['/no-such-page', {}],
    ['/cart', { method: 'POST', body: '{', headers: { 'content-type': 'application/json' } }],
    ['/healthz', {}],
  ] as const) {
    const res = await fetch(`${s.base}${path}`, init);
    expect([path, res.headers.get(REGION_HEADER)]).toEqual([path, 'ap-northeast-2']);
  }
});

describe('/healthz', () => {
  it('reports the writer with the marker for a primary', async () => {
    const { status, body, elapsedMs } = await getHealth(s.base);
    expect(status).toBe(200);
    expect(body).toEqual({
      status: 'ok',
      region: 'ap-northeast-2',
      role: 'primary',
      db: 'writer',
      mode: 'read-write',
      version: 'test-1',
      marker: HEALTH_MARKER,
    });
    expect(elapsedMs).toBeLessThan(2000);
  });
});
