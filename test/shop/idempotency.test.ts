/**
 * Checkout exactly once: the same idempotency key returns the original order (retry, double click,
 * HTML form), and a COMMIT whose answer is lost is reported as "outcome unknown", after which the
 * same key returns the order that was in fact placed. The lost answer is real: a TCP proxy between
 * the shop and PostgreSQL forwards COMMIT and then cuts the connection before the reply.
 */
import * as net from 'node:net';
import { IDEMPOTENCY_HEADER, MODE_HEADER, PAGE_MARKER } from '../../lib/contract/shop';
import { sharedPostgres, type PostgresServer } from '../support/postgres';
import { count, postJson, startShop, type RunningShop } from './helpers';

let pg: PostgresServer;
let db: string;
let shop: RunningShop;
let proxy: CommitCutter;

/** Forwards bytes both ways; once armed, forwards the next COMMIT and then kills that connection. */
class CommitCutter {
  armed = false;
  cuts = 0;
  readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(target: { host: string; port: number }) {
    this.server = net.createServer((client) => {
      const upstream = net.connect(target.port, target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      let cut = false;
      upstream.on('data', (d) => {
        if (!cut) client.write(d);
      });
      client.on('data', (d) => {
        upstream.write(d);
        // Simple-protocol query message: 'Q', int32 length, "COMMIT\0".
        if (this.armed && d.includes(Buffer.from('COMMIT\0'))) {
          this.armed = false;
          cut = true;
          this.cuts++;
          // Let the server commit, then drop the connection before its answer reaches the shop.
          setTimeout(() => {
            client.destroy();
            upstream.destroy();
          }, 100);
        }
      });
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  listen(): Promise<number> {
    return new Promise((resolve) =>
      this.server.listen(0, '127.0.0.1', () => resolve((this.server.address() as net.AddressInfo).port)),
    );
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

beforeAll(async () => {
  pg = await sharedPostgres();
  db = await pg.createDatabase();
  proxy = new CommitCutter(pg);
  const port = await proxy.listen();
  shop = await startShop(pg, db, { db: { writerHost: '127.0.0.1', port, database: db, user: pg.user } });
});
afterAll(async () => {
  await shop?.close();
  await proxy?.close();
  await pg?.destroy();
});

async function newCart(): Promise<string> {
  const cart = await postJson(shop.base, '/cart', { productId: 3, quantity: 1 });
  expect(cart.status).toBe(201);
  return cart.json.cartId as string;
}

async function ordersOf(cartId: string): Promise<string[]> {
  const rows = await pg.sql<{ id: string }>('SELECT id FROM orders WHERE cart_id = $1', [cartId], db);
  return rows.map((r) => r.id);
}

it('a retry with the same key returns the original order; a new key on the same cart is refused', async () => {
  const cartId = await newCart();
  const key = 'retry-key-0001';
  const first = await postJson(shop.base, '/checkout', { cartId }, { [IDEMPOTENCY_HEADER]: key });
  expect(first.status).toBe(201);
  const again = await postJson(shop.base, '/checkout', { cartId }, { [IDEMPOTENCY_HEADER]: key });
  expect(again.status).toBe(201);
  expect(again.json).toEqual(first.json);
  expect(again.headers.get('x-idempotent-replay')).toBe('true');
  const other = await postJson(
    shop.base,
    '/checkout',
    { cartId },
    { [IDEMPOTENCY_HEADER]: 'another-key-01' },
  );
  expect(other.status).toBe(409);
  expect(await ordersOf(cartId)).toEqual([first.json.orderId]);
});

it('a double click (concurrent requests, same key) places one order and both get it', async () => {
  const cartId = await newCart();
  const key = 'double-click-0001';
  // A duplicate that arrives while the first is still being written may be told to come back
  // (503 + Retry-After: busy, or outcome not known yet), as a browser retrying would; on a loaded
  // machine that happens (seen beside stress-ng). Each click retries such an answer, bounded.
  const click = async () => {
    for (let attempt = 0; ; attempt++) {
      const a = await postJson(shop.base, '/checkout', { cartId }, { [IDEMPOTENCY_HEADER]: key });
      if (a.status !== 503 || !a.headers.get('retry-after') || attempt >= 20) return a;
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const answers = await Promise.all(Array.from({ length: 5 }, click));
  expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201]);
  const ids = new Set(answers.map((a) => a.json.orderId));
  expect(ids.size).toBe(1);
  expect(await ordersOf(cartId)).toEqual([...ids]);
});

it('a key used for one cart is refused for another; malformed keys are refused', async () => {
  const a = await newCart();
  const b = await newCart();
  expect(
    (await postJson(shop.base, '/checkout', { cartId: a }, { [IDEMPOTENCY_HEADER]: 'shared-key-001' }))
      .status,
  ).toBe(201);
  const reuse = await postJson(
    shop.base,
    '/checkout',
    { cartId: b },
    { [IDEMPOTENCY_HEADER]: 'shared-key-001' },
  );
  expect(reuse.status).toBe(422);
  expect(
    (await postJson(shop.base, '/checkout', { cartId: b }, { [IDEMPOTENCY_HEADER]: 'bad key!' })).status,
  ).toBe(400);
  expect(await ordersOf(b)).toEqual([]);
});

it('the HTML cart form carries a key, and re-posting that form places one order', async () => {
  const res = await fetch(shop.base + '/cart', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    body: 'productId=3&quantity=1',
  });
  expect(res.status).toBe(201);
  const page = await res.text();
  const cartId = /name="cartId" value="([^"]+)"/.exec(page)![1];
  const key = /name="idempotencyKey" value="([^"]+)"/.exec(page)![1];
  const post = () =>
    fetch(shop.base + '/checkout', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: new URLSearchParams({ cartId, idempotencyKey: key }).toString(),
    });
  const [one, two] = await Promise.all([post(), post()]);
  expect([one.status, two.status]).toEqual([201, 201]);
  expect(await ordersOf(cartId)).toHaveLength(1);
});

