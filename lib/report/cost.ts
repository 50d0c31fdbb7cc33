/**
 * Cost: an estimate of what the standby posture costs per month, itemised from the templates'
 * resource counts and public on-demand list prices.
 */
import { customMetricsSection, CustomMetricsSection, seriesKey } from './custom-metrics';
import type { DatabaseSection } from './database';
import { priceIn, ResolvedPrice, unpricedRegions } from './prices';
import { CfnTemplate, entries, flatten, Json, num, refId, scheduledFunctions, StackInfo } from './template';

export { PRICED_REGIONS, priceIn, READ_ON, UNIT_PRICES, unpricedRegions } from './prices';
export type { RegionalPrice, ResolvedPrice, UnitPrice } from './prices';

/** Hours in a billing month, as AWS price pages use. */
export const HOURS_PER_MONTH = 730;

/** Seconds in the 30-day month used for invocation counts (43,200 one-minute runs). */
export const SECONDS_PER_MONTH = 30 * 24 * 3600;

/**
 * Route 53 health checkers per checker region: Route 53 does not document it (its guide says only that
 * checkers "don't coordinate" and that an endpoint sees "several requests per second regardless of the
 * interval": https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html).
 * An assumption, the same as the local drill's (scripts/drill-local/route53.ts); the health-check
 * traffic lines are estimates that scale with it.
 */
export const ASSUMED_CHECKERS_PER_REGION = 3;

/** New connections per second that one ALB LCU covers (the dimension a health check costs). */
export const ALB_NEW_CONNECTIONS_PER_LCU = 25;

/** One priced line. */
export interface CostLine {
  readonly stack: string;
  readonly item: string;
  readonly quantity: number;
  readonly unit: string;
  readonly unitUsd: number;
  readonly monthlyUsd: number;
  readonly note?: string;
}

