/** Reader databases: read-only mode, role-dependent health, and recovery without restart. */
import { HEALTH_MARKER, MODE_HEADER, PAGE_MARKER } from '../../lib/contract/shop';
import { startPostgres, type PostgresServer } from '../support/postgres';
import { CONTACTS, count, getHealth, postJson, startShop, waitFor, type RunningShop } from './helpers';

let pg: PostgresServer;

beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  await pg?.destroy();
});

async function setReadOnly(db: string, on: boolean): Promise<void> {
  await pg.sql(
    on
      ? `ALTER DATABASE ${db} SET default_transaction_read_only = on`
      : `ALTER DATABASE ${db} RESET default_transaction_read_only`,
  );
  // A failover drops connections; pooled connections then reconnect with the new setting.
  await pg.sql(
    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
    [db],
  );
}

describe('database is a reader (read-only)', () => {
  let db: string;
  let primary: RunningShop;
  let standby: RunningShop;
  let orderId: string;

  beforeAll(async () => {
    db = await pg.createDatabase();
    primary = await startShop(pg, db, { role: 'primary' });
    // The schema is created by the primary's first health cycle: on a busy machine that comes after
    // the first request, so wait for it instead of racing it.
    await waitFor(
      async () => (await getHealth(primary.base)).status === 200,
      30_000,
      'primary to serve with its schema',
    );
    const cart = await postJson(primary.base, '/cart', { productId: 2, quantity: 1 });
    expect(cart.status).toBe(201);
    orderId = (await postJson(primary.base, '/checkout', { cartId: cart.json.cartId })).json.orderId;
    await setReadOnly(db, true);
    standby = await startShop(pg, db, { role: 'standby' });
    await waitFor(
      async () => (await getHealth(primary.base)).body.db === 'reader',
      30_000,
      'primary to see a reader',
    );
  });
  afterAll(async () => {
    await Promise.all([primary?.close(), standby?.close()]);
  });

  it('a standby serves (200 with marker) in read-only mode', async () => {
    const { status, body } = await getHealth(standby.base);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      status: 'ok',
      role: 'standby',
      db: 'reader',
      mode: 'read-only',
      marker: HEALTH_MARKER,
    });
  });

  it('a primary is unhealthy (503 without marker)', async () => {
    const res = await fetch(primary.base + '/healthz');
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(text).not.toContain(HEALTH_MARKER);
    expect(JSON.parse(text)).toMatchObject({
      status: 'unhealthy',
      role: 'primary',
      db: 'reader',
      mode: 'read-only',
    });
  });

  it('pages carry the banner and the read-only mode header', async () => {
    for (const path of ['/', '/products', '/products/1']) {
      const res = await fetch(standby.base + path);
      expect(res.status).toBe(200);
      expect(res.headers.get(MODE_HEADER)).toBe('read-only');
      const html = await res.text();
      expect(html).toContain(PAGE_MARKER);
      expect(html).toContain('class="banner"');
      expect(html).toContain(CONTACTS.phone);
    }
  });

  it('cart and checkout answer 503 with the alternatives (JSON and HTML), and store nothing', async () => {
    const carts = await count(pg, db, 'carts');
    const cart = await postJson(standby.base, '/cart', { productId: 1, quantity: 1 });
    expect(cart.status).toBe(503);
    expect(cart.headers.get(MODE_HEADER)).toBe('read-only');
    expect(cart.json).toMatchObject({ error: 'read-only', alternatives: CONTACTS });

    const checkout = await postJson(standby.base, '/checkout', {
      cartId: '00000000-0000-4000-8000-000000000000',
    });
    expect(checkout.status).toBe(503);
    expect(checkout.json).toMatchObject({ error: 'read-only', alternatives: CONTACTS });

    const page = await fetch(standby.base + '/checkout', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: 'cartId=00000000-0000-4000-8000-000000000000',
    });
    expect(page.status).toBe(503);
    expect(page.headers.get(MODE_HEADER)).toBe('read-only');
    const html = await page.text();
    expect(html).toContain(PAGE_MARKER);
    for (const text of [
      CONTACTS.phone,
      CONTACTS.email,
      ...CONTACTS.paymentAlternatives,
      'KakaoTalk',
      'https://pf.kakao.com/_shop',
    ]) {
      expect(html).toContain(text);
    }
    expect(await count(pg, db, 'carts')).toBe(carts);
  });

  it('order lookup still works', async () => {
    const res = await fetch(`${standby.base}/orders/${orderId}`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(200);
    expect(res.headers.get(MODE_HEADER)).toBe('read-only');
    expect(await res.json()).toMatchObject({ id: orderId, status: 'placed' });
  });

  it('returns to read-write by itself when the writer is back', async () => {
    await setReadOnly(db, false);
    await waitFor(async () => (await getHealth(primary.base)).status === 200, 5000, 'primary to recover');
    const { body } = await getHealth(primary.base);
    expect(body).toMatchObject({ db: 'writer', mode: 'read-write', marker: HEALTH_MARKER });
    const cart = await postJson(primary.base, '/cart', { productId: 1, quantity: 1 });
    expect(cart.status).toBe(201);
    expect(cart.headers.get(MODE_HEADER)).toBe('read-write');
  });
});

describe('separate reader endpoint', () => {
  it('with the writer endpoint gone, a standby serves from the reader', async () => {
    const db = await pg.createDatabase();
    const seed = await startShop(pg, db);
    await seed.close();
    // Nothing listens on 127.0.0.2: the writer is refused, the reader (127.0.0.1) answers.
    const s = await startShop(pg, db, {
      role: 'standby',
      db: { writerHost: '127.0.0.2', readerHost: pg.host, port: pg.port, database: db, user: pg.user },
    });
    try {
      const { status, body } = await getHealth(s.base);
      expect(status).toBe(200);
      expect(body).toMatchObject({ db: 'reader', mode: 'read-only', marker: HEALTH_MARKER });
      const page = await fetch(s.base + '/products/1');
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('class="banner"');
    } finally {
      await s.close();
    }
  });
});
