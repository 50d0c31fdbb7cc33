import { ACMClient, DescribeCertificateCommand } from '@aws-sdk/client-acm';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeWarmPoolCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  CloudWatchClient,
  GetMetricDataCommand,
  MetricDataQuery,
  MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import { DescribeDBClustersCommand, DescribeGlobalClustersCommand, RDSClient } from '@aws-sdk/client-rds';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CAPACITY_METRICS, SOURCE_DIMENSION } from '../capacity-mirror/metrics';

/** The checks, in the order they are reported. */
export const CHECKS = [
  'secret-replica',
  'database',
  'web',
  'warm-pool',
  'drain-switch',
  'certificate',
  'canary',
  'capacity-mirror',
] as const;
export type CheckName = (typeof CHECKS)[number];

/** One check's outcome; `detail` says why, for the log, the metric reader and `shopctl check`. */
export interface CheckResult {
  readonly check: CheckName;
  readonly ok: boolean;
  readonly detail: string;
}

/** What the readiness check of one region needs (the Lambda gets it from `READINESS_CONFIG`). */
export interface ReadinessTarget {
  /** The region judged: would a failover to it succeed now? */
  readonly region: string;
  readonly primaryRegion: string;
  readonly secretName: string;
  readonly dbClusterId: string;
  readonly globalClusterId: string;
  readonly asgName: string;
  readonly certificateArn: string;
  readonly warmPoolMinSize: number;
  readonly lagLimitMs: number;
  readonly certificateMinDays: number;
  /** Regions whose drain switch this region holds (their metrics must be fresh here). */
  readonly heldSwitches: readonly string[];
  /** Every region (canary vantage points; capacity mirror sources are the others). */
  readonly regions: readonly string[];
  readonly namespaces: {
    readonly capacity: string;
    readonly switch: string;
    readonly switchMetric: string;
    readonly canary: string;
  };
}

/** The clients of the judged region, and the primary's Secrets Manager (which may be unreachable). */
export interface ReadinessClients {
  readonly local: {
    readonly autoscaling: AutoScalingClient;
    readonly acm: ACMClient;
    readonly cloudwatch: CloudWatchClient;
    readonly rds: RDSClient;
    readonly secrets: SecretsManagerClient;
  };
  readonly primarySecrets: SecretsManagerClient;
}

/** A metric must have a datapoint this recent to count as fresh. */
export const FRESH_MINUTES = 5;

const message = (e: unknown) => (e as Error)?.message ?? String(e);

/**
 * Verifies, with the judged region's own APIs, that a failover to it would succeed now. Each check
 * fails on its own with its reason; an API that does not answer fails that check, never the run.
 * Only the secret's replication status is read in the primary, and when the primary does not
 * answer, the local replica's presence is accepted (the primary's outage is the failover's reason,
 * not the standby's defect).
 */
