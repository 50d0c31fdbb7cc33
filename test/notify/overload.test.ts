/**
 * The dispatcher beside customers, against the shop's real admission gate and real PostgreSQL:
 *
 * - under overload, the dispatcher's outbox reads take no customer slot and are not admitted while
 *   customers use or wait for every slot; its outcome writes still go through, and no notice is
 *   sent twice;
 * - a send's outcome is written even when the database is gone for longer than the retry schedule
 *   (it is what stops a second send once the lease runs out);
 * - with the database gone, the metric publisher still sends its heartbeat and says the outbox was
 *   unreadable, and sends no age (lib/notify/notify-alarms.ts: no "publisher stopped" page).
 */
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import type { Pool } from 'pg';
import { NOTIFY_CHANNEL_COUNTERS, NOTIFY_METRICS } from '../../lib/contract/notify';
import { Database } from '../../shop/src/db';
import { type AdmissionOptions, OverloadedError } from '../../shop/src/gate';
import type { Channel, ChannelId, OutgoingMessage } from '../../shop/src/notify/channel';
import { Dispatcher, type DispatcherOptions, type NoticeDb } from '../../shop/src/notify/dispatcher';
import { NotifyMetrics } from '../../shop/src/notify/metrics';
import { cloudWatchPublisher } from '../../shop/src/payments/metrics';
import { DEFAULT_TIMEOUTS, silentLogger } from '../../shop/src/types';
import { startPostgres, type PostgresServer } from '../support/postgres';
import { migrated, openPool, seedOrders } from './harness';

const REGION = 'ap-northeast-2';
let pg: PostgresServer;

beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  await pg?.destroy();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An in-process channel that records every send (notice id) and answers after `ms`. */
function recordingChannel(id: ChannelId, ms: number): { channel: Channel; sends: string[] } {
  const sends: string[] = [];
  return {
    sends,
    channel: {
      id,
      canReach: (m) => Boolean(id === 'email' ? m.email : m.phone),
      async send(m: OutgoingMessage) {
        sends.push(m.noticeId);
        await sleep(ms);
        return { providerRef: m.attemptId };
      },
    },
  };
}

function database(db: string, o: { poolMax: number; maxQueue: number; maxQueueWaitMs: number }) {
  return new Database(
    { writerHost: pg.host, port: pg.port, database: db, user: pg.user, ...o },
    { ...DEFAULT_TIMEOUTS, connectMs: 1000, queryMs: 2000 },
    silentLogger,
  );
}

function dispatcherOn(
  db: NoticeDb,
  channels: Channel[],
  leaseMs: number,
  over: Partial<DispatcherOptions> = {},
) {
  return new Dispatcher({
    db,
    channels,
    deadlineMs: 500,
    leaseMs,
    retryMs: 1000,
    breaker: { consecutiveFailures: 100, halfOpenAfterMs: 60_000 },
    batch: 5,
    logger: silentLogger,
    now: () => new Date(),
    ...over,
  });
}

/** Sends per notice over every channel: a notice sent twice shows as a count of 2. */
function duplicates(...channels: { sends: string[] }[]): number {
  const per = new Map<string, number>();
  for (const c of channels) for (const id of c.sends) per.set(id, (per.get(id) ?? 0) + 1);
  return [...per.values()].filter((n) => n > 1).length;
}

async function statuses(pool: Pool): Promise<Record<string, number>> {
  const r = await pool.query<{ status: string; n: number }>(
    'SELECT status, count(*)::int AS n FROM notices GROUP BY status',
  );
  return Object.fromEntries(r.rows.map((x) => [x.status, x.n]));
}

