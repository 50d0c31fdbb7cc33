import { AlarmView, consensusAlarms } from './alarms';
import { describeGlobalDb, GlobalDbState, replicationLagMs } from '../database/database';
import { DnsView, whereDoesPublicResolve } from './dns';
import { describeError, errorKind, EXIT } from '../aws/errors';
import { FastPathView, readFastPath } from '../failover/fastSwitch';
import { CheckStatus, endpointStatuses, R53_UNKNOWN } from '../failover/healthchecks';
import { NoticeView, readNotice } from '../notice/notice';
import { getHealthz, healthzSummary, HealthzView } from '../shop/healthz';
import { PublishedReadiness, readPublishedReadiness } from '../readiness/readiness';
import { readSecretReplication, SecretRegionView, SecretView } from '../database/secret';
import { readSwitch, SwitchState } from '../failover/switch';
import type { Deps } from '../aws/deps';

export interface RegionReport {
  readonly region: string;
  readonly role: 'primary' | 'standby';
  readonly endpoint: CheckStatus;
  readonly switch: SwitchState;
  readonly db: {
    readonly role: 'writer' | 'secondary' | 'unknown';
    readonly lagMs: number | null;
    readonly lagError?: string;
  };
  readonly canary: AlarmView;
  readonly healthz: HealthzView;
  /** This region's copy of the database master secret (ReplicationStatus for a replica). */
  readonly secret: SecretRegionView;
  /** Failover readiness as the scheduled check last published it (standbys only). */
  readonly readiness?: PublishedReadiness;
  /** Which switch paths act on this region now (#14 item 6), and the Route 53 fast-path state read. */
  readonly switchPath: SwitchPathView;
}

/** What keeps customers off a region: the data-plane drain switch and/or the fast path (region check held out). */
export interface SwitchPathView {
  /** Paths acting now; empty when the region is in rotation. */
  readonly acting: readonly ('drain-switch' | 'route53-fast-path')[];
  /** The region check held out by the fast path (null: Route 53 did not answer, see `route53Error`). */
  readonly route53FastPath: boolean | null;
  /** The region check held in (always healthy) by a failback that stopped before restoring it. */
  readonly route53HeldIn?: true;
  readonly route53Error?: string;
}

/**
 * `at-risk`: customers are served normally, but no standby answers, so there is no way out if the
 * serving region fails next.
 */
export type Verdict = 'normal' | 'at-risk' | 'failed-over' | 'affected' | 'unknown';

export interface StatusReport {
  readonly time: string;
  readonly config: string;
  readonly domainName: string;
  readonly primaryRegion: string;
  readonly route53: { readonly reachable: boolean; readonly error?: string };
  readonly dns: DnsView;
  readonly database: {
    readonly globalClusterId: string;
    readonly status: string;
    readonly writerRegion: string | null;
    readonly error?: string;
  };
  readonly canary: { readonly public: AlarmView; readonly outage: AlarmView };
  readonly notice: NoticeView;
  readonly secret: Omit<SecretView, 'regions'>;
  readonly regions: readonly RegionReport[];
  /** Problems that do not affect customers now but would break a failover. */
  readonly warnings: readonly string[];
  readonly verdict: Verdict;
  readonly reasons: readonly string[];
  readonly exitCode: number;
}

const UNKNOWN_ALARM: AlarmView = { state: 'unknown', alarmIn: [] };

async function dbState(d: Deps, order: readonly string[]): Promise<{ db?: GlobalDbState; error?: string }> {
  try {
    return { db: await describeGlobalDb(d, order) };
  } catch (e) {
    if (errorKind(e) === 'credentials' || errorKind(e) === 'interrupted') throw e;
    return { error: describeError(e, d.profile) };
  }
}

async function lagOf(d: Deps, region: string): Promise<{ lagMs: number | null; lagError?: string }> {
  try {
    return { lagMs: await replicationLagMs(d, region) };
  } catch (e) {
    return { lagMs: null, lagError: describeError(e, d.profile) };
  }
}

