import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  SwitchoverGlobalClusterCommand,
} from '@aws-sdk/client-rds';
import { throwIfInterrupted } from '../aws/deadline';
import { aws, errorKind, StepFailure } from '../aws/errors';
import type { Deps } from '../aws/deps';

export interface DbMember {
  readonly region: string;
  readonly arn: string;
  readonly isWriter: boolean;
}

export interface GlobalDbState {
  readonly status: string;
  readonly writerRegion: string | null;
  readonly members: readonly DbMember[];
  /** Region whose RDS API answered. */
  readonly answeredBy: string;
}

/** `arn:<partition>:rds:<region>:<account>:cluster:<id>` → region. */
export function regionFromArn(arn: string): string | null {
  const parts = arn.split(':');
  return parts.length >= 6 && parts[0] === 'arn' && parts[2] === 'rds' ? parts[3] : null;
}

/**
 * Describes the global cluster in every region of `order` at once and keeps the answer of the first
 * region in that order that answered: a stalled region costs one deadline, not one per region.
 * @throws the error of the first region when none answered.
 */
export async function describeGlobalDb(d: Deps, order: readonly string[]): Promise<GlobalDbState> {
  const settled = await Promise.allSettled(order.map((region) => describeIn(d, region)));
  const ok = settled.find((s): s is PromiseFulfilledResult<GlobalDbState> => s.status === 'fulfilled');
  if (ok) return ok.value;
  throw (settled[0] as PromiseRejectedResult).reason;
}

export async function describeIn(d: Deps, region: string): Promise<GlobalDbState> {
  const res = await aws(d, region, 'rds:DescribeGlobalClusters', (o) =>
    d
      .clients(region)
      .rds.send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: d.names.globalClusterId() }), o),
  );
  const g = res.GlobalClusters?.[0];
  if (!g) throw new Error(`global cluster ${d.names.globalClusterId()} not found`);
  const members: DbMember[] = (g.GlobalClusterMembers ?? [])
    .filter((m) => m.DBClusterArn)
    .map((m) => ({
      region: regionFromArn(m.DBClusterArn as string) ?? 'unknown',
      arn: m.DBClusterArn as string,
      isWriter: !!m.IsWriter,
    }));
  return {
    status: g.Status ?? 'unknown',
    writerRegion: members.find((m) => m.isWriter)?.region ?? null,
    members,
    answeredBy: region,
  };
}

/** The member of `region`: the cluster named `names.dbClusterId(region)` in that region. */
export function memberOf(d: Deps, db: GlobalDbState, region: string): DbMember | undefined {
  const id = d.names.dbClusterId(region);
  return (
    db.members.find((m) => m.region === region && m.arn.endsWith(`:cluster:${id}`)) ??
    db.members.find((m) => m.region === region)
  );
}

/** Maximum `AuroraGlobalDBReplicationLag` (ms) of the last 5 minutes in a secondary region, or null. */
export async function replicationLagMs(d: Deps, region: string): Promise<number | null> {
  const end = d.now();
  const res = await aws(d, region, 'cloudwatch:GetMetricData', (o) =>
    d.clients(region).cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(end.getTime() - 5 * 60_000),
        EndTime: end,
        MetricDataQueries: [
          {
            Id: 'lag',
            MetricStat: {
              Metric: {
                Namespace: 'AWS/RDS',
                MetricName: 'AuroraGlobalDBReplicationLag',
                Dimensions: [{ Name: 'DBClusterIdentifier', Value: d.names.dbClusterId(region) }],
              },
              Period: 60,
              Stat: 'Maximum',
            },
          },
        ],
      }),
      o,
    ),
  );
  const values = res.MetricDataResults?.[0]?.Values ?? [];
  return values.length ? Math.max(...values) : null;
}

/** Starts the move of the writer to `target`, calling the API in the target region. */
export async function promote(d: Deps, target: string, targetArn: string, unplanned: boolean): Promise<void> {
  const rds = d.clients(target).rds;
  const GlobalClusterIdentifier = d.names.globalClusterId();
  if (unplanned) {
    await aws(d, target, 'rds:FailoverGlobalCluster', (o) =>
      rds.send(
        new FailoverGlobalClusterCommand({
          GlobalClusterIdentifier,
          TargetDbClusterIdentifier: targetArn,
          AllowDataLoss: true,
        }),
        o,
      ),
    );
  } else {
    await aws(d, target, 'rds:SwitchoverGlobalCluster', (o) =>
      rds.send(
        new SwitchoverGlobalClusterCommand({ GlobalClusterIdentifier, TargetDbClusterIdentifier: targetArn }),
        o,
      ),
    );
  }
}

export function writerSettled(db: GlobalDbState, target: string): boolean {
  return db.writerRegion === target && db.status === 'available';
}

/** Polls (in the target region) until the writer is `target` and the global cluster is available. */
export async function waitForWriter(
  d: Deps,
  target: string,
  onUpdate: (text: string) => void,
): Promise<GlobalDbState> {
  const start = d.now().getTime();
  let lastText = '';
  for (;;) {
    throwIfInterrupted(d);
    let db: GlobalDbState;
    try {
      db = await describeIn(d, target);
    } catch (e) {
      const kind = errorKind(e);
      if ((kind !== 'throttled' && kind !== 'unreachable') || d.now().getTime() - start >= d.dbTimeoutMs)
        throw e;
      onUpdate(`retrying: ${kind}`);
      await d.sleep(d.pollMs);
      continue;
    }
    const text = `writer ${db.writerRegion ?? 'none'}, status ${db.status}`;
    if (text !== lastText) onUpdate(text);
    lastText = text;
    if (writerSettled(db, target)) return db;
    if (d.now().getTime() - start >= d.dbTimeoutMs) {
      throw new StepFailure(
        `timed out after ${Math.round(d.dbTimeoutMs / 1000)} s waiting for the writer (${text})`,
      );
    }
    await d.sleep(d.pollMs);
  }
}
