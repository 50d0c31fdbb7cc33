/**
 * The game day's probe customer: while the experiment runs it walks the shop's public name as a
 * customer does (reach a page, browse a product, buy it) every few seconds, placing real orders
 * marked as drill orders (`DRILL_HEADER`) under an idempotency key; afterwards it reads every
 * acknowledged order back by its key. The canaries cannot measure this: their checkout rolls back.
 *
 * Requests go through the canary's HTTP client (lambda/canary/http.ts: redirects followed by hand,
 * capped bodies) and every one runs under shopctl's deadline machinery (`withDeadline`): bounded by
 * `timeoutMs` and cancelled at once by Ctrl-C, like `getHealthz`.
 */
import { randomUUID } from 'node:crypto';
import { request, type FetchFn, type HttpResponse, type RequestInput } from '../../lambda/canary/http';
import { OUTAGE_MARKER } from '../../lambda/canary/journeys';
import {
  CHECKOUT_KEY_PATH,
  DRILL_HEADER,
  IDEMPOTENCY_HEADER,
  PAGE_MARKER,
  REGION_HEADER,
} from '../../lib/contract/shop';
import { type CallContext, isInterrupted, withDeadline } from '../aws/deadline';
import { rootMessage } from '../aws/errors';

/** What a customer does, in the order the probe does it. */
export const PROBE_STEPS = ['reach', 'browse', 'buy'] as const;
export type ProbeStep = (typeof PROBE_STEPS)[number];

/** A step that changed from working to failing or back. */
export interface ProbeTransition {
  readonly at: Date;
  readonly step: ProbeStep;
  readonly ok: boolean;
  readonly reason?: string;
}

/** Who answered the customer's first page: a shop's region (`REGION_HEADER`) or the outage page. */
export const OUTAGE_PAGE = 'the outage page';

/** The customer started being served by someone else (the first answer of the drill included). */
export interface ProbeServed {
  readonly at: Date;
  readonly servedBy: string;
  /** Who served the journey before; absent for the first. */
  readonly before?: string;
}

/** One journey's outcome per step (a step not attempted is absent), and who answered its first page. */
export type ProbeRound = Partial<Record<ProbeStep, { ok: boolean; reason?: string }>> & {
  servedBy?: string;
};

/** An order the shop acknowledged (201 with an order id). */
export interface AcknowledgedOrder {
  readonly key: string;
  readonly orderId: string;
  readonly at: Date;
}

/** What the read-back of the acknowledged orders found. */
export interface ProbeVerdict {
  readonly acknowledged: number;
  /** Acknowledged, and the shop no longer has it (or has another order under its key). */
  readonly lost: readonly (AcknowledgedOrder & { readonly found?: string })[];
  /** One key acknowledged with more than one order id: one intent, several orders. */
  readonly duplicated: readonly { readonly key: string; readonly orderIds: readonly string[] }[];
  /** Acknowledged, but the read-back got no answer: neither kept nor lost is known. */
  readonly unverified: readonly (AcknowledgedOrder & { readonly reason: string })[];
  /** Checkouts whose answer never came: placed (found) or not (the customer was told nothing). */
  readonly unanswered: { readonly placed: number; readonly notPlaced: number; readonly unknown: number };
}

/** The probe as `shopctl drill` drives it (tests of the watch loop pass a scripted one). */
export interface Probe {
  /** Where it shops (the public name). */
  readonly baseUrl: string;
  /** One journey now (the baseline before the fault). */
  round(): Promise<ProbeRound>;
  /**
   * Journeys every interval in the background; `onChange` hears each step that fails or recovers,
   * `onServed` each change of who answers the customer's first page.
   */
  start(onChange: (t: ProbeTransition) => void, onServed?: (s: ProbeServed) => void): void;
  /** Ends the background journeys (the one in flight finishes, or Ctrl-C cuts it). */
  stop(): Promise<void>;
  /** Journeys until an order is accepted or `ms` pass (at least one); true when one was. Steps that
   * recover are reported to `start`'s `onChange`. */
  settle(ms: number): Promise<boolean>;
  /** Reads every acknowledged order (and every unanswered checkout) back by its key. */
  verify(): Promise<ProbeVerdict>;
}

export interface ProbeOptions {
  /** The shop's public URL, e.g. `https://shop.example.com`. */
  readonly baseUrl: string;
  readonly fetch: FetchFn;
  /** Context of the journeys: its signal is Ctrl-C, which cuts the request in flight. */
  readonly live: CallContext;
  /** Context of the settle journeys and the read-back (after the experiment, after any Ctrl-C). */
  readonly after: CallContext;
  /** Deadline of one request. */
  readonly timeoutMs: number;
  /** Time between the starts of two journeys. */
  readonly intervalMs: number;
  readonly now: () => Date;
}

