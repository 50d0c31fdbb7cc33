/**
 * The custom-metric registry (lib/report/custom-metrics.ts) against the publishers themselves: each
 * publisher runs against a fake CloudWatch (aws-sdk-client-mock, or its injectable publisher) and
 * every metric name and dimension set it sends must be one the registry lists for the same
 * settings. A publisher that adds a metric or a dimension the registry does not know fails here.
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import {
  CloudWatchClient,
  GetMetricDataCommand,
  PutMetricDataCommand,
  type PutMetricDataCommandInput,
} from '@aws-sdk/client-cloudwatch';
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { createHandler } from '../lambda/canary/canary';
import { parseCanaryConfig } from '../lambda/canary/config';
import { mirror, type MirrorConfig } from '../lambda/capacity-mirror';
import { run as readiness, type ReadinessConfig } from '../lambda/readiness';
import { publish as publishSwitch } from '../lambda/switch-publisher';
import {
  canaryEmfSeries,
  canaryVerdictSeries,
  MetricSeries,
  mirrorSeries,
  notifySeries,
  paymentSeries,
  readinessSeries,
  requestsByRegion,
  seriesKey,
  switchSeries,
} from '../lib/report/custom-metrics';
import { NotifyMetrics } from '../shop/src/notify/metrics';
import { PaymentMetrics } from '../shop/src/payments/metrics';
import { captureOutput, emfMetrics, startOutage, startShop } from './canary/fakes';

const PRIMARY = 'ap-northeast-2';
const STANDBY = 'ap-northeast-1';
const REGIONS = [PRIMARY, STANDBY];

/** Series keys of what one PutMetricData sent into `region`. */
function sentKeys(region: string, input: PutMetricDataCommandInput): string[] {
  return (input.MetricData ?? []).map((d) =>
    seriesKey({
      region,
      namespace: String(input.Namespace),
      metricName: String(d.MetricName),
      dimensions: Object.fromEntries((d.Dimensions ?? []).map((x) => [String(x.Name), String(x.Value)])),
    }),
  );
}

const keys = (series: readonly MetricSeries[]) => [...new Set(series.map(seriesKey))].sort();

/** Records every PutMetricData of the mocked CloudWatch class with the region it was sent to. */
function cloudWatchRecorder() {
  const cw = mockClient(CloudWatchClient);
  const sent: { region: string; input: PutMetricDataCommandInput }[] = [];
  cw.on(PutMetricDataCommand).callsFake(async (input, getClient) => {
    sent.push({ region: await getClient().config.region(), input });
    return {};
  });
  cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
  return {
    sent,
    keys: () => [...new Set(sent.flatMap((s) => sentKeys(s.region, s.input)))].sort(),
    restore: () => cw.restore(),
  };
}

test('shop payments: every provider × method and the two gauges, as the registry lists them', async () => {
  const providers = [
    { id: 'toss', methods: ['card', 'easy-pay'] },
    { id: 'kakaopay', methods: ['easy-pay'] },
  ];
  const calls: { namespace: string; data: PutMetricDataCommandInput['MetricData'] }[] = [];
  const logger = { info: () => undefined, warn: () => undefined, error: () => undefined } as never;
  const metrics = new PaymentMetrics(
    'resilient-shop/payments',
    PRIMARY,
    async (namespace, data) => void calls.push({ namespace, data }),
    logger,
  );
  for (const p of providers)
    for (const method of p.methods)
      for (const kind of ['approved', 'declined', 'error', 'unknown'] as const)
        metrics.record({ provider: p.id, method, kind, latencyMs: 120 } as never);
  await metrics.publish(new Date(0), { unresolvedUnknowns: 0, onlineMethodsAvailable: 2 });

  expect(calls).toHaveLength(1);
  const sent = sentKeys(PRIMARY, { Namespace: calls[0].namespace, MetricData: calls[0].data });
  const registry = paymentSeries('resilient-shop/payments', PRIMARY, providers);
  expect([...new Set(sent)].sort()).toEqual(keys(registry));
  expect(registry).toHaveLength(3 * 6 + 2);
});

test('shop notices: three per channel and the oldest-unsent gauge', async () => {
  const channels = ['alimtalk', 'sms', 'email'];
  const calls: { namespace: string; data: PutMetricDataCommandInput['MetricData'] }[] = [];
  const dispatcher = {
    channelReport: () =>
      channels.map((channel) => ({ channel, counters: { sent: 3, failed: 1, fallbacks: 1 } })),
    oldestUnsentAgeSeconds: async () => 12,
  } as never;
  await new NotifyMetrics(
    dispatcher,
    async (namespace, data) => void calls.push({ namespace, data }),
    'resilient-shop/notify',
    PRIMARY,
  ).publish(new Date(0));
  const sent = sentKeys(PRIMARY, { Namespace: calls[0].namespace, MetricData: calls[0].data });
  expect([...new Set(sent)].sort()).toEqual(keys(notifySeries('resilient-shop/notify', PRIMARY, channels)));
});

