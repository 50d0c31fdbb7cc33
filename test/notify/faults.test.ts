/**
 * Notices under channel faults, on real PostgreSQL and the fake channels over HTTP: a channel that
 * refuses (port closed) or rejects, one that stalls past the deadline, one that accepts and then
 * errors, a dispatcher process SIGKILLed between the send and the outbox update, and a breaker that
 * half-opens again (the regional failover with unsent notices: ./failover.test.ts). Every test
 * ends by counting the fakes' own records against the outbox: 0 notices lost and 0 duplicates on
 * any one channel.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type { Pool } from 'pg';
import { startPostgres, type PostgresServer } from '../support/postgres';
import { startFakeChannels } from '../support/fake-channels';
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

beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  await pg?.destroy();
});
beforeEach(async () => {
  [db, fakes] = await Promise.all([migrated(pg), startFakeChannels()]);
  pool = openPool(pg, db);
});
afterEach(async () => {
  const check = await ledger(pool, fakes);
  expect(check).toMatchObject({ lost: 0, duplicates: { alimtalk: 0, sms: 0, email: 0 } });
  await pool.end();
  await Promise.all(Object.values(fakes).map((f) => f.close()));
});

test('all channels up: every notice goes out by 알림톡, once', async () => {
  await seedOrders(pool, 5);
  const d = dispatcher(pool, fakes);
  expect(await drain(d)).toMatchObject({ sent: 5, refused: 0, unknown: 0 });
  expect(await ledger(pool, fakes)).toMatchObject({
    notices: 5,
    sent: 5,
    open: 0,
    byChannel: { alimtalk: 5 },
  });
  expect(fakes.alimtalk.delivered).toHaveLength(5);
  expect(fakes.sms.delivered).toHaveLength(0);
  // The provider's idempotency header carries the attempt id recorded in the outbox.
  const attempts = await pool.query<{ id: string }>(
    "SELECT id FROM notice_attempts WHERE channel = 'alimtalk'",
  );
  expect(new Set(fakes.alimtalk.delivered.map((m) => m.key))).toEqual(
    new Set(attempts.rows.map((r) => r.id)),
  );
});

test('a notice written in the same millisecond as the pass (microseconds later) is claimed by that pass', async () => {
  const [order] = await seedOrders(pool, 1);
  const at = new Date('2026-12-07T03:00:00.123Z');
  // PostgreSQL keeps microseconds; the dispatcher's clock has milliseconds.
  await pool.query(
    "UPDATE notices SET next_at = $1::timestamptz + interval '600 microseconds' WHERE order_id = $2",
    [at, order],
  );
  const d = dispatcher(pool, fakes, { now: () => at });
  const r = await d.dispatchOnce();
  expect(r).toMatchObject({ claimed: 1, sent: 1 });
  expect(fakes.alimtalk.delivered).toHaveLength(1);
});

test.each(['down', 'reject'] as const)(
  '알림톡 %s (certainly not delivered): SMS takes every notice in the same pass chain, 알림톡 tried again later',
  async (mode) => {
    await seedOrders(pool, 4);
    await fakes.alimtalk.setMode(mode);
    const d = dispatcher(pool, fakes);
    const r = await drain(d);
    expect(r).toMatchObject({ sent: 4, refused: 4, unknown: 0 });
    expect(await ledger(pool, fakes)).toMatchObject({
      sent: 4,
      byChannel: { alimtalk: 0, sms: 4, email: 0 },
    });
    expect(fakes.sms.delivered.map((m) => m.to).sort()).toEqual([
      '01012340000',
      '01012340001',
      '01012340002',
      '01012340003',
    ]);
    // A refusal does not spend the channel: the attempts say 'refused'; none is 'unknown'.
    const a = await pool.query<{ channel: string; status: string; n: string }>(
      'SELECT channel, status, count(*) AS n FROM notice_attempts GROUP BY 1, 2 ORDER BY 1, 2',
    );
    expect(a.rows).toEqual([
      { channel: 'alimtalk', status: 'refused', n: '4' },
      { channel: 'sms', status: 'sent', n: '4' },
    ]);
    // Three failures in a row opened 알림톡's breaker: the next notice goes straight to SMS.
    expect(d.channelReport()[0]).toMatchObject({
      channel: 'alimtalk',
      breaker: 'open',
      counters: { sent: 0, failed: 4, fallbacks: 4 },
    });
    await seedOrders(pool, 1, 'order-received', () => ({ phone: '01099998888' }));
    const before = fakes.alimtalk.requests.total;
    await drain(d);
    expect(fakes.alimtalk.requests.total).toBe(before);
    expect(fakes.sms.delivered.at(-1)?.to).toBe('01099998888');
  },
);

test('알림톡 stalls: each send is cut at the deadline, counted as maybe-delivered, and SMS sends it; 알림톡 never again for it', async () => {
  await seedOrders(pool, 3);
  await fakes.alimtalk.setMode('stall');
  const d = dispatcher(pool, fakes, { deadlineMs: 1000, leaseMs: 10_000 });
  const t0 = Date.now();
  const r = await drain(d);
  const took = Date.now() - t0;
  expect(r).toMatchObject({ sent: 3, unknown: 3, refused: 0 });
  // One deadline for the batch (sends run side by side), not one per notice.
  expect(took).toBeGreaterThanOrEqual(1000);
  expect(took).toBeLessThan(5000);
  expect(await ledger(pool, fakes)).toMatchObject({ sent: 3, byChannel: { sms: 3 } });
  // The stalled provider did deliver (worst case): once per notice on 알림톡, once on SMS.
  expect(fakes.alimtalk.delivered).toHaveLength(3);
  expect(fakes.sms.delivered).toHaveLength(3);
  await fakes.alimtalk.setMode('ok');
  await drain(d);
  expect(fakes.alimtalk.delivered).toHaveLength(3);
  const spent = await pool.query(
    "SELECT 1 FROM notice_attempts WHERE channel = 'alimtalk' AND status = 'unknown'",
  );
  expect(spent.rowCount).toBe(3);
});

test('알림톡 accepts, then answers 500: outcome unknown, not resent on 알림톡, SMS sends it', async () => {
  await seedOrders(pool, 2);
  await fakes.alimtalk.setMode('accept-then-error');
  const d = dispatcher(pool, fakes);
  expect(await drain(d)).toMatchObject({ sent: 2, unknown: 2 });
  await fakes.alimtalk.setMode('ok');
  expect(await drain(d)).toMatchObject({ sent: 0 });
  expect(fakes.alimtalk.delivered).toHaveLength(2);
  expect(fakes.sms.delivered).toHaveLength(2);
  expect(await ledger(pool, fakes)).toMatchObject({ sent: 2, open: 0, byChannel: { sms: 2 } });
});

test('알림톡 and SMS both fail: e-mail through SES takes it; a customer with only a phone waits and is retried', async () => {
  await seedOrders(pool, 1);
  await seedOrders(pool, 1, 'order-received', () => ({ phone: '01077776666' }));
  await fakes.alimtalk.setMode('accept-then-error');
  await fakes.sms.setMode('down');
  const c = clock();
  const d = dispatcher(pool, fakes, { now: c.now });
  await drain(d);
  expect(fakes.email.delivered).toHaveLength(1);
  expect(fakes.email.delivered[0].to).toBe('buyer0@example.com');
  // The phone-only notice: 알림톡 spent (unknown), SMS refused, no e-mail: it waits retryMs.
  const open = await pool.query<{ status: string }>("SELECT status FROM notices WHERE status <> 'sent'");
  expect(open.rows).toEqual([{ status: 'pending' }]);
  await fakes.sms.setMode('ok');
  c.advance(1500);
  await drain(d);
  expect(await ledger(pool, fakes)).toMatchObject({
    sent: 2,
    open: 0,
    byChannel: { alimtalk: 0, sms: 1, email: 1 },
  });
});

test('the dispatcher process is SIGKILLed between the send and the outbox update: the attempt row (committed before the send) and the partial unique index stop a second 알림톡; after the lease SMS sends it', async () => {
  const [orderId] = await seedOrders(pool, 1);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, 'fixtures', 'dispatcher-process.ts')],
    {
      env: {
        ...process.env,
        NOTIFY_TEST_SETUP: JSON.stringify({
          connection: pg.connection(db),
          urls: Object.fromEntries(Object.entries(fakes).map(([k, f]) => [k, f.url])),
        }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, signal) => r(signal)));
  const sent = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('the dispatcher process never sent')), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^sent (\S+) alimtalk$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  // 알림톡 took it (its fake's record, with the attempt id as NHN's idempotency key); the outbox
  // still says "sending": the process died before it could write the outcome.
  expect(fakes.alimtalk.delivered.map((m) => m.key)).toEqual([sent]);
  expect((await pool.query('SELECT id::text, channel, status FROM notice_attempts')).rows).toEqual([
    { id: sent, channel: 'alimtalk', status: 'sending' },
  ]);
  // What stops a second 알림톡 send: the committed attempt row. A claim that tried to send on
  // 알림톡 again would have to insert a second possibly-delivered attempt, which the partial unique
  // index notice_attempts_once_per_channel refuses. (NHN's idempotency header would not: a new
  // attempt carries a new key.)
  const n = (await pool.query<{ id: string }>('SELECT id::text FROM notices')).rows[0].id;
  await expect(
    pool.query(
      "INSERT INTO notice_attempts (id, notice_id, channel, status, started_at) VALUES (gen_random_uuid(), $1, 'alimtalk', 'sending', now())",
      [n],
    ),
  ).rejects.toMatchObject({ code: '23505' });

  // Another instance: nothing while the lease runs; past it, 알림톡 is spent (unknown) and SMS sends.
  const c = clock();
  const next = dispatcher(pool, fakes, { now: c.now });
  expect(await next.dispatchOnce()).toMatchObject({ recovered: 0, claimed: 0 });
  c.advance(10_001);
  expect(await drain(next)).toMatchObject({ recovered: 1, sent: 1 });
  expect(fakes.alimtalk.requests.total).toBe(1);
  expect(fakes.sms.delivered).toHaveLength(1);
  const attempts = await pool.query<{ channel: string; status: string }>(
    'SELECT channel, status FROM notice_attempts ORDER BY started_at, channel',
  );
  expect(attempts.rows).toEqual([
    { channel: 'alimtalk', status: 'unknown' },
    { channel: 'sms', status: 'sent' },
  ]);
  expect(
    (await pool.query('SELECT status, channel FROM notices WHERE order_id = $1', [orderId])).rows,
  ).toEqual([{ status: 'sent', channel: 'sms' }]);
});

test('a second possibly-delivered attempt on one channel is refused by the database itself', async () => {
  await seedOrders(pool, 1);
  const n = (await pool.query<{ id: string }>('SELECT id FROM notices')).rows[0].id;
  await pool.query(
    "INSERT INTO notice_attempts (id, notice_id, channel, status, started_at) VALUES (gen_random_uuid(), $1, 'sms', 'unknown', now())",
    [n],
  );
  await expect(
    pool.query(
      "INSERT INTO notice_attempts (id, notice_id, channel, status, started_at) VALUES (gen_random_uuid(), $1, 'sms', 'sending', now())",
      [n],
    ),
  ).rejects.toMatchObject({ code: '23505' });
  // Refusals may repeat.
  for (let i = 0; i < 2; i++)
    await pool.query(
      "INSERT INTO notice_attempts (id, notice_id, channel, status, started_at) VALUES (gen_random_uuid(), $1, 'alimtalk', 'refused', now())",
      [n],
    );
  await drain(dispatcher(pool, fakes));
});

test('a breaker opened by 알림톡 refusing tries it again after halfOpenAfterMs: one trial notice, then 알림톡 carries notices again', async () => {
  await seedOrders(pool, 3);
  await fakes.alimtalk.setMode('down');
  const d = dispatcher(pool, fakes, { breaker: { consecutiveFailures: 3, halfOpenAfterMs: 300 } });
  await drain(d);
  expect(d.channelReport()[0].breaker).toBe('open');
  await fakes.alimtalk.setMode('ok');
  await new Promise((r) => setTimeout(r, 350));
  await seedOrders(pool, 3, 'order-received');
  // One pass: the trial goes to 알림톡, the other two to SMS (nothing piles up behind the trial).
  expect(await d.dispatchOnce()).toMatchObject({ claimed: 3, sent: 3 });
  expect(fakes.alimtalk.delivered).toHaveLength(1);
  expect(d.channelReport()[0].breaker).toBe('closed');
  await seedOrders(pool, 2, 'payment-failed');
  await drain(d);
  expect(fakes.alimtalk.delivered).toHaveLength(3);
  expect(fakes.sms.delivered).toHaveLength(5);
});

test('the database refuses the outcome write after a send (overloaded): written on a later try, no second copy on SMS', async () => {
  await seedOrders(pool, 2);
  const db = poolDb(pool);
  let refuse = 0;
  const d = dispatcher(pool, fakes, {
    db: {
      transaction: (fn) => {
        if (refuse > 0) {
          refuse--;
          return Promise.reject(new Error('overloaded: too many requests waiting for the database'));
        }
        return db.transaction(fn);
      },
    },
    hooks: { afterSend: () => void (refuse = 3) },
  });
  expect(await drain(d)).toMatchObject({ sent: 2, refused: 0, unknown: 0 });
  expect(await ledger(pool, fakes)).toMatchObject({ sent: 2, open: 0, byChannel: { alimtalk: 2 } });
  expect(fakes.sms.requests.total).toBe(0);
});
