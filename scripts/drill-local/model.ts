/**
 * What the local drill reads from the SYNTHESIZED templates (never from the config): the Route 53
 * health checks and failover records of the edge stack, each region's direct record and ALB target
 * group, the canary configuration as deployed (CANARY_CONFIG) and the canary alarms that page.
 * Everything the evaluator applies to the local endpoints comes from here, so the drill rehearses
 * what would be deployed.
 */

import { Names } from '../../lib/config/names';

/**
 * Template JSON is untyped; every field the drill reads is checked or defaulted where it is read.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Cfn = any;

/** CloudFormation template JSON (the parts the drill reads). */
export interface TemplateJson {
  readonly Resources?: Record<string, { readonly Type: string; readonly Properties?: Cfn }>;
}

export type EndpointCheckType = 'HTTP' | 'HTTPS' | 'HTTP_STR_MATCH' | 'HTTPS_STR_MATCH' | 'TCP';

/** An endpoint health check (Route 53 health checkers probe it). */
export interface EndpointCheckSpec {
  readonly kind: 'endpoint';
  readonly id: string;
  /** Value of the `Names.HEALTH_CHECK_TAG` tag (how `shopctl` finds the check). */
  readonly tag?: string;
  /** Every tag of the check, as synthesized (what ListTagsForResources answers). */
  readonly tags?: Readonly<Record<string, string>>;
  readonly type: EndpointCheckType;
  readonly fqdn: string;
  readonly port: number;
  readonly path: string;
  readonly searchString?: string;
  readonly intervalSeconds: number;
  readonly failureThreshold: number;
  /** Checker regions chosen in the template (Route 53 picks its default set when absent). */
  readonly checkerRegions: readonly string[];
  readonly inverted: boolean;
}

/**
 * A health check that follows the metric data stream behind a CloudWatch alarm: Route 53 copies the
 * alarm's metric, period, M of N, threshold and comparison and evaluates the stream itself.
 */
export interface MetricCheckSpec {
  readonly kind: 'metric';
  readonly id: string;
  readonly tag?: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly alarmRegion: string;
  readonly alarmName: string;
  readonly insufficientData: 'Healthy' | 'Unhealthy' | 'LastKnownStatus';
  readonly inverted: boolean;
}

/** A metric alarm as synthesized (the ones health checks read), in the region of its stack. */
export interface MetricAlarmSpec {
  readonly region: string;
  readonly name: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly statistic: 'Maximum' | 'Minimum' | 'Sum' | 'Average';
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly threshold: number;
  readonly comparison:
    | 'GreaterThanOrEqualToThreshold'
    | 'GreaterThanThreshold'
    | 'LessThanThreshold'
    | 'LessThanOrEqualToThreshold';
  readonly treatMissingData: 'missing' | 'breaching' | 'notBreaching' | 'ignore';
}

/** A drain switch publisher (SWITCH_TARGETS of its function). */
export interface SwitchPublisherSpec {
  readonly region: string;
  readonly namespace: string;
  readonly metricName: string;
  /** Regions whose switch this region holds a copy of (it follows this region's parameters only). */
  readonly targets: readonly string[];
}

/** A CALCULATED health check: healthy while at least `threshold` children are. */
export interface CalculatedCheckSpec {
  readonly kind: 'calculated';
  readonly id: string;
  readonly tag?: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly children: readonly string[];
  readonly threshold: number;
  readonly inverted: boolean;
}

export type CheckSpec = EndpointCheckSpec | MetricCheckSpec | CalculatedCheckSpec;

/** Where an alias record points: another name in the zone, a region's ALB, or CloudFront. */
export type AliasTarget =
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'alb'; readonly region: string }
  | { readonly kind: 'cloudfront' };

export interface RecordSpec {
  readonly id: string;
  readonly name: string;
  readonly failover?: 'PRIMARY' | 'SECONDARY';
  readonly healthCheckId?: string;
  readonly alias: AliasTarget;
  readonly evaluateTargetHealth: boolean;
}

/** The ALB target group health check of one region (decides "EvaluateTargetHealth" for its alias). */
export interface TargetGroupSpec {
  readonly region: string;
  readonly path: string;
  readonly intervalSeconds: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
  readonly timeoutSeconds: number;
  readonly matcher: readonly number[];
}

