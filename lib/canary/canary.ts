import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { acknowledgeGuard } from '../compliance/acknowledge';
import type { ShopConfig } from '../config/load';
import { Names } from '../config/names';
import type { AlarmTopic } from '../monitoring/alarm-topic';
import { LoggedFunction } from '../monitoring/logged-function';

/** Properties of {@link Canary}. */
export interface CanaryProps {
  readonly config: ShopConfig;
  readonly key: kms.IKey;
  readonly alarms: AlarmTopic;
}

/** One target as the canary handler receives it in `CANARY_CONFIG`. */
export interface CanaryTarget {
  readonly id: string;
  readonly kind: 'shop' | 'outage';
  readonly baseUrl: string;
  readonly requireWritable?: boolean;
  /** Read the shop's payment verdict (lambda/canary `PaymentsDown`). */
  readonly payments?: boolean;
  /** Pay through the shop's signed test-payment route (a provider's test mode, refunded). */
  readonly testPayment?: boolean;
}

/** Lambda timeout; the handler's own deadline stays well under it. */
const FUNCTION_TIMEOUT = Duration.seconds(55);
const DEADLINE_MS = 40_000;

/** The targets every canary walks, derived from the config. */
export function canaryTargets(config: ShopConfig): CanaryTarget[] {
  const names = new Names(config);
  return [
    {
      id: 'public',
      kind: 'shop',
      baseUrl: `https://${config.domainName}`,
      requireWritable: true,
      payments: true,
      // One test payment per vantage and minute, where customers pay: on the public name only.
      testPayment: true,
    },
    ...config.regions.map((r) => ({
      id: r.name,
      kind: 'shop' as const,
      baseUrl: `https://${names.regionRecord(r.name)}`,
      requireWritable: false,
      // Every region's shop reports its payments: "payments down" apart from "shop down".
      payments: true,
    })),
    { id: 'outage', kind: 'outage', baseUrl: `https://${names.outageRecord()}` },
  ];
}

/**
 * A Lambda canary in this region that shops like a customer every minute on the public name, on
 * every region's direct name and on the outage page, publishing its verdict per target into every
 * region's CloudWatch, so that each region can tell "down as seen from two vantage points" from one
 * vantage point's network blip. Per-vantage M-of-N alarms feed composite alarms that page.
 */
export class Canary extends Construct {
  readonly handler: LoggedFunction;
  readonly vantageAlarms: cloudwatch.Alarm[] = [];
  readonly consensusAlarms: cloudwatch.CompositeAlarm[] = [];
  /** Pages when the canary's test payment fails from two vantage points (regions that watch `public`). */
  paymentPathAlarm: cloudwatch.Alarm | undefined;
  readonly dashboard: cloudwatch.Dashboard;
  private readonly config: ShopConfig;

