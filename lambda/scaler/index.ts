import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import { DescribeDBClustersCommand, ModifyDBClusterCommand, RDSClient } from '@aws-sdk/client-rds';
import { CAPACITY_METRICS, SOURCE_DIMENSION } from '../capacity-mirror/metrics';
import { absorbTarget } from './targets';

export { absorbTarget, roundAcu } from './targets';

/** What the scaler needs; written by `lib/capacity/scaler.ts` into `SCALER_CONFIG`. */
export interface ScalerConfig {
  readonly region: string;
  /** Namespace of the capacity mirror. */
  readonly namespace: string;
  /** Regions whose mirrored capacity this region may have to absorb (every other region). */
  readonly sources: readonly string[];
  readonly asgName: string;
  readonly loadBalancer: string;
  readonly dbClusterId: string;
  readonly posture: 'pilot-light' | 'warm' | 'hot';
  /** The group's minimum in its standby posture (what the template deploys). */
  readonly postureMinInstances: number;
  readonly maxInstances: number;
  readonly postureMinAcu: number;
  readonly maxAcu: number;
  readonly headroomPercent: number;
  readonly peakWindowHours: number;
  readonly hotPercent: number;
  readonly quietMinutes: number;
  /** At or under this many requests per minute for `quietMinutes`, the region is quiet. */
  readonly quietRequestsPerMinute: number;
  /** Composite alarm (in this region) that means "the primary's customers are coming here". */
  readonly absorbAlarm: string;
  /**
   * Without mirrored figures the scaler assumes the maximum; after this many minutes of absorbing it
   * sizes the floor by the requests the region really receives instead (requests/min ÷
   * `requestsPerInstance` × headroom), so stale mirror data cannot pin the standby at its maximum for
   * the whole outage. @default no bound (the maximum while absorbing)
   */
  readonly unknownPeakMaxMinutes?: number;
  /** Requests per minute one instance is sized for (the web tier's target tracking figure). */
  readonly requestsPerInstance?: number;
}

/** What the scaler observed. */
export interface ScalerInputs {
  readonly absorbing: boolean;
  /** Highest mirrored peak of instances / ACU over the window among the sources; undefined = no data. */
  readonly peakInService?: number;
  readonly peakAcu?: number;
  /** Highest recent in-service count among the sources (for `hot`). */
  readonly currentSourceInService?: number;
  /** Highest local requests per minute over the last `quietMinutes`; undefined = no data (quiet). */
  readonly recentLocalRequests?: number;
  readonly group: { readonly min: number; readonly desired: number };
  readonly acu: { readonly min: number; readonly max: number };
  /** Minutes the absorb alarm has been in its current state; undefined = unknown. */
  readonly absorbingMinutes?: number;
}

/** What the scaler does (null = leave as is), with the reason for the log and the audit. */
export interface ScalerDecision {
  readonly mode: 'absorb' | 'standby' | 'hold';
  readonly group: { readonly min: number; readonly desired?: number } | null;
  readonly acuMin: number | null;
  readonly reason: string;
}

/**
 * The bound on absorbing without mirrored figures: past `unknownPeakMaxMinutes`, the floor follows
 * the local load (never under the posture, never over the maximum) and the ACU floor returns to the
 * posture (Serverless v2 still scales up to the maximum on demand). Lowering a floor terminates
 * nothing: target tracking scales the group in as the load allows. Null while the bound does not apply.
 */
function unknownPeakBound(config: ScalerConfig, inputs: ScalerInputs, known: boolean): ScalerDecision | null {
  if (known || config.unknownPeakMaxMinutes === undefined || !config.requestsPerInstance) return null;
  if (inputs.absorbingMinutes === undefined || inputs.absorbingMinutes < config.unknownPeakMaxMinutes)
    return null;
  const load = inputs.recentLocalRequests ?? 0;
  const instances = Math.min(
    config.maxInstances,
    Math.max(
      config.postureMinInstances,
      Math.ceil((load / config.requestsPerInstance) * (config.headroomPercent / 100)),
    ),
  );
  const group = inputs.group.min !== instances ? { min: instances } : null;
  const acuMin = inputs.acu.min > config.postureMinAcu ? config.postureMinAcu : null;
  return {
    mode: 'absorb',
    group,
    acuMin,
    reason: `${config.absorbAlarm} in ALARM for ${inputs.absorbingMinutes} min with no mirrored capacity: floor sized by the local load (${load} requests/min → ${instances} instances), not the maximum`,
  };
}

