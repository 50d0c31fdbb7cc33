/**
 * Delivery results on real PostgreSQL and the fake channels over HTTP: "accepted" is not
 * "delivered". The NHN fakes answer the documented result look-ups (shop/src/notify/nhn.ts) as told;
 * the dispatcher reads them in its pass and sends a notice down the chain when a delivery failed or
 * has no final result by the report deadline, never twice on one channel. The report deadline runs
 * on an injected clock; the look-up deadline is real time (the stalled fake never answers, so a
 * slow machine cannot change the outcome). Every test ends by counting the fakes' own records
 * against the outbox: 0 notices that reached no customer, 0 duplicates on any one channel.
 */
import type { Pool } from 'pg';
import { Pool as PgPool } from 'pg';
import type { DispatcherOptions } from '../../shop/src/notify/dispatcher';
import { startFakeChannels, type FakeReportMode } from '../support/fake-channels';
import { shortOrLong } from '../support/long';
import { startPostgres, type PostgresServer } from '../support/postgres';
import {
  clock,
  dispatcher,
  drain,
  type Fakes,
  ledger,
  migrated,
  openPool,
  poolDb,
  seedOrders,
} from './harness';

let pg: PostgresServer;
let db: string;
let pool: Pool;
let fakes: Fakes;

// One migrated database for the suite, emptied between tests (cheaper than one per test).
beforeAll(async () => {
  pg = await startPostgres();
  db = await migrated(pg);
  pool = openPool(pg, db);
});
afterAll(async () => {
  await pool?.end();
  await pg?.destroy();
});
beforeEach(async () => {
  await pool.query('TRUNCATE carts, orders RESTART IDENTITY CASCADE');
  fakes = await startFakeChannels();
});
afterEach(async () => {
  expect(await ledger(pool, fakes)).toMatchObject({ lost: 0, duplicates: { alimtalk: 0, sms: 0, email: 0 } });
  await Promise.all(Object.values(fakes).map((f) => f.close()));
});

/** First look-up 1 s after the accept, then every 1 s, unknown 10 s after it (all on `c`). */
const REPORTS = { firstCheckMs: 1000, everyMs: 1000, deadlineMs: 10_000 };

function reporting(c: ReturnType<typeof clock>, over: Partial<DispatcherOptions> = {}) {
  return dispatcher(pool, fakes, { now: c.now, deadlineMs: 1000, leaseMs: 5000, reports: REPORTS, ...over });
}

/** `n` passes, the clock moved `stepMs` before each. */
async function passes(
  d: ReturnType<typeof reporting>,
  c: ReturnType<typeof clock>,
  n: number,
  stepMs = 1000,
) {
  for (let i = 0; i < n; i++) {
    c.advance(stepMs);
    await d.dispatchOnce();
  }
}

async function attempts() {
  return (
    await pool.query<{ channel: string; status: string; delivery: string | null; code: string | null }>(
      `SELECT channel, status, delivery, delivery_code AS code FROM notice_attempts
       ORDER BY notice_id, started_at, channel`,
    )
  ).rows;
}

test('알림톡 accepts, then reports failed (3019, not a KakaoTalk user): SMS carries it, once; 알림톡 never again for it', async () => {
  await seedOrders(pool, 3);
  fakes.alimtalk.reportMode = 'failed';
  const c = clock();
  const d = reporting(c);
  expect(await d.dispatchOnce()).toMatchObject({ sent: 3 });
  // Accepted is not delivered: nothing is looked up before the first check.
  expect(fakes.alimtalk.requests.lookups).toBe(0);
  await passes(d, c, 1);
  expect(fakes.alimtalk.requests.lookups).toBe(3);
  expect((await pool.query("SELECT count(*)::int AS n FROM notices WHERE status = 'pending'")).rows).toEqual([
    { n: 3 },
  ]);
  await passes(d, c, 3);
  expect(fakes.sms.delivered.map((m) => m.to).sort()).toEqual(['01012340000', '01012340001', '01012340002']);
  expect(await attempts()).toEqual(
    [0, 1, 2].flatMap(() => [
      { channel: 'alimtalk', status: 'sent', delivery: 'failed', code: '3019' },
      { channel: 'sms', status: 'sent', delivery: 'delivered', code: '1000' },
    ]),
  );
  expect(await ledger(pool, fakes)).toMatchObject({ sent: 3, open: 0, byChannel: { alimtalk: 0, sms: 3 } });
  expect(fakes.alimtalk.requests.total).toBe(3);
  expect(fakes.alimtalk.reached().size).toBe(0);
  const [alimtalk, sms] = d.channelReport();
  expect(alimtalk.counters).toEqual({
    sent: 3,
    failed: 0,
    fallbacks: 3,
    delivered: 0,
    deliveryFailed: 3,
    deliveryUnknown: 0,
  });
  expect(alimtalk.breaker).toBe('closed'); // a customer's delivery failure is not a provider fault
  expect(sms.counters).toMatchObject({ sent: 3, delivered: 3 });
});

