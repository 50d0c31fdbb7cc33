/**
 * Payments: from an order awaiting payment to a paid order, exactly once.
 *
 * The rules (docs/payments.md "Money moves exactly once"):
 * 1. The attempt row, with the idempotency key the provider will get, is committed BEFORE any call
 *    to the provider; its state moves to `confirming` in a committed transaction before confirm.
 * 2. No database connection is held while a provider is called: every transaction here is a few
 *    statements, and provider calls happen between them.
 * 3. A timeout, a reset, a 5xx or a lost process leaves the attempt `unknown` (or `confirming`);
 *    the order then takes no other attempt, on any provider, until a look-up says nothing was charged.
 * 4. The reconciler resolves unknowns by look-up, re-checks for a while what it resolved as "not
 *    charged", and cancels (refunds) any second approval of an order, recording it.
 * 5. The return from the window is checked server-side against the order (attempt, order id,
 *    amount, payment key not used elsewhere) before anything is sent to the provider.
 */
import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import { PAYMENT_METRICS_EVERY_SECONDS } from '../../../lib/contract/payments';
import type { Database } from '../db';
import { OverloadedError } from '../gate';
import { HttpError } from '../http';
import type { Logger } from '../types';
import { enqueueNotice, type NoticeKind } from '../notify/outbox';
import type { PaymentsSettings } from './config';
import { CircuitOpenError, PaymentHealth, type LaneReport } from './health';
import type { PaymentMetrics } from './metrics';
import type { DrillFaultSwitch } from './fault';
import type { PaymentSwitch } from './switch';
import type { TestPayments } from './test-payment';
import {
  type AttemptRef,
  isManualMethod,
  isOnlineMethod,
  type LookupResult,
  MANUAL_METHODS,
  ONLINE_METHODS,
  type OnlineMethod,
  type Outcome,
  type PaymentMethod,
  type PaymentProvider,
  ProviderCallError,
  type ReturnParams,
  type ReturnUrls,
  type WindowPage,
} from './types';

/** The payment state of an order as `GET /orders/{id}` reports it. */
export type PaymentState =
  | 'awaiting-payment'
  | 'confirming'
  | 'paid'
  | 'failed'
  | 'awaiting-transfer'
  | 'awaiting-phone'
  | 'expired'
  | 'none';

/** One online method as the payment choice page shows it. */
export interface MethodChoice {
  method: PaymentMethod;
  online: boolean;
  available: boolean;
  /** Providers that may take it now, in routing order. */
  providers: string[];
}

interface AttemptRow {
  id: string;
  order_id: string;
  provider: string;
  method: string;
  amount: string;
  idempotency_key: string;
  status: string;
  provider_ref: string | null;
}

/** Test hooks: fault injection between the steps (never set in production). */
export interface PaymentHooks {
  /** Runs after the provider answered a confirm and before the result is written (throw = crash). */
  afterProviderAnswer?: (attemptId: string, outcome: Outcome) => Promise<void> | void;
}

export interface PaymentServiceOptions {
  settings: PaymentsSettings;
  db: Database;
  providers: PaymentProvider[];
  health: PaymentHealth;
  switch: PaymentSwitch;
  /** The game day's fault switch (shop/src/payments/fault.ts); reported by `GET /payments/health`. */
  faults?: DrillFaultSwitch;
  /** The canary's test payments through the providers' test modes (test-payment.ts). */
  tests?: TestPayments;
  metrics?: PaymentMetrics;
  logger: Logger;
  now: () => number;
  hooks?: PaymentHooks;
  /**
   * The shop's fence (shop/src/fence.ts): orphan charges are refunded only by the region that may
   * take orders, never by a standby reading a lagging replica or an old primary that came back.
   */
  fence?: { check(client: PoolClient): Promise<void> };
}

/** Result of `start`: where the customer goes next. */
export type StartResult =
  | { kind: 'redirect'; orderId: string; attemptId: string; provider: string; redirectUrl: string }
  | { kind: 'bank-transfer'; orderId: string; amount: number; dueAt: string }
  | { kind: 'phone'; orderId: string; amount: number; dueAt: string };

/** Result of a return from the window. */
export interface ReturnResult {
  orderId: string;
  payment: PaymentState;
  /** A short reason when not paid. */
  code?: string;
}

/** What one reconcile pass did. */
export interface ReconcileReport {
  looked: number;
  approved: number;
  notCharged: number;
  duplicatesRefunded: number;
  unresolved: number;
  expiredHolds: number;
}

const IN_FLIGHT = ['confirming', 'unknown'];

export class PaymentService {
  private readonly providers = new Map<string, PaymentProvider>();
  private timer: NodeJS.Timeout | undefined;
  private metricsTimer: NodeJS.Timeout | undefined;
  private reconciling: Promise<ReconcileReport> | undefined;
  private lastPublish = 0;
  private lastUnknowns = 0;
  /** A sweep of `started` attempts is due (at start, after a promotion, until one succeeds). */
  private sweepDue = true;

  constructor(private readonly o: PaymentServiceOptions) {
    for (const p of o.providers) this.providers.set(p.id, p);
  }

  get settings(): PaymentsSettings {
    return this.o.settings;
  }

  /** The canary's test payments, when a provider has test keys. */
  get tests(): TestPayments | undefined {
    return this.o.tests;
  }

