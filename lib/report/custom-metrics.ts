/**
 * Custom metrics: every CloudWatch metric the app publishes (a metric is one namespace + metric name
 * + dimension set, in one region: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Metric),
 * and the PutMetricData requests that publish them.
 *
 * One registry for every publisher: a function per publisher turns the publisher's own settings (the
 * ones the templates give it: `SHOP_PAYMENTS`, `SHOP_NOTIFY`, `CANARY_CONFIG`, `SWITCH_*`,
 * `MIRROR_CONFIG`, `READINESS_CONFIG`) into the series it writes, from the names the publishers
 * themselves use (lib/contract, lambda/*). test/custom-metrics.test.ts runs each publisher against a
 * fake CloudWatch and fails when it sends a metric or a dimension set this registry does not list.
 *
 * Alarms' metric math creates no metric: each MetricDataQuery of an alarm "specifies either a metric to
 * retrieve, or a math expression to be performed on retrieved metrics"
 * (https://boto3.amazonaws.com/v1/documentation/api/1.26.93/reference/services/cloudwatch/alarm/metrics.html);
 * the alarm is priced per metric it retrieves (lib/report/cost.ts), not as a custom metric.
 */
import { CANARY_METRICS } from '../../lambda/canary/canary';
import type { CanaryConfig } from '../../lambda/canary/config';
import { stepsOf } from '../../lambda/canary/journeys';
import { CAPACITY_METRICS, SOURCE_DIMENSION } from '../../lambda/capacity-mirror/metrics';
import { CHECKS } from '../../lambda/readiness/checks';
import { CHECK_FAILED_METRIC, READY_METRIC } from '../../lambda/readiness/metrics';
import { NOTIFY_METRICS, NOTIFY_METRICS_EVERY_SECONDS, notifyNamespaceOf } from '../contract/notify';
import { PAYMENT_METRICS, PAYMENT_METRICS_EVERY_SECONDS, paymentsNamespaceOf } from '../contract/payments';
import { shopNotifyOf } from './notifications';
import { shopPaymentsOf } from './payments';
import { CfnTemplate, entries, envOf, Json, num, scheduledFunctions, StackInfo } from './template';

/** Metrics one PutMetricData request may carry: "no more than 1000 different metrics" (API reference). */
export const PUT_METRIC_DATA_MAX_METRICS = 1000;

/** One-minute publications in the 30-day month the Lambda lines use. */
const MINUTES_PER_MONTH = 30 * 24 * 60;

