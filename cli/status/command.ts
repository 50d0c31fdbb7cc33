import { gatherPayments, PaymentsReport, renderPaymentsLines } from '../payments/status';
import { ChannelsReport, gatherChannels, renderChannelsLines } from '../channels/status';
import { gatherStatus, RegionReport, StatusReport } from './status';
import { getHealthz, healthzSummary } from '../shop/healthz';
import { describeError, errorKind, EXIT } from '../aws/errors';
import { whereDoesPublicResolve } from './dns';
import { painter, table } from '../output/table';
import type { Deps } from '../aws/deps';
import { withinTotal } from '../aws/deadline';
import { StallWatch, type StalledRegion } from './stalls';

function switchText(r: RegionReport): string {
  const holders = r.switch.holders
    .map((h) => `${h.holder}:${h.value}${h.alarm ? `/${h.alarm}` : ''}`)
    .join(' ');
  return `${r.switch.state.toUpperCase() === 'DRAINED' ? 'DRAINED' : r.switch.state} (${holders})`;
}

function secretText(r: RegionReport): string {
  const s = r.secret;
  return s.state === 'Failed' || s.state === 'missing' ? s.state.toUpperCase() : s.state;
}

function dbText(r: RegionReport): string {
  return r.db.role;
}

function lagText(r: RegionReport): string {
  if (r.db.role !== 'secondary') return '-';
  if (r.db.lagMs === null) return r.db.lagError ? 'unknown (error)' : 'no data';
  return `${r.db.lagMs} ms`;
}

function readinessText(r: RegionReport): string {
  const x = r.readiness;
  if (!x) return '';
  const at = x.at ? ` at ${x.at.toISOString()}` : '';
  if (x.state === 'ready') return `${r.region} READY${at}`;
  if (x.state === 'not-ready') return `${r.region} NOT READY (failed: ${x.failed.join(', ')})${at}`;
  return `${r.region} unknown (${x.error ?? 'no data'})`;
}

