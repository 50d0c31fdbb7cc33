/**
 * The parts of payments that talk to AWS or parse configuration, without a database: metrics as
 * one PutMetricData with exact arguments (aws-sdk-client-mock), the SSM switch reader and its
 * keep-the-last-value rule, and SHOP_PAYMENTS errors that name the key.
 */
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { parsePayments } from '../../shop/src/payments/config';
import { cloudWatchPublisher, PaymentMetrics } from '../../shop/src/payments/metrics';
import { PaymentSwitch, ssmSwitchReader } from '../../shop/src/payments/switch';
import { silentLogger } from '../../shop/src/types';

const cw = mockClient(CloudWatchClient);
const ssm = mockClient(SSMClient);
beforeEach(() => {
  cw.reset();
  ssm.reset();
});

test('metrics: one PutMetricData per minute with counts per provider and method, latency values and the two gauges', async () => {
  cw.on(PutMetricDataCommand).resolves({});
  const metrics = new PaymentMetrics(
    'shop/payments',
    'ap-northeast-2',
    cloudWatchPublisher(new CloudWatchClient({ region: 'ap-northeast-2' })),
    silentLogger,
  );
  const at = new Date('2026-12-07T12:00:00Z');
  for (const [kind, latencyMs] of [
    ['approved', 301],
    ['approved', 298],
    ['declined', 120],
    ['error', 4],
    ['unknown', 8000],
  ] as const)
    metrics.record({ provider: 'toss', method: 'card', kind, latencyMs, at: 0 });
  await metrics.publish(at, { unresolvedUnknowns: 1, onlineMethodsAvailable: 2 });
  const dims = [
    { Name: 'Region', Value: 'ap-northeast-2' },
    { Name: 'Provider', Value: 'toss' },
    { Name: 'Method', Value: 'card' },
  ];
  const count = (MetricName: string, Value: number) => ({
    MetricName,
    Dimensions: dims,
    Timestamp: at,
    Unit: 'Count',
    Value,
  });
  expect(cw.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input)).toEqual([
    {
      Namespace: 'shop/payments',
      MetricData: [
        count('Attempts', 5),
        count('Approvals', 2),
        count('CustomerDeclines', 1),
        count('ProviderErrors', 1),
        count('Unknowns', 1),
        {
          MetricName: 'LatencyMs',
          Dimensions: dims,
          Timestamp: at,
          Unit: 'Milliseconds',
          Values: [0, 120, 300, 8000],
          Counts: [1, 1, 2, 1],
        },
        {
          MetricName: 'UnresolvedUnknowns',
          Dimensions: [{ Name: 'Region', Value: 'ap-northeast-2' }],
          Timestamp: at,
          Unit: 'Count',
          Value: 1,
        },
        {
          MetricName: 'OnlineMethodsAvailable',
          Dimensions: [{ Name: 'Region', Value: 'ap-northeast-2' }],
          Timestamp: at,
          Unit: 'Count',
          Value: 2,
        },
      ],
    },
  ]);
  // Counters were reset: the next minute without traffic sends only the gauges.
  await metrics.publish(at, { unresolvedUnknowns: 0, onlineMethodsAvailable: 2 });
  expect(cw.commandCalls(PutMetricDataCommand)[1].args[0].input.MetricData?.map((d) => d.MetricName)).toEqual(
    ['UnresolvedUnknowns', 'OnlineMethodsAvailable'],
  );
});

test('metrics: a failed PutMetricData is logged and dropped, never thrown into a payment', async () => {
  cw.on(PutMetricDataCommand).rejects(new Error('throttled'));
  const warnings: string[] = [];
  const metrics = new PaymentMetrics(
    'shop/payments',
    'ap-northeast-2',
    cloudWatchPublisher(new CloudWatchClient({ region: 'ap-northeast-2' })),
    { ...silentLogger, warn: (m) => warnings.push(m) },
  );
  await expect(
    metrics.publish(new Date(), { unresolvedUnknowns: 0, onlineMethodsAvailable: 1 }),
  ).resolves.toBeUndefined();
  expect(warnings).toEqual(['payment metrics not published']);
});

test('switch: read through SSM GetParameter by name; a failed or malformed read keeps the last value', async () => {
  ssm
    .on(GetParameterCommand, { Name: '/shop/payments/disabled' })
    .resolvesOnce({ Parameter: { Value: '["provider:toss","method:card"]' } })
    .rejectsOnce(new Error('SSM unavailable'))
    .resolvesOnce({ Parameter: { Value: '{"not":"an array"}' } })
    .resolvesOnce({ Parameter: { Value: '[]' } });
  const sw = new PaymentSwitch(ssmSwitchReader('/shop/payments/disabled', 'ap-northeast-2'), silentLogger);
  await sw.refresh();
  expect(sw.isDisabled('toss', 'easy-pay')).toBe(true);
  expect(sw.isDisabled('kakaopay', 'card')).toBe(true);
  expect(sw.isDisabled('kakaopay', 'easy-pay')).toBe(false);
  await sw.refresh();
  expect(sw.lastError).toBe('SSM unavailable');
  expect(sw.list()).toEqual(['provider:toss', 'method:card']);
  await sw.refresh();
  expect(sw.list()).toEqual(['provider:toss', 'method:card']);
  await sw.refresh();
  expect(sw.list()).toEqual([]);
  expect(ssm.commandCalls(GetParameterCommand).map((c) => c.args[0].input)).toEqual(
    Array(4).fill({ Name: '/shop/payments/disabled' }),
  );
});

test.each([
  ['{', "SHOP_PAYMENTS is not JSON; fix the web tier's environment file"],
  [
    '{"providers":[{"id":"toss","kind":"paypal","baseUrl":"https://x","methods":["card"]}]}',
    'SHOP_PAYMENTS.providers.0.kind:',
  ],
  [
    '{"providers":[{"id":"a","kind":"kakaopay","baseUrl":"https://x","methods":["easy-pay"]},{"id":"a","kind":"kakaopay","baseUrl":"https://y","methods":["easy-pay"]}]}',
    'SHOP_PAYMENTS.providers: id "a" appears twice; give each provider its own id',
  ],
])('SHOP_PAYMENTS %s is refused with the key named', (raw, message) => {
  expect(() => parsePayments(raw)).toThrow(message);
});

test('SHOP_PAYMENTS unset: no payments (checkout places orders as before)', () => {
  expect(parsePayments(undefined)).toBeUndefined();
});