const MAX_REDIRECTS = 3;
const PRODUCT_RE = /data-product-id\s*=\s*["']([^"']+)["']/;

class Failed extends Error {}

/** The probe customer of a real game day. */
export class ProbeCustomer implements Probe {
  readonly baseUrl: string;
  private readonly acknowledged = new Map<string, AcknowledgedOrder>();
  private readonly orderIds = new Map<string, Set<string>>();
  /** Checkout sent, answer not received: retried with the same key and cart until it is. */
  private pending?: { key: string; cartId: string };
  private readonly unanswered = new Set<string>();
  private productId?: string;
  private readonly state = new Map<ProbeStep, boolean>();
  private loop?: Promise<void>;
  private stopping?: () => void;
  private onChange?: (t: ProbeTransition) => void;
  private onServed?: (s: ProbeServed) => void;
  private servedBy?: string;

  constructor(private readonly o: ProbeOptions) {
    this.baseUrl = o.baseUrl.replace(/\/+$/, '');
  }

  private async http(ctx: CallContext, path: string, input: RequestInput = {}): Promise<HttpResponse> {
    return withDeadline(
      ctx,
      (signal) =>
        request(
          this.o.fetch,
          this.baseUrl + path,
          { ...input, headers: { 'user-agent': 'shopctl-drill/1', ...input.headers } },
          signal,
          MAX_REDIRECTS,
        ),
      { timeoutMs: this.o.timeoutMs },
    );
  }

  async round(): Promise<ProbeRound> {
    const r = await this.journey(this.o.live);
    // Who served the baseline: only a change from it is news during the experiment.
    this.servedBy ??= r.servedBy;
    return r;
  }

  private async journey(ctx: CallContext): Promise<ProbeRound> {
    const r: ProbeRound = {};
    const step = async (name: ProbeStep, fn: () => Promise<void>) => {
      try {
        await fn();
        r[name] = { ok: true };
      } catch (e) {
        if (isInterrupted(e)) throw e;
        r[name] = { ok: false, reason: e instanceof Failed ? e.message : `no answer: ${rootMessage(e)}` };
      }
    };
    const html = { headers: { accept: 'text/html' } };
    let shopPage = false;
    await step('reach', async () => {
      const res = await this.http(ctx, '/', html);
      // The outage page is a page too: a customer who reaches it learns how else to order.
      if (res.status !== 200 || !(res.body.includes(PAGE_MARKER) || res.body.includes(OUTAGE_MARKER)))
        throw new Failed(`GET / answered ${res.status} without a shop or outage page`);
      r.servedBy = res.body.includes(PAGE_MARKER)
        ? (res.headers.get(REGION_HEADER) ?? 'a shop that does not name its region')
        : OUTAGE_PAGE;
      const m = PRODUCT_RE.exec(res.body);
      shopPage = res.body.includes(PAGE_MARKER) && !!m;
      if (m) this.productId = m[1];
    });
    await step('browse', async () => {
      if (!shopPage) throw new Failed('no shop page with products (outage page or no answer)');
      const res = await this.http(ctx, `/products/${encodeURIComponent(this.productId!)}`, html);
      if (res.status !== 200 || !res.body.includes(PAGE_MARKER))
        throw new Failed(`GET /products/${this.productId} answered ${res.status}`);
    });
    await step('buy', () => this.buy(ctx));
    return r;
  }

  private async buy(ctx: CallContext): Promise<void> {
    const json = (body: unknown, headers: Record<string, string> = {}): RequestInput => ({
      method: 'POST',
      json: body,
      headers: { accept: 'application/json', ...headers },
    });
    let attempt = this.pending;
    if (!attempt) {
      if (!this.productId) throw new Failed('no product seen yet');
      const cart = await this.http(ctx, '/cart', json({ productId: Number(this.productId), quantity: 1 }));
      const cartId = parse(cart)?.cartId;
      if (cart.status !== 201 || typeof cartId !== 'string')
        throw new Failed(`POST /cart answered ${cart.status}${errorOf(cart)}`);
      attempt = { key: `drill-${randomUUID()}`, cartId };
    }
    let res: HttpResponse;
    try {
      res = await this.http(
        ctx,
        '/checkout',
        json({ cartId: attempt.cartId }, { [IDEMPOTENCY_HEADER]: attempt.key, [DRILL_HEADER]: '1' }),
      );
    } catch (e) {
      // Sent, perhaps committed: retried with the same key until the shop says which.
      this.pending = attempt;
      this.unanswered.add(attempt.key);
      throw e;
    }
    const body = parse(res);
    if (res.status === 201 && typeof body?.orderId === 'string') {
      this.pending = undefined;
      this.unanswered.delete(attempt.key);
      const ids = this.orderIds.get(attempt.key) ?? new Set<string>();
      ids.add(body.orderId);
      this.orderIds.set(attempt.key, ids);
      if (!this.acknowledged.has(attempt.key))
        this.acknowledged.set(attempt.key, { key: attempt.key, orderId: body.orderId, at: this.o.now() });
      return;
    }
    if (body?.error === 'outcome-unknown' || (this.pending && res.status >= 500)) {
      // The shop itself does not know, or a retry met an outage: still undecided.
      this.pending = attempt;
      this.unanswered.add(attempt.key);
    } else {
      this.pending = undefined;
    }
    throw new Failed(`POST /checkout answered ${res.status}${errorOf(res)}`);
  }

