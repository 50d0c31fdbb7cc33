/**
 * The "messenger down" scenario of `npm run drill:local`: real PostgreSQL, the shop running its
 * notice dispatcher (shop/src/notify) against the fake channels (test/support/fake-channels), and
 * customers checking out with a phone and an e-mail all the time. Mid-run 알림톡 first refuses
 * connections, recovers, then stalls (takes the message and never answers), recovers, then accepts
 * every message and reports it undelivered through its result look-up. For each fault: the
 * time until notices flow through the next channel (the first SMS the fake took after the fault
 * began); after the run and a drain: notices lost (no channel reached the customer) and duplicates
 * per channel, counted on the fakes' own records against the outbox and the orders the customers
 * were told were placed. Lost and duplicates must be 0.
 */
import { Pool } from 'pg';
import { notifyOptions, notifySettings } from '../../test/notify/harness';
import { postJson, startShop } from '../../test/shop/helpers';
import { startFakeChannels, type FakeChannel, type FakeChannelKind } from '../../test/support/fake-channels';
import { startPostgres, type PostgresServer } from '../../test/support/postgres';

type Fakes = Record<FakeChannelKind, FakeChannel>;
type PerChannel = Record<FakeChannelKind, number>;

/** One fault phase. */
export interface MessengerPhase {
  /** Seconds from the fault's start to the first notice the SMS fake took; null: none. */
  throughNextS: number | null;
  /** Notices written while the fault lasted, and the channel that delivered each. */
  notices: number;
  byChannel: PerChannel;
}

export interface MessengerResult {
  scenario: string;
  /** Orders whose checkout answered 201 (each has a contact, so each needs a notice). */
  acknowledged: number;
  notices: number;
  /** Notices still pending or sending after the drain. */
  open: number;
  /**
   * Acknowledged orders no fake delivered a notice for, plus notices the outbox calls sent that the
   * fake of that channel never took.
   */
  lost: number;
  /** Deliveries of one notice on one channel beyond the first, per channel. */
  duplicates: PerChannel;
  refuse: MessengerPhase;
  stall: MessengerPhase;
  /** 알림톡 accepts every message and its result look-up reports it undelivered. */
  undelivered: MessengerPhase;
}

export const MESSENGER_SCENARIO = '알림톡 refuses, stalls, then reports undelivered';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs the scenario on a fresh database `db` of `pg` with the given fakes (left open for the
 * caller). Breaker: 3 failures in a row, half-open after 1 s (production: 30 s), so that 알림톡
 * carries notices again between the faults; deadline 1 s; a pass every 0.2 s; delivery results
 * looked up 0.2 s after the accept and every 0.2 s, unknown after 5 s (production: 10 s, 30 s, 10 min).
 */