/** One custom metric: where it is stored and what identifies it. */
export interface MetricSeries {
  /** Region whose CloudWatch stores (and bills) it. */
  readonly region: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

/**
 * How a publisher sends: PutMetricData requests, or the embedded metric format in its log lines
 * (CloudWatch extracts the metrics; no PutMetricData request:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format.html).
 */
export type MetricTransport = 'PutMetricData' | 'EMF';

/** What one publisher writes, and how often. */
export interface MetricPublisher {
  /** Who publishes, for the reader ("shop payments", "canary verdicts"...). */
  readonly publisher: string;
  /** Region it runs in. */
  readonly runsIn: string;
  readonly transport: MetricTransport;
  /** Every series one publication writes, every destination region included. */
  readonly series: readonly MetricSeries[];
  /** Publications per month (instances × runs). */
  readonly publicationsPerMonth: number;
  /** PutMetricData requests per publication into each region (⌈metrics / 1,000⌉); none for EMF. */
  readonly requestsPerPublication: Readonly<Record<string, number>>;
}

/** Stable key of a series (dimension names sorted, as CloudWatch treats a dimension set). */
export function seriesKey(s: MetricSeries): string {
  const dims = Object.entries(s.dimensions)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `${s.region}|${s.namespace}|${s.metricName}|${dims}`;
}

/**
 * PutMetricData requests one publication sends into each region: one batch per destination, split
 * at {@link PUT_METRIC_DATA_MAX_METRICS}.
 */
export function requestsByRegion(series: readonly MetricSeries[]): Record<string, number> {
  const perRegion: Record<string, number> = {};
  for (const s of series) perRegion[s.region] = (perRegion[s.region] ?? 0) + 1;
  for (const r of Object.keys(perRegion))
    perRegion[r] = Math.ceil(perRegion[r] / PUT_METRIC_DATA_MAX_METRICS);
  return perRegion;
}

/** Payment metrics of one region's shop: six per provider × method, two gauges per region. */
export function paymentSeries(
  namespace: string,
  region: string,
  providers: readonly { readonly id: string; readonly methods: readonly string[] }[],
): MetricSeries[] {
  const m = PAYMENT_METRICS;
  const lanes = providers.flatMap((p) => p.methods.map((method) => ({ provider: p.id, method })));
  return [
    ...lanes.flatMap(({ provider, method }) =>
      [m.attempts, m.approvals, m.customerDeclines, m.providerErrors, m.unknowns, m.latency].map(
        (metricName) => ({
          region,
          namespace,
          metricName,
          dimensions: { Region: region, Provider: provider, Method: method },
        }),
      ),
    ),
    ...[m.unresolvedUnknowns, m.onlineMethodsAvailable].map((metricName) => ({
      region,
      namespace,
      metricName,
      dimensions: { Region: region },
    })),
  ];
}

/** Notice metrics of one region's shop: three per channel, the oldest-unsent gauge per region. */
export function notifySeries(namespace: string, region: string, channels: readonly string[]): MetricSeries[] {
  const m = NOTIFY_METRICS;
  return [
    ...channels.flatMap((channel) =>
      [m.sent, m.failed, m.fallbacks].map((metricName) => ({
        region,
        namespace,
        metricName,
        dimensions: { Region: region, Channel: channel },
      })),
    ),
    { region, namespace, metricName: m.oldestUnsentAge, dimensions: { Region: region } },
  ];
}

type CanarySettings = Pick<CanaryConfig, 'vantage' | 'namespace' | 'verdictRegions' | 'targets'>;

/**
 * The canary's verdicts (PutMetricData into every verdict region): TargetFailed per target, plus
 * PaymentsDown and the two test-payment verdicts for the targets that report them.
 */
export function canaryVerdictSeries(c: CanarySettings): MetricSeries[] {
  const m = CANARY_METRICS;
  return c.verdictRegions.flatMap((region) =>
    c.targets.flatMap((t) =>
      [
        m.targetFailed,
        ...(t.kind === 'shop' && t.payments ? [m.paymentsDown] : []),
        ...(t.kind === 'shop' && t.testPayment ? [m.paymentPathBroken, m.paymentPathUnknown] : []),
      ].map((metricName) => ({
        region,
        namespace: c.namespace,
        metricName,
        dimensions: { Target: t.id, Vantage: c.vantage },
      })),
    ),
  );
}

/**
 * The canary's own-region metrics (EMF): journey success and latency per target, step success and
 * latency per target × step, and one publish-failure flag per verdict region.
 */
export function canaryEmfSeries(c: CanarySettings): MetricSeries[] {
  const m = CANARY_METRICS;
  const at = (metricName: string, dimensions: Record<string, string>): MetricSeries => ({
    region: c.vantage,
    namespace: c.namespace,
    metricName,
    dimensions,
  });
  return [
    ...c.targets.flatMap((t) => [
      at(m.journeySuccess, { Target: t.id }),
      at(m.journeyLatency, { Target: t.id }),
      ...stepsOf(t).flatMap((step) => [
        at(m.stepSuccess, { Target: t.id, Step: step }),
        at(m.stepLatency, { Target: t.id, Step: step }),
      ]),
    ]),
    ...c.verdictRegions.map((region) => at(m.verdictPublishFailed, { Region: region })),
  ];
}

/** The drain switch publisher: one metric per region whose switch this region holds. */
export function switchSeries(
  region: string,
  namespace: string,
  metricName: string,
  targets: readonly string[],
): MetricSeries[] {
  return targets.map((target) => ({ region, namespace, metricName, dimensions: { TargetRegion: target } }));
}

/** The capacity mirror: six figures of its region, copied into every region. */
export function mirrorSeries(c: {
  region: string;
  namespace: string;
  regions: readonly string[];
}): MetricSeries[] {
  return c.regions.flatMap((region) =>
    Object.values(CAPACITY_METRICS).map((metricName) => ({
      region,
      namespace: c.namespace,
      metricName,
      dimensions: { [SOURCE_DIMENSION]: c.region },
    })),
  );
}

/** The readiness check: Ready and one CheckFailed per check, copied into every region. */
export function readinessSeries(c: {
  region: string;
  namespace: string;
  regions: readonly string[];
}): MetricSeries[] {
  return c.regions.flatMap((region) => [
    { region, namespace: c.namespace, metricName: READY_METRIC, dimensions: { Region: c.region } },
    ...CHECKS.map((check) => ({
      region,
      namespace: c.namespace,
      metricName: CHECK_FAILED_METRIC,
      dimensions: { Region: c.region, Check: check },
    })),
  ]);
}

/** JSON of an environment value that CloudFormation joins with tokens (the tokens are not read). */
function jsonEnv(v: Json): Json | undefined {
  if (v === undefined) return undefined;
  const text =
    typeof v === 'string'
      ? v
      : ((v?.['Fn::Join']?.[1] ?? []) as Json[]).map((p) => (typeof p === 'string' ? p : 'token')).join('');
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The custom metrics of the templates. */
export interface CustomMetricsSection {
  readonly publishers: readonly MetricPublisher[];
  /** Distinct custom metrics stored per region. */
  readonly perRegion: Readonly<Record<string, number>>;
  readonly total: number;
  /** PutMetricData requests per month, by the region that receives (and bills) them. */
  readonly requestsPerMonth: Readonly<Record<string, number>>;
}

/**
 * Reads every publisher's settings from the templates and counts what they publish: a shop publishes
 * from each running instance (the group's minimum), a Lambda on its schedule.
 */
export function customMetricsSection(
  templates: Record<string, CfnTemplate>,
  stacks: readonly StackInfo[],
): CustomMetricsSection {
  const publishers: MetricPublisher[] = [];
  const add = (
    publisher: string,
    runsIn: string,
    transport: MetricTransport,
    series: MetricSeries[],
    publicationsPerMonth: number,
  ) =>
    publishers.push({
      publisher,
      runsIn,
      transport,
      series,
      publicationsPerMonth,
      requestsPerPublication: transport === 'EMF' ? {} : requestsByRegion(series),
    });

  for (const s of stacks) {
    const t = templates[s.name];
    const region = s.region;
    // The shop: every running instance publishes its minute (the group's minimum is what runs idle).
    const instances = entries(t, 'AWS::AutoScaling::AutoScalingGroup').reduce(
      (n, [, g]) => n + (num(g.Properties?.MinSize) ?? 0),
      0,
    );
    const payments = shopPaymentsOf(t);
    if (payments?.providers) {
      add(
        'shop payments',
        region,
        'PutMetricData',
        paymentSeries(paymentsNamespaceOf(payments), region, payments.providers),
        instances * ((MINUTES_PER_MONTH * 60) / PAYMENT_METRICS_EVERY_SECONDS),
      );
    }
    const notify = shopNotifyOf(t);
    if (notify?.channels) {
      add(
        'shop notices',
        region,
        'PutMetricData',
        notifySeries(
          notifyNamespaceOf(notify),
          region,
          (notify.channels as Json[]).map((c) => String(c.id)),
        ),
        instances * ((MINUTES_PER_MONTH * 60) / NOTIFY_METRICS_EVERY_SECONDS),
      );
    }

    const scheduled = scheduledFunctions(t);
    for (const [fnId, fn] of entries(t, 'AWS::Lambda::Function')) {
      const env = envOf(fn);
      const rate = scheduled.get(fnId);
      const runs = rate ? (MINUTES_PER_MONTH * 60) / rate : 0;
      const canary = jsonEnv(env.CANARY_CONFIG) as CanarySettings | undefined;
      if (canary?.targets) {
        add('canary verdicts', region, 'PutMetricData', canaryVerdictSeries(canary), runs);
        add('canary journeys', region, 'EMF', canaryEmfSeries(canary), runs);
      }
      if (typeof env.SWITCH_TARGETS === 'string' && env.SWITCH_NAMESPACE && env.SWITCH_METRIC) {
        const targets = env.SWITCH_TARGETS.split(',')
          .map((x: string) => x.trim())
          .filter(Boolean);
        add(
          'drain switch publisher',
          region,
          'PutMetricData',
          switchSeries(region, String(env.SWITCH_NAMESPACE), String(env.SWITCH_METRIC), targets),
          runs,
        );
      }
      const mirror = jsonEnv(env.MIRROR_CONFIG);
      if (mirror?.regions) add('capacity mirror', region, 'PutMetricData', mirrorSeries(mirror), runs);
      const readiness = jsonEnv(env.READINESS_CONFIG);
      if (readiness?.regions && readiness.namespace)
        add('readiness check', region, 'PutMetricData', readinessSeries(readiness), runs);
    }
  }

  const unique = new Map<string, MetricSeries>();
  for (const p of publishers) for (const x of p.series) unique.set(seriesKey(x), x);
  const perRegion: Record<string, number> = {};
  for (const x of unique.values()) perRegion[x.region] = (perRegion[x.region] ?? 0) + 1;
  const requestsPerMonth: Record<string, number> = {};
  for (const p of publishers)
    for (const [r, n] of Object.entries(p.requestsPerPublication))
      requestsPerMonth[r] = (requestsPerMonth[r] ?? 0) + p.publicationsPerMonth * n;
  return { publishers, perRegion, total: unique.size, requestsPerMonth };
}