  /** Online providers for `method` that may take a new checkout now, in config order. */
  private candidates(method: OnlineMethod): PaymentProvider[] {
    return this.o.providers.filter(
      (p) =>
        p.methods.includes(method) &&
        !this.o.switch.isDisabled(p.id, method) &&
        this.o.health.admits(p.id, method, false),
    );
  }

  /** The order's total (404 when there is none). */
  async orderTotal(orderId: string): Promise<number> {
    const rows = await this.o.db.query<{ total_cents: string }>(
      'writer',
      'SELECT total_cents FROM orders WHERE id = $1',
      [orderId],
    );
    if (!rows[0]) throw new HttpError(404, 'There is no such order.');
    return Number(rows[0].total_cents);
  }

  /** Every method with its availability; available online methods first, then manual ones. */
  choices(): MethodChoice[] {
    const online: MethodChoice[] = ONLINE_METHODS.filter((m) =>
      this.o.providers.some((p) => p.methods.includes(m)),
    ).map((m) => {
      const providers = this.candidates(m).map((p) => p.id);
      return { method: m, online: true, available: providers.length > 0, providers };
    });
    const manual: MethodChoice[] = MANUAL_METHODS.filter((m) =>
      m === 'bank-transfer'
        ? Boolean(this.o.settings.manual.bankTransfer)
        : this.o.settings.manual.phoneOrders,
    ).map((m) => ({ method: m, online: false, available: true, providers: [] }));
    return [...online.filter((c) => c.available), ...manual, ...online.filter((c) => !c.available)];
  }

  /** Online methods that can take a payment now (the `OnlineMethodsAvailable` gauge). */
  onlineAvailable(): number {
    return this.choices().filter((c) => c.online && c.available).length;
  }

  /** `GET /payments/health`. */
  async healthReport(region: string) {
    const lanes: LaneReport[] = this.o.health.report((p, m) => this.o.switch.isDisabled(p, m));
    const methods = this.choices().filter((c) => c.online);
    const onlineAvailable = methods.filter((m) => m.available).length;
    // "ok": every provider of every method takes payments; "degraded": a provider or a method is
    // down and others carry on; "all-online-down": only the manual ways remain.
    const status =
      onlineAvailable === 0 ? 'all-online-down' : lanes.every((l) => l.available) ? 'ok' : 'degraded';
    return {
      region,
      status,
      methodsDown: methods.filter((m) => !m.available).map((m) => m.method),
      onlineMethodsAvailable: onlineAvailable,
      onlineMethods: methods.length,
      methods: methods.map((m) => ({ method: m.method, available: m.available, providers: m.providers })),
      providers: lanes,
      switch: {
        disabled: this.o.switch.list(),
        lastReadAt: this.o.switch.lastReadAt?.toISOString() ?? null,
        error: this.o.switch.lastError ?? null,
      },
      unresolvedUnknowns: await this.unresolvedUnknowns().catch(() => null),
      // The game day's fault as this shop applies it: the drill times detection from its arrival.
      drillFault: this.o.faults?.active() ?? null,
    };
  }

  private async unresolvedUnknowns(): Promise<number> {
    const rows = await this.o.db.query<{ n: string }>(
      'writer',
      "SELECT count(*) AS n FROM payment_attempts WHERE status IN ('confirming', 'unknown', 'duplicate')",
      [],
      { wait: false },
    );
    return Number(rows[0].n);
  }

  /**
   * Starts paying `orderId` with `method` (and the preferred provider, if it may take it). Online:
   * commits the attempt, then prepares the provider's window; a provider that fails to prepare it
   * (nothing can be charged before the window) is skipped for the next one of the same method.
   */
  async start(
    orderId: string,
    method: PaymentMethod,
    preferred: string | undefined,
    base: string,
  ): Promise<StartResult> {
    if (isManualMethod(method)) return this.startManual(orderId, method);
    if (!isOnlineMethod(method)) throw new HttpError(400, 'Choose a payment method we offer.');
    const tried = new Set<string>();
    for (;;) {
      const all = this.candidates(method).filter((p) => !tried.has(p.id));
      const provider = all.find((p) => p.id === preferred) ?? all[0];
      if (!provider || !this.o.health.admits(provider.id, method, true)) {
        throw new HttpError(
          503,
          'This payment method is not available right now. Please choose another way to pay.',
        );
      }
      tried.add(provider.id);
      const attempt = await this.createAttempt(orderId, provider, method);
      const urls = returnUrls(base, attempt.id);
      try {
        const prepare = () => provider.startWindow(attempt, urls, orderName(orderId));
        const window = provider.windowCallsProvider
          ? await this.o.health.run(provider.id, method, prepare)
          : await prepare();
        if (window.providerRef) {
          await this.o.db.query(
            'writer',
            'UPDATE payment_attempts SET provider_ref = $2, updated_at = now() WHERE id = $1',
            [attempt.id, window.providerRef],
          );
        }
        return {
          kind: 'redirect',
          orderId,
          attemptId: attempt.id,
          provider: provider.id,
          redirectUrl: window.redirectUrl,
        };
      } catch (err) {
        if (!(err instanceof ProviderCallError)) throw err;
        // Preparing the window moves no money: the attempt is over, the next provider may try.
        await this.finish(attempt.id, ['started'], 'failed', err.code ?? err.errorClass, err.message);
        this.o.logger.warn('payment window not prepared; trying the next provider', {
          provider: provider.id,
          method,
          error: err.message,
        });
      }
    }
  }

