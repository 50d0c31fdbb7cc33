/**
 * Which regions stalled during one `shopctl status`, what could not be read there and how long it was
 * waited for. Every SDK call and HTTP request of the run is watched where it is sent: a call whose
 * deadline (or the status budget) ran out, or that ended in a timeout, got no answer. A refused
 * connection or an AWS error is an answer, and is shown where it belongs (the section that read it).
 */
import { performance } from 'node:perf_hooks';
import type { RegionClients } from '../aws/clients';
import type { Deps, FetchLike } from '../aws/deps';

/** A region in which at least one read got no answer. */
export interface StalledRegion {
  readonly region: string;
  /** The longest any of its reads was waited for before giving up, in ms. */
  readonly waitedMs: number;
  /** What could not be read: `service:Action` or `GET /path`, once each, in the order they were sent. */
  readonly unanswered: readonly string[];
  /** Reads of the region that did answer (0: the region answered nothing at all). */
  readonly answered: number;
}

/** IAM prefix of each client (the key of {@link RegionClients}), where it differs from the key. */
const IAM_PREFIX: Partial<Record<keyof RegionClients, string>> = { secrets: 'secretsmanager' };

interface Sender {
  send(command: { constructor: { name: string } }, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

const timedOut = (e: unknown): boolean => {
  const x = e as { name?: string; code?: string } | null;
  return x?.name === 'TimeoutError' || x?.code === 'ETIMEDOUT' || x?.name === 'AbortError';
};

/** Records, per region, the reads that got no answer and those that did. */
export class StallWatch {
  private readonly waits = new Map<string, Map<string, number>>();
  private readonly answers = new Map<string, number>();

  constructor(private readonly clock: () => number = () => performance.now()) {}

  /** `d` with every SDK call and every HTTP request to a region's own name watched. */
  watch(d: Deps): Deps {
    const cache = new Map<string, RegionClients>();
    const clients = (region: string): RegionClients => {
      let c = cache.get(region);
      if (!c) {
        c = this.watchClients(d.clients(region), region);
        cache.set(region, c);
      }
      return c;
    };
    const hosts = d.config.regions.map((r) => [d.names.regionRecord(r.name), r.name] as const);
    const fetch: FetchLike = (url, init) => {
      const u = new URL(url);
      const region = hosts.find(([h]) => h === u.hostname)?.[1];
      if (!region) return d.fetch(url, init);
      return this.track(region, `GET ${u.pathname}`, init?.signal, () => d.fetch(url, init));
    };
    return { ...d, clients, fetch };
  }

  /** The regions with a read that got no answer, in the order given. */
  stalled(order: readonly string[]): StalledRegion[] {
    return order.flatMap((region) => {
      const w = this.waits.get(region);
      if (!w || w.size === 0) return [];
      return [
        {
          region,
          waitedMs: Math.max(...w.values()),
          unanswered: [...w.keys()],
          answered: this.answers.get(region) ?? 0,
        },
      ];
    });
  }

  private watchClients(base: RegionClients, region: string): RegionClients {
    const made = new Map<PropertyKey, unknown>();
    return new Proxy(base, {
      get: (target, prop, receiver) => {
        const client = Reflect.get(target, prop, receiver) as unknown;
        if (typeof prop !== 'string' || !client || typeof client !== 'object') return client;
        if (!made.has(prop)) {
          const service = IAM_PREFIX[prop as keyof RegionClients] ?? prop;
          made.set(prop, this.watchClient(client as Sender, region, service));
        }
        return made.get(prop);
      },
    });
  }

  private watchClient(client: Sender, region: string, service: string): Sender {
    return new Proxy(client, {
      get: (target, prop, receiver) => {
        if (prop !== 'send') return Reflect.get(target, prop, receiver) as unknown;
        return (command: { constructor: { name: string } }, options?: { abortSignal?: AbortSignal }) =>
          this.track(
            region,
            `${service}:${command.constructor.name.replace(/Command$/, '')}`,
            options?.abortSignal,
            () => target.send(command, options),
          );
      },
    });
  }

  /** Runs `call`; notes it as unanswered when `signal` aborts first or it ends in a timeout. */
  private track<T>(
    region: string,
    what: string,
    signal: AbortSignal | undefined,
    call: () => Promise<T>,
  ): Promise<T> {
    const start = this.clock();
    let noted = false;
    const note = () => {
      if (noted) return;
      noted = true;
      const w = this.waits.get(region) ?? new Map<string, number>();
      w.set(what, Math.max(w.get(what) ?? 0, this.clock() - start));
      this.waits.set(region, w);
    };
    signal?.addEventListener('abort', note, { once: true });
    let p: Promise<T>;
    try {
      // a mocked client may answer with a plain value
      p = Promise.resolve(call());
    } catch (e) {
      p = Promise.reject(e as Error);
    }
    p.then(
      () => {
        signal?.removeEventListener('abort', note);
        if (!noted) this.answers.set(region, (this.answers.get(region) ?? 0) + 1);
      },
      (e: unknown) => {
        signal?.removeEventListener('abort', note);
        if (timedOut(e)) note();
        else if (!noted) this.answers.set(region, (this.answers.get(region) ?? 0) + 1);
      },
    );
    return p;
  }
}
