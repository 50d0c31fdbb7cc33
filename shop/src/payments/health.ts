/**
 * Health per provider and method, measured on real traffic, and a circuit breaker around every call
 * to a provider.
 *
 * The breaker is cockatiel's (`circuitBreaker` + `SamplingBreaker`: failure rate over a time window
 * with a minimum volume, then half-open after a fixed time); see docs/payments.md for why cockatiel.
 * Failures are the provider's: errors, timeouts, 5xx, maintenance refusals and unknown outcomes.
 * A customer's own decline is a working provider and counts as a success for the breaker; the
 * approval rate leaves declines out of both sides.
 *
 * Half-open needs a trial call, and the choice of provider is made before the customer's window, not
 * at the call: once `halfOpenAfterSeconds` have passed, the routing offers the provider to ONE
 * checkout (a trial held for `trialHoldMs`); that checkout's call is cockatiel's half-open test.
 */
import {
  BrokenCircuitError,
  CircuitState,
  circuitBreaker,
  handleWhen,
  SamplingBreaker,
  type CircuitBreakerPolicy,
  ConsecutiveBreaker,
  type IBackoff,
  type IBreaker,
} from 'cockatiel';
import type { PaymentsSettings } from './config';
import { type ErrorClass, type OnlineMethod, type Outcome, ProviderCallError } from './types';

export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * Opens when either breaker would. A rate over a window alone reacts slowly to a provider that was
 * fine a moment ago and is now refusing everything: the window's earlier successes outweigh the new
 * failures for up to half a window (measured by `npm run bench:payments`). `minimumAttempts`
 * failures in a row, with no success between them, open it at once.
 */
class EitherBreaker implements IBreaker {
  constructor(
    private readonly a: IBreaker,
    private readonly b: IBreaker,
  ) {}

  get state(): unknown {
    return [this.a.state, this.b.state];
  }

  set state(value: unknown) {
    const [a, b] = value as [unknown, unknown];
    this.a.state = a;
    this.b.state = b;
  }

  success(state: CircuitState): void {
    this.a.success(state);
    this.b.success(state);
  }

  failure(state: CircuitState): boolean {
    const a = this.a.failure(state);
    const b = this.b.failure(state);
    return a || b;
  }
}

/** An unknown outcome travelling through the breaker as a failure. */
class UnknownOutcome extends Error {
  constructor(readonly outcome: Outcome) {
    super('unknown outcome');
  }
}

/** The breaker refused the call: nothing was sent. */
export class CircuitOpenError extends ProviderCallError {
  constructor(key: string) {
    super('connect', false, `circuit open for ${key}`);
  }
}

type EventKind = 'approved' | 'declined' | 'error' | 'unknown';
interface Sample {
  at: number;
  kind: EventKind;
  latencyMs: number;
  errorClass?: ErrorClass;
}

/** What `GET /payments/health` reports for one provider and method. */
export interface LaneReport {
  provider: string;
  kind: string;
  method: OnlineMethod;
  breaker: BreakerState;
  /** Disabled by the operator switch (`provider:<id>` or `method:<m>`). */
  disabled: boolean;
  available: boolean;
  window: {
    attempts: number;
    approvals: number;
    customerDeclines: number;
    providerErrors: number;
    unknowns: number;
    /** approvals / (attempts - customerDeclines), null without traffic. */
    approvalRate: number | null;
    p50Ms: number | null;
    p99Ms: number | null;
    errorClasses: Partial<Record<ErrorClass, number>>;
  };
}

class Lane {
  readonly policy: CircuitBreakerPolicy;
  openedAt: number | undefined;
  trialUntil = 0;
  samples: Sample[] = [];

  constructor(
    readonly provider: string,
    readonly kind: string,
    readonly method: OnlineMethod,
    private readonly settings: PaymentsSettings['breaker'],
    private readonly now: () => number,
  ) {
    const windowMs = settings.windowSeconds * 1000;
    const halfOpenMs = settings.halfOpenAfterSeconds * 1000;
    // cockatiel goes half-open once Date.now() - openedAt >= backoff.duration, reading the duration
    // at that moment: a getter on the injected clock makes the half-open time testable without
    // waiting and without faking Date for the whole process.
    const openedAt = () => this.openedAt;
    const halfOpenAfter: IBackoff<unknown> = {
      get duration() {
        const at = openedAt();
        return at !== undefined && now() - at >= halfOpenMs ? 0 : Number.MAX_SAFE_INTEGER;
      },
      next: () => halfOpenAfter,
    };
    this.policy = circuitBreaker(
      handleWhen((err) => err instanceof ProviderCallError || err instanceof UnknownOutcome),
      {
        halfOpenAfter: { next: () => halfOpenAfter },
        breaker: new EitherBreaker(
          new ConsecutiveBreaker(settings.minimumAttempts),
          new SamplingBreaker({
            threshold: settings.failureRatePercent / 100,
            duration: windowMs,
            // SamplingBreaker opens only when calls >= duration × minimumRps; a hair less than the
            // exact quotient so that floating point (3 < 3.0000000000000004) cannot ask for one more.
            minimumRps: (settings.minimumAttempts - 0.001) / settings.windowSeconds,
          }),
        ),
      },
    );
    this.policy.onBreak(() => {
      this.openedAt = this.now();
    });
    this.policy.onReset(() => {
      this.openedAt = undefined;
    });
  }

