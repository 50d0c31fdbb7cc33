/**
 * `shopctl drill payment-provider-outage` run for real against a real shop: in-process, on real
 * PostgreSQL, paying through the HTTP fake providers (test/support/fake-pg). The shop's fault switch
 * and the operator switch are read from the same in-memory values that the mocked SSM of shopctl
 * writes (the "SSM" both sides see); CloudWatch is aws-sdk-client-mock. A customer keeps buying with
 * easy-pay, preferring Toss, while the drill fails Toss: the breaker (not the operator) must open
 * and send easy-pay to KakaoPay. Counted on the fakes' ledgers: checkouts paid through KakaoPay
 * during the fault, double charges (0), lost paid orders (0); and the fault switch is back to `{}`
 * after Ctrl-C and after the deadline. With no customer at all, the drill's own synthetic checkouts
 * (signed drill orders paying through the faulted provider) open the breaker.
 */
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import type { HttpResponse } from '../../cli/aws/deps';
import { SyntheticCheckouts } from '../../cli/drill/payment-checkouts';
import { signTestRequest } from '../../lib/contract/test-signature';
import { TestRequestGate } from '../../shop/src/signed-test-request';
import { startFakeProviders, type FakeProvider } from '../support/fake-pg';
import { sharedPostgres, type PostgresServer } from '../support/postgres';
import { type RunningShop, waitFor } from '../shop/helpers';
import { buy, ledgerCheck, paymentSettings, startPayShop } from '../shop/payment-helpers';
import { PRIMARY, World } from './world';

const FAULT = '/resilient-shop/payments/drill-fault';
const SWITCH = '/resilient-shop/payments/disabled';
const HEALTH = `https://${PRIMARY}.shop.example.com/payments/health`;
/** The shop's test-signing key: the drill's synthetic checkouts are signed drill orders. */
const KEY = 'k'.repeat(64);

let pg: PostgresServer;
let db: string;
let fakes: { toss: FakeProvider; kakao: FakeProvider };
let shop: RunningShop;
/** What SSM holds in the primary region: shopctl writes it through the mock, the shop reads it. */
const ssm: Record<string, string> = {};
/** How far the drill's clock runs ahead of the machine's (the deadline test moves it). */
let skew = 0;

beforeAll(async () => {
  [pg, fakes] = await Promise.all([sharedPostgres(), startFakeProviders()]);
});
afterAll(async () => {
  await Promise.all([fakes?.toss.close(), fakes?.kakao.close()]);
  await pg?.destroy();
});
beforeEach(async () => {
  ssm[FAULT] = '{}';
  ssm[SWITCH] = '[]';
  skew = 0;
  // A shop (and its breakers) of its own per test, on a database of its own.
  db = await pg.createDatabase();
  shop = await startPayShop(
    pg,
    db,
    // A breaker that opens after 3 failures in a row (test/shop/payment-helpers.ts).
    { ...paymentSettings(fakes), faultParameter: FAULT },
    {
      switchReader: async () => ssm[SWITCH],
      faultReader: async () => ssm[FAULT],
      switchPollMs: 50,
    },
    { testRequests: new TestRequestGate({ readKeys: async () => [KEY] }) },
  );
});
afterEach(async () => {
  await shop.close();
});

/** Waits until the shop applies the operator switch `value` (its 50 ms poll). */
async function switchApplied(value: string): Promise<void> {
  await waitFor(async () => {
    const h = (await (await fetch(`${shop.base}/payments/health`)).json()) as {
      switch: { disabled: string[] };
    };
    return JSON.stringify(h.switch.disabled) === value;
  }, 5000);
}

/** A shopctl world whose SSM, /payments/health and clock are the real shop's. */
function drillWorld(signal = new AbortController().signal) {
  const w = new World();
  const reports: string[] = [];
  const m = w.m(PRIMARY);
  m.ssm.on(GetParameterCommand, { Name: FAULT }).callsFake(() => ({ Parameter: { Value: ssm[FAULT] } }));
  m.ssm.on(PutParameterCommand, { Name: FAULT }).callsFake((input: { Value: string }) => {
    ssm[FAULT] = input.Value;
    return { Version: 2 };
  });
  m.cloudwatch.on(GetMetricDataCommand).resolves({
    MetricDataResults: [{ Id: 'approvals1', Values: [2, 3] }],
  });
  w.extra = {
    ...w.extra,
    now: () => new Date(Date.now() + skew),
    sleep: (ms: number) => new Promise((r) => setTimeout(r, Math.min(ms, 40))),
    pollMs: 40,
    fetch: async (url: string, init?: { signal?: AbortSignal }): Promise<HttpResponse> => {
      if (url !== HEALTH) throw new Error(`unexpected fetch ${url}`);
      const res = await fetch(`${shop.base}/payments/health`, { signal: init?.signal ?? null });
      return { status: res.status, json: () => res.json() };
    },
    drillIo: {
      signal,
      writeFile: (_file, text) => reports.push(text),
      // The region's record is the local shop; signed as shopctl signs (cli/drill/signing.ts).
      paymentCheckouts: (o) => {
        checkoutTargets.push(o);
        return new SyntheticCheckouts({
          ...o,
          baseUrl: shop.base,
          fetch: globalThis.fetch,
          sign: async (header, method, path) => signTestRequest(KEY, header, method, path, Date.now()),
        });
      },
    },
  };
  return { w, reports };
}

