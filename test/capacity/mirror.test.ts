import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, GetMetricDataCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { MirrorConfig, configFromEnv, mirror } from '../../lambda/capacity-mirror';
import { group, instance } from './fixtures';

const NOW = new Date('2026-11-26T12:00:00Z');
const config: MirrorConfig = {
  region: 'ap-northeast-2',
  namespace: 'resilient-shop/capacity',
  regions: ['ap-northeast-2', 'ap-northeast-1', 'ap-southeast-1'],
  asgName: 'shop-asg',
  loadBalancer: 'app/shop/123',
  dbClusterId: 'resilient-shop-ap-northeast-2',
  peakWindowHours: 3,
};

// One mocked CloudWatch client per region, so a region can fail on its own.
const cwMocks = Object.fromEntries(config.regions.map((r) => [r, new CloudWatchClient({ region: r })]));
const asg = mockClient(AutoScalingClient);
const cw = mockClient(CloudWatchClient);

beforeEach(() => {
  asg.reset();
  cw.reset();
  // Two healthy in service, one unhealthy, one still launching: two count.
  asg.on(DescribeAutoScalingGroupsCommand).resolves({
    AutoScalingGroups: [
      group('shop-asg', { min: 2, max: 12, desired: 4 }, NOW, [
        instance('i-1'),
        instance('i-2'),
        instance('i-3', 'InService', 'Unhealthy'),
        instance('i-4', 'Pending'),
      ]),
    ],
  });
  cw.on(GetMetricDataCommand).resolves({
    MetricDataResults: [
      { Id: 'req', Values: [3000, 5200, 4100] },
      { Id: 'acu', Values: [3.5, 6, 2] },
      { Id: 'ins', Values: [2, 5, 3] },
    ],
  });
  cw.on(PutMetricDataCommand).resolves({});
});

const dims = [{ Name: 'SourceRegion', Value: 'ap-northeast-2' }];
const expectedData = [
  { MetricName: 'InServiceInstances', Dimensions: dims, Value: 2, Timestamp: NOW, Unit: 'Count' },
  { MetricName: 'RequestsPerMinute', Dimensions: dims, Value: 3000, Timestamp: NOW, Unit: 'Count' },
  { MetricName: 'AcuInUse', Dimensions: dims, Value: 3.5, Timestamp: NOW, Unit: 'Count' },
  { MetricName: 'PeakInServiceInstances', Dimensions: dims, Value: 5, Timestamp: NOW, Unit: 'Count' },
  { MetricName: 'PeakRequestsPerMinute', Dimensions: dims, Value: 5200, Timestamp: NOW, Unit: 'Count' },
  { MetricName: 'PeakAcu', Dimensions: dims, Value: 6, Timestamp: NOW, Unit: 'Count' },
];

test('counts healthy in-service instances, reads the window from local CloudWatch and publishes into every region', async () => {
  const seen: string[] = [];
  const result = await mirror(
    new AutoScalingClient({}),
    (r) => {
      seen.push(r);
      return cwMocks[r];
    },
    config,
    NOW,
  );
  expect(result.sample).toEqual({
    inService: 2,
    requests: 3000,
    acu: 3.5,
    peakInService: 5,
    peakRequests: 5200,
    peakAcu: 6,
  });
  expect(asg.commandCalls(DescribeAutoScalingGroupsCommand)[0].args[0].input).toEqual({
    AutoScalingGroupNames: ['shop-asg'],
  });
  const get = cw.commandCalls(GetMetricDataCommand);
  expect(get).toHaveLength(1);
  expect(get[0].args[0].input).toEqual({
    StartTime: new Date('2026-11-26T09:00:00Z'),
    EndTime: NOW,
    ScanBy: 'TimestampDescending',
    MetricDataQueries: [
      {
        Id: 'req',
        MetricStat: {
          Metric: {
            Namespace: 'AWS/ApplicationELB',
            MetricName: 'RequestCount',
            Dimensions: [{ Name: 'LoadBalancer', Value: 'app/shop/123' }],
          },
          Period: 60,
          Stat: 'Sum',
        },
        ReturnData: true,
      },
      {
        Id: 'acu',
        MetricStat: {
          Metric: {
            Namespace: 'AWS/RDS',
            MetricName: 'ServerlessDatabaseCapacity',
            Dimensions: [{ Name: 'DBClusterIdentifier', Value: 'resilient-shop-ap-northeast-2' }],
          },
          Period: 60,
          Stat: 'Maximum',
        },
        ReturnData: true,
      },
      {
        Id: 'ins',
        MetricStat: {
          Metric: {
            Namespace: 'AWS/AutoScaling',
            MetricName: 'GroupInServiceInstances',
            Dimensions: [{ Name: 'AutoScalingGroupName', Value: 'shop-asg' }],
          },
          Period: 60,
          Stat: 'Maximum',
        },
        ReturnData: true,
      },
    ],
  });
  const puts = cw.commandCalls(PutMetricDataCommand);
  expect(puts).toHaveLength(3);
  for (const p of puts)
    expect(p.args[0].input).toEqual({ Namespace: 'resilient-shop/capacity', MetricData: expectedData });
  expect(new Set(seen)).toEqual(new Set(config.regions));
  expect(result.published).toEqual(config.regions);
  expect(result.failed).toEqual({});
});

/** Fails PutMetricData in `deadRegion` only, the way a region whose API is gone fails. */
function regionDown(deadRegion: string, error: string) {
  cw.on(PutMetricDataCommand).callsFake(async (_input, getClient) => {
    if ((await getClient().config.region()) === deadRegion) throw new Error(error);
    return {};
  });
}

test('a region whose CloudWatch does not answer is reported and the live regions still get their copy', async () => {
  regionDown('ap-northeast-1', 'connect ETIMEDOUT');
  const result = await mirror(new AutoScalingClient({}), (r) => cwMocks[r], config, NOW);
  expect(result.published).toEqual(['ap-northeast-2', 'ap-southeast-1']);
  expect(result.failed).toEqual({ 'ap-northeast-1': 'connect ETIMEDOUT' });
  expect(cw.commandCalls(PutMetricDataCommand)).toHaveLength(3);
});

test('failing to publish in its own region throws (the error alarm pages)', async () => {
  regionDown('ap-northeast-2', 'AccessDenied');
  await expect(mirror(new AutoScalingClient({}), (r) => cwMocks[r], config, NOW)).rejects.toThrow(
    'could not publish the capacity mirror in its own region: AccessDenied',
  );
});

test('with no metric history the peaks are the current figures and nothing is invented', async () => {
  cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
  const result = await mirror(new AutoScalingClient({}), (r) => cwMocks[r], config, NOW);
  expect(result.sample).toEqual({
    inService: 2,
    requests: 0,
    acu: 0,
    peakInService: 2,
    peakRequests: 0,
    peakAcu: 0,
  });
});

test('the settings come from MIRROR_CONFIG', () => {
  expect(configFromEnv({ MIRROR_CONFIG: JSON.stringify(config) })).toEqual(config);
  expect(() => configFromEnv({})).toThrow('MIRROR_CONFIG is missing');
});
