import { ArnFormat, CfnResource, Duration, Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { ScalerConfig } from '../../lambda/scaler';
import { acknowledgeGuard, acknowledgeNag } from '../compliance/acknowledge';
import type { RegionConfig, ShopConfig } from '../config/load';
import { Names } from '../config/names';
import type { AlarmTopic } from '../monitoring/alarm-topic';
import { LoggedFunction } from '../monitoring/logged-function';
import { ScalerGuard } from './scaler-guard';

/**
 * How long the scaler holds a standby at its maximum when no mirrored capacity is known (the mirror
 * never ran or its data expired) before it sizes the floor by the local load: the bound on what stale
 * mirror data can cost (the report prices it).
 */
export const UNKNOWN_PEAK_MAX_MINUTES = 30;

/** Properties of {@link StandbyScaler}. */
export interface StandbyScalerProps {
  readonly config: ShopConfig;
  readonly region: RegionConfig;
  readonly key: kms.IKey;
  readonly alarms: AlarmTopic;
  /** The web tier's group (scaled) and load balancer (whose requests trigger and hold the scale-up). */
  readonly asg: autoscaling.AutoScalingGroup;
  readonly alb: elbv2.ApplicationLoadBalancer;
}

/**
 * Raises this region to the mirrored capacity of the region it would replace as soon as the
 * primary's customers head here, whoever moved them, and returns it to its posture when it has been
 * quiet for `capacity.quietMinutes` after the trigger cleared.
 *
 * Trigger: the composite alarm `Names.absorbAlarm(region)` = ANY of
 * - the canary consensus "<other region> down as seen from two vantage points" (already in this
 *   region): fires while the failover is still in progress, before traffic arrives, but only after
 *   M of N canary minutes (3 of 5 by default), and never for a planned drain of a healthy primary;
 * - a request surge: more requests per minute than this region's posture is sized for
 *   (max(1, min instances) × `web.targetRequestsPerInstance`) for one minute. That catches every path
 *   that moves traffic here, a person's drain, a Route 53 health check on its own or a real spike,
 *   about a minute after the traffic arrives, without needing any other region's API.
 * Both, because each covers the other's blind spot. The scaler also runs every minute (hot posture,
 * return to posture, and a retry should the event invocation fail).
 */
export class StandbyScaler extends Construct {
  readonly handler: LoggedFunction;
  readonly surgeAlarm: cloudwatch.Alarm;
  readonly absorbAlarm: cloudwatch.CompositeAlarm;
  /** Requests per minute above which the posture is exceeded. */
  readonly surgeThreshold: number;

  constructor(scope: Construct, id: string, props: StandbyScalerProps) {
    super(scope, id);
    const { config, region } = props;
    const names = new Names(config);
    const stack = Stack.of(this);
    const sources = config.regions.map((r) => r.name).filter((r) => r !== region.name);
    this.surgeThreshold = Math.max(1, region.web.minCapacity) * region.web.targetRequestsPerInstance;

    this.surgeAlarm = new cloudwatch.Alarm(this, 'Surge', {
      alarmName: names.surgeAlarm(region.name),
      alarmDescription: `${region.name} receives more than ${this.surgeThreshold} requests/min, more than its ${region.posture} posture is sized for: customers are arriving (failover, drain or spike). Feeds ${names.absorbAlarm(region.name)}.`,
      metric: props.alb.metrics.requestCount({ period: Duration.minutes(1), statistic: 'Sum' }),
      threshold: this.surgeThreshold,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    acknowledgeGuard(
      this.surgeAlarm,
      'cloudwatch_alarm_action_check',
      'Deliberately silent: it feeds the absorb composite alarm, which starts the scaler and pages.',
    );
    const primaryDown = sources.map((s) =>
      cloudwatch.Alarm.fromAlarmName(this, `Down-${s}`, names.canaryConsensusAlarm(s)),
    );
    this.absorbAlarm = new cloudwatch.CompositeAlarm(this, 'Absorb', {
      compositeAlarmName: names.absorbAlarm(region.name),
      alarmDescription: `${region.name} is taking over another region's customers: the scaler raises it to the mirrored peak × ${config.capacity.headroomPercent} %. Run: shopctl status`,
      alarmRule: cloudwatch.AlarmRule.anyOf(
        cloudwatch.AlarmRule.fromAlarm(this.surgeAlarm, cloudwatch.AlarmState.ALARM),
        ...primaryDown.map((a) => cloudwatch.AlarmRule.fromAlarm(a, cloudwatch.AlarmState.ALARM)),
      ),
    });
    // News for the on-call when a standby takes customers over. Not for the configured primary: its
    // surge is an ordinary busy day (or traffic returning after a failover), and its other trigger,
    // another region down, already pages through the canary's consensus alarm.
    if (region.role === 'standby') props.alarms.page(this.absorbAlarm);

    const scalerConfig: ScalerConfig = {
      region: region.name,
      namespace: names.capacityNamespace(),
      sources,
      asgName: props.asg.autoScalingGroupName,
      loadBalancer: props.alb.loadBalancerFullName,
      dbClusterId: names.dbClusterId(region.name),
      posture: region.posture,
      postureMinInstances: region.web.minCapacity,
      maxInstances: region.web.maxCapacity,
      postureMinAcu: config.database.minCapacityAcu,
      maxAcu: config.database.maxCapacityAcu,
      headroomPercent: config.capacity.headroomPercent,
      peakWindowHours: config.capacity.peakWindowHours,
      hotPercent: config.capacity.hotPercent,
      quietMinutes: config.capacity.quietMinutes,
      quietRequestsPerMinute: Math.floor(this.surgeThreshold / 2),
      absorbAlarm: names.absorbAlarm(region.name),
      unknownPeakMaxMinutes: UNKNOWN_PEAK_MAX_MINUTES,
      requestsPerInstance: region.web.targetRequestsPerInstance,
    };
    this.handler = new LoggedFunction(this, 'Handler', {
      handlerDir: 'scaler',
      description:
        'Raises the standby to the mirrored capacity when customers arrive; restores its posture when quiet',
      timeout: Duration.seconds(30),
      memorySize: 128,
      logKey: props.key,
      outsideVpcReason:
        'Calls the Auto Scaling, RDS and CloudWatch APIs of its own region only, through their public endpoints; outside the VPC it still scales when the VPC or its NAT gateway is impaired. It handles no cardholder data.',
      environment: { SCALER_CONFIG: stack.toJsonString(scalerConfig) },
    });
    const asgArn = stack.formatArn({
      service: 'autoscaling',
      resource: 'autoScalingGroup',
      resourceName: `*:autoScalingGroupName/${props.asg.autoScalingGroupName}`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const clusterArn = stack.formatArn({
      service: 'rds',
      resource: 'cluster',
      resourceName: names.dbClusterId(region.name),
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.handler.policy.addStatements(
      new iam.PolicyStatement({ actions: ['autoscaling:UpdateAutoScalingGroup'], resources: [asgArn] }),
      new iam.PolicyStatement({
        actions: ['rds:DescribeDBClusters', 'rds:ModifyDBCluster'],
        resources: [clusterArn],
      }),
      // The scaler only changes ServerlessV2ScalingConfiguration. IAM cannot say that: the service
      // authorization reference gives rds:ModifyDBCluster no condition key for the master password,
      // deletion protection or the scaling configuration; the one parameter it can see is
      // rds:ManageMasterUserPassword (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html).
      // So any request that names it is refused; anything else beyond the scaling configuration is
      // detected and paged (ScalerGuard, ./scaler-guard.ts).
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        actions: ['rds:ModifyDBCluster'],
        resources: ['*'],
        conditions: { Null: { 'rds:ManageMasterUserPassword': 'false' } },
      }),
      // DescribeAlarms returns composite alarms (the absorb alarm is one) only to a grant scoped to
      // "*"; a narrower grant answers with no alarm and the scaler never scales up
      // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html).
      new iam.PolicyStatement({
        actions: [
          'autoscaling:DescribeAutoScalingGroups',
          'cloudwatch:GetMetricData',
          'cloudwatch:DescribeAlarms',
        ],
        resources: ['*'],
      }),
    );
    acknowledgeNag(
      this.handler.policy,
      'AwsSolutions-IAM5[Resource::*]',
      'autoscaling:DescribeAutoScalingGroups and cloudwatch:GetMetricData are reads without resource-level permissions; cloudwatch:DescribeAlarms returns composite alarms only when scoped to * (API_DescribeAlarms).',
    );
    acknowledgeNag(
      this.handler.policy,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:autoscaling:${stack.region}:${stack.account}:autoScalingGroup:*:autoScalingGroupName/<${stack.getLogicalId(props.asg.node.defaultChild as CfnResource)}>]`,
      'An Auto Scaling group ARN contains a generated id; the grant names this one group by its name.',
    );

    // IAM cannot keep ModifyDBCluster to the scaling configuration: anything more is detected and paged.
    new ScalerGuard(this, 'Guard', {
      roleArn: this.handler.role.roleArn,
      alarms: props.alarms,
      dbClusterId: names.dbClusterId(region.name),
    });

    this.handler.runEvery(
      'EveryMinute',
      Duration.minutes(1),
      'Keeps the standby at its posture or at the load',
    );
    new events.Rule(this, 'OnAbsorb', {
      description: `Scales ${region.name} at once when ${names.absorbAlarm(region.name)} changes state`,
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        resources: [this.absorbAlarm.alarmArn],
      },
      targets: [new targets.LambdaFunction(this.handler.function, { retryAttempts: 2 })],
    });

    const errors = this.handler.failingAlarm('Errors', {
      alarmName: `${names.alarmPrefix()}scaler-${region.name}`,
      description: `The standby scaler in ${region.name} failed 3 minutes in a row: a failover here would wait for target tracking.`,
      minutes: 3,
    });
    props.alarms.page(errors);
  }
}
