/**
 * The resilience report: what detects an outage, what switches traffic, how long that takes, what the
 * database can lose, what survives a stack deletion, who gets paged and what the standby posture
 * costs, all read from synthesized CloudFormation templates (never from the config), so that the
 * report describes exactly what would be deployed.
 *
 * Pure functions: {@link buildReport} turns templates into {@link ReportData}; {@link renderMarkdown}
 * turns that into a reviewer-friendly document. The CLI (`npm run report`) only synthesizes, reads
 * `cdk.out` and writes files.
 */
import { ALB_ALIAS_TTL_SECONDS, endpointChecks, failoverTimes } from './failover-time';

// Synthesized templates are untyped JSON; this module walks them defensively.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** One CloudFormation resource as synthesized. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Json;
  readonly DeletionPolicy?: string;
}

/** A synthesized CloudFormation template (the parts this module reads). */
export interface CfnTemplate {
  readonly Description?: string;
  readonly Resources?: Record<string, CfnResource>;
}

/** Options of {@link buildReport}. */
export interface ReportOptions {
  /**
   * Failover budget in seconds. The config's `failoverBudgetSeconds` is not in any template, so the
   * caller passes it (`--budget N`; tests pass the config's value). @default 100
   */
  readonly budgetSeconds?: number;
  /**
   * Region of each stack (from the cloud assembly manifest or the CDK stacks). When missing, the
   * region is read from the stack description ("... region ap-northeast-2: ...") and the stack with
   * Route 53 health checks is taken to be in us-east-1.
   */
  readonly stackRegions?: Readonly<Record<string, string>>;
  /** Tag key that names what each Route 53 health check watches. @default 'resilient-shop:check' */
  readonly healthCheckTagKey?: string;
}

/** Default failover budget when none is passed (the default config's value). */
export const DEFAULT_BUDGET_SECONDS = 100;

/** Assumed time for a Route 53 CLOUDWATCH_METRIC health check to follow its alarm's state. */
export const METRIC_CHECK_LAG_SECONDS = 30;

/** Hours in a billing month, as AWS price pages use. */
export const HOURS_PER_MONTH = 730;

/** Seconds in the 30-day month used for invocation counts (43,200 one-minute runs). */
const SECONDS_PER_MONTH = 30 * 24 * 3600;

// ---------------------------------------------------------------------------------------------
// Report data
// ---------------------------------------------------------------------------------------------

export interface StackInfo {
  readonly name: string;
  readonly region: string;
  readonly kind: 'regional' | 'edge';
}

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

export interface ChainStep {
  /** Link (record name) this step belongs to. */
  readonly link: string;
  readonly kind: 'region' | 'outage-page';
  /** Region served (kind region) or the CloudFront distribution (outage page). */
  readonly target: string;
  /** Alias target name. */
  readonly aliasTo: string;
  /** Health check guarding the PRIMARY, e.g. "CALCULATED: endpoint AND 1 drain switch copy". */
  readonly healthCheck?: string;
  readonly ttlSeconds: number;
}

export interface Chain {
  /** Public name customers use. */
  readonly publicName: string;
  /** When the public name is an alias of another chain head (www → apex). */
  readonly via?: string;
  readonly steps: readonly ChainStep[];
}

export interface DrainSwitchRow {
  /** Region the switch drains. */
  readonly target: string;
  /** Regions holding a copy of the switch (any one set to drained takes the target out). */
  readonly holders: readonly string[];
  readonly alarmName: string;
  readonly periodSeconds?: number;
  readonly datapointsToAlarm?: number;
  readonly publisherSeconds?: number;
  readonly insufficientData: string;
  /** shopctl publishes the metric itself: alarm + Route 53 + TTL. */
  readonly withShopctlSeconds: number;
  /** Publisher alone (parameter changed by other means): + one publisher interval. */
  readonly worstCaseSeconds: number;
}

export interface FailoverRow {
  readonly region: string;
  readonly detectionSeconds: number;
  readonly ttlSeconds: number;
  readonly worstCaseSeconds: number;
  readonly withinBudget: boolean;
}

export interface DbClusterRow {
  readonly stack: string;
  readonly region: string;
  readonly clusterId: string;
  readonly role: 'writer' | 'secondary' | 'standalone';
  readonly engine: string;
  readonly engineVersion: string;
  readonly instances: number;
  readonly minAcu?: number;
  readonly maxAcu?: number;
  readonly backupRetentionDays?: number;
  readonly deletionPolicy: string;
  readonly replicationLagAlarmMs?: number;
}

export interface BackupCopy {
  readonly region: string;
  readonly vault: string;
  readonly deleteAfterDays?: number;
}

export interface BackupPlanRow {
  readonly stack: string;
  readonly region: string;
  readonly rule: string;
  readonly schedule: string;
  readonly deleteAfterDays?: number;
  readonly continuous: boolean;
  readonly copies: readonly BackupCopy[];
}

export interface DatabaseSection {
  readonly globalClusterId?: string;
  readonly writerRegion?: string;
  readonly clusters: readonly DbClusterRow[];
  readonly engineVersions: readonly string[];
  readonly engineVersionsMatch: boolean;
  readonly vaults: ReadonlyArray<{ readonly region: string; readonly name: string }>;
  readonly backupPlans: readonly BackupPlanRow[];
  readonly recovery: ReadonlyArray<{ readonly scenario: string; readonly rpo: string; readonly rto: string }>;
}

export interface RetainedRow {
  readonly stack: string;
  readonly type: string;
  readonly policy: string;
  readonly count: number;
  readonly names: readonly string[];
}

export interface PagingRow {
  readonly stack: string;
  readonly region: string;
  readonly alarmName: string;
  readonly kind: 'metric' | 'composite';
  readonly topics: readonly string[];
  readonly subscribers: readonly string[];
  readonly onOk: boolean;
}

export interface SilentAlarmRow {
  readonly stack: string;
  readonly region: string;
  readonly alarmName: string;
  /** What consumes it instead of paging (composite alarms, Route 53 health checks). */
  readonly usedBy: readonly string[];
}

export interface TopicRow {
  readonly stack: string;
  readonly topicName: string;
  readonly subscriptions: readonly string[];
}

export interface UnitPrice {
  readonly key: string;
  readonly item: string;
  readonly unit: string;
  readonly usd: number;
}

export interface CostLine {
  readonly stack: string;
  readonly item: string;
  readonly quantity: number;
  readonly unit: string;
  readonly unitUsd: number;
  readonly monthlyUsd: number;
  readonly note?: string;
}

export interface CostSection {
  readonly prices: readonly UnitPrice[];
  readonly lines: readonly CostLine[];
  readonly perStack: ReadonlyArray<{ readonly stack: string; readonly monthlyUsd: number }>;
  /**
   * The standby posture: regional stacks that do not hold the writer, plus the edge stack (health
   * checks, failover alarms, outage page).
   */
  readonly standbyRegionsUsd: number;
  readonly standbyStacks: readonly string[];
  readonly totalUsd: number;
  readonly excluded: readonly string[];
}

export interface Verdict {
  readonly pass: boolean;
  readonly worstCaseSeconds: number;
  readonly worstRegion?: string;
  readonly budgetSeconds: number;
  readonly text: string;
}

