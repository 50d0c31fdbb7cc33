/**
 * The dispatcher: sends the outbox's notices through the channels in fallback order (알림톡, then
 * SMS, then e-mail), at most once per channel. See docs/notifications.md "Dispatch".
 *
 * 1. Claim (one short transaction, rows locked with SKIP LOCKED so instances share the work): pick
 *    the notice's channel, insert its `notice_attempts` row as `sending` and give the notice a lease.
 *    The row is committed BEFORE the provider is called; no connection is held during the call.
 * 2. Send through the channel's cockatiel policy: a circuit breaker (consecutive failures) around
 *    an aggressive timeout (the channel's deadline; the call is aborted).
 * 3. Settle (one short transaction): `sent`; `refused` (certainly not delivered: the channel may be
 *    tried again later, after the others); or `unknown` (timeout, reset, 5xx after accepting): the
 *    channel is spent for this notice and the next one takes it at once.
 * A process that dies between 2 and 3 leaves the attempt `sending`; when the lease runs out, any
 * instance marks it `unknown` (spent) and the notice moves down the chain. A partial unique index
 * (migration 7) refuses a second possibly-delivered attempt per notice and channel.
 *
 * Delivery reports (`reports` set, channels with `checkDelivery`): a send the provider accepted is
 * `accepted`, not delivered. The same pass looks up accepted attempts whose check is due (claimed
 * in one short transaction that moves their next check on, looked up with no connection held,
 * through a second breaker per channel), and writes `delivered`, `failed` (the provider's code) or,
 * once `reports.deadlineMs` has passed without a final result, `unknown`. A failed or unknown
 * delivery sends the notice down the chain: the attempt stays `sent`, so that channel is spent for
 * the notice and never sends it again.
 */
import { randomUUID } from 'node:crypto';
import {
  BrokenCircuitError,
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  handleAll,
  IsolatedCircuitError,
  type IPolicy,
  TaskCancelledError,
  timeout,
  TimeoutStrategy,
  wrap,
} from 'cockatiel';
import type { PoolClient } from 'pg';
import type { Language } from '../i18n';
import type { Logger } from '../types';
import {
  type Channel,
  ChannelError,
  type ChannelId,
  type DeliveryReport,
  type OutgoingMessage,
} from './channel';
import { eraseExpiredContacts } from './contact';
import type { NoticeDetail, NoticeKind } from './outbox';

/**
 * How the dispatcher's work passes the shop's admission gate (shop/src/gate.ts): always as
 * background work (`low`) in the gate's own background slot, never in a customer's. Reads that a
 * later pass can repeat yield to customers (refused at once under overload); the writes that record
 * a send's outcome do not (the `sent` write is what stops a second send).
 */
export interface NoticeAdmission {
  priority: 'low';
  yieldToCustomers: boolean;
}

/** The outbox reads a later pass repeats: refused while customers use or wait for every slot. */
export const NOTICE_READ: NoticeAdmission = { priority: 'low', yieldToCustomers: true };
/** Outcome writes and the minute's age read: they wait for the background slot instead. */
export const NOTICE_MUST: NoticeAdmission = { priority: 'low', yieldToCustomers: false };

/** The database the outbox lives in (the shop's `Database`, or a pool in tests). */
export interface NoticeDb {
  transaction<T>(fn: (c: PoolClient) => Promise<T>, admission?: NoticeAdmission): Promise<T>;
}

/** Test hooks: fault injection between the steps (never set in production). */
export interface DispatchHooks {
  /** Runs after a channel answered and before the outcome is written (throw = the process died). */
  afterSend?: (attemptId: string, channel: ChannelId) => Promise<void> | void;
}

/** Per-channel counters since start (for metrics and `GET /notify/health`). */
export interface ChannelCounters {
  sent: number;
  failed: number;
  /** Notices this channel gave up on that went on to the next channel. */
  fallbacks: number;
  /** Accepted sends the provider's result look-up reported delivered. */
  delivered: number;
  /** Accepted sends the provider reported undelivered (with its code): the notice moved on. */
  deliveryFailed: number;
  /** Accepted sends with no final result by the report deadline: the notice moved on. */
  deliveryUnknown: number;
}

/** Counters of a channel that has done nothing yet. */
export const ZERO_COUNTERS: Readonly<ChannelCounters> = {
  sent: 0,
  failed: 0,
  fallbacks: 0,
  delivered: 0,
  deliveryFailed: 0,
  deliveryUnknown: 0,
};

