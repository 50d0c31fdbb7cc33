/**
 * The drain switches of the local drill, as synthesized: in every holder region (the shop regions
 * and the edge region) a publisher re-publishes each switch copy it holds as its metric once a
 * (compressed) period, from that region's own switch parameters (the edge region is a holder like
 * the others). A region that is down publishes nothing, and its metrics cannot be read: Route 53
 * then sees that copy as silent. A region that comes back publishes whatever its parameters still
 * say, stale or not.
 */
import type { DrillModel, MetricAlarmSpec, SwitchPublisherSpec } from './model';
import type { Datapoint, MetricSource } from './route53';

const metricKey = (region: string, namespace: string, metric: string, target: string) =>
  `${region}|${namespace}|${metric}|TargetRegion=${target}`;

/** The switch publishers and the metric data they write. */
export class LocalSwitches {
  private readonly data = new Map<string, Datapoint[]>();
  private readonly parameters = new Map<string, 'drained' | 'serving'>();
  private readonly down = new Set<string>();
  private readonly skipping = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private readonly publishers: SwitchPublisherSpec[];
  private readonly periodMs: number;

  constructor(
    model: DrillModel,
    timeScale: number,
    private readonly now: () => number = Date.now,
  ) {
    this.publishers = Object.values(model.switchPublishers);
    // the publisher runs every minute (lib/failover/drain-switch.ts), never slower than an alarm period
    const periods = Object.values(model.metricAlarms).map((a) => a.periodSeconds);
    this.periodMs = (Math.min(60, ...periods) * 1000) / timeScale;
  }

  /** Publishes at once, then once a period (the publisher's one-minute schedule, compressed). */
  start(): void {
    const tick = () => {
      this.publishAll(true);
      this.timer = setTimeout(tick, this.periodMs);
    };
    tick();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  /** `shopctl failover`'s write in one holder: its parameter for `target`, and a datapoint at once. */
  set(holder: string, target: string, value: 'drained' | 'serving'): void {
    this.parameters.set(`${holder}/${target}`, value);
    this.publishAll();
  }

  /**
   * The next `runs` scheduled runs of `region`'s publisher do not happen (a late or failed Lambda
   * run): its metrics stay readable but get no datapoint for those periods.
   */
  skipRuns(region: string, runs: number): void {
    this.skipping.set(region, runs);
  }

  /** Whether `region` answers (its parameters can be written, its metrics read). */
  isUp(region: string): boolean {
    return !this.down.has(region);
  }

  /**
   * A value left in a holder's parameters while it cannot be reached (an earlier drain that a later
   * undrain could not undo there): nothing is published until the region is up again.
   */
  leave(holder: string, target: string, value: 'drained' | 'serving'): void {
    this.parameters.set(`${holder}/${target}`, value);
  }

  /** A region going down (nothing published or readable there) or coming back. */
  setRegionUp(region: string, up: boolean): void {
    if (up) this.down.delete(region);
    else this.down.add(region);
  }

  /** The data Route 53 reads for an alarm: none when its region is down. */
  readonly metrics: MetricSource = (alarm: MetricAlarmSpec) => {
    if (this.down.has(alarm.region)) return [];
    const target = alarm.dimensions.TargetRegion;
    return this.data.get(metricKey(alarm.region, alarm.namespace, alarm.metricName, target)) ?? [];
  };

  private drained(region: string, target: string): boolean {
    return this.parameters.get(`${region}/${target}`) === 'drained';
  }

  private publishAll(scheduled = false): void {
    const at = this.now();
    for (const p of this.publishers) {
      if (this.down.has(p.region)) continue;
      const skip = this.skipping.get(p.region) ?? 0;
      if (scheduled && skip > 0) {
        this.skipping.set(p.region, skip - 1);
        continue;
      }
      for (const target of p.targets) {
        const key = metricKey(p.region, p.namespace, p.metricName, target);
        const series = this.data.get(key) ?? [];
        series.push({ at, value: this.drained(p.region, target) ? 1 : 0 });
        // keep what any alarm window can still see
        while (series.length > 0 && at - series[0].at > 20 * this.periodMs) series.shift();
        this.data.set(key, series);
      }
    }
  }
}
