import { randomUUID } from 'node:crypto';
import {
  HEALTH_MARKER,
  HEALTH_PATH,
  IDEMPOTENCY_HEADER,
  MODE_HEADER,
  PAGE_MARKER,
  SYNTHETIC_HEADER,
} from '../../lib/contract/shop';
import type { CanaryTarget, OutageTarget, ShopTarget } from './config';
import { request, reasonOf, StepFailure, type FetchFn, type HttpResponse, type RequestInput } from './http';
import { statusProblem } from './status';

/** Attribute the outage page's HTML must carry (on any element) so the canary can recognise it. */
export const OUTAGE_MARKER = 'data-outage-page';

/**
 * The step names a run records (the `Step` dimension of StepSuccess and StepLatency). Every custom
 * metric costs money, so the report counts them from here (lib/report/custom-metrics.ts).
 */
export const STEPS = {
  home: 'home',
  product: 'product',
  cart: 'cart',
  checkout: 'checkout',
  /** Informational: the shop's `/healthz`. */
  healthz: 'healthz',
  /** Informational, targets with `payments`. */
  payments: 'payments',
  /** Informational, targets with `testPayment`. */
  testPayment: 'test-payment',
  page: 'page',
  status: 'status',
} as const;

/** Every step a full run of `t` records (a failed run stops earlier). */
export function stepsOf(t: CanaryTarget): string[] {
  if (t.kind === 'outage') return [STEPS.page, STEPS.status];
  return [
    STEPS.home,
    STEPS.product,
    STEPS.cart,
    STEPS.checkout,
    STEPS.healthz,
    ...(t.payments ? [STEPS.payments] : []),
    ...(t.testPayment ? [STEPS.testPayment] : []),
  ];
}

export type ShopMode = 'read-write' | 'read-only';

export interface StepResult {
  step: string;
  ok: boolean;
  latencyMs: number;
  status?: number;
  finalUrl?: string;
  reason?: string;
  /** Informational steps (shop `healthz`) are measured and logged but never decide the verdict. */
  informational?: boolean;
}

export interface JourneyEnv {
  fetch: FetchFn;
  now: () => number;
  stepTimeoutMs: number;
  maxRedirects: number;
  /** Aborted when the run's deadline passes. */
  deadline: AbortSignal;
  /**
   * Signs a test header for `method path` (lib/contract/test-signature.ts), or says why it cannot
   * (the key was not read). Absent: the unsigned `1` (a shop without a signing key).
   */
  sign?: (header: string, method: string, path: string) => string | Error;
}

/** What the shop's `GET /payments/health` says, or `unreachable` when it did not answer with JSON. */
export type PaymentsVerdict = 'ok' | 'degraded' | 'all-online-down' | 'unreachable';

/** The shop's test payment as the canary saw it: `unknown` when the answer was lost (it may have charged). */
export type TestPaymentVerdict = 'ok' | 'broken' | 'unknown';

/** One target's run. Mutable so the handler can snapshot a run the deadline cut short. */
export class TargetRun {
  readonly steps: StepResult[] = [];
  /** Step in progress (the one the deadline interrupted, if it did). */
  current?: { step: string; startedAt: number };
  mode?: ShopMode;
  /** The shop's own payment verdict (targets with `payments`); it never decides the journey's verdict. */
  payments?: PaymentsVerdict;
  /** The test payment's verdict (targets with `testPayment`); absent when not run (read-only shop). */
  testPayment?: TestPaymentVerdict;
  /** Set once the verdict is known (informational steps may still be running). */
  verdict?: { ok: boolean; failedStep?: string; reason?: string; latencyMs: number };
  readonly startedAt: number;

  constructor(
    readonly target: CanaryTarget,
    private readonly env: JourneyEnv,
  ) {
    this.startedAt = env.now();
  }

  /** Runs the journey; never throws. */
  async execute(): Promise<void> {
    const t = this.target;
    const info = Promise.all([
      t.kind === 'shop' ? this.healthz() : undefined,
      t.kind === 'shop' && t.payments ? this.paymentsHealth() : undefined,
      t.kind === 'shop' && t.testPayment ? this.payTest() : undefined,
    ]);
    try {
      if (t.kind === 'shop') await this.shop(t);
      else await this.outage(t);
      this.verdict = { ok: true, latencyMs: this.env.now() - this.startedAt };
    } catch (err) {
      const last = this.steps.filter((s) => !s.informational).at(-1);
      this.verdict = {
        ok: false,
        failedStep: last?.ok === false ? last.step : undefined,
        reason:
          last?.ok === false ? last.reason : `internal error: ${(err as Error)?.message ?? String(err)}`,
        latencyMs: this.env.now() - this.startedAt,
      };
    }
    await info;
  }