/** How the dispatcher reads delivery results of accepted sends (channels with `checkDelivery`). */
export interface DeliveryReportOptions {
  /** First look-up this long after the provider accepted the send. */
  firstCheckMs: number;
  /** Then every this long while the result is pending. */
  everyMs: number;
  /** No final result this long after the accept: the delivery is unknown and the notice moves on. */
  deadlineMs: number;
  /** Look-ups per pass (default 50). */
  batch?: number;
  /** A look-up with no answer by then is abandoned (still pending); default the send `deadlineMs`. */
  timeoutMs?: number;
}

export interface DispatcherOptions {
  db: NoticeDb;
  /** The channels in fallback order. */
  channels: Channel[];
  /** How long a channel may take to answer before the send counts as outcome-unknown. */
  deadlineMs: number;
  /** How long a claim holds a notice; must exceed the deadline with a wide margin. */
  leaseMs: number;
  /** Wait before trying again when every reachable channel refused or is open. */
  retryMs: number;
  /** Breaker: opens after this many failures in a row; half-open after `halfOpenAfterMs`. */
  breaker: { consecutiveFailures: number; halfOpenAfterMs: number };
  /** Notices claimed per pass. */
  batch?: number;
  /** Read delivery results (none: "accepted" is final for every channel). */
  reports?: DeliveryReportOptions;
  /** Channels switched off by the operator (data-plane switch); none by default. */
  disabled?: () => ReadonlySet<string>;
  logger: Logger;
  now: () => Date;
  hooks?: DispatchHooks;
  /** Waits between outcome write attempts (default SETTLE_RETRY_MS; tests shorten them). */
  settleRetryMs?: readonly number[];
}

/** What one pass did. */
export interface PassReport {
  recovered: number;
  claimed: number;
  sent: number;
  refused: number;
  unknown: number;
  undeliverable: number;
  erased: number;
  /** Delivery results written in this pass. */
  delivered: number;
  deliveryFailed: number;
  deliveryUnknown: number;
}

interface Claimed {
  message: OutgoingMessage;
  channel: Channel;
}

interface DueReport {
  id: string;
  notice_id: string;
  channel: ChannelId;
  provider_ref: string | null;
  delivery_due: Date;
}

type DeliveryOutcome = { delivery: 'delivered' | 'failed' | 'unknown'; code?: string };

interface NoticeRow {
  id: string;
  order_id: string;
  kind: NoticeKind;
  detail: NoticeDetail;
  phone: string | null;
  email: string | null;
  lang: Language | null;
  tries: { channel: string; status: string }[];
}

const SPENT = ['sending', 'sent', 'unknown'];

/** A breaker's state as `/notify/health` shows it. */
export type BreakerView = 'closed' | 'open' | 'half-open';

function viewOf(s: CircuitState): BreakerView {
  return s === CircuitState.Closed ? 'closed' : s === CircuitState.HalfOpen ? 'half-open' : 'open';
}

/**
 * Waits before writing an outcome again after the database refused or failed the write (the
 * background slot busy; a writer may be restarting). A send's outcome is known in memory; giving up
 * leaves the attempt `sending` until the lease runs out, which spends the channel and sends the
 * notice again on the next one: a second copy for the customer. So a send's outcome is retried every
 * last delay until written (or the dispatcher stops); a delivery result gives up after 4.4 s (the
 * next check asks again).
 */
const SETTLE_RETRY_MS = [100, 300, 1000, 3000];

export class Dispatcher {
  private readonly policies = new Map<
    ChannelId,
    { policy: IPolicy; state: () => CircuitState; openedAt: number }
  >();
  /** The result look-ups' own breaker per channel: a failing look-up never blocks sends. */
  private readonly reportPolicies = new Map<ChannelId, { policy: IPolicy; state: () => CircuitState }>();
  private readonly counters = new Map<ChannelId, ChannelCounters>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<PassReport> | undefined;
  /** Outcome writes, one at a time: a batch of sends ending together must not flood the admission gate. */
  private settling: Promise<unknown> = Promise.resolve();
  /** Set by `stop()`: a send's outcome write stops retrying (the lease recovers it). */
  private stopping = false;
  /** Outcome writes tried again after a refusal or failure, since start (tests, logs). */
  settleRetries = 0;