test('the result look-up stalls: each look-up is cut at its deadline and the result stays pending; after the report deadline the delivery is unknown and SMS sends exactly once', async () => {
  await seedOrders(pool, 2);
  fakes.alimtalk.reportMode = 'stall';
  const c = clock();
  const d = reporting(c);
  await d.dispatchOnce();
  const t0 = Date.now();
  await passes(d, c, 1);
  const took = Date.now() - t0;
  // Both look-ups side by side, each cut at the 1 s deadline.
  expect(took).toBeGreaterThanOrEqual(1000);
  expect(took).toBeLessThan(4000);
  expect((await attempts()).map((a) => a.delivery)).toEqual(['accepted', 'accepted']);
  await passes(d, c, 7); // 8 s after the accept: still before the 10 s report deadline
  expect(fakes.sms.requests.total).toBe(0);
  await passes(d, c, 2, 1500); // 11 s: unknown, moved on
  await passes(d, c, 4);
  expect(fakes.sms.delivered).toHaveLength(2);
  const a = await attempts();
  expect(a.filter((x) => x.channel === 'alimtalk')).toEqual([
    expect.objectContaining({
      status: 'sent',
      delivery: 'unknown',
      code: expect.stringMatching(/^look-up failed at the deadline/),
    }),
    expect.objectContaining({
      status: 'sent',
      delivery: 'unknown',
      code: expect.stringMatching(/^look-up failed at the deadline/),
    }),
  ]);
  expect(d.channelReport()[0].counters).toMatchObject({ sent: 2, deliveryUnknown: 2, fallbacks: 2 });
  // Later passes send nothing more on either channel.
  await passes(d, c, 5, 5000);
  expect(fakes.sms.requests.total).toBe(2);
  expect(fakes.alimtalk.requests.total).toBe(2);
  expect(await ledger(pool, fakes)).toMatchObject({ sent: 2, open: 0, byChannel: { sms: 2 } });
});

test('the result says delivered: no fallback, SMS never called', async () => {
  await seedOrders(pool, 3);
  const c = clock();
  const d = reporting(c);
  await d.dispatchOnce();
  await passes(d, c, 1);
  expect(await attempts()).toEqual(
    [0, 1, 2].map(() => ({ channel: 'alimtalk', status: 'sent', delivery: 'delivered', code: '1000' })),
  );
  await passes(d, c, 5, 5000);
  expect(fakes.alimtalk.requests.lookups).toBe(3); // asked once each: a final result is final
  expect(fakes.sms.requests.total).toBe(0);
  expect(await ledger(pool, fakes)).toMatchObject({ sent: 3, open: 0, byChannel: { alimtalk: 3 } });
});

test('NHN resent a failed 알림톡 as SMS itself (RSC04): counted delivered, the shop sends no SMS of its own', async () => {
  await seedOrders(pool, 1);
  fakes.alimtalk.reportMode = 'resent';
  const c = clock();
  const d = reporting(c);
  await d.dispatchOnce();
  await passes(d, c, 3);
  expect(await attempts()).toEqual([
    { channel: 'alimtalk', status: 'sent', delivery: 'delivered', code: 'RSC04 1000' },
  ]);
  expect(fakes.sms.requests.total).toBe(0);
});

test('no final result (READY forever) → unknown → SMS, whose result fails → e-mail; a phone-only customer with both failed is undeliverable', async () => {
  await seedOrders(pool, 1);
  await seedOrders(pool, 1, 'order-received', () => ({ phone: '01077776666' }));
  fakes.alimtalk.reportFor = (i) => (i === 0 ? 'pending' : 'failed');
  fakes.sms.reportMode = 'failed';
  const c = clock();
  const d = reporting(c);
  await d.dispatchOnce();
  await passes(d, c, 30);
  expect(fakes.email.delivered.map((m) => m.to)).toEqual(['buyer0@example.com']);
  const rows = (
    await pool.query<{ status: string; channel: string | null }>(
      'SELECT status, channel FROM notices ORDER BY id',
    )
  ).rows;
  expect(rows).toEqual([
    { status: 'sent', channel: 'email' },
    { status: 'undeliverable', channel: 'sms' },
  ]);
  expect(await attempts()).toEqual([
    { channel: 'alimtalk', status: 'sent', delivery: 'unknown', code: 'still READY at the deadline' },
    { channel: 'sms', status: 'sent', delivery: 'failed', code: '3001' },
    { channel: 'email', status: 'sent', delivery: 'accepted', code: null },
    { channel: 'alimtalk', status: 'sent', delivery: 'failed', code: '3019' },
    { channel: 'sms', status: 'sent', delivery: 'failed', code: '3001' },
  ]);
  // The phone-only customer got nothing, and the outbox says so (undeliverable); the ledger, which
  // would count that notice as lost, checks the other one.
  const gone = await pool.query<{ id: string }>(
    "DELETE FROM notices WHERE status = 'undeliverable' RETURNING id::text AS id",
  );
  for (const f of [fakes.alimtalk, fakes.sms])
    for (let i = f.delivered.length - 1; i >= 0; i--)
      if (f.delivered[i].noticeId === gone.rows[0].id) f.delivered.splice(i, 1);
});

