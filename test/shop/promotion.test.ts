/**
 * Promotion of a streaming standby while the primary's shop takes orders, then the old primary
 * comes back writable. Fencing: the old region's shop must refuse orders on it (one writer), the
 * new region's shop takes them, and no acknowledged order is lost or duplicated on the survivor.
 */
import { HEALTH_MARKER, MODE_HEADER } from '../../lib/contract/shop';
import { startPostgres, type PostgresServer } from '../support/postgres';
import { CheckoutLoad, orderLedger, spawnShop, waitForDb, type ShopProcess } from './fault-harness';
import { count, getHealth, postJson, waitFor } from './helpers';

let primary: PostgresServer;
let standby: PostgresServer;
let db: string;
let shopA: ShopProcess; // region A, intended primary, on the old primary
let shopB: ShopProcess; // region B, intended standby, on the streaming standby

beforeAll(async () => {
  primary = await startPostgres();
  db = await primary.createDatabase();
  await primary.sql(`ALTER DATABASE ${db} SET synchronous_commit = on`);
  standby = await primary.createStandby();
  const dbOf = (pg: PostgresServer) => ({ writerHost: pg.host, port: pg.port, database: db, user: pg.user });
  // Started side by side: each child process spends most of its start-up compiling TypeScript.
  [shopA, shopB] = await Promise.all([
    spawnShop({
      region: 'region-a',
      role: 'primary',
      db: dbOf(primary),
      fenceWitnesses: [{ host: standby.host, port: standby.port }],
    }),
    spawnShop({
      region: 'region-b',
      role: 'standby',
      db: dbOf(standby),
      fenceWitnesses: [{ host: primary.host, port: primary.port }],
    }),
  ]);
  await waitForDb(shopA.base, (s) => s === 'writer');
  // Healthy as a standby once the replica has replayed the schema the primary's shop migrated.
  await waitFor(
    async () => (await getHealth(shopB.base)).body.marker === HEALTH_MARKER,
    20_000,
    'region B healthy on the replica',
  );
});
afterAll(async () => {
  await Promise.all([shopA?.stop(), shopB?.stop()]);
  await standby?.destroy();
  await primary?.destroy();
});

it('the promoted standby takes orders, the old primary coming back writable is fenced, nothing is lost', async () => {
  // Before: region A holds the fence; region B serves read-only and is healthy as a standby.
  expect(await primary.sql('SELECT epoch, writer_region FROM writer_fence', [], db)).toEqual([
    { epoch: '1', writer_region: 'region-a' },
  ]);
  expect((await getHealth(shopB.base)).body).toMatchObject({ db: 'reader', marker: HEALTH_MARKER });

  let target = shopA.base;
  const load = new CheckoutLoad(() => target, 6);
  try {
    await waitFor(() => load.acked.size >= 5, 20_000, 'orders on the primary');
    // Region A's database goes away (a fast stop streams the remaining WAL to the standby first).
    await primary.stop('fast');
    // The promotion procedure: promote, then move the fence to the new writer region.
    await standby.sql('SELECT pg_promote(true, 30)');
    await standby.sql(
      "UPDATE writer_fence SET epoch = epoch + 1, writer_region = 'region-b', updated_at = now()",
      [],
      db,
    );
    target = shopB.base;
    await waitForDb(shopB.base, (s) => s === 'writer');
    const promotedAt = Date.now();
    await waitFor(() => load.checkoutsAfter(promotedAt) >= 5, 20_000, 'orders on the promoted standby');

    // The old primary comes back, writable, with its old fence row (epoch 1, region-a).
    const ordersOnOld = await (async () => {
      await primary.start();
      expect(await primary.sql('SELECT pg_is_in_recovery() AS r', [], db)).toEqual([{ r: false }]);
      return count(primary, db, 'orders');
    })();
    await waitFor(
      async () => (await getHealth(shopA.base)).body.fenced !== undefined,
      20_000,
      'region A to see itself fenced',
    );
    const health = await getHealth(shopA.base);
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ db: 'reader', mode: 'read-only' });
    expect(String(health.body.fenced)).toContain('stale writer');
    expect(health.body.marker).toBeUndefined();

    // Customers sent to region A are told ordering is paused; nothing is written to the old primary.
    const cart = await postJson(shopA.base, '/cart', { productId: 12, quantity: 1 });
    expect(cart.status).toBe(503);
    expect(cart.headers.get(MODE_HEADER)).toBe('read-only');
    expect(cart.json.error).toBe('read-only');
    const direct = new CheckoutLoad(() => shopA.base, 2);
    await new Promise((r) => setTimeout(r, 500));
    await direct.stop();
    expect(direct.acked.size).toBe(0);
    expect(direct.undesigned()).toEqual([]);
    expect(await count(primary, db, 'orders')).toBe(ordersOnOld);
  } finally {
    await load.stop();
  }
  expect(shopA.alive()).toBe(true);
  expect(shopB.alive()).toBe(true);
  await load.resolveUnknown(shopB.base);
  expect(load.undesigned()).toEqual([]);
  // Count on the survivor: every acknowledged order, from both regions, is there exactly once.
  expect(await orderLedger(standby, db, load)).toMatchObject({ lost: 0, duplicates: 0, unacknowledged: 0 });
  expect((await getHealth(shopB.base)).body).toMatchObject({ db: 'writer', marker: HEALTH_MARKER });
});
