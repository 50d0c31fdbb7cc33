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

import { costSection, CostSection } from './cost';
import { databaseSection, DatabaseSection } from './database';
import {
  canaryRows,
  CanaryRow,
  ConsensusRow,
  consensusRows,
  endpointCheckRows,
  EndpointCheckRow,
} from './detection';
import { endpointChecks, failoverTimes } from './failover-time';
import { Headline, headline } from './headline';
import { PagingSection, pagingSection } from './paging';
import { PaymentsSection, paymentsSection } from './payments';
import { NotificationsSection, notificationsSection } from './notifications';
import { RetainedRow, retainedRows } from './retention';
import {
  Chain,
  drainSwitchRows,
  DrainSwitchRow,
  failoverChains,
  METRIC_CHECK_LAG_SECONDS,
} from './switching';
import { CfnTemplate, entries, StackInfo, tagValue } from './template';

export * from './cost';
export * from './database';
export * from './detection';
export * from './headline';
export * from './paging';
export * from './payments';
export * from './notifications';
export * from './rendering';
export * from './retention';
export * from './switching';
export * from './template';

/** Options of {@link buildReport}. */
export interface ReportOptions {
  /**
   * Failover budget in seconds: the config's `failoverBudgetSeconds` (not in any template, so the
   * caller passes it with the templates it synthesized from that config).
   */
  readonly budgetSeconds: number;
  /** The config the templates come from, named in the report. */
  readonly source?: ReportSource;
  /**
   * Region of each stack (from the cloud assembly manifest or the CDK stacks). When missing, the
   * region is read from the stack description ("... region ap-northeast-2: ...") and the stack with
   * Route 53 health checks is taken to be in us-east-1.
   */
  readonly stackRegions?: Readonly<Record<string, string>>;
  /** Tag key that names what each Route 53 health check watches. @default 'resilient-shop:check' */
  readonly healthCheckTagKey?: string;
}

/** Where the graded templates come from. */
export interface ReportSource {
  /** Config name (`-c config=NAME`). */
  readonly configName: string;
  /** Fingerprint of the validated config (lib/report/assembly.ts). */
  readonly fingerprint: string;
}

/** Worst-case automatic failover of one region against the budget. */
export interface FailoverRow {
  readonly region: string;
  readonly detectionSeconds: number;
  readonly ttlSeconds: number;
  readonly worstCaseSeconds: number;
  readonly withinBudget: boolean;
}

/** The headline judgement of automatic failover against the budget. */
export interface Verdict {
  readonly pass: boolean;
  readonly worstCaseSeconds: number;
  readonly worstRegion?: string;
  readonly budgetSeconds: number;
  readonly text: string;
}

/** Everything the report says, as data (JSON-serialisable). */
export interface ReportData {
  readonly title: string;
  readonly source?: ReportSource;
  /** When customers reach a page, browse and buy again if the primary fails. */
  readonly headline: Headline;
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
  readonly paging: PagingSection;
  /** Providers, fallback order, manual ways, payment alarms and the operator switch. */
  readonly payments: PaymentsSection;
  /** Notice channels in fallback order, their secrets, the notice alarms and the operator switch. */
  readonly notifications: NotificationsSection;
  readonly cost: CostSection;
}

/**
 * Reads the templates of every stack and derives the report.
 * @param templates template JSON by stack name, in deployment order.
 */
export function buildReport(templates: Record<string, CfnTemplate>, options: ReportOptions): ReportData {
  const tagKey = options.healthCheckTagKey ?? 'resilient-shop:check';
  const budgetSeconds = options.budgetSeconds;
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

  const cost = costSection(templates, stacks, database);
  for (const region of cost.unpricedRegions)
    warnings.push(
      `No prices for ${region} in lib/report/prices.ts: its stacks are priced at us-east-1 list prices, usually the lowest. Read that region's prices and add them with their sources.`,
    );
  if (cost.unpublishedAlarmMetrics.length > 0)
    warnings.push(
      `Alarms read custom metrics that no publisher sends (lib/report/custom-metrics.ts): ${cost.unpublishedAlarmMetrics.join('; ')}.`,
    );

  const canaries = canaryRows(templates, regionOf);
  const paging = pagingSection(templates, regionOf, tagKey);
  const payments = paymentsSection(templates, regionOf);
  if (payments.inconsistent.length > 0) {
    warnings.push(
      `The shops of ${payments.inconsistent.join(', ')} get other payment settings than the first region's: a failover would change how customers pay.`,
    );
  }
  const notifications = notificationsSection(templates, regionOf);
  if (notifications.inconsistent.length > 0) {
    warnings.push(
      `The shops of ${notifications.inconsistent.join(', ')} get other notice settings than the first region's: a failover would change how customers are told about their orders.`,
    );
  }
  const unpaged = paging.topics.filter((t) => t.subscriptions.length === 0);
  for (const t of unpaged)
    warnings.push(`SNS topic ${t.topicName} in ${t.stack} has no subscriptions: its alarms page nobody.`);

  return {
    title: 'Resilience report',
    source: options.source,
    headline: headline({ failover, chains, canaries, edge, tagKey }),
    stacks,
    verdict,
    warnings,
    detection: {
      endpointChecks: endpointRows,
      canaries,
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
    payments,
    notifications,
    cost,
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