/**
 * The published readiness of `region`, read from its own CloudWatch, else from the next region that
 * answers (the readiness check publishes into every region).
 */
async function readinessOf(d: Deps, region: string, order: readonly string[]): Promise<PublishedReadiness> {
  let last: PublishedReadiness | undefined;
  for (const from of [region, ...order.filter((r) => r !== region)]) {
    last = await readPublishedReadiness(d, region, from);
    // "nothing published" is an answer; an error is not: ask the next region
    if (last.state !== 'unknown' || !last.error || last.error.startsWith('no readiness published'))
      return last;
  }
  return last as PublishedReadiness;
}

function switchPath(sw: SwitchState, inv: FastPathView | undefined): SwitchPathView {
  const acting: SwitchPathView['acting'][number][] = [];
  if (sw.state === 'drained') acting.push('drain-switch');
  if (inv?.held) acting.push('route53-fast-path');
  return {
    acting,
    route53FastPath: inv?.held ?? null,
    ...(inv?.heldIn ? { route53HeldIn: true as const } : {}),
    ...(inv?.error ? { route53Error: inv.error } : {}),
  };
}

/** Gathers every section; each degrades to "unknown" on its own, so one dead API never hides the rest. */
export async function gatherStatus(d: Deps): Promise<StatusReport> {
  const order = d.config.regions.map((r) => r.name);
  const standbys = d.config.regions.filter((r) => r.role === 'standby').map((r) => r.name);
  const [checks, dns, dbRes, alarms, notice, switches, healthz, secret, readiness] = await Promise.all([
    endpointStatuses(d, order).then(async (c) => ({
      ...c,
      fastPath: await readFastPath(d, c.ids, order),
    })),
    whereDoesPublicResolve(d),
    dbState(d, order),
    consensusAlarms(d),
    readNotice(d),
    Promise.all(order.map((r) => readSwitch(d, r, true))),
    Promise.all(order.map((r) => getHealthz(d, r))),
    readSecretReplication(d),
    Promise.all(standbys.map((r) => readinessOf(d, r, order))),
  ]);
  const writer = dbRes.db?.writerRegion ?? null;
  const lags = await Promise.all(
    order.map((r) => (dbRes.db && writer && r !== writer ? lagOf(d, r) : Promise.resolve({ lagMs: null }))),
  );
  const regions: RegionReport[] = d.config.regions.map((rc, i) => ({
    region: rc.name,
    role: rc.role,
    endpoint: checks.byRegion.get(rc.name) ?? {
      state: 'unknown',
      healthy: 0,
      total: 0,
      summary: R53_UNKNOWN,
    },
    switch: switches[i],
    db: { role: !dbRes.db ? 'unknown' : writer === rc.name ? 'writer' : 'secondary', ...lags[i] },
    canary: alarms.byTarget.get(rc.name) ?? UNKNOWN_ALARM,
    healthz: healthz[i],
    secret: secret.regions[i],
    ...(standbys.includes(rc.name) ? { readiness: readiness[standbys.indexOf(rc.name)] } : {}),
    switchPath: switchPath(switches[i], checks.fastPath.get(rc.name)),
  }));
  const warnings = secret.regions
    .filter((s) => s.state === 'Failed' || s.state === 'missing')
    .map(
      (s) =>
        `the database secret's replica in ${s.region} is ${s.state === 'Failed' ? 'FAILED' : 'MISSING'}` +
        `${s.detail ? ` (${s.detail})` : ''}: the shop there cannot read its credentials, so a failover to ${s.region} would not serve`,
    );
  for (const r of regions) {
    if (r.readiness?.state === 'not-ready') {
      warnings.push(
        `a failover to ${r.region} would not succeed now: readiness NOT READY (failed: ${r.readiness.failed.join(', ') || 'unnamed'}); run "npx shopctl check --target ${r.region}" for details`,
      );
    }
    if (r.switchPath.route53HeldIn) {
      warnings.push(
        `the region health check of ${r.region} is held in (always healthy, left by a failback that did not finish): Route 53 sends customers to ${r.region} even if it fails; "npx shopctl failback" restores it`,
      );
    }
    if (r.switchPath.route53FastPath && r.switch.state !== 'drained') {
      warnings.push(
        `the region health check of ${r.region} is held out (fast path) while its drain switch is ${r.switch.state}: Route 53 keeps customers off ${r.region}; "npx shopctl failback" restores it`,
      );
    }
  }
  const base = {
    time: d.now().toISOString(),
    config: d.config.configName,
    domainName: d.config.domainName,
    primaryRegion: d.config.primaryRegion,
    route53: checks.error
      ? { reachable: false, error: describeError(checks.error, d.profile) }
      : { reachable: true },
    dns,
    database: {
      globalClusterId: d.names.globalClusterId(),
      status: dbRes.db?.status ?? 'unknown',
      writerRegion: writer,
      ...(dbRes.error ? { error: dbRes.error } : {}),
    },
    canary: {
      public: alarms.byTarget.get('public') ?? UNKNOWN_ALARM,
      outage: alarms.byTarget.get('outage') ?? UNKNOWN_ALARM,
    },
    notice,
    secret: { name: secret.name, home: secret.home },
    regions,
    warnings,
  };
  return { ...base, ...judge(d, base.dns, regions, alarms.byTarget) };
}