test('no database connection is held while a look-up waits: a pool of one answers during a stalled look-up', async () => {
  await seedOrders(pool, 1);
  fakes.alimtalk.reportMode = 'stall';
  const one = new PgPool({ ...pg.connection(db), max: 1, connectionTimeoutMillis: 1000 });
  one.on('error', () => undefined);
  try {
    const c = clock();
    const d = reporting(c, { db: poolDb(one), deadlineMs: 1200 });
    await d.dispatchOnce();
    c.advance(1000);
    const pass = d.dispatchOnce();
    while (fakes.alimtalk.requests.lookups === 0) await new Promise((r) => setTimeout(r, 10));
    const t0 = Date.now();
    await one.query('SELECT 1');
    // A held connection would make this wait for the look-up's 1.2 s deadline.
    expect(Date.now() - t0).toBeLessThan(600);
    expect(await pass).toMatchObject({ delivered: 0, deliveryUnknown: 0 });
  } finally {
    await one.end();
  }
});

test('a failing look-up API (HTTP 500) opens the look-up breaker, not the send breaker: 알림톡 keeps sending, look-ups stop until half-open', async () => {
  await seedOrders(pool, 3);
  fakes.alimtalk.reportMode = 'error';
  const c = clock();
  const d = reporting(c, { breaker: { consecutiveFailures: 3, halfOpenAfterMs: 60_000 } });
  await d.dispatchOnce();
  await passes(d, c, 1);
  expect(fakes.alimtalk.requests.lookups).toBe(3);
  await passes(d, c, 3);
  expect(fakes.alimtalk.requests.lookups).toBe(3); // open: no call reaches the provider
  fakes.alimtalk.reportMode = 'delivered';
  await seedOrders(pool, 1, 'order-received');
  expect(await d.dispatchOnce()).toMatchObject({ claimed: 1, sent: 1 });
  expect(d.channelReport()[0]).toMatchObject({ breaker: 'closed', lookups: 'open' });
  expect(d.channelReport()[1]).toMatchObject({ breaker: 'closed', lookups: 'closed' });
  expect(fakes.alimtalk.requests.total).toBe(4);
  // Past the report deadline the three without a result move on to SMS; the fourth is unknown too
  // (its look-up is refused by the open breaker), which the worst case requires.
  await passes(d, c, 16);
  expect(fakes.sms.delivered).toHaveLength(4);
  expect(d.channelReport()[0].counters).toMatchObject({ sent: 4, deliveryUnknown: 4 });
});

const CYCLE: FakeReportMode[] = ['delivered', 'failed', 'stall', 'pending', 'resent', 'error'];

test.each(shortOrLong([6], [6, 60]))(
  '%i customers, 알림톡 results delivered/failed/stall/pending/resent/error in turn and SMS delivered/failed: every notice reaches the customer, one message per channel at most',
  async (n) => {
    await seedOrders(pool, n);
    fakes.alimtalk.reportFor = (i) => CYCLE[i % CYCLE.length];
    fakes.sms.reportFor = (i) => (i % 2 ? 'failed' : 'delivered');
    const c = clock();
    // Look-ups cut at 100 ms (a stalled one never answers; a slow "delivered" one is asked again).
    const d = reporting(c, {
      reports: { ...REPORTS, timeoutMs: 100 },
      breaker: { consecutiveFailures: 3, halfOpenAfterMs: 100 },
    });
    await drain(d);
    for (let i = 0; i < 60; i++) {
      c.advance(1000);
      await d.dispatchOnce();
      const open = await pool.query(
        `SELECT 1 FROM notices WHERE status IN ('pending', 'sending')
         UNION ALL SELECT 1 FROM notice_attempts WHERE delivery = 'accepted' AND delivery_check_at IS NOT NULL`,
      );
      if (open.rowCount === 0) break;
    }
    const a = await attempts();
    // Moved on: a delivery failed or unknown (or, on a machine slow enough, a send cut at its deadline).
    const movedOn = (ch: string) =>
      a.filter(
        (x) =>
          x.channel === ch && (x.delivery === 'failed' || x.delivery === 'unknown' || x.status === 'unknown'),
      ).length;
    expect(a.filter((x) => x.channel !== 'email' && x.delivery === 'accepted')).toEqual([]);
    expect(fakes.alimtalk.delivered).toHaveLength(n);
    expect(fakes.sms.delivered).toHaveLength(movedOn('alimtalk'));
    expect(fakes.email.delivered).toHaveLength(movedOn('sms'));
    // At least the failed, stalled, pending and erroring 알림톡 moved on (4 of each 6).
    expect(movedOn('alimtalk')).toBeGreaterThanOrEqual((n / 6) * 4);
    expect(await ledger(pool, fakes)).toMatchObject({ notices: n, sent: n, open: 0 });
  },
);
