/**
 * The canary's test payment (`POST /payments/test?provider=<id>`, signed like every test request):
 * one real cycle through a provider's TEST mode, with the provider's own test keys, never a live
 * charge, and never a test charge left behind.
 *
 * - Toss Payments: test keys start with `test_` and "live data and payment methods are not affected"
 *   (https://docs.tosspayments.com/en/api-guide). The server-to-server approval is the card number
 *   payment `POST /v1/payments/key-in` (https://docs.tosspayments.com/guides/payment/key-in; for live
 *   keys it needs an extra contract, the test keys can call it): the canary's cycle is key-in
 *   (the call that approves), look-up by order id, cancel, look-up again. The test card's fields
 *   live in the test secret, not in code.
 * - KakaoPay: test payments use the merchant code `TC0ONETIME`
 *   (https://developers.kakao.com/docs/latest/ko/kakaopay/single-payment). Its approval needs the
 *   `pg_token` that only the customer's approval in KakaoPay's window produces, so no server can
 *   approve by itself: the canary's cycle is `ready` and the order look-up (authentication, the
 *   payment API up). That is reported as `ready-only`, not as a confirmed payment.
 *
 * Exactly once, as for customers: the test payment's id is written (payment_events, kind
 * `test-payment-started`) before the provider is called; a lost answer is `unknown` (the canary
 * reports it as such) and {@link TestPayments.reconcile} looks it up and cancels it if it was
 * charged, until it is settled (`test-payment-settled`).
 */
import { randomUUID } from 'node:crypto';
import type { Database } from '../db';
import { HttpError } from '../http';
import type { Logger } from '../types';
import { callProvider, errorFields } from './call';
import type { ProviderSettings } from './config';
import { ProviderCallError } from './types';

/** The canary's verdict on the payment path of one provider. */
export interface TestPaymentResult {
  readonly provider: string;
  /** `ok`: charged and refunded (Toss) or ready and looked up (KakaoPay); `unknown`: the answer was lost. */
  readonly verdict: 'ok' | 'broken' | 'unknown';
  /** `confirm-cycle` (approve, refund) or `ready-only` (KakaoPay: no server-side approval exists). */
  readonly depth?: 'confirm-cycle' | 'ready-only';
  /** The step that failed or was lost. */
  readonly step?: string;
  readonly reason?: string;
  /** Test charges from earlier runs found and refunded by this run's reconcile pass. */
  readonly refundedEarlier: number;
}

/** A provider's test secret: `{ secretKey }` (Toss, plus the test card `keyIn`), `{ secretKey, cid }` (KakaoPay). */
interface TestSecret {
  secretKey: string;
  cid?: string;
  keyIn?: Record<string, string>;
}

/** Amount of a test payment in won (the smallest card payment Toss documents is 100 won). */
export const TEST_AMOUNT = 100;

export interface TestPaymentsOptions {
  readonly db: Database;
  /** Providers that have a `testSecretName`. */
  readonly providers: readonly ProviderSettings[];
  readonly readSecret: (name: string) => Promise<Record<string, unknown>>;
  readonly logger: Logger;
}

class NotATestKey extends Error {}

export class TestPayments {
  private reconciling: Promise<number> | undefined;
  /**
   * Test payments this process is running now: not open, in flight. The periodic reconcile skips
   * them, so it never refunds a cycle under way and reports that as an earlier unknown (another
   * instance still may; the refund is idempotent: ALREADY_CANCELED_PAYMENT counts as refunded).
   */
  private readonly inFlight = new Set<string>();

  constructor(private readonly o: TestPaymentsOptions) {}

  /** Ids of the providers that can run a test payment. */
  get providerIds(): string[] {
    return this.o.providers.map((p) => p.id);
  }

  private async secret(p: ProviderSettings): Promise<TestSecret> {
    const v = await this.o.readSecret(p.testSecretName!);
    // Created empty by the template: until the operator puts test keys there is nothing to test.
    if (v.configured === false) throw new HttpError(404, `No test keys for ${p.id} yet.`);
    const secretKey = typeof v.secretKey === 'string' ? v.secretKey : '';
    // Never a live charge: a key that is not the provider's test key is refused before any call.
    if (p.kind === 'toss-payments' && !secretKey.startsWith('test_'))
      throw new NotATestKey(`the test secret of ${p.id} holds no Toss test key (test_…)`);
    if (p.kind === 'kakaopay' && v.cid !== 'TC0ONETIME')
      throw new NotATestKey(`the test secret of ${p.id} does not name the test merchant code TC0ONETIME`);
    return {
      secretKey,
      ...(typeof v.cid === 'string' ? { cid: v.cid } : {}),
      ...(typeof v.keyIn === 'object' && v.keyIn ? { keyIn: v.keyIn as Record<string, string> } : {}),
    };
  }