/** Decides the verdict and exit code: 0 normal, 1 failed over or customers affected, 3 unknown. */
export function judge(
  d: Deps,
  dns: DnsView,
  regions: readonly RegionReport[],
  alarms: ReadonlyMap<string, AlarmView>,
): { verdict: Verdict; reasons: string[]; exitCode: number } {
  const reasons: string[] = [];
  for (const [target, a] of alarms) {
    if (a.state === 'ALARM') {
      reasons.push(
        `canary consensus alarm ${d.names.canaryConsensusAlarm(target)} is in ALARM (${a.alarmIn.join(', ')})`,
      );
    }
  }
  if (dns.resolvesTo === 'outage') reasons.push(`${d.config.domainName} resolves to the outage page`);
  const serving = regions.find((r) => r.region === dns.resolvesTo);
  if (serving && !(serving.healthz.status === 200 && serving.healthz.mode === 'read-write')) {
    reasons.push(`${d.config.domainName} is on ${serving.region}, which is not serving read-write`);
  }
  if (reasons.length > 0) return { verdict: 'affected', reasons, exitCode: EXIT.affected };
  if (!serving) {
    return {
      verdict: 'unknown',
      reasons: [`could not tell where ${d.config.domainName} resolves (${dns.error ?? 'unknown'})`],
      exitCode: EXIT.unknown,
    };
  }
  if (serving.region !== d.config.primaryRegion) {
    return {
      verdict: 'failed-over',
      reasons: [
        `customers are served read-write by standby ${serving.region}, not the primary ${d.config.primaryRegion}`,
      ],
      exitCode: EXIT.affected,
    };
  }
  const standbys = regions.filter((r) => r.region !== serving.region);
  const gone = standbys.filter((r) => r.healthz.status !== 200);
  if (standbys.length > 0 && gone.length === standbys.length) {
    return {
      verdict: 'at-risk',
      reasons: [
        `customers are served read-write by the primary ${serving.region}, but no standby answers ` +
          `(${gone.map((r) => `${r.region}: ${healthzSummary(r.healthz)}`).join('; ')}): there is no failover target if ${serving.region} fails`,
      ],
      exitCode: EXIT.affected,
    };
  }
  return {
    verdict: 'normal',
    reasons: [`customers are served read-write by the primary ${serving.region}`],
    exitCode: EXIT.ok,
  };
}
