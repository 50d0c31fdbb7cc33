/**
 * A local Route 53: health checkers that probe local endpoints with the synthesized checks'
 * interval, failure threshold and search string; the 18 % rule over all checkers; CLOUDWATCH_METRIC
 * and CALCULATED checks; ALB target health for `EvaluateTargetHealth`; the failover records
 * answered in chain order; and caching resolvers that honour the answer's TTL.
 *
 * Time is compressed by `timeScale` (10 = ten times faster): every interval and TTL is divided.
 *
 * Sources:
 * - 18 % rule, checkers uncoordinated, 4 s connect + 2 s response, string in the first 5,120 bytes,
 *   failure threshold = consecutive checks of ONE checker:
 *   https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html
 * - Record choice with health checks and EvaluateTargetHealth:
 *   https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-how-route-53-chooses-records.html
 * - Alias to an ALB answers with a fixed 60 s TTL (lib/report/failover-time.ts cites it).
 * - CLOUDWATCH_METRIC checks evaluate the alarm's metric with the alarm's settings as copied when the
 *   check was created (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-creating-deleting.html)
 *   and report `InsufficientDataHealthStatus` when CloudWatch has insufficient data
 *   (https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/route53/aws.sdk.kotlin.services.route53.model/-health-check-config/insufficient-data-health-status.html).
 * - M of N with missing data `missing`: existing datapoints decide; only an evaluation range with no
 *   datapoint at all is INSUFFICIENT_DATA:
 *   https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html
 * - What Route 53 copies from an alarm (CloudWatchAlarmConfiguration): metric, namespace,
 *   dimensions, statistic, period, EvaluationPeriods, threshold and comparison; no DatapointsToAlarm
 *   and no TreatMissingData
 *   (https://docs.aws.amazon.com/Route53/latest/APIReference/API_CloudWatchAlarmConfiguration.html).
 *   How it counts breaching periods is not documented: the evaluator reads an alarm either as "1 of
 *   N" or as "N of N" ({@link AlarmReading}), and a period without data never breaches.
 * Route 53 re-reads the stream about once a minute; the local one reads it whenever asked (a
 * drain or an undrain is seen up to a minute earlier than in AWS).
 * The docs do not say how many checkers run per region; `checkersPerRegion` (default 3) is a guess,
 * and only matters for partial failures (the 18 % threshold is over all of them).
 */
import { ALB_ALIAS_TTL_SECONDS } from '../../lib/report/failover-time';
import {
  alarmKey,
  type AliasTarget,
  type CheckSpec,
  type DrillModel,
  type EndpointCheckSpec,
  type MetricAlarmSpec,
  type RecordSpec,
  type TargetGroupSpec,
} from './model';

/** Share of checkers that must report healthy, strictly exceeded (Route 53: "more than 18 %"). */
export const HEALTHY_CHECKER_SHARE = 0.18;

/** Bytes of the body Route 53 searches for the string. */
export const SEARCH_WINDOW_BYTES = 5120;

/** Result of one checker's request. */
export interface ProbeResult {
  readonly ok: boolean;
  readonly reason?: string;
}

/** Judges an HTTP(S) health check response as one Route 53 checker does. */
export function judgeResponse(
  spec: Pick<EndpointCheckSpec, 'type' | 'searchString'>,
  status: number,
  body: string,
): ProbeResult {
  if (status < 200 || status > 399) return { ok: false, reason: `HTTP ${status}` };
  if (spec.type.endsWith('STR_MATCH')) {
    const window = Buffer.from(body, 'utf8').subarray(0, SEARCH_WINDOW_BYTES).toString('utf8');
    if (!window.includes(spec.searchString ?? '')) return { ok: false, reason: 'search string not found' };
  }
  return { ok: true };
}

/** Route 53's verdict from its checkers' views: healthy while MORE than 18 % report healthy. */
export function aggregate(healthyCheckers: number, totalCheckers: number): boolean {
  return totalCheckers > 0 && healthyCheckers / totalCheckers > HEALTHY_CHECKER_SHARE;
}

/** One checker's view: it flips after `threshold` consecutive results that disagree with it. */
export class CheckerView {
  private streak = 0;
  constructor(
    private readonly threshold: number,
    public healthy = true,
  ) {}

  record(ok: boolean): void {
    if (ok === this.healthy) {
      this.streak = 0;
      return;
    }
    this.streak++;
    if (this.streak >= this.threshold) {
      this.healthy = ok;
      this.streak = 0;
    }
  }
}

