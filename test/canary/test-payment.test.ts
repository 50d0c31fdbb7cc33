/**
 * The real canary handler pays through the real shop's signed test-payment route (real PostgreSQL,
 * the HTTP fake providers): its verdicts tell "payment path broken" (the shop answers, the
 * provider's test cycle fails) from "shop down" (the journey fails, nothing is said of payments),
 * and a charge whose answer is lost is reported unknown, then refunded by the shop, never left.
 */
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { CANARY_METRICS, createHandler } from '../../lambda/canary/canary';
import { parseCanaryConfig } from '../../lambda/canary/config';
import { TestRequestGate } from '../../shop/src/signed-test-request';
import { FAKE_SECRET, startFakeProviders, type FakeProvider } from '../support/fake-pg';
import { sharedPostgres, type PostgresServer } from '../support/postgres';
import type { RunningShop } from '../shop/helpers';
import { paymentSettings, startPayShop } from '../shop/payment-helpers';
import { captureOutput } from './fakes';

const KEY = 'k'.repeat(64);
const REGION = 'ap-northeast-2';
const CARD = { cardNumber: '4330000000000000', cardExpirationYear: '30', cardExpirationMonth: '12' };

let pg: PostgresServer;
let fakes: { toss: FakeProvider; kakao: FakeProvider };
let shop: RunningShop;
let cw: CloudWatchClient;
let mock: AwsClientStub<CloudWatchClient>;

beforeAll(async () => {
  delete process.env.POWERTOOLS_DEV;
  [pg, fakes] = await Promise.all([sharedPostgres(), startFakeProviders()]);
  const base = paymentSettings(fakes);
  shop = await startPayShop(
    pg,
    await pg.createDatabase(),
    { ...base, providers: base.providers.map((p) => ({ ...p, testSecretName: `t/${p.id}` })) },
    { readSecret: async (name) => (name === 't/toss' ? { ...FAKE_SECRET, keyIn: CARD } : FAKE_SECRET) },
    { testRequests: new TestRequestGate({ readKeys: async () => [KEY] }) },
  );
});
afterAll(async () => {
  await shop?.close();
  await Promise.all([fakes?.toss.close(), fakes?.kakao.close()]);
  await pg?.destroy();
});
beforeEach(async () => {
  cw = new CloudWatchClient({ region: REGION });
  mock = mockClient(cw);
  mock.on(PutMetricDataCommand).resolves({});
  await fakes.toss.setMode('ok');
});
afterEach(() => mock.restore());

/** One canary run on `baseUrl`; the verdicts it published, by metric name. */
async function canary(baseUrl = shop.base) {
  const config = parseCanaryConfig({
    vantage: REGION,
    namespace: 'resilient-shop/canary',
    stepTimeoutMs: 3000,
    deadlineMs: 8000,
    verdictRegions: [REGION],
    targets: [{ id: 'public', kind: 'shop', baseUrl, requireWritable: true, testPayment: true }],
  });
  const out = captureOutput();
  try {
    const summary = await createHandler({ config, cloudWatchFor: () => cw, signingKey: async () => KEY })();
    const data = mock.commandCalls(PutMetricDataCommand).at(-1)!.args[0].input.MetricData ?? [];
    for (const d of data)
      expect(d.Dimensions).toEqual([
        { Name: 'Target', Value: 'public' },
        { Name: 'Vantage', Value: REGION },
      ]);
    return {
      result: summary.results[0],
      metrics: Object.fromEntries(data.map((d) => [d.MetricName, d.Value])),
    };
  } finally {
    out.restore();
  }
}

/** Test charges still standing on Toss's ledger. */
const standing = () => fakes.toss.charges().filter((c) => c.orderId.startsWith('canary-')).length;

test('healthy: paid in test mode and refunded; provider refused: payment path broken while the shop is up', async () => {
  const ok = await canary();
  expect(ok.result).toMatchObject({ ok: true, testPayment: 'ok' });
  expect(ok.metrics).toEqual({
    [CANARY_METRICS.targetFailed]: 0,
    [CANARY_METRICS.paymentPathBroken]: 0,
    [CANARY_METRICS.paymentPathUnknown]: 0,
  });
  expect(standing()).toBe(0);
  await fakes.toss.setMode('refuse');
  const broken = await canary();
  expect(broken.result).toMatchObject({ ok: true, testPayment: 'broken' });
  expect(broken.metrics).toEqual({
    [CANARY_METRICS.targetFailed]: 0,
    [CANARY_METRICS.paymentPathBroken]: 1,
    [CANARY_METRICS.paymentPathUnknown]: 0,
  });
});

test('the provider confirms and the answer is lost: unknown, then refunded by the shop; a shop down says nothing of payments', async () => {
  await fakes.toss.setMode('charge-then-timeout');
  const lost = await canary();
  expect(lost.result).toMatchObject({ ok: true, testPayment: 'unknown' });
  expect(lost.metrics).toMatchObject({
    [CANARY_METRICS.paymentPathBroken]: 0,
    [CANARY_METRICS.paymentPathUnknown]: 1,
  });
  expect(standing()).toBe(1);
  await fakes.toss.setMode('ok');
  expect((await canary()).result).toMatchObject({ testPayment: 'ok' });
  expect(standing()).toBe(0); // the route's reconcile pass refunded the lost one
  const down = await canary('http://127.0.0.1:9'); // nothing listens: the shop is down
  expect(down.result).toMatchObject({ ok: false });
  expect(down.metrics).toEqual({ [CANARY_METRICS.targetFailed]: 1 });
});
