/** Helpers of the notice suites: a migrated database, orders with contacts and notices, a dispatcher. */
import { randomUUID } from 'node:crypto';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { Pool } from 'pg';
import { migrate } from '../../shop/src/migrations';
import { saveContact, type Contact } from '../../shop/src/notify/contact';
import { notifySchema, type NotifySettings } from '../../shop/src/notify/config';
import { Dispatcher, type DispatcherOptions, type NoticeDb } from '../../shop/src/notify/dispatcher';
import type { NotifyOptions } from '../../shop/src/notify/index';
import { NhnAlimtalk, NhnSms } from '../../shop/src/notify/nhn';
import { enqueueNotice, type NoticeKind } from '../../shop/src/notify/outbox';
import { SesEmail } from '../../shop/src/notify/ses';
import { silentLogger } from '../../shop/src/types';
import { FAKE_CHANNEL_SECRET, type FakeChannel, type FakeChannelKind } from '../support/fake-channels';
import type { PostgresServer } from '../support/postgres';

export type Fakes = Record<FakeChannelKind, FakeChannel>;

/** A pool on `db` of `pg` as the outbox's NoticeDb (BEGIN/COMMIT around `fn`). */
export function poolDb(pool: Pool): NoticeDb {
  return {
    async transaction(fn) {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        const out = await fn(c);
        await c.query('COMMIT');
        return out;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        c.release();
      }
    },
  };
}

export function openPool(pg: PostgresServer, db: string): Pool {
  const pool = new Pool({ ...pg.connection(db), max: 4, connectionTimeoutMillis: 2000 });
  pool.on('error', () => undefined);
  return pool;
}

export async function migrated(pg: PostgresServer): Promise<string> {
  const db = await pg.createDatabase();
  await migrate(pg.connection(db));
  return db;
}

/**
 * `n` orders, each with a contact (distinct mobile number and e-mail) and one notice of `kind`,
 * written as the shop writes them: contact and notice in the order's transaction.
 */
export async function seedOrders(
  pool: Pool,
  n: number,
  kind: NoticeKind = 'payment-confirmed',
  contact: (i: number) => Omit<Contact, 'lang'> = (i) => ({
    phone: `0101234${String(i).padStart(4, '0')}`,
    email: `buyer${i}@example.com`,
  }),
): Promise<string[]> {
  const db = poolDb(pool);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = randomUUID();
    const cart = randomUUID();
    await db.transaction(async (c) => {
      await c.query("INSERT INTO carts (id, status) VALUES ($1, 'checked_out')", [cart]);
      await c.query(
        "INSERT INTO orders (id, cart_id, status, total_cents, region) VALUES ($1, $2, 'paid', 19000, 'ap-northeast-2')",
        [id, cart],
      );
      await saveContact(c, id, { ...contact(i), lang: i % 2 ? 'en' : 'ko' }, new Date());
      await enqueueNotice(c, id, kind, '', { amount: 19000 });
    });
    ids.push(id);
  }
  return ids;
}

const TEMPLATES = {
  'order-received': 'ORDER_RECEIVED',
  'payment-confirmed': 'PAY_OK',
  'payment-confirming': 'PAY_CHECKING',
  'awaiting-transfer': 'PAY_TRANSFER',
  'payment-failed': 'PAY_FAILED',
  'order-cancelled': 'ORDER_CANCELLED',
  'payment-refunded': 'PAY_REFUNDED',
};

/** An SES v2 client against the fake, `maxAttempts: 1` as in production, fake credentials. */
export function fakeSes(fakes: Fakes): SESv2Client {
  return new SESv2Client({
    region: 'ap-northeast-2',
    endpoint: fakes.email.url,
    maxAttempts: 1,
    credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake' },
  });
}

/** `SHOP_NOTIFY` settings (parsed) for the three fakes, in the chain order 알림톡, SMS, e-mail. */
export function notifySettings(fakes: Fakes, over: Record<string, unknown> = {}): NotifySettings {
  return notifySchema.parse({
    channels: [
      {
        id: 'alimtalk',
        kind: 'nhn-alimtalk',
        baseUrl: fakes.alimtalk.url,
        appKey: 'app',
        senderKey: 'sender',
        templates: TEMPLATES,
        secretName: 'shop/notify/alimtalk',
      },
      {
        id: 'sms',
        kind: 'nhn-sms',
        baseUrl: fakes.sms.url,
        appKey: 'app',
        sendNo: '0212345678',
        secretName: 'shop/notify/sms',
      },
      { id: 'email', kind: 'ses', from: 'orders@shop.example.com', baseUrl: fakes.email.url },
    ],
    deadlineMs: 1000,
    dispatchEverySeconds: 0.2,
    breaker: { consecutiveFailures: 3, halfOpenAfterMs: 60_000 },
    switchParameter: '/shop/notify/disabled',
    retrySeconds: 1,
    deliveryReports: { firstCheckSeconds: 0.2, everySeconds: 0.2, deadlineSeconds: 5 },
    ...over,
  });
}