  private async createAttempt(
    orderId: string,
    provider: PaymentProvider,
    method: OnlineMethod,
  ): Promise<AttemptRef> {
    const id = randomUUID();
    const key = `pay-${id}`;
    const amount = await this.o.db.transaction(
      async (c) => {
        const order = await this.lockPayableOrder(c, orderId);
        await c.query(
          "UPDATE payment_attempts SET status = 'abandoned', updated_at = now() WHERE order_id = $1 AND status = 'started'",
          [orderId],
        );
        await c.query(
          `INSERT INTO payment_attempts (id, order_id, provider, method, amount, idempotency_key, status)
           VALUES ($1, $2, $3, $4, $5, $6, 'started')`,
          [id, orderId, provider.id, method, order.total, key],
        );
        await c.query('UPDATE orders SET payment_method = $2 WHERE id = $1', [orderId, method]);
        return order.total;
      },
      { priority: 'high' },
    );
    return { id, orderId, method, amount, idempotencyKey: key };
  }

  /** Locks the order and checks that it may take a new payment attempt now. */
  private async lockPayableOrder(c: PoolClient, orderId: string): Promise<{ total: number; status: string }> {
    const rows = await c.query<{ status: string; total_cents: string }>(
      'SELECT status, total_cents FROM orders WHERE id = $1 FOR UPDATE',
      [orderId],
    );
    if (rows.rowCount === 0) throw new HttpError(404, 'There is no such order.');
    const { status } = rows.rows[0];
    if (status === 'paid') throw new HttpError(409, 'This order is already paid.');
    if (!['awaiting_payment', 'awaiting_transfer', 'awaiting_phone'].includes(status))
      throw new HttpError(409, 'This order cannot be paid any more.');
    const pending = await c.query('SELECT 1 FROM payment_attempts WHERE order_id = $1 AND status = ANY($2)', [
      orderId,
      IN_FLIGHT,
    ]);
    if (pending.rowCount)
      throw new HttpError(
        409,
        'We are still confirming an earlier payment for this order. Check the order in a minute: you will not be charged twice.',
      );
    return { total: Number(rows.rows[0].total_cents), status };
  }

  private async startManual(orderId: string, method: 'bank-transfer' | 'phone'): Promise<StartResult> {
    const bank = this.o.settings.manual.bankTransfer;
    if (method === 'bank-transfer' && !bank) throw new HttpError(400, 'Choose a payment method we offer.');
    if (method === 'phone' && !this.o.settings.manual.phoneOrders)
      throw new HttpError(400, 'Choose a payment method we offer.');
    const holdHours = bank?.holdHours ?? 24;
    const dueAt = new Date(this.o.now() + holdHours * 3600_000);
    const amount = await this.o.db.transaction(
      async (c) => {
        const order = await this.lockPayableOrder(c, orderId);
        await c.query(
          "UPDATE payment_attempts SET status = 'abandoned', updated_at = now() WHERE order_id = $1 AND status = 'started'",
          [orderId],
        );
        await c.query(
          'UPDATE orders SET status = $2, payment_method = $3, payment_due_at = $4 WHERE id = $1',
          [orderId, method === 'bank-transfer' ? 'awaiting_transfer' : 'awaiting_phone', method, dueAt],
        );
        if (method === 'bank-transfer' && bank)
          await enqueueNotice(c, orderId, 'awaiting-transfer', '', {
            amount: order.total,
            dueAt: dueAt.toISOString(),
            bank: bank.bank,
            account: bank.account,
            holder: bank.holder,
          });
        return order.total;
      },
      { priority: 'high' },
    );
    return { kind: method, orderId, amount, dueAt: dueAt.toISOString() };
  }

  /**
   * The shop's own window page of an attempt (`GET /payments/window`): what to hand to the provider's
   * SDK, read from the attempt as committed (amount, ids), or the order to show instead when the
   * attempt is no longer waiting for its window (paid, confirming, given up).
   */
  async windowPage(attemptId: string, base: string): Promise<{ orderId: string; page?: WindowPage }> {
    const rows = await this.o.db.query<AttemptRow>('writer', 'SELECT * FROM payment_attempts WHERE id = $1', [
      attemptId,
    ]);
    const row = rows[0];
    if (!row) throw new HttpError(404, 'There is no such payment.');
    const provider = this.providers.get(row.provider);
    if (row.status !== 'started' || !provider?.windowPage) return { orderId: row.order_id };
    try {
      const page = await provider.windowPage(toRef(row), returnUrls(base, row.id), orderName(row.order_id));
      return { orderId: row.order_id, page };
    } catch (err) {
      // A secret without its client key, or unreadable: the operator's to fix, the customer's to
      // route around (the message is the one the choice page's other ways answer to).
      this.o.logger.error('payment window page not served', {
        provider: row.provider,
        error: (err as Error).message,
      });
      throw new HttpError(
        503,
        'This payment method is not available right now. Please choose another way to pay.',
      );
    }
  }

