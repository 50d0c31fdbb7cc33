import { RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';

/**
 * The Aurora PostgreSQL engine of a pinned version. Every region builds its engine here from the
 * same config value, so primary and secondaries can never drift apart (promotion needs an exact match).
 */
export function auroraPostgres(version: string): rds.IClusterEngine {
  const major = version.split('.')[0];
  return rds.DatabaseClusterEngine.auroraPostgres({
    version: rds.AuroraPostgresEngineVersion.of(version, major),
  });
}

/** Parameter group family of a version, e.g. `aurora-postgresql16`. */
export function parameterGroupFamily(version: string): string {
  return `aurora-postgresql${version.split('.')[0]}`;
}

/** Cluster parameters applied in every region: TLS is mandatory and slow statements are logged. */
export const CLUSTER_PARAMETERS: Readonly<Record<string, string>> = {
  'rds.force_ssl': '1',
  log_min_duration_statement: '1000',
};

/** Log types exported to CloudWatch Logs. */
export const LOG_EXPORTS = ['postgresql'];

/**
 * Why instances do not upgrade minor versions by themselves: a global database needs the same engine
 * version in every region, so upgrades are made deliberately, across the global cluster, by changing
 * `database.engineVersion` in the config.
 */
export const NO_AUTO_MINOR_UPGRADE_REASON =
  'Aurora Global Database needs the exact same engine version in every region for switchover and failover; minor upgrades are applied deliberately to the whole global cluster by changing database.engineVersion, never by one instance on its own.';

/** Port of every cluster. */
export const DB_PORT = 5432;

/**
 * The log group Aurora exports PostgreSQL logs to, created ahead of the cluster so that it is
 * encrypted, has a retention and survives the stack (Aurora would otherwise create it bare).
 */
export function clusterLogGroup(scope: Construct, clusterIdentifier: string, key: kms.IKey): logs.LogGroup {
  return new logs.LogGroup(scope, 'PostgresLogs', {
    logGroupName: `/aws/rds/cluster/${clusterIdentifier}/postgresql`,
    retention: logs.RetentionDays.THREE_MONTHS,
    encryptionKey: key,
    removalPolicy: RemovalPolicy.RETAIN,
  });
}
