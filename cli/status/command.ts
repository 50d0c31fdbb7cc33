import { gatherStatus, RegionReport, StatusReport } from './status';
import { healthzSummary } from '../shop/healthz';
import { painter, table } from '../output/table';
import type { Deps } from '../aws/deps';

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
    .map((a) => (a === 'drain-switch' ? 'drain switch' : 'Route 53 inverted endpoint check'))
    .join(' + ');
  const r53 =
    p.route53Inverted === null ? ` (Route 53 inverted state unknown: ${p.route53Error ?? 'no answer'})` : '';
  const state = acting
    ? `kept off by ${acting}`
    : r.switch.state === 'serving'
      ? 'in rotation'
      : `drain switch ${r.switch.state}`;
  return `${r.region} ${state}${r53}`;
}

/** Plain-text report, readable at 3 a.m. */
export function renderStatus(s: StatusReport, color: boolean): string {
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
      ? `${s.notice.status.severity} since ${s.notice.status.updatedAt}, next update ${s.notice.status.nextUpdateAt ?? 'not promised'}: "${s.notice.status.message.en}"`
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
  const report = await gatherStatus(d);
  d.out(opts.json ? JSON.stringify(report, null, 2) : renderStatus(report, d.color));
  return report.exitCode;
}
