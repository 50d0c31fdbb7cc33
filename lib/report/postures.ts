/**
 * DR posture of each standby: how long until it serves the primary's full load, and what standing
 * by costs per month, for the configured posture or (`--compare-postures`) for all three side by
 * side. Computed from the config (the posture is a config choice; the templates follow it) and from
 * documented AWS timings, each with its source below.
 */
import { UNKNOWN_PEAK_MAX_MINUTES } from '../capacity/scaler';
import type { ShopConfig } from '../config/load';
import type { Posture } from '../config/schema';
import { HOURS_PER_MONTH } from './cost';
import { priceIn } from './prices';

/** Every posture, cheapest first. */
export const POSTURES: readonly Posture[] = ['pilot-light', 'warm', 'hot'];

/**
 * Timings the model uses, in seconds. Where AWS documents no figure the worst plausible value is
 * used and said so.
 */
export const TIMINGS = {
  /**
   * Surge alarm: one 1-minute datapoint above the threshold, then EventBridge and the scaler
   * Lambda (a few seconds). CloudWatch evaluates 1-minute alarms each minute.
   */
  triggerSeconds: 70,
  /**
   * A pre-initialised, stopped warm-pool instance serves traffic "in as low as 30 seconds"
   * (AWS launch of warm pools, https://www.infoq.com/news/2021/05/aws-warm-pools/ ; concepts:
   * https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-warm-pools.html). We take 60 s.
   */
  warmStartSeconds: 60,
  /**
   * A new instance: AWS publishes no launch time; bootstrap latency "can often be several minutes"
   * (https://aws.amazon.com/blogs/compute/scaling-your-applications-faster-with-ec2-auto-scaling-warm-pools/).
   * Worst case assumed: 240 s (launch, AL2023 boot, shop download and start).
   */
  coldLaunchSeconds: 240,
  /** ALB target group: 2 healthy checks 10 s apart (lib/web/web-tier.ts). */
  targetHealthySeconds: 20,
  /**
   * Raising Aurora Serverless v2 minimum ACU: most scaling events keep the instance on its host and
   * take effect quickly (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2.how-it-works.html);
   * no figure is documented, 30 s assumed.
   */
  acuRaiseSeconds: 30,
} as const;

/** One standby in one posture. */
export interface PostureRow {
  readonly region: string;
  readonly posture: Posture;
  /** The posture the config gives this region. */
  readonly configured: boolean;
  /** Instances in service while the primary serves its normal load (its minimum). */
  readonly inServiceAtRest: number;
  /** Instances in service when the primary is at full load (hot follows it). */
  readonly inServiceAtFullLoad: number;
  readonly warmPool: number;
  /** Instances the primary's full load needs here: min(primary max, this region's max). */
  readonly fullLoadInstances: number;
  /** Share of the full load served at once, and once the warm pool is in service. */
  readonly percentAtOnce: number;
  readonly percentAfterPool: number;
  /** Seconds until the warm pool serves (0 without a pool to draw on). */
  readonly secondsToPool: number;
  /** Seconds from the first minute of traffic to full load (automatic path). */
  readonly secondsToFullLoad: number;
  /** Standing-by cost that depends on the posture: running instances, their and the pool's volumes, the Aurora floor. */
  readonly monthlyUsd: number;
}

/** The unit price in `region` (lib/report/prices.ts: the region's own, or us-east-1's where none was found). */
const price = (key: string, region: string): number => {
  const p = priceIn(key, region);
  if (!p) throw new Error(`no unit price ${key}`);
  return p.usd;
};

/** Secondary Aurora instances per standby (lib/database/secondary-cluster.ts default). */
const SECONDARY_INSTANCES = 2;