/** A per-vantage canary alarm (M of N periods of `TargetFailed` ≥ threshold). */
export interface CanaryAlarmSpec {
  readonly logicalId: string;
  readonly stackRegion: string;
  readonly name: string;
  readonly target: string;
  readonly vantage: string;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly threshold: number;
}

/**
 * A composite alarm with actions (it pages), its rule as a disjunction of conjunctions: ALARM when
 * every child of any one group is in ALARM (e.g. "down from any two of three vantage points").
 */
export interface PagingAlarmSpec {
  readonly stackRegion: string;
  readonly name: string;
  readonly anyOf: readonly (readonly string[])[];
}

/**
 * Reads a composite alarm rule made of ALARM("name or ARN"), AND, OR and parentheses into groups of
 * alarm names (any group all in ALARM → ALARM). Throws on anything else (NOT, OK, TRUE...).
 */
export function ruleToGroups(rule: string): string[][] {
  const tokens = rule.match(/ALARM\("[^"]*"\)|\(|\)|AND|OR|\S+/g) ?? [];
  let i = 0;
  const expr = (): string[][] => {
    let out = term();
    while (tokens[i] === 'OR') {
      i++;
      out = [...out, ...term()];
    }
    return out;
  };
  const term = (): string[][] => {
    let out = factor();
    while (tokens[i] === 'AND') {
      i++;
      const right = factor();
      out = out.flatMap((l) => right.map((r) => [...l, ...r]));
    }
    return out;
  };
  const factor = (): string[][] => {
    const t = tokens[i++];
    if (t === '(') {
      const inner = expr();
      if (tokens[i++] !== ')') throw new Error(`unbalanced parentheses in ${rule}`);
      return inner;
    }
    const m = t ? /^ALARM\("(?:.*:alarm:)?([^"]*)"\)$/.exec(t) : null;
    if (!m) throw new Error(`${t ?? 'end of rule'} is not supported in ${rule}`);
    return [[m[1]]];
  };
  const groups = expr();
  if (i !== tokens.length) throw new Error(`unexpected ${tokens[i]} in ${rule}`);
  return groups;
}

export interface DrillModel {
  readonly checks: Readonly<Record<string, CheckSpec>>;
  readonly records: readonly RecordSpec[];
  readonly targetGroups: Readonly<Record<string, TargetGroupSpec>>;
  /** CANARY_CONFIG of each region's canary, parsed JSON, keyed by region. */
  readonly canaryConfigs: Readonly<Record<string, unknown>>;
  readonly canaryAlarms: readonly CanaryAlarmSpec[];
  readonly pagingAlarms: readonly PagingAlarmSpec[];
  /** The alarms read by CLOUDWATCH_METRIC checks, keyed `region/name`. */
  readonly metricAlarms: Readonly<Record<string, MetricAlarmSpec>>;
  /** The drain switch publishers, by region (the shop regions and the edge region). */
  readonly switchPublishers: Readonly<Record<string, SwitchPublisherSpec>>;
  /**
   * The outage distribution's custom error responses (CloudFront `CustomErrorResponses`): what a
   * customer gets for a path the bucket has no object for, such as `/products/1` on the public name.
   */
  readonly outageErrorResponses: readonly OutageErrorResponse[];
}

/** One CloudFront custom error response: the origin's `errorCode` is answered with `responseCode` and the page. */
export interface OutageErrorResponse {
  readonly errorCode: number;
  readonly responseCode: number;
  /** Path of the object served instead, e.g. `/index.html`. */
  readonly pagePath: string;
}

/** Key of an alarm in {@link DrillModel.metricAlarms}. */
export const alarmKey = (region: string, name: string): string => `${region}/${name}`;

/** Problems found while reading the templates (all at once). */
export class ModelError extends Error {
  constructor(readonly issues: string[]) {
    super(`The synthesized templates cannot be rehearsed locally:\n  - ${issues.join('\n  - ')}`);
    this.name = 'ModelError';
  }
}

const fqdn = (name: string) => name.replace(/\.$/, '').toLowerCase();

