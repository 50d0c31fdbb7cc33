import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeDBClustersCommand, ModifyDBClusterCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { ScalerConfig, absorbTarget, configFromEnv, roundAcu, scale } from '../../lambda/scaler';

const NOW = new Date('2026-11-26T12:00:00Z');
const ago = (min: number) => new Date(NOW.getTime() - min * 60_000);
const base: ScalerConfig = {
  region: 'ap-northeast-1',
  namespace: 'resilient-shop/capacity',
  sources: ['ap-northeast-2'],
  asgName: 'standby-asg',
  loadBalancer: 'app/standby/456',
  dbClusterId: 'resilient-shop-ap-northeast-1',
  posture: 'warm',
  postureMinInstances: 1,
  maxInstances: 12,
  postureMinAcu: 2,
  maxAcu: 16,
  headroomPercent: 120,
  peakWindowHours: 3,
  hotPercent: 50,
  quietMinutes: 30,
  quietRequestsPerMinute: 500,
  absorbAlarm: 'resilient-shop-absorb-ap-northeast-1',
};

const asg = mockClient(AutoScalingClient);
const cw = mockClient(CloudWatchClient);
const rds = mockClient(RDSClient);
const clients = () => ({
  autoscaling: new AutoScalingClient({}),
  cloudwatch: new CloudWatchClient({}),
  rds: new RDSClient({}),
});

interface World {
  alarm?: 'ALARM' | 'OK';
  /** Minutes ago the absorb alarm entered its state. */
  alarmSince?: number;
  peakIns?: number[];
  peakAcu?: number[];
  /** [minutes ago, value] */
  ins?: [number, number][];
  local?: [number, number][];
  min?: number;
  desired?: number;
  acuMin?: number;
}

function world(w: World) {
  asg.reset();
  cw.reset();
  rds.reset();
  cw.on(DescribeAlarmsCommand).resolves({
    CompositeAlarms: [
      {
        AlarmName: base.absorbAlarm,
        StateValue: w.alarm ?? 'OK',
        ...(w.alarmSince !== undefined ? { StateUpdatedTimestamp: ago(w.alarmSince) } : {}),
      },
    ],
  });
  const series = (id: string, points: [number, number][]) => ({
    Id: id,
    Timestamps: points.map(([m]) => ago(m)),
    Values: points.map(([, v]) => v),
  });
  cw.on(GetMetricDataCommand).resolves({
    MetricDataResults: [
      series(
        'peakins0',
        (w.peakIns ?? []).map((v) => [170, v]),
      ),
      series(
        'peakacu0',
        (w.peakAcu ?? []).map((v) => [170, v]),
      ),
      series('ins0', w.ins ?? []),
      series('local', w.local ?? []),
    ],
  });
  asg.on(DescribeAutoScalingGroupsCommand).resolves({
    AutoScalingGroups: [
      {
        AutoScalingGroupName: 'standby-asg',
        MinSize: w.min ?? 1,
        MaxSize: 12,
        DesiredCapacity: w.desired ?? 1,
        DefaultCooldown: 300,
        AvailabilityZones: [],
        HealthCheckType: 'ELB',
        CreatedTime: NOW,
      },
    ],
  });
  rds.on(DescribeDBClustersCommand).resolves({
    DBClusters: [{ ServerlessV2ScalingConfiguration: { MinCapacity: w.acuMin ?? 2, MaxCapacity: 16 } }],
  });
  asg.on(UpdateAutoScalingGroupCommand).resolves({});
  rds.on(ModifyDBClusterCommand).resolves({});
}

const updates = () => asg.commandCalls(UpdateAutoScalingGroupCommand).map((c) => c.args[0].input);
const modifies = () => rds.commandCalls(ModifyDBClusterCommand).map((c) => c.args[0].input);

