import { Duration, Size } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import type { RegionConfig, ShopConfig } from '../config/load';
import { Names } from '../config/names';
import type { AlarmTopic } from '../monitoring/alarm-topic';
import { DatabaseBackup } from './backup';
import { DB_PORT } from './engine';
import { PrimaryDatabase } from './primary-database';
import { SecondaryCluster } from './secondary-cluster';

/** Properties of {@link RegionalDatabase}. */
export interface RegionalDatabaseProps {
  readonly config: ShopConfig;
  readonly region: RegionConfig;
  readonly vpc: ec2.IVpc;
  readonly key: kms.IKey;
  readonly alarms: AlarmTopic;
  /** Interface endpoint of Secrets Manager (the rotation function in the isolated subnets uses it). */
  readonly secretsManagerEndpoint: ec2.IInterfaceVpcEndpoint;
}

/**
 * This region's member of the Aurora PostgreSQL Global Database (the writer in the primary region,
 * a promotable secondary elsewhere), its backups, its alarms, and the endpoints handed to the shop
 * through an SSM parameter with a deterministic name.
 */
export class RegionalDatabase extends Construct {
  readonly securityGroup: ec2.SecurityGroup;
  /** Local cluster (writer) endpoint: follows promotion of this region's cluster. */
  readonly endpoint: string;
  /** Local reader endpoint. */
  readonly readerEndpoint: string;
  readonly clusterIdentifier: string;
  readonly primary?: PrimaryDatabase;
  readonly secondary?: SecondaryCluster;
  readonly backup: DatabaseBackup;

  constructor(scope: Construct, id: string, props: RegionalDatabaseProps) {
    super(scope, id);
    const { config, region } = props;
    const names = new Names(config);
    const db = config.database;
    this.clusterIdentifier = names.dbClusterId(region.name);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Aurora: PostgreSQL from the web tier only',
      allowAllOutbound: false,
    });

    const common = {
      vpc: props.vpc,
      securityGroup: this.securityGroup,
      key: props.key,
      engineVersion: db.engineVersion,
      minCapacityAcu: db.minCapacityAcu,
      maxCapacityAcu: db.maxCapacityAcu,
      backupRetentionDays: db.backupRetentionDays,
      clusterIdentifier: this.clusterIdentifier,
      globalClusterIdentifier: names.globalClusterId(),
    };
    if (region.role === 'primary') {
      this.primary = new PrimaryDatabase(this, 'Primary', {
        ...common,
        databaseName: db.databaseName,
        secretName: names.dbSecretName(),
        replicaRegions: config.regions.filter((r) => r.role === 'standby').map((r) => r.name),
        replicaKeyAlias: names.replicaKeyAlias(),
        secretsManagerEndpoint: props.secretsManagerEndpoint,
      });
      this.endpoint = this.primary.cluster.clusterEndpoint.hostname;
      this.readerEndpoint = this.primary.cluster.clusterReadEndpoint.hostname;
    } else {
      this.secondary = new SecondaryCluster(this, 'Secondary', common);
      this.endpoint = this.secondary.endpoint;
      this.readerEndpoint = this.secondary.readerEndpoint;
    }

    const next = config.regions[(region.index + 1) % config.regions.length].name;
    this.backup = new DatabaseBackup(this, 'Backup', {
      vaultName: names.backupVault(region.name),
      cluster: this.primary?.cluster,
      copyTo: { [next]: names.backupVault(next) },
      retentionDays: 35,
      alarms: props.alarms,
    });

    new ssm.StringParameter(this, 'Endpoints', {
      parameterName: names.dbEndpointsParameter(),
      description: 'Database endpoints of this region (JSON) for the shop and shopctl',
      stringValue: JSON.stringify({
        clusterIdentifier: this.clusterIdentifier,
        globalClusterIdentifier: names.globalClusterId(),
        writer: this.endpoint,
        reader: this.readerEndpoint,
        port: DB_PORT,
        database: db.databaseName,
        secretName: names.dbSecretName(),
      }),
    });

    this.addAlarms(props);
  }

  /** Lets the web tier (its security group, and nothing else) connect. */
  allowFrom(client: ec2.ISecurityGroup): void {
    this.securityGroup.addIngressRule(client, ec2.Port.tcp(DB_PORT), 'PostgreSQL from the shop');
  }

  private addAlarms(props: RegionalDatabaseProps): void {
    const dims = { DBClusterIdentifier: this.clusterIdentifier };
    const metric = (metricName: string, statistic: string, period = Duration.minutes(1)) =>
      new cloudwatch.Metric({ namespace: 'AWS/RDS', metricName, dimensionsMap: dims, statistic, period });
    const alarms: cloudwatch.Alarm[] = [];
    if (props.region.role === 'standby') {
      // A secondary reports how far it trails the writer. Both alarms follow the region's intended
      // role; after a failover, the new standby's alarms are added by redeploying with the new order.
      alarms.push(
        new cloudwatch.Alarm(this, 'ReplicationLag', {
          alarmName: `${props.config.appName}-db-replication-lag-${props.region.name}`,
          alarmDescription: `Aurora global replication to ${props.region.name} lags more than ${props.config.database.replicationLagAlarmMs} ms for 5 minutes: an unplanned failover now would lose that much data.`,
          metric: metric('AuroraGlobalDBReplicationLag', 'Maximum'),
          threshold: props.config.database.replicationLagAlarmMs,
          evaluationPeriods: 5,
          datapointsToAlarm: 5,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
        new cloudwatch.Alarm(this, 'ReplicationStopped', {
          alarmName: `${props.config.appName}-db-replication-stopped-${props.region.name}`,
          alarmDescription: `No Aurora global replication lag reported in ${props.region.name} for 5 minutes: replication to this region has stopped or the secondary is down.`,
          metric: metric('AuroraGlobalDBReplicationLag', 'SampleCount', Duration.minutes(5)),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        }),
      );
    }
    alarms.push(
      new cloudwatch.Alarm(this, 'CapacitySaturated', {
        alarmName: `${props.config.appName}-db-capacity-${props.region.name}`,
        alarmDescription: `Aurora Serverless v2 in ${props.region.name} runs above 90 % of its maximum capacity for 10 minutes: raise database.maxCapacityAcu.`,
        metric: metric('ACUUtilization', 'Average'),
        threshold: 90,
        evaluationPeriods: 10,
        datapointsToAlarm: 10,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'LowLocalStorage', {
        alarmName: `${props.config.appName}-db-local-storage-${props.region.name}`,
        alarmDescription: `An Aurora instance in ${props.region.name} has under 2 GiB of local storage (temporary tables, sorts, logs).`,
        metric: metric('FreeLocalStorage', 'Minimum', Duration.minutes(5)),
        threshold: Size.gibibytes(2).toBytes(),
        evaluationPeriods: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
    for (const alarm of alarms) props.alarms.page(alarm);
  }
}
