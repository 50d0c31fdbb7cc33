/**
 * The catalogue survives restarts: a shop that starts while the database is down serves the
 * snapshot its predecessor left on local disk, or the baseline shipped with the artifact.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MODE_HEADER } from '../../lib/contract/shop';
import { DEMO_PRODUCTS } from '../../shop/src/migrations';
import { CATALOGUE_FILE } from '../../shop/src/shop';
import { startPostgres, type PostgresServer } from '../support/postgres';
import { getHealth, startShop, waitFor } from './helpers';

let pg: PostgresServer;
let db: string;
let stateDir: string;

beforeAll(async () => {
  pg = await startPostgres();
  db = await pg.createDatabase();
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shop-state-'));
});
afterAll(async () => {
  await pg?.destroy();
  fs.rmSync(stateDir, { recursive: true, force: true });
});

it('a restarted instance serves the last snapshot from disk during a database outage', async () => {
  const first = await startShop(pg, db, { stateDir });
  // A catalogue change the baseline does not know about.
  await pg.sql("UPDATE products SET name = 'Limited Edition Kettle' WHERE id = 3", [], db);
  first.shop.catalogue.invalidate();
  await waitFor(async () =>
    (await (await fetch(first.base + '/products')).text()).includes('Limited Edition Kettle'),
  );
  await first.close();
  await waitFor(() =>
    fs.readFileSync(path.join(stateDir, CATALOGUE_FILE), 'utf8').includes('Limited Edition Kettle'),
  );

  await pg.stop();
  try {
    const second = await startShop(pg, db, { stateDir });
    try {
      expect((await getHealth(second.base)).body.db).toBe('unreachable');
      const res = await fetch(second.base + '/products');
      expect(res.status).toBe(200);
      expect(res.headers.get(MODE_HEADER)).toBe('read-only');
      const page = await res.text();
      expect(page).toContain('Limited Edition Kettle');
      expect(page).toContain('class="banner"');
      expect((await fetch(second.base + '/products/3')).status).toBe(200);
    } finally {
      await second.close();
    }
  } finally {
    await pg.start();
  }
});

it('a fresh instance with no snapshot serves the shipped baseline during a database outage', async () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'shop-state-empty-'));
  await pg.stop();
  try {
    const s = await startShop(pg, db, { stateDir: empty });
    try {
      const res = await fetch(s.base + '/');
      expect(res.status).toBe(200);
      const page = await res.text();
      for (const p of DEMO_PRODUCTS) expect(page).toContain(`data-product-id="${p.id}"`);
    } finally {
      await s.close();
    }
  } finally {
    await pg.start();
    fs.rmSync(empty, { recursive: true, force: true });
  }
});