/** The minimum a region keeps while standing by: its posture, or for `hot` a share of the sources. */
export function standbyMinimum(config: ScalerConfig, currentSourceInService: number | undefined): number {
  if (config.posture !== 'hot' || currentSourceInService === undefined) return config.postureMinInstances;
  return Math.min(
    config.maxInstances,
    Math.max(config.postureMinInstances, Math.ceil((currentSourceInService * config.hotPercent) / 100)),
  );
}

/**
 * Decides the group's minimum and the cluster's minimum ACU. Raising is always allowed (and
 * immediate); lowering happens only when the trigger is clear and the region has been quiet for
 * `quietMinutes`, so a standby never shrinks while it carries the load.
 */
export function decide(config: ScalerConfig, inputs: ScalerInputs): ScalerDecision {
  const quiet =
    inputs.recentLocalRequests === undefined || inputs.recentLocalRequests <= config.quietRequestsPerMinute;
  if (inputs.absorbing) {
    const t = absorbTarget(config, inputs.peakInService, inputs.peakAcu);
    const bounded = unknownPeakBound(config, inputs, t.known);
    if (bounded) return bounded;
    const group =
      inputs.group.min < t.instances
        ? { min: t.instances, desired: Math.max(inputs.group.desired, t.instances) }
        : null;
    const acuMin = inputs.acu.min < t.acu ? t.acu : null;
    const basis = t.known
      ? `mirrored peak ${inputs.peakInService} instances / ${inputs.peakAcu} ACU × ${config.headroomPercent} %`
      : 'no mirrored capacity: assuming the maximum';
    return { mode: 'absorb', group, acuMin, reason: `${config.absorbAlarm} in ALARM; ${basis}` };
  }
  const min = standbyMinimum(config, inputs.currentSourceInService);
  if (inputs.group.min < min) {
    return {
      mode: 'standby',
      group: { min, desired: Math.max(inputs.group.desired, min) },
      acuMin: null,
      reason: `hot posture keeps ${config.hotPercent} % of ${inputs.currentSourceInService} instances`,
    };
  }
  const above = inputs.group.min > min || inputs.acu.min > config.postureMinAcu;
  if (!above) return { mode: 'standby', group: null, acuMin: null, reason: 'at its posture' };
  if (!quiet) {
    return {
      mode: 'hold',
      group: null,
      acuMin: null,
      reason: `still serving ${inputs.recentLocalRequests} requests/min (> ${config.quietRequestsPerMinute}) within ${config.quietMinutes} min: not scaling down mid-load`,
    };
  }
  return {
    mode: 'standby',
    // Desired capacity is left to target tracking, which scales in gradually.
    group: inputs.group.min > min ? { min } : null,
    acuMin: inputs.acu.min > config.postureMinAcu ? config.postureMinAcu : null,
    reason: `quiet for ${config.quietMinutes} min and ${config.absorbAlarm} clear: back to the ${config.posture} posture`,
  };
}

/** The SDK clients of this region: the scaler never needs another region's APIs. */
export interface ScalerClients {
  readonly autoscaling: AutoScalingClient;
  readonly cloudwatch: CloudWatchClient;
  readonly rds: RDSClient;
}

/** Reads the alarm, the mirrored figures and the current sizes, all from this region. */
export async function observe(
  clients: ScalerClients,
  config: ScalerConfig,
  now: Date,
): Promise<ScalerInputs> {
  const [alarms, data, groups, clusters] = await Promise.all([
    clients.cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNames: [config.absorbAlarm], AlarmTypes: ['CompositeAlarm'] }),
    ),
    clients.cloudwatch.send(metricQueries(config, now)),
    clients.autoscaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [config.asgName] }),
    ),
    clients.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: config.dbClusterId })),
  ]);
  // One query spans the peak window; "recent" figures keep only their datapoints since `since`.
  const max = (prefix: string, sinceMs = 0) => {
    const v = (data.MetricDataResults ?? [])
      .filter((r) => r.Id?.startsWith(prefix))
      .flatMap((r) => (r.Values ?? []).filter((_, i) => (r.Timestamps?.[i]?.getTime() ?? 0) >= sinceMs));
    return v.length ? Math.max(...v) : undefined;
  };
  const ago = (minutes: number) => now.getTime() - minutes * 60_000;
  const group = groups.AutoScalingGroups?.[0];
  if (!group) throw new Error(`Auto Scaling group ${config.asgName} not found`);
  const scaling = clusters.DBClusters?.[0]?.ServerlessV2ScalingConfiguration;
  if (!scaling) throw new Error(`cluster ${config.dbClusterId} has no Serverless v2 scaling configuration`);
  return {
    absorbing: alarms.CompositeAlarms?.[0]?.StateValue === 'ALARM',
    ...(alarms.CompositeAlarms?.[0]?.StateUpdatedTimestamp
      ? {
          absorbingMinutes: Math.floor(
            (now.getTime() - alarms.CompositeAlarms[0].StateUpdatedTimestamp.getTime()) / 60_000,
          ),
        }
      : {}),
    peakInService: max('peakins'),
    peakAcu: max('peakacu'),
    currentSourceInService: max('ins', ago(10)),
    recentLocalRequests: max('local', ago(config.quietMinutes)),
    group: { min: group.MinSize ?? 0, desired: group.DesiredCapacity ?? 0 },
    acu: { min: scaling.MinCapacity ?? config.postureMinAcu, max: scaling.MaxCapacity ?? config.maxAcu },
  };
}