test('a saturated gate: checkouts get every customer slot, no outbox read is admitted while customers wait, every outcome is written, no notice is sent twice', async () => {
  const db = await migrated(pg);
  const pool = openPool(pg, db);
  const NOTICES = 30;
  await seedOrders(pool, NOTICES);
  const shop = database(db, { poolMax: 3, maxQueue: 3, maxQueueWaitMs: 30 });
  await shop.init();
  const gate = shop.gate;

  // Every admission decision of the dispatcher's work, with what the customers were doing then.
  const seen = { readsAdmittedWhileBusy: 0, readsAdmitted: 0, readsRefused: 0, writes: 0, maxCustomers: 0 };
  const run = gate.run.bind(gate);
  gate.run = (<T>(fn: () => Promise<T>, opts: AdmissionOptions = {}) => {
    if (opts.priority !== 'low') return run(fn, opts);
    const read = opts.yieldToCustomers !== false;
    return run(() => {
      // At the moment of admission (a read may have waited for the background slot).
      if (read) {
        seen.readsAdmitted++;
        if (gate.busy) seen.readsAdmittedWhileBusy++;
      } else seen.writes++;
      return fn();
    }, opts).catch((err: unknown) => {
      if (read && err instanceof OverloadedError) seen.readsRefused++;
      throw err;
    });
  }) as typeof gate.run;

  const alimtalk = recordingChannel('alimtalk', 40);
  const sms = recordingChannel('sms', 40);
  // Every transaction of the dispatcher that ran, to compare with what the background slot admitted.
  let dispatcherRan = 0;
  const counted: NoticeDb = {
    transaction: (fn, admission) =>
      shop.transaction((c) => {
        dispatcherRan++;
        return fn(c);
      }, admission),
  };
  const d = dispatcherOn(counted, [alimtalk.channel, sms.channel], 10_000);
  d.start(20);

  // Twelve checkout workers for 1.5 s on three customer slots (each holds its slot 20 ms).
  const checkouts = { admitted: 0, shed: 0 };
  const until = Date.now() + 1500;
  await Promise.all(
    Array.from({ length: 12 }, async (_, i) => {
      while (Date.now() < until) {
        try {
          await shop.transaction((c) => c.query('SELECT pg_sleep(0.02)'), {
            priority: 'high',
            client: `buyer-${i}`,
          });
          checkouts.admitted++;
        } catch (err) {
          if (!(err instanceof OverloadedError)) throw err;
          checkouts.shed++;
          await sleep(5);
        }
        seen.maxCustomers = Math.max(seen.maxCustomers, gate.stats().active);
      }
    }),
  );

  // Load gone: the dispatcher finishes the outbox.
  const deadline = Date.now() + 10_000;
  while ((await statuses(pool)).sent !== NOTICES && Date.now() < deadline) await sleep(50);
  await d.stop();
  const stats = gate.stats();
  await shop.end();

  console.log(
    `saturated gate (3 slots, 12 workers, 1.5 s): checkouts ${checkouts.admitted} admitted / ${checkouts.shed} shed; ` +
      `outbox reads ${seen.readsAdmitted} admitted (${seen.readsAdmittedWhileBusy} while customers were busy) / ${seen.readsRefused} refused; ` +
      `${seen.writes} outcome writes and age reads, ${d.settleRetries} retried; background slot shed ${stats.background.shed}`,
  );
  expect(checkouts.shed).toBeGreaterThan(0); // the gate really was saturated
  expect(checkouts.admitted).toBeGreaterThan(0);
  expect(seen.readsRefused).toBeGreaterThan(0); // the dispatcher did try, and yielded
  expect(seen.readsAdmittedWhileBusy).toBe(0);
  // The dispatcher ran only in its own slot, never in a customer's.
  expect(stats.background.admitted).toBe(dispatcherRan);
  expect(seen.maxCustomers).toBeLessThanOrEqual(3);
  expect(await statuses(pool)).toEqual({ sent: NOTICES });
  expect(alimtalk.sends).toHaveLength(NOTICES);
  expect(sms.sends).toHaveLength(0);
  expect(duplicates(alimtalk, sms)).toBe(0);
  await pool.end();
});