  /**
   * Runs one step: `fn` gets an HTTP function bound to the target and the step's signal, and
   * throws `StepFailure` when the response is wrong. Failures are recorded and rethrown.
   */
  private async step<T>(
    name: string,
    fn: (http: (path: string, input?: RequestInput) => Promise<HttpResponse>) => Promise<T>,
    informational = false,
  ): Promise<T> {
    const { env } = this;
    // A plain controller and timer, not AbortSignal.any([AbortSignal.timeout(ms), deadline]): Node
    // holds a timeout signal only weakly, and inside a composed signal it can be garbage collected
    // before it fires, so the step never times out (https://github.com/nodejs/node/pull/57867, fixing
    // nodejs/node#57736). Seen here as a step slower than its timeout reported healthy on a busy machine.
    const step = new AbortController();
    const timer = setTimeout(() => step.abort(), env.stepTimeoutMs);
    const onDeadline = () => step.abort();
    env.deadline.addEventListener('abort', onDeadline, { once: true });
    if (env.deadline.aborted) step.abort();
    const signal = step.signal;
    const startedAt = env.now();
    if (!informational) this.current = { step: name, startedAt };
    let last: HttpResponse | undefined;
    const http = async (path: string, input: RequestInput = {}) => {
      last = await request(env.fetch, this.target.baseUrl + path, input, signal, env.maxRedirects);
      return last;
    };
    const record = (ok: boolean, reason?: string) => {
      this.steps.push({
        step: name,
        ok,
        latencyMs: env.now() - startedAt,
        ...(last && { status: last.status, finalUrl: last.url }),
        ...(reason !== undefined && { reason }),
        ...(informational && { informational }),
      });
      if (!informational) this.current = undefined;
    };
    try {
      const value = await fn(http);
      record(true);
      return value;
    } catch (err) {
      if (!env.deadline.aborted || informational)
        record(false, reasonOf(err, signal, env.deadline, env.stepTimeoutMs));
      // After the deadline the handler records the interrupted step itself.
      throw err;
    } finally {
      clearTimeout(timer);
      env.deadline.removeEventListener('abort', onDeadline);
    }
  }

  private async shop(t: ShopTarget): Promise<void> {
    const html = { headers: { accept: 'text/html' } };
    const productId = await this.step(STEPS.home, async (http) => {
      const res = await http('/', html);
      expectPage(res);
      const mode = res.headers.get(MODE_HEADER);
      if (mode === 'read-write' || mode === 'read-only') this.mode = mode;
      const m = /data-product-id\s*=\s*["']([^"']+)["']/.exec(res.body);
      if (!m) throw new StepFailure('no product link (data-product-id) on home page');
      return m[1];
    });
    await this.step(STEPS.product, async (http) =>
      expectPage(await http(`/products/${encodeURIComponent(productId)}`, html)),
    );

    const json = (body: unknown, headers: Record<string, string> = {}): RequestInput => ({
      method: 'POST',
      json: body,
      headers: { accept: 'application/json', ...headers },
    });
    const cartId = await this.step(STEPS.cart, async (http) => {
      const res = await http('/cart', json({ productId, quantity: 1 }));
      if (this.readOnly(res, t)) return undefined;
      expectStatus(res, 201);
      const cart = parseJson(res) as { cartId?: unknown } | null;
      if (typeof cart?.cartId !== 'string' && typeof cart?.cartId !== 'number')
        throw new StepFailure('no cartId in cart response');
      return cart.cartId;
    });
    if (cartId === undefined) return; // read-only, acceptable for this target: nothing to check out

    await this.step(STEPS.checkout, async (http) => {
      // An idempotency key as every client should send: even if the synthetic header were lost on
      // the way and the shop placed an order, a retry of this step could not place a second one.
      const res = await http(
        '/checkout',
        json(
          { cartId },
          { [SYNTHETIC_HEADER]: this.signed('POST', '/checkout'), [IDEMPOTENCY_HEADER]: randomUUID() },
        ),
      );
      if (this.readOnly(res, t)) return;
      if (res.status === 201)
        throw new StepFailure('synthetic header ignored: checkout answered 201 (order placed?)');
      expectStatus(res, 200);
      const out = parseJson(res) as { status?: unknown } | null;
      if (out?.status !== 'synthetic-ok')
        throw new StepFailure(`checkout status ${JSON.stringify(out?.status)} (expected "synthetic-ok")`);
      this.mode = 'read-write';
    });
  }

  /**
   * True when `res` is an honest read-only answer: 503, `x-shop-mode: read-only` and a JSON body
   * `{error: "read-only", alternatives: {...}}` listing at least one other way to order or pay.
   * Throws when read-only is not acceptable for the target or the answer lists no alternatives.
   */
  private readOnly(res: HttpResponse, t: ShopTarget): boolean {
    if (res.status !== 503 || res.headers.get(MODE_HEADER) !== 'read-only') return false;
    this.mode = 'read-only';
    let body: { error?: unknown; alternatives?: unknown } | null = null;
    try {
      body = JSON.parse(res.body);
    } catch {
      // not JSON: no alternatives we can check
    }
    const alternatives = body?.alternatives;
    const listed =
      typeof alternatives === 'object' &&
      alternatives !== null &&
      Object.values(alternatives).some((v) => (typeof v === 'string' || Array.isArray(v)) && v.length > 0);
    if (body?.error !== 'read-only' || !listed) throw new StepFailure('read-only without alternatives');
    if (t.requireWritable) throw new StepFailure('read-only');
    return true;
  }