  constructor(private readonly o: DispatcherOptions) {
    if (o.leaseMs < o.deadlineMs * 2)
      throw new Error(`notify: leaseMs (${o.leaseMs}) must be at least twice deadlineMs (${o.deadlineMs})`);
    for (const ch of o.channels) {
      const breaker = circuitBreaker(handleAll, {
        halfOpenAfter: o.breaker.halfOpenAfterMs,
        breaker: new ConsecutiveBreaker(o.breaker.consecutiveFailures),
      });
      const deadline = timeout(o.deadlineMs, TimeoutStrategy.Aggressive);
      const entry = { policy: wrap(breaker, deadline), state: () => breaker.state, openedAt: 0 };
      // cockatiel's clock (Date.now), not the outbox clock: it decides when the trial is allowed.
      breaker.onBreak(() => (entry.openedAt = Date.now()));
      this.policies.set(ch.id, entry);
      this.counters.set(ch.id, { ...ZERO_COUNTERS });
      if (ch.checkDelivery && o.reports) {
        const lookups = circuitBreaker(handleAll, {
          halfOpenAfter: o.breaker.halfOpenAfterMs,
          breaker: new ConsecutiveBreaker(o.breaker.consecutiveFailures),
        });
        this.reportPolicies.set(ch.id, {
          policy: wrap(lookups, timeout(o.reports.timeoutMs ?? o.deadlineMs, TimeoutStrategy.Aggressive)),
          state: () => lookups.state,
        });
      }
    }
  }

  /** Breaker state and counters per channel. */
  channelReport(): {
    channel: ChannelId;
    breaker: BreakerView;
    /** The result look-ups' breaker; absent for a channel without look-ups (SES) or with reports off. */
    lookups?: BreakerView;
    disabled: boolean;
    counters: ChannelCounters;
  }[] {
    const disabled = this.o.disabled?.() ?? new Set<string>();
    return this.o.channels.map((ch) => {
      const lookups = this.reportPolicies.get(ch.id);
      return {
        channel: ch.id,
        breaker: viewOf(this.policies.get(ch.id)!.state()),
        ...(lookups ? { lookups: viewOf(lookups.state()) } : {}),
        disabled: disabled.has(ch.id),
        counters: { ...this.counters.get(ch.id)! },
      };
    });
  }

  /**
   * Age in seconds of the oldest notice not yet sent (0 when none).
   * @param admission `NOTICE_MUST` (default) for the minute's metric: an overloaded shop must not
   *   read as "outbox unreadable"; `NOTICE_READ` for `GET /notify/health`, which anyone may call and
   *   which must not hold the background slot the outcome writes need.
   */
  async oldestUnsentAgeSeconds(admission: NoticeAdmission = NOTICE_MUST): Promise<number> {
    return this.o.db.transaction(async (c) => {
      const r = await c.query<{ age: string | null }>(
        "SELECT extract(epoch FROM ($1::timestamptz - min(created_at))) AS age FROM notices WHERE status IN ('pending', 'sending')",
        [this.o.now()],
      );
      return Math.max(0, Number(r.rows[0]?.age ?? 0));
    }, admission);
  }

  /** One pass: recover expired leases, claim, send, settle. Passes never overlap in one process. */
  dispatchOnce(): Promise<PassReport> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<PassReport> {
    const report: PassReport = {
      recovered: 0,
      claimed: 0,
      sent: 0,
      refused: 0,
      unknown: 0,
      undeliverable: 0,
      erased: 0,
      delivered: 0,
      deliveryFailed: 0,
      deliveryUnknown: 0,
    };
    const now = this.o.now();
    report.recovered = await this.recover(now);
    const claimed = await this.claim(now, report);
    report.claimed = claimed.length;
    const due = await this.dueReports(now);
    // Sends and look-ups run side by side, and every one settles (or gives up) before the pass
    // ends, so passes never overlap them and a pass lasts about one deadline at most.
    await Promise.all([
      ...claimed.map((c) =>
        this.sendOne(c, report).catch((err: Error) =>
          this.o.logger.error('notice outcome not written; the lease will recover it', {
            noticeId: c.message.noticeId,
            channel: c.channel.id,
            error: err.message,
          }),
        ),
      ),
      ...due.map((a) =>
        this.checkOne(a, report).catch((err: Error) =>
          this.o.logger.warn('delivery result not written; asked again at the next check', {
            noticeId: a.notice_id,
            channel: a.channel,
            error: err.message,
          }),
        ),
      ),
    ]);
    report.erased = await this.o.db.transaction((c) => eraseExpiredContacts(c, this.o.now()), NOTICE_READ);
    return report;
  }