  /** Runs one test cycle with `providerId` (default: the first), after a reconcile pass. */
  async run(providerId?: string): Promise<TestPaymentResult> {
    const p = this.o.providers.find((x) => x.id === (providerId ?? this.o.providers[0]?.id));
    if (!p) throw new Error(`no test payment for provider ${providerId ?? '(none)'}`);
    const refundedEarlier = await this.reconcile().catch(() => 0);
    let secret: TestSecret;
    try {
      secret = await this.secret(p);
    } catch (err) {
      if (err instanceof HttpError) throw err;
      return {
        provider: p.id,
        verdict: 'broken',
        step: 'test-key',
        reason: (err as Error).message,
        refundedEarlier,
      };
    }
    const base = { provider: p.id, refundedEarlier };
    try {
      if (p.kind === 'kakaopay') {
        await this.kakaoReady(p, secret);
        return { ...base, verdict: 'ok', depth: 'ready-only' };
      }
      return { ...base, ...(await this.tossCycle(p, secret)) };
    } catch (err) {
      const e = err as ProviderCallError & { step?: string };
      return { ...base, verdict: 'broken', step: e.step ?? 'call', reason: e.message };
    }
  }

  private tossHeaders(secret: TestSecret, key?: string): Record<string, string> {
    return {
      authorization: `Basic ${Buffer.from(`${secret.secretKey}:`).toString('base64')}`,
      ...(key ? { 'idempotency-key': key } : {}),
    };
  }

  private url(p: ProviderSettings, path: string): string {
    return p.baseUrl.replace(/\/$/, '') + path;
  }

  private async tossCycle(
    p: ProviderSettings,
    secret: TestSecret,
  ): Promise<Pick<TestPaymentResult, 'verdict' | 'depth' | 'step' | 'reason'>> {
    if (!secret.keyIn)
      return {
        verdict: 'broken',
        step: 'test-key',
        reason: `the test secret of ${p.id} has no "keyIn" test card`,
      };
    const id = `canary-${randomUUID()}`;
    this.inFlight.add(id);
    try {
      return await this.tossCharge(p, { ...secret, keyIn: secret.keyIn }, id);
    } finally {
      this.inFlight.delete(id);
    }
  }

  private async tossCharge(
    p: ProviderSettings,
    secret: TestSecret & { keyIn: Record<string, string> },
    id: string,
  ): Promise<Pick<TestPaymentResult, 'verdict' | 'depth' | 'step' | 'reason'>> {
    await this.o.db.query(
      'writer',
      "INSERT INTO payment_events (kind, detail) VALUES ('test-payment-started', $1)",
      [JSON.stringify({ id, provider: p.id })],
    );
    let answer;
    try {
      answer = await callProvider(
        this.url(p, '/v1/payments/key-in'),
        {
          method: 'POST',
          headers: this.tossHeaders(secret, id),
          body: { amount: TEST_AMOUNT, orderId: id, orderName: 'canary test payment', ...secret.keyIn },
        },
        p.timeoutMs,
      );
    } catch (err) {
      const e = err as ProviderCallError;
      // A refused connection cannot have charged; anything else may have: unknown, for the reconciler.
      if (e instanceof ProviderCallError && !e.sent) {
        await this.settled(id, 'not charged');
        return { verdict: 'broken', step: 'confirm', reason: e.message };
      }
      return { verdict: 'unknown', step: 'confirm', reason: e.message };
    }
    if (answer.status >= 500) return { verdict: 'unknown', step: 'confirm', reason: `HTTP ${answer.status}` };
    if (answer.status !== 200 || answer.body?.status !== 'DONE') {
      const { code, message } = errorFields(answer.body);
      await this.settled(id, 'refused');
      return { verdict: 'broken', step: 'confirm', reason: `${answer.status} ${code} ${message}`.trim() };
    }
    // Charged (in test mode): refund at once; a refund that fails is the reconciler's.
    const refunded = await this.refund(p, secret, id, String(answer.body.paymentKey)).catch(
      (err: Error) => err,
    );
    if (refunded instanceof Error) return { verdict: 'unknown', step: 'refund', reason: refunded.message };
    return { verdict: 'ok', depth: 'confirm-cycle' };
  }