/** The row of one standby in one posture. */
export function postureRow(config: ShopConfig, region: string, posture: Posture): PostureRow {
  const rc = config.regions.find((r) => r.name === region);
  if (!rc) throw new Error(`${region} is not a region of the config`);
  const primary = config.regions[0].web;
  // The config's minimum for this region as written (a pilot-light posture forces it to 0).
  const warmMin = rc.posture === 'pilot-light' ? Math.max(1, rc.web.minCapacity) : rc.web.minCapacity;
  const atRestFor = (load: number) =>
    posture === 'pilot-light'
      ? 0
      : posture === 'hot'
        ? Math.max(warmMin, Math.ceil((load * config.capacity.hotPercent) / 100))
        : warmMin;
  const fullLoadInstances = Math.min(primary.maxCapacity, rc.web.maxCapacity);
  const inServiceAtRest = atRestFor(primary.minCapacity);
  const inServiceAtFullLoad = Math.min(fullLoadInstances, atRestFor(primary.maxCapacity));
  const warmPool = rc.web.warmPoolMinSize;

  const missing = Math.max(0, fullLoadInstances - inServiceAtFullLoad);
  const fromPool = Math.min(missing, warmPool);
  const cold = missing - fromPool;
  const web = Math.max(
    fromPool ? TIMINGS.warmStartSeconds + TIMINGS.targetHealthySeconds : 0,
    cold ? TIMINGS.coldLaunchSeconds + TIMINGS.targetHealthySeconds : 0,
  );
  const secondsToFullLoad =
    missing === 0 ? 0 : TIMINGS.triggerSeconds + Math.max(web, TIMINGS.acuRaiseSeconds);

  const ec2 = price(`ec2:${rc.web.instanceType}`, region);
  const monthlyUsd =
    inServiceAtRest * ec2 * HOURS_PER_MONTH +
    (inServiceAtRest + warmPool) * rc.web.rootVolumeGiB * price('ebs', region) +
    SECONDARY_INSTANCES * config.database.minCapacityAcu * price('acu', region) * HOURS_PER_MONTH;
  return {
    region,
    posture,
    configured: rc.posture === posture,
    inServiceAtRest,
    inServiceAtFullLoad,
    warmPool,
    fullLoadInstances,
    percentAtOnce: Math.round((100 * inServiceAtFullLoad) / fullLoadInstances),
    percentAfterPool: Math.round((100 * (inServiceAtFullLoad + fromPool)) / fullLoadInstances),
    secondsToPool: fromPool
      ? TIMINGS.triggerSeconds + TIMINGS.warmStartSeconds + TIMINGS.targetHealthySeconds
      : 0,
    secondsToFullLoad,
    monthlyUsd: Math.round(monthlyUsd * 100) / 100,
  };
}

/** Rows for every standby: its configured posture, or every posture with `compare`. */
export function postureRows(config: ShopConfig, compare = false): PostureRow[] {
  return config.regions
    .filter((r) => r.role === 'standby')
    .flatMap((r) => (compare ? POSTURES : [r.posture]).map((p) => postureRow(config, r.name, p)));
}

/**
 * What stale mirror data costs one standby: while its absorb alarm is in ALARM and no mirrored
 * capacity is known (the mirror never ran or its data expired), the scaler assumes the worst and
 * raises the group's minimum to the region's maximum and the Aurora minimum to the maximum ACU
 * (lambda/scaler/targets.ts `absorbTarget`); after `unknownPeakMaxMinutes`
 * ({@link UNKNOWN_PEAK_MAX_MINUTES}, lib/capacity/scaler.ts) it sizes the floor by the requests the
 * region really receives and returns the ACU floor to the posture (lambda/scaler/index.ts
 * `unknownPeakBound`). The Aurora minimum is a cluster setting, so every instance of the secondary
 * cluster runs at it.
 */
export interface StalePeakRow {
  readonly region: string;
  readonly posture: Posture;
  /** Running instances and ACU floor at the posture, and their cost per hour. */
  readonly postureInstances: number;
  readonly postureAcu: number;
  readonly postureUsdPerHour: number;
  /** The same at the maximum the scaler assumes without data. */
  readonly maxInstances: number;
  readonly maxAcu: number;
  readonly maxUsdPerHour: number;
  /** What the maximum costs above the posture, per hour. */
  readonly extraUsdPerHour: number;
  /** Minutes the scaler holds the maximum without data before it sizes by the local load. */
  readonly boundMinutes: number;
  /** The most one episode of stale data adds: extra per hour × the bound. */
  readonly extraUsdPerEpisode: number;
}