  /** Attempts left `sending` past their lease (the sender died): outcome unknown, channel spent. */
  private async recover(now: Date): Promise<number> {
    return this.o.db.transaction(async (c) => {
      const stale = await c.query<{ id: string }>(
        "SELECT id FROM notices WHERE status = 'sending' AND lease_until < $1 FOR UPDATE SKIP LOCKED",
        [now],
      );
      if (stale.rowCount === 0) return 0;
      const ids = stale.rows.map((r) => r.id);
      const spent = await c.query<{ channel: ChannelId }>(
        `UPDATE notice_attempts SET status = 'unknown', error = 'lease expired: the sender stopped, outcome unknown', finished_at = $2
         WHERE notice_id = ANY($1::bigint[]) AND status = 'sending' RETURNING channel`,
        [ids, now],
      );
      for (const r of spent.rows) this.count(r.channel, 'failed');
      await c.query(
        "UPDATE notices SET status = 'pending', next_at = $2, lease_until = NULL WHERE id = ANY($1::bigint[])",
        [ids, now],
      );
      this.o.logger.warn('notice sends recovered after an expired lease', { notices: ids.length });
      return ids.length;
    }, NOTICE_READ);
  }

  private async claim(now: Date, report: PassReport): Promise<Claimed[]> {
    const disabled = this.o.disabled?.() ?? new Set<string>();
    const trials = new Set<ChannelId>();
    return this.o.db.transaction(async (c) => {
      // Due at the clock's resolution: `now` is a JavaScript Date (milliseconds) and next_at is
      // PostgreSQL's now() (microseconds), so a notice written in the pass's own millisecond would
      // otherwise wait a whole pass (seen on an idle machine, where a write and the pass fit in 1 ms).
      const rows = await c.query<NoticeRow>(
        `SELECT n.id::text AS id, n.order_id, n.kind, n.detail, k.phone, k.email, k.lang,
                COALESCE((SELECT json_agg(json_build_object('channel', a.channel, 'status', a.status))
                          FROM notice_attempts a WHERE a.notice_id = n.id), '[]') AS tries
         FROM notices n LEFT JOIN order_contacts k ON k.order_id = n.order_id
         WHERE n.status = 'pending' AND n.next_at < $1::timestamptz + interval '1 millisecond'
         ORDER BY n.next_at, n.id LIMIT $2 FOR UPDATE OF n SKIP LOCKED`,
        [now, this.o.batch ?? 20],
      );
      const out: Claimed[] = [];
      for (const n of rows.rows) {
        const contact = { phone: n.phone ?? undefined, email: n.email ?? undefined };
        const refusals = (ch: ChannelId) =>
          n.tries.filter((t) => t.channel === ch && t.status === 'refused').length;
        const reachable = this.o.channels.filter(
          (ch) =>
            ch.canReach(contact) && !n.tries.some((t) => t.channel === ch.id && SPENT.includes(t.status)),
        );
        if (reachable.length === 0) {
          await c.query("UPDATE notices SET status = 'undeliverable' WHERE id = $1", [n.id]);
          report.undeliverable++;
          this.o.logger.error('notice undeliverable: every channel spent or no contact left', {
            noticeId: n.id,
            orderId: n.order_id,
          });
          continue;
        }
        const open = reachable.filter((ch) => !disabled.has(ch.id) && this.usable(ch.id, trials));
        if (open.length === 0) {
          await c.query('UPDATE notices SET next_at = $2 WHERE id = $1', [
            n.id,
            new Date(now.getTime() + this.o.retryMs),
          ]);
          continue;
        }
        // The first channel in chain order among those refused the fewest times: a refusal moves the
        // notice on to the next channel at once, and the chain starts over once every one refused.
        const fewest = Math.min(...open.map((ch) => refusals(ch.id)));
        const channel = open.find((ch) => refusals(ch.id) === fewest)!;
        if (this.policies.get(channel.id)!.state() === CircuitState.Open) trials.add(channel.id);
        const attemptId = randomUUID();
        await c.query(
          "INSERT INTO notice_attempts (id, notice_id, channel, status, started_at) VALUES ($1, $2, $3, 'sending', $4)",
          [attemptId, n.id, channel.id, now],
        );
        await c.query("UPDATE notices SET status = 'sending', lease_until = $2 WHERE id = $1", [
          n.id,
          new Date(now.getTime() + this.o.leaseMs),
        ]);
        out.push({
          channel,
          message: {
            noticeId: n.id,
            orderId: n.order_id,
            kind: n.kind,
            detail: n.detail,
            lang: n.lang ?? 'ko',
            phone: contact.phone,
            email: contact.email,
            attemptId,
          },
        });
      }
      return out;
    }, NOTICE_READ);
  }