it('COMMIT answer lost: "outcome unknown" (never "nothing was ordered"), then the same key returns the order', async () => {
  const cartId = await newCart();
  const key = 'lost-commit-0001';
  const ordersBefore = await count(pg, db, 'orders');
  proxy.armed = true;
  const lost = await postJson(shop.base, '/checkout', { cartId }, { [IDEMPOTENCY_HEADER]: key });
  expect(proxy.cuts).toBe(1);
  expect(lost.status).toBe(503);
  expect(lost.json).toMatchObject({ error: 'outcome-unknown', cartId, idempotencyKey: key });
  expect(lost.text).not.toMatch(/nothing was (charged|ordered)/i);
  // The order exists: the server committed before the connection died.
  const placed = await ordersOf(cartId);
  expect(placed).toHaveLength(1);
  expect(await count(pg, db, 'orders')).toBe(ordersBefore + 1);

  const retry = await postJson(shop.base, '/checkout', { cartId }, { [IDEMPOTENCY_HEADER]: key });
  expect(retry.status).toBe(201);
  expect(retry.json).toEqual({ orderId: placed[0], status: 'placed' });
  expect(await ordersOf(cartId)).toEqual(placed);
});

it('COMMIT answer lost in the HTML flow: a page that says so, with a check button that re-posts the key', async () => {
  const cartId = await newCart();
  proxy.armed = true;
  const res = await fetch(shop.base + '/checkout', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    body: new URLSearchParams({ cartId, idempotencyKey: 'lost-commit-html-1' }).toString(),
  });
  expect(res.status).toBe(503);
  expect(res.headers.get(MODE_HEADER)).toBe('read-write');
  const page = await res.text();
  expect(page).toContain(`${PAGE_MARKER}="outcome-unknown"`);
  expect(page).toContain('name="idempotencyKey" value="lost-commit-html-1"');
  expect(page).not.toMatch(/nothing was (charged|ordered)/i);
  const again = await fetch(shop.base + '/checkout', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    body: new URLSearchParams({ cartId, idempotencyKey: 'lost-commit-html-1' }).toString(),
  });
  expect(again.status).toBe(201);
  expect(await ordersOf(cartId)).toHaveLength(1);
});