test("a send's outcome is written after the database was gone longer than the retry schedule: the lease never recovers it, no second send", async () => {
  const db = await migrated(pg);
  const pool = openPool(pg, db);
  await seedOrders(pool, 1);
  const shop = database(db, { poolMax: 2, maxQueue: 2, maxQueueWaitMs: 30 });
  await shop.init();
  const alimtalk = recordingChannel('alimtalk', 10);
  const sms = recordingChannel('sms', 10);
  // The schedule shortened to 0.35 s (production: 4.4 s) and the outage 1.5 s, past it and past the
  // 1 s lease: a dispatcher that gave up after the schedule left the attempt 'sending', and its next
  // pass, the lease over, sent the notice again by SMS.
  const d = dispatcherOn(shop, [alimtalk.channel, sms.channel], 1000, { settleRetryMs: [50, 100, 200] });
  const first = d.dispatchOnce();
  // The database goes away as the send is in flight (the outcome write fails, connection refused).
  // 'fast', not 'immediate': the test cluster runs with synchronous_commit off, so a crash would
  // also lose the claim just committed.
  while (alimtalk.sends.length === 0) await sleep(1);
  await pg.stop('fast');
  await sleep(1500);
  await pg.start();
  const report = await first;
  expect(report.sent).toBe(1);
  expect(d.settleRetries).toBeGreaterThan(3); // past the schedule
  // Later passes find nothing to recover or send.
  const again = await d.dispatchOnce();
  expect([again.recovered, again.claimed]).toEqual([0, 0]);
  await d.stop();
  await shop.end();
  expect(await statuses(pool)).toEqual({ sent: 1 });
  expect([alimtalk.sends.length, sms.sends.length]).toEqual([1, 0]);
  await pool.end();
});

test('the database gone: the publisher still sends its heartbeat and OutboxUnreadable 1, and no age (exact PutMetricData)', async () => {
  const db = await migrated(pg);
  const pool = openPool(pg, db);
  await seedOrders(pool, 1);
  // The oldest unsent notice was written 5 minutes before the publication.
  await pool.query("UPDATE notices SET created_at = '2026-12-08T00:00:00Z'");
  await pool.end();
  const shop = database(db, { poolMax: 2, maxQueue: 2, maxQueueWaitMs: 30 });
  await shop.init();
  const d = new Dispatcher({
    db: shop,
    channels: [recordingChannel('alimtalk', 1).channel],
    deadlineMs: 1000,
    leaseMs: 4000,
    retryMs: 1000,
    breaker: { consecutiveFailures: 3, halfOpenAfterMs: 60_000 },
    logger: silentLogger,
    now: () => new Date('2026-12-08T00:05:00Z'),
  });
  const cw = mockClient(CloudWatchClient);
  cw.on(PutMetricDataCommand).resolves({});
  try {
    const metrics = new NotifyMetrics(
      d,
      cloudWatchPublisher(new CloudWatchClient({ region: REGION })),
      'shop/notify',
      REGION,
    );
    const at = new Date('2026-12-08T00:05:00Z');
    const region = [{ Name: 'Region', Value: REGION }];
    const counters = NOTIFY_CHANNEL_COUNTERS.map((key) => ({
      MetricName: NOTIFY_METRICS[key],
      Dimensions: [...region, { Name: 'Channel', Value: 'alimtalk' }],
      Timestamp: at,
      Unit: 'Count',
      Value: 0,
    }));
    const gauge = (MetricName: string, Value: number, Unit = 'Count') => ({
      MetricName,
      Dimensions: region,
      Timestamp: at,
      Unit,
      Value,
    });

    await metrics.publish(at);
    await pg.stop('fast');
    await metrics.publish(at);
    await pg.start();

    const calls = cw.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([
      {
        Namespace: 'shop/notify',
        MetricData: [
          ...counters,
          gauge('PublisherHeartbeat', 1),
          gauge('OutboxUnreadable', 0),
          gauge('OldestUnsentAgeSeconds', 300, 'Seconds'),
        ],
      },
      {
        // Database gone: alive, outbox unreadable, no age (missing, never a reassuring 0).
        Namespace: 'shop/notify',
        MetricData: [...counters, gauge('PublisherHeartbeat', 1), gauge('OutboxUnreadable', 1)],
      },
    ]);
  } finally {
    cw.restore();
    await shop.end();
  }
});