export async function runMessengerScenario(
  pg: PostgresServer,
  fakes: Fakes,
  db: string,
  opts: { customers?: number; steadyMs?: number; faultMs?: number; log?: (l: string) => void } = {},
): Promise<MessengerResult> {
  const log = opts.log ?? (() => undefined);
  const faultMs = opts.faultMs ?? 5000;
  const settings = notifySettings(fakes, { breaker: { consecutiveFailures: 3, halfOpenAfterMs: 1000 } });
  const shop = await startShop(pg, db, { notify: notifyOptions(fakes, { settings }), cartCleanup: false });
  const pool = new Pool({ ...pg.connection(db), max: 2 });
  pool.on('error', () => undefined);
  try {
    let running = true;
    const acknowledged: string[] = [];
    let n = 0;
    const customers = Array.from({ length: opts.customers ?? 4 }, async () => {
      while (running) {
        const i = n++;
        try {
          const cart = await postJson(shop.base, '/cart', { productId: 2, quantity: 1 });
          const res = await postJson(shop.base, '/checkout', {
            cartId: cart.json.cartId,
            phone: `010${String(50_000_000 + i)}`,
            email: `drill${i}@example.com`,
            consent: true,
          });
          if (res.status === 201) acknowledged.push(res.json.orderId as string);
        } catch {
          // A failed checkout told the customer nothing was ordered: no notice is owed.
        }
        await sleep(50);
      }
    });
    const health = async () =>
      (await (await fetch(`${shop.base}/notify/health`)).json()) as { channels: { breaker: string }[] };

    await sleep(opts.steadyMs ?? 1000);
    const refuseAt = Date.now();
    await fakes.alimtalk.setMode('down');
    log(`${MESSENGER_SCENARIO}: 알림톡 refuses connections`);
    await sleep(faultMs);
    const refuseEnd = Date.now();
    await fakes.alimtalk.setMode('ok');
    // Recovered once the breaker closed again and 알림톡 took a notice (bounded).
    const recovered = async () => {
      const okAt = fakes.alimtalk.delivered.length;
      for (const end = Date.now() + 10_000; Date.now() < end; await sleep(50))
        if ((await health()).channels[0].breaker === 'closed' && fakes.alimtalk.delivered.length > okAt)
          break;
    };
    await recovered();
    log(`${MESSENGER_SCENARIO}: 알림톡 back; now it stalls`);
    const stallAt = Date.now();
    await fakes.alimtalk.setMode('stall');
    await sleep(faultMs);
    const stallEnd = Date.now();
    await fakes.alimtalk.setMode('ok');
    await recovered();
    log(`${MESSENGER_SCENARIO}: 알림톡 back; now it accepts and reports every message undelivered`);
    const undeliveredAt = Date.now();
    fakes.alimtalk.reportMode = 'failed';
    await sleep(faultMs);
    const undeliveredEnd = Date.now();
    fakes.alimtalk.reportMode = 'delivered';
    running = false;
    await Promise.all(customers);
    // Drain: every notice sent (a stalled send is cut at the deadline; the lease covers a dead one)
    // and every 알림톡/SMS result read (the report deadline covers a result that never comes).
    for (const end = Date.now() + 15_000; Date.now() < end; await sleep(100)) {
      const r = await pool.query(
        `SELECT 1 FROM notices WHERE status IN ('pending', 'sending')
         UNION ALL SELECT 1 FROM notice_attempts WHERE delivery = 'accepted' AND delivery_check_at IS NOT NULL
         LIMIT 1`,
      );
      if (r.rowCount === 0) break;
    }
    const rows = (
      await pool.query<{ id: string; order_id: string; status: string; channel: string | null; at: Date }>(
        'SELECT id::text, order_id, status, channel, created_at AS at FROM notices',
      )
    ).rows;
    const all = Object.values(fakes);
    // Reached the customer: taken by a fake and not reported undelivered.
    const delivered = new Set(all.flatMap((f) => [...f.reached()]));
    const noticeOf = new Map(rows.map((r) => [r.order_id, r]));
    const lost =
      acknowledged.filter((o) => !noticeOf.has(o) || !delivered.has(noticeOf.get(o)!.id)).length +
      rows.filter((r) => r.status === 'sent' && !fakes[r.channel as FakeChannelKind].perNotice().has(r.id))
        .length;
    const duplicates = { alimtalk: 0, sms: 0, email: 0 };
    for (const f of all) for (const c of f.perNotice().values()) if (c > 1) duplicates[f.kind] += c - 1;
    const phase = (from: number, to: number): MessengerPhase => {
      const during = rows.filter((r) => r.at.getTime() >= from && r.at.getTime() < to);
      const byChannel = { alimtalk: 0, sms: 0, email: 0 };
      for (const r of during) if (r.channel) byChannel[r.channel as FakeChannelKind]++;
      // The first SMS of a notice written during the fault (earlier notices still in the chain
      // when it began say nothing about how fast this fault is handled).
      const ids = new Set(during.map((r) => r.id));
      const first = fakes.sms.delivered.find((d) => ids.has(d.noticeId));
      const throughNextS = first ? Math.round((first.at - from) / 100) / 10 : null;
      return { throughNextS, notices: during.length, byChannel };
    };
    const result: MessengerResult = {
      scenario: MESSENGER_SCENARIO,
      acknowledged: acknowledged.length,
      notices: rows.length,
      open: rows.filter((r) => r.status === 'pending' || r.status === 'sending').length,
      lost,
      duplicates,
      refuse: phase(refuseAt, refuseEnd),
      stall: phase(stallAt, stallEnd),
      undelivered: phase(undeliveredAt, undeliveredEnd),
    };
    log(`${MESSENGER_SCENARIO}: ${JSON.stringify(result)}`);
    return result;
  } finally {
    await shop.close();
    await pool.end();
  }
}