export interface ReportData {
  readonly title: string;
  readonly stacks: readonly StackInfo[];
  readonly verdict: Verdict;
  readonly warnings: readonly string[];
  readonly detection: {
    readonly endpointChecks: readonly EndpointCheckRow[];
    readonly canaries: readonly CanaryRow[];
    readonly consensus: readonly ConsensusRow[];
  };
  readonly switching: {
    readonly chains: readonly Chain[];
    readonly drainSwitches: readonly DrainSwitchRow[];
    readonly metricCheckLagSeconds: number;
  };
  readonly failover: readonly FailoverRow[];
  readonly database: DatabaseSection;
  readonly retained: readonly RetainedRow[];
  readonly paging: {
    readonly topics: readonly TopicRow[];
    readonly paging: readonly PagingRow[];
    readonly silent: readonly SilentAlarmRow[];
  };
  readonly cost: CostSection;
}

// ---------------------------------------------------------------------------------------------
// Template helpers
// ---------------------------------------------------------------------------------------------

type Entry = [string, CfnResource];

function entries(t: CfnTemplate, type?: string): Entry[] {
  return Object.entries(t.Resources ?? {}).filter(([, r]) => type === undefined || r.Type === type);
}

/** Logical id named by `{Ref}` or `{Fn::GetAtt}`. */
function refId(v: Json): string | undefined {
  if (v && typeof v === 'object') {
    if (typeof v.Ref === 'string') return v.Ref;
    if (Array.isArray(v['Fn::GetAtt'])) return String(v['Fn::GetAtt'][0]);
  }
  return undefined;
}

/** A readable string for an intrinsic: joins are joined, references shown as `${Id}`. */
function flatten(v: Json): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map(flatten).join(',');
  if (v['Fn::Join']) {
    const [sep, parts] = v['Fn::Join'];
    return (parts as Json[]).map(flatten).join(sep);
  }
  if (typeof v.Ref === 'string') return `\${${v.Ref}}`;
  if (Array.isArray(v['Fn::GetAtt'])) return `\${${v['Fn::GetAtt'].join('.')}}`;
  return JSON.stringify(v);
}

function trimDot(name: string): string {
  return name.replace(/\.$/, '');
}

function num(v: Json): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** Seconds of an EventBridge `rate(...)` expression; undefined for cron. */
export function rateSeconds(expr: string | undefined): number | undefined {
  const m = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expr ?? '');
  if (!m) return undefined;
  const unit = m[2].startsWith('minute') ? 60 : m[2].startsWith('hour') ? 3600 : 86400;
  return Number(m[1]) * unit;
}

function tagValue(props: Json, key: string): string | undefined {
  const tags: Json[] = props?.HealthCheckTags ?? props?.Tags ?? [];
  return tags.find((t) => t.Key === key)?.Value;
}

/** Name an alarm-like resource goes by (its physical name, else its logical id). */
function alarmName(id: string, r: CfnResource): string {
  return typeof r.Properties?.AlarmName === 'string' ? r.Properties.AlarmName : id;
}

function uniqSorted<T>(xs: Iterable<T>): T[] {
  return [...new Set(xs)].sort();
}

/** Functions (logical id) triggered by a rate rule in a template, with the rule's period. */
function scheduledFunctions(t: CfnTemplate): Map<string, number | undefined> {
  const out = new Map<string, number | undefined>();
  for (const [, rule] of entries(t, 'AWS::Events::Rule')) {
    const seconds = rateSeconds(rule.Properties?.ScheduleExpression);
    for (const target of rule.Properties?.Targets ?? []) {
      const fn = refId(target.Arn);
      if (fn) out.set(fn, seconds);
    }
  }
  return out;
}

function envOf(r: CfnResource): Record<string, Json> {
  return r.Properties?.Environment?.Variables ?? {};
}

// ---------------------------------------------------------------------------------------------
// Build
// ---------------------------------------------------------------------------------------------

/**
 * Reads the templates of every stack and derives the report.
 * @param templates template JSON by stack name, in deployment order.
 */
export function buildReport(templates: Record<string, CfnTemplate>, options: ReportOptions = {}): ReportData {
  const tagKey = options.healthCheckTagKey ?? 'resilient-shop:check';
  const budgetSeconds = options.budgetSeconds ?? DEFAULT_BUDGET_SECONDS;
  const stacks = Object.keys(templates).map((name) => stackInfo(name, templates[name], options, tagKey));
  const regionOf = new Map(stacks.map((s) => [s.name, s.region]));
  const edges = stacks.filter((s) => s.kind === 'edge');
  const edge = edges[0] ? templates[edges[0].name] : { Resources: {} };
  const warnings: string[] = [];
  if (edges.length !== 1)
    warnings.push(`Expected one stack with the Route 53 failover chain, found ${edges.length}.`);

  const endpointRows = endpointCheckRows(edge, tagKey);
  const chains = failoverChains(edge, endpointRows, tagKey);
  const times = failoverTimes(endpointChecks(edge, tagKey));
  const failover: FailoverRow[] = times.map((t) => ({
    ...t,
    withinBudget: t.worstCaseSeconds <= budgetSeconds,
  }));
  if (failover.length === 0)
    warnings.push('No Route 53 endpoint health checks found: automatic failover is not set up.');

  const worst = failover.reduce<FailoverRow | undefined>(
    (w, f) => (w === undefined || f.worstCaseSeconds > w.worstCaseSeconds ? f : w),
    undefined,
  );
  const pass = worst !== undefined && worst.worstCaseSeconds <= budgetSeconds;
  const verdict: Verdict = {
    pass,
    worstCaseSeconds: worst?.worstCaseSeconds ?? Number.NaN,
    worstRegion: worst?.region,
    budgetSeconds,
    text: worst
      ? `${pass ? 'PASS' : 'FAIL'}: worst-case automatic failover is ${worst.worstCaseSeconds} s (${worst.region}: ` +
        `${worst.detectionSeconds} s detection + ${worst.ttlSeconds} s TTL) ${pass ? '≤' : '>'} the ${budgetSeconds} s budget.`
      : `FAIL: no automatic failover found (budget ${budgetSeconds} s).`,
  };

  const database = databaseSection(templates, regionOf);
  if (!database.engineVersionsMatch) {
    warnings.push(
      `ENGINE VERSION MISMATCH across the global database: ${database.clusters
        .map((c) => `${c.region} ${c.engineVersion}`)
        .join(', ')}. Switchover and failover need the exact same version in every region.`,
    );
  }
  if (database.clusters.length > 0 && !database.globalClusterId) {
    warnings.push('No AWS::RDS::GlobalCluster found: the database does not replicate to another region.');
  }

  const paging = pagingSection(templates, regionOf, tagKey);
  const unpaged = paging.topics.filter((t) => t.subscriptions.length === 0);
  for (const t of unpaged)
    warnings.push(`SNS topic ${t.topicName} in ${t.stack} has no subscriptions: its alarms page nobody.`);

  return {
    title: 'Resilience report',
    stacks,
    verdict,
    warnings,
    detection: {
      endpointChecks: endpointRows,
      canaries: canaryRows(templates, regionOf),
      consensus: consensusRows(templates, regionOf),
    },
    switching: {
      chains,
      drainSwitches: drainSwitchRows(templates, edge, tagKey),
      metricCheckLagSeconds: METRIC_CHECK_LAG_SECONDS,
    },
    failover,
    database,
    retained: retainedRows(templates),
    paging,
    cost: costSection(templates, stacks, database),
  };
}

function stackInfo(name: string, t: CfnTemplate, options: ReportOptions, tagKey: string): StackInfo {
  const hasChain = entries(t, 'AWS::Route53::HealthCheck').some(([, r]) =>
    (tagValue(r.Properties, tagKey) ?? '').startsWith('endpoint:'),
  );
  const fromDescription = /\bregion ([a-z]{2}(?:-[a-z]+)+-\d)\b/.exec(t.Description ?? '')?.[1];
  const region = options.stackRegions?.[name] ?? fromDescription ?? (hasChain ? 'us-east-1' : 'unknown');
  return { name, region, kind: hasChain ? 'edge' : 'regional' };
}