test('absorbing: the group goes to the mirrored peak × headroom and Aurora min ACU to the peak ACU × headroom, at once', async () => {
  world({ alarm: 'ALARM', peakIns: [4, 5], peakAcu: [6], local: [[1, 4000]] });
  const d = await scale(clients(), base, NOW);
  expect(d.mode).toBe('absorb');
  expect(updates()).toEqual([{ AutoScalingGroupName: 'standby-asg', MinSize: 6, DesiredCapacity: 6 }]);
  expect(modifies()).toEqual([
    {
      DBClusterIdentifier: 'resilient-shop-ap-northeast-1',
      ServerlessV2ScalingConfiguration: { MinCapacity: 7.5, MaxCapacity: 16 },
      ApplyImmediately: true,
    },
  ]);
  expect(cw.commandCalls(DescribeAlarmsCommand)[0].args[0].input).toEqual({
    AlarmNames: ['resilient-shop-absorb-ap-northeast-1'],
    AlarmTypes: ['CompositeAlarm'],
  });
  const q = cw.commandCalls(GetMetricDataCommand)[0].args[0].input;
  expect(q.StartTime).toEqual(new Date('2026-11-26T09:00:00Z'));
  expect(q.MetricDataQueries?.[0]).toEqual({
    Id: 'peakins0',
    MetricStat: {
      Metric: {
        Namespace: 'resilient-shop/capacity',
        MetricName: 'PeakInServiceInstances',
        Dimensions: [{ Name: 'SourceRegion', Value: 'ap-northeast-2' }],
      },
      Period: 10800,
      Stat: 'Maximum',
    },
  });
  expect(q.MetricDataQueries?.map((m) => m.Id)).toEqual(['peakins0', 'peakacu0', 'ins0', 'local']);
});

test('the primary APIs unreachable: only this region is asked, and the last mirrored peak (before it went dark) still sizes the standby', async () => {
  // The primary stopped publishing 170 minutes ago: no recent in-service figure, the window peak remains.
  world({ alarm: 'ALARM', peakIns: [8], peakAcu: [10], ins: [] });
  const d = await scale(clients(), base, NOW);
  expect(updates()).toEqual([{ AutoScalingGroupName: 'standby-asg', MinSize: 10, DesiredCapacity: 10 }]);
  expect(modifies()[0].ServerlessV2ScalingConfiguration).toEqual({ MinCapacity: 12, MaxCapacity: 16 });
  expect(d.reason).toContain('mirrored peak 8 instances / 10 ACU × 120 %');
});

test('no mirrored figure at all: assumes the worst and scales to the maximum', async () => {
  world({ alarm: 'ALARM' });
  const d = await scale(clients(), base, NOW);
  expect(updates()).toEqual([{ AutoScalingGroupName: 'standby-asg', MinSize: 12, DesiredCapacity: 12 }]);
  expect(modifies()[0].ServerlessV2ScalingConfiguration).toEqual({ MinCapacity: 16, MaxCapacity: 16 });
  expect(d.reason).toContain('no mirrored capacity: assuming the maximum');
});

describe('stale mirror data cannot pin the standby at its maximum for the whole outage', () => {
  const bounded: ScalerConfig = { ...base, unknownPeakMaxMinutes: 30, requestsPerInstance: 1000 };

  test('within the bound: the maximum, as before', async () => {
    world({ alarm: 'ALARM', alarmSince: 29, local: [[1, 2500]] });
    const d = await scale(clients(), bounded, NOW);
    expect(updates()).toEqual([{ AutoScalingGroupName: 'standby-asg', MinSize: 12, DesiredCapacity: 12 }]);
    expect(d.reason).toContain('assuming the maximum');
  });

  test('past the bound: the floor follows the local load × headroom and the ACU floor returns to the posture', async () => {
    // Pinned at the maximum by the first 30 minutes; 2,500 requests/min need ceil(2.5 × 1.2) = 3.
    world({ alarm: 'ALARM', alarmSince: 31, local: [[1, 2500]], min: 12, desired: 12, acuMin: 16 });
    const d = await scale(clients(), bounded, NOW);
    // Only the floor: desired is left to target tracking, which scales in as the load allows.
    expect(updates()).toEqual([{ AutoScalingGroupName: 'standby-asg', MinSize: 3 }]);
    expect(modifies()[0].ServerlessV2ScalingConfiguration).toEqual({ MinCapacity: 2, MaxCapacity: 16 });
    expect(d.reason).toContain('floor sized by the local load (2500 requests/min → 3 instances)');
  });

  test('past the bound with mirrored figures: the mirrored peak still decides', async () => {
    world({ alarm: 'ALARM', alarmSince: 120, peakIns: [8], peakAcu: [10], local: [[1, 100]], min: 1 });
    await scale(clients(), bounded, NOW);
    expect(updates()).toEqual([{ AutoScalingGroupName: 'standby-asg', MinSize: 10, DesiredCapacity: 10 }]);
  });
});

