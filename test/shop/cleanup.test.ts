/** Cart cleanup: abandoned open carts go; fresh, checked-out and ordered carts stay; writer only. */
import { Client } from 'pg';
import { CART_CLEANUP_LOCK_KEY, CartCleanup, type CartCleanupOptions } from '../../shop/src/cleanup';
import { Database } from '../../shop/src/db';
import { DEFAULT_LIMITS } from '../../shop/src/limits';
import { DEFAULT_TIMEOUTS, silentLogger } from '../../shop/src/types';
import { startPostgres, type PostgresServer } from '../support/postgres';
import { count, getHealth, postJson, startShop, waitFor, type RunningShop } from './helpers';

const HOUR = 60 * 60 * 1000;

let pg: PostgresServer;

beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  await pg?.destroy();
});

/**
 * Inserts `n` open carts (one item each) last updated `ageHours` ago; returns their ids. One
 * statement: with the carts and their items in two, a scheduled cleanup running in between deleted
 * the carts and the items' insert failed on the foreign key.
 */
async function oldCarts(db: string, n: number, ageHours: number): Promise<string[]> {
  const rows = await pg.sql<{ id: string }>(
    `WITH c AS (
       INSERT INTO carts (id, status, created_at, updated_at)
       SELECT gen_random_uuid(), 'open', now() - make_interval(hours => $2), now() - make_interval(hours => $2)
       FROM generate_series(1, $1) RETURNING id
     ), i AS (INSERT INTO cart_items (cart_id, product_id, quantity) SELECT id, 1, 1 FROM c)
     SELECT id FROM c`,
    [n, ageHours],
    db,
  );
  return rows.map((r) => r.id);
}

async function backdate(db: string, cartId: string, ageHours: number): Promise<void> {
  await pg.sql(
    'UPDATE carts SET updated_at = now() - make_interval(hours => $2) WHERE id = $1',
    [cartId, ageHours],
    db,
  );
}

async function cartIds(db: string): Promise<Set<string>> {
  return new Set((await pg.sql<{ id: string }>('SELECT id FROM carts', [], db)).map((r) => r.id));
}

/** A CartCleanup on its own (no shop), with an injectable clock and writer flag. */
function standalone(
  db: string,
  options: CartCleanupOptions = {},
  deps: { now?: () => number; isWriter?: () => boolean } = {},
): { cleanup: CartCleanup; database: Database } {
  const database = new Database(
    { writerHost: pg.host, port: pg.port, database: db, user: pg.user },
    DEFAULT_TIMEOUTS,
    silentLogger,
  );
  const cleanup = new CartCleanup({
    db: database,
    isWriter: deps.isWriter ?? (() => true),
    logger: silentLogger,
    now: deps.now ?? Date.now,
    options: { batchPauseMs: 0, ...options },
  });
  return { cleanup, database };
}

