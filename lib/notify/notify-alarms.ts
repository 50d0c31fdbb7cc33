import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import type { ShopConfig } from '../config/load';
import { Names } from '../config/names';
import { NOTIFY_DIMENSIONS, NOTIFY_METRICS } from '../contract/notify';
import { acknowledgeGuard } from '../compliance/acknowledge';
import type { AlarmTopic } from '../monitoring/alarm-topic';

/**
 * Shape of the notice alarms, exported so that the resilience report and the tests read the same
 * figures. The shop publishes once a minute (shop/src/notify/metrics.ts), so one minute is the finest
 * period that means anything; three of three so that one slow pass never pages.
 */
export const NOTIFY_ALARM_SHAPE = { periodSeconds: 60, evaluationPeriods: 3, datapointsToAlarm: 3 } as const;

/** Properties of {@link NotifyAlarms}. */
export interface NotifyAlarmsProps {
  readonly config: ShopConfig;
  readonly alarms: AlarmTopic;
  /** The web tier's target group: its healthy hosts say whether the shop is up in this region. */
  readonly targetGroup: elbv2.ApplicationTargetGroup;
}

/**
 * The notice alarms of one region, over the metrics the shop publishes (namespace
 * `Names.notifyNamespace()`):
 *
 * - `oldestUnsent` (pages): the oldest unsent notice (`OldestUnsentAgeSeconds`, Maximum over the
 *   instances) older than `notifications.alarms.oldestUnsentSeconds` in 3 of 3 minutes. Missing data
 *   is not breaching here: a region whose shop is down publishes nothing, and the canaries and health
 *   checks already page for that;
 * - `unmeasured` (pages, composite): no `OldestUnsentAgeSeconds` at all for 3 minutes WHILE the
 *   region's target group has a healthy host for those 3 minutes. That is "missing data = breaching
 *   only if the shop is up": a live shop whose dispatcher or publisher has stopped leaves notices
 *   unsent with nothing to show for it. ELB reports HealthyHostCount only in minutes with requests
 *   (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html);
 *   the canaries send some every minute, and a minute without any counts as "not up", so the
 *   composite stays quiet rather than paging on an idle region.
 *
 * The two parts of `unmeasured` have no actions of their own.
 */
export class NotifyAlarms extends Construct {
  readonly oldestUnsent: cloudwatch.Alarm;
  /** No age published for 3 minutes (missing data is breaching); part of {@link unmeasured}. */
  readonly silent: cloudwatch.Alarm;
  /** The region's shop had a healthy host in each of the 3 minutes; part of {@link unmeasured}. */
  readonly shopUp: cloudwatch.Alarm;
  readonly unmeasured: cloudwatch.CompositeAlarm;

  constructor(scope: Construct, id: string, props: NotifyAlarmsProps) {
    super(scope, id);
    const { config } = props;
    const names = new Names(config);
    const region = Stack.of(this).region;
    const settings = config.notifications!;
    const threshold = settings.alarms.oldestUnsentSeconds;
    const period = Duration.seconds(NOTIFY_ALARM_SHAPE.periodSeconds);
    const { evaluationPeriods, datapointsToAlarm } = NOTIFY_ALARM_SHAPE;
    const age = (statistic: string) =>
      new cloudwatch.Metric({
        namespace: names.notifyNamespace(),
        metricName: NOTIFY_METRICS.oldestUnsentAge,
        dimensionsMap: { [NOTIFY_DIMENSIONS.region]: region },
        statistic,
        period,
      });
    const minutes = evaluationPeriods;

    this.oldestUnsent = new cloudwatch.Alarm(this, 'OldestUnsent', {
      alarmName: names.notifyOldestUnsentAlarm(region),
      alarmDescription: `PAGE: a customer notice in ${region} has waited more than ${threshold} s to be sent, in each of the last ${minutes} minutes: every channel it can use is failing, switched off or open. Customers are not being told about their orders. Run: npx shopctl channels status`,
      metric: age('Maximum'),
      threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods,
      datapointsToAlarm,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    props.alarms.page(this.oldestUnsent);

    this.silent = new cloudwatch.Alarm(this, 'Silent', {
      alarmName: names.notifyUnmeasuredParts(region).silent,
      alarmDescription: `No notice metrics from ${region} for ${minutes} minutes (part of ${names.notifyUnmeasuredAlarm(region)}; no action of its own).`,
      metric: age('SampleCount'),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods,
      datapointsToAlarm,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });

    this.shopUp = new cloudwatch.Alarm(this, 'ShopUp', {
      alarmName: names.notifyUnmeasuredParts(region).shopUp,
      alarmDescription: `The shop in ${region} had a healthy instance in each of the last ${minutes} minutes (part of ${names.notifyUnmeasuredAlarm(region)}; no action of its own).`,
      metric: props.targetGroup.metrics.healthyHostCount({ statistic: 'Minimum', period }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods,
      datapointsToAlarm,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    for (const part of [this.silent, this.shopUp])
      acknowledgeGuard(
        part,
        'cloudwatch_alarm_action_check',
        `Deliberately silent: one half of the composite ${names.notifyUnmeasuredAlarm(region)} (no notice metrics WHILE the shop is up), which pages; alone it would page for a shop that is simply down, which other alarms report.`,
      );

    this.unmeasured = new cloudwatch.CompositeAlarm(this, 'Unmeasured', {
      compositeAlarmName: names.notifyUnmeasuredAlarm(region),
      alarmDescription: `PAGE: the shop in ${region} is up but has published no notice metrics for ${minutes} minutes: its dispatcher or its metric publisher has stopped, so unsent notices would not page. Run: npx shopctl channels status, then read the instances' logs`,
      alarmRule: cloudwatch.AlarmRule.allOf(
        cloudwatch.AlarmRule.fromAlarm(this.silent, cloudwatch.AlarmState.ALARM),
        cloudwatch.AlarmRule.fromAlarm(this.shopUp, cloudwatch.AlarmState.ALARM),
      ),
    });
    props.alarms.page(this.unmeasured);
  }
}
