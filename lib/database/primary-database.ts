import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledgeNag } from '../compliance/acknowledge';
import {
  auroraPostgres,
  CLUSTER_PARAMETERS,
  clusterLogGroup,
  DB_PORT,
  LOG_EXPORTS,
  acknowledgePinnedVersion,
  ClusterMemberProps,
  MONITORING_INTERVAL,
  monitoringRole,
} from './engine';

/** Properties of {@link PrimaryDatabase}. */
export interface PrimaryDatabaseProps extends ClusterMemberProps {
  readonly databaseName: string;
  /** Name of the master secret, replicated under the same name to `replicaRegions`. */
  readonly secretName: string;
  /** Regions that receive a replica of the secret (every standby). */
  readonly replicaRegions: readonly string[];
  /**
   * Alias of the key that encrypts each replica in its region. It must exist before this stack
   * deploys: it lives in each region's foundation stack (see `FoundationStack`).
   */
  readonly replicaKeyAlias: string;
  /** Interface endpoint of Secrets Manager in the VPC: the rotation function's only way to the API. */
  readonly secretsManagerEndpoint: ec2.IInterfaceVpcEndpoint;
}

/**
 * The writer side of the Aurora PostgreSQL Global Database: a Serverless v2 cluster (writer and a
 * reader in another AZ) that becomes the source of an `AWS::RDS::GlobalCluster`, and the master
 * secret, replicated to every standby region under the same name.
 */
export class PrimaryDatabase extends Construct {
  readonly cluster: rds.DatabaseCluster;
  readonly globalCluster: rds.CfnGlobalCluster;
  readonly secret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: PrimaryDatabaseProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.secret = new secretsmanager.Secret(this, 'MasterSecret', {
      secretName: props.secretName,
      description: 'Aurora master credentials for resilient-shop (replicated to every standby region)',
      encryptionKey: props.key,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: 'shop_admin' }),
        generateStringKey: 'password',
        excludePunctuation: true,
        passwordLength: 32,
      },
      replicaRegions: props.replicaRegions.map((region) => ({
        region,
        // The replica is encrypted with that region's replica key, named by its alias (no cross-region
        // reference); the foundation stack that creates it deploys before this one.
        encryptionKey: kms.Key.fromKeyArn(
          this,
          `ReplicaKey-${region}`,
          stack.formatArn({
            service: 'kms',
            region,
            resource: 'alias',
            resourceName: props.replicaKeyAlias.replace(/^alias\//, ''),
          }),
        ),
      })),
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const engine = auroraPostgres(props.engineVersion);
    this.cluster = new rds.DatabaseCluster(this, 'Cluster', {
      engine,
      clusterIdentifier: props.clusterIdentifier,
      credentials: rds.Credentials.fromSecret(this.secret),
      defaultDatabaseName: props.databaseName,
      writer: rds.ClusterInstance.serverlessV2('Writer', {
        publiclyAccessible: false,
        ...instanceInsights(props.key),
      }),
      readers: [
        rds.ClusterInstance.serverlessV2('Reader', {
          scaleWithWriter: true,
          publiclyAccessible: false,
          ...instanceInsights(props.key),
        }),
      ],
      serverlessV2MinCapacity: props.minCapacityAcu,
      serverlessV2MaxCapacity: props.maxCapacityAcu,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [props.securityGroup],
      port: DB_PORT,
      storageEncrypted: true,
      storageEncryptionKey: props.key,
      iamAuthentication: true,
      parameterGroup: new rds.ParameterGroup(this, 'Parameters', {
        engine,
        parameters: { ...CLUSTER_PARAMETERS },
      }),
      cloudwatchLogsExports: LOG_EXPORTS,
      backup: { retention: Duration.days(props.backupRetentionDays), preferredWindow: '17:00-18:00' },
      preferredMaintenanceWindow: 'sun:18:30-sun:19:30',
      deletionProtection: true,
      removalPolicy: RemovalPolicy.SNAPSHOT,
      copyTagsToSnapshot: true,
      enablePerformanceInsights: true,
      performanceInsightEncryptionKey: props.key,
      monitoringInterval: MONITORING_INTERVAL,
      monitoringRole: monitoringRole(this),
    });

    this.cluster.node.addDependency(clusterLogGroup(this, props.clusterIdentifier, props.key));
    // Single-user rotation every 30 days; the replicas follow the primary secret and the shop
    // re-reads its local replica when authentication fails.
    // The function runs in the isolated subnets (next to the cluster), which have no default route:
    // it reaches Secrets Manager only through the VPC's interface endpoint.
    const rotation = this.cluster.addRotationSingleUser({
      automaticallyAfter: Duration.days(30),
      endpoint: props.secretsManagerEndpoint,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    });
    props.secretsManagerEndpoint.connections.allowDefaultPortFrom(
      rotation.node.findChild('SecurityGroup') as ec2.ISecurityGroup,
      'Secret rotation function',
    );
    for (const id of ['Writer', 'Reader']) acknowledgePinnedVersion(this.cluster.node.findChild(id));
    // The rotation function's access to the cluster port: the rules cannot read the port token.
    const rotationIngress = props.securityGroup.node.children.find((c) =>
      c.node.id.includes('RotationSingleUser'),
    );
    for (const rule of ['PCI.DSS.321-EC2RestrictedCommonPorts', 'PCI.DSS.321-EC2RestrictedSSH']) {
      acknowledgeNag(
        rotationIngress ?? props.securityGroup,
        rule,
        `The rule cannot evaluate the port token of the rotation ingress; it opens only the database port (${DB_PORT}) to the secret rotation function's security group.`,
      );
    }

    this.globalCluster = new rds.CfnGlobalCluster(this, 'Global', {
      globalClusterIdentifier: props.globalClusterIdentifier,
      sourceDbClusterIdentifier: this.cluster.clusterIdentifier,
      deletionProtection: true,
    });
    this.globalCluster.applyRemovalPolicy(RemovalPolicy.RETAIN);
  }
}

function instanceInsights(
  key: kms.IKey,
): Pick<
  rds.ClusterInstanceOptions,
  'enablePerformanceInsights' | 'performanceInsightEncryptionKey' | 'autoMinorVersionUpgrade'
> {
  return {
    enablePerformanceInsights: true,
    performanceInsightEncryptionKey: key,
    autoMinorVersionUpgrade: false,
  };
}
