import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { ReadinessConfig } from '../../lambda/readiness';
import { acknowledgeNag } from '../compliance/acknowledge';
import type { RegionConfig, ShopConfig } from '../config/load';
import { Names } from '../config/names';
import type { AlarmTopic } from '../monitoring/alarm-topic';
import { LoggedFunction } from '../monitoring/logged-function';
import { readinessTarget } from './readiness-target';

/** Properties of {@link FailoverReadiness}. */
export interface FailoverReadinessProps {
  readonly config: ShopConfig;
  readonly region: RegionConfig;
  readonly key: kms.IKey;
  readonly alarms: AlarmTopic;
  readonly asg: autoscaling.AutoScalingGroup;
  readonly certificate: acm.ICertificate;
}

/** How often the readiness check runs. */
export const READINESS_RATE = Duration.minutes(5);

/**
 * Every 5 minutes, verifies that a failover to this region would succeed now (secret replica in
 * sync, database member available and lag within `database.replicationLagAlarmMs`, web tier
 * healthy, warm pool initialised, drain switch metrics fresh, certificate valid
 * `capacity.certificateMinDays`+ days, canary green on the direct name, capacity mirror fresh),
 * publishes `Ready{Region}` and `CheckFailed{Region,Check}` into every region, and pages through
 * `Names.readinessAlarm(region)` after two failed runs in a row or when the check stops running.
 */
export class FailoverReadiness extends Construct {
  readonly handler: LoggedFunction;
  readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: FailoverReadinessProps) {
    super(scope, id);
    const { config, region } = props;
    const names = new Names(config);
    const stack = Stack.of(this);
    const readinessConfig: ReadinessConfig = {
      ...readinessTarget(config, region.name, {
        asgName: props.asg.autoScalingGroupName,
        certificateArn: props.certificate.certificateArn,
      }),
      namespace: names.readinessNamespace(),
    };
    this.handler = new LoggedFunction(this, 'Handler', {
      handlerDir: 'readiness',
      description: 'Checks every 5 minutes that a failover to this region would succeed now',
      timeout: Duration.seconds(45),
      memorySize: 128,
      logKey: props.key,
      outsideVpcReason:
        'Reads Secrets Manager metadata (never the secret value), RDS, Auto Scaling, ACM and CloudWatch through their public endpoints and writes CloudWatch metrics in every region. It handles no cardholder data.',
      environment: { READINESS_CONFIG: stack.toJsonString(readinessConfig) },
    });
    const secretArn = (r: string) =>
      stack.formatArn({
        service: 'secretsmanager',
        region: r,
        resource: 'secret',
        resourceName: `${names.dbSecretName()}-??????`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    this.handler.policy.addStatements(
      new iam.PolicyStatement({
        actions: ['secretsmanager:DescribeSecret'],
        resources: [...new Set([region.name, config.primaryRegion])].map(secretArn),
      }),
      new iam.PolicyStatement({
        actions: ['rds:DescribeDBClusters'],
        resources: [
          stack.formatArn({
            service: 'rds',
            resource: 'cluster',
            resourceName: names.dbClusterId(region.name),
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
      new iam.PolicyStatement({
        actions: ['rds:DescribeGlobalClusters'],
        resources: [
          stack.formatArn({
            service: 'rds',
            region: '',
            resource: 'global-cluster',
            resourceName: names.globalClusterId(),
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
      new iam.PolicyStatement({
        actions: ['acm:DescribeCertificate'],
        resources: [props.certificate.certificateArn],
      }),
      new iam.PolicyStatement({
        actions: [
          'autoscaling:DescribeAutoScalingGroups',
          'autoscaling:DescribeWarmPool',
          'cloudwatch:GetMetricData',
        ],
        resources: ['*'],
      }),
    );
    this.handler.allowPutMetricData(names.readinessNamespace());
    acknowledgeNag(
      this.handler.policy,
      'AwsSolutions-IAM5[Resource::*]',
      `autoscaling:DescribeAutoScalingGroups, autoscaling:DescribeWarmPool and cloudwatch:GetMetricData are reads without resource-level permissions; cloudwatch:PutMetricData has none either and is limited by the cloudwatch:namespace condition to ${names.readinessNamespace()}.`,
    );
    this.handler.runEvery(
      'Every5Minutes',
      READINESS_RATE,
      'Checks that a failover to this region would succeed now',
    );

    this.alarm = new cloudwatch.Alarm(this, 'NotReady', {
      alarmName: names.readinessAlarm(region.name),
      alarmDescription: `A failover to ${region.name} would not succeed now (or the readiness check stopped). Run: shopctl check`,
      metric: new cloudwatch.Metric({
        namespace: names.readinessNamespace(),
        metricName: 'Ready',
        dimensionsMap: { Region: region.name },
        statistic: 'Minimum',
        period: READINESS_RATE,
      }),
      threshold: 1,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      // A readiness check that does not run proves nothing: that pages too.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    props.alarms.page(this.alarm);
  }
}
