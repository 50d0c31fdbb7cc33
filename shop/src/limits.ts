/**
 * Per-client limits a shop needs: how many carts one client may create and how many checkouts it
 * may attempt, as token buckets (a burst, then a steady rate), and the most of one product one
 * order may hold. Checked in memory before any database work, so a refused request costs nothing.
 *
 * The limits are per instance: behind the load balancer a client may get up to one allowance per
 * instance. That is still a few orders of magnitude below what a flood does, and needs no shared
 * store that could itself fail. The WAF's per-IP rate rule stays in front of all of this.
 */

/** One token bucket: `burst` requests at once, refilled at `perMinute`. */
export interface RateLimit {
  burst: number;
  perMinute: number;
}

export interface ClientLimits {
  /** New carts per client. */
  carts: RateLimit;
  /** Checkout attempts per client (replays of an idempotency key included: they cost a transaction too). */
  checkouts: RateLimit;
  /** Clients remembered per limit; the oldest idle one is forgotten first. */
  maxClients: number;
}

/**
 * Default limits, a shop constant (not config): a household or an office behind one address buys
 * a few times an hour; 30 carts and 15 checkouts in a burst, then one cart every 2 s and one
 * checkout every 10 s, leave room for a whole office behind one carrier-grade NAT and stop a
 * script in its first second. With MAX_QUANTITY_PER_PRODUCT, one address takes at most 150 units
 * of a product at once and 60 a minute after that.
 */
export const DEFAULT_LIMITS: ClientLimits = {
  carts: { burst: 30, perMinute: 30 },
  checkouts: { burst: 15, perMinute: 6 },
  maxClients: 10_000,
};

/** Limits that never refuse: the local drill (SHOP_CLIENT_LIMITS=off) and fault tests, whose simulated customers share 127.0.0.1. */
export const NO_CLIENT_LIMITS: ClientLimits = {
  carts: { burst: Number.MAX_SAFE_INTEGER, perMinute: Number.MAX_SAFE_INTEGER },
  checkouts: { burst: Number.MAX_SAFE_INTEGER, perMinute: Number.MAX_SAFE_INTEGER },
  maxClients: 1,
};

/**
 * Most units of one product in one cart (so in one order): a shop constant. A customer who needs
 * more calls the shop (phone orders); a stranger cannot take the stock of a product in a few orders.
 */
export const MAX_QUANTITY_PER_PRODUCT = 10;

/** Token buckets per client, bounded in memory. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly limit: RateLimit,
    private readonly maxClients: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Takes one token of `client`; returns 0 when allowed, else the seconds until the next token
   * (for Retry-After).
   */
  take(client: string): number {
    const now = this.now();
    const ratePerMs = this.limit.perMinute / 60_000;
    const b = this.buckets.get(client);
    let tokens = b ? Math.min(this.limit.burst, b.tokens + (now - b.at) * ratePerMs) : this.limit.burst;
    // Map order is last-use order: the first key is the least recently seen client.
    this.buckets.delete(client);
    if (tokens < 1) {
      this.buckets.set(client, { tokens, at: now });
      return Math.max(1, Math.ceil((1 - tokens) / ratePerMs / 1000));
    }
    tokens -= 1;
    this.buckets.set(client, { tokens, at: now });
    if (this.buckets.size > this.maxClients) {
      const oldest = this.buckets.keys().next().value as string;
      this.buckets.delete(oldest);
    }
    return 0;
  }
}
