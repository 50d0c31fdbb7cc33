/** Test helpers: a shop on an ephemeral port against a database of the throwaway PostgreSQL server. */
import type { PostgresServer } from '../support/postgres';
import { createShop, type Shop } from '../../shop/src/shop';
import { NO_CLIENT_LIMITS } from '../../shop/src/limits';
import { silentLogger, type Contacts, type ShopOptions } from '../../shop/src/types';

export const CONTACTS = {
  phone: '+82 2-1234-5678',
  paymentAlternatives: ['Bank transfer', 'Pay at pick-up'],
  messengers: [{ name: 'KakaoTalk', url: 'https://pf.kakao.com/_shop' }],
  email: 'help@shop.example.com',
} satisfies Contacts;

/** Fast timeouts so outage tests finish quickly. */
export const FAST = {
  connectMs: 400,
  queryMs: 400,
  healthIntervalMs: 150,
  healthProbeMs: 600,
  catalogueTtlMs: 200,
  drainMs: 3000,
  secretRefreshMinMs: 0,
};

export interface RunningShop {
  shop: Shop;
  base: string;
  close(): Promise<void>;
}

export async function startShop(
  pg: PostgresServer,
  database: string,
  overrides: Partial<ShopOptions> = {},
): Promise<RunningShop> {
  const shop = createShop({
    db: { writerHost: pg.host, port: pg.port, database, user: pg.user },
    region: 'ap-northeast-2',
    role: 'primary',
    version: 'test-1',
    contacts: CONTACTS,
    logger: silentLogger,
    // Every test customer comes from 127.0.0.1: the per-client limits have their own tests
    // (test/shop/abuse.test.ts, requests.test.ts), which pass `limits` explicitly.
    limits: NO_CLIENT_LIMITS,
    ...overrides,
    timeouts: { ...FAST, ...overrides.timeouts },
  });
  const port = await shop.listen(0, '127.0.0.1');
  return {
    shop,
    base: `http://127.0.0.1:${port}`,
    close: async () => {
      await shop.close();
    },
  };
}

export const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' };

export async function postJson(
  base: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { ...JSON_HEADERS, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json: json as Record<string, any> };
}

export async function getHealth(base: string) {
  const started = Date.now();
  const res = await fetch(base + '/healthz');
  const body = (await res.json()) as Record<string, unknown>;
  return { status: res.status, body, elapsedMs: Date.now() - started };
}

/** Polls until `check` returns true (or fails after `timeoutMs`). */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 5000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function count(pg: PostgresServer, database: string, table: string): Promise<number> {
  const rows = await pg.sql<{ n: string }>(`SELECT count(*) AS n FROM ${table}`, [], database);
  return Number(rows[0].n);
}

export async function stockOf(pg: PostgresServer, database: string, productId: number): Promise<number> {
  const rows = await pg.sql<{ stock: number }>(
    'SELECT stock FROM products WHERE id = $1',
    [productId],
    database,
  );
  return rows[0].stock;
}
