import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';

/**
 * Deadlines and interruption for every network call of `shopctl`.
 *
 * A regional outage usually looks like a region that accepts connections and never answers. The SDK's
 * `requestTimeout` alone only warns unless the handler is built with `throwOnRequestTimeout` (see
 * clients.ts), and `fetch` has no timeout at all, so every call also runs under an overall deadline
 * here: the call is aborted (its socket destroyed) and, even if the library ignored the abort, the
 * caller stops waiting. The same signal carries Ctrl-C, so an interrupted run stops at once.
 */

/** What a bounded call needs from the run. */
export interface CallContext {
  /** Aborted when the operator interrupts the run (SIGINT). */
  readonly signal: AbortSignal;
  /** Overall deadline of one AWS call (all its attempts) in milliseconds. */
  readonly callTimeoutMs: number;
}

/** The operator interrupted the run (Ctrl-C / SIGINT). */
export class Interrupted extends Error {
  constructor() {
    super('interrupted (Ctrl-C)');
    this.name = 'Interrupted';
  }
}

/** A call got no answer before its deadline. Named like the SDK's own timeout, so it reads as "unreachable". */
export class DeadlineError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms (shopctl deadline)`);
    this.name = 'TimeoutError';
  }
}

export interface DeadlineOptions {
  /** Deadline of this call; default: the run's `callTimeoutMs`. */
  readonly timeoutMs?: number;
  /**
   * Signal that cancels the call instead of the run's interrupt signal. The audit trail uses its own, so
   * that the record of an interrupted run is still written (under its own short deadline).
   */
  readonly parent?: AbortSignal;
}

/** Settles like `p`, or rejects with `reason()` as soon as `signal` aborts (a late result of `p` is dropped). */
export function bounded<T>(p: Promise<T>, signal: AbortSignal, reason: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    p.catch(() => undefined); // a late rejection after the deadline is expected, not unhandled
    if (signal.aborted) {
      reject(reason());
      return;
    }
    const onAbort = () => reject(reason());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(signal.aborted ? reason() : e);
      },
    );
  });
}

/**
 * Runs `fn` with a signal that aborts at the deadline or on interrupt, and never waits longer than that:
 * rejects with {@link DeadlineError} or {@link Interrupted}.
 */
export function withDeadline<T>(
  ctx: CallContext,
  fn: (signal: AbortSignal) => Promise<T>,
  o: DeadlineOptions = {},
): Promise<T> {
  const parent = o.parent ?? ctx.signal;
  const ms = o.timeoutMs ?? ctx.callTimeoutMs;
  // A plain controller and timer rather than AbortSignal.any/timeout: Node holds a timeout signal only
  // weakly (https://github.com/shaseley/abort-signal-any/issues/3) and a composed signal can lose its
  // abort to garbage collection (https://github.com/nodejs/node/issues/65995); here, on Node 20, a
  // /healthz deadline built that way never fired in a busy status run. The timer is always cleared
  // when the call settles, so it never holds the process open.
  const ctrl = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ctrl.abort();
  }, ms);
  const onParent = () => ctrl.abort();
  parent.addEventListener('abort', onParent, { once: true });
  const cleanup = () => {
    clearTimeout(timer);
    parent.removeEventListener('abort', onParent);
  };
  // a caller's own parent (e.g. the audit budget) running out is a deadline too, not an interruption
  const reason = () => (timedOut || o.parent ? new DeadlineError(ms) : new Interrupted());
  if (parent.aborted) {
    cleanup();
    return Promise.reject(reason());
  }
  let started: Promise<T>;
  try {
    started = Promise.resolve(fn(ctrl.signal));
  } catch (e) {
    cleanup();
    return Promise.reject(e);
  }
  return bounded(started, ctrl.signal, reason).finally(cleanup);
}

/** A signal that aborts after `ms` (held strongly by its timer); call `clear` when done with it. */
export function budget(ms: number): { readonly signal: AbortSignal; clear(): void } {
  const ctrl = new AbortController();
  setMaxListeners(0, ctrl.signal);
  const timer = setTimeout(() => ctrl.abort(), ms);
  return { signal: ctrl.signal, clear: () => clearTimeout(timer) };
}

/** What {@link withinTotal} bounds: one AWS call and one HTTP request. */
export interface CallDeadlines extends CallContext {
  /** Deadline of one HTTP request (/healthz). */
  readonly httpTimeoutMs: number;
}

/**
 * `ctx` whose per-call deadlines (`callTimeoutMs`, `httpTimeoutMs`) never reach past `totalMs` from
 * now: each is read when a call starts and is the smaller of its own value and the time left, so a
 * chain of calls (a page after a page, a read after a read) ends by the total too. The total is real
 * time (`clock`), like the timers that enforce it. For a command that must answer within a bound
 * whatever stalls (`shopctl status`).
 */
export function withinTotal<T extends CallDeadlines>(
  ctx: T,
  totalMs: number,
  clock: () => number = () => performance.now(),
): T {
  const endsAt = clock() + totalMs;
  const left = () => Math.max(1, Math.floor(endsAt - clock()));
  const { callTimeoutMs, httpTimeoutMs } = ctx;
  return Object.defineProperties(
    { ...ctx },
    {
      callTimeoutMs: { get: () => Math.min(callTimeoutMs, left()), enumerable: true },
      httpTimeoutMs: { get: () => Math.min(httpTimeoutMs, left()), enumerable: true },
    },
  );
}

/** Throws {@link Interrupted} if the run was interrupted; call between steps and polls. */
export function throwIfInterrupted(ctx: Pick<CallContext, 'signal'>): void {
  if (ctx.signal.aborted) throw new Interrupted();
}

/** True when `e` (or an error it wraps) is an interruption. */
export function isInterrupted(e: unknown): boolean {
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
    if (cur instanceof Interrupted) return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

/** A sleep that ends early (rejecting with {@link Interrupted}) when the run is interrupted. */
export function interruptibleSleep(signal: AbortSignal): (ms: number) => Promise<void> {
  return (ms) =>
    new Promise<void>((resolve, reject) => {
      if (signal.aborted) {
        reject(new Interrupted());
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        reject(new Interrupted());
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
}

/** Timing knobs, from the environment so that tests (and slow links) can change them without flags. */
export interface Timings {
  readonly callTimeoutMs: number;
  readonly attemptTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly httpTimeoutMs: number;
  readonly auditTimeoutMs: number;
  readonly pollMs: number;
  readonly dbTimeoutMs: number;
  readonly verifyTimeoutMs: number;
  readonly statusBudgetMs: number;
}

function envMs(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) {
    throw new Error(
      `${name}=${raw} is not a positive whole number of milliseconds. Fix: unset it or e.g. 5000`,
    );
  }
  return n;
}

/**
 * Deadlines: `SHOPCTL_TIMEOUT_MS` (one AWS call, all attempts; default 12 s: two attempts of 5 s plus
 * backoff), from which an attempt gets half and a connection at most 3 s; `SHOPCTL_AUDIT_TIMEOUT_MS`
 * (the remote audit write, every region together; default 10 s); `SHOPCTL_POLL_MS`,
 * `SHOPCTL_DB_WAIT_MS` (writer move, default 15 min), `SHOPCTL_VERIFY_WAIT_MS` (/healthz, default 5 min),
 * `SHOPCTL_STATUS_BUDGET_MS` (everything `status` waits for, every region at once; default 8 s, so a
 * stalled region shows within about 10 s).
 */
export function timingsFromEnv(env: NodeJS.ProcessEnv = process.env): Timings {
  const callTimeoutMs = envMs(env, 'SHOPCTL_TIMEOUT_MS') ?? 12_000;
  const attemptTimeoutMs = Math.max(1, Math.floor(callTimeoutMs / 2.4));
  return {
    callTimeoutMs,
    attemptTimeoutMs,
    connectTimeoutMs: Math.min(3_000, attemptTimeoutMs),
    httpTimeoutMs: Math.min(5_000, callTimeoutMs),
    auditTimeoutMs: envMs(env, 'SHOPCTL_AUDIT_TIMEOUT_MS') ?? 10_000,
    pollMs: envMs(env, 'SHOPCTL_POLL_MS') ?? 10_000,
    dbTimeoutMs: envMs(env, 'SHOPCTL_DB_WAIT_MS') ?? 15 * 60_000,
    verifyTimeoutMs: envMs(env, 'SHOPCTL_VERIFY_WAIT_MS') ?? 5 * 60_000,
    statusBudgetMs: envMs(env, 'SHOPCTL_STATUS_BUDGET_MS') ?? 8_000,
  };
}