export type AlarmMetricState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** One metric datapoint (`at` in local milliseconds). */
export interface Datapoint {
  readonly at: number;
  readonly value: number;
}

/** Where CLOUDWATCH_METRIC checks read an alarm's metric; a region that cannot be read gives none. */
export type MetricSource = (alarm: MetricAlarmSpec) => readonly Datapoint[];

const STATISTICS: Record<MetricAlarmSpec['statistic'], (v: number[]) => number> = {
  Maximum: (v) => Math.max(...v),
  Minimum: (v) => Math.min(...v),
  Sum: (v) => v.reduce((a, b) => a + b, 0),
  Average: (v) => v.reduce((a, b) => a + b, 0) / v.length,
};

function breaches(a: MetricAlarmSpec, v: number): boolean {
  switch (a.comparison) {
    case 'GreaterThanOrEqualToThreshold':
      return v >= a.threshold;
    case 'GreaterThanThreshold':
      return v > a.threshold;
    case 'LessThanThreshold':
      return v < a.threshold;
    default:
      return v <= a.threshold;
  }
}

/**
 * The state of an M-of-N alarm over `datapoints` at `now`: the last `evaluationPeriods` periods
 * (compressed by `timeScale`, the current one included), each reduced by the alarm's statistic.
 * ALARM when at least `datapointsToAlarm` periods breach (missing ones counted as the alarm's
 * TreatMissingData says); with `missing`, INSUFFICIENT_DATA only when no period has a datapoint.
 */
export function evaluateAlarm(
  a: MetricAlarmSpec,
  datapoints: readonly Datapoint[],
  now: number,
  timeScale: number,
): AlarmMetricState {
  const periodMs = (a.periodSeconds * 1000) / timeScale;
  const current = Math.floor(now / periodMs);
  const buckets = new Map<number, number[]>();
  for (const d of datapoints) {
    const b = Math.floor(d.at / periodMs);
    if (b > current - a.evaluationPeriods && b <= current)
      buckets.set(b, [...(buckets.get(b) ?? []), d.value]);
  }
  const missing = a.evaluationPeriods - buckets.size;
  if (buckets.size === 0 && a.treatMissingData === 'missing') return 'INSUFFICIENT_DATA';
  let breaching = [...buckets.values()].filter((v) => breaches(a, STATISTICS[a.statistic](v))).length;
  if (a.treatMissingData === 'breaching') breaching += missing;
  return breaching >= a.datapointsToAlarm ? 'ALARM' : 'OK';
}

/**
 * How Route 53 counts the breaching periods of an alarm it copied without DatapointsToAlarm: any one
 * of the EvaluationPeriods (`one-of-n`), or all of them (`all-of-n`). The docs do not say; the drain
 * switches must behave the same either way.
 */
export type AlarmReading = 'one-of-n' | 'all-of-n';

/** The alarm as Route 53 evaluates it under `reading`: its copy has no DatapointsToAlarm nor TreatMissingData. */
export function asRoute53Reads(a: MetricAlarmSpec, reading: AlarmReading): MetricAlarmSpec {
  return {
    ...a,
    datapointsToAlarm: reading === 'one-of-n' ? 1 : a.evaluationPeriods,
    treatMissingData: 'missing',
  };
}

export interface Route53Options {
  readonly model: DrillModel;
  /** Time compression factor (10 = intervals and TTLs ten times shorter). */
  readonly timeScale: number;
  /** One checker's request to an endpoint check, from `checkerRegion`. */
  readonly probe: (
    check: EndpointCheckSpec,
    checkerRegion: string,
    timeoutMs: number,
  ) => Promise<ProbeResult>;
  /** One ALB health check request to the target of `region`; resolves to the HTTP status (0: no answer). */
  readonly albProbe: (region: string, spec: TargetGroupSpec, timeoutMs: number) => Promise<number>;
  /** The metric data behind the alarms that CLOUDWATCH_METRIC checks read; default: none at all. */
  readonly metrics?: MetricSource;
  /** How Route 53 counts breaching periods (see {@link AlarmReading}). @default 'one-of-n' */
  readonly alarmReading?: AlarmReading;
  readonly checkersPerRegion?: number;
  readonly now?: () => number;
  /** Called whenever a health check or an ALB changes status. */
  readonly onChange?: (what: string, healthy: boolean, at: number) => void;
}

