/**
 * Rendering: the report as Markdown for a reviewer. Deterministic for the same data.
 */
import { HOURS_PER_MONTH } from './cost';
import { ALB_ALIAS_TTL_SECONDS } from './failover-time';
import type { ReportData } from './resilience';
import type { DrainSwitchRow } from './switching';

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
  for (const sentence of r.headline.sentences) p(`- ${sentence}`);
  p();
  p(`**Verdict on automatic failover: ${r.verdict.text}**`);
  p();
  for (const w of r.warnings) p(`> **⚠ ${w}**`);
  if (r.warnings.length) p();
  p(
    'This report is derived from the CloudFormation templates synthesized from the config (what would be deployed); only the budget is read from the config itself. ' +
      'It covers how an outage is detected, how traffic is switched, how long that takes, what the database can lose, ' +
      'what survives a stack deletion, who is paged, and an estimate of what the standby posture costs each month.',
  );
  p();
  p(`Generated from: ${r.stacks.map((s) => `${s.name} (${s.region})`).join(', ')}.`);
  p();
  p(
    `The failover budget (${r.verdict.budgetSeconds} s) is the config's \`failoverBudgetSeconds\`` +
      (r.source
        ? `; the templates were synthesized from config "${r.source.configName}" (fingerprint ${r.source.fingerprint}).`
        : '.'),
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
  p(drainSwitchProse(r.switching.drainSwitches));
  p();
  p(
    table(
      [
        'Drains',
        'Held in',
        'Alarm',
        'Alarm evaluation',
        'Missing data',
        'Publisher',
        'No data ⇒ Route 53 reads',
        'With shopctl',
        'Worst case',
      ],
      r.switching.drainSwitches.map((d) => [
        d.target,
        d.holders.join(', '),
        d.alarmName,
        alarmEvaluation(d),
        d.treatMissingData ?? '?',
        d.publisherSeconds ? `every ${d.publisherSeconds} s` : '?',
        d.insufficientData,
        `≈ ${d.withShopctlSeconds} s`,
        `≈ ${d.worstCaseSeconds} s`,
      ]),
    ),
  );
  p(
    `"With shopctl" = alarm evaluation + ~${r.switching.metricCheckLagSeconds} s for Route 53 to follow the alarm + ${ALB_ALIAS_TTL_SECONDS} s TTL ` +
      '(the whole alarm window, since Route 53 may count its periods N of N: about 2–5 min); "worst case" adds one publisher interval.',
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
    'Physical names are what stays in the account (KMS keys are found by their alias); a resource whose name AWS ' +
      "assigns at deploy is counted (its name shows in the stack's resources before the deletion). Logical ids identify every resource in the templates.",
  );
  p();
  p(
    table(
      ['Stack', 'Type', 'Policy', 'Count', 'Physical names (or KMS alias)', 'Logical ids'],
      r.retained.map((x) => [
        x.stack,
        x.type,
        x.policy,
        x.count,
        [...x.physicalNames, ...(x.namedAtDeploy ? [`${x.namedAtDeploy} named at deploy`] : [])].join(', '),
        x.logicalIds.join(', '),
      ]),
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

  renderPayments(r, p);
  renderNotifications(r, p);

  const c = r.cost;
  p('## Estimated monthly cost of the standby posture');
  p();
  p(
    `**Estimate, not a quote.** Standby posture (${c.standbyStacks.join(', ')}: the regions that do not hold the writer, ` +
      `plus health checks, failover alarms and the outage page): **${usd(c.standbyRegionsUsd)} per month**. ` +
      `Everything the templates keep running at minimum capacity, the writer region included: ${usd(c.totalUsd)} per month. ` +
      `Counts come from the templates; unit prices are public on-demand list prices of each stack's region where a source was found (lib/report/prices.ts), ${HOURS_PER_MONTH} h per month; ` +
      `a line priced at us-east-1's price because no source was found for its region says so in its note (${c.lines.filter((l) => /us-east-1 price;/.test(l.note ?? '')).length} lines).` +
      priceRegionNote(r.stacks.map((s) => s.region)),
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
  const m = c.customMetrics;
  p(
    `Custom metrics: **${m.total}** (${Object.entries(m.perRegion)
      .map(([region, n]) => `${n} in ${region}`)
      .join(
        ', ',
      )}), each namespace + metric name + dimension set counted once per region, from what each publisher sends (lib/report/custom-metrics.ts). ` +
      `PutMetricData requests: ${Object.entries(m.requestsPerMonth)
        .map(([region, n]) => `${n.toLocaleString('en-US')}/month into ${region}`)
        .join(
          ', ',
        )} (one request per publication and destination region: each batch is far below the API's 1,000 metrics per request, https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html).`,
  );
  p();
  p(
    table(
      [
        'Publisher',
        'Runs in',
        'Sends by',
        'Metrics per publication',
        'Publications/month',
        'Requests per publication',
      ],
      m.publishers.map((x) => [
        x.publisher,
        x.runsIn,
        x.transport,
        x.series.length,
        x.publicationsPerMonth.toLocaleString('en-US'),
        x.transport === 'EMF'
          ? 'none (log lines)'
          : Object.entries(x.requestsPerPublication)
              .map(([region, n]) => `${n} into ${region}`)
              .join(', '),
      ]),
    ),
  );
  p('Unit prices assumed, per region:');
  p();
  p(
    table(
      ['Item', 'Region', 'Unit', 'USD', 'Source (read on)'],
      c.prices.map((x) => [
        x.item,
        x.region,
        x.unit,
        x.usd,
        (x.source ? `${x.source} (${x.asOf ?? 'undated'})` : 'public list price, source not recorded') +
          (x.flag ? `; **${x.flag}**` : ''),
      ]),
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

/** The payments section: providers, fallback order, manual ways, detection, the switch. */
function renderPayments(r: ReportData, p: (s?: string) => void): void {
  const x = r.payments;
  p('## Payments');
  p();
  if (x.providers.length === 0) {
    p('No payment settings in the templates: checkout takes no payment.');
    p();
    return;
  }
  p(
    "Card data never reaches the shop: customers pay in the provider's window and the shop confirms server-side. " +
      'Provider keys live in Secrets Manager, created in the primary stack and replicated to every region.',
  );
  p();
  p(
    table(
      ['Provider', 'Kind', 'Methods', 'Call timeout', 'Secret', 'Created in', 'Replicas'],
      x.providers.map((v) => [
        v.id,
        v.kind,
        v.methods.join(', '),
        `${v.timeoutMs} ms`,
        v.secretName,
        v.secretStack ?? '**missing**',
        v.replicas.join(', ') || '**none**',
      ]),
    ),
  );
  p(
    `Fallback order (the shop routes a method to the next provider when one's breaker opens): ${Object.entries(
      x.fallback,
    )
      .map(([m, ps]) => `${m}: ${ps.join(' → ')}`)
      .join('; ')}. When every online method is down: ${x.manual.join(', ') || '**no manual way**'}.`,
  );
  p();
  p('### Detection');
  p();
  p(
    table(
      ['Stack', 'Alarm', 'Watches', 'Period', 'Soonest alarm', 'Pages'],
      x.alarms.map((a) => [
        a.stack,
        a.alarmName,
        a.watches,
        `${a.periodSeconds} s`,
        `${a.detectionSeconds} s`,
        a.pages ? 'yes' : 'no',
      ]),
    ),
  );
  renderOperatorSwitch(x.switches, '`shopctl payments disable provider:<id>|method:<m>`', p);
}

/** The customer notices section: channels in fallback order, their secrets, the alarms, the switch. */
function renderNotifications(r: ReportData, p: (s?: string) => void): void {
  const x = r.notifications;
  p('## Customer notices');
  p();
  if (x.channels.length === 0) {
    p('No notice settings in the templates: notices are written to the outbox and nothing sends them.');
    p();
    return;
  }
  p(
    `Channels in fallback order (a notice goes down the chain when a channel fails, stays silent past ${x.deadlineMs} ms or is switched off; at most once per channel): ${x.channels
      .map((c) => `${c.id} (${c.kind})`)
      .join(' → ')}.`,
  );
  p();
  p(
    table(
      ['Channel', 'Kind', 'Secret', 'Created in', 'Replicas'],
      x.channels.map((c) => [
        c.id,
        c.kind,
        c.secretName ?? 'none (instance role)',
        c.secretName ? (c.secretStack ?? '**missing**') : '',
        c.secretName ? c.replicas.join(', ') || '**none**' : '',
      ]),
    ),
  );
  p('### Detection');
  p();
  p(
    table(
      ['Stack', 'Alarm', 'Kind', 'Watches', 'Soonest alarm', 'Pages'],
      x.alarms.map((a) => [
        a.stack,
        a.alarmName,
        a.kind,
        a.watches,
        a.detectionSeconds !== undefined ? `${a.detectionSeconds} s` : 'when its parts are',
        a.pages ? 'yes' : 'no',
      ]),
    ),
  );
  renderOperatorSwitch(x.switches, '`npx shopctl channels disable <channel>`', p);
}

/** The data-plane switch of a section (payments, notices): its parameter per region and the command that writes it. */
function renderOperatorSwitch(
  switches: ReportData['payments']['switches'],
  command: string,
  p: (s?: string) => void,
): void {
  p('### The operator switch');
  p();
  p(
    table(
      ['Stack', 'Region', 'Parameter', 'Created as'],
      switches.map((s) => [s.stack, s.region, s.parameter, s.initial]),
    ),
  );
  p(
    `${command} writes it in every region that is up and reads it back; each shop applies it within its 15 s poll.`,
  );
  p();
}

/** "1 of 3 × 60 s": M datapoints out of the last N periods, as the alarm in the template says. */
export function alarmEvaluation(d: DrainSwitchRow): string {
  if (!d.periodSeconds) return '?';
  const m = d.datapointsToAlarm ?? 1;
  const n = d.evaluationPeriods ?? m;
  return `${m} of ${n} × ${d.periodSeconds} s`;
}

/**
 * How the drain switch works, in the terms of the templates: the alarm's period and M of N, what its
 * missing data means, and what Route 53 reads when a holder reports nothing.
 */
export function drainSwitchProse(rows: readonly DrainSwitchRow[]): string {
  const periods = [...new Set(rows.map((d) => d.periodSeconds).filter((x) => x !== undefined))];
  const metric = periods.length === 1 ? `a ${periods[0]} s metric` : 'a metric';
  const silent = [...new Set(rows.map((d) => d.insufficientData))];
  const treat = [...new Set(rows.map((d) => d.treatMissingData ?? '?'))];
  const meaning = (status: string) =>
    status === 'Unhealthy'
      ? 'counts as a vote for "drained"'
      : status === 'Healthy'
        ? 'counts as "serving"'
        : 'keeps the status Route 53 saw last';
  const silentSentence =
    silent.length === 1
      ? `A holder that reports nothing (its publisher or its region is down) ${meaning(silent[0])}: the checks' InsufficientDataHealthStatus is ${silent[0]}.`
      : `A holder that reports nothing: ${rows.map((d) => `for ${d.target} ${meaning(d.insufficientData)} (${d.insufficientData})`).join('; ')}.`;
  const windows = [...new Set(rows.map((d) => d.evaluationPeriods).filter((x) => x !== undefined))];
  const missingSentence =
    treat.length === 1 && treat[0] === 'missing' && windows.length === 1
      ? ` The alarms treat missing data as \`missing\`: the datapoints that exist decide, and an alarm has no data only after ${windows[0]} silent periods.`
      : ` The alarms treat missing data as ${treat.map((t) => `\`${t}\``).join(', ')}.`;
  return (
    'Each region\'s CALCULATED check counts the copies of its drain switch (see "Guarded by" above for how many take it out). ' +
    `A copy is a CloudWatch alarm in a holder region on ${metric} that a scheduled publisher re-sends from an SSM parameter; Route 53 reads the alarm (CLOUDWATCH_METRIC check). ` +
    "`shopctl failover --to REGION` drains the regions it moves customers away from: it writes the parameter in every holder **and publishes the metric immediately**, so the publisher's interval does not add up; " +
    'if only the parameter changes, the publisher applies it within one interval. ' +
    silentSentence +
    missingSentence
  );
}

/**
 * Prices differ by region and the table holds us-east-1's; say so for the Asia Pacific regions the
 * stacks are in, where list prices are usually higher (nothing is said for other regions).
 */
export function priceRegionNote(regions: readonly (string | undefined)[]): string {
  const ap = [...new Set(regions.filter((x): x is string => !!x && x.startsWith('ap-')))].sort();
  if (ap.length === 0) return '';
  return ` ${ap.join(', ')} ${ap.length === 1 ? 'is an Asia Pacific region' : 'are Asia Pacific regions'}, where list prices are usually higher than in us-east-1: check the service pricing pages for ${ap.length === 1 ? 'it' : 'them'}.`;
}