/** Where the drill aimed its synthetic checkouts (before the test points them at the local shop). */
const checkoutTargets: { baseUrl: string; timeoutMs: number }[] = [];

/** Waits for `text` in the drill's output; fails with what it printed after `ms`. */
async function printed(w: World, text: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!w.out.includes(text)) {
    if (Date.now() > deadline) throw new Error(`"${text}" not printed; out:\n${w.out}\nerr:\n${w.err}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const faultPuts = (w: World) =>
  w
    .m(PRIMARY)
    .ssm.commandCalls(PutParameterCommand)
    .map((c) => c.args[0].input);

test('Toss refused: the breaker routes easy-pay to KakaoPay, no double charge, Ctrl-C restores the fault', async () => {
  const ctrl = new AbortController();
  const { w, reports } = drillWorld(ctrl.signal);
  const args = ['drill', 'payment-provider-outage', '--region', PRIMARY, '--provider', 'toss'];
  // Real traffic only: the customer's checkouts must open the breaker.
  const running = w.run(...args, '--minutes', '5', '--synthetic-checkouts', '0', '--yes');
  await printed(w, 'the shop applies the fault');
  const faultStart = Date.now();
  const kakaoBefore = fakes.kakao.charges().length;
  const tossBefore = fakes.toss.charges().length;
  // A customer who prefers Toss: refused until the breaker opens, then paid through KakaoPay.
  let failed = 0;
  let paidViaKakao = 0;
  while (paidViaKakao < 3 && Date.now() - faultStart < 20_000) {
    const r = await buy(shop.base, 'easy-pay', 'toss');
    if (r.result?.json?.payment === 'paid') paidViaKakao += r.pay.json.provider === 'kakaopay' ? 1 : 0;
    else failed++;
  }
  await printed(w, 'routing switched');
  ctrl.abort();
  expect(await running).toBe(130);

  expect(paidViaKakao).toBe(3);
  expect(failed).toBe(3); // the breaker's 3 failures in a row, no more
  expect(fakes.kakao.charges().length - kakaoBefore).toBe(3);
  expect(fakes.toss.charges().length).toBe(tossBefore);
  expect(await ledgerCheck(pg, db, [fakes.toss, fakes.kakao])).toMatchObject({
    doubleCharges: 0,
    lostPaidOrders: 0,
    unpaidButPaid: 0,
  });
  // Written once, restored once, both exactly; the shop let go of it.
  const puts = faultPuts(w);
  expect(puts).toHaveLength(2);
  expect(puts[0]).toMatchObject({ Name: FAULT, Type: 'String', Overwrite: true });
  expect(JSON.parse(puts[0].Value!)).toEqual({
    provider: 'toss',
    mode: 'refuse',
    until: expect.any(String),
    by: 'alice@laptop',
  });
  expect(puts[1]).toEqual({ Name: FAULT, Value: '{}', Type: 'String', Overwrite: true });
  expect(ssm[FAULT]).toBe('{}');
  expect(w.out).toContain('breaker detected the outage: toss/easy-pay open');
  expect(w.out).toContain('routing switched: easy-pay via kakaopay');
  expect(w.out).toContain('the shop in ap-northeast-2 no longer applies the fault');
  // The window's metrics: one query per provider, method and measure, exact.
  const q = w.m(PRIMARY).cloudwatch.commandCalls(GetMetricDataCommand)[0].args[0].input;
  expect(q.MetricDataQueries).toHaveLength(3 * 4);
  expect(q.MetricDataQueries![4]).toEqual({
    Id: 'attempts1',
    MetricStat: {
      Metric: {
        Namespace: 'resilient-shop/payments',
        MetricName: 'Attempts',
        Dimensions: [
          { Name: 'Region', Value: PRIMARY },
          { Name: 'Provider', Value: 'toss' },
          { Name: 'Method', Value: 'easy-pay' },
        ],
      },
      Period: 60,
      Stat: 'Sum',
    },
  });
  expect(reports[0]).toMatch(/\| applied → breaker open \(detection\) \| \d+ s \|/);
  expect(reports[0]).toContain('| toss | easy-pay | 0 | 5 | 0 | 0 |');
  expect(w.auditRecords().at(-1)).toMatchObject({ command: 'drill', result: 'interrupted' });
});

test('the deadline restores the fault; no checkout during it is a finding, not a pass', async () => {
  const { w } = drillWorld();
  const running = w.run(
    'drill',
    'payment-provider-outage',
    '--provider',
    'toss',
    '--minutes',
    '1',
    '--synthetic-checkouts',
    '0',
    '--yes',
  );
  await printed(w, 'the shop applies the fault');
  skew = 61_000; // the drill's minute is over; the shop, on the real clock, still applies the fault
  expect(await running).toBe(1);
  expect(ssm[FAULT]).toBe('{}');
  expect(w.out).toContain('1 min passed: restoring');
  expect(w.err).toContain('FINDING: the breaker of toss did not open within the drill');
});

test('refused without --force when KakaoPay is already down; --dry-run writes nothing', async () => {
  ssm[SWITCH] = '["provider:kakaopay"]';
  await switchApplied('["provider:kakaopay"]');
  const { w } = drillWorld();
  expect(await w.run('drill', 'payment-provider-outage', '--provider', 'toss', '--yes')).toBe(2);
  expect(w.err).toContain(
    'the other provider of easy-pay is already down: kakaopay/easy-pay (switched off); the fault would leave customers without easy-pay',
  );
  expect(w.err).toContain('no online method would be left');
  ssm[SWITCH] = '[]';
  await switchApplied('[]');
  const dry = drillWorld();
  expect(await dry.w.run('drill', 'payment-provider-outage', '--provider', 'toss', '--dry-run')).toBe(0);
  expect(dry.w.out).toContain('warning: card: only toss takes it');
  expect(dry.w.out).toContain(
    'restore (always, also on Ctrl-C): npx shopctl drill payment-provider-outage --region ap-northeast-2 --restore --yes',
  );
  expect([...faultPuts(w), ...faultPuts(dry.w)]).toEqual([]);
  expect(dry.w.auditRecords().at(-1)).toMatchObject({ command: 'drill', result: 'dry-run' });
});

test("no customer at all: the drill's own synthetic checkouts open the breaker, and KakaoPay takes the next payment", async () => {
  const ctrl = new AbortController();
  const { w, reports } = drillWorld(ctrl.signal);
  const tossConfirms = fakes.toss.calls['/v1/payments/confirm'] ?? 0;
  const tossCharged = fakes.toss.everCharged().length;
  const kakaoCharged = fakes.kakao.charges().length;
  const stock = async () =>
    Number((await pg.sql<{ n: string }>('SELECT sum(stock) AS n FROM products', [], db))[0].n);
  const stockBefore = await stock();
  checkoutTargets.length = 0;
  const running = w.run(
    'drill',
    'payment-provider-outage',
    '--region',
    PRIMARY,
    '--provider',
    'toss',
    '--minutes',
    '5',
    '--yes',
  );
  await printed(w, 'routing switched: easy-pay via kakaopay');
  // The first customer after the switch: paid through KakaoPay, without a failure first.
  const customer = await buy(shop.base, 'easy-pay');
  expect(customer.pay.json.provider).toBe('kakaopay');
  expect(customer.result?.json).toMatchObject({ payment: 'paid' });
  ctrl.abort();
  expect(await running).toBe(130);

  // Aimed at the region's own record, with a deadline past the provider's timeout (the config's
  // 8000 ms, plus the CLI's HTTP deadline of 5000 ms).
  expect(checkoutTargets).toEqual([{ baseUrl: `https://${PRIMARY}.shop.example.com`, timeoutMs: 13_000 }]);
  expect(w.out).toContain(
    'synthetic checkouts: up to 30 drill orders (signed, no stock taken) paying easy-pay with toss',
  );
  // The shop's breaker opens after 3 (the CLI's config says 10 a batch, 3 x 10 in all): the 4th found
  // no provider and the batch stopped. All failed inside the shop: nothing reached Toss.
  expect(w.out).toContain(
    'synthetic checkouts: 4 sent: 3 failed at toss, 1 found no provider, 0 refused, 0 errors',
  );
  expect(w.out).toContain('breaker detected the outage: toss/easy-pay open');
  expect(fakes.toss.calls['/v1/payments/confirm'] ?? 0).toBe(tossConfirms);
  expect(fakes.toss.everCharged()).toHaveLength(tossCharged);
  expect(fakes.kakao.charges()).toHaveLength(kakaoCharged + 1);
  const drillAttempts = await pg.sql<{ provider: string; status: string; failure_code: string }>(
    'SELECT a.provider, a.status, a.failure_code FROM payment_attempts a JOIN orders o ON o.id = a.order_id WHERE o.drill',
    [],
    db,
  );
  expect(drillAttempts).toEqual(
    Array.from({ length: 3 }, () => ({ provider: 'toss', status: 'failed', failure_code: 'connect' })),
    // (the 4th drill order found no provider: no attempt)
  );
  // Drill orders take no stock: only the customer's order did.
  expect(await stock()).toBe(stockBefore - 1);
  // The ledgers (shared by the suite's tests): this test's one charge is the customer's, paid here.
  const newCharge = fakes.kakao.charges().at(-1)!;
  expect(newCharge.orderId).toBe(customer.pay.json.attemptId);
  expect(await pg.sql("SELECT id FROM orders WHERE status = 'paid'", [], db)).toEqual([
    { id: customer.orderId },
  ]);
  expect(ssm[FAULT]).toBe('{}');
  expect(reports[0]).toContain(
    "| the drill's synthetic checkouts | 4 sent: 3 failed at toss, 1 found no provider, 0 refused, 0 errors |",
  );
  expect(w.err).not.toContain('FINDING');
});

