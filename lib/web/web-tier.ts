import { Annotations, ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { acknowledgeGuard, acknowledgeLogBucket, acknowledgeNag } from '../compliance/acknowledge';
import type { Promotion } from '../config/load';
import type { WebSettings } from '../config/schema';
import { HEALTH_PATH, SHOP_ENV, SHOP_PORT } from '../contract/shop';
import { RateLimitedWebAcl } from '../monitoring/web-acl';
import { planPromotions } from './promotions';
import {
  BOOTSTRAP_HOOK,
  BOOTSTRAP_SCRIPT,
  BOOTSTRAP_UNIT,
  bootstrapScript,
  bootstrapUnit,
} from './bootstrap';
import { RDS_CA_IN_ARTIFACT, SHOP_BUNDLE_FILE, ShopArtifact } from './shop-artifact';

/** Properties of {@link WebTier}. */
export interface WebTierProps {
  readonly vpc: ec2.IVpc;
  /** Web settings of this region. */
  readonly settings: WebSettings;
  /** Scheduled capacity raises that apply to this region. */
  readonly promotions: readonly Promotion[];
  /** Synth time, against which promotions are judged (see {@link planPromotions}). */
  readonly now: Date;
  /** Hosted zone that validates the certificate. */
  readonly zone: route53.IHostedZone;
  /** Names the ALB certificate covers: the public names and this region's direct name. */
  readonly certificateNames: readonly string[];
  /** Environment written to `/etc/resilient-shop/env` for the shop (see `SHOP_ENV`). */
  readonly shopEnvironment: Partial<Record<keyof typeof SHOP_ENV, string>>;
  /** The shop artifact (bundled shop) the instances run. */
  readonly artifact: ShopArtifact;
  /** A web ACL (per-IP rate rule, AWS managed rules, logging) in front of the ALB; off when undefined. */
  readonly waf?: { readonly name: string; readonly rateLimit: number; readonly logKey: kms.IKey };
  /** Topic that receives the group's launch, terminate and failure notifications. */
  readonly notificationTopic: sns.ITopic;
  /**
   * Physical name of the Auto Scaling group: fixed, so the bootstrap can name it and the instance
   * role may complete lifecycle actions on this group only.
   */
  readonly groupName: string;
}

/** True for Graviton instance families (t4g, m7g, c7gn, r8g, ...). */
export function isArmInstanceType(instanceType: string): boolean {
  return /^[a-z]+\d+[a-z]*g[a-z]*\./.test(instanceType) && !/^g\d/.test(instanceType);
}

/**
 * The autoscaling web tier: an internet-facing ALB (HTTPS only, HTTP redirected, invalid headers
 * dropped, access logs kept) in front of an Auto Scaling group of Amazon Linux 2023 instances that
 * fetch the shop artifact at boot and run it under systemd.
 *
 * The ALB's target health uses `/healthz` but accepts 200 and 503: any answer means the process
 * is alive. A database outage must move traffic away through Route 53 (which requires the health
 * marker), not make the Auto Scaling group replace healthy instances in a loop.
 */
export class WebTier extends Construct {
  readonly alb: elbv2.ApplicationLoadBalancer;
  readonly asg: autoscaling.AutoScalingGroup;
  readonly instanceSecurityGroup: ec2.SecurityGroup;
  readonly role: iam.Role;
  /** The instances' own permissions (customer-managed; add statements with `instancePolicy.addStatements`). */
  readonly instancePolicy: iam.ManagedPolicy;
  readonly webAcl?: wafv2.CfnWebACL;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  readonly certificate: acm.Certificate;
  readonly accessLogBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: WebTierProps) {
    super(scope, id);
    const { settings } = props;

    this.certificate = new acm.Certificate(this, 'Certificate', {
      domainName: props.certificateNames[0],
      subjectAlternativeNames: props.certificateNames.slice(1),
      validation: acm.CertificateValidation.fromDns(props.zone),
    });

    this.accessLogBucket = new s3.Bucket(this, 'AccessLogs', {
      // ALB access logs support only SSE-S3.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ expiration: Duration.days(365), noncurrentVersionExpiration: Duration.days(30) }],
    });

    const albSg = new ec2.SecurityGroup(this, 'AlbSecurityGroup', {
      vpc: props.vpc,
      description: 'Internet-facing ALB: HTTPS and the HTTP redirect',
      allowAllOutbound: false,
    });
    albSg.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS from customers');
    albSg.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'HTTP, redirected to HTTPS');
    acknowledgeNag(
      albSg,
      'AwsSolutions-EC23',
      'The internet-facing ALB of a public shop must accept customers from any address; only 443 and the 80 to 443 redirect are open.',
    );

    this.alb = new elbv2.ApplicationLoadBalancer(this, 'Alb', {
      vpc: props.vpc,
      internetFacing: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      securityGroup: albSg,
      dropInvalidHeaderFields: true,
      deletionProtection: true,
      http2Enabled: true,
      idleTimeout: Duration.seconds(30),
    });
    this.alb.logAccessLogs(this.accessLogBucket, 'alb');
    acknowledgeNag(
      this.accessLogBucket,
      'PCI.DSS.321-S3BucketLoggingEnabled',
      'This bucket is the ALB access-log destination; logging its own access to another bucket would only move the same finding there.',
    );
    acknowledgeNag(
      this.accessLogBucket,
      'PCI.DSS.321-S3DefaultEncryptionKMS',
      'Elastic Load Balancing writes access logs only to buckets encrypted with SSE-S3; SSE-KMS is not supported for this destination.',
    );
    acknowledgeLogBucket(
      this.accessLogBucket,
      'ALB access logs',
      'Elastic Load Balancing writes access logs only to buckets encrypted with SSE-S3',
    );
    acknowledgeNag(
      this.accessLogBucket,
      'PCI.DSS.321-S3BucketReplicationEnabled',
      'Access logs are regional evidence of regional traffic, versioned and retained for a year; each region keeps its own.',
    );
    if (props.waf) {
      this.webAcl = new RateLimitedWebAcl(this, 'Waf', {
        scope: 'REGIONAL',
        name: props.waf.name,
        rateLimit: props.waf.rateLimit,
        logKey: props.waf.logKey,
      }).webAcl;
      new wafv2.CfnWebACLAssociation(this, 'WafAssociation', {
        resourceArn: this.alb.loadBalancerArn,
        webAclArn: this.webAcl.attrArn,
      });
    } else {
      acknowledgeNag(
        this.alb,
        'PCI.DSS.321-ALBWAFEnabled',
        'The config turns the ALB web ACL off (waf.alb = false).',
      );
    }
    acknowledgeNag(
      this.accessLogBucket,
      'AwsSolutions-S1',
      'This bucket is the ALB access-log destination; logging its own access to another bucket would only move the same finding there.',
    );

    this.instanceSecurityGroup = new ec2.SecurityGroup(this, 'InstanceSecurityGroup', {
      vpc: props.vpc,
      description: 'Shop instances: the shop port from the ALB only',
      allowAllOutbound: true,
    });
    this.instanceSecurityGroup.addIngressRule(albSg, ec2.Port.tcp(SHOP_PORT), 'Shop port from the ALB');
    albSg.addEgressRule(this.instanceSecurityGroup, ec2.Port.tcp(SHOP_PORT), 'To the shop instances');

    this.role = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'Shop instances: Session Manager, the shop artifact and the database secret',
    });
    // Session Manager instead of SSH: no key pair, no port 22.
    this.role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore'));
    acknowledgeNag(
      this.role,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      'Session Manager replaces SSH (no key pair, no port 22); AWS maintains this policy as the minimum for the SSM agent as the agent changes.',
    );
    this.instancePolicy = new iam.ManagedPolicy(this, 'InstancePolicy', {
      description: 'Shop instances: the shop artifact and the database secret',
      roles: [this.role],
      statements: [
        // Exactly the artifact object: not the whole assets bucket.
        new iam.PolicyStatement({
          actions: ['s3:GetObject'],
          resources: [props.artifact.asset.bucket.arnForObjects(props.artifact.asset.s3ObjectKey)],
        }),
      ],
    });

    const arm = isArmInstanceType(settings.instanceType);
    const launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      instanceType: new ec2.InstanceType(settings.instanceType),
      machineImage: ec2.MachineImage.latestAmazonLinux2023({
        cpuType: arm ? ec2.AmazonLinuxCpuType.ARM_64 : ec2.AmazonLinuxCpuType.X86_64,
      }),
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      role: this.role,
      securityGroup: this.instanceSecurityGroup,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(settings.rootVolumeGiB, {
            volumeType: ec2.EbsDeviceVolumeType.GP3,
            encrypted: true,
            deleteOnTermination: true,
          }),
        },
      ],
      detailedMonitoring: true,
      userData: this.userData(props),
    });

    this.asg = new autoscaling.AutoScalingGroup(this, 'Asg', {
      autoScalingGroupName: props.groupName,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      launchTemplate,
      minCapacity: settings.minCapacity,
      maxCapacity: settings.maxCapacity,
      // No desiredCapacity: CloudFormation would reset the group to it on every deploy, scaling a
      // shop in the middle of a spike back down. Scaling policies and scheduled actions own it.
      healthChecks: autoscaling.HealthChecks.withAdditionalChecks({
        additionalTypes: [autoscaling.AdditionalHealthCheckType.ELB],
        gracePeriod: Duration.seconds(settings.healthCheckGraceSeconds),
      }),
      defaultInstanceWarmup: Duration.seconds(60),
      updatePolicy: autoscaling.UpdatePolicy.instanceRefresh({
        strategy: autoscaling.InstanceRefreshStrategy.ROLLING,
        minHealthyPercentage: 100,
        maxHealthyPercentage: 150,
        instanceWarmup: Duration.seconds(60),
      }),
      capacityRebalance: false,
      groupMetrics: [autoscaling.GroupMetrics.all()],
      notifications: [{ topic: props.notificationTopic }],
    });
    // The same zones as the subnets, stated explicitly (Control Tower CT.AUTOSCALING.PR.1 reads them).
    (this.asg.node.defaultChild as autoscaling.CfnAutoScalingGroup).availabilityZones =
      props.vpc.availabilityZones;
    acknowledgeGuard(
      this.asg,
      'autoscaling_mixed_instances_policy_multiple_instance_types_check',
      'The group uses a warm pool for fast scale-out, and EC2 Auto Scaling does not allow a warm pool together with a mixed instances policy; the warm pool is what absorbs a promotion spike.',
    );
    // Every launch (into the warm pool, out of it, or straight into service) waits here until the
    // bootstrap says the shop runs; a silent or failed bootstrap is abandoned and replaced.
    // Declared on the group itself ("lifecycle hooks to add to the Auto Scaling group before
    // instances are launched", CreateAutoScalingGroup LifecycleHookSpecificationList,
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-autoscaling-autoscalinggroup-lifecyclehookspecification.html):
    // a separate AWS::AutoScaling::LifecycleHook is created after the group, whose first instances
    // (and warm pool) may launch before it exists and skip the hold.
    (this.asg.node.defaultChild as autoscaling.CfnAutoScalingGroup).lifecycleHookSpecificationList = [
      {
        lifecycleHookName: BOOTSTRAP_HOOK,
        lifecycleTransition: autoscaling.LifecycleTransition.INSTANCE_LAUNCHING,
        defaultResult: autoscaling.DefaultResult.ABANDON,
        heartbeatTimeout: Duration.minutes(10).toSeconds(),
      },
    ];
    // The group's ARN form is autoScalingGroup:<id assigned at creation>:autoScalingGroupName/<name>.
    const stack = Stack.of(this);
    const groupArn = stack.formatArn({
      service: 'autoscaling',
      resource: 'autoScalingGroup',
      resourceName: `*:autoScalingGroupName/${props.groupName}`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.instancePolicy.addStatements(
      new iam.PolicyStatement({ actions: ['autoscaling:CompleteLifecycleAction'], resources: [groupArn] }),
    );
    acknowledgeNag(
      this.instancePolicy,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:autoscaling:${stack.region}:${stack.account}:autoScalingGroup:*:autoScalingGroupName/${props.groupName}]`,
      "The wildcard is the group's id, which EC2 Auto Scaling assigns at creation; the group name is fixed, so the instances may complete lifecycle actions on their own group only.",
    );
    if (settings.warmPoolMinSize > 0) {
      this.asg.addWarmPool({
        minSize: settings.warmPoolMinSize,
        // Without it the pool holds MaxSize − desired instances ("If a value for
        // MaxGroupPreparedCapacity is not specified, Amazon EC2 Auto Scaling launches and maintains
        // the difference between the group's maximum capacity and its desired capacity"); equal to
        // MinSize, the pool has the absolute size the cost report prices
        // (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutWarmPool.html).
        maxGroupPreparedCapacity: settings.warmPoolMinSize,
        poolState: autoscaling.PoolState.STOPPED,
        reuseOnScaleIn: true,
      });
    }

    const httpsListener = this.alb.addListener('Https', {
      port: 443,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      certificates: [this.certificate],
      sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
      open: false,
    });
    this.targetGroup = httpsListener.addTargets('Shop', {
      port: SHOP_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [this.asg],
      deregistrationDelay: Duration.seconds(20),
      healthCheck: {
        path: HEALTH_PATH,
        healthyHttpCodes: '200,503',
        interval: Duration.seconds(10),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
    });
    const redirect = this.alb.addRedirect({ sourcePort: 80, targetPort: 443, open: false });
    acknowledgeNag(
      redirect,
      'PCI.DSS.321-ELBv2ACMCertificateRequired',
      'Port 80 only answers with a permanent redirect to HTTPS; it serves no content and so has no certificate.',
    );

    this.asg.scaleOnRequestCount('RequestsPerInstance', {
      targetRequestsPerMinute: settings.targetRequestsPerInstance,
    });
    this.asg.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: settings.targetCpuPercent });
    this.addPromotions(props.promotions, props.now, settings);
  }

  /**
   * Promotions as judged by {@link planPromotions}: what runs (or starts within the deploy margin)
   * raises `MinSize` itself; only boundaries safely in the future become one-time scheduled actions.
   */
  private addPromotions(promotions: readonly Promotion[], now: Date, settings: WebSettings): void {
    const plan = planPromotions(promotions, settings.minCapacity, now);
    (this.asg.node.defaultChild as autoscaling.CfnAutoScalingGroup).minSize = String(plan.minCapacity);
    for (const a of plan.actions) {
      new autoscaling.CfnScheduledAction(this, `Promotion-${a.id}`, {
        autoScalingGroupName: this.asg.autoScalingGroupName,
        startTime: a.startTime.toISOString(),
        minSize: a.minSize,
      });
    }
    for (const w of plan.warnings)
      Annotations.of(this).addWarningV2('@resilient-shop/promotion-end-unscheduled', w);
  }

  /**
   * User data only installs the bootstrap and the unit that runs it on every boot (see
   * {@link bootstrapScript}): cloud-init runs user data once, a warm-pool instance boots again.
   */
  private userData(props: WebTierProps): ec2.UserData {
    const ud = ec2.UserData.forLinux();
    const env = Object.entries(props.shopEnvironment)
      .map(([k, v]) => `${SHOP_ENV[k as keyof typeof SHOP_ENV]}=${v}`)
      .join('\n');
    const script = bootstrapScript({
      region: Stack.of(this).region,
      groupName: props.groupName,
      artifactBucket: props.artifact.asset.s3BucketName,
      artifactKey: props.artifact.asset.s3ObjectKey,
      environment: env,
      shopUnit: systemdUnit(),
      caFile: RDS_CA_FILE,
      caFileInArtifact: RDS_CA_IN_ARTIFACT,
    });
    ud.addCommands(
      'set -euo pipefail',
      'install -d -o root -g root -m 0755 /opt/resilient-shop',
      `cat > ${BOOTSTRAP_SCRIPT} <<'SHOPBOOTSTRAP'\n${script}\nSHOPBOOTSTRAP`,
      `chmod 0700 ${BOOTSTRAP_SCRIPT}`,
      `cat > /etc/systemd/system/${BOOTSTRAP_UNIT} <<'SHOPBOOTUNIT'\n${bootstrapUnit()}\nSHOPBOOTUNIT`,
      'systemctl daemon-reload',
      `systemctl enable ${BOOTSTRAP_UNIT}`,
      // Not waited for: the lifecycle hook holds the instance until the bootstrap completes it.
      `systemctl start --no-block ${BOOTSTRAP_UNIT}`,
    );
    return ud;
  }
}

/** Where the instances keep the RDS CA bundle (`SHOP_DB_CA_FILE`). */
export const RDS_CA_FILE = '/etc/resilient-shop/rds-ca-bundle.pem';

/**
 * The systemd unit: restart on failure, SIGTERM for a graceful drain (the shop stops accepting,
 * finishes in-flight requests, then exits) within the ALB's deregistration delay.
 */
export function systemdUnit(): string {
  return [
    '[Unit]',
    'Description=resilient-shop web service',
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'User=shop',
    'EnvironmentFile=/etc/resilient-shop/env',
    `ExecStart=\${NODE_BIN} /opt/resilient-shop/current/${SHOP_BUNDLE_FILE}`,
    'Restart=on-failure',
    'RestartSec=2',
    'KillSignal=SIGTERM',
    'TimeoutStopSec=25',
    'NoNewPrivileges=true',
    'ProtectSystem=strict',
    'ProtectHome=true',
    'PrivateTmp=true',
    // /var/lib/resilient-shop, writable despite ProtectSystem=strict, kept across restarts: the
    // shop's catalogue snapshot and fence epoch (it reads $STATE_DIRECTORY; see shop/README.md).
    'StateDirectory=resilient-shop',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
  ].join('\n');
}
