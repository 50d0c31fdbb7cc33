/**
 * A stranger cannot empty the shop or push customers out: one client floods, a real customer
 * (another address) shops at the same time, and at least 90 % of the customer's requests succeed.
 * Same scenarios as `npx tsx bench/abuse.ts` (docs/shop.md has the before/after table). The shop
 * runs in its own process with a 2-connection pool, as in the overload test.
 */
import { MAX_QUANTITY_PER_PRODUCT, DEFAULT_LIMITS } from '../../shop/src/limits';
import { startPostgres, type PostgresServer } from '../support/postgres';
import {
  cartFlood,
  junkCheckouts,
  MAX_FLOOD_STRETCH,
  MIN_CUSTOMER_REQUESTS,
  newFlooder,
  stockDrain,
  successPercent,
} from './abuse-harness';
import { spawnShop, waitForDb, type ShopProcess } from './fault-harness';
import { stockOf } from './helpers';

const FLOOD_MS = 2000;
let pg: PostgresServer;
let db: string;
let shop: ShopProcess;

beforeAll(async () => {
  pg = await startPostgres();
  db = await pg.createDatabase();
  shop = await spawnShop({
    db: { writerHost: pg.host, port: pg.port, database: db, user: pg.user, poolMax: 2, maxQueue: 4 },
    limits: DEFAULT_LIMITS,
  });
  await waitForDb(shop.base, (s) => s === 'writer');
});
afterAll(async () => {
  await shop?.stop();
  await pg?.destroy();
});

it('40 concurrent checkouts of carts that do not exist: the customer is served', async () => {
  const r = await junkCheckouts(shop.base, FLOOD_MS, newFlooder());
  expect(r.customer.total).toBeGreaterThanOrEqual(MIN_CUSTOMER_REQUESTS);
  expect(successPercent(r.customer)).toBeGreaterThanOrEqual(90);
  // Nothing of the flood was accepted: every junk checkout ends in 404, 429 or 503.
  expect(r.flood.accepted).toBe(0);
  expect(r.flood.sent).toBeGreaterThan(40);
});

it('carts in a loop: the flooder gets its allowance, the customer is served', async () => {
  const before = Number((await pg.sql<{ n: string }>('SELECT count(*) AS n FROM carts', [], db))[0].n);
  const r = await cartFlood(shop.base, FLOOD_MS, newFlooder());
  const after = Number((await pg.sql<{ n: string }>('SELECT count(*) AS n FROM carts', [], db))[0].n);
  expect(r.customer.total).toBeGreaterThanOrEqual(MIN_CUSTOMER_REQUESTS);
  expect(successPercent(r.customer)).toBeGreaterThanOrEqual(90);
  expect(r.flood.statuses['429']).toBeGreaterThan(0);
  // The burst plus what the rate refills during the longest the flood may last.
  const allowance =
    DEFAULT_LIMITS.carts.burst +
    (DEFAULT_LIMITS.carts.perMinute / 60) * ((MAX_FLOOD_STRETCH * FLOOD_MS) / 1000);
  expect(r.flood.accepted).toBeLessThanOrEqual(allowance);
  // The customer's carts and the flooder's are all the carts created.
  expect(after - before).toBeLessThanOrEqual(allowance + r.customer.ok);
});

it('buying out one product: bounded by the checkout limit and the per-order maximum', async () => {
  const before = await stockOf(pg, db, 3);
  const r = await stockDrain(shop.base, FLOOD_MS, 3, newFlooder());
  const gone = before - (await stockOf(pg, db, 3));
  expect(r.customer.total).toBeGreaterThanOrEqual(MIN_CUSTOMER_REQUESTS);
  expect(successPercent(r.customer)).toBeGreaterThanOrEqual(90);
  const orders =
    DEFAULT_LIMITS.checkouts.burst +
    (DEFAULT_LIMITS.checkouts.perMinute / 60) * ((MAX_FLOOD_STRETCH * FLOOD_MS) / 1000);
  expect(gone).toBeGreaterThan(0);
  expect(gone).toBeLessThanOrEqual(orders * MAX_QUANTITY_PER_PRODUCT);
});