  /**
   * Whether a notice may be given to this channel now: its breaker is closed, or it has been open
   * for `halfOpenAfterMs` and this pass has not yet picked the one notice that tries it. cockatiel
   * moves an open breaker to half-open only when a call is made after that time (its `state` stays
   * `Open` until then), so "open" alone would keep a recovered channel unused forever. While the
   * trial is in flight (half-open) the channel takes nothing else.
   */
  private usable(id: ChannelId, trials: Set<ChannelId>): boolean {
    const p = this.policies.get(id)!;
    const state = p.state();
    if (state === CircuitState.Closed) return true;
    if (state !== CircuitState.Open || trials.has(id)) return false;
    return Date.now() - p.openedAt >= this.o.breaker.halfOpenAfterMs;
  }

  private async sendOne({ channel, message }: Claimed, report: PassReport): Promise<void> {
    const { policy } = this.policies.get(channel.id)!;
    let outcome: { status: 'sent'; ref?: string } | { status: 'refused' | 'unknown'; error: string };
    try {
      // A signal of its own per send: without one, cockatiel's timeout hangs every call's abort
      // listener on one shared signal, and a batch of sends trips Node's MaxListeners warning.
      const receipt = await policy.execute(
        ({ signal }) => channel.send(message, signal),
        new AbortController().signal,
      );
      outcome = { status: 'sent', ref: receipt.providerRef };
    } catch (err) {
      const delivered =
        err instanceof ChannelError
          ? err.delivered
          : err instanceof BrokenCircuitError || err instanceof IsolatedCircuitError
            ? 'no'
            : 'maybe'; // the deadline passed (TaskCancelledError) or something unforeseen: assume sent
      outcome = {
        status: delivered === 'no' ? 'refused' : 'unknown',
        error:
          err instanceof TaskCancelledError
            ? `${channel.id}: no answer by the deadline`
            : (err as Error).message,
      };
    }
    await this.o.hooks?.afterSend?.(message.attemptId, channel.id);
    await this.serialised(() => this.settle(channel, message, outcome), true);
    if (outcome.status === 'sent') {
      report.sent++;
      this.count(channel.id, 'sent');
    } else {
      report[outcome.status]++;
      this.count(channel.id, 'failed');
      this.o.logger.warn('notice send failed; moving down the chain', {
        noticeId: message.noticeId,
        channel: channel.id,
        outcome: outcome.status,
        error: outcome.error,
      });
    }
  }

  /**
   * Runs an outcome write after the previous one, retried after SETTLE_RETRY_MS when the database
   * refuses it: writes one at a time, so that a batch ending together does not flood the gate.
   * `untilWritten` (a send's outcome): after those, again every last delay until written or stopped.
   */
  private async serialised<T>(fn: () => Promise<T>, untilWritten = false): Promise<T> {
    const write = async () => {
      for (let i = 0; ; i++) {
        try {
          return await fn();
        } catch (err) {
          const waits = this.o.settleRetryMs ?? SETTLE_RETRY_MS;
          if (i >= waits.length && (!untilWritten || this.stopping)) throw err;
          this.settleRetries++;
          await new Promise((r) => setTimeout(r, waits[Math.min(i, waits.length - 1)]));
        }
      }
    };
    const written = this.settling.then(write);
    this.settling = written.catch(() => undefined);
    return written;
  }

