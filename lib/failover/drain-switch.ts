import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { alarmFingerprint } from '../compliance/resilience';
import { Names } from '../config/names';
import type { AlarmTopic } from '../monitoring/alarm-topic';
import { LoggedFunction } from '../monitoring/logged-function';

/**
 * Shape of every switch alarm: standard resolution (Route 53 reads nothing finer), 1 of 3 one-minute
 * periods. Exported so that a test can change it and see the edge stack's health checks follow.
 */
export const SWITCH_ALARM = { periodSeconds: 60, evaluationPeriods: 3, datapointsToAlarm: 1 };

/**
 * Short hash of what Route 53 copies from an alarm when a health check is created or updated (its
 * metric, statistic, period, evaluation periods, threshold and comparison). Route 53 does not
 * follow later changes of the alarm ("Updating health checks for CloudWatch alarm changes",
 * https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-creating-deleting.html),
 * so the health checks that read an alarm carry this hash in their logical id: a changed alarm
 * replaces them on the next deploy, and a new check reads the alarm as it is.
 */
export function alarmDefinitionHash(alarm: cloudwatch.Alarm): string {
  // The resilience pack's fingerprint, so that its HealthCheckFollowsAlarm rule recognises the id.
  return alarmFingerprint(alarm);
}

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
 * is unhealthy once two copies (`DRAIN_VOTES`, dns-failover.ts) say "drained" (or are silent). Each copy follows only
 * its own region's parameter, so one holder is one vote. Flipping it needs SSM and CloudWatch in
 * two holders that are up, never the Route 53 control plane.
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
        // Its own region only: a copy that followed another holder's parameter would let one stale
        // holder cast two votes. GetParametersByPath is authorized against the path in the request, not
        // the parameters it returns
        // (https://docs.aws.amazon.com/systems-manager/latest/userguide/ps-retrieval-authorization.html);
        // the publisher asks for the path with its trailing slash: grant that form and the bare one.
        resources: ['', '/'].map((slash) =>
          stack.formatArn({
            service: 'ssm',
            resource: 'parameter',
            resourceName: names.switchParameterPath().replace(/^\/|\/$/g, '') + slash,
            arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
          }),
        ),
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
          period: Duration.seconds(SWITCH_ALARM.periodSeconds),
        }),
        threshold: 1,
        evaluationPeriods: SWITCH_ALARM.evaluationPeriods,
        datapointsToAlarm: SWITCH_ALARM.datapointsToAlarm,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // 1 of the last 3 minutes: one or two late publisher runs leave the datapoints that exist to
        // decide, so a drain holds through a missed minute. With "missing", only when every
        // datapoint of the 3 minutes is missing does the alarm go to INSUFFICIENT_DATA
        // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html):
        // this holder is then silent, which the Route 53 check counts as one vote for "drained" and
        // one vote never drains a region (see DnsFailover), so a dead holder never blocks traffic.
        treatMissingData: cloudwatch.TreatMissingData.MISSING,
      });
      // A drain (planned or not) is news for the on-call, and so is its end.
      props.alarms.page(this.switchAlarms[target]);
    }

    const errors = this.publisher.failingAlarm('PublisherErrors', {
      alarmName: `${names.alarmPrefix()}switch-publisher-${stack.region}`,
      description: `The drain switch publisher in ${stack.region} failed 3 minutes in a row: the switch copies held here go silent, and Route 53 counts each as a vote for "drained" (one more silent or drained copy of a region's switch drains it).`,
      minutes: 3,
    });
    props.alarms.page(errors);
  }
}
