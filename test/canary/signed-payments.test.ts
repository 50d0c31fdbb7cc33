import {
  CloudWatchClient,
  PutMetricDataCommand,
  type PutMetricDataCommandInput,
} from '@aws-sdk/client-cloudwatch';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { createHandler, type CanarySummary } from '../../lambda/canary/canary';
import { parseCanaryConfig } from '../../lambda/canary/config';
import { TestRequestGate } from '../../shop/src/signed-test-request';
import { startShop as startRealShop, type RunningShop } from '../shop/helpers';
import { sharedPostgres, type PostgresServer } from '../support/postgres';
import { captureOutput, startShop as startFakeShop, type FakeServer, type ShopBehaviour } from './fakes';

const KEY = 's'.repeat(64);
const REGION = 'ap-northeast-2';

let pg: PostgresServer;
let real: RunningShop;
let fake: FakeServer<ShopBehaviour>;
let client: CloudWatchClient;
let cw: AwsClientStub<CloudWatchClient>;

beforeAll(async () => {
  delete process.env.POWERTOOLS_DEV;
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  pg = await sharedPostgres();
  const db = await pg.createDatabase();
  // A real shop that checks signatures with KEY (real PostgreSQL behind it).
  real = await startRealShop(pg, db, { testRequests: new TestRequestGate({ readKeys: async () => [KEY] }) });
  fake = await startFakeShop();
});
afterAll(async () => {
  await real?.close();
  await fake?.close();
  await pg?.destroy();
});
beforeEach(() => {
  client = new CloudWatchClient({ region: REGION });
  cw = mockClient(client);
  cw.on(PutMetricDataCommand).resolves({});
  fake.behaviour = {};
});
afterEach(() => cw.restore());

async function run(
  baseUrl: string,
  signingKey?: () => Promise<string>,
  payments = false,
): Promise<CanarySummary> {
  const config = parseCanaryConfig({
    vantage: REGION,
    namespace: 'resilient-shop/canary',
    stepTimeoutMs: 2000,
    deadlineMs: 8000,
    verdictRegions: [REGION],
    signingSecretName: 'resilient-shop/test-signing',
    targets: [
      { id: REGION, kind: 'shop', baseUrl, requireWritable: false, ...(payments ? { payments } : {}) },
    ],
  });
  const out = captureOutput();
  try {
    return await createHandler({
      config,
      cloudWatchFor: () => client,
      ...(signingKey ? { signingKey } : {}),
    })();
  } finally {
    out.restore();
  }
}

const data = () =>
  cw
    .commandCalls(PutMetricDataCommand)
    .flatMap((c) => (c.args[0].input as PutMetricDataCommandInput).MetricData ?? []);

describe('the canary signs its synthetic checkout', () => {
  test("with the shop's key: the real shop runs the whole path, rolled back", async () => {
    const s = await run(real.base, async () => KEY);
    expect(s.results[0]).toMatchObject({ ok: true, mode: 'read-write' });
  });

  test('with another key: the shop refuses (403) and the journey fails at checkout', async () => {
    const s = await run(real.base, async () => 'w'.repeat(64));
    expect(s.results[0]).toMatchObject({
      ok: false,
      failedStep: 'checkout',
      reason: 'status 403 (expected 200)',
    });
  });

  test('without a key (not configured): the unsigned header is refused by a shop that checks', async () => {
    const s = await run(real.base);
    expect(s.results[0]).toMatchObject({
      ok: false,
      failedStep: 'checkout',
      reason: 'status 403 (expected 200)',
    });
  });

  test('a key that cannot be read fails the checkout step with the reason, and sends nothing unsigned', async () => {
    const s = await run(real.base, async () => {
      throw new Error('AccessDeniedException');
    });
    expect(s.results[0]).toMatchObject({
      ok: false,
      failedStep: 'checkout',
      reason: 'cannot sign the synthetic checkout: AccessDeniedException',
    });
  });
});

describe('its verdict tells payments down from shop down', () => {
  test.each([
    ['ok', 'ok', 0],
    ['degraded', 'ok', 0],
    ['all-online-down', 'payments-down', 1],
  ] as const)(
    'shop up, payments %s: verdict %s, PaymentsDown %d, TargetFailed 0',
    async (payments, verdict, down) => {
      fake.behaviour = { payments };
      const s = await run(fake.url, undefined, true);
      expect(s.results[0]).toMatchObject({ ok: true, verdict, payments });
      expect(data().map((d) => [d.MetricName, d.Value])).toEqual([
        ['TargetFailed', 0],
        ['PaymentsDown', down],
      ]);
    },
  );

  test('shop down: verdict shop-down, TargetFailed 1, no PaymentsDown (a shop that is down says nothing of payments)', async () => {
    fake.behaviour = { payments: 'all-online-down', fail: 'home' };
    const s = await run(fake.url, undefined, true);
    expect(s.results[0]).toMatchObject({ ok: false, verdict: 'shop-down' });
    expect(data().map((d) => [d.MetricName, d.Value])).toEqual([['TargetFailed', 1]]);
  });

  test('a shop without payments health: the journey verdict alone, no PaymentsDown', async () => {
    const s = await run(fake.url, undefined, true);
    expect(s.results[0]).toMatchObject({ ok: true, payments: 'unreachable' });
    expect(data().map((d) => d.MetricName)).toEqual(['TargetFailed']);
  });
});