function endpointCheckRows(edge: CfnTemplate, tagKey: string): EndpointCheckRow[] {
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

function describeCheck(edge: CfnTemplate, id: string | undefined, tagKey: string): string {
  const r = id ? edge.Resources?.[id] : undefined;
  if (!r) return 'none';
  const c = r.Properties?.HealthCheckConfig ?? {};
  if (c.Type !== 'CALCULATED') return `${c.Type} (${tagValue(r.Properties, tagKey) ?? id})`;
  const children: string[] = (c.ChildHealthChecks ?? []).map((ch: Json) => {
    const child = edge.Resources?.[refId(ch) ?? ''];
    const tag = tagValue(child?.Properties, tagKey) ?? refId(ch) ?? '?';
    return tag;
  });
  const endpoints = children.filter((x) => x.startsWith('endpoint:')).length;
  const switches = children.filter((x) => x.startsWith('switch:')).length;
  const need = num(c.HealthThreshold) ?? children.length;
  const rule = need >= children.length ? 'AND' : `${need} of ${children.length}`;
  return `CALCULATED ${rule}: ${endpoints} endpoint check + ${switches} drain switch cop${switches === 1 ? 'y' : 'ies'}`;
}

function failoverChains(edge: CfnTemplate, checks: EndpointCheckRow[], tagKey: string): Chain[] {
  const regionByFqdn = new Map(checks.map((c) => [c.fqdn, c.region]));
  const records = entries(edge, 'AWS::Route53::RecordSet').map(([id, r]) => ({ id, p: r.Properties ?? {} }));
  const failover = records.filter((r) => r.p.Failover);
  const links = new Map<string, { primary?: Json; secondary?: Json }>();
  for (const r of failover) {
    const name = trimDot(String(r.p.Name));
    const link = links.get(name) ?? {};
    if (r.p.Failover === 'PRIMARY') link.primary = r.p;
    else link.secondary = r.p;
    links.set(name, link);
  }
  const aliasName = (p: Json) =>
    typeof p?.AliasTarget?.DNSName === 'string' ? trimDot(p.AliasTarget.DNSName) : undefined;
  const referenced = new Set(failover.map((r) => aliasName(r.p)).filter((x): x is string => !!x));
  const heads = [...links.keys()].filter((n) => !referenced.has(n));

  const walk = (head: string): ChainStep[] => {
    const steps: ChainStep[] = [];
    const seen = new Set<string>();
    let name: string | undefined = head;
    while (name && links.has(name) && !seen.has(name)) {
      seen.add(name);
      const { primary, secondary } = links.get(name)!;
      if (primary) {
        const to = aliasName(primary) ?? flatten(primary.AliasTarget?.DNSName);
        steps.push({
          link: name,
          kind: 'region',
          target: regionByFqdn.get(to) ?? to,
          aliasTo: to,
          healthCheck: describeCheck(edge, refId(primary.HealthCheckId), tagKey),
          ttlSeconds: ALB_ALIAS_TTL_SECONDS,
        });
      }
      const next = aliasName(secondary);
      if (next && links.has(next)) {
        name = next;
      } else {
        if (secondary) {
          const distribution = refId(secondary.AliasTarget?.DNSName);
          const dist = distribution ? edge.Resources?.[distribution] : undefined;
          steps.push({
            link: name,
            kind: 'outage-page',
            target:
              dist?.Type === 'AWS::CloudFront::Distribution'
                ? `CloudFront ${distribution}`
                : flatten(secondary.AliasTarget?.DNSName),
            aliasTo: flatten(secondary.AliasTarget?.DNSName),
            ttlSeconds: ALB_ALIAS_TTL_SECONDS,
          });
        }
        name = undefined;
      }
    }
    return steps;
  };

  const chains: Chain[] = [];
  for (const head of heads.sort()) {
    const steps = walk(head);
    chains.push({ publicName: head, steps });
    for (const r of records.filter((x) => !x.p.Failover && aliasName(x.p) === head)) {
      chains.push({ publicName: trimDot(String(r.p.Name)), via: head, steps });
    }
  }
  return chains;
}

function canaryRows(templates: Record<string, CfnTemplate>, regionOf: Map<string, string>): CanaryRow[] {
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

/** Alarms (logical ids) named in a composite rule, and the fewest that must be in ALARM together. */
function parseRule(rule: Json): { children: string[]; minTogether: number } {
  const text = flatten(rule);
  const children = uniqSorted([...text.matchAll(/ALARM\("\$\{([A-Za-z0-9]+)\.Arn\}"\)/g)].map((m) => m[1]));
  const clauses = text.split(/\)\s+OR\s+\(/);
  const sizes = clauses.map((c) => (c.match(/ALARM\(/g) ?? []).length).filter((x) => x > 0);
  return { children, minTogether: sizes.length ? Math.min(...sizes) : 0 };
}

function topicNames(t: CfnTemplate, actions: Json[] | undefined): string[] {
  return (actions ?? []).map((a) => {
    const id = refId(a);
    const topic = id ? t.Resources?.[id] : undefined;
    return topic?.Type === 'AWS::SNS::Topic' ? String(topic.Properties?.TopicName ?? id) : flatten(a);
  });
}

function consensusRows(
  templates: Record<string, CfnTemplate>,
  regionOf: Map<string, string>,
): ConsensusRow[] {
  const rows: ConsensusRow[] = [];
  for (const [stack, t] of Object.entries(templates)) {
    for (const [id, r] of entries(t, 'AWS::CloudWatch::CompositeAlarm')) {
      const { children, minTogether } = parseRule(r.Properties?.AlarmRule);
      const dims = children.map((c) => {
        const d: Json[] = t.Resources?.[c]?.Properties?.Dimensions ?? [];
        return Object.fromEntries(d.map((x) => [x.Name, flatten(x.Value)]));
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

function drainSwitchRows(
  templates: Record<string, CfnTemplate>,
  edge: CfnTemplate,
  tagKey: string,
): DrainSwitchRow[] {
  const byTarget = new Map<string, Array<{ holder: string; alarm: string; insufficient: string }>>();
  for (const [, r] of entries(edge, 'AWS::Route53::HealthCheck')) {
    const c = r.Properties?.HealthCheckConfig ?? {};
    if (c.Type !== 'CLOUDWATCH_METRIC') continue;
    const tag = tagValue(r.Properties, tagKey) ?? '';
    const target = /^switch:([^@]+)@/.exec(tag)?.[1] ?? String(c.AlarmIdentifier?.Name);
    const list = byTarget.get(target) ?? [];
    list.push({
      holder: String(c.AlarmIdentifier?.Region),
      alarm: String(c.AlarmIdentifier?.Name),
      insufficient: String(c.InsufficientDataHealthStatus ?? 'LastKnownStatus'),
    });
    byTarget.set(target, list);
  }
  // Find the alarm (by name) and the publisher that feeds its metric in the holder stacks.
  const alarmsByName = new Map<string, { p: Json; publisherSeconds?: number }>();
  for (const t of Object.values(templates)) {
    const scheduled = scheduledFunctions(t);
    for (const [id, r] of entries(t, 'AWS::CloudWatch::Alarm')) {
      const ns = r.Properties?.Namespace;
      const publisher = entries(t, 'AWS::Lambda::Function').find(
        ([, f]) => ns && envOf(f).SWITCH_NAMESPACE === ns,
      );
      alarmsByName.set(alarmName(id, r), {
        p: r.Properties,
        publisherSeconds: publisher ? scheduled.get(publisher[0]) : undefined,
      });
    }
  }
  return [...byTarget.entries()].map(([target, copies]) => {
    const found = copies.map((c) => alarmsByName.get(c.alarm)).find((x) => x !== undefined);
    const period = num(found?.p.Period);
    const datapoints = num(found?.p.DatapointsToAlarm) ?? num(found?.p.EvaluationPeriods);
    const alarmSeconds = (period ?? 60) * (datapoints ?? 1);
    const withShopctl = alarmSeconds + METRIC_CHECK_LAG_SECONDS + ALB_ALIAS_TTL_SECONDS;
    return {
      target,
      holders: uniqSorted(copies.map((c) => c.holder)),
      alarmName: uniqSorted(copies.map((c) => c.alarm)).join(', '),
      periodSeconds: period,
      datapointsToAlarm: datapoints,
      publisherSeconds: found?.publisherSeconds,
      insufficientData: uniqSorted(copies.map((c) => c.insufficient)).join(', '),
      withShopctlSeconds: withShopctl,
      worstCaseSeconds: withShopctl + (found?.publisherSeconds ?? 60),
    };
  });
}

function databaseSection(
  templates: Record<string, CfnTemplate>,
  regionOf: Map<string, string>,
): DatabaseSection {
  let globalClusterId: string | undefined;
  let writerCluster: { stack: string; id: string } | undefined;
  for (const [stack, t] of Object.entries(templates)) {
    for (const [, r] of entries(t, 'AWS::RDS::GlobalCluster')) {
      globalClusterId = String(r.Properties?.GlobalClusterIdentifier ?? globalClusterId);
      const src = refId(r.Properties?.SourceDBClusterIdentifier);
      if (src) writerCluster = { stack, id: src };
    }
  }
  const clusters: DbClusterRow[] = [];
  const vaults: Array<{ region: string; name: string }> = [];
  const plans: BackupPlanRow[] = [];
  for (const [stack, t] of Object.entries(templates)) {
    const region = regionOf.get(stack) ?? 'unknown';
    const lag = entries(t, 'AWS::CloudWatch::Alarm').find(
      ([, r]) =>
        r.Properties?.MetricName === 'AuroraGlobalDBReplicationLag' &&
        r.Properties?.Statistic !== 'SampleCount',
    );
    for (const [id, r] of entries(t, 'AWS::RDS::DBCluster')) {
      const p = r.Properties ?? {};
      const isWriter = writerCluster?.stack === stack && writerCluster.id === id;
      const instances = entries(t, 'AWS::RDS::DBInstance').filter(
        ([, i]) => refId(i.Properties?.DBClusterIdentifier) === id,
      );
      clusters.push({
        stack,
        region,
        clusterId: String(p.DBClusterIdentifier ?? id),
        role: isWriter ? 'writer' : p.GlobalClusterIdentifier ? 'secondary' : 'standalone',
        engine: String(p.Engine ?? '?'),
        engineVersion: String(p.EngineVersion ?? '(engine default)'),
        instances: instances.length,
        minAcu: num(p.ServerlessV2ScalingConfiguration?.MinCapacity),
        maxAcu: num(p.ServerlessV2ScalingConfiguration?.MaxCapacity),
        backupRetentionDays: num(p.BackupRetentionPeriod),
        deletionPolicy: r.DeletionPolicy ?? 'Delete',
        replicationLagAlarmMs: lag ? num(lag[1].Properties?.Threshold) : undefined,
      });
      if (p.GlobalClusterIdentifier && !globalClusterId) globalClusterId = String(p.GlobalClusterIdentifier);
    }
    for (const [, r] of entries(t, 'AWS::Backup::BackupVault')) {
      vaults.push({ region, name: String(r.Properties?.BackupVaultName) });
    }
    for (const [, r] of entries(t, 'AWS::Backup::BackupPlan')) {
      for (const rule of r.Properties?.BackupPlan?.BackupPlanRule ?? []) {
        plans.push({
          stack,
          region,
          rule: String(rule.RuleName),
          schedule: String(rule.ScheduleExpression ?? '(none)'),
          deleteAfterDays: num(rule.Lifecycle?.DeleteAfterDays),
          continuous: rule.EnableContinuousBackup === true,
          copies: (rule.CopyActions ?? []).map((c: Json) => {
            const arn = flatten(c.DestinationBackupVaultArn);
            const m = /:backup:([a-z0-9-]+):[^:]*:backup-vault:(.+)$/.exec(arn);
            return {
              region: m?.[1] ?? '?',
              vault: m?.[2] ?? arn,
              deleteAfterDays: num(c.Lifecycle?.DeleteAfterDays),
            };
          }),
        });
      }
    }
  }
  const versions = uniqSorted(clusters.map((c) => c.engineVersion));
  const lagMs = clusters.map((c) => c.replicationLagAlarmMs).find((x) => x !== undefined);
  const pitr = clusters.map((c) => c.backupRetentionDays).find((x) => x !== undefined);
  return {
    globalClusterId,
    writerRegion: clusters.find((c) => c.role === 'writer')?.region,
    clusters,
    engineVersions: versions,
    engineVersionsMatch: versions.length <= 1,
    vaults,
    backupPlans: plans,
    recovery: [
      {
        scenario: 'Planned switchover (both regions healthy; `shopctl switchover`)',
        rpo: '0 (Aurora waits for the secondary to catch up before switching)',
        rto: 'minutes (typically 1–2 min for the writer to move, plus DNS and the shop reconnecting)',
      },
      {
        scenario: 'Unplanned failover (writer region lost; `shopctl failover`)',
        rpo: `≈ replication lag at the moment of loss: typically < 1 s${lagMs !== undefined ? `; paged when above ${lagMs} ms for 5 min` : ''}`,
        rto: 'time to decide and run `shopctl failover` plus ~1–2 min for Aurora to promote: minutes, human-driven',
      },
      {
        scenario: 'Bad write / corruption (replicates everywhere in < 1 s)',
        rpo: `point in time within the ${pitr ?? '?'}-day backup retention (to the second), or the last daily AWS Backup point`,
        rto: 'restore to a new cluster (tens of minutes to hours, size-dependent), then repoint',
      },
    ],
  };
}

const NAME_PROPS = [
  'DBClusterIdentifier',
  'GlobalClusterIdentifier',
  'BucketName',
  'LogGroupName',
  'BackupVaultName',
  'Name',
  'DBSubnetGroupName',
  'TopicName',
];

function retainedRows(templates: Record<string, CfnTemplate>): RetainedRow[] {
  const rows: RetainedRow[] = [];
  for (const [stack, t] of Object.entries(templates)) {
    const groups = new Map<string, { type: string; policy: string; names: string[] }>();
    const aliases = new Map(
      entries(t, 'AWS::KMS::Alias').map(([, a]) => [
        refId(a.Properties?.TargetKeyId) ?? '',
        String(a.Properties?.AliasName),
      ]),
    );
    for (const [id, r] of entries(t)) {
      const policy = r.DeletionPolicy;
      if (policy !== 'Retain' && policy !== 'Snapshot' && policy !== 'RetainExceptOnCreate') continue;
      const key = `${r.Type}|${policy}`;
      const g = groups.get(key) ?? { type: r.Type, policy, names: [] };
      const prop = NAME_PROPS.find((k) => typeof r.Properties?.[k] === 'string');
      g.names.push(prop ? String(r.Properties[prop]) : (aliases.get(id) ?? id));
      groups.set(key, g);
    }
    for (const g of [...groups.values()].sort((a, b) =>
      (a.type + a.policy).localeCompare(b.type + b.policy),
    )) {
      rows.push({ stack, type: g.type, policy: g.policy, count: g.names.length, names: g.names.sort() });
    }
  }
  return rows;
}

function pagingSection(
  templates: Record<string, CfnTemplate>,
  regionOf: Map<string, string>,
  tagKey: string,
): ReportData['paging'] {
  const topics: TopicRow[] = [];
  const paging: PagingRow[] = [];
  const silent: SilentAlarmRow[] = [];
  // Alarms read by Route 53 health checks (by name), wherever those checks are.
  const readByRoute53 = new Map<string, string[]>();
  for (const t of Object.values(templates)) {
    for (const [id, r] of entries(t, 'AWS::Route53::HealthCheck')) {
      const a = r.Properties?.HealthCheckConfig?.AlarmIdentifier;
      if (!a?.Name) continue;
      const list = readByRoute53.get(a.Name) ?? [];
      list.push(`Route 53 check ${tagValue(r.Properties, tagKey) ?? id}`);
      readByRoute53.set(a.Name, list);
    }
  }
  for (const [stack, t] of Object.entries(templates)) {
    const region = regionOf.get(stack) ?? 'unknown';
    const subsByTopic = new Map<string, string[]>();
    for (const [, r] of entries(t, 'AWS::SNS::Subscription')) {
      const topic = refId(r.Properties?.TopicArn);
      if (!topic) continue;
      const list = subsByTopic.get(topic) ?? [];
      list.push(`${r.Properties.Protocol}:${flatten(r.Properties.Endpoint)}`);
      subsByTopic.set(topic, list);
    }
    const topicInfo = new Map<string, TopicRow>();
    for (const [id, r] of entries(t, 'AWS::SNS::Topic')) {
      const row = {
        stack,
        topicName: String(r.Properties?.TopicName ?? id),
        subscriptions: (subsByTopic.get(id) ?? []).sort(),
      };
      topicInfo.set(id, row);
      topics.push(row);
    }
    const feeds = new Map<string, string[]>();
    for (const [id, r] of entries(t, 'AWS::CloudWatch::CompositeAlarm')) {
      for (const child of parseRule(r.Properties?.AlarmRule).children) {
        const list = feeds.get(child) ?? [];
        list.push(`composite ${alarmName(id, r)}`);
        feeds.set(child, list);
      }
    }
    // Alarms whose state changes start something through EventBridge (the standby scaler, #14).
    for (const [ruleId, r] of entries(t, 'AWS::Events::Rule')) {
      for (const res of (r.Properties?.EventPattern?.resources ?? []) as Json[]) {
        const alarm = res?.['Fn::GetAtt']?.[0];
        if (typeof alarm !== 'string') continue;
        feeds.set(alarm, [...(feeds.get(alarm) ?? []), `EventBridge rule ${ruleId}`]);
      }
    }
    for (const [id, r] of [
      ...entries(t, 'AWS::CloudWatch::Alarm'),
      ...entries(t, 'AWS::CloudWatch::CompositeAlarm'),
    ]) {
      const name = alarmName(id, r);
      const actions: Json[] = r.Properties?.AlarmActions ?? [];
      if (actions.length === 0) {
        silent.push({
          stack,
          region,
          alarmName: name,
          usedBy: [...(feeds.get(id) ?? []), ...(readByRoute53.get(name) ?? [])],
        });
        continue;
      }
      const topicIds = actions.map(refId);
      paging.push({
        stack,
        region,
        alarmName: name,
        kind: r.Type === 'AWS::CloudWatch::CompositeAlarm' ? 'composite' : 'metric',
        topics: topicNames(t, actions),
        subscribers: uniqSorted(
          topicIds.flatMap((tid) => (tid ? (topicInfo.get(tid)?.subscriptions ?? []) : [])),
        ),
        onOk: (r.Properties?.OKActions ?? []).length > 0,
      });
    }
  }
  const byName = (a: { stack: string; alarmName: string }, b: { stack: string; alarmName: string }) =>
    a.stack === b.stack ? a.alarmName.localeCompare(b.alarmName) : 0;
  return { topics, paging: paging.sort(byName), silent: silent.sort(byName) };
}

// ---------------------------------------------------------------------------------------------
// Cost
// ---------------------------------------------------------------------------------------------

/**
 * Unit prices assumed (USD, public on-demand list prices, us-east-1 unless noted). Asia Pacific
 * regions usually cost 10–30 % more; the estimate is a floor for usage-driven items it leaves out.
 */
export const UNIT_PRICES: readonly UnitPrice[] = [
  { key: 'nat', item: 'NAT gateway', unit: 'gateway-hour', usd: 0.045 },
  { key: 'ipv4', item: 'Public IPv4 address (EIP, ALB node)', unit: 'address-hour', usd: 0.005 },
  { key: 'alb', item: 'Application Load Balancer (fixed part, LCUs extra)', unit: 'ALB-hour', usd: 0.0225 },
  { key: 'ec2:t4g.nano', item: 'EC2 t4g.nano on-demand', unit: 'instance-hour', usd: 0.0042 },
  { key: 'ec2:t4g.micro', item: 'EC2 t4g.micro on-demand', unit: 'instance-hour', usd: 0.0084 },
  { key: 'ec2:t4g.small', item: 'EC2 t4g.small on-demand', unit: 'instance-hour', usd: 0.0168 },
  { key: 'ec2:t4g.medium', item: 'EC2 t4g.medium on-demand', unit: 'instance-hour', usd: 0.0336 },
  { key: 'ec2:t4g.large', item: 'EC2 t4g.large on-demand', unit: 'instance-hour', usd: 0.0672 },
  { key: 'ebs', item: 'EBS gp3 storage', unit: 'GiB-month', usd: 0.08 },
  {
    key: 'acu',
    item: 'Aurora Serverless v2 capacity (upper end of $0.12–0.14)',
    unit: 'ACU-hour',
    usd: 0.14,
  },
  { key: 'secret', item: 'Secrets Manager secret or replica', unit: 'secret-month', usd: 0.4 },
  { key: 'kms', item: 'KMS customer-managed key', unit: 'key-month', usd: 1 },
  { key: 'waf-acl', item: 'WAF web ACL', unit: 'ACL-month', usd: 5 },
  { key: 'waf-rule', item: 'WAF rule (incl. AWS managed rule group)', unit: 'rule-month', usd: 1 },
  { key: 'alarm', item: 'CloudWatch standard-resolution alarm metric', unit: 'metric-month', usd: 0.1 },
  { key: 'alarm-hr', item: 'CloudWatch high-resolution alarm metric', unit: 'metric-month', usd: 0.3 },
  { key: 'composite', item: 'CloudWatch composite alarm', unit: 'alarm-month', usd: 0.5 },
  {
    key: 'dashboard',
    item: 'CloudWatch dashboard (first 3 per account free)',
    unit: 'dashboard-month',
    usd: 3,
  },
  { key: 'metric', item: 'CloudWatch custom metric', unit: 'metric-month', usd: 0.3 },
  { key: 'lambda-req', item: 'Lambda requests', unit: 'million requests', usd: 0.2 },
  { key: 'lambda-arm', item: 'Lambda compute, arm64', unit: 'GB-second', usd: 0.0000133334 },
  { key: 'lambda-x86', item: 'Lambda compute, x86_64', unit: 'GB-second', usd: 0.0000166667 },
  {
    key: 'hc-basic',
    item: 'Route 53 health check, AWS endpoint (basic; also CALCULATED and alarm-based)',
    unit: 'check-month',
    usd: 0.5,
  },
  {
    key: 'hc-option',
    item: 'Route 53 health check option (HTTPS, string match, fast interval, latency), AWS endpoint',
    unit: 'option-month',
    usd: 1,
  },
];

const PRICE = new Map(UNIT_PRICES.map((p) => [p.key, p]));

function costSection(
  templates: Record<string, CfnTemplate>,
  stacks: StackInfo[],
  db: DatabaseSection,
): CostSection {
  const lines: CostLine[] = [];
  const add = (stack: string, key: string, item: string, quantity: number, note?: string) => {
    const price = PRICE.get(key);
    if (!price || quantity <= 0) return;
    const monthly = Math.round(quantity * price.usd * 100) / 100;
    lines.push({
      stack,
      item,
      quantity: Math.round(quantity * 1000) / 1000,
      unit: price.unit,
      unitUsd: price.usd,
      monthlyUsd: monthly,
      note,
    });
  };
  for (const s of stacks) {
    const t = templates[s.name];
    const count = (type: string) => entries(t, type).length;
    add(
      s.name,
      'nat',
      `NAT gateways (${count('AWS::EC2::NatGateway')})`,
      count('AWS::EC2::NatGateway') * HOURS_PER_MONTH,
      'plus $0.045/GB processed',
    );

    const albs = entries(t, 'AWS::ElasticLoadBalancingV2::LoadBalancer').filter(
      ([, r]) => r.Properties?.Type !== 'network',
    );
    const albIps = albs
      .filter(([, r]) => r.Properties?.Scheme !== 'internal')
      .reduce(
        (n, [, r]) => n + (r.Properties?.Subnets?.length ?? r.Properties?.SubnetMappings?.length ?? 2),
        0,
      );
    const ips = count('AWS::EC2::EIP') + albIps;
    add(
      s.name,
      'ipv4',
      `Public IPv4 addresses (${count('AWS::EC2::EIP')} EIP + ${albIps} ALB nodes)`,
      ips * HOURS_PER_MONTH,
    );
    add(
      s.name,
      'alb',
      `Application Load Balancers (${albs.length})`,
      albs.length * HOURS_PER_MONTH,
      'LCUs extra (≈0 idle)',
    );

    for (const [asgId, asg] of entries(t, 'AWS::AutoScaling::AutoScalingGroup')) {
      const lt =
        t.Resources?.[refId(asg.Properties?.LaunchTemplate?.LaunchTemplateId) ?? '']?.Properties
          ?.LaunchTemplateData;
      const type = String(lt?.InstanceType ?? '?');
      const min = num(asg.Properties?.MinSize) ?? 0;
      const warm = entries(t, 'AWS::AutoScaling::WarmPool')
        .filter(([, w]) => refId(w.Properties?.AutoScalingGroupName) === asgId)
        .reduce((n, [, w]) => n + (num(w.Properties?.MinSize) ?? 0), 0);
      if (PRICE.has(`ec2:${type}`)) {
        add(s.name, `ec2:${type}`, `EC2 ${type} × ${min} (ASG minimum)`, min * HOURS_PER_MONTH);
      } else {
        lines.push({
          stack: s.name,
          item: `EC2 ${type} × ${min} (ASG minimum)`,
          quantity: min,
          unit: 'instance',
          unitUsd: 0,
          monthlyUsd: 0,
          note: 'instance type not in the price table: not priced',
        });
      }
      const gib = (lt?.BlockDeviceMappings ?? []).reduce(
        (n: number, b: Json) => n + (num(b.Ebs?.VolumeSize) ?? 0),
        0,
      );
      add(
        s.name,
        'ebs',
        `EBS root volumes (${min} running + ${warm} stopped warm pool × ${gib} GiB)`,
        (min + warm) * gib,
      );
    }

    const serverless = entries(t, 'AWS::RDS::DBInstance').filter(
      ([, r]) => r.Properties?.DBInstanceClass === 'db.serverless',
    );
    for (const c of db.clusters.filter((x) => x.stack === s.name)) {
      const inCluster = serverless.filter(([, r]) => {
        const cid = refId(r.Properties?.DBClusterIdentifier);
        return (
          cid !== undefined &&
          String(t.Resources?.[cid]?.Properties?.DBClusterIdentifier ?? cid) === c.clusterId
        );
      }).length;
      if (c.minAcu !== undefined && inCluster > 0) {
        add(
          s.name,
          'acu',
          `Aurora Serverless v2, ${inCluster} instances × ${c.minAcu} ACU minimum (${c.role})`,
          inCluster * c.minAcu * HOURS_PER_MONTH,
          'floor: real load scales up; storage and I/O extra',
        );
      }
    }

    const secrets = entries(t, 'AWS::SecretsManager::Secret').reduce(
      (n, [, r]) => n + 1 + (r.Properties?.ReplicaRegions?.length ?? 0),
      0,
    );
    add(s.name, 'secret', `Secrets Manager secrets incl. replicas (${secrets})`, secrets);
    add(s.name, 'kms', `KMS keys (${count('AWS::KMS::Key')})`, count('AWS::KMS::Key'));

    const acls = entries(t, 'AWS::WAFv2::WebACL');
    const rules = acls.reduce((n, [, r]) => n + (r.Properties?.Rules?.length ?? 0), 0);
    add(s.name, 'waf-acl', `WAF web ACLs (${acls.length})`, acls.length, 'plus $0.60 per million requests');
    add(s.name, 'waf-rule', `WAF rules (${rules})`, rules);

    let standard = 0;
    let highRes = 0;
    const customMetrics = new Set<string>();
    for (const [, r] of entries(t, 'AWS::CloudWatch::Alarm')) {
      const p = r.Properties ?? {};
      const metrics = p.Metrics ? (p.Metrics as Json[]).filter((m) => m.MetricStat) : [p];
      for (const m of metrics) {
        const stat = m.MetricStat;
        const period = num(stat ? stat.Period : p.Period) ?? 60;
        if (period < 60) highRes++;
        else standard++;
        const ns = stat ? stat.Metric?.Namespace : p.Namespace;
        if (typeof ns === 'string' && !ns.startsWith('AWS/')) {
          const dims = stat ? stat.Metric?.Dimensions : p.Dimensions;
          customMetrics.add(`${ns}|${stat ? stat.Metric?.MetricName : p.MetricName}|${flatten(dims)}`);
        }
      }
    }
    add(s.name, 'alarm', `Alarm metrics, standard resolution (${standard})`, standard);
    add(s.name, 'alarm-hr', `Alarm metrics, high resolution (${highRes})`, highRes);
    add(
      s.name,
      'composite',
      `Composite alarms (${count('AWS::CloudWatch::CompositeAlarm')})`,
      count('AWS::CloudWatch::CompositeAlarm'),
    );
    add(
      s.name,
      'dashboard',
      `Dashboards (${count('AWS::CloudWatch::Dashboard')})`,
      count('AWS::CloudWatch::Dashboard'),
    );
    add(
      s.name,
      'metric',
      `Custom metrics read by alarms (${customMetrics.size}; lower bound)`,
      customMetrics.size,
    );

    const scheduled = scheduledFunctions(t);
    for (const [fnId, fn] of entries(t, 'AWS::Lambda::Function')) {
      const rate = scheduled.get(fnId);
      if (!rate) continue;
      const invocations = Math.round(SECONDS_PER_MONTH / rate);
      const label = fnId.replace(/[0-9A-F]{8}$/, '');
      add(
        s.name,
        'lambda-req',
        `Lambda "${label}": ${invocations.toLocaleString('en-US')} runs`,
        invocations / 1e6,
      );
      const arm = (fn.Properties?.Architectures ?? []).includes('arm64');
      const gbSeconds =
        invocations * (num(fn.Properties?.Timeout) ?? 3) * ((num(fn.Properties?.MemorySize) ?? 128) / 1024);
      add(
        s.name,
        arm ? 'lambda-arm' : 'lambda-x86',
        `Lambda "${label}" compute at full timeout (upper bound)`,
        gbSeconds,
      );
    }

    const checksByType = new Map<string, { count: number; options: number }>();
    for (const [, r] of entries(t, 'AWS::Route53::HealthCheck')) {
      const c = r.Properties?.HealthCheckConfig ?? {};
      const type = String(c.Type);
      const options = [
        type.startsWith('HTTPS'),
        type.endsWith('STR_MATCH'),
        num(c.RequestInterval) === 10,
        c.MeasureLatency === true,
      ].filter(Boolean).length;
      const g = checksByType.get(type) ?? { count: 0, options: 0 };
      checksByType.set(type, { count: g.count + 1, options: g.options + options });
    }
    for (const [type, g] of [...checksByType.entries()].sort()) {
      add(s.name, 'hc-basic', `Route 53 health checks ${type} (${g.count})`, g.count);
      add(
        s.name,
        'hc-option',
        `Options of the ${type} checks (HTTPS, string match, 10 s interval, latency)`,
        g.options,
      );
    }
  }
  const round = (x: number) => Math.round(x * 100) / 100;
  const perStack = stacks.map((s) => ({
    stack: s.name,
    monthlyUsd: round(lines.filter((l) => l.stack === s.name).reduce((n, l) => n + l.monthlyUsd, 0)),
  }));
  const standbyStacks = new Set(
    stacks
      .filter(
        (s) =>
          s.kind === 'edge' ||
          (s.kind === 'regional' && db.writerRegion !== undefined && s.region !== db.writerRegion),
      )
      .map((s) => s.name),
  );
  return {
    prices: UNIT_PRICES.filter((p) => lines.some((l) => l.unitUsd === p.usd && l.unit === p.unit)),
    lines,
    perStack,
    standbyStacks: [...standbyStacks],
    standbyRegionsUsd: round(
      perStack.filter((p) => standbyStacks.has(p.stack)).reduce((n, p) => n + p.monthlyUsd, 0),
    ),
    totalUsd: round(perStack.reduce((n, p) => n + p.monthlyUsd, 0)),
    excluded: [
      'data transfer (inter-region replication, internet egress) and NAT gateway data processing',
      'ALB LCUs, CloudFront requests and transfer, WAF requests, Route 53 queries and the hosted zone (not in these templates)',
      'Aurora storage, I/O and replicated writes; capacity above the minimum ACUs',
      'AWS Backup storage and cross-region copies, RDS snapshots',
      'CloudWatch Logs ingestion and storage (VPC flow logs, WAF logs, Lambda logs), PutMetricData requests',
      'free tiers (Lambda, first 10 alarms, 3 dashboards): not deducted',
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Markdown
// ---------------------------------------------------------------------------------------------

function cell(v: unknown): string {
  return String(v ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\n/g, ' ');
}

function table(headers: string[], rows: unknown[][]): string {
  if (rows.length === 0) return '_(none)_\n';
  const lines = [
    `| ${headers.map(cell).join(' | ')} |`,
    `| ${headers.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ];
  return lines.join('\n') + '\n';
}

function usd(x: number): string {
  return `$${x.toFixed(2)}`;
}

function secs(x: number | undefined): string {
  return x === undefined ? '?' : `${x} s`;
}

/** Renders the report as Markdown for a reviewer. Deterministic for the same data. */
export function renderMarkdown(r: ReportData): string {
  const out: string[] = [];
  const p = (s = '') => out.push(s);
  p(`# ${r.title}`);
  p();
  p(`**Verdict: ${r.verdict.text}**`);
  p();
  for (const w of r.warnings) p(`> **⚠ ${w}**`);
  if (r.warnings.length) p();
  p(
    'This report is derived only from the synthesized CloudFormation templates (what would be deployed), not from the config. ' +
      'It covers how an outage is detected, how traffic is switched, how long that takes, what the database can lose, ' +
      'what survives a stack deletion, who is paged, and an estimate of what the standby posture costs each month.',
  );
  p();
  p(`Generated from: ${r.stacks.map((s) => `${s.name} (${s.region})`).join(', ')}.`);
  p();
  p(
    `The failover budget (${r.verdict.budgetSeconds} s) is not in the templates: it is passed with \`--budget N\` ` +
      `(default ${DEFAULT_BUDGET_SECONDS}; the config's \`failoverBudgetSeconds\`).`,
  );
  p();

  p('## Worst-case automatic failover');
  p();
  p(
    'Route 53 needs `interval × failure threshold` to declare a region unhealthy, then resolvers may hold the old answer for one TTL.',
  );
  p();
  p(
    table(
      [
        'Region',
        'Detection (interval × threshold)',
        'TTL',
        'Worst case',
        `Within ${r.verdict.budgetSeconds} s`,
      ],
      r.failover.map((f) => {
        const c = r.detection.endpointChecks.find((x) => x.region === f.region);
        return [
          f.region,
          c
            ? `${c.intervalSeconds} s × ${c.failureThreshold} = ${f.detectionSeconds} s`
            : secs(f.detectionSeconds),
          secs(f.ttlSeconds),
          `**${f.worstCaseSeconds} s**`,
          f.withinBudget ? 'yes' : '**NO**',
        ];
      }),
    ),
  );

  p('## Detection');
  p();
  p('### Route 53 endpoint health checks');
  p();
  p(
    table(
      ['Region', 'Checks', 'Interval × threshold', 'Checker regions', 'String match', 'Latency'],
      r.detection.endpointChecks.map((c) => [
        c.region,
        `${c.type} https://${c.fqdn}${c.path}`,
        `${c.intervalSeconds} s × ${c.failureThreshold} = ${c.detectionSeconds} s`,
        c.checkerRegions.join(', '),
        c.searchString ? `\`${c.searchString}\`` : '—',
        c.measureLatency ? 'measured' : '—',
      ]),
    ),
  );
  p('### Customer-journey canaries');
  p();
  p(
    'Each canary walks the public name, every region and the outage page; a per-vantage alarm trips after M failed runs out of N ' +
      '(it does not page alone).',
  );
  p();
  p(
    table(
      ['Runs in (vantage)', 'Schedule', 'M of N', 'Fastest alarm', 'Window', 'Run timeout'],
      r.detection.canaries.map((c) => [
        c.region,
        c.scheduleSeconds ? `every ${c.scheduleSeconds / 60} min` : '?',
        `${c.failuresToAlarm} of ${c.evaluationPeriods} × ${c.periodSeconds} s`,
        `${c.detectionSeconds / 60} min`,
        `${c.windowSeconds / 60} min`,
        secs(c.timeoutSeconds),
      ]),
    ),
  );
  p('### "Down from at least two vantage points" (composite alarms, these page)');
  p();
  p(
    table(
      ['Composite alarm', 'Evaluated in', 'Target', 'Vantage points', 'Rule', 'Pages'],
      r.detection.consensus.map((c) => [
        c.alarmName,
        c.region,
        c.target,
        c.vantages.join(', '),
        `≥ ${c.minVantages} of ${c.vantages.length}`,
        c.pagesTopics.join(', ') || '—',
      ]),
    ),
  );

  p('## Switching');
  p();
  p('### DNS failover chain');
  p();
  p(
    "Each link answers with its PRIMARY while that region's CALCULATED health check is healthy, else with its SECONDARY: " +
      'the next link, and after the last region the CloudFront outage page (which is never health-checked: it is the end). ' +
      `Aliases to an ALB or to CloudFront are answered with a fixed ${ALB_ALIAS_TTL_SECONDS} s TTL; nested aliases inside the zone are resolved by Route 53 itself and add none.`,
  );
  p();
  for (const c of r.switching.chains) {
    const path = c.steps
      .map((s) => (s.kind === 'region' ? s.target : 'outage page (CloudFront)'))
      .join(' → ');
    p(`- **${c.publicName}**${c.via ? ` (alias of ${c.via})` : ''}: ${path}`);
  }
  p();
  const first = r.switching.chains.find((c) => !c.via);
  if (first) {
    p(
      table(
        ['Link', 'Answer', 'Alias to', 'Guarded by', 'TTL'],
        first.steps.map((s) => [
          s.link,
          s.kind === 'region' ? `PRIMARY: ${s.target}` : 'SECONDARY: outage page',
          s.aliasTo,
          s.healthCheck ?? 'never health-checked',
          secs(s.ttlSeconds),
        ]),
      ),
    );
  }
  p('### Manual drain switch');
  p();
  p(
    'Each region\'s CALCULATED check also requires every copy of its drain switch to be "serving". A copy is a CloudWatch alarm in a holder region ' +
      'on a 1-minute metric that a scheduled publisher re-sends from an SSM parameter; Route 53 reads the alarm (CLOUDWATCH_METRIC check). ' +
      "`shopctl drain` writes the parameter in every holder **and publishes the metric immediately**, so the publisher's minute does not add up; " +
      'if only the parameter changes, the publisher applies it within one interval. A holder that reports nothing counts as healthy.',
  );
  p();
  p(
    table(
      [
        'Drains',
        'Held in',
        'Alarm',
        'Alarm evaluation',
        'Publisher',
        'No data ⇒',
        'With shopctl',
        'Worst case',
      ],
      r.switching.drainSwitches.map((d) => [
        d.target,
        d.holders.join(', '),
        d.alarmName,
        d.periodSeconds ? `${d.datapointsToAlarm ?? 1} × ${d.periodSeconds} s` : '?',
        d.publisherSeconds ? `every ${d.publisherSeconds} s` : '?',
        d.insufficientData,
        `≈ ${d.withShopctlSeconds} s`,
        `≈ ${d.worstCaseSeconds} s`,
      ]),
    ),
  );
  p(
    `"With shopctl" = alarm evaluation + ~${r.switching.metricCheckLagSeconds} s for Route 53 to follow the alarm + ${ALB_ALIAS_TTL_SECONDS} s TTL ` +
      '(about 2–3 min); "worst case" adds one publisher interval.',
  );
  p();

  const d = r.database;
  p('## Database');
  p();
  p(
    table(
      ['Item', 'Value'],
      [
        ['Global cluster', d.globalClusterId ?? '**none**'],
        ['Writer at deploy time', d.writerRegion ?? '?'],
        [
          'Engine versions',
          d.engineVersionsMatch
            ? `${d.engineVersions.join(', ')} (same everywhere)`
            : `**MISMATCH: ${d.engineVersions.join(' vs ')}**`,
        ],
      ],
    ),
  );
  p(
    table(
      [
        'Region',
        'Cluster',
        'Role',
        'Engine',
        'Instances',
        'Serverless v2 ACU',
        'Backup retention',
        'Deletion policy',
        'Lag alarm',
      ],
      d.clusters.map((c) => [
        c.region,
        c.clusterId,
        c.role,
        `${c.engine} ${c.engineVersion}`,
        c.instances,
        c.minAcu !== undefined ? `${c.minAcu}–${c.maxAcu}` : '—',
        c.backupRetentionDays !== undefined ? `${c.backupRetentionDays} days (PITR)` : '—',
        c.deletionPolicy,
        c.replicationLagAlarmMs !== undefined ? `> ${c.replicationLagAlarmMs} ms` : '—',
      ]),
    ),
  );
  p('AWS Backup plans:');
  p();
  p(
    table(
      ['Region', 'Rule', 'Schedule', 'Kept', 'Copied to'],
      d.backupPlans.map((b) => [
        b.region,
        b.rule,
        b.schedule,
        b.deleteAfterDays ? `${b.deleteAfterDays} days` : '—',
        b.copies.map((c) => `${c.vault} (${c.region}, ${c.deleteAfterDays ?? '?'} days)`).join(', ') || '—',
      ]),
    ),
  );
  p(`Vaults: ${d.vaults.map((v) => `${v.name} (${v.region})`).join(', ') || 'none'}.`);
  p();
  p('Recovery objectives:');
  p();
  p(
    table(
      ['Scenario', 'RPO', 'RTO'],
      d.recovery.map((x) => [x.scenario, x.rpo, x.rto]),
    ),
  );

  p('## What survives deleting a stack');
  p();
  p(
    table(
      ['Stack', 'Type', 'Policy', 'Count', 'Names'],
      r.retained.map((x) => [x.stack, x.type, x.policy, x.count, x.names.join(', ')]),
    ),
  );

  p('## Who is paged');
  p();
  p(
    table(
      ['Stack', 'Topic', 'Subscriptions'],
      r.paging.topics.map((t) => [t.stack, t.topicName, t.subscriptions.join(', ') || '**none**']),
    ),
  );
  const stacksWithPaging = [...new Set(r.paging.paging.map((x) => x.stack))];
  for (const s of stacksWithPaging) {
    p(`### ${s}`);
    p();
    p(
      table(
        ['Alarm', 'Kind', 'Topic', 'Reaches', 'Also on OK'],
        r.paging.paging
          .filter((x) => x.stack === s)
          .map((x) => [
            x.alarmName,
            x.kind,
            x.topics.join(', '),
            x.subscribers.join(', ') || '**nobody**',
            x.onOk ? 'yes' : 'no',
          ]),
      ),
    );
  }
  p('### Alarms without actions (they feed something that pages or switches)');
  p();
  p(
    table(
      ['Stack', 'Alarm', 'Used by'],
      r.paging.silent.map((x) => [x.stack, x.alarmName, x.usedBy.join(', ') || '**nothing: dead alarm**']),
    ),
  );

  const c = r.cost;
  p('## Estimated monthly cost of the standby posture');
  p();
  p(
    `**Estimate, not a quote.** Standby posture (${c.standbyStacks.join(', ')}: the regions that do not hold the writer, ` +
      `plus health checks, failover alarms and the outage page): **${usd(c.standbyRegionsUsd)} per month**. ` +
      `Everything the templates keep running at minimum capacity, the writer region included: ${usd(c.totalUsd)} per month. ` +
      `Counts come from the templates; unit prices are public on-demand list prices (us-east-1 unless noted; Asia Pacific is typically 10–30 % higher), ${HOURS_PER_MONTH} h per month.`,
  );
  p();
  p(
    table(
      ['Stack', 'Part of the standby posture', 'Monthly'],
      [
        ...c.perStack.map((s) => [
          s.stack,
          c.standbyStacks.includes(s.stack) ? 'yes' : 'no (writer region)',
          usd(s.monthlyUsd),
        ]),
        ['**Standby posture**', '', `**${usd(c.standbyRegionsUsd)}**`],
        ['**All stacks**', '', `**${usd(c.totalUsd)}**`],
      ],
    ),
  );
  p('Unit prices assumed:');
  p();
  p(
    table(
      ['Item', 'Unit', 'USD'],
      c.prices.map((x) => [x.item, x.unit, x.usd]),
    ),
  );
  p('Itemised:');
  p();
  p(
    table(
      ['Stack', 'Item', 'Quantity', 'Unit', 'Monthly', 'Note'],
      c.lines.map((l) => [l.stack, l.item, l.quantity, l.unit, usd(l.monthlyUsd), l.note ?? '']),
    ),
  );
  p('Not included (usage-driven or outside these templates):');
  p();
  for (const x of c.excluded) p(`- ${x}`);
  p();
  return out.join('\n');
}
