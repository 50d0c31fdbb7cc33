import { sharedPostgres, type PostgresServer } from '../support/postgres';
import { DEMO_PRODUCTS, MIGRATIONS, migrate } from '../../shop/src/migrations';
import { count, startShop } from './helpers';

let pg: PostgresServer;

beforeAll(async () => {
  pg = await sharedPostgres();
});
afterAll(async () => {
  await pg?.destroy();
});

describe('migrations', () => {
  it('are idempotent: a second run applies nothing and keeps the seed unchanged', async () => {
    const db = await pg.createDatabase();
    const first = await migrate(pg.connection(db));
    expect(first).toEqual(MIGRATIONS.map((m) => m.version));
    await pg.sql('UPDATE products SET stock = 7 WHERE id = 1', [], db);

    const second = await migrate(pg.connection(db));
    expect(second).toEqual([]);
    expect(await count(pg, db, 'schema_migrations')).toBe(MIGRATIONS.length);
    expect(await count(pg, db, 'products')).toBe(DEMO_PRODUCTS.length);
    const [row] = await pg.sql<{ stock: number }>('SELECT stock FROM products WHERE id = 1', [], db);
    expect(row.stock).toBe(7);
  });

  it('run once when several instances migrate concurrently (advisory lock)', async () => {
    const db = await pg.createDatabase();
    const results = await Promise.all([1, 2, 3, 4].map(() => migrate(pg.connection(db))));
    const applied = results.flat().sort();
    expect(applied).toEqual(MIGRATIONS.map((m) => m.version));
    expect(results.filter((r) => r.length > 0)).toHaveLength(1);
    expect(await count(pg, db, 'schema_migrations')).toBe(MIGRATIONS.length);
    expect(await count(pg, db, 'products')).toBe(DEMO_PRODUCTS.length);
  });

  it('two shops starting at once both come up healthy and migrate once', async () => {
    const db = await pg.createDatabase();
    const [a, b] = await Promise.all([startShop(pg, db), startShop(pg, db)]);
    try {
      const applied = [...(await a.shop.migrations()), ...(await b.shop.migrations())].sort();
      expect(applied).toEqual(MIGRATIONS.map((m) => m.version));
      for (const s of [a, b]) {
        const res = await fetch(s.base + '/healthz');
        expect(res.status).toBe(200);
      }
      expect(await count(pg, db, 'products')).toBe(DEMO_PRODUCTS.length);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
