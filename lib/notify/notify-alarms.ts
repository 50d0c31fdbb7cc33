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
 * - `unmeasured` (pages, composite): no `PublisherHeartbeat` at all for 3 minutes WHILE the region's
 *   target group has a healthy host for those 3 minutes: a live shop whose metric publisher has
 *   stopped, so unsent notices could no longer page. The heartbeat goes out in every publication
 *   whatever the database does, so a shop whose outbox cannot be read (its database unreachable, or
 *   a standby mid-promotion during a regional failover) does not page as "publisher stopped". ELB
 *   reports HealthyHostCount only in minutes with requests
 *   (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html);
 *   the canaries send some every minute, and a minute without any counts as "not up", so the
 *   composite stays quiet rather than paging on an idle region;
 * - `outboxUnreadable` (no actions): `OutboxUnreadable` Maximum >= 1 in 3 of 3 minutes, missing data
 *   not breaching (a silent publisher is the composite's business). It does not page on purpose:
 *   a database the shop cannot reach in the serving region already pages through the canaries and
 *   health checks, and a standby's database mid-promotion is expected during a failover; the alarm
 *   is the record that names the cause (and `shopctl channels status` shows the age as unknown).
 *
 * Missing data treatment: "breaching" counts a missing datapoint as over the threshold,
 * "notBreaching" as within it
 * (https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_cloudwatch.TreatMissingData.html,
 * PutMetricAlarm `TreatMissingData`:
 * https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/cloudwatch/aws.sdk.kotlin.services.cloudwatch.model/-put-metric-alarm-request/treat-missing-data.html).
 *
 * The two parts of `unmeasured` and `outboxUnreadable` have no actions of their own.
 */
export class NotifyAlarms extends Construct {
  readonly oldestUnsent: cloudwatch.Alarm;
  /** No heartbeat published for 3 minutes (missing data is breaching); part of {@link unmeasured}. */
  readonly silent: cloudwatch.Alarm;
  /** The region's shop had a healthy host in each of the 3 minutes; part of {@link unmeasured}. */
  readonly shopUp: cloudwatch.Alarm;
  readonly unmeasured: cloudwatch.CompositeAlarm;
  /** The outbox could not be read in each of 3 minutes (no actions: see the class comment). */
  readonly outboxUnreadable: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: NotifyAlarmsProps) {
    super(scope, id);
    const { config } = props;
    const names = new Names(config);
    const region = Stack.of(this).region;
    const settings = config.notifications!;
    const threshold = settings.alarms.oldestUnsentSeconds;
    const period = Duration.seconds(NOTIFY_ALARM_SHAPE.periodSeconds);
    const { evaluationPeriods, datapointsToAlarm } = NOTIFY_ALARM_SHAPE;
    const regional = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: names.notifyNamespace(),
        metricName,
        dimensionsMap: { [NOTIFY_DIMENSIONS.region]: region },
        statistic,
        period,
      });
    const minutes = evaluationPeriods;

    this.oldestUnsent = new cloudwatch.Alarm(this, 'OldestUnsent', {
      alarmName: names.notifyOldestUnsentAlarm(region),
      alarmDescription: `PAGE: a customer notice in ${region} has waited more than ${threshold} s to be sent, in each of the last ${minutes} minutes: every channel it can use is failing, switched off or open. Customers are not being told about their orders. Run: npx shopctl channels status`,
      metric: regional(NOTIFY_METRICS.oldestUnsentAge, 'Maximum'),
      threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods,
      datapointsToAlarm,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    props.alarms.page(this.oldestUnsent);

    this.silent = new cloudwatch.Alarm(this, 'Silent', {
      alarmName: names.notifyUnmeasuredParts(region).silent,
      alarmDescription: `No notice publisher heartbeat from ${region} for ${minutes} minutes (part of ${names.notifyUnmeasuredAlarm(region)}; no action of its own).`,
      metric: regional(NOTIFY_METRICS.heartbeat, 'SampleCount'),
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

    this.outboxUnreadable = new cloudwatch.Alarm(this, 'OutboxUnreadable', {
      alarmName: names.notifyOutboxUnreadableAlarm(region),
      alarmDescription: `The shop in ${region} could not read its notice outbox in each of the last ${minutes} minutes: its database is unreachable, read-only or too slow (expected on a standby during a regional failover). No notice is sent from ${region} meanwhile and the age alarm cannot see them. No action of its own: the database outage pages through the canaries. Run: npx shopctl channels status`,
      metric: regional(NOTIFY_METRICS.outboxUnreadable, 'Maximum'),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods,
      datapointsToAlarm,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    acknowledgeGuard(
      this.outboxUnreadable,
      'cloudwatch_alarm_action_check',
      `Deliberately silent: an unreadable outbox means the shop cannot reach its database, which pages through the canaries in the serving region and is expected on a standby mid-promotion; the alarm names the cause for the on-call already paged.`,
    );

    for (const part of [this.silent, this.shopUp])
      acknowledgeGuard(
        part,
        'cloudwatch_alarm_action_check',
        `Deliberately silent: one half of the composite ${names.notifyUnmeasuredAlarm(region)} (no publisher heartbeat WHILE the shop is up), which pages; alone it would page for a shop that is simply down, which other alarms report.`,
      );

    this.unmeasured = new cloudwatch.CompositeAlarm(this, 'Unmeasured', {
      compositeAlarmName: names.notifyUnmeasuredAlarm(region),
      alarmDescription: `PAGE: the shop in ${region} is up but its notice metric publisher has sent no heartbeat for ${minutes} minutes: it has stopped, so unsent notices would not page. (An outbox the shop cannot read is ${names.notifyOutboxUnreadableAlarm(region)}, not this.) Run: npx shopctl channels status, then read the instances' logs`,
      alarmRule: cloudwatch.AlarmRule.allOf(
        cloudwatch.AlarmRule.fromAlarm(this.silent, cloudwatch.AlarmState.ALARM),
        cloudwatch.AlarmRule.fromAlarm(this.shopUp, cloudwatch.AlarmState.ALARM),
      ),
    });
    props.alarms.page(this.unmeasured);
  }
}