/** The stale-mirror row of one standby (its configured posture). */
export function stalePeakRow(config: ShopConfig, region: string): StalePeakRow {
  const rc = config.regions.find((r) => r.name === region);
  if (!rc) throw new Error(`${region} is not a region of the config`);
  const atRest = postureRow(config, region, rc.posture).inServiceAtRest;
  const ec2 = price(`ec2:${rc.web.instanceType}`, region);
  const acu = price('acu', region);
  const hourly = (instances: number, acuFloor: number) =>
    instances * ec2 + SECONDARY_INSTANCES * acuFloor * acu;
  const round = (x: number) => Math.round(x * 100) / 100;
  const postureUsdPerHour = hourly(atRest, config.database.minCapacityAcu);
  const maxUsdPerHour = hourly(rc.web.maxCapacity, config.database.maxCapacityAcu);
  const extra = maxUsdPerHour - postureUsdPerHour;
  return {
    region,
    posture: rc.posture,
    postureInstances: atRest,
    postureAcu: config.database.minCapacityAcu,
    postureUsdPerHour: round(postureUsdPerHour),
    maxInstances: rc.web.maxCapacity,
    maxAcu: config.database.maxCapacityAcu,
    maxUsdPerHour: round(maxUsdPerHour),
    extraUsdPerHour: round(extra),
    boundMinutes: UNKNOWN_PEAK_MAX_MINUTES,
    extraUsdPerEpisode: round((extra * UNKNOWN_PEAK_MAX_MINUTES) / 60),
  };
}

/** The stale-mirror paragraph and table of the posture section. */
export function renderStalePeak(config: ShopConfig): string[] {
  const rows = config.regions.filter((r) => r.role === 'standby').map((r) => stalePeakRow(config, r.name));
  if (rows.length === 0) return [];
  const usd = (x: number) => `$${x.toFixed(2)}`;
  return [
    '### Stale mirror data: the scaler at its maximum, and its bound',
    '',
    `When a standby's absorb alarm fires and no mirrored capacity is known (the capacity mirror never ran or its data expired), the scaler assumes the worst: the group's minimum goes to the region's maximum and the Aurora minimum to the maximum ACU (a cluster setting: all ${SECONDARY_INSTANCES} instances of the secondary run at it). ` +
      `After ${rows[0].boundMinutes} min of that (UNKNOWN_PEAK_MAX_MINUTES, lib/capacity/scaler.ts) it sizes the floor by the requests the region really receives and returns the ACU floor to the posture, so one episode of stale data adds at most the figure below; target tracking then scales in as the load allows. EC2 and ACU prices of the standby's region where a source was found, else us-east-1's (lib/report/prices.ts; the cost section flags each such line).`,
    '',
    '| standby | posture floor | its cost/hour | at maximum | its cost/hour | extra/hour | held at most | extra per episode |',
    '|---|---|---:|---|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.region} | ${r.postureInstances} instances, ${r.postureAcu} ACU | ${usd(r.postureUsdPerHour)} | ${r.maxInstances} instances, ${r.maxAcu} ACU | ${usd(r.maxUsdPerHour)} | ${usd(r.extraUsdPerHour)} | ${r.boundMinutes} min | ${usd(r.extraUsdPerEpisode)} |`,
    ),
    '',
  ];
}

/** The markdown section appended to the resilience report. */
export function renderPostures(config: ShopConfig, compare = false): string {
  const rows = postureRows(config, compare);
  const t = TIMINGS;
  const table = [
    '| standby | posture | in service at rest | at full load | warm pool | full load | served at once | with the warm pool | time to full load | $/month |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.region} | ${r.posture}${r.configured ? ' (configured)' : ''} | ${r.inServiceAtRest} | ${r.inServiceAtFullLoad} | ${r.warmPool} | ${r.fullLoadInstances} | ${r.percentAtOnce} % | ${r.secondsToPool ? `${r.percentAfterPool} % after ${r.secondsToPool} s` : '-'} | ${r.secondsToFullLoad === 0 ? 'already there' : `${r.secondsToFullLoad} s`} | $${r.monthlyUsd.toFixed(2)} |`,
    ),
  ];
  return [
    `## DR posture${compare ? ': every posture compared' : ''}`,
    '',
    `Time until a standby serves the primary's full load (its maximum, ${config.regions[0].web.maxCapacity} instances) after Route 53 or a person sends the customers there, and the standing-by cost that depends on the posture (running instances, EBS of instances and warm pool, the Aurora secondary's ${SECONDARY_INSTANCES} instances at ${config.database.minCapacityAcu} ACU). ` +
      `Model: the surge alarm and scaler take ${t.triggerSeconds} s; warm-pool instances ${t.warmStartSeconds} s, new instances ${t.coldLaunchSeconds} s (worst case, AWS publishes no launch time), each plus ${t.targetHealthySeconds} s to pass the ALB health check; Aurora min ACU ${t.acuRaiseSeconds} s. ` +
      `A planned \`shopctl failover\` pre-scales before draining, so customers never see the ramp.`,
    '',
    ...table,
    '',
    ...renderStalePeak(config),
  ].join('\n');
}
