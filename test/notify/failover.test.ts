/**
 * A regional failover with unsent notices: the outbox is in the database, so it fails over with it.
 * Notices are written on the primary, some sent, one left mid-send by a dispatcher that dies; the
 * primary goes away, the standby is promoted, and a dispatcher in the other region finishes the
 * work from the promoted database. Counted on the fakes: 0 lost, 0 duplicates per channel.
 */
import { startFakeChannels } from '../support/fake-channels';
import { startPostgres, type PostgresServer } from '../support/postgres';
import { clock, dispatcher, drain, type Fakes, ledger, migrated, openPool, seedOrders } from './harness';

let primary: PostgresServer;
let standby: PostgresServer;
let fakes: Fakes;

beforeAll(async () => {
  primary = await startPostgres();
  fakes = await startFakeChannels();
});
afterAll(async () => {
  await Promise.all(Object.values(fakes ?? {}).map((f) => f.close()));
  await standby?.destroy();
  await primary?.destroy();
});

test('notices unsent at failover are sent from the promoted standby, none lost, none twice on a channel', async () => {
  const db = await migrated(primary);
  standby = await primary.createStandby();
  const poolA = openPool(primary, db);
  await seedOrders(poolA, 8);
  const c = clock();
  // Region A sends 3, then dies in the middle of a 4th (after 알림톡 took it, before the update).
  await drain(dispatcher(poolA, fakes, { batch: 3, now: c.now }), 1);
  let calls = 0;
  const dying = dispatcher(poolA, fakes, {
    batch: 1,
    now: c.now,
    hooks: {
      afterSend: () => {
        calls++;
        throw new Error('region A lost');
      },
    },
  });
  // The pass ends (a send that cannot be settled is logged and left to the lease), nothing settled.
  expect(await dying.dispatchOnce()).toMatchObject({ claimed: 1, sent: 0 });
  expect(calls).toBe(1);
  expect(fakes.alimtalk.delivered).toHaveLength(4);
  await poolA.end();
  // A fast stop streams the remaining WAL to the standby first (as the shop's promotion test does).
  await primary.stop('fast');
  await standby.sql('SELECT pg_promote(true, 30)');

  const poolB = openPool(standby, db);
  try {
    const before = await poolB.query<{ status: string; n: string }>(
      'SELECT status, count(*) AS n FROM notices GROUP BY 1 ORDER BY 1',
    );
    expect(before.rows).toEqual([
      { status: 'pending', n: '4' },
      { status: 'sending', n: '1' },
      { status: 'sent', n: '3' },
    ]);
    const regionB = dispatcher(poolB, fakes, { now: c.now });
    expect(await drain(regionB)).toMatchObject({ sent: 4, recovered: 0 });
    c.advance(10_001); // the dead sender's lease runs out
    expect(await drain(regionB)).toMatchObject({ recovered: 1, sent: 1 });
    expect(await ledger(poolB, fakes)).toMatchObject({
      notices: 8,
      sent: 8,
      open: 0,
      lost: 0,
      duplicates: { alimtalk: 0, sms: 0, email: 0 },
      byChannel: { alimtalk: 7, sms: 1, email: 0 },
    });
    expect(fakes.alimtalk.delivered).toHaveLength(8);
    expect(fakes.sms.delivered).toHaveLength(1);
  } finally {
    await poolB.end();
  }
});
