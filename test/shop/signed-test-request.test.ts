import { DRILL_HEADER, IDEMPOTENCY_HEADER, SYNTHETIC_HEADER } from '../../lib/contract/shop';
import { MAX_SKEW_S, signTestRequest, verifyTestSignature } from '../../lib/contract/test-signature';
import { TestRequestGate } from '../../shop/src/signed-test-request';
import { sharedPostgres, type PostgresServer } from '../support/postgres';
import { count, postJson, startShop, stockOf, type RunningShop } from './helpers';

const KEY = 'k'.repeat(64);
const T = Date.parse('2026-12-07T21:00:00Z');

describe('the signature (lib/contract/test-signature.ts)', () => {
  const sig = (
    over: Partial<{ key: string; header: string; method: string; path: string; at: number }> = {},
  ) =>
    signTestRequest(
      over.key ?? KEY,
      over.header ?? SYNTHETIC_HEADER,
      over.method ?? 'POST',
      over.path ?? '/checkout',
      over.at ?? T,
    );
  const verify = (value: string, at = T, path = '/checkout', header = SYNTHETIC_HEADER) =>
    verifyTestSignature([KEY], header, value, 'POST', path, at);

  test('valid: signed with the key, now, for this header, method and path (query ignored)', () => {
    expect(verify(sig())).toEqual({ ok: true });
    expect(verify(sig(), T, '/checkout?lang=en')).toEqual({ ok: true });
    expect(verify(sig(), T + (MAX_SKEW_S - 1) * 1000)).toEqual({ ok: true });
  });
  test.each<[string, () => string, number, string, string, string]>([
    ['unsigned ("1", the old meaning)', () => '1', T, '/checkout', SYNTHETIC_HEADER, 'unsigned'],
    [
      'replayed old (6 minutes later)',
      () => sig(),
      T + (MAX_SKEW_S + 60) * 1000,
      '/checkout',
      SYNTHETIC_HEADER,
      'expired',
    ],
    [
      'from the future',
      () => sig({ at: T + (MAX_SKEW_S + 60) * 1000 }),
      T,
      '/checkout',
      SYNTHETIC_HEADER,
      'expired',
    ],
    ['forged (another key)', () => sig({ key: 'x'.repeat(64) }), T, '/checkout', SYNTHETIC_HEADER, 'forged'],
    ['for another path', () => sig({ path: '/cart' }), T, '/checkout', SYNTHETIC_HEADER, 'forged'],
    ['for another header (synthetic reused as drill)', () => sig(), T, '/checkout', DRILL_HEADER, 'forged'],
    ['not the format', () => 'v1.abc.def', T, '/checkout', SYNTHETIC_HEADER, 'malformed'],
  ])('refused: %s', (_name, value, at, path, header, problem) => {
    expect(verify(value(), at, path, header)).toEqual({ ok: false, problem });
  });
});

describe('a shop with a test-signing key (real PostgreSQL)', () => {
  let pg: PostgresServer;
  let db: string;
  let s: RunningShop;
  let now = T;
  let reads = 0;
  let keys = [KEY];

  beforeAll(async () => {
    pg = await sharedPostgres();
    db = await pg.createDatabase();
    s = await startShop(pg, db, {
      testRequests: new TestRequestGate({
        readKeys: async () => {
          reads++;
          return keys;
        },
        now: () => now,
      }),
    });
  });
  afterAll(async () => {
    await s?.close();
    await pg?.destroy();
  });

  const checkout = async (headers: Record<string, string>, productId = 5) => {
    const cart = await postJson(s.base, '/cart', { productId, quantity: 1 });
    return postJson(s.base, '/checkout', { cartId: cart.json.cartId }, headers);
  };

  test('a valid synthetic signature: the whole path, rolled back', async () => {
    const orders = await count(pg, db, 'orders');
    const res = await checkout({
      [SYNTHETIC_HEADER]: signTestRequest(KEY, SYNTHETIC_HEADER, 'POST', '/checkout', now),
    });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 'synthetic-ok', orderId: null });
    expect(await count(pg, db, 'orders')).toBe(orders);
  });

  test.each<[string, () => Record<string, string>]>([
    ['unsigned synthetic', () => ({ [SYNTHETIC_HEADER]: '1' })],
    ['unsigned drill', () => ({ [DRILL_HEADER]: '1', [IDEMPOTENCY_HEADER]: 'drill-unsigned-1' })],
    [
      'forged',
      () => ({
        [SYNTHETIC_HEADER]: signTestRequest('f'.repeat(64), SYNTHETIC_HEADER, 'POST', '/checkout', now),
      }),
    ],
    [
      'replayed old',
      () => ({
        [SYNTHETIC_HEADER]: signTestRequest(KEY, SYNTHETIC_HEADER, 'POST', '/checkout', now - 600_000),
      }),
    ],
  ])('%s: 403, no order, no stock taken', async (_name, headers) => {
    const orders = await count(pg, db, 'orders');
    const stock = await stockOf(pg, db, 7);
    const res = await checkout(headers(), 7);
    expect(res.status).toBe(403);
    expect(JSON.stringify(res.json)).toContain('needs a valid signature');
    expect(await count(pg, db, 'orders')).toBe(orders);
    expect(await stockOf(pg, db, 7)).toBe(stock);
  });

  test('a signed drill order is placed for real and marked as a drill', async () => {
    const res = await checkout({
      [DRILL_HEADER]: signTestRequest(KEY, DRILL_HEADER, 'POST', '/checkout', now),
      [IDEMPOTENCY_HEADER]: 'drill-signed-0001',
    });
    expect(res.status).toBe(201);
    const [row] = await pg.sql<{ drill: boolean }>(
      'SELECT drill FROM orders WHERE id = $1',
      [res.json.orderId],
      db,
    );
    expect(row.drill).toBe(true);
  });

  test('a customer without test headers is never asked for a signature', async () => {
    const res = await checkout({ [IDEMPOTENCY_HEADER]: 'customer-order-0001' });
    expect(res.status).toBe(201);
  });

  test('after a rotation the new key is read once, and the previous key still works', async () => {
    keys = ['n'.repeat(64), KEY];
    now += 120_000; // past the re-read interval after a forged signature
    const before = reads;
    const res = await checkout({
      [SYNTHETIC_HEADER]: signTestRequest('n'.repeat(64), SYNTHETIC_HEADER, 'POST', '/checkout', now),
    });
    expect(res.status).toBe(200);
    expect(reads).toBe(before + 1);
    const old = await checkout({
      [SYNTHETIC_HEADER]: signTestRequest(KEY, SYNTHETIC_HEADER, 'POST', '/checkout', now),
    });
    expect(old.status).toBe(200);
    expect(reads).toBe(before + 1);
    keys = [KEY];
  });
});
