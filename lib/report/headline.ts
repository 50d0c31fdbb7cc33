/**
 * The headline: what a customer can do, and when, if the primary region fails. Three moments, not
 * one "traffic moves in 90 s": reaching a page (automatic DNS failover), browsing (a standby serves
 * read-only from its Aurora secondary), and buying again (only after a person promotes the
 * database in a region that serves customers).
 */
import type { CanaryRow } from './detection';
import type { FailoverRow } from './resilience';
import type { Chain } from './switching';
import { CfnTemplate, entries, num, refId, tagValue } from './template';

/** The three moments of an outage of the primary region, with what each depends on. */
export interface Headline {
  readonly primaryRegion?: string;
  /** The region the chain sends customers to when the primary fails. */
  readonly nextRegion?: string;
  /** Worst case until customers get an answer again (automatic). */
  readonly reachPageSeconds?: number;
  /** From when customers can browse (the next region's read-only shop), if there is one. */
  readonly browseSeconds?: number;
  /** Fastest page to the on-call after the failure, and what sends it. */
  readonly pagedSeconds?: number;
  readonly pagedBy?: string;
  /** The command that lets customers buy again (promotes the database and moves customers). */
  readonly buyAgainCommand?: string;
  /** Sentences for the top of the report. */
  readonly sentences: readonly string[];
}

/** Inputs: the report's failover rows, chains and canaries, and the edge template's alarms. */
export interface HeadlineInputs {
  readonly failover: readonly FailoverRow[];
  readonly chains: readonly Chain[];
  readonly canaries: readonly CanaryRow[];
  readonly edge: CfnTemplate;
  readonly tagKey: string;
}

/** Builds the headline from what the templates define. */
export function headline(i: HeadlineInputs): Headline {
  const chain = i.chains.find((c) => !c.via);
  const regions = (chain?.steps ?? []).filter((s) => s.kind === 'region').map((s) => s.target);
  const [primaryRegion, nextRegion] = regions;
  const primary = i.failover.find((f) => f.region === primaryRegion);
  if (!primaryRegion || !primary) {
    return {
      sentences: ['No automatic failover found: customers are not moved anywhere when a region fails.'],
    };
  }
  const reach = primary.worstCaseSeconds;
  const paged = fastestPage(i, primaryRegion, primary.detectionSeconds);
  const command = nextRegion ? `shopctl failover --to ${nextRegion} --unplanned` : undefined;
  const min = (s: number) => `${Math.round((s / 60) * 10) / 10} min`;
  const sentences = [
    `If the primary region (${primaryRegion}) fails, customers **reach a page within ${reach} s** ` +
      `(automatic, worst case: ${primary.detectionSeconds} s for Route 53 to see it + ${primary.ttlSeconds} s DNS TTL): ` +
      (nextRegion
        ? `the shop in ${nextRegion} while its health check passes, else the outage page.`
        : 'the outage page.'),
    nextRegion
      ? `They can **browse from then on** in ${nextRegion}: catalogue and order lookup, read-only, because its database is an Aurora secondary. ` +
        'If no region is healthy they see the outage page, which lists the other ways to order and pay.'
      : 'They cannot browse: no other region serves the shop.',
    nextRegion
      ? `They can **buy again only after the database is promoted**; nothing promotes it automatically. ` +
        `The on-call is paged ${paged ? `about ${min(paged.seconds)} after the failure (${paged.by})` : 'by the alarms below'}, decides, ` +
        `and runs \`${command}\` (it loses what had not replicated, typically under a second); Aurora then needs about 1–2 min. ` +
        'So: minutes, and it depends on how fast a person acts.'
      : 'They cannot buy until the primary region recovers.',
  ];
  return {
    primaryRegion,
    nextRegion,
    reachPageSeconds: reach,
    browseSeconds: nextRegion ? reach : undefined,
    pagedSeconds: paged?.seconds,
    pagedBy: paged?.by,
    buyAgainCommand: command,
    sentences,
  };
}

/**
 * The fastest alarm that pages when the primary fails: the alarm on its Route 53 health check
 * (detection + the alarm's evaluation), or a canary's M-of-N alarm (M × period), whichever is sooner.
 */
function fastestPage(
  i: HeadlineInputs,
  region: string,
  detectionSeconds: number,
): { seconds: number; by: string } | undefined {
  const candidates: Array<{ seconds: number; by: string }> = [];
  for (const [, r] of entries(i.edge, 'AWS::CloudWatch::Alarm')) {
    const p = r.Properties ?? {};
    if (p.MetricName !== 'HealthCheckStatus' || !(p.AlarmActions ?? []).length) continue;
    const checkId = refId(
      (p.Dimensions ?? []).find((d: { Name: string }) => d.Name === 'HealthCheckId')?.Value,
    );
    const check = checkId ? i.edge.Resources?.[checkId] : undefined;
    const tag = tagValue(check?.Properties, i.tagKey) ?? '';
    if (!tag.includes(region) && !String(p.AlarmName ?? '').includes(region)) continue;
    const evaluation = (num(p.Period) ?? 60) * (num(p.DatapointsToAlarm) ?? num(p.EvaluationPeriods) ?? 1);
    candidates.push({
      seconds: detectionSeconds + evaluation,
      by: `the alarm ${String(p.AlarmName ?? 'on the Route 53 health check')}`,
    });
  }
  for (const c of i.canaries) {
    if (c.region === region) continue;
    candidates.push({
      seconds: c.detectionSeconds,
      by: `canaries, ${c.failuresToAlarm} failed runs of ${c.evaluationPeriods}`,
    });
  }
  return candidates.sort((a, b) => a.seconds - b.seconds)[0];
}
