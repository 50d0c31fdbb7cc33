/**
 * Clients of the local drill: a `fetch` that resolves names through a caching resolver (as a
 * customer's ISP resolver or the canary's would), the checkout load (customers who browse, add to
 * cart and buy, retrying a failed checkout of the same cart), and the local CloudWatch the real
 * canary handler publishes its verdicts to, with the canary alarms evaluated from the templates.
 */
import type { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { MODE_HEADER, PAGE_MARKER, REGION_HEADER } from '../../lib/contract/shop';
import type { Answer, CachingResolver } from './route53';
import type { CanaryAlarmSpec, PagingAlarmSpec } from './model';

export type FetchFn = typeof globalThis.fetch;

/** Port of the local endpoint behind a DNS answer (a region's shop, or the outage page server). */
export type EndpointPorts = (target: Answer['target']) => number | undefined;

/** A fetch that sends `https://name/...` to the local endpoint the resolver answers for `name`. */
export function resolvingFetch(resolver: Pick<CachingResolver, 'lookup'>, ports: EndpointPorts): FetchFn {
  return async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const answer = resolver.lookup(url.hostname);
    const port = ports(answer.target);
    if (port === undefined) throw new TypeError(`fetch failed: ${url.hostname} has no local endpoint`);
    return fetch(`http://127.0.0.1:${port}${url.pathname}${url.search}`, init);
  };
}

/** What one customer request achieved. */
export type Outcome = 'page' | 'browse' | 'buy';

export interface Sample {
  readonly at: number;
  readonly worker: number;
  readonly what: Outcome;
  readonly ok: boolean;
  /** Why it failed (HTTP status or error), for the drill's diagnostics. */
  readonly detail?: string;
}

export interface LoadOptions {
  readonly publicName: string;
  readonly workers: number;
  readonly fetchFor: (worker: number) => FetchFn;
  /** Pause between two customer journeys of one worker. */
  readonly pauseMs: number;
  readonly requestTimeoutMs: number;
  readonly outageMarker: string;
}

/** The running checkout load. */
export class CheckoutLoad {
  readonly samples: Sample[] = [];
  /** Orders the shop acknowledged (201 with an order id), with the time and the cart. */
  readonly acknowledged: { orderId: string; cartId: string; at: number }[] = [];
  /** Carts whose checkout answered 409 "already checked out" after a failed attempt: committed, never acknowledged. */
  readonly unacknowledgedCommits: string[] = [];
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(private readonly o: LoadOptions) {}

  start(): void {
    this.running = true;
    this.loops = Array.from({ length: this.o.workers }, (_, i) => this.worker(i));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async worker(i: number): Promise<void> {
    const f = this.o.fetchFor(i);
    const base = `https://${this.o.publicName}`;
    let pendingCart: string | undefined;
    const call = async (path: string, init: RequestInit = {}) => {
      const res = await f(base + path, { ...init, signal: AbortSignal.timeout(this.o.requestTimeoutMs) });
      return {
        status: res.status,
        text: await res.text(),
        region: res.headers.get(REGION_HEADER),
        mode: res.headers.get(MODE_HEADER),
      };
    };
    const json = (body: unknown) => ({
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    });
    while (this.running) {
      const record = (what: Outcome, ok: boolean, detail?: string) =>
        this.samples.push({ at: Date.now(), worker: i, what, ok, ...(detail !== undefined && { detail }) });
      try {
        const page = await call('/products/1');
        const shopPage = page.status === 200 && page.text.includes(PAGE_MARKER);
        const outagePage = page.text.includes(this.o.outageMarker);
        const answer = describeAnswer(page.status, page.region, page.text, this.o.outageMarker);
        record('page', shopPage || outagePage, shopPage || outagePage ? undefined : answer);
        record('browse', shopPage, shopPage ? undefined : answer);
        if (shopPage) {
          let cartAnswer = 'no cart';
          if (!pendingCart) {
            const cart = await call('/cart', json({ productId: 1, quantity: 1 }));
            if (cart.status === 201) pendingCart = JSON.parse(cart.text).cartId;
            else cartAnswer = `cart HTTP ${cart.status}${cart.mode ? ` ${cart.mode}` : ''}`;
          }
          if (pendingCart) {
            const out = await call('/checkout', json({ cartId: pendingCart }));
            if (out.status === 201) {
              this.acknowledged.push({
                orderId: JSON.parse(out.text).orderId,
                cartId: pendingCart,
                at: Date.now(),
              });
              pendingCart = undefined;
              record('buy', true);
            } else {
              record('buy', false, `checkout HTTP ${out.status}${out.mode ? ` ${out.mode}` : ''}`);
              if (out.status === 409) {
                this.unacknowledgedCommits.push(pendingCart);
                pendingCart = undefined;
              } else if (out.status === 404) pendingCart = undefined; // the cart was lost with a region
            }
          } else record('buy', false, cartAnswer);
        } else record('buy', false, `product page: ${answer}`);
      } catch (e) {
        const detail = String((e as Error).cause ?? (e as Error).message);
        record('page', false, detail);
        record('browse', false, detail);
        record('buy', false, detail);
      }
      await new Promise((r) => setTimeout(r, this.o.pauseMs));
    }
  }
}

/**
 * What answered a page request, for the diagnostics of a failed sample: the status, who answered
 * (the shop of a region names itself in a header; anything else is the outage page's server) and
 * which marker the body held.
 */
export function describeAnswer(
  status: number,
  region: string | null,
  body: string,
  outageMarker: string,
): string {
  const marker = body.includes(PAGE_MARKER)
    ? PAGE_MARKER
    : body.includes(outageMarker)
      ? outageMarker
      : `no marker (${body.length} bytes)`;
  return `HTTP ${status} from ${region ? `the shop in ${region}` : 'the outage page server'}, ${marker}`;
}

/**
 * For each worker, the time from `from` until its first success after its last failure (before
 * `until`): how long that customer could not do `what`. Workers that never failed count 0.
 */
export function outageSeconds(
  samples: readonly Sample[],
  what: Outcome,
  from: number,
  until: number,
): number[] {
  const byWorker = new Map<number, Sample[]>();
  for (const s of samples) {
    if (s.what !== what || s.at < from || s.at > until) continue;
    byWorker.set(s.worker, [...(byWorker.get(s.worker) ?? []), s]);
  }
  const out: number[] = [];
  for (const list of byWorker.values()) {
    const lastFail = list.map((s) => !s.ok).lastIndexOf(true);
    if (lastFail === -1) {
      out.push(0);
      continue;
    }
    const recovered = list.slice(lastFail + 1).find((s) => s.ok);
    out.push(((recovered?.at ?? until) - from) / 1000);
  }
  return out;
}

/** Failed samples of one kind, grouped by what answered. */
export interface FailureGroup {
  readonly detail: string;
  readonly count: number;
  /** First and last failure, in local milliseconds. */
  readonly first: number;
  readonly last: number;
}

/** The failed `what` samples between `from` and `until`, grouped by their detail, most frequent first. */
export function failureGroups(
  samples: readonly Sample[],
  what: Outcome,
  from: number,
  until: number,
): FailureGroup[] {
  const groups = new Map<string, { count: number; first: number; last: number }>();
  for (const s of samples) {
    if (s.what !== what || s.ok || s.at < from || s.at > until) continue;
    const key = s.detail ?? 'unknown';
    const g = groups.get(key);
    if (g) {
      g.count++;
      g.last = s.at;
    } else groups.set(key, { count: 1, first: s.at, last: s.at });
  }
  return [...groups].map(([detail, g]) => ({ detail, ...g })).sort((a, b) => b.count - a.count);
}

/** CloudWatch for the canary verdicts, in memory, with the template's alarms evaluated over it. */
export class LocalCloudWatch {
  private readonly points: { region: string; target: string; vantage: string; at: number; value: number }[] =
    [];

