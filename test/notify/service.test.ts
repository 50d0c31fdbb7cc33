/**
 * The shop process runs the dispatcher (shop/src/notify/index.ts): real PostgreSQL, the shop over
 * HTTP, the fake channels. A checkout with a contact reaches the customer by 알림톡 within a pass;
 * the operator switch moves notices to SMS and a failed read keeps it; `GET /notify/health`; the
 * metrics through the publisher; nothing sent after close. The messenger-down drill's short run.
 */
import type { MetricDatum } from '@aws-sdk/client-cloudwatch';
import type { Pool } from 'pg';
import { formatMessengerTable, runMessengerScenario } from '../../scripts/drill-local/messenger';
import { startFakeChannels } from '../support/fake-channels';
import { sharedPostgres, type PostgresServer } from '../support/postgres';
import { postJson, type RunningShop, startShop } from '../shop/helpers';
import { type Fakes, ledger, notifyOptions, openPool, seedOrders } from './harness';

let pg: PostgresServer;
let db: string;
let fakes: Fakes;
let pool: Pool | undefined;
const shops: RunningShop[] = [];

beforeAll(async () => {
  pg = await sharedPostgres();
});
afterAll(async () => {
  await pg?.destroy();
});
beforeEach(async () => {
  [db, fakes] = await Promise.all([pg.createDatabase(), startFakeChannels()]);
});
afterEach(async () => {
  await Promise.all(shops.splice(0).map((s) => s.close()));
  if (pool) {
    expect(await ledger(pool, fakes)).toMatchObject({
      lost: 0,
      duplicates: { alimtalk: 0, sms: 0, email: 0 },
    });
    await pool.end();
    pool = undefined;
  }
  await Promise.all(Object.values(fakes).map((f) => f.close()));
});

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 4000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const idle = (channel: string) => ({
  channel,
  breaker: 'closed',
  disabled: false,
  sent: 0,
  failed: 0,
  fallbacks: 0,
  delivered: 0,
  deliveryFailed: 0,
  deliveryUnknown: 0,
});

async function checkout(base: string, contact: Record<string, unknown>) {
  const cart = await postJson(base, '/cart', { productId: 2, quantity: 1 });
  const res = await postJson(base, '/checkout', { cartId: cart.json.cartId, ...contact });
  expect(res.status).toBe(201);
  return res.json.orderId as string;
}

test('a checkout with a phone is sent by 알림톡 within a pass; /notify/health reports the channels, the switch and the age', async () => {
  const published: [string, MetricDatum[]][] = [];
  const shop = await startShop(pg, db, {
    notify: notifyOptions(fakes, { publisher: async (ns, data) => void published.push([ns, data]) }),
  });
  shops.push(shop);
  const p = (pool = openPool(pg, db));
  const orderId = await checkout(shop.base, { phone: '010-2222-3333', consent: true });
  await until('알림톡 delivery', () => fakes.alimtalk.delivered.length === 1);
  expect(fakes.alimtalk.delivered[0]).toMatchObject({ to: '01022223333' });
  await until('the outbox to say sent', async () => (await ledger(p, fakes)).sent === 1);
  const [notice] = (await p.query('SELECT order_id, kind, status, channel FROM notices')).rows;
  expect(notice).toEqual({ order_id: orderId, kind: 'order-received', status: 'sent', channel: 'alimtalk' });
  // NHN's result look-up (harness: first check 0.2 s after the accept) says it arrived.
  await until(
    'the delivery result',
    async () => (await p.query("SELECT 1 FROM notice_attempts WHERE delivery = 'delivered'")).rowCount === 1,
  );

  const res = await fetch(`${shop.base}/notify/health`, { headers: { accept: 'application/json' } });
  expect(res.status).toBe(200);
  const health = await res.json();
  expect(health).toEqual({
    region: 'ap-northeast-2',
    channels: [
      { ...idle('alimtalk'), lookups: 'closed', sent: 1, delivered: 1 },
      { ...idle('sms'), lookups: 'closed' },
      idle('email'),
    ],
    oldestUnsentAgeSeconds: 0,
    switch: { disabled: [], lastReadAt: expect.any(String), error: null },
  });

  // The minute's publication (called directly: the timer is 60 s) goes to `${app}/notify`.
  const at = new Date('2026-12-08T00:00:00Z');
  await shop.shop.notify!.publishMetrics(at);
  const dims = (channel: string) => [
    { Name: 'Region', Value: 'ap-northeast-2' },
    { Name: 'Channel', Value: channel },
  ];
  const count = (MetricName: string, channel: string, Value: number) => ({
    MetricName,
    Dimensions: dims(channel),
    Timestamp: at,
    Unit: 'Count',
    Value,
  });
  expect(published).toEqual([
    [
      'shop/notify',
      [
        count('Sent', 'alimtalk', 1),
        count('Failed', 'alimtalk', 0),
        count('Fallbacks', 'alimtalk', 0),
        count('Delivered', 'alimtalk', 1),
        count('DeliveryFailed', 'alimtalk', 0),
        count('DeliveryUnknown', 'alimtalk', 0),
        ...['sms', 'email'].flatMap((c) =>
          ['Sent', 'Failed', 'Fallbacks', 'Delivered', 'DeliveryFailed', 'DeliveryUnknown'].map((m) =>
            count(m, c, 0),
          ),
        ),
        ...(
          [
            ['PublisherHeartbeat', 'Count', 1],
            ['OutboxUnreadable', 'Count', 0],
            ['OldestUnsentAgeSeconds', 'Seconds', 0],
          ] as const
        ).map(([MetricName, Unit, Value]) => ({
          MetricName,
          Dimensions: [{ Name: 'Region', Value: 'ap-northeast-2' }],
          Timestamp: at,
          Unit,
          Value,
        })),
      ],
    ],
  ]);

  // Closed: the pass timer is gone, so a notice written now stays pending.
  await shop.close();
  shops.length = 0;
  await seedOrders(p, 1);
  await new Promise((r) => setTimeout(r, 600));
  expect(fakes.alimtalk.delivered).toHaveLength(1);
  expect((await p.query("SELECT count(*)::int AS n FROM notices WHERE status = 'pending'")).rows).toEqual([
    { n: 1 },
  ]);
  await p.query("DELETE FROM notices WHERE status = 'pending'");
});

