import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import {
  CLUSTER_PARAMETERS,
  clusterLogGroup,
  DB_PORT,
  LOG_EXPORTS,
  acknowledgePinnedVersion,
  ClusterMemberProps,
  MONITORING_INTERVAL,
  monitoringRole,
  parameterGroupFamily,
} from './engine';

/** Properties of {@link SecondaryCluster}. */
export interface SecondaryClusterProps extends ClusterMemberProps {
  /**
   * Instances in the secondary (at least 1; 2 puts a second one in another AZ so the region keeps a
   * writer candidate after promotion).
   * @default 2
   */
  readonly instances?: number;
}

/**
 * A secondary (read-only, promotable) member of the Aurora Global Database in a standby region.
 *
 * CDK has no L2 for this: `DatabaseCluster` always renders master credentials. A secondary takes
 * no master username, no password and no database name; it names the global cluster and inherits
 * them. This construct is the one place that knows that.
 */
export class SecondaryCluster extends Construct {
  readonly cluster: rds.CfnDBCluster;
  readonly instances: rds.CfnDBInstance[] = [];
  readonly endpoint: string;
  readonly readerEndpoint: string;

  constructor(scope: Construct, id: string, props: SecondaryClusterProps) {
    super(scope, id);
    const count = props.instances ?? 2;
    if (count < 1) throw new Error(`${this.node.path}: instances must be at least 1 (got ${count})`);

    const subnets = new rds.SubnetGroup(this, 'Subnets', {
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      description: 'Isolated subnets of the secondary Aurora cluster',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const parameters = new rds.CfnDBClusterParameterGroup(this, 'Parameters', {
      family: parameterGroupFamily(props.engineVersion),
      description: 'resilient-shop secondary cluster parameters (same as the primary)',
      parameters: { ...CLUSTER_PARAMETERS },
    });

    this.cluster = new rds.CfnDBCluster(this, 'Cluster', {
      dbClusterIdentifier: props.clusterIdentifier,
      globalClusterIdentifier: props.globalClusterIdentifier,
      engine: 'aurora-postgresql',
      engineVersion: props.engineVersion,
      dbClusterParameterGroupName: parameters.ref,
      dbSubnetGroupName: subnets.subnetGroupName,
      vpcSecurityGroupIds: [props.securityGroup.securityGroupId],
      port: DB_PORT,
      storageEncrypted: true,
      kmsKeyId: props.key.keyArn,
      enableIamDatabaseAuthentication: true,
      enableCloudwatchLogsExports: LOG_EXPORTS,
      backupRetentionPeriod: props.backupRetentionDays,
      preferredBackupWindow: '17:00-18:00',
      preferredMaintenanceWindow: 'sun:18:30-sun:19:30',
      deletionProtection: true,
      copyTagsToSnapshot: true,
      serverlessV2ScalingConfiguration: {
        minCapacity: props.minCapacityAcu,
        maxCapacity: props.maxCapacityAcu,
      },
    });
    this.cluster.applyRemovalPolicy(RemovalPolicy.SNAPSHOT);
    this.cluster.addResourceDependency(
      clusterLogGroup(this, props.clusterIdentifier, props.key).node.defaultChild as logs.CfnLogGroup,
    );

    const monitoring = monitoringRole(this);
    // Instances are compute; the data lives in the cluster volume, which the cluster's SNAPSHOT
    // policy and deletion protection keep (the primary's instances are deleted the same way).
    for (let i = 0; i < count; i++) {
      const instance = new rds.CfnDBInstance(this, `Instance${i + 1}`, {
        dbClusterIdentifier: this.cluster.ref,
        dbInstanceClass: 'db.serverless',
        engine: 'aurora-postgresql',
        publiclyAccessible: false,
        autoMinorVersionUpgrade: false,
        enablePerformanceInsights: true,
        performanceInsightsKmsKeyId: props.key.keyArn,
        promotionTier: i,
        monitoringInterval: MONITORING_INTERVAL.toSeconds(),
        monitoringRoleArn: monitoring.roleArn,
      });
      acknowledgePinnedVersion(instance);
      this.instances.push(instance);
    }

    this.endpoint = this.cluster.attrEndpointAddress;
    this.readerEndpoint = this.cluster.attrReadEndpointAddress;
  }
}