/** The cost section of the report. */
export interface CostSection {
  /** Every price a line uses, per region, with its source or the flag that it is not the region's own. */
  readonly prices: readonly ResolvedPrice[];
  /** What the app publishes to CloudWatch (lib/report/custom-metrics.ts). */
  readonly customMetrics: CustomMetricsSection;
  /** Custom metrics an alarm reads that no publisher in the registry sends (should be none). */
  readonly unpublishedAlarmMetrics: readonly string[];
  /** Regions of the stacks that the price table does not cover (their lines use us-east-1 prices). */
  readonly unpricedRegions: readonly string[];
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

/**
 * Instances a warm pool holds at the group's minimum (desired = min): "If a value for
 * MaxGroupPreparedCapacity is not specified, Amazon EC2 Auto Scaling launches and maintains the
 * difference between the group's maximum capacity and its desired capacity", otherwise
 * MaxGroupPreparedCapacity − desired, never under MinSize
 * (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutWarmPool.html).
 */
export function warmPoolSize(props: Json, min: number, max: number): number {
  const minSize = num(props?.MinSize) ?? 0;
  const prepared = num(props?.MaxGroupPreparedCapacity);
  const ceiling = prepared === undefined || prepared < 0 ? max : prepared;
  return Math.max(minSize, ceiling - min);
}

/** Prices what the templates keep running at minimum capacity. */
export function costSection(
  templates: Record<string, CfnTemplate>,
  stacks: StackInfo[],
  db: DatabaseSection,
): CostSection {
  const lines: CostLine[] = [];
  const used = new Map<string, ResolvedPrice>();
  const regionOf = new Map(stacks.map((s) => [s.name, s.region]));
  const add = (stack: string, key: string, item: string, quantity: number, note?: string) => {
    const price = priceIn(key, regionOf.get(stack) ?? 'us-east-1');
    if (!price || quantity <= 0) return;
    used.set(`${price.key}|${price.region}`, price);
    const monthly = Math.round(quantity * price.usd * 100) / 100;
    lines.push({
      stack,
      item,
      quantity: Math.round(quantity * 1000) / 1000,
      unit: price.unit,
      unitUsd: price.usd,
      monthlyUsd: monthly,
      note: [note, price.flag].filter(Boolean).join('; ') || undefined,
    });
  };
  const metrics = customMetricsSection(templates, stacks);
  const published = new Set(metrics.publishers.flatMap((p) => p.series.map(seriesKey)));
  const unpublishedAlarmMetrics: string[] = [];
  // The stack that holds a region's metric lines: its regional stack (not the foundation), else the edge.
  const metricStack = new Map<string, string>();
  for (const s of stacks)
    if (!metricStack.has(s.region) || metricStack.get(s.region)!.endsWith('-foundation'))
      metricStack.set(s.region, s.name);
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

    // Gateway endpoints (S3, DynamoDB) are free; interface endpoints bill per subnet (zone).
    const interfaceEndpoints = entries(t, 'AWS::EC2::VPCEndpoint').filter(
      ([, r]) => r.Properties?.VpcEndpointType === 'Interface',
    );
    const endpointZones = interfaceEndpoints.reduce(
      (n, [, r]) => n + (Array.isArray(r.Properties?.SubnetIds) ? r.Properties.SubnetIds.length : 1),
      0,
    );
    add(
      s.name,
      'vpce',
      `Interface VPC endpoints (${interfaceEndpoints.length}, ${endpointZones} zone attachments)`,
      endpointZones * HOURS_PER_MONTH,
      'plus $0.01/GB processed',
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
      const max = num(asg.Properties?.MaxSize) ?? min;
      const warm = entries(t, 'AWS::AutoScaling::WarmPool')
        .filter(([, w]) => refId(w.Properties?.AutoScalingGroupName) === asgId)
        .reduce((n, [, w]) => n + warmPoolSize(w.Properties, min, max), 0);
      if (priceIn(`ec2:${type}`, s.region)) {
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
          const dims: Json[] = (stat ? stat.Metric?.Dimensions : p.Dimensions) ?? [];
          const key = seriesKey({
            region: s.region,
            namespace: ns,
            metricName: String(stat ? stat.Metric?.MetricName : p.MetricName),
            dimensions: Object.fromEntries(dims.map((d) => [String(d.Name), flatten(d.Value)])),
          });
          if (!published.has(key)) unpublishedAlarmMetrics.push(`${s.name}: ${key}`);
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
    if (metricStack.get(s.region) === s.name) {
      const stored = metrics.perRegion[s.region] ?? 0;
      const by = metrics.publishers
        .map((p) => [p.publisher, p.series.filter((x) => x.region === s.region).length] as const)
        .filter(([, n]) => n > 0);
      const byPublisher = new Map<string, number>();
      for (const [name, n] of by) byPublisher.set(name, (byPublisher.get(name) ?? 0) + n);
      add(
        s.name,
        'metric',
        `Custom metrics stored in ${s.region} (${stored}: ${[...byPublisher].map(([k, n]) => `${k} ${n}`).join(', ')})`,
        stored,
        'counted from the publishers (lib/report/custom-metrics.ts) as if every series received data all month (a payment lane without traffic sends nothing that minute); free tier not deducted',
      );
      const requests = metrics.requestsPerMonth[s.region] ?? 0;
      add(
        s.name,
        'cw-request',
        `PutMetricData requests into ${s.region} (${requests.toLocaleString('en-US')}/month: each publisher's runs × one batch of ≤ 1,000 metrics per region)`,
        requests / 1000,
      );
    }

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
      // The FIS Lambda extension (gameDays.lambdaFaultInjection) looks for fault configurations in
      // its S3 folder while the function runs, experiment or not; its bucket itself holds nothing.
      if (fn.Properties?.Environment?.Variables?.AWS_LAMBDA_EXEC_WRAPPER === '/opt/aws-fis/bootstrap') {
        add(
          s.name,
          's3-list',
          `FIS extension in "${label}": S3 LIST of its configuration folder (upper bound: one per run)`,
          invocations / 1000,
        );
      }
    }

    // Route 53 health-check requests to this region's endpoint (its direct name): they pass the ALB
    // and its WAF like any customer. Read from every template (the checks live in the edge stack).
    if (s.kind === 'regional') {
      const perSecond = Object.values(templates)
        .flatMap((tt) => entries(tt, 'AWS::Route53::HealthCheck'))
        .map(([, r]) => r.Properties?.HealthCheckConfig ?? {})
        .filter(
          (c: Json) =>
            /^HTTPS?(_STR_MATCH)?$/.test(String(c.Type)) &&
            String(c.FullyQualifiedDomainName ?? '').startsWith(`${s.region}.`),
        )
        .reduce((n: number, c: Json) => {
          const regions = Array.isArray(c.Regions) && c.Regions.length ? c.Regions.length : 8;
          return n + (regions * ASSUMED_CHECKERS_PER_REGION) / (num(c.RequestInterval) ?? 30);
        }, 0);
      if (perSecond > 0) {
        const perMonth = perSecond * SECONDS_PER_MONTH;
        const how = `${perSecond.toFixed(1)} requests/s = ${(perMonth / 1e6).toFixed(1)} M/month, assuming ${ASSUMED_CHECKERS_PER_REGION} checkers per checker region (estimate)`;
        if (count('AWS::WAFv2::WebACL') > 0)
          add(s.name, 'waf-req', `WAF requests from Route 53 health checks (${how})`, perMonth / 1e6);
        if (albs.length > 0)
          add(
            s.name,
            'alb-lcu',
            `ALB capacity for Route 53 health checks (each a new connection: ${perSecond.toFixed(1)}/s ÷ ${ALB_NEW_CONNECTIONS_PER_LCU} per LCU)`,
            (perSecond / ALB_NEW_CONNECTIONS_PER_LCU) * HOURS_PER_MONTH,
            'estimate; the LCU is the largest of its dimensions, so customers may already pay it',
          );
      }
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
    prices: [...used.values()].sort((a, b) => a.key.localeCompare(b.key) || a.region.localeCompare(b.region)),
    customMetrics: metrics,
    unpublishedAlarmMetrics,
    unpricedRegions: unpricedRegions(stacks.map((s) => s.region)),
    lines,
    perStack,
    standbyStacks: [...standbyStacks],
    standbyRegionsUsd: round(
      perStack.filter((p) => standbyStacks.has(p.stack)).reduce((n, p) => n + p.monthlyUsd, 0),
    ),
    totalUsd: round(perStack.reduce((n, p) => n + p.monthlyUsd, 0)),
    excluded: [
      'data transfer (inter-region replication, internet egress), NAT gateway and interface endpoint data processing',
      "ALB LCUs and WAF requests of customers (the health checks' are priced), CloudFront requests and transfer, Route 53 queries and the hosted zone (not in these templates)",
      'the difference between us-east-1 and the regions whose price was not found (each such line says so)',
      'Aurora storage, I/O and replicated writes; capacity above the minimum ACUs',
      'AWS Backup storage and cross-region copies, RDS snapshots',
      'CloudWatch Logs ingestion and storage (VPC flow logs, WAF logs, Lambda logs, the canary journey metrics sent as EMF log lines)',
      'free tiers (Lambda, first 10 alarms, 3 dashboards): not deducted',
    ],
  };
}