test('a drill order never reaches a provider without the fault: refused before any call', async () => {
  const checkouts = new SyntheticCheckouts({
    baseUrl: shop.base,
    fetch: globalThis.fetch,
    timeoutMs: 2000,
    sign: async (header, method, path) => signTestRequest(KEY, header, method, path, Date.now()),
  });
  // Every call that could move money or prepare a window (the transaction-list sweep runs on its own).
  const paymentCalls = () =>
    JSON.stringify(
      [fakes.toss.calls, fakes.kakao.calls].map((c) =>
        Object.entries(c).filter(([endpoint]) => endpoint !== '/v1/transactions'),
      ),
    );
  const calls = paymentCalls();
  const ctx = { signal: new AbortController().signal, callTimeoutMs: 2000 };
  expect(await checkouts.send(ctx, 'toss', 'card', true)).toEqual({
    outcome: 'refused',
    detail:
      'pay: A drill order pays only through a provider the game day has faulted; nothing was sent to any provider.',
  });
  expect(await checkouts.send(ctx, 'kakaopay', 'easy-pay', false)).toMatchObject({ outcome: 'refused' });
  expect(paymentCalls()).toBe(calls);
  // Unsigned, the drill header is refused and no order is placed.
  const unsigned = new SyntheticCheckouts({ baseUrl: shop.base, fetch: globalThis.fetch, timeoutMs: 2000 });
  expect((await unsigned.send(ctx, 'toss', 'card', true)).outcome).toBe('error');
  expect((await pg.sql('SELECT 1 FROM orders', [], db)).length).toBe(2);
});

