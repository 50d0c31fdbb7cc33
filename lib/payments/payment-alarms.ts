import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { ShopConfig } from '../config/load';
import { Names } from '../config/names';
import { PAYMENT_DIMENSIONS, PAYMENT_METRICS } from '../contract/payments';
import type { AlarmTopic } from '../monitoring/alarm-topic';

/**
 * Shape of the payment alarms, exported so that the resilience report and the tests read the same
 * figures. The shop publishes its counters once a minute (lib/contract/payments.ts), so one
 * minute is the finest period that means anything.
 *
 * - approval rate: 2 of the last 3 minutes below the floor (one bad minute of a small shop is noise);
 * - all online methods down: 2 minutes in a row (the breakers already waited for their own evidence);
 * - unresolved unknowns: every minute for long enough that the reconciler ran twice and settled nothing.
 */
export const PAYMENT_ALARM_SHAPE = {
  periodSeconds: 60,
  approval: { evaluationPeriods: 3, datapointsToAlarm: 2 },
  onlineDown: { evaluationPeriods: 2, datapointsToAlarm: 2 },
} as const;

/** Minutes the unknowns alarm waits: two reconciler runs, and at least 3 minutes. */
export function unknownsAlarmMinutes(reconcileEverySeconds: number): number {
  return Math.max(3, Math.ceil((2 * reconcileEverySeconds) / 60));
}

/** Properties of {@link PaymentAlarms}. */
export interface PaymentAlarmsProps {
  readonly config: ShopConfig;
  readonly alarms: AlarmTopic;
}

/**
 * The payment alarms of one region, over the metrics the shop publishes (namespace
 * `Names.paymentsNamespace()`):
 *
 * - per provider and method, the approval rate (approvals against attempts, customer declines left
 *   out: a customer's wrong card is no sign of a failing provider) below `payments.alarms
 *   .approvalRateFloorPercent` in a minute with at least `minimumAttempts` of them. It notifies: the
 *   shop's breaker already routes around that provider, and the message names which one;
 * - unresolved unknowns at or above `unknownsThreshold`: money may have moved that the shop does not
 *   know of; it notifies;
 * - no online method available (`OnlineMethodsAvailable` = 0 on every instance): only the manual ways
 *   are left. It pages, and `shopctl notice` has the form for it.
 *
 * All three go through the region's alarm topic (ALARM and OK). A region with no traffic publishes
 * nothing, which is no evidence of anything: missing data is not breaching.
 */
export class PaymentAlarms extends Construct {
  /** Approval-rate alarm per `${provider}/${method}`. */
  readonly approval: Record<string, cloudwatch.Alarm> = {};
  readonly unknowns: cloudwatch.Alarm;
  readonly onlineDown: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: PaymentAlarmsProps) {
    super(scope, id);
    const { config } = props;
    const names = new Names(config);
    const region = Stack.of(this).region;
    const period = Duration.seconds(PAYMENT_ALARM_SHAPE.periodSeconds);
    const metric = (metricName: string, statistic: string, dims: Record<string, string>) =>
      new cloudwatch.Metric({
        namespace: names.paymentsNamespace(),
        metricName,
        dimensionsMap: { [PAYMENT_DIMENSIONS.region]: region, ...dims },
        statistic,
        period,
      });
    const { approvalRateFloorPercent: floor, minimumAttempts, unknownsThreshold } = config.payments.alarms;

    for (const provider of config.payments.providers) {
      for (const method of provider.methods) {
        const dims = { [PAYMENT_DIMENSIONS.provider]: provider.id, [PAYMENT_DIMENSIONS.method]: method };
        // Metric math (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html):
        // below the minimum volume the rate reads 100 %, so a quiet minute never alarms.
        const rate = new cloudwatch.MathExpression({
          expression: `IF(eligible >= ${minimumAttempts}, 100 * FILL(approvals, 0) / eligible, 100)`,
          usingMetrics: {
            eligible: new cloudwatch.MathExpression({
              expression: 'FILL(attempts, 0) - FILL(declines, 0)',
              usingMetrics: {
                attempts: metric(PAYMENT_METRICS.attempts, 'Sum', dims),
                declines: metric(PAYMENT_METRICS.customerDeclines, 'Sum', dims),
              },
              period,
            }),
            approvals: metric(PAYMENT_METRICS.approvals, 'Sum', dims),
          },
          period,
          label: `Approval rate % of ${provider.id} ${method} (customer declines excluded)`,
        });
        const alarm = new cloudwatch.Alarm(this, `Approval-${provider.id}-${method}`, {
          alarmName: names.paymentsApprovalAlarm(region, provider.id, method),
          alarmDescription: `${method} through ${provider.id} in ${region}: fewer than ${floor} % of attempts approved (customer declines excluded) in ${PAYMENT_ALARM_SHAPE.approval.datapointsToAlarm} of the last ${PAYMENT_ALARM_SHAPE.approval.evaluationPeriods} minutes with at least ${minimumAttempts} attempts. The shop's breaker routes ${method} to the next provider by itself. Run: shopctl payments status`,
          metric: rate,
          threshold: floor,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          evaluationPeriods: PAYMENT_ALARM_SHAPE.approval.evaluationPeriods,
          datapointsToAlarm: PAYMENT_ALARM_SHAPE.approval.datapointsToAlarm,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
        props.alarms.page(alarm);
        this.approval[`${provider.id}/${method}`] = alarm;
      }
    }

    const unknownMinutes = unknownsAlarmMinutes(config.payments.reconcileEverySeconds);
    this.unknowns = new cloudwatch.Alarm(this, 'Unknowns', {
      alarmName: names.paymentsUnknownsAlarm(region),
      alarmDescription: `${region}: at least ${unknownsThreshold} payment attempts have had an unknown outcome for ${unknownMinutes} minutes, through reconciler runs every ${config.payments.reconcileEverySeconds} s. Money may have moved that the shop has not recorded; customers are told "we are confirming your payment". Run: shopctl payments status`,
      metric: metric(PAYMENT_METRICS.unresolvedUnknowns, 'Maximum', {}),
      threshold: unknownsThreshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: unknownMinutes,
      datapointsToAlarm: unknownMinutes,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    props.alarms.page(this.unknowns);

    this.onlineDown = new cloudwatch.Alarm(this, 'OnlineDown', {
      alarmName: names.paymentsOnlineDownAlarm(region),
      alarmDescription: `PAGE: no online payment method can be chosen in ${region} (every instance reports 0 for ${PAYMENT_ALARM_SHAPE.onlineDown.datapointsToAlarm} minutes): customers can pay only by the manual ways. Run: shopctl payments status, then shopctl notice payment-incident`,
      // Maximum over the instances: 0 only when every instance has no online method left.
      metric: metric(PAYMENT_METRICS.onlineMethodsAvailable, 'Maximum', {}),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: PAYMENT_ALARM_SHAPE.onlineDown.evaluationPeriods,
      datapointsToAlarm: PAYMENT_ALARM_SHAPE.onlineDown.datapointsToAlarm,
      // A shop that publishes nothing is down or idle: the canaries page for the first.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    props.alarms.page(this.onlineDown);
  }
}