/** What a DNS query for a name returns. */
export interface Answer {
  readonly target: Exclude<AliasTarget, { kind: 'name' }>;
  readonly ttlSeconds: number;
  /** Records followed, for the report. */
  readonly via: readonly string[];
}

/** A child of a CALCULATED check that was unhealthy, for the drill's account of why a region went out. */
export interface UnhealthyChild {
  readonly id: string;
  readonly kind: CheckSpec['kind'];
  /** `endpoint <fqdn><path>`, `switch <alarm> in <region>`, or `calculated <id>`. */
  readonly label: string;
}

/** The direct children of a CALCULATED check that `route53` counts as unhealthy now (none for other kinds). */
export function unhealthyChildren(model: DrillModel, route53: LocalRoute53, id: string): UnhealthyChild[] {
  const c = model.checks[id];
  if (c?.kind !== 'calculated') return [];
  return c.children
    .filter((child) => !route53.checkHealthy(child))
    .map((child) => {
      const k = model.checks[child];
      const label =
        k.kind === 'endpoint'
          ? `endpoint ${k.fqdn}${k.path}`
          : k.kind === 'metric'
            ? `switch ${k.alarmName} in ${k.alarmRegion}`
            : `calculated ${child}`;
      return { id: child, kind: k.kind, label };
    });
}

/** Route 53 health checking and failover answers over local endpoints. */
export class LocalRoute53 {
  private readonly views = new Map<string, CheckerView[]>();
  private readonly albs = new Map<string, CheckerView>();
  private readonly lastStatus = new Map<string, boolean>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly metricLast = new Map<string, boolean>();
  private running = false;
  private readonly now: () => number;

  constructor(private readonly o: Route53Options) {
    this.now = o.now ?? Date.now;
    for (const c of Object.values(o.model.checks)) {
      if (c.kind !== 'endpoint') continue;
      const regions = c.checkerRegions.length ? c.checkerRegions : ['default-1', 'default-2', 'default-3'];
      const views: CheckerView[] = [];
      for (let i = 0; i < regions.length * (o.checkersPerRegion ?? 3); i++)
        views.push(new CheckerView(c.failureThreshold));
      this.views.set(c.id, views);
    }
    for (const tg of Object.values(o.model.targetGroups)) this.albs.set(tg.region, new CheckerView(1));
  }

  /** Starts every checker, each with its own phase (Route 53 checkers do not coordinate). */
  start(): void {
    this.running = true;
    for (const c of Object.values(this.o.model.checks)) {
      if (c.kind !== 'endpoint') continue;
      const views = this.views.get(c.id)!;
      const regions = c.checkerRegions.length ? c.checkerRegions : ['default-1', 'default-2', 'default-3'];
      const intervalMs = (c.intervalSeconds * 1000) / this.o.timeScale;
      // Not compressed: a slow answer on a busy machine must not pass for an outage. Route 53
      // allows 4 s to connect and 2 s to answer; a local connect is immediate, so 2 s.
      const timeoutMs = 2000;
      views.forEach((view, i) => {
        const region = regions[i % regions.length];
        this.loop(intervalMs, (i / views.length) * intervalMs, async () => {
          const r = await this.o.probe(c, region, timeoutMs);
          view.record(r.ok);
        });
      });
    }
    for (const tg of Object.values(this.o.model.targetGroups)) {
      const view = this.albs.get(tg.region)!;
      const intervalMs = (tg.intervalSeconds * 1000) / this.o.timeScale;
      let good = 0;
      let bad = 0;
      this.loop(intervalMs, 0, async () => {
        const status = await this.o.albProbe(tg.region, tg, tg.timeoutSeconds * 1000);
        if (tg.matcher.includes(status)) {
          good++;
          bad = 0;
        } else {
          bad++;
          good = 0;
        }
        if (!view.healthy && good >= tg.healthyThreshold) view.healthy = true;
        if (view.healthy && bad >= tg.unhealthyThreshold) view.healthy = false;
      });
    }
    this.loop(50, 0, async () => this.publishChanges());
  }

  stop(): void {
    this.running = false;
    for (const t of this.timers) clearTimeout(t);
  }

  private loop(intervalMs: number, offsetMs: number, body: () => Promise<void>): void {
    // Fixed cadence: a slow probe delays only itself, not the checker's next request.
    const tick = () => {
      if (!this.running) return;
      const started = Date.now();
      void body()
        .catch(() => undefined)
        .finally(() => {
          if (this.running)
            this.timers.push(setTimeout(tick, Math.max(0, intervalMs - (Date.now() - started))));
        });
    };
    this.timers.push(setTimeout(tick, offsetMs));
  }

