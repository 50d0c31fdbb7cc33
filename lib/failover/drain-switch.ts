import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { Names } from '../config/names';
import type { AlarmTopic } from '../monitoring/alarm-topic';
import { LoggedFunction } from '../monitoring/logged-function';

/** Properties of {@link DrainSwitchHolder}. */
export interface DrainSwitchHolderProps {
  readonly names: Names;
  /** Regions whose drain switch this region holds (every region but this one). */
  readonly targets: readonly string[];
  readonly key: kms.IKey;
  readonly alarms: AlarmTopic;
}

/**
 * The data-plane drain switches this region holds for other regions.
 *
 * For each target region T: the SSM parameter `Names.switchParameter(T)` (written by `shopctl`,
 * never by CloudFormation, so a deploy cannot undo a drain) is re-published every minute as the
 * metric `Drained{TargetRegion=T}`; the alarm `Names.switchAlarm(T)` is in ALARM while it is 1.
 * Route 53 health checks in the edge stack read that alarm's metric: T's calculated health check
 * is healthy only while every copy of its switch says "serving". Flipping it needs SSM and
 * CloudWatch in any one region that is up, never the Route 53 control plane.
 */
export class DrainSwitchHolder extends Construct {
  readonly publisher: LoggedFunction;
  /** Switch alarm per target region. */
  readonly switchAlarms: Record<string, cloudwatch.Alarm> = {};

  constructor(scope: Construct, id: string, props: DrainSwitchHolderProps) {
    super(scope, id);
    const { names } = props;
    const stack = Stack.of(this);
    this.publisher = new LoggedFunction(this, 'Publisher', {
      handlerDir: 'switch-publisher',
      description: 'Re-publishes the drain switches this region holds as CloudWatch metrics every minute',
      timeout: Duration.seconds(20),
      memorySize: 128,
      logKey: props.key,
      outsideVpcReason:
        'Reads SSM parameters and writes CloudWatch metrics only, through their public endpoints; outside the VPC it keeps working when the VPC or its NAT gateway is what failed. It handles no cardholder data.',
      environment: {
        SWITCH_PARAMETER_PATH: names.switchParameterPath(),
        SWITCH_NAMESPACE: names.switchNamespace(),
        SWITCH_METRIC: Names.SWITCH_METRIC,
        SWITCH_TARGETS: props.targets.join(','),
      },
    });
    this.publisher.policy.addStatements(
      new iam.PolicyStatement({
        actions: ['ssm:GetParametersByPath'],
        resources: [
          stack.formatArn({
            service: 'ssm',
            resource: 'parameter',
            resourceName: names.switchParameterPath().replace(/^\/|\/$/g, ''),
            arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
          }),
        ],
      }),
    );
    this.publisher.allowPutMetricData(names.switchNamespace());
    this.publisher.runEvery(
      'EveryMinute',
      Duration.minutes(1),
      'Keeps the drain switch metrics flowing (Route 53 reads the metric, not the alarm state)',
    );

    for (const target of props.targets) {
      this.switchAlarms[target] = new cloudwatch.Alarm(this, `Drained-${target}`, {
        alarmName: names.switchAlarm(target),
        alarmDescription: `Drain switch for ${target}, held in ${stack.region}. ALARM = ${target} is drained (taken out of DNS by the Route 53 health check that reads this alarm). Set with shopctl.`,
        metric: new cloudwatch.Metric({
          namespace: names.switchNamespace(),
          metricName: Names.SWITCH_METRIC,
          dimensionsMap: { TargetRegion: target },
          statistic: 'Maximum',
          period: Duration.minutes(1),
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // No data means the publisher or this region is down; Route 53 then treats the check as
        // healthy (InsufficientDataHealthStatus), so a dead holder never blocks traffic.
        treatMissingData: cloudwatch.TreatMissingData.MISSING,
      });
      // A drain (planned or not) is news for the on-call, and so is its end.
      props.alarms.page(this.switchAlarms[target]);
    }

    const errors = new cloudwatch.Alarm(this, 'PublisherErrors', {
      alarmName: `${names.alarmPrefix()}switch-publisher-${stack.region}`,
      alarmDescription: `The drain switch publisher in ${stack.region} failed 3 minutes in a row: switches held here may read as "serving" (a drain set here would lapse).`,
      metric: this.publisher.function.metricErrors({ period: Duration.minutes(1), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    props.alarms.page(errors);
  }
}
