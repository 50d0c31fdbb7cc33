/**
 * The abuse table of docs/shop.md: each abuse a stranger can try, measured the same way on any
 * version of the shop (one flooding client, one real customer beside it, the shop in its own
 * process with a 2-connection pool against a local PostgreSQL).
 *
 *   npx tsx bench/abuse.ts            (env: ABUSE_SECONDS=3 ABUSE_RUNS=3)
 *
 * Prints one row per abuse with the median of the runs.
 */
import { randomUUID } from 'node:crypto';
import { DEFAULT_LIMITS } from '../shop/src/limits';
import { startPostgres } from '../test/support/postgres';
import { spawnShop, waitForDb } from '../test/shop/fault-harness';
import {
  cartFlood,
  CUSTOMER,
  junkCheckouts,
  newFlooder,
  stockDrain,
  successPercent,
  type FloodResult,
} from '../test/shop/abuse-harness';

const SECONDS = Number(process.env.ABUSE_SECONDS ?? 3);
const RUNS = Number(process.env.ABUSE_RUNS ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const pg = await startPostgres();
  const rows: string[][] = [];
  try {
    const db = await pg.createDatabase();
    const shop = await spawnShop({
      db: { writerHost: pg.host, port: pg.port, database: db, user: pg.user, poolMax: 2, maxQueue: 4 },
      // The shop's own defaults (the test harness lifts them for fault tests); absent in older versions.
      limits: DEFAULT_LIMITS,
    });
    await waitForDb(shop.base, (s) => s === 'writer');
    const count = async (sql: string) => Number((await pg.sql<{ n: string }>(sql, [], db))[0].n);
    const runs = async (fn: () => Promise<FloodResult & { extra?: number }>) => {
      const results: (FloodResult & { extra?: number })[] = [];
      for (let i = 0; i < RUNS; i++) {
        await pg.sql('UPDATE products SET stock = 1000 WHERE id <> 12', [], db);
        results.push(await fn());
      }
      return {
        customer: median(results.map((r) => successPercent(r.customer))),
        accepted: median(results.map((r) => r.flood.accepted)),
        sent: median(results.map((r) => r.flood.sent)),
        extra: median(results.map((r) => r.extra ?? 0)),
      };
    };
    const ms = SECONDS * 1000;

    const junk = await runs(() => junkCheckouts(shop.base, ms, newFlooder()));
    rows.push([
      `${SECONDS} s of 40 concurrent checkouts of random cart ids`,
      `customer ${junk.customer.toFixed(0)} % ok`,
    ]);

    const carts = await runs(async () => {
      const before = await count('SELECT count(*) AS n FROM carts');
      const r = await cartFlood(shop.base, ms, newFlooder());
      return { ...r, extra: (await count('SELECT count(*) AS n FROM carts')) - before };
    });
    rows.push([
      `${SECONDS} s of POST /cart in a loop (8 at a time)`,
      `${carts.accepted} carts created by the flooder; customer ${carts.customer.toFixed(0)} % ok`,
    ]);

    const drain = await runs(async () => {
      const before = await count('SELECT stock AS n FROM products WHERE id = 1');
      const r = await stockDrain(shop.base, ms, 1, newFlooder());
      return { ...r, extra: before - (await count('SELECT stock AS n FROM products WHERE id = 1')) };
    });
    rows.push([
      `${SECONDS} s of cart (quantity 99) + checkout of one product`,
      `${drain.extra} of 1,000 units gone; customer ${drain.customer.toFixed(0)} % ok`,
    ]);

    const FLOODER = newFlooder();
    // Cross-site form post and a body without Content-Type.
    const crossSite = await fetch(shop.base + '/cart', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'https://evil.example',
        'sec-fetch-site': 'cross-site',
        'x-forwarded-for': CUSTOMER,
      },
      body: 'productId=1&quantity=1',
    });
    rows.push(['cross-site form post to /cart', `HTTP ${crossSite.status}`]);
    const crossCheckout = await fetch(shop.base + '/checkout', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'https://evil.example',
        'sec-fetch-site': 'cross-site',
        'x-forwarded-for': CUSTOMER,
      },
      body: `cartId=${randomUUID()}`,
    });
    rows.push(['cross-site form post to /checkout', `HTTP ${crossCheckout.status}`]);
    const noType = await fetch(shop.base + '/cart', {
      method: 'POST',
      headers: { 'x-forwarded-for': CUSTOMER },
      // A byte body: fetch adds no Content-Type, as a no-cors fetch with a Blob can do.
      body: new TextEncoder().encode(JSON.stringify({ productId: 1, quantity: 1 })),
    });
    rows.push(['JSON body without Content-Type (no-cors fetch)', `HTTP ${noType.status}`]);

    // Empty Idempotency-Key header, key in the form body: the retry must get the same order.
    const cart = (await (
      await fetch(shop.base + '/cart', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'x-forwarded-for': FLOODER,
        },
        body: JSON.stringify({ productId: 2, quantity: 1 }),
      })
    ).json()) as { cartId: string };
    const key = randomUUID();
    const once = () =>
      fetch(shop.base + '/checkout', {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
          'idempotency-key': '',
          'x-forwarded-for': FLOODER,
        },
        body: `cartId=${cart.cartId}&idempotencyKey=${key}`,
      });
    const first = await once();
    const retry = await once();
    rows.push([
      'empty Idempotency-Key header, key in the form: order, then retry',
      `${first.status}, ${retry.status}`,
    ]);
    const two = await fetch(shop.base + '/checkout', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        'idempotency-key': randomUUID(),
        'x-forwarded-for': FLOODER,
      },
      body: `cartId=${randomUUID()}&idempotencyKey=${randomUUID()}`,
    });
    rows.push(['two different idempotency keys in one request', `HTTP ${two.status}`]);
    await shop.stop();
  } finally {
    await pg.destroy();
  }
  console.log(`| abuse (median of ${RUNS} runs) | result |\n|---|---|`);
  for (const [a, b] of rows) console.log(`| ${a} | ${b} |`);
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