function metricQueries(config: ScalerConfig, now: Date): GetMetricDataCommand {
  const windowSeconds = config.peakWindowHours * 3600;
  const mirrored = (id: string, metricName: string, source: string, period: number): MetricDataQuery => ({
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: config.namespace,
        MetricName: metricName,
        Dimensions: [{ Name: SOURCE_DIMENSION, Value: source }],
      },
      Period: period,
      Stat: 'Maximum',
    },
  });
  return new GetMetricDataCommand({
    StartTime: new Date(now.getTime() - windowSeconds * 1000),
    EndTime: now,
    MetricDataQueries: [
      // The peak over the whole window, in one datapoint: still there after the source went dark.
      ...config.sources.map((s, i) =>
        mirrored(`peakins${i}`, CAPACITY_METRICS.peakInService, s, windowSeconds),
      ),
      ...config.sources.map((s, i) => mirrored(`peakacu${i}`, CAPACITY_METRICS.peakAcu, s, windowSeconds)),
      // What the sources run now (datapoints of the last 10 minutes count), for a hot posture.
      ...config.sources.map((s, i) => mirrored(`ins${i}`, CAPACITY_METRICS.inService, s, 300)),
      {
        Id: 'local',
        MetricStat: {
          Metric: {
            Namespace: 'AWS/ApplicationELB',
            MetricName: 'RequestCount',
            Dimensions: [{ Name: 'LoadBalancer', Value: config.loadBalancer }],
          },
          Period: 60,
          Stat: 'Sum',
        },
      },
    ],
  });
}

/** Applies a decision: UpdateAutoScalingGroup and ModifyDBCluster, each only when needed. */
export async function apply(clients: ScalerClients, config: ScalerConfig, d: ScalerDecision): Promise<void> {
  const calls: Promise<unknown>[] = [];
  if (d.group) {
    calls.push(
      clients.autoscaling.send(
        new UpdateAutoScalingGroupCommand({
          AutoScalingGroupName: config.asgName,
          MinSize: d.group.min,
          ...(d.group.desired !== undefined ? { DesiredCapacity: d.group.desired } : {}),
        }),
      ),
    );
  }
  if (d.acuMin !== null) {
    calls.push(
      clients.rds.send(
        new ModifyDBClusterCommand({
          DBClusterIdentifier: config.dbClusterId,
          ServerlessV2ScalingConfiguration: { MinCapacity: d.acuMin, MaxCapacity: config.maxAcu },
          ApplyImmediately: true,
        }),
      ),
    );
  }
  // Both at once: the database must not wait for the instances, nor the other way round.
  const results = await Promise.allSettled(calls);
  const errors = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (errors.length) throw new Error(errors.map((e) => (e.reason as Error).message).join('; '));
}

/** One run: observe, decide, apply. */
export async function scale(
  clients: ScalerClients,
  config: ScalerConfig,
  now: Date = new Date(),
): Promise<ScalerDecision> {
  const decision = decide(config, await observe(clients, config, now));
  await apply(clients, config, decision);
  return decision;
}

/** Reads the scaler's settings from `SCALER_CONFIG`. */
export function configFromEnv(env: NodeJS.ProcessEnv): ScalerConfig {
  if (!env.SCALER_CONFIG) throw new Error('environment variable SCALER_CONFIG is missing');
  return JSON.parse(env.SCALER_CONFIG) as ScalerConfig;
}

const clients: ScalerClients = {
  autoscaling: new AutoScalingClient({}),
  cloudwatch: new CloudWatchClient({}),
  rds: new RDSClient({}),
};

/** Entry point: every minute, and at once when the absorb alarm changes state. */
export async function handler(): Promise<ScalerDecision> {
  const decision = await scale(clients, configFromEnv(process.env));
  console.log(JSON.stringify({ message: 'scaler decision', ...decision }));
  return decision;
}
