import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import {
  CloudWatchClient,
  GetMetricDataCommand,
  MetricDataQuery,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import { CAPACITY_METRICS, CapacitySample, SOURCE_DIMENSION } from './metrics';

/** What the mirror needs; written by `lib/capacity/capacity-mirror.ts` into `MIRROR_CONFIG`. */
export interface MirrorConfig {
  /** The region this function runs in (the source of the figures). */
  readonly region: string;
  readonly namespace: string;
  /** Every region of the app, this one included: each receives a copy. */
  readonly regions: readonly string[];
  readonly asgName: string;
  /** `app/<name>/<id>`: the ALB's CloudWatch dimension. */
  readonly loadBalancer: string;
  readonly dbClusterId: string;
  readonly peakWindowHours: number;
}

/** Result of one run: the sample and, per destination region, whether the copy landed. */
export interface MirrorResult {
  readonly sample: CapacitySample;
  readonly published: readonly string[];
  readonly failed: Readonly<Record<string, string>>;
}

/** CloudWatch client of a region (tests pass mocks; the handler builds one per region once). */
export type CloudWatchFor = (region: string) => CloudWatchClient;

/**
 * Measures what this region serves with (instances in service from Auto Scaling, requests per
 * minute from the ALB, ACU in use from Aurora, each now and at its peak over the window) and
 * publishes the figures into every region's CloudWatch, like the canary verdicts: an alarm or a
 * scaler reads only its own region's metrics, and a standby must still know the load to absorb
 * once this region's APIs are gone. A region that does not answer is reported, not fatal: the
 * others still get their copy. Only a failure to publish locally throws (it pages as an error).
 */
export async function mirror(
  autoscaling: AutoScalingClient,
  cloudwatchFor: CloudWatchFor,
  config: MirrorConfig,
  now: Date = new Date(),
): Promise<MirrorResult> {
  const local = cloudwatchFor(config.region);
  const groups = await autoscaling.send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [config.asgName] }),
  );
  const inService = (groups.AutoScalingGroups?.[0]?.Instances ?? []).filter(
    (i) => i.LifecycleState === 'InService' && i.HealthStatus === 'Healthy',
  ).length;

  const query = (
    id: string,
    namespace: string,
    metricName: string,
    dimension: [string, string],
    stat: string,
  ) =>
    ({
      Id: id,
      MetricStat: {
        Metric: {
          Namespace: namespace,
          MetricName: metricName,
          Dimensions: [{ Name: dimension[0], Value: dimension[1] }],
        },
        Period: 60,
        Stat: stat,
      },
      ReturnData: true,
    }) satisfies MetricDataQuery;
  const data = await local.send(
    new GetMetricDataCommand({
      StartTime: new Date(now.getTime() - config.peakWindowHours * 3600_000),
      EndTime: now,
      ScanBy: 'TimestampDescending',
      MetricDataQueries: [
        query('req', 'AWS/ApplicationELB', 'RequestCount', ['LoadBalancer', config.loadBalancer], 'Sum'),
        query(
          'acu',
          'AWS/RDS',
          'ServerlessDatabaseCapacity',
          ['DBClusterIdentifier', config.dbClusterId],
          'Maximum',
        ),
        query(
          'ins',
          'AWS/AutoScaling',
          'GroupInServiceInstances',
          ['AutoScalingGroupName', config.asgName],
          'Maximum',
        ),
      ],
    }),
  );
  const values = (id: string) => data.MetricDataResults?.find((r) => r.Id === id)?.Values ?? [];
  // Newest first (ScanBy TimestampDescending): [0] is the latest minute.
  const latest = (id: string) => values(id)[0] ?? 0;
  const peak = (id: string, floor: number) => Math.max(floor, ...values(id));
  const sample: CapacitySample = {
    inService,
    requests: latest('req'),
    acu: latest('acu'),
    peakInService: peak('ins', inService),
    peakRequests: peak('req', 0),
    peakAcu: peak('acu', 0),
  };

  const metricData = (Object.keys(CAPACITY_METRICS) as (keyof CapacitySample)[]).map((k) => ({
    MetricName: CAPACITY_METRICS[k],
    Dimensions: [{ Name: SOURCE_DIMENSION, Value: config.region }],
    Value: sample[k],
    Timestamp: now,
    Unit: 'Count' as const,
  }));
  const outcomes = await Promise.allSettled(
    config.regions.map((r) =>
      cloudwatchFor(r).send(
        new PutMetricDataCommand({ Namespace: config.namespace, MetricData: metricData }),
      ),
    ),
  );
  const published: string[] = [];
  const failed: Record<string, string> = {};
  outcomes.forEach((o, i) => {
    if (o.status === 'fulfilled') published.push(config.regions[i]);
    else failed[config.regions[i]] = (o.reason as Error)?.message ?? String(o.reason);
  });
  if (failed[config.region]) {
    throw new Error(`could not publish the capacity mirror in its own region: ${failed[config.region]}`);
  }
  return { sample, published, failed };
}

/** Reads the mirror's settings from `MIRROR_CONFIG`. */
export function configFromEnv(env: NodeJS.ProcessEnv): MirrorConfig {
  if (!env.MIRROR_CONFIG) throw new Error('environment variable MIRROR_CONFIG is missing');
  return JSON.parse(env.MIRROR_CONFIG) as MirrorConfig;
}

const clients = new Map<string, CloudWatchClient>();
const cloudwatchForRegion: CloudWatchFor = (region) => {
  let c = clients.get(region);
  if (!c) {
    // Short timeouts: a dead region must not hold up the copies for the live ones.
    c = new CloudWatchClient({
      region,
      maxAttempts: 2,
      requestHandler: { connectionTimeout: 2000, requestTimeout: 5000 },
    });
    clients.set(region, c);
  }
  return c;
};
const autoScalingClient = new AutoScalingClient({});

/** Scheduled entry point (every minute). */
export async function handler(): Promise<MirrorResult> {
  const result = await mirror(autoScalingClient, cloudwatchForRegion, configFromEnv(process.env));
  console.log(JSON.stringify({ message: 'capacity mirrored', ...result }));
  return result;
}
