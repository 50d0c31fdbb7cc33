import { ArnFormat, CfnOutput, Fn, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53Targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';
import type { RegionConfig, ShopConfig } from '../config/load';
import { Names } from '../config/names';
import { Canary } from '../canary/canary';
import { grantReadTestSigning, TestSigningSecret } from '../canary/test-signing';
import { CapacityMirror } from '../capacity/capacity-mirror';
import { FailoverReadiness } from '../capacity/readiness';
import { StandbyScaler } from '../capacity/scaler';
import { acknowledgeNag } from '../compliance/acknowledge';
import { DB_PORT } from '../database/engine';
import { RegionalDatabase } from '../database/regional-database';
import { DrainSwitchHolder } from '../failover/drain-switch';
import { GameDayExperiments } from '../fis/game-day-experiments';
import { AlarmTopic } from '../monitoring/alarm-topic';
import { RegionalKey } from '../monitoring/regional-key';
import { Network } from '../network/network';
import { RegionalNotify, shopNotify } from '../notify/regional-notify';
import { readSecretStatement } from '../payments/replicated-secret';
import { RegionalPayments, shopPayments } from '../payments/regional-payments';
import { ShopArtifact } from '../web/shop-artifact';
import { RDS_CA_FILE, WebTier } from '../web/web-tier';

/** Properties of {@link RegionalStack}. */
export interface RegionalStackProps extends StackProps {
  readonly config: ShopConfig;
  readonly region: RegionConfig;
  /** Time against which promotions are judged past or future (tests pin it). */
  readonly now: Date;
  /** Shop source folder; the reference shop by default. */
  readonly shopSourceDir?: string;
}

/**
 * Everything one region runs: network, web tier, its database member, the drain switches it holds
 * for the other regions, its canary, its direct DNS name and its alarm topic. It reads nothing from
 * another region: shared names come from {@link Names}.
 */
export class RegionalStack extends Stack {
  readonly key: RegionalKey;
  readonly alarms: AlarmTopic;
  readonly network: Network;
  readonly web: WebTier;
  readonly database: RegionalDatabase;
  readonly switches: DrainSwitchHolder;
  readonly canary: Canary;
  readonly capacityMirror: CapacityMirror;
  readonly scaler: StandbyScaler;
  readonly readiness: FailoverReadiness;
  readonly gameDays: GameDayExperiments;
  readonly payments: RegionalPayments;
  /** Customer notifications (only when the config has `notifications`). */
  readonly notify?: RegionalNotify;
  /** The test-signing key (primary region only; replicated to the others). */
  readonly testSigning?: TestSigningSecret;
  private readonly azs: string[];

  constructor(scope: Construct, id: string, props: RegionalStackProps) {
    super(scope, id, props);
    const { config, region } = props;
    const names = new Names(config);
    // The region's first N zones as CloudFormation resolves them (Fn::GetAZs): no lookup at synth,
    // no hard-coded zone letters (ap-northeast-1 has no "b", for one).
    this.azs = Array.from({ length: region.network.azCount }, (_, i) => Fn.select(i, Fn.getAzs()));

    this.key = new RegionalKey(this, 'Key', { aliasName: `alias/${config.appName}-data` });
    this.alarms = new AlarmTopic(this, 'Alarms', {
      topicName: names.alarmTopic(),
      emails: config.alarmEmails,
      key: this.key.key,
    });
    this.network = new Network(this, 'Network', { settings: region.network, logKey: this.key.key });

    const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
      hostedZoneId: config.hostedZone.id,
      zoneName: config.hostedZone.name,
    });

    // The database is created before the web tier (whose user data needs its endpoints); the web
    // tier's security group is let in afterwards.
    this.database = new RegionalDatabase(this, 'Database', {
      config,
      region,
      vpc: this.network.vpc,
      key: this.key.key,
      alarms: this.alarms,
      secretsManagerEndpoint: this.network.secretsManagerEndpoint,
    });

    const notify = shopNotify(config);
    const artifact = new ShopArtifact(this, 'ShopArtifact', { sourceDir: props.shopSourceDir });
    this.web = new WebTier(this, 'Web', {
      vpc: this.network.vpc,
      settings: region.web,
      promotions: config.promotions.filter((p) => p.regions.includes(region.name)),
      now: props.now,
      zone,
      certificateNames: [...names.publicNames(config.includeWww), names.regionRecord(region.name)],
      artifact,
      notificationTopic: this.alarms.topic,
      groupName: names.webGroup(),
      waf: config.waf.alb
        ? {
            name: `${config.appName}-${region.name}`,
            rateLimit: config.waf.ratePer5MinPerIp,
            logKey: this.key.key,
          }
        : undefined,
      shopEnvironment: {
        region: region.name,
        role: region.role,
        dbWriterHost: this.database.endpoint,
        dbReaderHost: this.database.readerEndpoint,
        dbPort: String(DB_PORT),
        dbName: config.database.databaseName,
        dbSecretName: names.dbSecretName(),
        dbTls: 'true',
        dbCaFile: RDS_CA_FILE,
        port: '8080',
        version: artifact.asset.assetHash.slice(0, 12),
        // Single-quoted for systemd's EnvironmentFile; a quote inside becomes a JSON escape.
        contacts: `'${JSON.stringify(config.contacts).replace(/'/g, '\\u0027')}'`,
        currency: config.currency,
        payments: `'${JSON.stringify(shopPayments(config)).replace(/'/g, '\\u0027')}'`,
        testSigningSecretName: names.testSigningSecretName(),
        ...(notify ? { notify: `'${JSON.stringify(notify).replace(/'/g, '\\u0027')}'` } : {}),
      },
    });
    this.database.allowFrom(this.web.instanceSecurityGroup);
    // The instances read the secret and complete their lifecycle hook through these endpoints.
    for (const endpoint of [this.network.secretsManagerEndpoint, this.network.autoScalingEndpoint]) {
      endpoint.connections.allowDefaultPortFrom(this.web.instanceSecurityGroup, 'Shop instances');
    }
    // The master secret here is the primary's secret or its local replica: same name, this region.
    this.web.instancePolicy.addStatements(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        resources: [
          this.formatArn({
            service: 'secretsmanager',
            resource: 'secret',
            resourceName: `${names.dbSecretName()}-??????`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
      new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [this.key.key.keyArn] }),
      // A standby's replica is encrypted with the foundation stack's replica key, named here by its
      // alias (https://docs.aws.amazon.com/kms/latest/developerguide/alias-authorization.html): an
      // alias in the Resource element would name the alias, not the key.
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [this.formatArn({ service: 'kms', resource: 'key', resourceName: '*' })],
        conditions: {
          'ForAnyValue:StringEquals': { 'kms:ResourceAliases': names.replicaKeyAlias() },
          StringEquals: { 'kms:ViaService': `secretsmanager.${this.region}.amazonaws.com` },
        },
      }),
    );
    acknowledgeNag(
      this.web.instancePolicy,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:${this.region}:${this.account}:key/*]`,
      `The key is in the foundation stack and is named by its alias through the kms:ResourceAliases condition (${names.replicaKeyAlias()}), only through Secrets Manager in this region: the one key that encrypts the local secret replica.`,
    );

    // Payments (#21): provider secrets (primary), the operator switch, the instances' grants, alarms.
    this.payments = new RegionalPayments(this, 'Payments', {
      config,
      region,
      key: this.key.key,
      alarms: this.alarms,
      instancePolicy: this.web.instancePolicy,
    });
    // Customer notifications (#25): channel secrets (primary), the switch, the grants, the alarms.
    if (notify) {
      this.notify = new RegionalNotify(this, 'Notify', {
        config,
        region,
        key: this.key.key,
        alarms: this.alarms,
        instancePolicy: this.web.instancePolicy,
        targetGroup: this.web.targetGroup,
      });
    }
    if (region.role === 'primary') {
      this.testSigning = new TestSigningSecret(this, 'TestSigning', { config, key: this.key.key });
    }
    // The shop verifies test requests with its local copy (decrypted through the statements above).
    this.web.instancePolicy.addStatements(readSecretStatement(this, [names.testSigningSecretName()]));

    new route53.ARecord(this, 'DirectRecord', {
      zone,
      recordName: names.regionRecord(region.name),
      target: route53.RecordTarget.fromAlias(
        new route53Targets.LoadBalancerTarget(this.web.alb, { evaluateTargetHealth: true }),
      ),
      comment: `Direct name of ${region.name}; the failover chain and health checks point here`,
    });

    this.switches = new DrainSwitchHolder(this, 'DrainSwitches', {
      names,
      targets: names.switchesHeldBy(region.name),
      key: this.key.key,
      alarms: this.alarms,
    });
    this.canary = new Canary(this, 'Canary', { config, key: this.key.key, alarms: this.alarms });
    grantReadTestSigning(this.canary.handler.policy, config, this.key.key);

    // Fault experiments for game days: inert templates, started only by `shopctl drill`.
    this.gameDays = new GameDayExperiments(this, 'GameDays', {
      appName: config.appName,
      vpc: this.network.vpc,
      asg: this.web.asg,
      writerClusterIdentifier: region.role === 'primary' ? this.database.clusterIdentifier : undefined,
      stopAlarms: [this.canary.addGameDayBrake()],
      key: this.key.key,
      lambdaFaults: config.gameDays.lambdaFaultInjection
        ? {
            canary: this.canary.handler,
            switchPublisher: this.switches.publisher,
            accessLogs: this.web.accessLogBucket,
          }
        : undefined,
    });

    // Capacity at failover (#14): every region mirrors what it serves with and can absorb the others'.
    const capacity = { config, key: this.key.key, alarms: this.alarms, asg: this.web.asg, alb: this.web.alb };
    this.capacityMirror = new CapacityMirror(this, 'CapacityMirror', capacity);
    this.scaler = new StandbyScaler(this, 'Scaler', { ...capacity, region });
    this.scaler.node.addDependency(this.canary); // its trigger reads the canary's consensus alarms
    this.readiness = new FailoverReadiness(this, 'Readiness', {
      ...capacity,
      region,
      certificate: this.web.certificate,
    });

    new logs.LogGroup(this, 'AuditLog', {
      logGroupName: names.auditLogGroup(),
      retention: logs.RetentionDays.TWO_YEARS,
      encryptionKey: this.key.key,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    new CfnOutput(this, 'LoadBalancerDns', { value: this.web.alb.loadBalancerDnsName });
    new CfnOutput(this, 'DirectUrl', { value: `https://${names.regionRecord(region.name)}/` });
    new CfnOutput(this, 'DatabaseEndpoint', { value: this.database.endpoint });
  }

  /** Resolved by CloudFormation: a VPC would otherwise look them up (and write cdk.context.json). */
  override get availabilityZones(): string[] {
    return this.azs;
  }
}
