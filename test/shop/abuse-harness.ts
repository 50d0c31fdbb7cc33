/**
 * Abuse scenarios measured the same way before and after the defences: one client floods, one real
 * customer (another address) shops at the same time, and we count what the customer got. Used by
 * test/shop/abuse.test.ts (assertions) and bench/abuse.ts (the before/after table in docs/shop.md).
 *
 * Clients are told apart the way the ALB does: the last X-Forwarded-For hop.
 */
import { randomUUID } from 'node:crypto';

/** Address of the flooding client. */
export const FLOODER = '198.51.100.7';

let nextFlooder = 1;
/** A fresh flooding address (198.51.100.0/24, documentation range): each scenario starts with full allowances. */
export const newFlooder = () => `198.51.100.${(nextFlooder++ % 250) + 1}`;
/** Address of the real customer. */
export const CUSTOMER = '203.0.113.10';

let nextCustomer = 1;
/**
 * A fresh customer address (203.0.113.0/24) per flood: the harness customer checks out every 0.3 s,
 * which one real customer never keeps up; across many floods it would meet its own limits.
 */
const newCustomer = () => `203.0.113.${(nextCustomer++ % 250) + 1}`;

/** What the customer got while the flood ran. */
export interface CustomerTally {
  ok: number;
  total: number;
  /** Status codes of the customer's failures, counted. */
  failures: Record<string, number>;
}

export interface FloodResult {
  customer: CustomerTally;
  /** Requests the flooder sent, and the ones the shop accepted (2xx). */
  flood: { sent: number; accepted: number; statuses: Record<string, number> };
}

async function post(
  base: string,
  path: string,
  body: unknown,
  client: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown> | undefined }> {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      'x-forwarded-for': client,
      ...headers,
    },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: res.status, json };
}

/** Customer requests a flood lasts for at least (when the machine allows). */
export const MIN_CUSTOMER_REQUESTS = 10;
/** A flood lasts at most this many times its duration while waiting for the customer's requests. */
export const MAX_FLOOD_STRETCH = 10;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A real customer: every `everyMs` one request of a journey (add to a new cart, add to the same
 * cart, check out), reusing its cart as a browser with the cart cookie does. Counts successes.
 */
class Customer {
  readonly tally: CustomerTally = { ok: 0, total: 0, failures: {} };
  private running = true;
  private readonly done: Promise<void>;

  constructor(base: string, everyMs: number, from: string) {
    this.done = (async () => {
      let cartId: string | undefined;
      let step = 0;
      let product = 0;
      while (this.running) {
        const started = Date.now();
        let status = 0;
        try {
          if (step === 0 || step === 1) {
            product = (product % 11) + 1;
            const r = await post(base, '/cart', { productId: product, quantity: 1, cartId }, from);
            status = r.status;
            if (r.status === 201) cartId = r.json?.cartId as string;
          } else {
            const r = await post(base, '/checkout', { cartId }, from, {
              'idempotency-key': randomUUID(),
            });
            status = r.status;
            cartId = undefined;
          }
        } catch {
          status = -1;
        }
        this.tally.total++;
        if (status >= 200 && status < 300) this.tally.ok++;
        else {
          this.tally.failures[String(status)] = (this.tally.failures[String(status)] ?? 0) + 1;
          // A failed step starts a new journey (a customer would go back to the catalogue).
          step = -1;
          cartId = undefined;
        }
        step = (step + 1) % 3;
        await sleep(Math.max(0, everyMs - (Date.now() - started)));
      }
    })();
  }

  async stop(): Promise<CustomerTally> {
    this.running = false;
    await this.done;
    return this.tally;
  }
}

/**
 * Runs `concurrency` loops of `request` for `durationMs` beside one customer, and on until the
 * customer has made `MIN_CUSTOMER_REQUESTS` (a loaded machine slows everyone; bounded by MAX_FLOOD_STRETCH).
 */
async function flood(
  base: string,
  durationMs: number,
  concurrency: number,
  request: () => Promise<number>,
  customerEveryMs = 100,
): Promise<FloodResult> {
  const statuses: Record<string, number> = {};
  let sent = 0;
  let accepted = 0;
  const until = Date.now() + durationMs;
  const hardUntil = Date.now() + MAX_FLOOD_STRETCH * durationMs;
  const customer = new Customer(base, customerEveryMs, newCustomer());
  const going = () =>
    Date.now() < until || (customer.tally.total < MIN_CUSTOMER_REQUESTS && Date.now() < hardUntil);
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (going()) {
        let status: number;
        try {
          status = await request();
        } catch {
          status = -1;
        }
        sent++;
        statuses[String(status)] = (statuses[String(status)] ?? 0) + 1;
        if (status >= 200 && status < 300) accepted++;
        // An attacker does not honour Retry-After; a tiny pause keeps the test machine usable
        // (the flood and the customer share this process's CPU).
        if (status === 503) await sleep(5);
        if (status === 429) await sleep(20);
      }
    }),
  );
  return { customer: await customer.stop(), flood: { sent, accepted, statuses } };
}

/** 40 concurrent checkouts of carts that do not exist. */
export function junkCheckouts(base: string, durationMs: number, from = FLOODER): Promise<FloodResult> {
  return flood(base, durationMs, 40, async () => {
    const r = await post(base, '/checkout', { cartId: randomUUID() }, from);
    return r.status;
  });
}

/** New carts in a loop, 8 at a time. */
export function cartFlood(base: string, durationMs: number, from = FLOODER): Promise<FloodResult> {
  return flood(base, durationMs, 8, async () => {
    const r = await post(base, '/cart', { productId: 12, quantity: 1 }, from);
    return r.status;
  });
}

/**
 * Buys as much of one product as the shop lets one order have (asks for 99, then whatever the
 * shop says is the most), as fast as it can, 4 at a time. Counts orders placed.
 */
export function stockDrain(
  base: string,
  durationMs: number,
  productId: number,
  from = FLOODER,
): Promise<FloodResult> {
  let quantity = 99;
  return flood(base, durationMs, 4, async () => {
    const cart = await post(base, '/cart', { productId, quantity }, from);
    if (cart.status === 400) {
      const most = /to (\d+)/.exec(String(cart.json?.error ?? ''));
      if (most) quantity = Number(most[1]);
      return cart.status;
    }
    if (cart.status !== 201) return cart.status;
    const r = await post(base, '/checkout', { cartId: cart.json?.cartId }, from);
    return r.status;
  });
}

/** Share of the customer's requests that succeeded, in percent. */
export const successPercent = (t: CustomerTally) => (t.total === 0 ? 0 : (100 * t.ok) / t.total);
