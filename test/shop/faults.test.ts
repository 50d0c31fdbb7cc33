/**
 * Database faults under concurrent checkouts, on a real PostgreSQL, with the shop in its own
 * process: immediate stop, fast stop, termination of the shop's backends, SIGSTOP/SIGCONT of the
 * server. Each asserts the process is alive, every request got an answer within its deadline,
 * degraded answers are the designed ones, writes resume without a restart, and no acknowledged
 * order is lost or duplicated (counted on the database).
 */
import { startPostgres, type PostgresServer } from '../support/postgres';
import { CheckoutLoad, orderLedger, spawnShop, waitForDb, type ShopProcess } from './fault-harness';
import { waitFor } from './helpers';

let pg: PostgresServer;
let db: string;
let shop: ShopProcess;

beforeAll(async () => {
  pg = await startPostgres();
  db = await pg.createDatabase();
  // The throwaway server acknowledges commits before WAL is written (fast tests); a crash test
  // needs commits as durable as Aurora's.
  await pg.sql(`ALTER DATABASE ${db} SET synchronous_commit = on`);
  shop = await spawnShop({ db: { writerHost: pg.host, port: pg.port, database: db, user: pg.user } });
  await waitForDb(shop.base, (s) => s === 'writer');
});
afterAll(async () => {
  await shop?.stop();
  await pg?.destroy();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function underLoad(fault: () => Promise<void>, recover: () => Promise<void>, degrades: boolean) {
  const load = new CheckoutLoad(() => shop.base, 6);
  try {
    await waitFor(() => load.acked.size >= 3, 20_000, 'checkouts before the fault');
    await fault();
    if (degrades) await waitForDb(shop.base, (s) => s !== 'writer', 15_000);
    await sleep(300);
    await recover();
    await waitForDb(shop.base, (s) => s === 'writer', 20_000);
    const recoveredAt = Date.now();
    await waitFor(() => load.checkoutsAfter(recoveredAt) >= 3, 20_000, 'checkouts after recovery');
  } catch (err) {
    // A dead shop explains every other symptom: say so first.
    if (!shop.alive())
      throw new Error(
        `the shop process died (exit ${shop.child.exitCode}, signal ${shop.child.signalCode}): ${shop.stderr().slice(0, 3000)}`,
      );
    throw err;
  } finally {
    await load.stop();
  }
  expect(shop.alive()).toBe(true);
  await load.resolveUnknown(shop.base);
  expect(load.undesigned()).toEqual([]);
  if (degrades) expect(load.answers.some((a) => a.error === 'read-only')).toBe(true);
  expect(await orderLedger(pg, db, load)).toMatchObject({ lost: 0, duplicates: 0, unacknowledged: 0 });
  return load;
}

it('pg_ctl stop -m immediate under checkouts', async () => {
  await underLoad(
    () => pg.stop('immediate'),
    () => pg.start(),
    true,
  );
});

it('pg_ctl stop -m fast under checkouts', async () => {
  await underLoad(
    () => pg.stop('fast'),
    () => pg.start(),
    true,
  );
});

it("pg_terminate_backend of the shop's connections under checkouts", async () => {
  let killed = 0;
  await underLoad(
    async () => {
      for (let i = 0; i < 8; i++) {
        const rows = await pg.sql(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'resilient-shop%'",
          [db],
        );
        killed += rows.length;
        await sleep(60);
      }
    },
    async () => undefined,
    false,
  );
  expect(killed).toBeGreaterThan(0);
});

it('SIGSTOP / SIGCONT of the server under checkouts', async () => {
  await underLoad(
    async () => pg.pause(),
    async () => {
      await sleep(800);
      pg.resume();
    },
    true,
  );
});