  state(): BreakerState {
    const s = this.policy.state;
    if (s === CircuitState.Closed) return 'closed';
    if (s === CircuitState.HalfOpen) return 'half-open';
    if (
      this.openedAt !== undefined &&
      this.now() - this.openedAt >= this.settings.halfOpenAfterSeconds * 1000
    )
      return 'half-open';
    return 'open';
  }
}

export class PaymentHealth {
  private readonly lanes = new Map<string, Lane>();

  constructor(
    private readonly settings: PaymentsSettings,
    private readonly opts: {
      trialHoldMs?: number;
      onSample?: (s: SampleEvent) => void;
      /** Clock of the open -> half-open time and trial holds (default Date.now). */
      now?: () => number;
    } = {},
  ) {
    this.now = opts.now ?? Date.now;
    for (const p of settings.providers)
      for (const m of p.methods)
        this.lanes.set(`${p.id}:${m}`, new Lane(p.id, p.kind, m, settings.breaker, this.now));
  }

  private readonly now: () => number;

  private lane(provider: string, method: OnlineMethod): Lane {
    const lane = this.lanes.get(`${provider}:${method}`);
    if (!lane) throw new Error(`no provider ${provider} for ${method}`);
    return lane;
  }

  state(provider: string, method: OnlineMethod): BreakerState {
    return this.lane(provider, method).state();
  }

  /**
   * Whether a new checkout may be sent to this provider now (switch aside): closed, or half-open
   * with no trial held. `reserve` holds the trial for this checkout.
   */
  admits(provider: string, method: OnlineMethod, reserve: boolean): boolean {
    const lane = this.lane(provider, method);
    const state = lane.state();
    if (state === 'closed') return true;
    if (state === 'open' || this.now() < lane.trialUntil) return false;
    if (reserve) lane.trialUntil = this.now() + (this.opts.trialHoldMs ?? 60_000);
    return true;
  }

  /**
   * Runs one call to the provider through its breaker and records the sample. An open circuit
   * throws `CircuitOpenError` (nothing sent). Unknown outcomes are failures for the breaker and
   * are returned, not thrown.
   */
  async run<T>(
    provider: string,
    method: OnlineMethod,
    call: () => Promise<T>,
    classify: (result: T) => EventKind | undefined = () => undefined,
  ): Promise<T> {
    const lane = this.lane(provider, method);
    const started = Date.now();
    try {
      const result = await lane.policy.execute(async () => {
        const r = await call();
        if (isUnknown(r)) throw new UnknownOutcome(r as Outcome);
        return r;
      });
      const kind = classify(result);
      if (kind) this.record(lane, { at: Date.now(), kind, latencyMs: Date.now() - started });
      lane.trialUntil = 0;
      return result;
    } catch (err) {
      if (err instanceof BrokenCircuitError) throw new CircuitOpenError(`${provider}:${method}`);
      lane.trialUntil = 0;
      if (err instanceof UnknownOutcome) {
        this.record(lane, { at: Date.now(), kind: 'unknown', latencyMs: Date.now() - started });
        return err.outcome as T;
      }
      const errorClass = err instanceof ProviderCallError ? err.errorClass : 'protocol';
      this.record(lane, {
        at: Date.now(),
        kind: errorClass === 'timeout' || errorClass === 'reset' ? 'unknown' : 'error',
        latencyMs: Date.now() - started,
        errorClass,
      });
      throw err;
    }
  }

  private record(lane: Lane, sample: Sample): void {
    lane.samples.push(sample);
    const cutoff = Date.now() - this.settings.breaker.windowSeconds * 1000;
    while (lane.samples.length && lane.samples[0].at < cutoff) lane.samples.shift();
    this.opts.onSample?.({ provider: lane.provider, method: lane.method, ...sample });
  }

  report(disabled: (provider: string, method: OnlineMethod) => boolean): LaneReport[] {
    const cutoff = Date.now() - this.settings.breaker.windowSeconds * 1000;
    return [...this.lanes.values()].map((lane) => {
      const s = lane.samples.filter((x) => x.at >= cutoff);
      const count = (k: EventKind) => s.filter((x) => x.kind === k).length;
      const approvals = count('approved');
      const declines = count('declined');
      const latencies = s.map((x) => x.latencyMs).sort((a, b) => a - b);
      const pct = (p: number) =>
        latencies.length
          ? latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)]
          : null;
      const errorClasses: Partial<Record<ErrorClass, number>> = {};
      for (const x of s) if (x.errorClass) errorClasses[x.errorClass] = (errorClasses[x.errorClass] ?? 0) + 1;
      const isDisabled = disabled(lane.provider, lane.method);
      const breaker = lane.state();
      return {
        provider: lane.provider,
        kind: lane.kind,
        method: lane.method,
        breaker,
        disabled: isDisabled,
        available: !isDisabled && breaker !== 'open',
        window: {
          attempts: s.length,
          approvals,
          customerDeclines: declines,
          providerErrors: count('error'),
          unknowns: count('unknown'),
          approvalRate: s.length - declines > 0 ? approvals / (s.length - declines) : null,
          p50Ms: pct(50),
          p99Ms: pct(99),
          errorClasses,
        },
      };
    });
  }
}

/** One call's result, as the metrics aggregator receives it. */
export type SampleEvent = Sample & { provider: string; method: OnlineMethod };

function isUnknown(r: unknown): boolean {
  return typeof r === 'object' && r !== null && (r as { kind?: unknown }).kind === 'unknown';
}