export async function evaluate(
  clients: ReadinessClients,
  t: ReadinessTarget,
  now: Date = new Date(),
): Promise<CheckResult[]> {
  const metrics = clients.local.cloudwatch.send(metricQueries(t, now)).then(
    (r) => r.MetricDataResults ?? [],
    (e: unknown) => new Error(`CloudWatch: ${message(e)}`),
  );
  const guard = async (
    check: CheckName,
    run: () => Promise<Omit<CheckResult, 'check'>>,
  ): Promise<CheckResult> => {
    try {
      return { check, ...(await run()) };
    } catch (e) {
      return { check, ok: false, detail: message(e) };
    }
  };
  const withMetrics = async (f: (m: MetricDataResult[]) => Omit<CheckResult, 'check'>) => {
    const m = await metrics;
    if (m instanceof Error) throw m;
    return f(m);
  };
  const since = (minutes: number) => now.getTime() - minutes * 60_000;
  const points = (m: MetricDataResult[], id: string, sinceMs: number) => {
    const r = m.find((x) => x.Id === id);
    return (r?.Values ?? []).filter((_, i) => (r?.Timestamps?.[i]?.getTime() ?? 0) >= sinceMs);
  };

  return Promise.all([
    guard('secret-replica', () => secretReplica(clients, t)),
    guard('database', async () => database(clients, t, await metrics)),
    guard('web', async () => {
      const g = (
        await clients.local.autoscaling.send(
          new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [t.asgName] }),
        )
      ).AutoScalingGroups?.[0];
      if (!g) return { ok: false, detail: `group ${t.asgName} not found` };
      const healthy = (g.Instances ?? []).filter(
        (i) => i.LifecycleState === 'InService' && i.HealthStatus === 'Healthy',
      ).length;
      const min = g.MinSize ?? 0;
      return {
        ok: healthy >= min,
        detail: `${healthy} healthy in service, minimum ${min}`,
      };
    }),
    guard('warm-pool', async () => {
      if (t.warmPoolMinSize === 0) return { ok: true, detail: 'no warm pool configured' };
      const pool = await clients.local.autoscaling.send(
        new DescribeWarmPoolCommand({ AutoScalingGroupName: t.asgName }),
      );
      const instances = pool.Instances ?? [];
      // Warmed:Stopped (or Running/Hibernated) = initialised; Warmed:Pending* = still bootstrapping.
      const ready = instances.filter((i) =>
        /^Warmed:(Stopped|Running|Hibernated)$/.test(i.LifecycleState ?? ''),
      );
      return {
        ok: ready.length >= t.warmPoolMinSize,
        detail: `${ready.length} of ${instances.length} warm-pool instances initialised, minimum ${t.warmPoolMinSize}`,
      };
    }),
    guard('drain-switch', () =>
      withMetrics((m) => {
        const stale = t.heldSwitches.filter((_, i) => points(m, `sw${i}`, since(FRESH_MINUTES)).length === 0);
        return {
          ok: stale.length === 0,
          detail: stale.length
            ? `no switch metric for ${stale.join(', ')} in ${FRESH_MINUTES} min (the publisher is not running)`
            : `switch metrics for ${t.heldSwitches.join(', ')} fresh`,
        };
      }),
    ),
    guard('certificate', async () => {
      const c = (
        await clients.local.acm.send(new DescribeCertificateCommand({ CertificateArn: t.certificateArn }))
      ).Certificate;
      const days = c?.NotAfter ? Math.floor((c.NotAfter.getTime() - now.getTime()) / 86_400_000) : -1;
      return {
        ok: c?.Status === 'ISSUED' && days >= t.certificateMinDays,
        detail: `${c?.Status ?? 'unknown'}, valid ${days} more days (minimum ${t.certificateMinDays})`,
      };
    }),
    guard('canary', () =>
      withMetrics((m) => {
        // As the consensus alarms judge: failing 3 of the last 5 minutes from a vantage point.
        const seen = t.regions.map((_, i) => points(m, `can${i}`, since(FRESH_MINUTES)));
        const reporting = seen.filter((p) => p.length > 0);
        const failing = t.regions.filter((_, i) => seen[i].filter((v) => v >= 1).length >= 3);
        const needed = Math.min(2, reporting.length);
        if (reporting.length === 0)
          return { ok: false, detail: `no canary verdict on ${t.region} in ${FRESH_MINUTES} min` };
        return {
          ok: failing.length < needed,
          detail: failing.length
            ? `${t.region} failing from ${failing.join(', ')}`
            : `green from ${reporting.length} vantage point(s)`,
        };
      }),
    ),
    guard('capacity-mirror', () =>
      withMetrics((m) => {
        const sources = t.regions.filter((r) => r !== t.region);
        const stale = sources.filter(
          (s) => points(m, `mir${t.regions.indexOf(s)}`, since(FRESH_MINUTES)).length === 0,
        );
        return {
          ok: stale.length === 0,
          detail: stale.length
            ? `no mirrored capacity from ${stale.join(', ')} in ${FRESH_MINUTES} min`
            : `mirrored capacity from ${sources.join(', ')} fresh`,
        };
      }),
    ),
  ]);
}

