import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  SwitchoverGlobalClusterCommand,
} from '@aws-sdk/client-rds';
import { type CallContext, throwIfInterrupted } from '../aws/deadline';
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
  /**
   * Where a switchover or failover in progress is moving the writer (`FailoverState.ToDbClusterArn`:
   * "the DB cluster that is currently being promoted",
   * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_FailoverState.html); null when none
   * is in progress or the API did not say.
   */
  readonly movingTo: string | null;
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

/** The global cluster as `region`'s RDS API describes it (`ctx`: the deadline; default the run's). */
export async function describeIn(d: Deps, region: string, ctx: CallContext = d): Promise<GlobalDbState> {
  const res = await aws(ctx, region, 'rds:DescribeGlobalClusters', (o) =>
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
  const to = g.FailoverState?.ToDbClusterArn;
  return {
    status: g.Status ?? 'unknown',
    writerRegion: members.find((m) => m.isWriter)?.region ?? null,
    members,
    answeredBy: region,
    movingTo: to ? regionFromArn(to) : null,
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

/** A switchover or failover is in progress (`Status` of the global cluster). */
export function dbInProgress(db: GlobalDbState): boolean {
  return ['switching-over', 'failing-over'].includes(db.status);
}

/**
 * Polls (in `region`) until no switchover or failover is in progress, whichever way it moves the
 * writer: RDS takes no second one while one runs, and a rollback cut mid-way must wait for it.
 */
export async function waitUntilSettled(
  d: Deps,
  region: string,
  onUpdate: (text: string) => void,
): Promise<GlobalDbState> {
  const start = d.now().getTime();
  for (;;) {
    throwIfInterrupted(d);
    const db = await describeIn(d, region);
    if (!dbInProgress(db)) return db;
    onUpdate(
      `a move to ${db.movingTo ?? 'an unknown region'} is in progress (${db.status}); waiting for it to end`,
    );
    if (d.now().getTime() - start >= d.dbTimeoutMs) {
      throw new StepFailure(
        `timed out after ${Math.round(d.dbTimeoutMs / 1000)} s waiting for the move to ${db.movingTo ?? 'an unknown region'} to end (status ${db.status})`,
      );
    }
    await d.sleep(d.pollMs);
  }
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
