/**
 * Switching: the DNS failover chain (automatic) and the data-plane drain switch (`shopctl failover`).
 */
import type { EndpointCheckRow } from './detection';
import { ALB_ALIAS_TTL_SECONDS } from './failover-time';
import {
  alarmName,
  CfnTemplate,
  entries,
  envOf,
  describeValue,
  Json,
  num,
  refId,
  scheduledFunctions,
  tagValue,
  trimDot,
  uniqSorted,
} from './template';

/** Assumed time for a Route 53 CLOUDWATCH_METRIC health check to follow its alarm's state. */
export const METRIC_CHECK_LAG_SECONDS = 30;

/** One answer of a link of the chain. */
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

/** The chain behind one public name. */
export interface Chain {
  /** Public name customers use. */
  readonly publicName: string;
  /** When the public name is an alias of another chain head (www → apex). */
  readonly via?: string;
  readonly steps: readonly ChainStep[];
}

/** The copies of one region's drain switch and how long a drain takes. */
export interface DrainSwitchRow {
  /** Region the switch drains. */
  readonly target: string;
  /** Regions holding a copy of the switch (any one set to drained takes the target out). */
  readonly holders: readonly string[];
  readonly alarmName: string;
  readonly periodSeconds?: number;
  /** M: datapoints that must breach within the last N periods for the alarm to fire. */
  readonly datapointsToAlarm?: number;
  /** N: the periods the alarm looks back over. */
  readonly evaluationPeriods?: number;
  /** The alarm's TreatMissingData (`missing` when the template leaves it out, CloudWatch's default). */
  readonly treatMissingData?: string;
  readonly publisherSeconds?: number;
  /** What Route 53 reads when the alarm has no data (the check's InsufficientDataHealthStatus). */
  readonly insufficientData: string;
  /** shopctl publishes the metric itself: alarm + Route 53 + TTL. */
  readonly withShopctlSeconds: number;
  /** Publisher alone (parameter changed by other means): + one publisher interval. */
  readonly worstCaseSeconds: number;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * A region's health check as the template builds it: its rule (how many children must be healthy),
 * what the children are (read from their own configs: endpoint checks and the alarm-backed drain
 * switch copies, with the regions holding them) and what that rule means for the region.
 */
function describeCheck(edge: CfnTemplate, id: string | undefined, tagKey: string): string {
  const r = id ? edge.Resources?.[id] : undefined;
  if (!r) return 'none';
  const c = r.Properties?.HealthCheckConfig ?? {};
  if (c.Type !== 'CALCULATED') return `${c.Type} (${tagValue(r.Properties, tagKey) ?? id})`;
  const kids: Json[] = (c.ChildHealthChecks ?? []).map(
    (ch: Json) => edge.Resources?.[refId(ch) ?? '']?.Properties?.HealthCheckConfig ?? {},
  );
  const endpoints = kids.filter((k) => /^(HTTPS?|HTTPS?_STR_MATCH|TCP)$/.test(String(k.Type)));
  const switches = kids.filter((k) => k.Type === 'CLOUDWATCH_METRIC');
  const others = kids.length - endpoints.length - switches.length;
  const need = num(c.HealthThreshold) ?? kids.length;
  const targets = uniqSorted(
    endpoints.map((k) => `${describeValue(k.FullyQualifiedDomainName)}${k.ResourcePath ?? ''}`),
  );
  const holders = uniqSorted(switches.map((k) => String(k.AlarmIdentifier?.Region)));
  const parts = [
    endpoints.length
      ? `${plural(endpoints.length, 'endpoint check', 'endpoint checks')} (${targets.join(', ')})`
      : '',
    switches.length
      ? `${plural(switches.length, 'drain switch copy', 'drain switch copies')} (in ${holders.join(', ')})`
      : '',
    others ? plural(others, 'other check', 'other checks') : '',
  ].filter(Boolean);
  const rule =
    need >= kids.length
      ? `healthy while all ${kids.length} children are`
      : `healthy while ${need} of ${kids.length} children are`;
  // With every endpoint check healthy, the region is out once this many switch copies are not.
  const copiesToDrain = kids.length - need + 1;
  const silent = uniqSorted(switches.map((k) => String(k.InsufficientDataHealthStatus ?? 'LastKnownStatus')));
  const one = copiesToDrain === 1;
  const copyState =
    silent.length === 1 && silent[0] === 'Unhealthy'
      ? one
        ? 'says drained or has no data'
        : 'say drained or have no data'
      : one
        ? 'says drained'
        : 'say drained';
  const effects = [
    endpoints.length && kids.length - endpoints.length < need ? 'when the endpoint fails' : '',
    switches.length && copiesToDrain <= switches.length
      ? `when ${plural(copiesToDrain, 'switch copy', 'switch copies')} ${copyState}`
      : '',
  ].filter(Boolean);
  return `CALCULATED, ${rule}: ${parts.join(' + ')}${effects.length ? `; out ${effects.join(' or ')}` : ''}`;
}

/** Every public name's chain, walked from the records of the edge template. */
export function failoverChains(edge: CfnTemplate, checks: EndpointCheckRow[], tagKey: string): Chain[] {
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
        const to = aliasName(primary) ?? describeValue(primary.AliasTarget?.DNSName);
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
                : describeValue(secondary.AliasTarget?.DNSName),
            aliasTo:
              dist?.Type === 'AWS::CloudFront::Distribution'
                ? `the *.cloudfront.net name of ${distribution} (assigned at deploy)`
                : describeValue(secondary.AliasTarget?.DNSName),
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

/** One row per drainable region, from the alarm-backed health checks and their alarms. */
export function drainSwitchRows(
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
    const evaluationPeriods = num(found?.p.EvaluationPeriods);
    const datapoints = num(found?.p.DatapointsToAlarm) ?? evaluationPeriods;
    const alarmSeconds = (period ?? 60) * (datapoints ?? 1);
    const withShopctl = alarmSeconds + METRIC_CHECK_LAG_SECONDS + ALB_ALIAS_TTL_SECONDS;
    return {
      target,
      holders: uniqSorted(copies.map((c) => c.holder)),
      alarmName: uniqSorted(copies.map((c) => c.alarm)).join(', '),
      periodSeconds: period,
      datapointsToAlarm: datapoints,
      evaluationPeriods,
      treatMissingData: found ? String(found.p.TreatMissingData ?? 'missing') : undefined,
      publisherSeconds: found?.publisherSeconds,
      insufficientData: uniqSorted(copies.map((c) => c.insufficient)).join(', '),
      withShopctlSeconds: withShopctl,
      worstCaseSeconds: withShopctl + (found?.publisherSeconds ?? 60),
    };
  });
}