  private async settle(
    sender: Channel,
    m: OutgoingMessage,
    outcome: { status: 'sent'; ref?: string } | { status: 'refused' | 'unknown'; error: string },
  ): Promise<void> {
    const channel = sender.id;
    const now = this.o.now();
    const r = this.o.reports;
    await this.o.db.transaction(async (c) => {
      if (outcome.status === 'sent') {
        // Also when the lease ran out meanwhile: the record says what happened. Accepted, not yet
        // delivered: a channel with a result look-up gets its first check and its deadline.
        const tracked = Boolean(r && sender.checkDelivery);
        await c.query(
          `UPDATE notice_attempts SET status = 'sent', provider_ref = $2, error = NULL, finished_at = $3,
             delivery = 'accepted', delivery_check_at = $4, delivery_due = $5 WHERE id = $1`,
          [
            m.attemptId,
            outcome.ref ?? null,
            now,
            tracked ? new Date(now.getTime() + r!.firstCheckMs) : null,
            tracked ? new Date(now.getTime() + r!.deadlineMs) : null,
          ],
        );
        await c.query(
          "UPDATE notices SET status = 'sent', channel = $2, sent_at = $3, lease_until = NULL WHERE id = $1 AND status <> 'sent'",
          [m.noticeId, channel, now],
        );
        return;
      }
      const a = await c.query(
        "UPDATE notice_attempts SET status = $2, error = $3, finished_at = $4 WHERE id = $1 AND status = 'sending'",
        [m.attemptId, outcome.status, outcome.error.slice(0, 500), now],
      );
      if (a.rowCount === 0) return; // recovered meanwhile: already spent and moved on
      // Straight on to the next channel, unless every reachable channel has already refused this
      // notice at least as often as this one: then wait `retryMs` before starting the chain over.
      const tries = await c.query<{ channel: string; status: string }>(
        'SELECT channel, status FROM notice_attempts WHERE notice_id = $1',
        [m.noticeId],
      );
      const refusals = (ch: string) =>
        tries.rows.filter((t) => t.channel === ch && t.status === 'refused').length;
      const reachable = this.o.channels.filter(
        (ch) => ch.canReach(m) && !tries.rows.some((t) => t.channel === ch.id && SPENT.includes(t.status)),
      );
      const mine = refusals(channel);
      const fresher = reachable.some((ch) => ch.id !== channel && refusals(ch.id) < Math.max(mine, 1));
      const nextAt = outcome.status === 'unknown' || fresher ? now : new Date(now.getTime() + this.o.retryMs);
      if (reachable.length > 0 && nextAt === now) this.count(channel, 'fallbacks');
      await c.query(
        "UPDATE notices SET status = 'pending', next_at = $2, lease_until = NULL WHERE id = $1 AND status = 'sending'",
        [m.noticeId, nextAt],
      );
    }, NOTICE_MUST);
  }

  /**
   * Accepted attempts whose result look-up is due, claimed in one short transaction that moves
   * their next check `everyMs` on (so that another instance does not ask at the same time); the
   * look-ups then run with no connection held.
   */
  private async dueReports(now: Date): Promise<DueReport[]> {
    const r = this.o.reports;
    const checkable = [...this.reportPolicies.keys()];
    if (!r || checkable.length === 0) return [];
    return this.o.db.transaction(async (c) => {
      const due = await c.query<DueReport>(
        `UPDATE notice_attempts SET delivery_check_at = $2 WHERE id IN (
           SELECT id FROM notice_attempts
           WHERE delivery = 'accepted' AND delivery_check_at < $1::timestamptz + interval '1 millisecond'
             AND channel = ANY($3::text[])
           ORDER BY delivery_check_at LIMIT $4 FOR UPDATE SKIP LOCKED)
         RETURNING id, notice_id::text AS notice_id, channel, provider_ref, delivery_due`,
        [now, new Date(now.getTime() + r.everyMs), checkable, r.batch ?? 50],
      );
      return due.rows;
    }, NOTICE_READ);
  }