function refId(v: unknown): string | undefined {
  const getAtt = (v as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt'];
  if (Array.isArray(getAtt)) return getAtt[0];
  const ref = (v as { Ref?: string } | undefined)?.Ref;
  return typeof ref === 'string' ? ref : undefined;
}

/**
 * Reads the drill model from the synthesized templates: the edge stack and each region's stack.
 * Throws a {@link ModelError} listing every construct it does not understand.
 */
export function readModel(
  edge: TemplateJson,
  regional: Readonly<Record<string, TemplateJson>>,
  edgeRegion: string = Names.EDGE_REGION,
): DrillModel {
  const issues: string[] = [];
  const checks: Record<string, CheckSpec> = {};
  const records: RecordSpec[] = [];

  for (const [id, r] of Object.entries(edge.Resources ?? {})) {
    if (r.Type !== 'AWS::Route53::HealthCheck') continue;
    const c = r.Properties?.HealthCheckConfig ?? {};
    const inverted = c.Inverted === true;
    const tagValue = (r.Properties?.HealthCheckTags ?? []).find(
      (t: Cfn) => t.Key === Names.HEALTH_CHECK_TAG,
    )?.Value;
    const allTags = Object.fromEntries(
      (r.Properties?.HealthCheckTags ?? [])
        .filter((t: Cfn) => typeof t.Key === 'string' && typeof t.Value === 'string')
        .map((t: Cfn) => [t.Key, t.Value]),
    );
    const tag = typeof tagValue === 'string' ? { tag: tagValue, tags: allTags } : { tags: allTags };
    if (c.Type === 'CALCULATED') {
      const children = (c.ChildHealthChecks ?? []).map(refId);
      if (children.some((x: string | undefined) => x === undefined))
        issues.push(`${id}: a child health check is not a reference to a check of the edge stack`);
      checks[id] = {
        kind: 'calculated',
        id,
        ...tag,
        children: children.filter(Boolean),
        threshold: c.HealthThreshold ?? children.length,
        inverted,
      };
    } else if (c.Type === 'CLOUDWATCH_METRIC') {
      checks[id] = {
        kind: 'metric',
        id,
        ...tag,
        alarmRegion: c.AlarmIdentifier?.Region,
        alarmName: c.AlarmIdentifier?.Name,
        insufficientData: c.InsufficientDataHealthStatus ?? 'LastKnownStatus',
        inverted,
      };
    } else if (['HTTP', 'HTTPS', 'HTTP_STR_MATCH', 'HTTPS_STR_MATCH', 'TCP'].includes(c.Type)) {
      if (typeof c.FullyQualifiedDomainName !== 'string') {
        issues.push(`${id}: endpoint check without a literal FullyQualifiedDomainName`);
        continue;
      }
      const https = String(c.Type).startsWith('HTTPS');
      checks[id] = {
        kind: 'endpoint',
        id,
        ...tag,
        type: c.Type,
        fqdn: fqdn(c.FullyQualifiedDomainName),
        port: c.Port ?? (https ? 443 : 80),
        path: c.ResourcePath ?? '/',
        ...(c.SearchString !== undefined && { searchString: c.SearchString }),
        // Route 53's defaults when the template leaves them out (HealthCheckConfig API reference).
        intervalSeconds: c.RequestInterval ?? 30,
        failureThreshold: c.FailureThreshold ?? 3,
        checkerRegions: c.Regions ?? [],
        inverted,
      };
    } else {
      issues.push(`${id}: health check type ${String(c.Type)} is not supported by the local evaluator`);
    }
  }

  const readRecord = (id: string, p: Cfn, stackRegion?: string) => {
    if (!p.AliasTarget) {
      issues.push(`${id}: ${p.Name} is not an alias record (the local resolver follows aliases only)`);
      return;
    }
    const dns = p.AliasTarget.DNSName;
    let alias: AliasTarget;
    if (typeof dns === 'string') alias = { kind: 'name', name: fqdn(dns) };
    else if (JSON.stringify(dns).includes('Distribution')) alias = { kind: 'cloudfront' };
    else if (stackRegion && JSON.stringify(dns).includes('DNSName'))
      alias = { kind: 'alb', region: stackRegion };
    else {
      issues.push(`${id}: alias target ${JSON.stringify(dns)} is not understood`);
      return;
    }
    records.push({
      id,
      name: fqdn(p.Name),
      ...(p.Failover && { failover: p.Failover }),
      ...(p.HealthCheckId && { healthCheckId: refId(p.HealthCheckId) }),
      alias,
      evaluateTargetHealth: p.AliasTarget.EvaluateTargetHealth === true,
    });
  };
  for (const [id, r] of Object.entries(edge.Resources ?? {}))
    if (r.Type === 'AWS::Route53::RecordSet') readRecord(id, r.Properties ?? {});

  const targetGroups: Record<string, TargetGroupSpec> = {};
  const canaryAlarms: CanaryAlarmSpec[] = [];
  const pagingAlarms: PagingAlarmSpec[] = [];
  const canaryConfigs: Record<string, unknown> = {};
  const alarmsByKey: Record<string, MetricAlarmSpec> = {};
  const switchPublishers: Record<string, SwitchPublisherSpec> = {};
  for (const [region, t] of [...Object.entries(regional), [edgeRegion, edge] as const]) {
    for (const r of Object.values(t.Resources ?? {})) {
      const p = r.Properties ?? {};
      if (r.Type === 'AWS::CloudWatch::Alarm' && typeof p.AlarmName === 'string' && p.Namespace) {
        alarmsByKey[alarmKey(region, p.AlarmName)] = {
          region,
          name: p.AlarmName,
          namespace: p.Namespace,
          metricName: p.MetricName,
          dimensions: Object.fromEntries((p.Dimensions ?? []).map((d: Cfn) => [d.Name, d.Value])),
          statistic: p.Statistic,
          periodSeconds: p.Period,
          evaluationPeriods: p.EvaluationPeriods,
          datapointsToAlarm: p.DatapointsToAlarm ?? p.EvaluationPeriods,
          threshold: p.Threshold,
          comparison: p.ComparisonOperator,
          // CloudWatch's default when TreatMissingData is omitted (PutMetricAlarm API reference).
          treatMissingData: p.TreatMissingData ?? 'missing',
        };
      }
      const env = p.Environment?.Variables ?? {};
      // Every vantage point's canary, the edge region's included (#12 defect 8).
      if (r.Type === 'AWS::Lambda::Function' && typeof env.CANARY_CONFIG === 'string')
        canaryConfigs[region] = JSON.parse(env.CANARY_CONFIG);
      if (r.Type === 'AWS::Lambda::Function' && typeof env.SWITCH_TARGETS === 'string') {
        switchPublishers[region] = {
          region,
          namespace: env.SWITCH_NAMESPACE,
          metricName: env.SWITCH_METRIC,
          targets: env.SWITCH_TARGETS.split(',').filter(Boolean),
        };
      }
    }
  }
  const metricAlarms: Record<string, MetricAlarmSpec> = {};
  for (const c of Object.values(checks)) {
    if (c.kind !== 'metric') continue;
    const a = alarmsByKey[alarmKey(c.alarmRegion, c.alarmName)];
    if (!a) {
      issues.push(`${c.id}: alarm ${c.alarmName} in ${c.alarmRegion} is not in the synthesized templates`);
      continue;
    }
    if (!['Maximum', 'Minimum', 'Sum', 'Average'].includes(a.statistic) || a.treatMissingData === 'ignore')
      issues.push(
        `${c.id}: alarm ${a.name} (${a.statistic}, missing data ${a.treatMissingData}) is not supported by the local evaluator`,
      );
    metricAlarms[alarmKey(a.region, a.name)] = a;
  }

  for (const [region, t] of Object.entries(regional)) {
    const resources = t.Resources ?? {};
    for (const [id, r] of Object.entries(resources)) {
      const p = r.Properties ?? {};
      if (r.Type === 'AWS::Route53::RecordSet') readRecord(id, p, region);
      if (r.Type === 'AWS::ElasticLoadBalancingV2::TargetGroup' && p.HealthCheckPath) {
        targetGroups[region] = {
          region,
          path: p.HealthCheckPath,
          // Elastic Load Balancing defaults for an instance target group over HTTP.
          intervalSeconds: p.HealthCheckIntervalSeconds ?? 30,
          healthyThreshold: p.HealthyThresholdCount ?? 5,
          unhealthyThreshold: p.UnhealthyThresholdCount ?? 2,
          timeoutSeconds: p.HealthCheckTimeoutSeconds ?? 5,
          matcher: String(p.Matcher?.HttpCode ?? '200')
            .split(',')
            .map((x: string) => Number(x.trim())),
        };
      }
      if (r.Type === 'AWS::CloudWatch::Alarm' && p.MetricName === 'TargetFailed') {
        const dims = Object.fromEntries((p.Dimensions ?? []).map((d: Cfn) => [d.Name, d.Value]));
        canaryAlarms.push({
          logicalId: id,
          stackRegion: region,
          name: p.AlarmName,
          target: dims.Target,
          vantage: dims.Vantage,
          periodSeconds: p.Period,
          evaluationPeriods: p.EvaluationPeriods,
          datapointsToAlarm: p.DatapointsToAlarm ?? p.EvaluationPeriods,
          threshold: p.Threshold,
        });
      }
      if (r.Type === 'AWS::CloudWatch::CompositeAlarm' && (p.AlarmActions ?? []).length > 0) {
        // The rule with each child's Fn::GetAtt Arn replaced by the child's alarm name.
        const raw = p.AlarmRule;
        const parts: unknown[] =
          typeof raw === 'string' ? [raw] : Array.isArray(raw?.['Fn::Join']?.[1]) ? raw['Fn::Join'][1] : [];
        const text = parts
          .map((x) => (typeof x === 'string' ? x : (resources[refId(x) ?? '']?.Properties?.AlarmName ?? '?')))
          .join('');
        try {
          pagingAlarms.push({ stackRegion: region, name: p.AlarmName, anyOf: ruleToGroups(text) });
        } catch (e) {
          issues.push(`${id}: composite alarm rule not understood: ${(e as Error).message}`);
        }
      }
    }
  }

  for (const c of Object.values(checks)) {
    if (c.kind === 'calculated')
      for (const child of c.children)
        if (!checks[child]) issues.push(`${c.id}: child ${child} is not a health check of the edge stack`);
  }
  for (const r of records) {
    if (r.healthCheckId && !checks[r.healthCheckId])
      issues.push(`${r.id}: health check ${r.healthCheckId} is not in the edge stack`);
  }
  if (issues.length) throw new ModelError(issues);
  // A missing object in a private bucket behind OAC answers 403 (or 404 with s3:ListBucket): the
  // distribution turns both into its outage page, so the drill's outage server must do the same.
  const outageErrorResponses: OutageErrorResponse[] = [];
  for (const r of Object.values(edge.Resources ?? {})) {
    if (r.Type !== 'AWS::CloudFront::Distribution') continue;
    for (const e of (r.Properties?.DistributionConfig?.CustomErrorResponses ?? []) as Cfn[])
      if (e.ResponsePagePath)
        outageErrorResponses.push({
          errorCode: Number(e.ErrorCode),
          responseCode: Number(e.ResponseCode ?? e.ErrorCode),
          pagePath: String(e.ResponsePagePath),
        });
  }

  return {
    checks,
    records,
    targetGroups,
    canaryConfigs,
    canaryAlarms,
    pagingAlarms,
    metricAlarms,
    switchPublishers,
    outageErrorResponses,
  };
}

/** The failover chain behind `name`, in order: the PRIMARY of each link, then the last SECONDARY. */
export function chainOrder(model: DrillModel, name: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  let current: string | undefined = fqdn(name);
  while (current && !seen.has(current)) {
    seen.add(current);
    const group: RecordSpec[] = model.records.filter((r) => r.name === current);
    const primary = group.find((r) => r.failover === 'PRIMARY');
    const secondary = group.find((r) => r.failover === 'SECONDARY');
    const single = group.find((r) => !r.failover);
    if (primary) out.push(describe(primary.alias));
    const next: RecordSpec | undefined = secondary ?? (primary ? undefined : single);
    if (!next) break;
    if (next.alias.kind === 'name' && model.records.some((r) => r.name === (next.alias as Cfn).name)) {
      current = next.alias.name;
      if (!model.records.some((r) => r.name === current && r.failover)) {
        out.push(current);
        break;
      }
    } else {
      out.push(describe(next.alias));
      break;
    }
  }
  return out;
}

function describe(a: AliasTarget): string {
  return a.kind === 'name' ? a.name : a.kind === 'alb' ? `alb:${a.region}` : 'cloudfront';
}