test("KakaoPay faulted, no customer: its window's ready fails inside the shop, the breaker opens, Toss takes easy-pay", async () => {
  const ctrl = new AbortController();
  const { w } = drillWorld(ctrl.signal);
  const readies = fakes.kakao.calls['/online/v1/payment/ready'] ?? 0;
  const running = w.run(
    'drill',
    'payment-provider-outage',
    '--provider',
    'kakaopay',
    '--minutes',
    '5',
    '--yes',
  );
  await printed(w, 'routing switched: easy-pay via toss');
  const customer = await buy(shop.base, 'easy-pay');
  expect(customer.pay.json.provider).toBe('toss');
  expect(customer.result?.json).toMatchObject({ payment: 'paid' });
  ctrl.abort();
  expect(await running).toBe(130);
  // The shop tells "the fault failed it" from "no provider": 3 failed (the breaker's), then 1 found none.
  expect(w.out).toContain(
    'synthetic checkouts: 4 sent: 3 failed at kakaopay, 1 found no provider, 0 refused, 0 errors',
  );
  expect(w.out).toContain('breaker detected the outage: kakaopay/easy-pay open');
  expect(fakes.kakao.calls['/online/v1/payment/ready'] ?? 0).toBe(readies);
  expect(ssm[FAULT]).toBe('{}');
});