  constructor(scope: Construct, id: string, props: CanaryProps) {
    super(scope, id);
    const { config } = props;
    this.config = config;
    const names = new Names(config);
    const region = Stack.of(this).region;
    // Every vantage point: the regions and the edge region (a vantage that is in neither shop region).
    const regions = names.canaryVantages();
    const namespace = names.canaryNamespace();
    const canaryTargetList = canaryTargets(config);

    this.handler = new LoggedFunction(this, 'Handler', {
      handlerDir: 'canary',
      description: 'Customer-journey canary: public name, every region, outage page',
      timeout: FUNCTION_TIMEOUT,
      memorySize: 256,
      logKey: props.key,
      outsideVpcReason:
        'The canary must reach the shop the way customers do, over the public internet, and publish to CloudWatch in other regions; inside the VPC it would test the NAT gateway instead. It handles no cardholder data.',
      environment: {
        CANARY_CONFIG: JSON.stringify({
          vantage: region,
          namespace,
          stepTimeoutMs: config.canary.stepTimeoutMs,
          deadlineMs: DEADLINE_MS,
          verdictRegions: regions,
          targets: canaryTargetList,
          // Signs its test requests with this region's copy (lib/canary/test-signing.ts).
          signingSecretName: names.testSigningSecretName(),
        }),
        POWERTOOLS_SERVICE_NAME: 'canary',
        POWERTOOLS_METRICS_NAMESPACE: namespace,
      },
    });
    // Verdicts go to every region's CloudWatch.
    this.handler.allowPutMetricData(namespace);
    this.handler.runEvery(
      'Schedule',
      Duration.minutes(config.canary.scheduleMinutes),
      'Runs the customer-journey canary',
    );

    const failed = (target: string, vantage: string) => this.metricFailed(target, vantage);

    for (const target of names.canaryTargets()) {
      if (!names.canaryWatchers(target).includes(region)) continue;
      const perVantage = regions.map((vantage) => {
        const alarm = new cloudwatch.Alarm(this, `Failing-${target}-from-${vantage}`, {
          alarmName: names.canaryTargetAlarm(target, vantage),
          alarmDescription: `Canary in ${vantage} failed ${config.canary.failuresToAlarm} of the last ${config.canary.evaluationPeriods} journeys on ${target}. Feeds ${names.canaryConsensusAlarm(target)}; does not page alone.`,
          metric: failed(target, vantage),
          threshold: 1,
          evaluationPeriods: config.canary.evaluationPeriods,
          datapointsToAlarm: config.canary.failuresToAlarm,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          // A vantage point that cannot report is no evidence that the target is down.
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
        acknowledgeGuard(
          alarm,
          'cloudwatch_alarm_action_check',
          'Deliberately silent: one vantage point alone may only see its own network blip. It feeds the composite "down from two vantage points" alarm, which pages.',
        );
        this.vantageAlarms.push(alarm);
        return alarm;
      });
      const consensus = new cloudwatch.CompositeAlarm(this, `Down-${target}`, {
        compositeAlarmName: names.canaryConsensusAlarm(target),
        alarmDescription: `${target} is failing customer journeys as seen from at least two vantage points (${regions.join(', ')}). Run: shopctl status`,
        alarmRule: atLeastTwo(perVantage),
      });
      props.alarms.page(consensus);
      this.consensusAlarms.push(consensus);
    }

    // A vantage whose region is down publishes nothing, and its own "not running" alarm is down with
    // it: every other vantage region pages when its verdicts stop arriving (missing = breaching).
    for (const vantage of regions.filter((v) => v !== region)) {
      const silent = new cloudwatch.Alarm(this, `Silent-${vantage}`, {
        alarmName: names.canarySilentAlarm(vantage),
        alarmDescription: `No canary verdict from ${vantage} for 5 minutes: that vantage point (or its whole region) is down. Run: shopctl status`,
        metric: failed('public', vantage).with({ statistic: 'SampleCount', period: Duration.minutes(5) }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
      props.alarms.page(silent);
    }

    // The test payment (POST /payments/test through a provider's TEST mode) is tried only after a
    // journey that worked, so a shop that is down says nothing here; it pages when the payment path
    // is broken from at least two vantage points in M of the last N runs, the same consensus as the
    // journeys. No data (no test key configured yet, or every journey failing) is not a finding.
    if (names.canaryWatchers('public').includes(region)) {
      this.paymentPathAlarm = new cloudwatch.Alarm(this, 'PaymentPathBroken-public', {
        alarmName: names.canaryPaymentPathAlarm(),
        alarmDescription: `Test payments through the shop's confirm path fail from at least two of ${regions.join(', ')} in ${config.canary.failuresToAlarm} of the last ${config.canary.evaluationPeriods} runs while the shop answers: customers may be unable to pay. If only the provider's TEST environment is down, production payments may still work: check the approval-rate alarms and run: npx shopctl payments status`,
        metric: new cloudwatch.MathExpression({
          expression: regions.map((_, i) => `FILL(p${i}, 0)`).join(' + '),
          usingMetrics: Object.fromEntries(
            regions.map((vantage, i) => [
              `p${i}`,
              new cloudwatch.Metric({
                namespace,
                metricName: 'PaymentPathBroken',
                dimensionsMap: { Target: 'public', Vantage: vantage },
                statistic: 'Maximum',
                period: Duration.minutes(config.canary.scheduleMinutes),
              }),
            ]),
          ),
          period: Duration.minutes(config.canary.scheduleMinutes),
          label: 'Vantage points whose test payment failed',
        }),
        threshold: 2,
        evaluationPeriods: config.canary.evaluationPeriods,
        datapointsToAlarm: config.canary.failuresToAlarm,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      props.alarms.page(this.paymentPathAlarm);
    }

    const notRunning = new cloudwatch.Alarm(this, 'NotRunning', {
      alarmName: `${names.alarmPrefix()}canary-not-running-${region}`,
      alarmDescription: `The canary in ${region} errored or did not run for 5 minutes: this vantage point is blind.`,
      metric: new cloudwatch.MathExpression({
        expression: 'IF(invocations < 1, 1, errors)',
        usingMetrics: {
          invocations: this.handler.function.metricInvocations({
            statistic: 'Sum',
            period: Duration.minutes(1),
          }),
          errors: this.handler.function.metricErrors({ statistic: 'Sum', period: Duration.minutes(1) }),
        },
        period: Duration.minutes(1),
      }),
      threshold: 1,
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    props.alarms.page(notRunning);

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${config.appName}-canary-${region}`,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      ...names.canaryTargets().map(
        (target) =>
          new cloudwatch.GraphWidget({
            title: `${target}: failed journeys by vantage point`,
            left: regions.map((vantage) => failed(target, vantage).with({ label: vantage })),
            leftYAxis: { min: 0, max: 1 },
            width: 8,
          }),
      ),
      new cloudwatch.GraphWidget({
        title: `Journey latency from ${region} (p90)`,
        left: names.canaryTargets().map(
          (target) =>
            new cloudwatch.Metric({
              namespace,
              metricName: 'JourneyLatency',
              dimensionsMap: { Target: target },
              statistic: 'p90',
              period: Duration.minutes(1),
              label: target,
            }),
        ),
        width: 8,
      }),
      new cloudwatch.AlarmStatusWidget({
        title: 'Consensus alarms',
        alarms: this.consensusAlarms,
        width: 8,
      }),
    );
  }
  /** `TargetFailed{Target, Vantage}`: 1 when the journey on `target` failed from `vantage` (Maximum per run). */
  metricFailed(target: string, vantage: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: new Names(this.config).canaryNamespace(),
      metricName: 'TargetFailed',
      dimensionsMap: { Target: target, Vantage: vantage },
      statistic: 'Maximum',
      period: Duration.minutes(this.config.canary.scheduleMinutes),
    });
  }

  /**
   * Adds the stop condition of this region's game-day experiments: the public name failing from at
   * least two vantage points, as one metric alarm (`Names.gameDayBrakeAlarm`). It does not page.
   */
  addGameDayBrake(): cloudwatch.Alarm {
    const config = this.config;
    const names = new Names(config);
    const region = Stack.of(this).region;
    const regions = names.canaryVantages();
    // FIS documents stop conditions as "a CloudWatch alarm" and is silent on composite alarms
    // (https://docs.aws.amazon.com/fis/latest/userguide/stop-conditions.html), so the experiments
    // stop on this metric alarm rather than on the composite: per minute, the number of vantage
    // points whose journey on the public name failed (a vantage that published nothing counts 0),
    // at least 2 in M of the last N minutes. A real outage fails every vantage in the same minutes,
    // so it goes off with the composite; failures staggered across vantages may page without it.
    // Metric math alarms read at most 10 metrics
    // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-limits.html).
    if (regions.length > 10) {
      throw new Error(
        `${this.node.path}: ${regions.length} canary vantage points (regions = ${config.regions.length} + the edge region), but the game-day stop alarm can read at most 10 metrics. Fix: configure at most 9 regions`,
      );
    }
    const brake = new cloudwatch.Alarm(this, 'Brake-public', {
      alarmName: names.gameDayBrakeAlarm(),
      alarmDescription: `Stop condition of every game-day experiment in ${region}: public is failing from at least two of ${regions.join(', ')} in ${config.canary.failuresToAlarm} of the last ${config.canary.evaluationPeriods} runs. Does not page (${names.canaryConsensusAlarm('public')} does).`,
      metric: new cloudwatch.MathExpression({
        expression: regions.map((_, i) => `FILL(v${i}, 0)`).join(' + '),
        usingMetrics: Object.fromEntries(
          regions.map((vantage, i) => [`v${i}`, this.metricFailed('public', vantage)]),
        ),
        period: Duration.minutes(config.canary.scheduleMinutes),
        label: 'Vantage points failing on public',
      }),
      threshold: 2,
      evaluationPeriods: config.canary.evaluationPeriods,
      datapointsToAlarm: config.canary.failuresToAlarm,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    acknowledgeGuard(
      brake,
      'cloudwatch_alarm_action_check',
      `Deliberately silent: FIS reads it as the stop condition of the game-day experiments; the page for the same condition is ${names.canaryConsensusAlarm('public')}.`,
    );
    return brake;
  }
}

/** Alarm rule true when at least two of the alarms are in ALARM. */
export function atLeastTwo(alarms: readonly cloudwatch.IAlarm[]): cloudwatch.IAlarmRule {
  const pairs: cloudwatch.IAlarmRule[] = [];
  for (let i = 0; i < alarms.length; i++) {
    for (let j = i + 1; j < alarms.length; j++) {
      pairs.push(
        cloudwatch.AlarmRule.allOf(
          cloudwatch.AlarmRule.fromAlarm(alarms[i], cloudwatch.AlarmState.ALARM),
          cloudwatch.AlarmRule.fromAlarm(alarms[j], cloudwatch.AlarmState.ALARM),
        ),
      );
    }
  }
  return cloudwatch.AlarmRule.anyOf(...pairs);
}