describe('cart cleanup on the writer', () => {
  let db: string;
  let shop: RunningShop;

  beforeAll(async () => {
    db = await pg.createDatabase();
    // No scheduled runs: the tests trigger them.
    shop = await startShop(pg, db, { cartCleanup: { initialDelayMs: 3_600_000, batchPauseMs: 0 } });
  });
  afterAll(async () => {
    await shop?.close();
  });

  it('deletes old open carts with their items, keeps fresh, checked-out and ordered carts', async () => {
    // Through the API: a fresh open cart, and a checked-out cart (with its order) made old.
    const fresh = (await postJson(shop.base, '/cart', { productId: 3, quantity: 1 })).json.cartId as string;
    const bought = (await postJson(shop.base, '/cart', { productId: 4, quantity: 2 })).json.cartId as string;
    const order = await postJson(shop.base, '/checkout', { cartId: bought });
    expect(order.status).toBe(201);
    await backdate(db, bought, 48);
    // A canary-style cart: synthetic checkout rolls back, the cart stays open; made old.
    const canary = (await postJson(shop.base, '/cart', { productId: 5, quantity: 1 })).json.cartId as string;
    const synthetic = await postJson(shop.base, '/checkout', { cartId: canary }, { 'x-shop-synthetic': '1' });
    expect(synthetic.json).toMatchObject({ status: 'synthetic-ok' });
    await backdate(db, canary, 25);
    // Just under the limit: stays.
    const recent = await oldCarts(db, 3, 23);
    const old = await oldCarts(db, 5, 30);
    // An open cart referenced by an order (inconsistent, but must never be deleted).
    const [ordered] = await oldCarts(db, 1, 72);
    await pg.sql(
      "INSERT INTO orders (id, cart_id, status, total_cents, region) VALUES (gen_random_uuid(), $1, 'placed', 0, 'test')",
      [ordered],
      db,
    );

    const result = await shop.shop.cartCleanup.runOnce();
    expect(result).toEqual({ deleted: 6, batches: 1 });

    const left = await cartIds(db);
    for (const id of [fresh, bought, ordered, ...recent]) expect(left.has(id)).toBe(true);
    for (const id of [canary, ...old]) expect(left.has(id)).toBe(false);
    const orphanItems = await pg.sql<{ n: string }>(
      'SELECT count(*) AS n FROM cart_items WHERE cart_id = ANY($1::uuid[])',
      [[canary, ...old]],
      db,
    );
    expect(Number(orphanItems[0].n)).toBe(0);
    expect(await count(pg, db, 'orders')).toBe(2);
    expect(
      (await pg.sql<{ status: string }>('SELECT status FROM carts WHERE id = $1', [bought], db))[0].status,
    ).toBe('checked_out');

    // Nothing more to do.
    expect(await shop.shop.cartCleanup.runOnce()).toEqual({ deleted: 0, batches: 1 });
  });

  it('is bounded per run (batches), and the next run continues', async () => {
    await pg.sql(
      "DELETE FROM carts WHERE status = 'open' AND id NOT IN (SELECT cart_id FROM orders)",
      [],
      db,
    );
    await oldCarts(db, 25, 26);
    const { cleanup, database } = standalone(db, { batchSize: 10, maxBatchesPerRun: 2 });
    try {
      expect(await cleanup.runOnce()).toEqual({ deleted: 20, batches: 2 });
      expect(await cleanup.runOnce()).toEqual({ deleted: 5, batches: 1 });
      expect(await cleanup.runOnce()).toEqual({ deleted: 0, batches: 1 });
    } finally {
      await cleanup.stop();
      await database.end();
    }
  });

  it('keeps up with the cart limit: a backlog is worked off in runs back to back, not one run per interval', async () => {
    await pg.sql(
      "DELETE FROM carts WHERE status = 'open' AND id NOT IN (SELECT cart_id FROM orders)",
      [],
      db,
    );
    await oldCarts(db, 2000, 26);
    // One run per hour, 2 batches of 250 per run: without catch-up runs, 500 carts an hour.
    const { cleanup, database } = standalone(db, {
      batchSize: 250,
      maxBatchesPerRun: 2,
      intervalMs: HOUR,
      initialDelayMs: 0,
    });
    try {
      const started = Date.now();
      cleanup.start();
      const left = async () =>
        Number(
          (
            await pg.sql<{ n: string }>(
              "SELECT count(*) AS n FROM carts WHERE status = 'open' AND updated_at < now() - interval '25 hours' AND id NOT IN (SELECT cart_id FROM orders)",
              [],
              db,
            )
          )[0].n,
        );
      await waitFor(async () => (await left()) === 0, 30_000, 'the backlog to be deleted');
      const perSecond = 2000 / ((Date.now() - started) / 1000);
      // What 100 addresses at the per-client cart limit create; measured rates are in the thousands.
      const created = (100 * DEFAULT_LIMITS.carts.perMinute) / 60;
      expect(perSecond).toBeGreaterThan(created);
    } finally {
      await cleanup.stop();
      await database.end();
    }
  });

  it('uses the injected clock for the age limit', async () => {
    const cart = (await postJson(shop.base, '/cart', { productId: 6, quantity: 1 })).json.cartId as string;
    let offset = 23 * HOUR;
    const { cleanup, database } = standalone(db, {}, { now: () => Date.now() + offset });
    try {
      await cleanup.runOnce();
      expect((await cartIds(db)).has(cart)).toBe(true);
      offset = 25 * HOUR;
      const result = await cleanup.runOnce();
      expect(result.deleted).toBeGreaterThanOrEqual(1);
      expect((await cartIds(db)).has(cart)).toBe(false);
    } finally {
      await cleanup.stop();
      await database.end();
    }
  });

  it('several instances at once delete each cart once, without errors', async () => {
    const ids = await oldCarts(db, 300, 40);
    const instances = [1, 2, 3].map(() => standalone(db, { batchSize: 50, maxBatchesPerRun: 100 }));
    try {
      // Until everything is gone (an instance that finds the lock taken leaves the run to the holder).
      let deleted = 0;
      for (let round = 0; round < 10; round++) {
        const results = await Promise.all(instances.map(({ cleanup }) => cleanup.runOnce()));
        for (const r of results) {
          expect(r.error).toBeUndefined();
          expect([undefined, 'busy']).toContain(r.skipped);
        }
        deleted += results.reduce((n, r) => n + r.deleted, 0);
        if (results.every((r) => r.skipped === undefined && r.deleted === 0)) break;
      }
      expect(deleted).toBe(ids.length);
      const left = await cartIds(db);
      for (const id of ids) expect(left.has(id)).toBe(false);
    } finally {
      for (const { cleanup, database } of instances) {
        await cleanup.stop();
        await database.end();
      }
    }
  });

  it('leaves the run to the instance holding the lock, and skips carts locked by a request', async () => {
    const [locked, other] = await oldCarts(db, 2, 30);
    const holder = new Client(pg.connection(db));
    await holder.connect();
    const { cleanup, database } = standalone(db);
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock($1)', [CART_CLEANUP_LOCK_KEY]);
      expect(await cleanup.runOnce()).toEqual({ deleted: 0, batches: 0, skipped: 'busy' });
      await holder.query('COMMIT');

      // A request holds the cart row (as POST /cart and /checkout do with FOR UPDATE).
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM carts WHERE id = $1 FOR UPDATE', [locked]);
      expect(await cleanup.runOnce()).toEqual({ deleted: 1, batches: 1 });
      await holder.query('UPDATE carts SET updated_at = now() WHERE id = $1', [locked]);
      await holder.query('COMMIT');
      const left = await cartIds(db);
      expect(left.has(locked)).toBe(true);
      expect(left.has(other)).toBe(false);
    } finally {
      await holder.end();
      await cleanup.stop();
      await database.end();
    }
  });

  it('runs on its own schedule and stops on close (drain)', async () => {
    const scheduledDb = await pg.createDatabase();
    const scheduled = await startShop(pg, scheduledDb, {
      cartCleanup: { initialDelayMs: 50, intervalMs: 100, batchPauseMs: 0 },
    });
    try {
      const ids = await oldCarts(scheduledDb, 10, 30);
      await waitFor(async () => (await count(pg, scheduledDb, 'carts')) === 0, 5000, 'scheduled cleanup');
      expect(await cartIds(scheduledDb)).not.toContain(ids[0]);
    } finally {
      await scheduled.close();
    }
    await oldCarts(scheduledDb, 3, 30);
    expect(await scheduled.shop.cartCleanup.runOnce()).toMatchObject({ deleted: 0, skipped: 'stopped' });
    await new Promise((r) => setTimeout(r, 300));
    expect(await count(pg, scheduledDb, 'carts')).toBe(3);
  });

  it('is disabled with cartCleanup: false', async () => {
    const offDb = await pg.createDatabase();
    const off = await startShop(pg, offDb, { cartCleanup: false });
    try {
      expect(off.shop.cartCleanup.options.enabled).toBe(false);
    } finally {
      await off.close();
    }
  });
});

