import { ACMClient, DescribeCertificateCommand } from '@aws-sdk/client-acm';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeWarmPoolCommand,
} from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, GetMetricDataCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeDBClustersCommand, DescribeGlobalClustersCommand, RDSClient } from '@aws-sdk/client-rds';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { ReadinessConfig, configFromEnv, run } from '../../lambda/readiness';
import { CHECKS } from '../../lambda/readiness/checks';
import { readyStandbyGroup, stoppedWarmPool } from './fixtures';

const NOW = new Date('2026-11-26T12:00:00Z');
const ago = (min: number) => new Date(NOW.getTime() - min * 60_000);
const PRIMARY = 'ap-northeast-2';
const STANDBY = 'ap-northeast-1';
const config: ReadinessConfig = {
  region: STANDBY,
  primaryRegion: PRIMARY,
  namespace: 'resilient-shop/readiness',
  secretName: 'resilient-shop/db/master',
  dbClusterId: 'resilient-shop-ap-northeast-1',
  globalClusterId: 'resilient-shop-global',
  asgName: 'standby-asg',
  certificateArn: 'cert-arn',
  warmPoolMinSize: 2,
  lagLimitMs: 1000,
  certificateMinDays: 30,
  heldSwitches: [PRIMARY],
  regions: [PRIMARY, STANDBY],
  namespaces: {
    capacity: 'resilient-shop/capacity',
    switch: 'resilient-shop/failover-switch',
    switchMetric: 'Drained',
    canary: 'resilient-shop/canary',
  },
};

const secrets = mockClient(SecretsManagerClient);
const asg = mockClient(AutoScalingClient);
const acm = mockClient(ACMClient);
const cw = mockClient(CloudWatchClient);
const rds = mockClient(RDSClient);
const CLUSTER_ARN = 'cluster-arn-standby';

/** Fresh minute-by-minute series (newest first). */
const series = (id: string, values: number[]) => ({
  Id: id,
  Values: values,
  Timestamps: values.map((_, i) => ago(i + 1)),
});

function healthy() {
  for (const m of [secrets, asg, acm, cw, rds]) m.reset();
  secrets.on(DescribeSecretCommand).callsFake(async (_input, getClient) => {
    const region = await getClient().config.region();
    return region === PRIMARY
      ? { ReplicationStatus: [{ Region: STANDBY, Status: 'InSync' }] }
      : { PrimaryRegion: PRIMARY };
  });
  rds
    .on(DescribeDBClustersCommand)
    .resolves({ DBClusters: [{ Status: 'available', DBClusterArn: CLUSTER_ARN }] });
  rds.on(DescribeGlobalClustersCommand).resolves({
    GlobalClusters: [
      {
        GlobalClusterMembers: [
          { DBClusterArn: 'primary-arn', IsWriter: true },
          { DBClusterArn: CLUSTER_ARN, IsWriter: false },
        ],
      },
    ],
  });
  asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [readyStandbyGroup(NOW)] });
  asg.on(DescribeWarmPoolCommand).resolves({ Instances: stoppedWarmPool('i-2', 'i-3') });
  acm
    .on(DescribeCertificateCommand)
    .resolves({ Certificate: { Status: 'ISSUED', NotAfter: new Date('2027-06-01T00:00:00Z') } });
  cw.on(GetMetricDataCommand).resolves({
    MetricDataResults: [
      series('lag', [120, 90]),
      series('sw0', [0, 0]),
      series('can0', [0, 0, 0]),
      series('can1', [0, 0, 0]),
      series('mir0', [2, 2]),
    ],
  });
  cw.on(PutMetricDataCommand).resolves({});
}

const clients = () => ({
  local: {
    autoscaling: new AutoScalingClient({ region: STANDBY }),
    acm: new ACMClient({ region: STANDBY }),
    cloudwatch: new CloudWatchClient({ region: STANDBY }),
    rds: new RDSClient({ region: STANDBY }),
    secrets: new SecretsManagerClient({ region: STANDBY }),
  },
  primarySecrets: new SecretsManagerClient({ region: PRIMARY }),
});
const cwFor = (r: string) => new CloudWatchClient({ region: r });
const failed = (result: Awaited<ReturnType<typeof run>>) =>
  result.checks.filter((c) => !c.ok).map((c) => c.check);

beforeEach(healthy);