  constructor(
    private readonly alarms: readonly CanaryAlarmSpec[],
    private readonly paging: readonly PagingAlarmSpec[],
    private readonly timeScale: number,
  ) {}

  /** Regions whose CloudWatch is down (lost with their region): nothing is stored or evaluated there. */
  readonly down = new Set<string>();

  /** A client whose `send` stores `PutMetricData` into `region` (the canary needs only `send`). */
  clientFor(region: string): CloudWatchClient {
    const client = {
      send: async (command: PutMetricDataCommand) => {
        if (this.down.has(region))
          throw Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' });
        for (const d of command.input.MetricData ?? []) {
          const dims = Object.fromEntries((d.Dimensions ?? []).map((x) => [x.Name, x.Value]));
          this.points.push({
            region,
            target: String(dims.Target),
            vantage: String(dims.Vantage),
            at: Date.now(),
            value: d.Value ?? 0,
          });
        }
        return {};
      },
    };
    return client as unknown as CloudWatchClient;
  }

  /** Whether a per-vantage alarm is in ALARM at `now` (M of the last N periods breaching; missing = not breaching). */
  alarmState(a: CanaryAlarmSpec, now: number): boolean {
    const periodMs = (a.periodSeconds * 1000) / this.timeScale;
    let breaching = 0;
    for (let i = 0; i < a.evaluationPeriods; i++) {
      const end = now - i * periodMs;
      const values = this.points
        .filter(
          (p) =>
            p.region === a.stackRegion &&
            p.target === a.target &&
            p.vantage === a.vantage &&
            p.at > end - periodMs &&
            p.at <= end,
        )
        .map((p) => p.value);
      if (values.length && Math.max(...values) >= a.threshold) breaching++;
    }
    return breaching >= a.datapointsToAlarm;
  }

  /** Paging (composite) alarms in ALARM at `now`. */
  paged(now: number): string[] {
    return this.paging
      .filter((p) => !this.down.has(p.stackRegion))
      .filter((p) => {
        const inAlarm = (name: string) => {
          const a = this.alarms.find((x) => x.name === name && x.stackRegion === p.stackRegion);
          return a ? this.alarmState(a, now) : false;
        };
        return p.anyOf.some((group) => group.length > 0 && group.every(inAlarm));
      })
      .map((p) => `${p.name}@${p.stackRegion}`);
  }

  /** Earliest verdict with TargetFailed = 1 at or after `from`. */
  firstFailure(from: number): number | undefined {
    return this.points.find((p) => p.at >= from && p.value >= 1)?.at;
  }
}