  private report(r: ProbeRound): void {
    if (r.servedBy && r.servedBy !== this.servedBy) {
      const before = this.servedBy;
      this.servedBy = r.servedBy;
      this.onServed?.({ at: this.o.now(), servedBy: r.servedBy, ...(before ? { before } : {}) });
    }
    for (const step of PROBE_STEPS) {
      const s = r[step];
      if (!s) continue;
      const before = this.state.get(step) ?? true;
      this.state.set(step, s.ok);
      if (s.ok !== before)
        this.onChange?.({ at: this.o.now(), step, ok: s.ok, ...(s.reason ? { reason: s.reason } : {}) });
    }
  }

  start(onChange: (t: ProbeTransition) => void, onServed?: (s: ProbeServed) => void): void {
    this.onChange = onChange;
    this.onServed = onServed;
    let wake: () => void = () => undefined;
    let stopped = false;
    this.stopping = () => {
      stopped = true;
      wake();
    };
    this.loop = (async () => {
      while (!stopped && !this.o.live.signal.aborted) {
        const started = Date.now();
        try {
          this.report(await this.journey(this.o.live));
        } catch (e) {
          if (isInterrupted(e)) return;
          throw e;
        }
        const left = this.o.intervalMs - (Date.now() - started);
        if (left > 0 && !stopped)
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, left);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopping?.();
    await this.loop;
  }

  async settle(ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    for (;;) {
      const started = Date.now();
      const r = await this.journey(this.o.after).catch(() => ({}) as ProbeRound);
      this.report(r);
      if (r.buy?.ok) return true;
      if (Date.now() + this.o.intervalMs > until) return false;
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, this.o.intervalMs - (Date.now() - started))),
      );
    }
  }

  async verify(): Promise<ProbeVerdict> {
    const lookup = async (key: string): Promise<{ orderId?: string; error?: string }> => {
      try {
        const res = await this.http(this.o.after, CHECKOUT_KEY_PATH + encodeURIComponent(key), {
          headers: { accept: 'application/json' },
        });
        const body = parse(res);
        if (res.status === 200 && typeof body?.orderId === 'string') return { orderId: body.orderId };
        // Only the shop's own "not-found" means absent: a 404 page of a shop without the lookup does not.
        if (res.status === 404 && body?.error === 'not-found') return {};
        return { error: `answered ${res.status}${errorOf(res)}` };
      } catch (e) {
        return { error: `no answer: ${rootMessage(e)}` };
      }
    };
    const lost: (AcknowledgedOrder & { found?: string })[] = [];
    const unverified: (AcknowledgedOrder & { reason: string })[] = [];
    for (const order of this.acknowledged.values()) {
      const found = await lookup(order.key);
      if (found.error) unverified.push({ ...order, reason: found.error });
      else if (found.orderId !== order.orderId)
        lost.push({ ...order, ...(found.orderId ? { found: found.orderId } : {}) });
    }
    const unanswered = { placed: 0, notPlaced: 0, unknown: 0 };
    for (const key of this.unanswered) {
      const found = await lookup(key);
      if (found.error) unanswered.unknown++;
      else if (found.orderId) unanswered.placed++;
      else unanswered.notPlaced++;
    }
    return {
      acknowledged: this.acknowledged.size,
      lost,
      duplicated: [...this.orderIds]
        .filter(([, ids]) => ids.size > 1)
        .map(([key, ids]) => ({ key, orderIds: [...ids] })),
      unverified,
      unanswered,
    };
  }
}

function parse(res: HttpResponse): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(res.body);
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function errorOf(res: HttpResponse): string {
  const e = parse(res)?.error;
  return typeof e === 'string' ? ` (${e})` : '';
}