  /** The synthetic header's value for `method path` of this target (its path prefix included). */
  private signed(method: string, path: string): string {
    if (!this.env.sign) return '1';
    const value = this.env.sign(SYNTHETIC_HEADER, method, new URL(this.target.baseUrl + path).pathname);
    if (value instanceof Error) throw new StepFailure(`cannot sign the synthetic checkout: ${value.message}`);
    return value;
  }

  /**
   * Informational: the shop's payment verdict, so that "payments down" (the shop answers, no online
   * method works) is told apart from "shop down" (the journey fails).
   */
  private paymentsHealth(): Promise<void> {
    return this.step(
      STEPS.payments,
      async (http) => {
        const res = await http('/payments/health', { headers: { accept: 'application/json' } });
        let status: unknown;
        try {
          status = (JSON.parse(res.body) as { status?: unknown }).status;
        } catch {
          status = undefined;
        }
        if (
          res.status !== 200 ||
          (status !== 'ok' && status !== 'degraded' && status !== 'all-online-down')
        ) {
          this.payments = 'unreachable';
          throw new StepFailure(`payments health: status ${res.status}, verdict ${JSON.stringify(status)}`);
        }
        this.payments = status;
        if (status === 'all-online-down') throw new StepFailure('all online payment methods down');
      },
      true,
    ).catch(() => {
      this.payments ??= 'unreachable';
    });
  }

  /**
   * Informational: one payment through a provider's test mode and its refund (the shop's signed
   * `POST /payments/test`). HTTP 200 carries the shop's verdict; a lost answer is `unknown` (the
   * shop settles it); any other answer is `broken`; a read-only shop, or one without test keys
   * (404), publishes nothing.
   */
  private payTest(): Promise<void> {
    return this.step(
      STEPS.testPayment,
      async (http) => {
        const res = await http('/payments/test', {
          method: 'POST',
          json: {},
          headers: { accept: 'application/json', [SYNTHETIC_HEADER]: this.signed('POST', '/payments/test') },
        });
        // Read-only shop, or no provider with test keys there (404): nothing to say of the path.
        if (res.status === 404 || (res.status === 503 && res.headers.get(MODE_HEADER) === 'read-only'))
          return;
        let v: unknown;
        try {
          v = (JSON.parse(res.body) as { verdict?: unknown }).verdict;
        } catch {
          v = undefined;
        }
        this.testPayment = res.status === 200 && (v === 'ok' || v === 'unknown') ? v : 'broken';
        if (this.testPayment !== 'ok')
          throw new StepFailure(`test payment ${this.testPayment} (${res.status})`);
      },
      true,
    ).catch(() => {
      this.testPayment ??= 'unknown';
    });
  }

  private healthz(): Promise<void> {
    return this.step(
      STEPS.healthz,
      async (http) => {
        const res = await http(HEALTH_PATH, { headers: { accept: 'application/json' } });
        expectStatus(res, 200);
        if (!res.body.includes(HEALTH_MARKER)) throw new StepFailure(`marker ${HEALTH_MARKER} missing`);
      },
      true,
    ).catch(() => undefined);
  }

  private async outage(_t: OutageTarget): Promise<void> {
    await this.step(STEPS.page, async (http) => {
      const res = await http('/', { headers: { accept: 'text/html' } });
      expectStatus(res, 200);
      if (!/<html[\s>]/i.test(res.body) || !res.body.includes(OUTAGE_MARKER)) {
        throw new StepFailure(`not the outage page (no <html> with ${OUTAGE_MARKER})`);
      }
    });
    await this.step(STEPS.status, async (http) => {
      const res = await http('/status.json', { headers: { accept: 'application/json' } });
      if (res.status === 404 || res.status === 403) return; // no live notice: the page shows its default
      // CloudFront answers a missing object with the page itself and a 503 (its error response).
      if (res.status === 503 && res.body.includes(OUTAGE_MARKER)) return;
      expectStatus(res, 200);
      let doc: unknown;
      try {
        doc = JSON.parse(res.body);
      } catch {
        throw new StepFailure('invalid status.json: not JSON');
      }
      const problem = statusProblem(doc);
      if (problem) throw new StepFailure(`invalid status.json: ${problem}`);
    });
  }
}

function expectStatus(res: HttpResponse, expected: number): void {
  if (res.status !== expected) throw new StepFailure(`status ${res.status} (expected ${expected})`);
}

function expectPage(res: HttpResponse): void {
  expectStatus(res, 200);
  if (!res.body.includes(PAGE_MARKER)) throw new StepFailure(`marker ${PAGE_MARKER} missing`);
}

function parseJson(res: HttpResponse): unknown {
  try {
    return JSON.parse(res.body);
  } catch {
    throw new StepFailure('response is not JSON');
  }
}