function pathText(r: RegionReport): string {
  const p = r.switchPath;
  const acting = p.acting
    .map((a) => (a === 'drain-switch' ? 'drain switch' : 'Route 53 fast path (region check held out)'))
    .join(' + ');
  const r53 =
    p.route53FastPath === null ? ` (Route 53 fast-path state unknown: ${p.route53Error ?? 'no answer'})` : '';
  const state = acting
    ? `kept off by ${acting}`
    : r.switch.state === 'serving'
      ? 'in rotation'
      : `drain switch ${r.switch.state}`;
  return `${r.region} ${state}${r53}`;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** One line per stalled region: UNKNOWN, what it did not answer, how long that was waited for. */
export function stalledText(x: StalledRegion): string {
  return (
    `${x.region} UNKNOWN (stalled): no answer after waiting ${seconds(x.waitedMs)} for ${x.unanswered.join(', ')}` +
    (x.answered
      ? ` (${x.answered} other read${x.answered === 1 ? '' : 's'} answered)`
      : ' (nothing answered)')
  );
}

/** Plain-text report, readable at 3 a.m. */
export function renderStatus(
  s: StatusReport,
  color: boolean,
  payments?: PaymentsReport,
  channels?: ChannelsReport,
): string {
  const p = painter(color);
  const rows = s.regions.map((r) => [
    r.region,
    r.role,
    r.endpoint.summary,
    switchText(r),
    dbText(r),
    lagText(r),
    healthzSummary(r.healthz),
    secretText(r),
    r.canary.state,
  ]);
  const where =
    s.dns.resolvesTo === 'outage'
      ? 'the OUTAGE PAGE'
      : s.dns.resolvesTo === 'unknown'
        ? `unknown (${s.dns.error ?? 'no match'})`
        : `${s.dns.resolvesTo}${s.dns.resolvesTo === s.primaryRegion ? ' (primary)' : ' (standby)'}`;
  const notice =
    s.notice.state === 'active' && s.notice.status
      ? `${s.notice.status.severity} since ${s.notice.status.updatedAt}, next update ${s.notice.status.nextUpdateAt ?? 'not promised'}${s.notice.status.expectedBackAt ? `, expected back ${s.notice.status.expectedBackAt}` : ''}: "${s.notice.status.message.en}"`
      : s.notice.state === 'none'
        ? 'none'
        : `unknown (${s.notice.error ?? 'unreadable'})`;
  const verdictLine = `${s.verdict.toUpperCase()}: ${s.reasons.join('; ')} (exit ${s.exitCode})`;
  return [
    p.bold(`shopctl status  config ${s.config}  ${s.time}`),
    `Public name     ${s.domainName} -> ${where}`,
    `Database        ${s.database.globalClusterId}: writer ${s.database.writerRegion ?? 'unknown'}, status ${s.database.status}${s.database.error ? ` (${s.database.error})` : ''}`,
    `Route 53 API    ${s.route53.reachable ? 'reachable' : `unknown (Route 53 API unreachable): ${s.route53.error}`}`,
    `Canary          public ${s.canary.public.state}, outage page ${s.canary.outage.state}`,
    `Notice          ${notice}`,
    `DB secret       ${s.secret.name} (home ${s.secret.home ?? 'unknown'}): ${s.regions
      .filter((r) => r.secret.state !== 'primary')
      .map((r) => `${r.region} ${r.secret.state}${r.secret.detail ? ` (${r.secret.detail})` : ''}`)
      .join('; ')}`,
    `Readiness       ${
      s.regions
        .map(readinessText)
        .filter((t) => t)
        .join('; ') || 'no standby'
    }`,
    `Switch path     ${s.regions.map(pathText).join('; ')}`,
    ...s.stalled.map((x, i) => `${i === 0 ? 'Stalled         ' : '                '}${stalledText(x)}`),
    ...(payments ? renderPaymentsLines(payments) : []),
    ...(channels ? renderChannelsLines(channels) : []),
    '',
    table(
      [
        'REGION',
        'ROLE',
        'ENDPOINT CHECK',
        'SWITCH (holder:param/alarm)',
        'DB',
        'LAG',
        'HEALTHZ',
        'SECRET',
        'CANARY',
      ],
      rows,
    ),
    '',
    ...s.warnings.map((w) => p.yellow(`warning: ${w}`)),
    s.exitCode === 0 ? p.green(verdictLine) : p.red(verdictLine),
  ].join('\n');
}

export async function statusCommand(d: Deps, opts: { json?: boolean }): Promise<number> {
  let report: StatusReport;
  let payments: PaymentsReport;
  let channels: ChannelsReport | undefined;
  // Every read of every region at once, each call's deadline cut to what is left of the status
  // budget: a stalled region costs the budget once, and what it did not answer is said.
  const watch = new StallWatch();
  const sd = withinTotal(watch.watch(d), d.statusBudgetMs);
  try {
    // Payments and notice channels are shown beside the rest; they do not change the exit code,
    // which says whether customers can reach the shop (`shopctl payments status` and `shopctl
    // channels status` have their own). Channels only when the config has notifications.
    [report, payments, channels] = await Promise.all([
      gatherStatus(sd),
      gatherPayments(sd, { cloudwatch: false }),
      d.config.notifications ? gatherChannels(sd, { cloudwatch: false }) : Promise.resolve(undefined),
    ]);
    report = {
      ...report,
      stalled: watch.stalled([...new Set([...d.config.regions.map((r) => r.name), d.globalRegion])]),
    };
  } catch (e) {
    if (errorKind(e) !== 'credentials') throw e;
    return publicStatus(sd, opts, describeError(e, d.profile));
  }
  d.out(
    opts.json
      ? JSON.stringify({ ...report, payments, ...(channels ? { channels } : {}) }, null, 2)
      : renderStatus(report, d.color, payments, channels),
  );
  return report.exitCode;
}

/**
 * Without credentials, what anyone can see: where the public name resolves (DNS) and each region's
 * /healthz. Exit 3: the AWS side (switches, database, alarms) is unknown.
 */
async function publicStatus(d: Deps, opts: { json?: boolean }, why: string): Promise<number> {
  const [dns, healthz] = await Promise.all([
    whereDoesPublicResolve(d),
    Promise.all(
      d.config.regions.map(async (r) => ({ region: r.name, healthz: await getHealthz(d, r.name) })),
    ),
  ]);
  d.err(why);
  if (opts.json) {
    d.out(JSON.stringify({ credentials: false, dns, regions: healthz }, null, 2));
  } else {
    d.out(`Without credentials, only what is public (AWS state unknown):`);
    d.out(
      `  ${d.config.domainName} resolves to ${dns.resolvesTo}${dns.addresses.length ? ` (${dns.addresses.join(', ')})` : ''}${dns.error ? `: ${dns.error}` : ''}`,
    );
    for (const h of healthz) d.out(`  ${h.region} /healthz: ${healthzSummary(h.healthz)}`);
  }
  return EXIT.unknown;
}