test('the operator switch: 알림톡 switched off sends by SMS; a failed read keeps it off; switched on again uses 알림톡; metrics on their timer until close', async () => {
  const values: (string | Error)[] = ['["alimtalk"]', new Error('SSM unavailable'), '[]'];
  let reads = 0;
  const namespaces: string[] = [];
  const shop = await startShop(pg, db, {
    notify: notifyOptions(fakes, {
      switchReader: async () => {
        const v = values[Math.min(reads++, values.length - 1)];
        if (v instanceof Error) throw v;
        return v;
      },
      switchPollMs: 3_600_000, // refreshed by hand below
      metricsEveryMs: 200,
      publisher: async (ns) => void namespaces.push(ns),
    }),
  });
  shops.push(shop);
  pool = openPool(pg, db);
  const notify = shop.shop.notify!;
  await until('the first switch read', () => reads === 1);
  await checkout(shop.base, { phone: '01033334444', consent: 'on' });
  await until('SMS delivery', () => fakes.sms.delivered.length === 1);
  expect(fakes.alimtalk.requests.total).toBe(0);

  await notify.switch.refresh();
  const h = await notify.health();
  expect(h.switch).toEqual({
    disabled: ['alimtalk'],
    lastReadAt: expect.any(String),
    error: 'SSM unavailable',
  });
  expect(h.channels[0]).toMatchObject({ channel: 'alimtalk', disabled: true });
  await checkout(shop.base, { phone: '01033335555', consent: 'on' });
  await until('second SMS delivery', () => fakes.sms.delivered.length === 2);
  expect(fakes.alimtalk.requests.total).toBe(0);

  await notify.switch.refresh();
  await checkout(shop.base, { phone: '01033336666', consent: 'on' });
  await until('알림톡 delivery', () => fakes.alimtalk.delivered.length === 1);
  expect(fakes.alimtalk.delivered[0].to).toBe('01033336666');
  expect(fakes.sms.delivered.map((d) => d.to)).toEqual(['01033334444', '01033335555']);
  // The publication timer runs (every 200 ms here, 60 s by default) and stops with the shop.
  await until('a timed metric publication', () => namespaces.length > 0);
  expect(new Set(namespaces)).toEqual(new Set(['shop/notify']));
  await shop.close();
  shops.length = 0;
  const published = namespaces.length;
  await new Promise((r) => setTimeout(r, 500));
  expect(namespaces).toHaveLength(published);
});

test('without notify settings: no dispatcher, /notify/health answers 404 not-configured', async () => {
  const shop = await startShop(pg, db);
  shops.push(shop);
  expect(shop.shop.notify).toBeUndefined();
  const res = await fetch(`${shop.base}/notify/health`, { headers: { accept: 'application/json' } });
  expect(res.status).toBe(404);
  expect(await res.json()).toEqual({ error: 'not-configured', region: 'ap-northeast-2' });
});

test('messenger-down drill, short run: 알림톡 refuses, stalls, then reports undelivered; notices flow through SMS, 0 lost, 0 duplicates per channel', async () => {
  const r = await runMessengerScenario(pg, fakes, db, { customers: 2, steadyMs: 400, faultMs: 1500 });
  expect(r).toMatchObject({ lost: 0, duplicates: { alimtalk: 0, sms: 0, email: 0 }, open: 0 });
  expect(r.acknowledged).toBeGreaterThan(4);
  expect(r.notices).toBe(r.acknowledged);
  // SMS takes over while 알림톡 refuses (a refusal moves a notice on at the next pass: about 0.2 s
  // on a quiet machine; the bound is wide for a loaded one) ...
  expect(r.refuse.throughNextS).not.toBeNull();
  expect(r.refuse.throughNextS!).toBeLessThan(5);
  // ... and while it stalls, but not before the 1 s deadline has cut the first stalled send.
  expect(r.stall.throughNextS).not.toBeNull();
  expect(r.stall.throughNextS!).toBeGreaterThanOrEqual(0.9);
  expect(r.stall.throughNextS!).toBeLessThan(6);
  // ... and when 알림톡 accepts but reports undelivered, after the first result look-up (0.2 s).
  expect(r.undelivered.throughNextS).not.toBeNull();
  expect(r.undelivered.throughNextS!).toBeGreaterThanOrEqual(0.2);
  expect(r.undelivered.throughNextS!).toBeLessThan(10); // two sends and a look-up, each behind the queue
  expect(formatMessengerTable([r])).toContain(
    '| 알림톡 refuses, stalls, then reports undelivered | undelivered |',
  );
});