describe('cart cleanup when the database is read-only', () => {
  let db: string;
  let shop: RunningShop;

  beforeAll(async () => {
    db = await pg.createDatabase();
    const writer = await startShop(pg, db, { cartCleanup: false }); // migrates
    await writer.close();
    await oldCarts(db, 5, 30);
    await pg.sql(`ALTER DATABASE ${db} SET default_transaction_read_only = on`);
    shop = await startShop(pg, db, {
      role: 'standby',
      cartCleanup: { initialDelayMs: 20, intervalMs: 50, batchPauseMs: 0 },
    });
    await waitFor(async () => (await getHealth(shop.base)).body.db === 'reader', 5000, 'a reader');
  });
  afterAll(async () => {
    await shop?.close();
  });

  it('does nothing: not scheduled, not on demand, not even with a stale writer flag', async () => {
    await new Promise((r) => setTimeout(r, 300)); // several scheduled ticks
    expect(await shop.shop.cartCleanup.runOnce()).toEqual({ deleted: 0, batches: 0, skipped: 'not-writer' });
    // The health state says "writer" but the database says read-only: checked in the transaction too.
    const { cleanup, database } = standalone(db, {}, { isWriter: () => true });
    try {
      expect(await cleanup.runOnce()).toEqual({ deleted: 0, batches: 0, skipped: 'not-writer' });
    } finally {
      await cleanup.stop();
      await database.end();
    }
    expect(await count(pg, db, 'carts')).toBe(5);
  });
});