  /** One result look-up, then its outcome written; pending before the deadline writes nothing. */
  private async checkOne(a: DueReport, report: PassReport): Promise<void> {
    const channel = this.o.channels.find((ch) => ch.id === a.channel)!;
    let result: DeliveryReport | undefined;
    let error: string | undefined;
    if (a.provider_ref) {
      try {
        result = await this.reportPolicies
          .get(a.channel)!
          .policy.execute(
            ({ signal }) => channel.checkDelivery!(a.provider_ref!, signal),
            new AbortController().signal,
          );
      } catch (err) {
        error =
          err instanceof TaskCancelledError
            ? 'no answer by the deadline'
            : err instanceof BrokenCircuitError || err instanceof IsolatedCircuitError
              ? 'look-up breaker open'
              : (err as Error).message;
      }
    }
    let outcome: DeliveryOutcome | undefined;
    if (result?.state === 'delivered') outcome = { delivery: 'delivered', code: result.code };
    else if (result?.state === 'failed') outcome = { delivery: 'failed', code: result.code };
    // Read the clock after the look-up: it may have taken up to a deadline.
    else if (this.o.now().getTime() >= new Date(a.delivery_due).getTime())
      outcome = {
        delivery: 'unknown',
        code: result?.code
          ? `still ${result.code} at the deadline`
          : error
            ? `look-up failed at the deadline: ${error}`
            : a.provider_ref
              ? 'no final result by the deadline'
              : 'no message reference to look up',
      };
    if (!outcome) return;
    const moved = await this.serialised(() => this.settleDelivery(a, outcome));
    if (moved === undefined) return; // another instance wrote it first
    const key =
      outcome.delivery === 'delivered'
        ? 'delivered'
        : outcome.delivery === 'failed'
          ? 'deliveryFailed'
          : 'deliveryUnknown';
    report[key]++;
    this.count(a.channel, key);
    if (moved) this.count(a.channel, 'fallbacks');
    if (outcome.delivery !== 'delivered')
      this.o.logger.warn('notice not confirmed delivered; moving down the chain', {
        noticeId: a.notice_id,
        channel: a.channel,
        delivery: outcome.delivery,
        code: outcome.code,
        movedOn: moved,
      });
  }

  /**
   * Writes a delivery result. Failed or unknown: the notice goes back to `pending` for the next
   * reachable channel not yet spent (this one is: its attempt stays `sent`); with none left a
   * failed notice is `undeliverable` and an unknown one stays `sent` (it may have arrived).
   * Returns undefined when the result was already written, else whether the notice moved on.
   */
  private async settleDelivery(a: DueReport, outcome: DeliveryOutcome): Promise<boolean | undefined> {
    const now = this.o.now();
    return this.o.db.transaction(async (c) => {
      const n = await c.query<{ phone: string | null; email: string | null }>(
        `SELECT k.phone, k.email FROM notices n LEFT JOIN order_contacts k ON k.order_id = n.order_id
         WHERE n.id = $1 FOR UPDATE OF n`,
        [a.notice_id],
      );
      const w = await c.query(
        `UPDATE notice_attempts SET delivery = $2, delivery_code = $3, delivery_at = $4, delivery_check_at = NULL
         WHERE id = $1 AND delivery = 'accepted'`,
        [a.id, outcome.delivery, outcome.code?.slice(0, 200) ?? null, now],
      );
      if (w.rowCount === 0) return undefined;
      if (outcome.delivery === 'delivered') return false;
      const contact = { phone: n.rows[0]?.phone ?? undefined, email: n.rows[0]?.email ?? undefined };
      const tries = await c.query<{ channel: string; status: string }>(
        'SELECT channel, status FROM notice_attempts WHERE notice_id = $1',
        [a.notice_id],
      );
      const reachable = this.o.channels.filter(
        (ch) =>
          ch.canReach(contact) && !tries.rows.some((t) => t.channel === ch.id && SPENT.includes(t.status)),
      );
      if (reachable.length > 0) {
        const moved = await c.query(
          `UPDATE notices SET status = 'pending', channel = NULL, sent_at = NULL, next_at = $2, lease_until = NULL
           WHERE id = $1 AND status = 'sent' AND channel = $3`,
          [a.notice_id, now, a.channel],
        );
        return (moved.rowCount ?? 0) > 0;
      }
      if (outcome.delivery === 'failed') {
        await c.query(
          "UPDATE notices SET status = 'undeliverable' WHERE id = $1 AND status = 'sent' AND channel = $2",
          [a.notice_id, a.channel],
        );
        this.o.logger.error('notice undeliverable: the last channel reported it undelivered', {
          noticeId: a.notice_id,
          channel: a.channel,
          code: outcome.code,
        });
      }
      return false;
    }, NOTICE_MUST);
  }

  private count(channel: ChannelId, what: keyof ChannelCounters) {
    const c = this.counters.get(channel);
    if (c) c[what]++;
  }

  /**
   * Runs a pass every `everyMs` until `stop()`; a tick when `when()` is false is skipped (the shop
   * passes "the database is the writer", so a reader instance does not fail a pass every tick).
   */
  start(everyMs: number, when: () => boolean = () => true): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (!when()) return;
      this.dispatchOnce().catch((err: Error) =>
        this.o.logger.warn('notice dispatch pass failed', { error: err.message }),
      );
    }, everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }
}