async function secretReplica(
  clients: ReadinessClients,
  t: ReadinessTarget,
): Promise<Omit<CheckResult, 'check'>> {
  if (t.region === t.primaryRegion) {
    await clients.local.secrets.send(new DescribeSecretCommand({ SecretId: t.secretName }));
    return { ok: true, detail: 'primary secret present' };
  }
  try {
    // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ReplicationStatusType.html
    const s = await clients.primarySecrets.send(new DescribeSecretCommand({ SecretId: t.secretName }));
    const replica = s.ReplicationStatus?.find((r) => r.Region === t.region);
    if (!replica) return { ok: false, detail: `not replicated to ${t.region}` };
    return {
      ok: replica.Status === 'InSync',
      detail: `${replica.Status}${replica.StatusMessage ? `: ${replica.StatusMessage}` : ''}`,
    };
  } catch (e) {
    const local = await clients.local.secrets.send(new DescribeSecretCommand({ SecretId: t.secretName }));
    return {
      ok: local.PrimaryRegion === t.primaryRegion,
      detail: `primary ${t.primaryRegion} unreachable (${message(e)}); local replica present, sync unverified`,
    };
  }
}

async function database(
  clients: ReadinessClients,
  t: ReadinessTarget,
  metrics: MetricDataResult[] | Error,
): Promise<Omit<CheckResult, 'check'>> {
  const [clusters, globals] = await Promise.all([
    clients.local.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: t.dbClusterId })),
    clients.local.rds.send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: t.globalClusterId })),
  ]);
  const cluster = clusters.DBClusters?.[0];
  const status = cluster?.Status ?? 'missing';
  if (status !== 'available') return { ok: false, detail: `cluster ${t.dbClusterId} is ${status}` };
  const member = globals.GlobalClusters?.[0]?.GlobalClusterMembers?.find(
    (m) => m.DBClusterArn === cluster?.DBClusterArn,
  );
  if (!member)
    return { ok: false, detail: `cluster ${t.dbClusterId} is not a member of ${t.globalClusterId}` };
  if (member.IsWriter) return { ok: true, detail: 'writer, available' };
  if (metrics instanceof Error) throw metrics;
  const lag = (metrics.find((m) => m.Id === 'lag')?.Values ?? [])[0];
  if (lag === undefined)
    return { ok: false, detail: 'secondary available, no replication lag reported (replication stopped?)' };
  return {
    ok: lag <= t.lagLimitMs,
    detail: `secondary available, lag ${lag} ms (limit ${t.lagLimitMs})`,
  };
}

function metricQueries(t: ReadinessTarget, now: Date): GetMetricDataCommand {
  const q = (
    id: string,
    namespace: string,
    metricName: string,
    dims: Record<string, string>,
  ): MetricDataQuery => ({
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: namespace,
        MetricName: metricName,
        Dimensions: Object.entries(dims).map(([Name, Value]) => ({ Name, Value })),
      },
      Period: 60,
      Stat: 'Maximum',
    },
  });
  return new GetMetricDataCommand({
    StartTime: new Date(now.getTime() - 10 * 60_000),
    EndTime: now,
    ScanBy: 'TimestampDescending',
    MetricDataQueries: [
      q('lag', 'AWS/RDS', 'AuroraGlobalDBReplicationLag', { DBClusterIdentifier: t.dbClusterId }),
      ...t.heldSwitches.map((s, i) =>
        q(`sw${i}`, t.namespaces.switch, t.namespaces.switchMetric, { TargetRegion: s }),
      ),
      ...t.regions.map((v, i) =>
        q(`can${i}`, t.namespaces.canary, 'TargetFailed', { Target: t.region, Vantage: v }),
      ),
      ...t.regions.flatMap((s, i) =>
        s === t.region
          ? []
          : [q(`mir${i}`, t.namespaces.capacity, CAPACITY_METRICS.inService, { [SOURCE_DIMENSION]: s })],
      ),
    ],
  });
}
