/** The markdown report of a game day: timeline, measures against the budget, what to improve. */
import type { DrillRun, TimelineEvent } from './drill';

const first = (t: TimelineEvent[], kind: TimelineEvent['kind']) => t.find((e) => e.kind === kind);

/** Renders the report; the sections a person must fill in are marked. */
export function renderDrillReport(r: DrillRun): string {
  const fault = first(r.timeline, 'fault') ?? first(r.timeline, 'started')!;
  const since = (e?: TimelineEvent) =>
    e ? `${Math.round((e.at.getTime() - fault.at.getTime()) / 1000)} s` : '—';
  const canary = first(r.timeline, 'canary');
  const page = first(r.timeline, 'page');
  const dns = first(r.timeline, 'dns');
  const recovered = [...r.timeline].reverse().find((e) => e.kind === 'recovered');
  const dnsSeconds = dns ? (dns.at.getTime() - fault.at.getTime()) / 1000 : undefined;

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
  if (dnsSeconds !== undefined && dnsSeconds > r.budgetSeconds)
    improve.push(`DNS moved after ${Math.round(dnsSeconds)} s, beyond the ${r.budgetSeconds} s budget.`);

  return [
    `# Game day: ${r.scenario} in ${r.region}`,
    '',
    `- Date: ${r.timeline[0].at.toISOString()}`,
    `- Run by: ${r.operator}`,
    `- Experiment template: ${r.template.id} (${r.template.description ?? ''})`,
    `- Experiment: ${r.experimentId}`,
    `- Outcome: ${r.outcome}`,
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
    `| DNS moved (Route 53 check unhealthy) | ${since(dns)}${dnsSeconds !== undefined ? (dnsSeconds <= r.budgetSeconds ? ' (within' : ' (OVER') + ` the ${r.budgetSeconds} s budget)` : ''} |`,
    `| last alarm back to OK | ${since(recovered)} |`,
    '| writes restored | _fill in (first order placed after the fault)_ |',
    '| orders lost | _fill in: orders count before and after, from the database_ |',
    '',
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