/** The scenario on its own PostgreSQL server and fakes; failures name what broke the rules. */
export async function runMessengerDrill(
  opts: { customers?: number; faultMs?: number; log?: (l: string) => void } = {},
): Promise<{ results: MessengerResult[]; failures: string[] }> {
  const pg = await startPostgres();
  const fakes = await startFakeChannels();
  let r: MessengerResult;
  try {
    r = await runMessengerScenario(pg, fakes, await pg.createDatabase('drillnotify'), opts);
  } finally {
    await Promise.all(Object.values(fakes).map((f) => f.close()));
    await pg.destroy();
  }
  const dup = Object.entries(r.duplicates).filter(([, n]) => n > 0);
  const failures = [
    ...(r.lost ? [`${r.scenario}: ${r.lost} notices lost`] : []),
    ...dup.map(([ch, n]) => `${r.scenario}: ${n} duplicate notices on ${ch}`),
    ...(r.open ? [`${r.scenario}: ${r.open} notices still unsent after the drain`] : []),
    ...(r.refuse.throughNextS === null ? [`${r.scenario}: no notice went by SMS while 알림톡 refused`] : []),
    ...(r.stall.throughNextS === null ? [`${r.scenario}: no notice went by SMS while 알림톡 stalled`] : []),
    ...(r.undelivered.throughNextS === null
      ? [`${r.scenario}: no notice went by SMS while 알림톡 reported undelivered`]
      : []),
  ];
  return { results: [r], failures };
}

/** The drill's messenger table: one row per fault, then the whole run's counts. */
export function formatMessengerTable(results: MessengerResult[]): string {
  const ch = (c: PerChannel) => `${c.alimtalk} / ${c.sms} / ${c.email}`;
  const rows = results.flatMap((r) => [
    `| ${r.scenario} | refuse | ${r.refuse.throughNextS ?? 'never'} | ${r.refuse.notices} | ${ch(r.refuse.byChannel)} | | |`,
    `| ${r.scenario} | stall | ${r.stall.throughNextS ?? 'never'} | ${r.stall.notices} | ${ch(r.stall.byChannel)} | | |`,
    `| ${r.scenario} | undelivered | ${r.undelivered.throughNextS ?? 'never'} | ${r.undelivered.notices} | ${ch(r.undelivered.byChannel)} | | |`,
    `| ${r.scenario} | whole run | | ${r.notices} (${r.acknowledged} orders) | | ${r.lost} | ${ch(r.duplicates)} |`,
  ]);
  return [
    '| messenger scenario | fault | through SMS after s | notices | sent by 알림톡 / SMS / e-mail | lost | duplicates 알림톡 / SMS / e-mail |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** What the messenger table's columns mean. */
export const MESSENGER_LEGEND = [
  'messenger scenario: customers check out with a phone and an e-mail all the time; 알림톡 refuses connections, recovers, stalls,',
  '                  recovers, then accepts every message and reports it undelivered',
  "  refuse          알림톡's port closed (connection refused: certainly not delivered; 알림톡 may be tried again later)",
  '  stall           알림톡 takes the message and never answers (worst case: maybe delivered; 알림톡 is never tried again for it)',
  '  undelivered     알림톡 accepts, then its result look-up says not delivered (3019, not a KakaoTalk user): SMS sends it',
  "  through SMS     seconds from the fault's start until the SMS fake took the first notice written during the fault",
  '  notices         notices written while the fault lasted (whole run: all, and the orders acknowledged to customers)',
  '  sent by         the channel the outbox records as having delivered each of those notices',
  '  lost            acknowledged orders no fake delivered a notice to the customer for + notices marked sent that the fake never took (must be 0)',
  "  duplicates      deliveries of one notice on one channel beyond the first, on the fakes' records (must be 0 per channel;",
  '                  after a stall the same notice may arrive once by 알림톡 and once by SMS, which is not a duplicate)',
  '  settings        deadline 1 s, a pass every 0.2 s, breaker opens after 3 failures in a row and half-opens after 1 s;',
  '                  results looked up 0.2 s after the accept and every 0.2 s, unknown after 5 s',
].join('\n');