test('already scaled: a repeated run changes nothing (and keeps a higher desired capacity)', async () => {
  world({ alarm: 'ALARM', peakIns: [5], peakAcu: [6], min: 6, desired: 9, acuMin: 7.5 });
  await scale(clients(), base, NOW);
  expect(updates()).toEqual([]);
  expect(modifies()).toEqual([]);
  world({ alarm: 'ALARM', peakIns: [5], peakAcu: [6], min: 1, desired: 9, acuMin: 7.5 });
  await scale(clients(), base, NOW);
  expect(updates()).toEqual([{ AutoScalingGroupName: 'standby-asg', MinSize: 6, DesiredCapacity: 9 }]);
});

test('trigger clear but still carrying load: holds (never scales down mid-spike)', async () => {
  world({
    alarm: 'OK',
    peakIns: [5],
    min: 6,
    desired: 6,
    acuMin: 7.5,
    local: [
      [25, 3000],
      [2, 100],
    ],
  });
  const d = await scale(clients(), base, NOW);
  expect(d.mode).toBe('hold');
  expect(updates()).toEqual([]);
  expect(modifies()).toEqual([]);
});

test('quiet for the whole window after failback: back to the posture, desired left to target tracking', async () => {
  // A busy minute 40 minutes ago is outside the 30-minute quiet window.
  world({
    alarm: 'OK',
    min: 6,
    desired: 6,
    acuMin: 7.5,
    local: [
      [40, 9000],
      [20, 300],
      [1, 50],
    ],
  });
  const d = await scale(clients(), base, NOW);
  expect(d.mode).toBe('standby');
  expect(updates()).toEqual([{ AutoScalingGroupName: 'standby-asg', MinSize: 1 }]);
  expect(modifies()).toEqual([
    {
      DBClusterIdentifier: 'resilient-shop-ap-northeast-1',
      ServerlessV2ScalingConfiguration: { MinCapacity: 2, MaxCapacity: 16 },
      ApplyImmediately: true,
    },
  ]);
});

test.each([
  ['warm', 6, 1],
  ['hot', 6, 3],
  ['hot', 1, 1],
  ['pilot-light', 6, 0],
] as const)(
  'posture %s with %i instances serving elsewhere keeps a minimum of %i',
  async (posture, serving, min) => {
    const postureMinInstances = posture === 'pilot-light' ? 0 : 1;
    world({ alarm: 'OK', ins: [[2, serving]], min: postureMinInstances, desired: postureMinInstances });
    await scale(clients(), { ...base, posture, postureMinInstances }, NOW);
    expect(updates()).toEqual(
      min > postureMinInstances
        ? [{ AutoScalingGroupName: 'standby-asg', MinSize: min, DesiredCapacity: min }]
        : [],
    );
  },
);

test('a failed group update still raises the database, then fails the run (the error alarm pages, the next minute retries)', async () => {
  world({ alarm: 'ALARM', peakIns: [5], peakAcu: [6] });
  asg.on(UpdateAutoScalingGroupCommand).rejects(new Error('ScalingActivityInProgress'));
  await expect(scale(clients(), base, NOW)).rejects.toThrow('ScalingActivityInProgress');
  expect(modifies()).toHaveLength(1);
});

test('a failed describe stops before any change', async () => {
  world({ alarm: 'ALARM', peakIns: [5], peakAcu: [6] });
  rds.on(DescribeDBClustersCommand).rejects(new Error('DBClusterNotFoundFault'));
  await expect(scale(clients(), base, NOW)).rejects.toThrow('DBClusterNotFoundFault');
  expect(updates()).toEqual([]);
});

test('targets stay within the group and cluster bounds, in half-ACU steps', () => {
  expect(roundAcu(7.2)).toBe(7.5);
  expect(roundAcu(7)).toBe(7);
  expect(absorbTarget(base, 50, 100)).toEqual({ instances: 12, acu: 16, known: true });
  expect(absorbTarget(base, 0, 0)).toEqual({ instances: 1, acu: 2, known: true });
  expect(() => configFromEnv({})).toThrow('SCALER_CONFIG is missing');
});