test('drain switch publisher: one Drained per held target, one request', async () => {
  const ssm = mockClient(SSMClient);
  ssm.on(GetParametersByPathCommand).resolves({ Parameters: [] });
  const cw = cloudWatchRecorder();
  try {
    await publishSwitch(
      new SSMClient({ region: 'us-east-1' }),
      new CloudWatchClient({ region: 'us-east-1' }),
      {
        parameterPath: '/resilient-shop/switch/',
        namespace: 'resilient-shop/failover-switch',
        metricName: 'Drained',
        targets: REGIONS,
      },
    );
    const registry = switchSeries('us-east-1', 'resilient-shop/failover-switch', 'Drained', REGIONS);
    expect(cw.keys()).toEqual(keys(registry));
    expect(cw.sent).toHaveLength(1);
    expect(requestsByRegion(registry)).toEqual({ 'us-east-1': 1 });
  } finally {
    cw.restore();
    ssm.restore();
  }
});

test('capacity mirror: six figures of its region into every region, one request each', async () => {
  const asg = mockClient(AutoScalingClient);
  asg.onAnyCommand().resolves({ AutoScalingGroups: [] });
  const cw = cloudWatchRecorder();
  const config: MirrorConfig = {
    region: PRIMARY,
    namespace: 'resilient-shop/capacity',
    regions: REGIONS,
    asgName: 'asg',
    loadBalancer: 'app/alb/1',
    dbClusterId: 'db',
    peakWindowHours: 3,
  };
  try {
    await mirror(new AutoScalingClient({}), (r) => new CloudWatchClient({ region: r }), config, new Date(0));
    const registry = mirrorSeries(config);
    expect(cw.keys()).toEqual(keys(registry));
    expect(cw.sent.map((s) => s.region).sort()).toEqual([...REGIONS].sort());
    expect(requestsByRegion(registry)).toEqual({ [PRIMARY]: 1, [STANDBY]: 1 });
  } finally {
    cw.restore();
    asg.restore();
  }
});

test('readiness: Ready and one CheckFailed per check, into every region', async () => {
  const cw = cloudWatchRecorder();
  // Clients that answer nothing: every check fails, and each still publishes its CheckFailed.
  const none = { send: async () => ({}) } as never;
  const config = {
    region: STANDBY,
    primaryRegion: PRIMARY,
    namespace: 'resilient-shop/readiness',
    regions: REGIONS,
  } as unknown as ReadinessConfig;
  try {
    await readiness(
      {
        local: { autoscaling: none, acm: none, cloudwatch: none, rds: none, secrets: none },
        primarySecrets: none,
      },
      (r) => new CloudWatchClient({ region: r }),
      { ...config, heldSwitches: [], namespaces: {} } as never,
      new Date(0),
    );
    expect(cw.keys()).toEqual(keys(readinessSeries(config)));
  } finally {
    cw.restore();
  }
});

describe('canary', () => {
  beforeAll(() => {
    delete process.env.POWERTOOLS_DEV; // EMF to stdout, as in Lambda
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  });

  test('verdicts (PutMetricData) and journey metrics (EMF) are ones the registry lists', async () => {
    const [shop, outage] = await Promise.all([startShop({ payments: 'ok' }), startOutage()]);
    const cw = cloudWatchRecorder();
    const config = parseCanaryConfig({
      vantage: PRIMARY,
      namespace: 'resilient-shop/canary',
      stepTimeoutMs: 10_000,
      deadlineMs: 30_000,
      verdictRegions: REGIONS,
      targets: [
        {
          id: 'public',
          kind: 'shop',
          baseUrl: shop.url,
          requireWritable: true,
          payments: true,
          testPayment: true,
        },
        { id: 'outage', kind: 'outage', baseUrl: outage.url },
      ],
    });
    const out = captureOutput();
    try {
      await createHandler({ config, cloudWatchFor: (r) => new CloudWatchClient({ region: r }) })();
    } finally {
      out.restore();
      cw.restore();
      await Promise.all([shop.close(), outage.close()]);
    }
    const verdicts = keys(canaryVerdictSeries(config));
    // The fake shop has no test payment (404): the two test-payment verdicts are not sent this run.
    expect(verdicts.filter((k) => !cw.keys().includes(k))).toEqual(
      keys(canaryVerdictSeries(config).filter((s) => s.metricName.startsWith('PaymentPath'))),
    );
    expect(cw.keys().filter((k) => !verdicts.includes(k))).toEqual([]);
    expect(cw.sent.map((s) => s.region).sort()).toEqual([...REGIONS].sort());

    const emf = [
      ...new Set(
        emfMetrics(out.emf()).map((m) =>
          seriesKey({ region: PRIMARY, namespace: m.namespace, metricName: m.name, dimensions: m.dims }),
        ),
      ),
    ].sort();
    expect(emf).toEqual(keys(canaryEmfSeries(config)));
  });
});

test('a publisher sending a metric the registry does not know is caught', () => {
  const registry = keys(switchSeries('us-east-1', 'ns', 'Drained', ['a']));
  const sent = sentKeys('us-east-1', {
    Namespace: 'ns',
    MetricData: [
      {
        MetricName: 'Drained',
        Dimensions: [
          { Name: 'TargetRegion', Value: 'a' },
          { Name: 'Extra', Value: 'x' },
        ],
      },
    ],
  });
  expect(sent.filter((k) => !registry.includes(k))).toEqual(['us-east-1|ns|Drained|Extra=x,TargetRegion=a']);
});

test('a batch is split at 1,000 metrics per request and per destination region', () => {
  const many = (region: string, n: number): MetricSeries[] =>
    Array.from({ length: n }, (_, i) => ({ region, namespace: 'ns', metricName: `M${i}`, dimensions: {} }));
  expect(requestsByRegion([...many('a', 1000), ...many('b', 1001)])).toEqual({ a: 1, b: 2 });
});
