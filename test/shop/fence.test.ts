/**
 * Fencing on what Aurora reports: `aurora_global_db_instance_status()` (here a stand-in SQL function
 * with the documented columns) names the global writer's region. The region it names moves the
 * `writer_fence` row to itself; every other region refuses orders, and the check inside the order
 * transaction refuses them even when the instance's cached health still says "writer".
 */
import { HEALTH_MARKER } from '../../lib/contract/shop';
import { FencedError } from '../../shop/src/fence';
import { sharedPostgres, type PostgresServer } from '../support/postgres';
import { getHealth, postJson, startShop, waitFor, type RunningShop } from './helpers';

let pg: PostgresServer;
let db: string;
let r1: RunningShop;
let r2: RunningShop;

const setGlobalWriter = (region: string) => pg.sql('UPDATE fake_global SET region = $1', [region], db);

beforeAll(async () => {
  pg = await sharedPostgres();
  db = await pg.createDatabase();
  r1 = await startShop(pg, db, { region: 'r1', role: 'primary' });
  // The documented shape: server_id, session_id ('MASTER_SESSION_ID' marks the writer), aws_region.
  await pg.sql(
    `CREATE TABLE fake_global (region text NOT NULL); INSERT INTO fake_global VALUES ('r1');
     CREATE FUNCTION aurora_global_db_instance_status()
       RETURNS TABLE (server_id text, session_id text, aws_region text) LANGUAGE sql AS
       $$ SELECT 'writer-1', 'MASTER_SESSION_ID', region FROM fake_global
          UNION ALL SELECT 'reader-1', 'a1b2c3', 'elsewhere' $$;`,
    [],
    db,
  );
  r2 = await startShop(pg, db, { region: 'r2', role: 'standby' });
});
afterAll(async () => {
  await Promise.all([r1?.close(), r2?.close()]);
  await pg?.destroy();
});

it('only the region Aurora names as the global writer takes orders, and the fence follows a failover', async () => {
  expect(await pg.sql('SELECT epoch, writer_region FROM writer_fence', [], db)).toEqual([
    { epoch: '1', writer_region: 'r1' },
  ]);
  await waitFor(async () => (await getHealth(r2.base)).body.fenced !== undefined, 5000, 'r2 fenced');
  expect((await getHealth(r2.base)).body).toMatchObject({
    db: 'reader',
    mode: 'read-only',
    marker: HEALTH_MARKER,
  });
  expect((await postJson(r2.base, '/cart', { productId: 1 })).status).toBe(503);
  expect((await postJson(r1.base, '/cart', { productId: 1 })).status).toBe(201);

  // Aurora fails the global database over to r2.
  await setGlobalWriter('r2');
  await waitFor(async () => (await getHealth(r2.base)).body.db === 'writer', 5000, 'r2 to become the writer');
  expect(await pg.sql('SELECT epoch, writer_region FROM writer_fence', [], db)).toEqual([
    { epoch: '2', writer_region: 'r2' },
  ]);
  const cart = await postJson(r2.base, '/cart', { productId: 1 });
  expect(cart.status).toBe(201);
  expect((await postJson(r2.base, '/checkout', { cartId: cart.json.cartId })).status).toBe(201);

  await waitFor(async () => (await getHealth(r1.base)).body.fenced !== undefined, 5000, 'r1 fenced');
  const h1 = await getHealth(r1.base);
  expect(h1.status).toBe(503);
  expect(String(h1.body.fenced)).toContain('r2');
  const refused = await postJson(r1.base, '/checkout', { cartId: cart.json.cartId });
  expect(refused.status).toBe(503);
  expect(refused.json.error).toBe('read-only');
});

it('the check inside the order transaction refuses a region the fence does not name', async () => {
  // r1's own database is writable; only the fence row says no.
  await expect(r1.shop.db.transaction((c) => r1.shop.fence.check(c))).rejects.toBeInstanceOf(FencedError);
  await expect(r2.shop.db.transaction((c) => r2.shop.fence.check(c))).resolves.toBeUndefined();
});
