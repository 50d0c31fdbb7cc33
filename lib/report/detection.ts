/**
 * Detection: how an outage is noticed. Route 53 endpoint health checks (which move traffic), the
 * customer-journey canaries and the "down from two vantage points" composite alarms (which page).
 */
import {
  alarmName,
  CfnTemplate,
  entries,
  envOf,
  describeValue,
  Json,
  num,
  parseRule,
  scheduledFunctions,
  tagValue,
  topicNames,
  trimDot,
  uniqSorted,
} from './template';

/** A Route 53 endpoint health check of one region. */
export interface EndpointCheckRow {
  readonly region: string;
  readonly fqdn: string;
  readonly type: string;
  readonly path: string;
  readonly searchString?: string;
  readonly intervalSeconds: number;
  readonly failureThreshold: number;
  readonly detectionSeconds: number;
  readonly checkerRegions: readonly string[];
  readonly measureLatency: boolean;
}

/** The canary of one region (its vantage point) and how fast its alarms can trip. */
export interface CanaryRow {
  readonly stack: string;
  /** Region the canary runs in (its vantage point). */
  readonly region: string;
  readonly scheduleSeconds?: number;
  /** Failed runs needed (DatapointsToAlarm), M of N. */
  readonly failuresToAlarm: number;
  /** Runs looked at (EvaluationPeriods), N. */
  readonly evaluationPeriods: number;
  readonly periodSeconds: number;
  /** Fastest a sustained failure can raise a per-vantage alarm: M × period. */
  readonly detectionSeconds: number;
  /** The window the M failures are counted in: N × period. */
  readonly windowSeconds: number;
  readonly timeoutSeconds?: number;
}

/** A composite alarm that pages when a target is down from enough vantage points. */
export interface ConsensusRow {
  readonly alarmName: string;
  /** Region whose CloudWatch evaluates the composite. */
  readonly region: string;
  readonly target: string;
  readonly vantages: readonly string[];
  /** At least this many vantage alarms must be in ALARM. */
  readonly minVantages: number;
  readonly pagesTopics: readonly string[];
}

/** Endpoint health checks of the edge template, one per region. */
export function endpointCheckRows(edge: CfnTemplate, tagKey: string): EndpointCheckRow[] {
  const rows: EndpointCheckRow[] = [];
  for (const [, r] of entries(edge, 'AWS::Route53::HealthCheck')) {
    const tag = tagValue(r.Properties, tagKey) ?? '';
    if (!tag.startsWith('endpoint:')) continue;
    const c = r.Properties.HealthCheckConfig ?? {};
    const interval = num(c.RequestInterval) ?? 30;
    const threshold = num(c.FailureThreshold) ?? 3;
    rows.push({
      region: tag.slice('endpoint:'.length),
      fqdn: trimDot(String(c.FullyQualifiedDomainName ?? '')),
      type: String(c.Type),
      path: String(c.ResourcePath ?? '/'),
      searchString: c.SearchString,
      intervalSeconds: interval,
      failureThreshold: threshold,
      detectionSeconds: interval * threshold,
      checkerRegions: c.Regions ?? ['(Route 53 default checkers)'],
      measureLatency: c.MeasureLatency === true,
    });
  }
  return rows;
}

/** The canary of every regional template. */
export function canaryRows(
  templates: Record<string, CfnTemplate>,
  regionOf: Map<string, string>,
): CanaryRow[] {
  const rows: CanaryRow[] = [];
  for (const [stack, t] of Object.entries(templates)) {
    const failedAlarms = entries(t, 'AWS::CloudWatch::Alarm').filter(
      ([, r]) => r.Properties?.MetricName === 'TargetFailed',
    );
    if (failedAlarms.length === 0) continue;
    const scheduled = scheduledFunctions(t);
    const canaryFn = entries(t, 'AWS::Lambda::Function').find(
      ([, r]) => envOf(r).CANARY_CONFIG !== undefined,
    );
    const p = failedAlarms[0][1].Properties;
    const n = num(p.EvaluationPeriods) ?? 1;
    const m = num(p.DatapointsToAlarm) ?? n;
    const period = num(p.Period) ?? 60;
    rows.push({
      stack,
      region: regionOf.get(stack) ?? 'unknown',
      scheduleSeconds: canaryFn ? scheduled.get(canaryFn[0]) : undefined,
      failuresToAlarm: m,
      evaluationPeriods: n,
      periodSeconds: period,
      detectionSeconds: m * period,
      windowSeconds: n * period,
      timeoutSeconds: canaryFn ? num(canaryFn[1].Properties?.Timeout) : undefined,
    });
  }
  return rows;
}

/** The consensus composite alarms of every template. */
export function consensusRows(
  templates: Record<string, CfnTemplate>,
  regionOf: Map<string, string>,
): ConsensusRow[] {
  const rows: ConsensusRow[] = [];
  for (const [stack, t] of Object.entries(templates)) {
    for (const [id, r] of entries(t, 'AWS::CloudWatch::CompositeAlarm')) {
      const { children, minTogether } = parseRule(r.Properties?.AlarmRule);
      const dims = children.map((c) => {
        const d: Json[] = t.Resources?.[c]?.Properties?.Dimensions ?? [];
        return Object.fromEntries(d.map((x) => [x.Name, describeValue(x.Value)]));
      });
      // Only canary consensus composites (children per vantage point); not, e.g., the scaler's trigger.
      if (!dims.some((d) => d.Vantage)) continue;
      rows.push({
        alarmName: alarmName(id, r),
        region: regionOf.get(stack) ?? 'unknown',
        target: uniqSorted(dims.map((d) => d.Target ?? '?')).join(', '),
        vantages: uniqSorted(dims.map((d) => d.Vantage ?? '?')),
        minVantages: minTogether,
        pagesTopics: topicNames(t, r.Properties?.AlarmActions),
      });
    }
  }
  return rows;
}