/** The shop's `notify` options against the fakes (secrets and SES client of the fakes). */
export function notifyOptions(fakes: Fakes, extra: Partial<NotifyOptions> = {}): NotifyOptions {
  return {
    settings: notifySettings(fakes),
    readSecret: async () => ({ secretKey: FAKE_CHANNEL_SECRET }),
    switchReader: async () => '[]',
    sesClient: fakeSes(fakes),
    ...extra,
  };
}

/** The three adapters against the fakes; SES with `maxAttempts: 1` and fake credentials. */
export function fakeChannels(fakes: Fakes) {
  const secret = async () => FAKE_CHANNEL_SECRET;
  const ses = fakeSes(fakes);
  return [
    new NhnAlimtalk(
      { baseUrl: fakes.alimtalk.url, appKey: 'app', senderKey: 'sender', templates: TEMPLATES },
      secret,
    ),
    new NhnSms({ baseUrl: fakes.sms.url, appKey: 'app', sendNo: '0212345678' }, secret),
    new SesEmail({ from: 'orders@shop.example.com' }, ses),
  ];
}

/** A movable clock. */
export function clock(start = Date.now()) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => (t += ms) };
}

/**
 * A dispatcher against the fakes: 2 s deadline (the fakes answer in a few ms, or never), 10 s
 * lease, breaker opening after 3 failures in a row.
 */
export function dispatcher(pool: Pool, fakes: Fakes, over: Partial<DispatcherOptions> = {}): Dispatcher {
  return new Dispatcher({
    db: poolDb(pool),
    channels: fakeChannels(fakes),
    deadlineMs: 2000,
    leaseMs: 10_000,
    retryMs: 1000,
    breaker: { consecutiveFailures: 3, halfOpenAfterMs: 60_000 },
    batch: 50,
    logger: silentLogger,
    now: () => new Date(),
    ...over,
  });
}

/** Runs passes until nothing is due or `max` passes ran. */
export async function drain(d: Dispatcher, max = 10) {
  const totals = { passes: 0, sent: 0, refused: 0, unknown: 0, undeliverable: 0, recovered: 0 };
  for (let i = 0; i < max; i++) {
    const r = await d.dispatchOnce();
    totals.passes++;
    totals.sent += r.sent;
    totals.refused += r.refused;
    totals.unknown += r.unknown;
    totals.undeliverable += r.undeliverable;
    totals.recovered += r.recovered;
    if (r.claimed === 0 && r.recovered === 0) break;
  }
  return totals;
}

/**
 * The fakes' records against the outbox: notices the database calls sent that no fake delivered on
 * that channel (lost), notices no channel delivered at all, and deliveries per notice per channel
 * above one (duplicates).
 */
export async function ledger(pool: Pool, fakes: Fakes) {
  const notices = (
    await pool.query<{ id: string; status: string; channel: string | null }>(
      'SELECT id::text, status, channel FROM notices',
    )
  ).rows;
  const duplicates: Record<FakeChannelKind, number> = { alimtalk: 0, sms: 0, email: 0 };
  for (const f of Object.values(fakes))
    for (const count of f.perNotice().values()) if (count > 1) duplicates[f.kind] += count - 1;
  // Reached the customer: a message the fake took, unless its result said it was not delivered.
  const deliveredAnywhere = new Set(Object.values(fakes).flatMap((f) => [...f.reached()]));
  const lost = notices.filter(
    (n) =>
      !deliveredAnywhere.has(n.id) ||
      (n.status === 'sent' && !fakes[n.channel as FakeChannelKind].perNotice().has(n.id)),
  ).length;
  return {
    notices: notices.length,
    sent: notices.filter((n) => n.status === 'sent').length,
    open: notices.filter((n) => n.status === 'pending' || n.status === 'sending').length,
    lost,
    duplicates,
    byChannel: Object.fromEntries(
      (['alimtalk', 'sms', 'email'] as const).map((k) => [k, notices.filter((n) => n.channel === k).length]),
    ),
  };
}
