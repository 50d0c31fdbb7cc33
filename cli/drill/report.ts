/** The markdown report of a game day: timeline, measures against the budget, what to improve. */
import type { DrillRun, TimelineEvent } from './run';
import type { ProbeStep, ProbeTransition } from './probe';

const first = (t: TimelineEvent[], kind: TimelineEvent['kind']) => t.find((e) => e.kind === kind);

/** How long a probe step failed: from its first failure to the recovery it kept (or still down). */
export interface StepOutage {
  readonly from?: Date;
  readonly to?: Date;
  readonly seconds?: number;
  /** Failing when the probe last looked. */
  readonly stillDown: boolean;
}

export function stepOutage(transitions: readonly ProbeTransition[], step: ProbeStep): StepOutage {
  const mine = transitions.filter((t) => t.step === step);
  const from = mine.find((t) => !t.ok)?.at;
  const last = mine.at(-1);
  if (!from) return { stillDown: false };
  if (!last || !last.ok) return { from, stillDown: true };
  return { from, to: last.at, seconds: (last.at.getTime() - from.getTime()) / 1000, stillDown: false };
}

/** Steps whose outage is judged against `failoverBudgetSeconds` (buying waits for the writer). */
const BUDGETED: readonly ProbeStep[] = ['reach', 'browse'];
const STEP_LABEL: Record<ProbeStep, string> = {
  reach: 'customers could not reach a page',
  browse: 'customers could not browse',
  buy: 'customers could not buy (writes failing)',
};

/**
 * What makes `shopctl drill` exit 1: acknowledged orders lost, duplicated or unverifiable; a customer
 * step (reach a page, browse) or DNS beyond the budget; the shop not taking orders after the experiment.
 */
export function drillFindings(r: DrillRun): string[] {
  const out: string[] = [];
  const v = r.probe.verdict;
  if (v.lost.length) out.push(`${v.lost.length} acknowledged order(s) lost (keys in the report)`);
  if (v.duplicated.length)
    out.push(`${v.duplicated.length} idempotency key(s) answered with more than one order`);
  if (v.unverified.length)
    out.push(`${v.unverified.length} acknowledged order(s) could not be read back: loss unknown`);
  for (const step of BUDGETED) {
    const o = stepOutage(r.probe.transitions, step);
    if (o.stillDown) out.push(`${STEP_LABEL[step]} until the end of the drill`);
    else if (o.seconds !== undefined && o.seconds > r.budgetSeconds)
      out.push(`${STEP_LABEL[step]} for ${Math.round(o.seconds)} s, beyond the ${r.budgetSeconds} s budget`);
  }
  const fault = first(r.timeline, 'fault') ?? first(r.timeline, 'started')!;
  const dns = first(r.timeline, 'dns');
  if (dns && (dns.at.getTime() - fault.at.getTime()) / 1000 > r.budgetSeconds)
    out.push(`DNS moved beyond the ${r.budgetSeconds} s budget`);
  if (r.probe.afterExperiment === 'no-orders')
    out.push(`the shop did not take orders within ${r.probe.settleMinutes} min after the experiment`);
  return out;
}

