import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct, IConstruct } from 'constructs';
import { acknowledgeGuard, acknowledgeNag } from '../compliance/acknowledge';

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

/** Acknowledges, on one instance, the minor-version rules of every pack, for the reason above. */
export function acknowledgePinnedVersion(instance: IConstruct): void {
  acknowledgeNag(
    instance,
    'PCI.DSS.321-RDSAutomaticMinorVersionUpgradeEnabled',
    NO_AUTO_MINOR_UPGRADE_REASON,
  );
  acknowledgeGuard(
    instance,
    'rds_instance_automatic_minor_version_upgrade_enabled_check',
    NO_AUTO_MINOR_UPGRADE_REASON,
  );
}

/** Enhanced monitoring interval of every instance (OS metrics: CPU steal, memory, swap, I/O). */
export const MONITORING_INTERVAL = Duration.seconds(60);

/** The role RDS enhanced monitoring uses to publish OS metrics. */
export function monitoringRole(scope: Construct): iam.Role {
  const role = new iam.Role(scope, 'MonitoringRole', {
    assumedBy: new iam.ServicePrincipal('monitoring.rds.amazonaws.com'),
    description: 'RDS enhanced monitoring: publishes OS metrics to CloudWatch Logs',
    managedPolicies: [
      iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonRDSEnhancedMonitoringRole'),
    ],
  });
  acknowledgeNag(
    role,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
    'The documented service role policy for RDS enhanced monitoring, assumable only by monitoring.rds.amazonaws.com; it writes only to the RDSOSMetrics log group.',
  );
  return role;
}

/** What every member of the global database (the primary and each secondary) is built from. */
export interface ClusterMemberProps {
  readonly vpc: ec2.IVpc;
  /** The database's security group (the web tier is let in by the caller). */
  readonly securityGroup: ec2.ISecurityGroup;
  /** This region's key: each member of an encrypted global cluster uses a key of its own region. */
  readonly key: kms.IKey;
  /** The one engine version of every region (promotion needs an exact match). */
  readonly engineVersion: string;
  readonly minCapacityAcu: number;
  readonly maxCapacityAcu: number;
  readonly backupRetentionDays: number;
  /** Regional cluster identifier. */
  readonly clusterIdentifier: string;
  /** The global cluster: created by the primary, joined by every secondary. */
  readonly globalClusterIdentifier: string;
}

/** Port of every cluster. */
export const DB_PORT = 5432;

/**
 * The log group Aurora exports PostgreSQL logs to, created ahead of the cluster so that it is
 * encrypted, has a retention and survives the stack (Aurora would otherwise create it bare).
 */
export function clusterLogGroup(scope: Construct, clusterIdentifier: string, key: kms.IKey): logs.LogGroup {
  return new logs.LogGroup(scope, 'PostgresLogs', {
    logGroupName: `/aws/rds/cluster/${clusterIdentifier}/postgresql`,
    retention: logs.RetentionDays.ONE_YEAR,
    encryptionKey: key,
    removalPolicy: RemovalPolicy.RETAIN,
  });
}