  private publishChanges(): void {
    const at = this.now();
    const report = (what: string, healthy: boolean) => {
      if (this.lastStatus.get(what) !== healthy) {
        this.lastStatus.set(what, healthy);
        this.o.onChange?.(what, healthy, at);
      }
    };
    for (const id of Object.keys(this.o.model.checks)) report(id, this.checkHealthy(id));
    for (const region of this.albs.keys()) report(`alb:${region}`, this.albHealthy(region));
  }

  /** Status of a health check, now. */
  checkHealthy(id: string): boolean {
    const c = this.o.model.checks[id];
    let healthy: boolean;
    if (c.kind === 'endpoint') {
      const views = this.views.get(id)!;
      healthy = aggregate(views.filter((v) => v.healthy).length, views.length);
    } else if (c.kind === 'metric') {
      const alarm = this.o.model.metricAlarms[alarmKey(c.alarmRegion, c.alarmName)];
      const state = evaluateAlarm(
        asRoute53Reads(alarm, this.o.alarmReading ?? 'one-of-n'),
        this.o.metrics?.(alarm) ?? [],
        this.now(),
        this.o.timeScale,
      );
      const last = this.metricLast.get(id) ?? true;
      healthy =
        state === 'OK'
          ? true
          : state === 'ALARM'
            ? false
            : c.insufficientData === 'Healthy'
              ? true
              : c.insufficientData === 'Unhealthy'
                ? false
                : last;
      this.metricLast.set(id, healthy);
    } else {
      const up = c.children.filter((child) => this.checkHealthy(child)).length;
      healthy = up >= c.threshold;
    }
    return c.inverted ? !healthy : healthy;
  }

  albHealthy(region: string): boolean {
    return this.albs.get(region)?.healthy ?? false;
  }

  private recordHealthy(r: RecordSpec, depth: number): boolean {
    if (r.healthCheckId && !this.checkHealthy(r.healthCheckId)) return false;
    if (!r.evaluateTargetHealth) return true;
    const a = r.alias;
    if (a.kind === 'alb') return this.albHealthy(a.region);
    // CloudFront cannot report health: Route 53 treats it as healthy.
    if (a.kind === 'cloudfront') return true;
    return this.nameHealthy(a.name, depth + 1);
  }

  private nameHealthy(name: string, depth: number): boolean {
    const group = this.o.model.records.filter((r) => r.name === name);
    return group.some((r) => this.recordHealthy(r, depth));
  }

  /** Answers a query for `name` as Route 53 would now. */
  resolve(name: string, depth = 0, via: string[] = []): Answer {
    if (depth > 10) throw new Error(`alias loop at ${name}`);
    const key = name.replace(/\.$/, '').toLowerCase();
    const group = this.o.model.records.filter((r) => r.name === key);
    if (group.length === 0) throw new Error(`NXDOMAIN: no record ${key}`);
    const primary = group.find((r) => r.failover === 'PRIMARY');
    const secondary = group.find((r) => r.failover === 'SECONDARY');
    const ordered = primary ? [primary, ...(secondary ? [secondary] : [])] : group;
    // With every record of a failover pair unhealthy Route 53 still answers; the primary is the
    // worst case for customers (it is the one that is down), so the drill answers with it.
    const chosen = ordered.find((r) => this.recordHealthy(r, depth)) ?? ordered[0];
    const path = [...via, `${key}${chosen.failover ? ` ${chosen.failover}` : ''}`];
    if (chosen.alias.kind === 'name') return this.resolve(chosen.alias.name, depth + 1, path);
    return { target: chosen.alias, ttlSeconds: ALB_ALIAS_TTL_SECONDS, via: path };
  }
}

/** A recursive resolver with a cache: answers stay until their (compressed) TTL expires. */
export class CachingResolver {
  private readonly cache = new Map<string, { answer: Answer; expires: number }>();

  constructor(
    private readonly route53: Pick<LocalRoute53, 'resolve'>,
    private readonly timeScale: number,
    private readonly now: () => number = Date.now,
  ) {}

  lookup(name: string): Answer {
    const key = name.toLowerCase();
    const hit = this.cache.get(key);
    const t = this.now();
    if (hit && hit.expires > t) return hit.answer;
    const answer = this.route53.resolve(key);
    this.cache.set(key, { answer, expires: t + (answer.ttlSeconds * 1000) / this.timeScale });
    return answer;
  }
}