test('a ready standby: every check passes, with exact calls, and Ready=1 lands in every region', async () => {
  const result = await run(clients(), cwFor, config, NOW);
  expect(failed(result)).toEqual([]);
  expect(result.ready).toBe(true);
  expect(result.checks.map((c) => c.check)).toEqual([...CHECKS]);
  expect(secrets.commandCalls(DescribeSecretCommand)[0].args[0].input).toEqual({
    SecretId: 'resilient-shop/db/master',
  });
  expect(rds.commandCalls(DescribeDBClustersCommand)[0].args[0].input).toEqual({
    DBClusterIdentifier: 'resilient-shop-ap-northeast-1',
  });
  expect(rds.commandCalls(DescribeGlobalClustersCommand)[0].args[0].input).toEqual({
    GlobalClusterIdentifier: 'resilient-shop-global',
  });
  expect(asg.commandCalls(DescribeWarmPoolCommand)[0].args[0].input).toEqual({
    AutoScalingGroupName: 'standby-asg',
  });
  expect(acm.commandCalls(DescribeCertificateCommand)[0].args[0].input).toEqual({
    CertificateArn: 'cert-arn',
  });
  const q = cw.commandCalls(GetMetricDataCommand)[0].args[0].input;
  expect(q.MetricDataQueries?.map((m) => m.Id)).toEqual(['lag', 'sw0', 'can0', 'can1', 'mir0']);
  expect(q.MetricDataQueries?.[4].MetricStat?.Metric).toEqual({
    Namespace: 'resilient-shop/capacity',
    MetricName: 'InServiceInstances',
    Dimensions: [{ Name: 'SourceRegion', Value: PRIMARY }],
  });
  const puts = cw.commandCalls(PutMetricDataCommand);
  expect(puts).toHaveLength(2);
  expect(puts[0].args[0].input).toEqual({
    Namespace: 'resilient-shop/readiness',
    MetricData: [
      {
        MetricName: 'Ready',
        Dimensions: [{ Name: 'Region', Value: STANDBY }],
        Value: 1,
        Timestamp: NOW,
        Unit: 'Count',
      },
      ...CHECKS.map((c) => ({
        MetricName: 'CheckFailed',
        Dimensions: [
          { Name: 'Region', Value: STANDBY },
          { Name: 'Check', Value: c },
        ],
        Value: 0,
        Timestamp: NOW,
        Unit: 'Count',
      })),
    ],
  });
});

const resultsWith = (ids: Record<string, number[]>) => ({
  MetricDataResults: Object.entries({
    lag: [120],
    sw0: [0],
    can0: [0, 0, 0],
    can1: [0, 0, 0],
    mir0: [2],
    ...ids,
  }).map(([id, v]) => series(id, v)),
});

test.each<[string, () => void, string, RegExp]>([
  [
    'replica failed',
    () =>
      secrets.on(DescribeSecretCommand, {}).callsFake(async (_i, gc) =>
        (await gc().config.region()) === PRIMARY
          ? {
              ReplicationStatus: [{ Region: STANDBY, Status: 'Failed', StatusMessage: 'KMS key disabled' }],
            }
          : {},
      ),
    'secret-replica',
    /Failed: KMS key disabled/,
  ],
  [
    'not replicated here',
    () => secrets.on(DescribeSecretCommand).resolves({ ReplicationStatus: [] }),
    'secret-replica',
    /not replicated to ap-northeast-1/,
  ],
  [
    'secondary not available',
    () =>
      rds
        .on(DescribeDBClustersCommand)
        .resolves({ DBClusters: [{ Status: 'backing-up', DBClusterArn: CLUSTER_ARN }] }),
    'database',
    /is backing-up/,
  ],
  [
    'lag above the limit',
    () => cw.on(GetMetricDataCommand).resolves(resultsWith({ lag: [4500] })),
    'database',
    /lag 4500 ms \(limit 1000\)/,
  ],
  [
    'replication stopped',
    () => cw.on(GetMetricDataCommand).resolves(resultsWith({ lag: [] })),
    'database',
    /no replication lag reported/,
  ],
  [
    'unhealthy web tier',
    () =>
      asg.on(DescribeAutoScalingGroupsCommand).resolves({
        AutoScalingGroups: [
          {
            AutoScalingGroupName: 'x',
            MinSize: 1,
            MaxSize: 2,
            DesiredCapacity: 1,
            DefaultCooldown: 1,
            AvailabilityZones: [],
            HealthCheckType: 'ELB',
            CreatedTime: NOW,
            Instances: [
              {
                InstanceId: 'i',
                LifecycleState: 'InService',
                HealthStatus: 'Unhealthy',
                AvailabilityZone: 'a',
                ProtectedFromScaleIn: false,
              },
            ],
          },
        ],
      }),
    'web',
    /0 healthy in service, minimum 1/,
  ],
  [
    'warm pool never bootstrapped',
    () =>
      asg.on(DescribeWarmPoolCommand).resolves({
        Instances: [
          {
            InstanceId: 'i',
            LifecycleState: 'Warmed:Pending:Wait',
            AvailabilityZone: 'a',
            HealthStatus: 'Healthy',
            ProtectedFromScaleIn: false,
          },
        ],
      }),
    'warm-pool',
    /0 of 1 warm-pool instances initialised, minimum 2/,
  ],
  [
    'switch publisher stopped',
    () => cw.on(GetMetricDataCommand).resolves(resultsWith({ sw0: [] })),
    'drain-switch',
    /no switch metric for ap-northeast-2/,
  ],
  [
    'certificate expiring',
    () =>
      acm
        .on(DescribeCertificateCommand)
        .resolves({ Certificate: { Status: 'ISSUED', NotAfter: new Date('2026-12-10T00:00:00Z') } }),
    'certificate',
    /valid 13 more days \(minimum 30\)/,
  ],
  [
    'canary failing from two vantage points',
    () => cw.on(GetMetricDataCommand).resolves(resultsWith({ can0: [1, 1, 1, 0, 0], can1: [1, 1, 0, 1, 0] })),
    'canary',
    /failing from ap-northeast-2, ap-northeast-1/,
  ],
  [
    'no canary verdict',
    () => cw.on(GetMetricDataCommand).resolves(resultsWith({ can0: [], can1: [] })),
    'canary',
    /no canary verdict/,
  ],
  [
    'capacity mirror stale',
    () => cw.on(GetMetricDataCommand).resolves(resultsWith({ mir0: [] })),
    'capacity-mirror',
    /no mirrored capacity from ap-northeast-2/,
  ],
])('%s: only that check fails, Ready=0, with the reason', async (_name, inject, check, detail) => {
  inject();
  const result = await run(clients(), cwFor, config, NOW);
  expect(failed(result)).toEqual([check]);
  expect(result.checks.find((c) => c.check === check)?.detail).toMatch(detail);
  expect(result.ready).toBe(false);
  expect(cw.commandCalls(PutMetricDataCommand)[0].args[0].input.MetricData?.[0].Value).toBe(0);
});

