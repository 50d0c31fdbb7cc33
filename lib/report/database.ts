/**
 * Database: the global cluster, its members, backups and what each failure can lose (RPO/RTO).
 */
import { CfnTemplate, describeValue, entries, flatten, Json, num, refId, uniqSorted } from './template';

/** One Aurora cluster of the global database. */
export interface DbClusterRow {
  readonly stack: string;
  readonly region: string;
  readonly clusterId: string;
  readonly role: 'writer' | 'secondary' | 'standalone';
  readonly engine: string;
  readonly engineVersion: string;
  readonly instances: number;
  readonly minAcu?: number;
  readonly maxAcu?: number;
  readonly backupRetentionDays?: number;
  readonly deletionPolicy: string;
  readonly replicationLagAlarmMs?: number;
}

/** A copy action of a backup rule. */
export interface BackupCopy {
  readonly region: string;
  readonly vault: string;
  readonly deleteAfterDays?: number;
}

/** A backup plan rule. */
export interface BackupPlanRow {
  readonly stack: string;
  readonly region: string;
  readonly rule: string;
  readonly schedule: string;
  readonly deleteAfterDays?: number;
  readonly continuous: boolean;
  readonly copies: readonly BackupCopy[];
}

/** The database section of the report. */
export interface DatabaseSection {
  readonly globalClusterId?: string;
  readonly writerRegion?: string;
  readonly clusters: readonly DbClusterRow[];
  readonly engineVersions: readonly string[];
  readonly engineVersionsMatch: boolean;
  readonly vaults: ReadonlyArray<{ readonly region: string; readonly name: string }>;
  readonly backupPlans: readonly BackupPlanRow[];
  readonly recovery: ReadonlyArray<{ readonly scenario: string; readonly rpo: string; readonly rto: string }>;
}

/** The global database as the templates define it. */
export function databaseSection(
  templates: Record<string, CfnTemplate>,
  regionOf: Map<string, string>,
): DatabaseSection {
  let globalClusterId: string | undefined;
  let writerCluster: { stack: string; id: string } | undefined;
  for (const [stack, t] of Object.entries(templates)) {
    for (const [, r] of entries(t, 'AWS::RDS::GlobalCluster')) {
      globalClusterId = String(r.Properties?.GlobalClusterIdentifier ?? globalClusterId);
      const src = refId(r.Properties?.SourceDBClusterIdentifier);
      if (src) writerCluster = { stack, id: src };
    }
  }
  const clusters: DbClusterRow[] = [];
  const vaults: Array<{ region: string; name: string }> = [];
  const plans: BackupPlanRow[] = [];
  for (const [stack, t] of Object.entries(templates)) {
    const region = regionOf.get(stack) ?? 'unknown';
    const lag = entries(t, 'AWS::CloudWatch::Alarm').find(
      ([, r]) =>
        r.Properties?.MetricName === 'AuroraGlobalDBReplicationLag' &&
        r.Properties?.Statistic !== 'SampleCount',
    );
    for (const [id, r] of entries(t, 'AWS::RDS::DBCluster')) {
      const p = r.Properties ?? {};
      const isWriter = writerCluster?.stack === stack && writerCluster.id === id;
      const instances = entries(t, 'AWS::RDS::DBInstance').filter(
        ([, i]) => refId(i.Properties?.DBClusterIdentifier) === id,
      );
      clusters.push({
        stack,
        region,
        clusterId: String(p.DBClusterIdentifier ?? id),
        role: isWriter ? 'writer' : p.GlobalClusterIdentifier ? 'secondary' : 'standalone',
        engine: String(p.Engine ?? '?'),
        engineVersion: String(p.EngineVersion ?? '(engine default)'),
        instances: instances.length,
        minAcu: num(p.ServerlessV2ScalingConfiguration?.MinCapacity),
        maxAcu: num(p.ServerlessV2ScalingConfiguration?.MaxCapacity),
        backupRetentionDays: num(p.BackupRetentionPeriod),
        deletionPolicy: r.DeletionPolicy ?? 'Delete',
        replicationLagAlarmMs: lag ? num(lag[1].Properties?.Threshold) : undefined,
      });
      if (p.GlobalClusterIdentifier && !globalClusterId) globalClusterId = String(p.GlobalClusterIdentifier);
    }
    for (const [, r] of entries(t, 'AWS::Backup::BackupVault')) {
      vaults.push({ region, name: String(r.Properties?.BackupVaultName) });
    }
    for (const [, r] of entries(t, 'AWS::Backup::BackupPlan')) {
      for (const rule of r.Properties?.BackupPlan?.BackupPlanRule ?? []) {
        plans.push({
          stack,
          region,
          rule: String(rule.RuleName),
          schedule: String(rule.ScheduleExpression ?? '(none)'),
          deleteAfterDays: num(rule.Lifecycle?.DeleteAfterDays),
          continuous: rule.EnableContinuousBackup === true,
          copies: (rule.CopyActions ?? []).map((c: Json) => {
            const arn = flatten(c.DestinationBackupVaultArn);
            const m = /:backup:([a-z0-9-]+):[^:]*:backup-vault:(.+)$/.exec(arn);
            return {
              region: m?.[1] ?? '?',
              vault: m?.[2] ?? describeValue(c.DestinationBackupVaultArn),
              deleteAfterDays: num(c.Lifecycle?.DeleteAfterDays),
            };
          }),
        });
      }
    }
  }
  const versions = uniqSorted(clusters.map((c) => c.engineVersion));
  const lagMs = clusters.map((c) => c.replicationLagAlarmMs).find((x) => x !== undefined);
  const pitr = clusters.map((c) => c.backupRetentionDays).find((x) => x !== undefined);
  const writerRegion = clusters.find((c) => c.role === 'writer')?.region;
  // The first secondary is where `shopctl failover` would move the writer.
  const to = clusters.find((c) => c.role === 'secondary')?.region ?? 'REGION';
  return {
    globalClusterId,
    writerRegion,
    clusters,
    engineVersions: versions,
    engineVersionsMatch: versions.length <= 1,
    vaults,
    backupPlans: plans,
    recovery: [
      {
        scenario: `Planned switchover (both regions healthy; \`shopctl failover --to ${to} --planned\`)`,
        rpo: '0 (Aurora waits for the secondary to catch up before switching)',
        rto: 'minutes (typically 1–2 min for the writer to move, plus DNS and the shop reconnecting)',
      },
      {
        scenario: `Unplanned failover (writer region lost; \`shopctl failover --to ${to} --unplanned\`)`,
        rpo: `≈ replication lag at the moment of loss: typically < 1 s${lagMs !== undefined ? `; paged when above ${lagMs} ms for 5 min` : ''}`,
        rto: `time to decide and run \`shopctl failover --to ${to} --unplanned\` plus ~1–2 min for Aurora to promote: minutes, human-driven`,
      },
      {
        scenario: 'Bad write / corruption (replicates everywhere in < 1 s)',
        rpo: `point in time within the ${pitr ?? '?'}-day backup retention (to the second), or the last daily AWS Backup point`,
        rto: 'restore to a new cluster (tens of minutes to hours, size-dependent), then repoint',
      },
    ],
  };
}
