/** The database disappears mid-run (stopped, or a TCP blackhole) and comes back. */
import { HEALTH_MARKER, MODE_HEADER, PAGE_MARKER } from '../../lib/contract/shop';
import { startPostgres, type PostgresServer } from '../support/postgres';
import { DEFAULT_TIMEOUTS } from '../../shop/src/types';
import { CONTACTS, getHealth, postJson, startShop, type RunningShop } from './helpers';

let pg: PostgresServer;
let db: string;
let s: RunningShop;

beforeAll(async () => {
  pg = await startPostgres();
  db = await pg.createDatabase();
  // Production timeouts: the 2 s bounds below must hold with the defaults, not just with test settings.
  s = await startShop(pg, db, { timeouts: DEFAULT_TIMEOUTS });
  // Warm the catalogue cache, as real traffic would.
  expect((await fetch(s.base + '/products')).status).toBe(200);
});
afterAll(async () => {
  await s?.close();
  await pg?.destroy();
});

/** Polls /healthz until `db` is reported; every answer must come within 2 s. Returns time to detection. */
async function timeUntilDb(state: string, limitMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const h = await getHealth(s.base);
    expect(h.elapsedMs).toBeLessThan(2000);
    if (h.body.db === state) return Date.now() - started;
    if (Date.now() - started > limitMs)
      throw new Error(`healthz still says ${String(h.body.db)} after ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function expectDegradedService(): Promise<void> {
  const h = await getHealth(s.base);
  expect(h.status).toBe(503);
  expect(h.body).toMatchObject({ status: 'unhealthy', db: 'unreachable', mode: 'read-only' });
  expect(h.body.marker).toBeUndefined();

  for (const path of ['/products', '/products/1']) {
    const started = Date.now();
    const res = await fetch(s.base + path);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(res.status).toBe(200);
    expect(res.headers.get(MODE_HEADER)).toBe('read-only');
    const html = await res.text();
    expect(html).toContain(PAGE_MARKER);
    expect(html).toContain('class="banner"');
  }
  const started = Date.now();
  const checkout = await postJson(s.base, '/checkout', { cartId: '00000000-0000-4000-8000-000000000000' });
  expect(Date.now() - started).toBeLessThan(2000);
  expect(checkout.status).toBe(503);
  expect(checkout.headers.get(MODE_HEADER)).toBe('read-only');
  expect(checkout.json).toEqual({ error: 'read-only', message: expect.any(String), alternatives: CONTACTS });

  const order = await fetch(`${s.base}/orders/00000000-0000-4000-8000-000000000000`);
  expect(order.status).toBe(503);
  expect(order.headers.get(MODE_HEADER)).toBe('read-only');
  expect(await order.text()).toContain(CONTACTS.phone);
}

async function expectRecovered(): Promise<void> {
  await timeUntilDb('writer', 8000);
  const h = await getHealth(s.base);
  expect(h.status).toBe(200);
  expect(h.body).toMatchObject({ db: 'writer', mode: 'read-write', marker: HEALTH_MARKER });
  const cart = await postJson(s.base, '/cart', { productId: 1, quantity: 1 });
  expect(cart.status).toBe(201);
  const checkout = await postJson(s.base, '/checkout', { cartId: cart.json.cartId });
  expect(checkout.status).toBe(201);
  const page = await fetch(s.base + '/products/1');
  expect(page.headers.get(MODE_HEADER)).toBe('read-write');
  expect(await page.text()).not.toContain('class="banner"');
}

it('database stopped: unreachable within 2 s, read-only from cache, then recovers without restart', async () => {
  expect((await getHealth(s.base)).body.db).toBe('writer');
  await pg.stop();
  expect(await timeUntilDb('unreachable', 2000)).toBeLessThan(2000);
  await expectDegradedService();
  await pg.start();
  await expectRecovered();
});

it('database blackholed (processes frozen): /healthz still answers within 2 s, then recovers', async () => {
  expect((await getHealth(s.base)).body.db).toBe('writer');
  pg.pause();
  try {
    expect(await timeUntilDb('unreachable', 2000)).toBeLessThan(2000);
    await expectDegradedService();
  } finally {
    pg.resume();
  }
  await expectRecovered();
});