test('one vantage point failing alone is its own blip: still green', async () => {
  cw.on(GetMetricDataCommand).resolves(resultsWith({ can0: [1, 1, 1, 1, 1] }));
  expect(failed(await run(clients(), cwFor, config, NOW))).toEqual([]);
});

test("the primary's APIs unreachable: the local replica stands in for the sync status, and publishing there fails without failing the run", async () => {
  secrets.on(DescribeSecretCommand).callsFake(async (_input, getClient) => {
    if ((await getClient().config.region()) === PRIMARY) throw new Error('connect ETIMEDOUT');
    return { PrimaryRegion: PRIMARY };
  });
  cw.on(PutMetricDataCommand).callsFake(async (_input, getClient) => {
    if ((await getClient().config.region()) === PRIMARY) throw new Error('connect ETIMEDOUT');
    return {};
  });
  const result = await run(clients(), cwFor, config, NOW);
  expect(result.checks[0]).toEqual({
    check: 'secret-replica',
    ok: true,
    detail: 'primary ap-northeast-2 unreachable (connect ETIMEDOUT); local replica present, sync unverified',
  });
  expect(result.failedRegions).toEqual({ [PRIMARY]: 'connect ETIMEDOUT' });
  expect(result.ready).toBe(true);
});

test('local CloudWatch unreadable: the metric checks fail with that reason, the API checks still run', async () => {
  cw.on(GetMetricDataCommand).rejects(new Error('Throttling'));
  const result = await run(clients(), cwFor, config, NOW);
  expect(failed(result)).toEqual(['database', 'drain-switch', 'canary', 'capacity-mirror']);
  expect(result.checks.find((c) => c.check === 'canary')?.detail).toBe('CloudWatch: Throttling');
});

test('the primary judged as a failback target: the writer needs no lag, its secret is the primary', async () => {
  rds.on(DescribeGlobalClustersCommand).resolves({
    GlobalClusters: [{ GlobalClusterMembers: [{ DBClusterArn: CLUSTER_ARN, IsWriter: true }] }],
  });
  const result = await run(clients(), cwFor, { ...config, region: PRIMARY, heldSwitches: [STANDBY] }, NOW);
  expect(result.checks.find((c) => c.check === 'database')?.detail).toBe('writer, available');
  expect(result.checks[0].detail).toBe('primary secret present');
});

test('failing to publish locally throws; settings come from READINESS_CONFIG', async () => {
  cw.on(PutMetricDataCommand).rejects(new Error('AccessDenied'));
  await expect(run(clients(), cwFor, config, NOW)).rejects.toThrow(
    'could not publish readiness in its own region: AccessDenied',
  );
  expect(configFromEnv({ READINESS_CONFIG: JSON.stringify(config) })).toEqual(config);
});