  /** The customer came back from the window without paying (cancel or failure inside the window). */
  async windowFailed(attemptId: string, code: string | undefined): Promise<ReturnResult> {
    const rows = await this.o.db.query<{ order_id: string }>(
      'writer',
      `UPDATE payment_attempts SET status = 'failed', failure_code = $2, updated_at = now()
       WHERE id = $1 AND status = 'started' RETURNING order_id`,
      [attemptId, (code ?? 'WINDOW_FAILED').slice(0, 100)],
    );
    const orderId = rows[0]?.order_id ?? (await this.orderOf(attemptId));
    return { orderId, payment: await this.paymentState(orderId), code: code ?? 'WINDOW_FAILED' };
  }

  private async orderOf(attemptId: string): Promise<string> {
    const rows = await this.o.db.query<{ order_id: string }>(
      'writer',
      'SELECT order_id FROM payment_attempts WHERE id = $1',
      [attemptId],
    );
    if (!rows[0]) throw new HttpError(404, 'There is no such payment.');
    return rows[0].order_id;
  }

  /**
   * The return from the window: checks it against the order, commits `confirming`, confirms with the
   * provider (no connection held), and writes what the provider answered.
   */
  async handleReturn(attemptId: string, params: ReturnParams): Promise<ReturnResult> {
    const checked = await this.o.db.transaction(
      async (c) => {
        const a = await c.query<AttemptRow>('SELECT * FROM payment_attempts WHERE id = $1', [attemptId]);
        if (a.rowCount === 0) throw new HttpError(404, 'There is no such payment.');
        const orderId = a.rows[0].order_id;
        const o = await c.query<{ status: string; total_cents: string }>(
          'SELECT status, total_cents FROM orders WHERE id = $1 FOR UPDATE',
          [orderId],
        );
        const attempt = (
          await c.query<AttemptRow>('SELECT * FROM payment_attempts WHERE id = $1 FOR UPDATE', [attemptId])
        ).rows[0];
        if (attempt.status === 'approved') return { done: { orderId, payment: 'paid' as const } };
        if (IN_FLIGHT.includes(attempt.status)) return { done: { orderId, payment: 'confirming' as const } };
        if (attempt.status !== 'started')
          throw new HttpError(409, 'This payment was not completed. Please start the payment again.');
        if (o.rows[0].status !== 'awaiting_payment')
          throw new HttpError(
            409,
            'This order is not waiting for this payment. Nothing was charged by this return.',
          );
        const provider = this.providers.get(attempt.provider);
        if (!provider)
          throw new HttpError(409, 'This payment was not completed. Please start the payment again.');
        const ref = toRef(attempt);
        const problem =
          Number(attempt.amount) !== Number(o.rows[0].total_cents)
            ? 'The amount returned by the payment window does not match the order.'
            : provider.checkReturn(ref, params);
        if (problem) return { refused: problem, orderId };
        const providerRef = provider.returnRef(ref, params);
        try {
          await c.query('SAVEPOINT ref');
          await c.query(
            "UPDATE payment_attempts SET status = 'confirming', provider_ref = $2, updated_at = now() WHERE id = $1",
            [attemptId, providerRef ?? null],
          );
        } catch (err) {
          if ((err as { code?: string }).code !== '23505') throw err;
          await c.query('ROLLBACK TO SAVEPOINT ref');
          return { refused: 'This payment key was already used for another payment.', orderId };
        }
        return { go: { ...ref, providerRef }, provider };
      },
      { priority: 'high' },
    );
    if ('done' in checked && checked.done) return checked.done;
    if ('refused' in checked && checked.refused) {
      await this.event(attemptId, checked.orderId, 'return-refused', { reason: checked.refused, params });
      this.o.logger.warn('payment return refused', { attemptId, reason: checked.refused });
      throw new HttpError(400, `${checked.refused} Nothing was charged.`);
    }
    const { go, provider } = checked as { go: AttemptRef; provider: PaymentProvider };
    let outcome: Outcome;
    try {
      outcome = await this.o.health.run(
        provider.id,
        go.method,
        () => provider.confirm(go, params),
        (r) =>
          r.kind === 'approved'
            ? 'approved'
            : r.kind === 'declined'
              ? 'declined'
              : r.kind === 'not-charged'
                ? 'error'
                : undefined,
      );
    } catch (err) {
      if (!(err instanceof ProviderCallError)) throw err;
      const mayHaveCharged = err.sent && ['timeout', 'reset', '5xx'].includes(err.errorClass);
      outcome = mayHaveCharged
        ? { kind: 'unknown', code: err.errorClass, message: err.message }
        : {
            kind: 'not-charged',
            code: err instanceof CircuitOpenError ? 'CIRCUIT_OPEN' : (err.code ?? err.errorClass),
            message: err.message,
          };
    }
    await this.o.hooks?.afterProviderAnswer?.(go.id, outcome);
    // The provider has answered: writing it down must not give up at the first busy moment. A few
    // tries past a full admission gate; after that the attempt stays `confirming` and the customer
    // is told so, and the reconciler writes the outcome from a look-up.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.settle(go, provider, outcome, ['confirming']);
      } catch (err) {
        const busy = err instanceof OverloadedError;
        if (busy && attempt < 5) {
          await new Promise((r) => setTimeout(r, 50 * attempt));
          continue;
        }
        this.o.logger.warn('payment answer not written yet; the reconciler will finish it', {
          attemptId: go.id,
          outcome: outcome.kind,
          error: (err as Error).message,
        });
        return { orderId: go.orderId, payment: 'confirming', code: 'NOT_WRITTEN_YET' };
      }
    }
  }

  /** Writes a provider's answer for an attempt that is in one of `from`. */
  private async settle(
    attempt: AttemptRef,
    provider: PaymentProvider,
    outcome: Outcome | { kind: 'charged'; providerRef: string; amount: number; providerOrderId: string },
    from: string[],
  ): Promise<ReturnResult> {
    if (outcome.kind === 'approved' || outcome.kind === 'charged') {
      return this.settleCharged(
        attempt,
        provider,
        outcome.providerRef,
        outcome.amount,
        outcome.providerOrderId,
        from,
      );
    }
    if (outcome.kind === 'unknown') {
      await this.finish(
        attempt.id,
        from,
        'unknown',
        outcome.code,
        outcome.message,
        undefined,
        'payment-confirming',
      );
      this.o.logger.warn('payment outcome unknown; the reconciler will look it up', {
        attemptId: attempt.id,
      });
      return { orderId: attempt.orderId, payment: 'confirming', code: outcome.code };
    }
    await this.finish(
      attempt.id,
      from,
      outcome.kind === 'declined' ? 'declined' : 'failed',
      outcome.code,
      outcome.message,
      undefined,
      'payment-failed',
    );
    return { orderId: attempt.orderId, payment: 'failed', code: outcome.code };
  }

  private async settleCharged(
    attempt: AttemptRef,
    provider: PaymentProvider,
    providerRef: string,
    amount: number,
    providerOrderId: string,
    from: string[],
  ): Promise<ReturnResult> {
    const verdict = await this.o.db.transaction(
      async (c) => {
        const o = await c.query<{ status: string; total_cents: string }>(
          'SELECT status, total_cents FROM orders WHERE id = $1 FOR UPDATE',
          [attempt.orderId],
        );
        const a = await c.query<{ status: string }>(
          'SELECT status FROM payment_attempts WHERE id = $1 FOR UPDATE',
          [attempt.id],
        );
        const status = a.rows[0]?.status;
        if (status === 'approved') return 'paid' as const;
        if (!from.includes(status)) return 'stale' as const;
        const matches =
          amount === Number(o.rows[0].total_cents) &&
          amount === attempt.amount &&
          providerOrderId === attempt.id;
        if (o.rows[0].status === 'awaiting_payment' && matches) {
          await c.query(
            "UPDATE payment_attempts SET status = 'approved', provider_ref = $2, failure_code = NULL, failure_message = NULL, recheck_until = NULL, updated_at = now() WHERE id = $1",
            [attempt.id, providerRef],
          );
          await c.query("UPDATE orders SET status = 'paid', payment_due_at = NULL WHERE id = $1", [
            attempt.orderId,
          ]);
          await enqueueNotice(c, attempt.orderId, 'payment-confirmed', '', { amount });
          return 'paid' as const;
        }
        // A second charge for a paid order, or a charge that does not match the order: refund it.
        await c.query(
          "UPDATE payment_attempts SET status = 'duplicate', provider_ref = $2, failure_code = $3, updated_at = now() WHERE id = $1",
          [attempt.id, providerRef, matches ? 'DUPLICATE_APPROVAL' : 'AMOUNT_MISMATCH'],
        );
        await c.query(
          'INSERT INTO payment_events (attempt_id, order_id, kind, detail) VALUES ($1, $2, $3, $4)',
          [
            attempt.id,
            attempt.orderId,
            matches ? 'duplicate-approval' : 'amount-mismatch',
            JSON.stringify({ providerRef, amount, orderStatus: o.rows[0].status }),
          ],
        );
        return 'refund' as const;
      },
      { priority: 'high' },
    );
    if (verdict === 'refund') {
      await this.refund({ ...attempt, providerRef }, provider);
      return {
        orderId: attempt.orderId,
        payment: await this.paymentState(attempt.orderId),
        code: 'DUPLICATE_REFUNDED',
      };
    }
    return {
      orderId: attempt.orderId,
      payment: verdict === 'paid' ? 'paid' : await this.paymentState(attempt.orderId),
    };
  }

  /** Cancels a duplicate charge; on failure it stays `duplicate` for the next reconcile pass. */
  private async refund(attempt: AttemptRef, provider: PaymentProvider): Promise<boolean> {
    try {
      await provider.cancel(attempt, 'Duplicate payment for one order (refunded automatically)');
    } catch (err) {
      this.o.logger.error('duplicate payment not refunded yet; will retry', {
        attemptId: attempt.id,
        error: (err as Error).message,
      });
      return false;
    }
    await this.finish(
      attempt.id,
      ['duplicate'],
      'refunded',
      'DUPLICATE_REFUNDED',
      'refunded automatically',
      undefined,
      'payment-refunded',
    );
    await this.event(attempt.id, attempt.orderId, 'duplicate-refunded', { providerRef: attempt.providerRef });
    this.o.logger.warn('duplicate payment refunded', { attemptId: attempt.id, orderId: attempt.orderId });
    return true;
  }

  private async finish(
    id: string,
    from: string[],
    to: string,
    code?: string,
    message?: string,
    recheck?: Date,
    notice?: NoticeKind,
  ) {
    const sql = `UPDATE payment_attempts SET status = $3, failure_code = $4, failure_message = $5, recheck_until = $6, updated_at = now()
       WHERE id = $1 AND status = ANY($2) RETURNING order_id`;
    const values = [
      id,
      from,
      to,
      code?.slice(0, 100) ?? null,
      message?.slice(0, 500) ?? null,
      recheck ?? null,
    ];
    if (!notice) {
      await this.o.db.query('writer', sql, values);
      return;
    }
    // The customer's notice commits with the state change (shop/src/notify/outbox.ts).
    await this.o.db.transaction(async (c) => {
      const r = await c.query<{ order_id: string }>(sql, values);
      if (r.rows[0]) await enqueueNotice(c, r.rows[0].order_id, notice, id);
    });
  }

  private async event(attemptId: string | null, orderId: string | null, kind: string, detail: unknown) {
    await this.o.db
      .query(
        'writer',
        'INSERT INTO payment_events (attempt_id, order_id, kind, detail) VALUES ($1, $2, $3, $4)',
        [attemptId, orderId, kind, JSON.stringify(detail)],
      )
      .catch((err: Error) => this.o.logger.warn('payment event not recorded', { kind, error: err.message }));
  }

  /** The payment state of an order (for `GET /orders/{id}`). */
  async paymentState(orderId: string, orderStatus?: string): Promise<PaymentState> {
    const rows = await this.o.db.query<{ order_status: string; attempt_status: string | null }>(
      'writer',
      `SELECT o.status AS order_status,
              (SELECT a.status FROM payment_attempts a WHERE a.order_id = o.id
               ORDER BY (a.status IN ('confirming', 'unknown')) DESC, a.created_at DESC LIMIT 1) AS attempt_status
       FROM orders o WHERE o.id = $1`,
      [orderId],
    );
    const status = orderStatus ?? rows[0]?.order_status;
    const attempt = rows[0]?.attempt_status;
    if (status === 'paid') return 'paid';
    if (status === 'awaiting_transfer') return 'awaiting-transfer';
    if (status === 'awaiting_phone') return 'awaiting-phone';
    if (status === 'expired') return 'expired';
    if (status !== 'awaiting_payment') return 'none';
    if (attempt && IN_FLIGHT.includes(attempt)) return 'confirming';
    if (attempt && ['failed', 'declined'].includes(attempt)) return 'failed';
    return 'awaiting-payment';
  }

  /**
   * One reconcile pass: looks up unknown and stale `confirming` attempts, re-checks recent "not
   * charged" verdicts, retries refunds of duplicates, and releases expired manual holds.
   */
  reconcile(): Promise<ReconcileReport> {
    this.reconciling ??= this.reconcileOnce().finally(() => {
      this.reconciling = undefined;
    });
    return this.reconciling;
  }

  private async reconcileOnce(): Promise<ReconcileReport> {
    const report: ReconcileReport = {
      looked: 0,
      approved: 0,
      notCharged: 0,
      duplicatesRefunded: 0,
      unresolved: 0,
      expiredHolds: 0,
    };
    const now = new Date(this.o.now());
    const maxTimeout = Math.max(1000, ...this.o.settings.providers.map((p) => p.timeoutMs));
    const staleBefore = new Date(now.getTime() - maxTimeout - this.o.settings.confirmGraceSeconds * 1000);
    const rows = await this.o.db.query<AttemptRow & { recheck_until: Date | null }>(
      'writer',
      `SELECT * FROM payment_attempts
       WHERE status IN ('unknown', 'duplicate')
          OR (status = 'confirming' AND updated_at < $1)
          OR (status = 'failed' AND recheck_until > $2)
       ORDER BY created_at LIMIT 200`,
      [staleBefore, now],
    );
    for (const row of rows) {
      const provider = this.providers.get(row.provider);
      if (!provider) continue;
      const ref = toRef(row);
      if (row.status === 'duplicate') {
        if (await this.refund(ref, provider)) report.duplicatesRefunded++;
        else report.unresolved++;
        continue;
      }
      report.looked++;
      let found: LookupResult;
      try {
        found = await provider.lookup(ref);
      } catch (err) {
        if (row.status !== 'failed') report.unresolved++;
        this.o.logger.warn('payment look-up failed; will retry', {
          attemptId: row.id,
          error: (err as Error).message,
        });
        continue;
      }
      if (found.kind === 'charged') {
        const r = await this.settle(ref, provider, found, ['confirming', 'unknown', 'failed']);
        if (r.code === 'DUPLICATE_REFUNDED') report.duplicatesRefunded++;
        else report.approved++;
        continue;
      }
      if (row.status === 'failed') continue; // still not charged: keep re-checking until recheck_until
      report.notCharged++;
      const recheck = new Date(now.getTime() + this.o.settings.recheckMinutes * 60_000);
      await this.finish(
        row.id,
        ['confirming', 'unknown'],
        'failed',
        found.kind === 'canceled' ? 'CANCELED_AT_PROVIDER' : 'NOT_CHARGED',
        `look-up: ${found.kind === 'canceled' ? 'canceled' : found.detail}`,
        recheck,
        'payment-failed',
      );
    }
    report.expiredHolds = await this.expireHolds(now);
    return report;
  }

  /**
   * Orders hold stock for a bounded time: a manual way past its due time, or an online order left
   * unpaid for the bank-transfer hold (24 h without one), expires and its stock returns.
   */
  private async expireHolds(now: Date): Promise<number> {
    const unpaidBefore = new Date(
      now.getTime() - (this.o.settings.manual.bankTransfer?.holdHours ?? 24) * 3600_000,
    );
    return this.o.db.transaction(async (c) => {
      // Manual ways past their due time, and online orders never paid within the same hold. The
      // candidates are locked first; a second statement then sees any attempt committed meanwhile,
      // and an order with a payment in flight is left alone (its outcome decides). A charge that
      // still lands on an expired order is refunded as a duplicate by settleCharged.
      const candidates = await c.query<{ id: string }>(
        `SELECT id FROM orders
         WHERE (status IN ('awaiting_transfer', 'awaiting_phone') AND payment_due_at < $1)
            OR (status = 'awaiting_payment' AND created_at < $2)
         ORDER BY id LIMIT 500 FOR UPDATE SKIP LOCKED`,
        [now, unpaidBefore],
      );
      if (candidates.rowCount === 0) return 0;
      const expired = await c.query<{ id: string; drill: boolean }>(
        `UPDATE orders o SET status = 'expired' WHERE o.id = ANY($1::uuid[])
           AND NOT EXISTS (SELECT 1 FROM payment_attempts a WHERE a.order_id = o.id AND a.status IN ('confirming', 'unknown'))
         RETURNING o.id, o.drill`,
        [candidates.rows.map((r) => r.id)],
      );
      for (const r of expired.rows) await enqueueNotice(c, r.id, 'order-cancelled');
      const ids = expired.rows.filter((r) => !r.drill).map((r) => r.id);
      if (ids.length)
        await c.query(
          `UPDATE products p SET stock = p.stock + i.quantity, updated_at = now()
           FROM (SELECT product_id, sum(quantity)::int AS quantity FROM order_items WHERE order_id = ANY($1::uuid[]) GROUP BY product_id) i
           WHERE p.id = i.product_id`,
          [ids],
        );
      return expired.rowCount ?? 0;
    });
  }

  /**
   * Looks up the attempts still `started` that were touched in the last `sweepMinutes`. After an
   * unplanned failover the old primary's last commits may be missing here: a confirm the other region
   * sent (and the provider charged) can have been written only in that lost tail, leaving the attempt
   * `started` and the customer told "paid". Charged ones are settled now; the others are left alone,
   * since their customer may still be at the window. Runs at start and whenever this shop's database
   * becomes writable (a promotion), not on every pass: abandoned windows are common. `failed` counts
   * the attempts it could not check (look-up or write failed): the sweep is then due again.
   */
  private async sweepStarted(): Promise<{ looked: number; approved: number; failed: number }> {
    const since = new Date(this.o.now() - this.o.settings.sweepMinutes * 60_000);
    const rows = await this.o.db.query<AttemptRow>(
      'writer',
      "SELECT * FROM payment_attempts WHERE status = 'started' AND updated_at > $1 ORDER BY created_at LIMIT 500",
      [since],
    );
    const report = { looked: 0, approved: 0, failed: 0 };
    for (const row of rows) {
      const provider = this.providers.get(row.provider);
      if (!provider) continue;
      report.looked++;
      try {
        const found = await provider.lookup(toRef(row));
        if (found.kind !== 'charged') continue;
        await this.settle(toRef(row), provider, found, ['started']);
        report.approved++;
        this.o.logger.warn('a started attempt was charged (confirmed before a failover): settled', {
          attemptId: row.id,
        });
      } catch (err) {
        report.failed++;
        this.o.logger.warn('started attempt not checked; the sweep will run again', {
          attemptId: row.id,
          error: (err as Error).message,
        });
      }
    }
    return report;
  }

  /**
   * Refunds the charges the provider holds for attempts this database has never heard of: confirmed
   * in another region whose every record of the payment (even the attempt's first commit) was lost in
   * a failover. Only charges the shop's own window page made are touched (Toss's `customerKey` is
   * `guest_<attempt id>`), so payments taken elsewhere on the same merchant account are left alone.
   * The shop cannot know which order such a charge was for, so it refunds it and records it.
   */
  private async sweepOrphans(): Promise<{ refunded: number; failed: number }> {
    const report = { refunded: 0, failed: 0 };
    const until = new Date(this.o.now());
    const since = new Date(until.getTime() - this.o.settings.sweepMinutes * 60_000);
    for (const provider of this.o.providers) {
      if (!provider.listCharges) continue;
      let charges;
      try {
        charges = (await provider.listCharges(since, until)).filter((c) => c.fromShopWindow);
      } catch (err) {
        report.failed++;
        this.o.logger.warn('provider transactions not read; the sweep will run again', {
          provider: provider.id,
          error: (err as Error).message,
        });
        continue;
      }
      if (!charges.length) continue;
      // Attempts are written here before any window opens: a charge of this shop's window page
      // whose attempt is not here was recorded only in a database this region lost.
      const known = new Set(
        (
          await this.o.db.query<{ id: string }>(
            'writer',
            'SELECT id::text AS id FROM payment_attempts WHERE id::text = ANY($1)',
            [charges.map((x) => x.providerOrderId)],
          )
        ).map((r) => r.id),
      );
      for (const c of charges.filter((x) => !known.has(x.providerOrderId))) {
        try {
          await provider.cancel(
            {
              id: c.providerOrderId,
              orderId: '',
              method: 'card',
              amount: c.amount,
              idempotencyKey: `orphan-${c.providerOrderId}`,
              providerRef: c.providerRef,
            },
            'Payment record lost in a region failover (refunded automatically)',
          );
        } catch (err) {
          report.failed++;
          this.o.logger.error('orphan charge not refunded yet; will retry', {
            providerRef: c.providerRef,
            error: (err as Error).message,
          });
          continue;
        }
        report.refunded++;
        await this.event(null, null, 'orphan-refunded', { provider: provider.id, ...c });
        this.o.logger.error('a charge with no record here was refunded (lost in a failover)', {
          provider: provider.id,
          providerRef: c.providerRef,
          amount: c.amount,
        });
      }
    }
    return report;
  }

  /**
   * Runs the sweeps if due, and keeps them due until one has checked everything: a database or
   * provider hiccup right after a promotion must not leave a charge unfound.
   */
  private async sweepIfDue(): Promise<void> {
    if (!this.sweepDue) return;
    try {
      // Only the authoritative writer sweeps: a standby reading a lagging replica, or an old primary
      // that came back fenced, would take another region's fresh charges for orphans (and would
      // look up every recent attempt each pass). Elsewhere the sweep stays due until a promotion.
      const authoritative = await this.o.db.transaction(async (c) => {
        if ((await c.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0].r) return false;
        try {
          await this.o.fence?.check(c);
        } catch {
          return false;
        }
        return true;
      });
      if (!authoritative) return;
      const started = await this.sweepStarted();
      const orphans = await this.sweepOrphans();
      if (started.failed + orphans.failed === 0) this.sweepDue = false;
    } catch (err) {
      this.o.logger.warn('payment sweep failed; will run again', { error: (err as Error).message });
    }
  }

  /**
   * The shop's database has just become writable (a promotion): sweep (retried a few times a second
   * apart, then on every reconcile pass until it succeeds), then reconcile.
   */
  async onWritable(): Promise<void> {
    this.sweepDue = true;
    for (let attempt = 0; attempt < 5 && this.sweepDue; attempt++) {
      if (attempt) await new Promise((r) => setTimeout(r, 1000));
      await this.sweepIfDue();
    }
    await this.reconcile().catch((err: Error) =>
      this.o.logger.warn('payment reconcile after promotion failed', { error: err.message }),
    );
  }

  /** Reads the switch, reconciles now and every `reconcileEverySeconds`, publishes metrics every minute. */
  async run(): Promise<void> {
    if (this.timer) return;
    await Promise.all([this.o.switch.refresh(), this.o.faults?.refresh()]);
    this.o.switch.start();
    this.o.faults?.start();
    const tick = async () => {
      try {
        await this.sweepIfDue();
        // Test charges whose answer was lost are settled on the same period as customers' unknowns.
        await Promise.all([this.reconcile(), this.o.tests?.reconcile()]);
      } catch (err) {
        this.o.logger.warn('payment reconcile pass failed', { error: (err as Error).message });
      }
    };
    this.timer = setInterval(() => void tick(), this.o.settings.reconcileEverySeconds * 1000);
    this.timer.unref();
    // Metrics keep their own minute, whatever the reconcile period: the alarms read 1-minute periods.
    this.metricsTimer = setInterval(() => void this.publishMetrics(), PAYMENT_METRICS_EVERY_SECONDS * 1000);
    this.metricsTimer.unref();
    await tick();
  }

  /** Publishes the aggregated metrics if a minute has passed since the last publication. */
  async publishMetrics(force = false): Promise<void> {
    if (!this.o.metrics) return;
    const now = this.o.now();
    // 55 s, not 60: the minute timer may fire a hair early and must not skip a whole minute.
    if (!force && now - this.lastPublish < 55_000) return;
    this.lastPublish = now;
    // Database unreadable: the last count, not a reassuring zero.
    const unresolvedUnknowns = await this.unresolvedUnknowns().catch(() => this.lastUnknowns);
    this.lastUnknowns = unresolvedUnknowns;
    await this.o.metrics.publish(new Date(now), {
      unresolvedUnknowns,
      onlineMethodsAvailable: this.onlineAvailable(),
    });
  }

  async stop(): Promise<void> {
    this.o.switch.stop();
    this.o.faults?.stop();
    clearInterval(this.timer);
    clearInterval(this.metricsTimer);
    this.timer = undefined;
    await this.reconciling?.catch(() => undefined);
  }
}

/** The shop's URLs of one attempt: its window page and where the provider's window returns. */
function returnUrls(base: string, attemptId: string): ReturnUrls {
  return {
    window: `${base}/payments/window?attempt=${attemptId}`,
    success: `${base}/payments/return?attempt=${attemptId}`,
    fail: `${base}/payments/fail?attempt=${attemptId}`,
    cancel: `${base}/payments/fail?attempt=${attemptId}&code=USER_CANCEL`,
  };
}

/** The order's name as the provider's window shows it. */
const orderName = (orderId: string) => `Resilient Shop ${orderId.slice(0, 8)}`;

function toRef(row: AttemptRow): AttemptRef {
  return {
    id: row.id,
    orderId: row.order_id,
    method: row.method as OnlineMethod,
    amount: Number(row.amount),
    idempotencyKey: row.idempotency_key,
    providerRef: row.provider_ref ?? undefined,
  };
}