  private async refund(p: ProviderSettings, secret: TestSecret, id: string, paymentKey: string) {
    const answer = await callProvider(
      this.url(p, `/v1/payments/${encodeURIComponent(paymentKey)}/cancel`),
      {
        method: 'POST',
        headers: this.tossHeaders(secret, `${id}:cancel`),
        body: { cancelReason: 'canary test payment' },
      },
      p.timeoutMs,
    );
    const { code, message } = errorFields(answer.body);
    if (answer.status !== 200 && code !== 'ALREADY_CANCELED_PAYMENT')
      throw new Error(`refund answered ${answer.status} ${code} ${message}`.trim());
    await this.settled(id, 'refunded');
  }

  private async settled(id: string, how: string): Promise<void> {
    await this.o.db.query(
      'writer',
      "INSERT INTO payment_events (kind, detail) VALUES ('test-payment-settled', $1)",
      [JSON.stringify({ id, how })],
    );
  }

  /**
   * Settles earlier test payments whose outcome is open: looks each up and refunds it if it was
   * charged. Returns how many it refunded.
   */
  reconcile(): Promise<number> {
    this.reconciling ??= this.reconcileOnce().finally(() => {
      this.reconciling = undefined;
    });
    return this.reconciling;
  }

  private async reconcileOnce(): Promise<number> {
    const open = await this.o.db.query<{ detail: { id: string; provider: string } }>(
      'writer',
      `SELECT s.detail FROM payment_events s
       WHERE s.kind = 'test-payment-started' AND NOT EXISTS (
         SELECT 1 FROM payment_events e WHERE e.kind = 'test-payment-settled' AND e.detail->>'id' = s.detail->>'id')
       ORDER BY s.id LIMIT 20`,
      [],
    );
    let refunded = 0;
    for (const { detail } of open) {
      if (this.inFlight.has(detail.id)) continue;
      const p = this.o.providers.find((x) => x.id === detail.provider);
      if (!p || p.kind !== 'toss-payments') continue;
      try {
        const secret = await this.secret(p);
        const answer = await callProvider(
          this.url(p, `/v1/payments/orders/${encodeURIComponent(detail.id)}`),
          { method: 'GET', headers: this.tossHeaders(secret) },
          p.timeoutMs,
        );
        if (answer.status === 404) await this.settled(detail.id, 'not charged');
        else if (answer.status === 200 && answer.body?.status === 'DONE') {
          await this.refund(p, secret, detail.id, String(answer.body.paymentKey));
          refunded++;
        } else if (answer.status === 200 && answer.body?.status !== 'IN_PROGRESS')
          await this.settled(detail.id, String(answer.body?.status));
      } catch (err) {
        this.o.logger.warn('test payment not settled yet; will retry', {
          id: detail.id,
          error: (err as Error).message,
        });
      }
    }
    return refunded;
  }

  private async kakaoReady(p: ProviderSettings, secret: TestSecret): Promise<void> {
    const post = async (path: string, body: Record<string, unknown>, step: string) => {
      try {
        const answer = await callProvider(
          this.url(p, path),
          {
            method: 'POST',
            headers: { authorization: `SECRET_KEY ${secret.secretKey}` },
            body: { cid: secret.cid, ...body },
          },
          p.timeoutMs,
        );
        if (answer.status !== 200) {
          const { code, message } = errorFields(answer.body, 'error_code', 'error_message');
          throw Object.assign(new Error(`${answer.status} ${code} ${message}`.trim()), { step });
        }
        return answer.body ?? {};
      } catch (err) {
        throw Object.assign(err as Error, { step });
      }
    };
    const id = `canary-${randomUUID()}`;
    const ready = await post(
      '/online/v1/payment/ready',
      {
        partner_order_id: id,
        partner_user_id: 'canary',
        item_name: 'canary test payment',
        quantity: 1,
        total_amount: TEST_AMOUNT,
        tax_free_amount: 0,
        approval_url: 'https://invalid.example/approve',
        cancel_url: 'https://invalid.example/cancel',
        fail_url: 'https://invalid.example/fail',
      },
      'ready',
    );
    if (typeof ready.tid !== 'string')
      throw Object.assign(new Error('ready answered without tid'), { step: 'ready' });
    await post('/online/v1/payment/order', { tid: ready.tid }, 'look-up');
  }
}
