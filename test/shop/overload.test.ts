/**
 * Overload (the influencer spike), with a database that is healthy but slow: many more checkout
 * flows than the pool can serve. The excess gets a fast 503 with Retry-After ("you are in line"),
 * never the read-only "ordering paused" answer; /healthz keeps its marker; catalogue and product
 * pages keep being served; checkouts keep flowing; nothing is lost or duplicated.
 */
import { HEALTH_MARKER, MODE_HEADER, PAGE_MARKER } from '../../lib/contract/shop';
import { startPostgres, type PostgresServer } from '../support/postgres';
import { CheckoutLoad, orderLedger, spawnShop, waitForDb, type ShopProcess } from './fault-harness';
import { waitFor } from './helpers';

let pg: PostgresServer;
let db: string;
let shop: ShopProcess;

beforeAll(async () => {
  pg = await startPostgres();
  db = await pg.createDatabase();
  shop = await spawnShop({
    db: { writerHost: pg.host, port: pg.port, database: db, user: pg.user, poolMax: 2, maxQueue: 4 },
    // The outage tests' 400-600 ms probe deadlines (FAST) expire on a starved CPU and the shop rightly
    // goes read-only; this test is about the admission queue, so its probes get time to answer.
    timeouts: { connectMs: 5000, healthProbeMs: 5000 },
  });
  await waitForDb(shop.base, (s) => s === 'writer');
  // Every order takes at least 40 ms inside its transaction: two connections serve ~50 checkouts/s.
  await pg.sql(
    `CREATE FUNCTION slow_order() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.04); RETURN NEW; END $$;
     CREATE TRIGGER slow_order BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION slow_order();`,
    [],
    db,
  );
});
afterAll(async () => {
  await shop?.stop();
  await pg?.destroy();
});

it('sheds the excess with 503 + Retry-After, keeps health, pages and checkouts', async () => {
  const health: { status: number; marker: boolean }[] = [];
  const pages: { status: number; ok: boolean }[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const [h, p] = await Promise.all([
        // Bounds against a hang, not a speed test: a busy machine can take seconds to answer.
        fetch(shop.base + '/healthz', { signal: AbortSignal.timeout(15_000) }),
        fetch(shop.base + '/products/12', { signal: AbortSignal.timeout(15_000) }),
      ]);
      const body = (await h.json()) as { marker?: string };
      health.push({ status: h.status, marker: body.marker === HEALTH_MARKER });
      const html = await p.text();
      pages.push({
        status: p.status,
        ok: html.includes(PAGE_MARKER) && p.headers.get(MODE_HEADER) === 'read-write',
      });
      await new Promise((r) => setTimeout(r, 30));
    }
  })();
  // Different products: the test is about the shop's queue, not about row locks on one product.
  const load = new CheckoutLoad(() => shop.base, 40, {
    pauseAfter503Ms: 10,
    productId: () => 1 + Math.floor(Math.random() * 11),
  });
  // Counts, not time: run until enough of everything was seen (bounded, generous).
  const started = Date.now();
  await waitFor(
    () =>
      Date.now() - started >= 2000 &&
      health.length >= 20 &&
      load.acked.size >= 20 &&
      load.answers.some((a) => a.error === 'overloaded'),
    90_000,
    'health samples, orders and shed requests',
  );
  await load.stop();
  sampling = false;
  await sampler;

  expect(shop.alive()).toBe(true);
  expect(load.undesigned()).toEqual([]);
  const shed = load.answers.filter((a) => a.error === 'overloaded');
  expect(shed.length).toBeGreaterThan(0);
  // The designed overload answer: Retry-After, and the instance still says read-write.
  for (const a of shed) {
    expect(a.retryAfter).toMatch(/^\d+$/);
    expect(a.mode).toBe('read-write');
  }
  // Never mistaken for a database outage.
  expect(load.answers.filter((a) => a.error === 'read-only')).toEqual([]);
  expect(health.filter((h) => h.status !== 200 || !h.marker)).toEqual([]);
  expect(pages.filter((p) => p.status !== 200 || !p.ok)).toEqual([]);
  expect(await orderLedger(pg, db, load)).toMatchObject({ lost: 0, duplicates: 0, unacknowledged: 0 });
}, 150_000);