/** Renders the report; the sections a person must fill in are marked. */
export function renderDrillReport(r: DrillRun): string {
  const fault = first(r.timeline, 'fault') ?? first(r.timeline, 'started')!;
  const rel = (at?: Date) => (at ? `${Math.round((at.getTime() - fault.at.getTime()) / 1000)} s` : '—');
  const since = (e?: TimelineEvent) => rel(e?.at);
  const canary = first(r.timeline, 'canary');
  const page = first(r.timeline, 'page');
  const dns = first(r.timeline, 'dns');
  const served = r.timeline.filter((e) => e.kind === 'served');
  const recovered = [...r.timeline].reverse().find((e) => e.kind === 'recovered');
  const dnsSeconds = dns ? (dns.at.getTime() - fault.at.getTime()) / 1000 : undefined;
  const v = r.probe.verdict;
  const budget = (s: number) => `${s <= r.budgetSeconds ? 'within' : 'OVER'} the ${r.budgetSeconds} s budget`;
  const outageRow = (step: ProbeStep, budgeted: boolean) => {
    const o = stepOutage(r.probe.transitions, step);
    if (!o.from) return `| ${STEP_LABEL[step]} | never |`;
    if (o.stillDown) return `| ${STEP_LABEL[step]} | from ${rel(o.from)} until the end (not restored) |`;
    const s = Math.round(o.seconds!);
    return `| ${STEP_LABEL[step]} | ${s} s (from ${rel(o.from)} to ${rel(o.to)})${budgeted ? ` (${budget(s)})` : ''} |`;
  };
  const buy = stepOutage(r.probe.transitions, 'buy');
  const writes = !buy.from
    ? 'never interrupted'
    : buy.to
      ? `${rel(buy.to)} (writes failed for ${Math.round(buy.seconds!)} s)`
      : r.probe.afterExperiment === 'not-waited'
        ? 'not restored when the drill was interrupted'
        : `not restored within ${r.probe.settleMinutes} min after the experiment`;

  const improve: string[] = [];
  if (r.outcome.startsWith('stopped'))
    improve.push(
      'The experiment was stopped before it ended: customers were affected beyond the stop condition, or a person stopped it. Find out which, and why.',
    );
  if (!canary)
    improve.push('No canary alarm fired: if customers were affected, the canaries did not see it.');
  if (canary && !page)
    improve.push(
      'Canaries failed but nobody was paged: check the two-vantage composite alarm and the SNS subscriptions.',
    );
  if (r.probe.transitions.some((t) => !t.ok) && !canary)
    improve.push(
      'The probe customer failed but no canary alarm fired: the canaries miss what customers see.',
    );
  for (const f of drillFindings(r)) improve.push(`${f[0].toUpperCase()}${f.slice(1)}.`);

  const readiness = r.readiness.map(
    (x) =>
      `- ${x.region}: ${
        x.ready === null
          ? `UNKNOWN (${x.error ?? ''})`
          : x.ready
            ? 'READY'
            : `NOT READY (${x.checks
                .filter((c) => !c.ok)
                .map((c) => `${c.check}: ${c.detail}`)
                .join('; ')}; started with --force)`
      }`,
  );
  const u = v.unanswered;

  return [
    `# Game day: ${r.scenario} in ${r.region}`,
    '',
    `- Date: ${r.timeline[0].at.toISOString()}`,
    `- Run by: ${r.operator}`,
    `- Experiment template: ${r.template.id} (${r.template.description ?? ''})`,
    `- Experiment: ${r.experimentId}`,
    `- Outcome: ${r.outcome}`,
    `- Probe customer: ${r.probe.baseUrl} (drill orders, one idempotency key each)`,
    ...(readiness.length
      ? ['- Failover targets at preflight (shopctl check):', ...readiness.map((l) => `  ${l}`)]
      : []),
    '',
    '## Timeline (UTC)',
    '',
    '| time | since fault | event |',
    '|---|---|---|',
    ...r.timeline.map((e) => `| ${e.at.toISOString()} | ${since(e)} | ${e.what} |`),
    '',
    '## Measured against the budget',
    '',
    '| measure | value |',
    '|---|---|',
    `| first canary failure | ${since(canary)} |`,
    `| page sent | ${since(page)} |`,
    `| DNS moved (Route 53 check unhealthy) | ${since(dns)}${dnsSeconds !== undefined ? ` (${budget(dnsSeconds)})` : ''} |`,
    `| customers served elsewhere (the probe's answers; DNS as customers see it) | ${served.length ? served.map((e) => `${since(e)}: ${e.what.replace(/^probe customer served by /, '')}`).join('; ') : 'never'} |`,
    outageRow('reach', true),
    outageRow('browse', true),
    outageRow('buy', false),
    `| writes restored (the probe customer buys again) | ${writes} |`,
    `| acknowledged orders lost | ${v.lost.length} of ${v.acknowledged} |`,
    `| orders duplicated (one key, several orders) | ${v.duplicated.length} |`,
    `| acknowledged orders not verifiable | ${v.unverified.length} |`,
    `| checkouts never answered | ${u.placed + u.notPlaced + u.unknown} (placed ${u.placed}, not placed ${u.notPlaced}, unknown ${u.unknown}) |`,
    `| last alarm back to OK | ${since(recovered)} |`,
    '',
    ...(v.lost.length || v.duplicated.length || v.unverified.length
      ? [
          '## Orders to look into',
          '',
          '| idempotency key | order acknowledged | acknowledged at | found |',
          '|---|---|---|---|',
          ...v.lost.map(
            (o) =>
              `| ${o.key} | ${o.orderId} | ${o.at.toISOString()} | ${o.found ? `another order: ${o.found}` : 'nothing (LOST)'} |`,
          ),
          ...v.duplicated.map((o) => `| ${o.key} | ${o.orderIds.join(', ')} | — | DUPLICATED |`),
          ...v.unverified.map(
            (o) => `| ${o.key} | ${o.orderId} | ${o.at.toISOString()} | not verified: ${o.reason} |`,
          ),
          '',
          `Check one again: \`curl ${r.probe.baseUrl}/checkout-keys/KEY\`.`,
          '',
        ]
      : []),
    '## What to improve',
    '',
    ...(improve.length ? improve.map((i) => `- ${i}`) : ['- _fill in_']),
    '',
    '## Notes',
    '',
    '_What people did by hand, what surprised them, what the customers saw._',
    '',
  ].join('\n');
}
