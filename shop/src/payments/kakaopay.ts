/**
 * KakaoPay adapter (online single payment, open-api.kakaopay.com), following:
 * - ready / approve / order look-up / cancel: `POST /online/v1/payment/{ready,approve,order,cancel}`,
 *   `Authorization: SECRET_KEY ${secretKey}`, JSON bodies; `cid` (merchant code), `tid` (payment id
 *   returned by ready), `partner_order_id` and `partner_user_id` repeated at approve, `pg_token` from
 *   the approval URL: https://developers.kakaopay.com/docs/payment/online/single-payment (as quoted by
 *   https://pm-developer-justdoit.tistory.com/473) and KakaoPay's own client,
 *   https://app.unpkg.com/@kakaopay-develop/agent-toolkit@0.1.2/files/openai/index.mjs
 * - the older kapi.kakao.com form of the same calls and their fields (cancel: `cancel_amount`,
 *   `cancel_tax_free_amount`): https://developers.kakao.com/docs/latest/ko/kakaopay/single-payment and
 *   https://developers.kakao.com/docs/latest/ko/kakaopay/cancellation
 *
 * KakaoPay documents no idempotency header. The shop therefore never sends approve twice for one
 * `tid`: after a lost answer it asks the order look-up, which is what the pages above offer.
 * The customer's own refusals end in the window (fail/cancel URL), so an approve refusal is counted
 * as the provider's (health), never as a customer decline.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { callProvider, errorFields } from './call';
import type { ProviderSettings } from './config';
import {
  type AttemptRef,
  type LookupResult,
  type OnlineMethod,
  type Outcome,
  type PaymentProvider,
  ProviderCallError,
  type RecoveryKey,
  type ReturnParams,
  type ReturnUrls,
} from './types';

/** Secret of a KakaoPay provider (`${appName}/payments/${id}`): `{ "secretKey": "…", "cid": "…" }`. */
export interface KakaoPaySecret {
  secretKey: string;
  cid: string;
}

export class KakaoPay implements PaymentProvider {
  readonly kind = 'kakaopay';
  readonly windowCallsProvider = true;
  readonly id: string;
  readonly methods: readonly OnlineMethod[];

  constructor(
    private readonly settings: ProviderSettings,
    private readonly secret: () => Promise<KakaoPaySecret>,
  ) {
    this.id = settings.id;
    this.methods = settings.methods;
  }

  private async post(path: string, body: Record<string, unknown>) {
    const { secretKey, cid } = await this.secret();
    return callProvider(
      this.settings.baseUrl.replace(/\/$/, '') + path,
      { method: 'POST', headers: { authorization: `SECRET_KEY ${secretKey}` }, body: { cid, ...body } },
      this.settings.timeoutMs,
    );
  }

  private fail(answer: { status: number; body?: Record<string, unknown> }): ProviderCallError {
    const { code, message } = errorFields(answer.body, 'error_code', 'error_message');
    return new ProviderCallError(
      answer.status >= 500 ? '5xx' : '4xx',
      true,
      message || code,
      answer.status,
      code,
    );
  }

  async startWindow(attempt: AttemptRef, urls: ReturnUrls, orderName: string) {
    const answer = await this.post('/online/v1/payment/ready', {
      partner_order_id: attempt.id,
      partner_user_id: attempt.orderId,
      item_name: orderName.slice(0, 100),
      quantity: 1,
      total_amount: attempt.amount,
      tax_free_amount: 0,
      approval_url: urls.success,
      cancel_url: urls.cancel,
      fail_url: urls.fail,
    });
    const b = answer.body ?? {};
    if (answer.status !== 200 || typeof b.tid !== 'string' || typeof b.next_redirect_pc_url !== 'string')
      throw this.fail(answer);
    return { redirectUrl: b.next_redirect_pc_url, providerRef: b.tid };
  }

  /**
   * KakaoPay's only look-up is by `tid` (`/online/v1/payment/order`), which `ready` returns and the
   * merchant must keep; there is no look-up by `partner_order_id` and no transaction list. If the
   * shop's record of the tid is lost (a failover's replication lag), the customer's browser still
   * has it: sealed here with an HMAC keyed by a key derived from the secret key, which every region
   * holds (the secret is replicated), so any region can verify what it gets back and nobody can
   * make it look up (and refund) a payment that is not theirs.
   */
  private async recoveryMac(payload: string): Promise<Buffer> {
    const { secretKey } = await this.secret();
    const key = createHmac('sha256', secretKey).update('resilient-shop payment recovery v1').digest();
    return createHmac('sha256', key).update(payload).digest();
  }

  async sealRecovery(key: RecoveryKey): Promise<string> {
    const payload = Buffer.from(
      JSON.stringify({
        a: key.attemptId,
        o: key.orderId,
        t: key.providerRef,
        m: key.amount,
        c: key.createdAt,
      }),
    ).toString('base64url');
    return `${payload}.${(await this.recoveryMac(payload)).toString('base64url')}`;
  }

  async openRecovery(sealed: string): Promise<RecoveryKey | undefined> {
    const [payload, mac, extra] = sealed.split('.');
    if (!payload || !mac || extra !== undefined) return undefined;
    const given = Buffer.from(mac, 'base64url');
    const expected = await this.recoveryMac(payload);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    try {
      const v = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
      if (typeof v.a !== 'string' || typeof v.o !== 'string' || typeof v.t !== 'string') return undefined;
      if (typeof v.m !== 'number' || typeof v.c !== 'number') return undefined;
      return { attemptId: v.a, orderId: v.o, providerRef: v.t, amount: v.m, createdAt: v.c };
    } catch {
      return undefined;
    }
  }

  returnRef(attempt: AttemptRef): string | undefined {
    return attempt.providerRef;
  }

  checkReturn(attempt: AttemptRef, params: ReturnParams): string | undefined {
    if (!params.pg_token) return 'The return from the payment window has no payment token.';
    if (!attempt.providerRef) return 'This payment was never prepared with the provider.';
    return undefined;
  }

  async confirm(attempt: AttemptRef, params: ReturnParams): Promise<Outcome> {
    const answer = await this.post('/online/v1/payment/approve', {
      tid: attempt.providerRef,
      partner_order_id: attempt.id,
      partner_user_id: attempt.orderId,
      pg_token: params.pg_token,
    });
    const b = answer.body ?? {};
    if (answer.status === 200) {
      const amount = (b.amount as { total?: unknown } | undefined)?.total;
      if (typeof b.tid !== 'string' || typeof b.partner_order_id !== 'string')
        return {
          kind: 'unknown',
          code: 'UNREADABLE_ANSWER',
          message: 'approve answered 200 without a payment',
        };
      return {
        kind: 'approved',
        providerRef: b.tid,
        providerOrderId: b.partner_order_id,
        amount: Number(amount),
      };
    }
    const { code, message } = errorFields(b, 'error_code', 'error_message');
    if (answer.status >= 500) return { kind: 'unknown', code: `HTTP_${answer.status}`, message };
    // A refusal may mean "already approved": after a failover, the other region's approve of this
    // tid may have gone through and its record been lost. KakaoPay documents no such code, so the
    // order look-up decides: charged means approved, whatever the refusal said.
    const found = await this.lookup(attempt).catch(() => undefined);
    if (found?.kind === 'charged')
      return {
        kind: 'approved',
        providerRef: found.providerRef,
        providerOrderId: found.providerOrderId,
        amount: found.amount,
      };
    throw new ProviderCallError('maintenance', true, message || code, answer.status, code);
  }

  async lookup(attempt: AttemptRef): Promise<LookupResult> {
    if (!attempt.providerRef) return { kind: 'not-charged', detail: 'never prepared' };
    const answer = await this.post('/online/v1/payment/order', { tid: attempt.providerRef });
    if (answer.status !== 200) throw this.fail(answer);
    const b = answer.body ?? {};
    const amount = (b.amount as { total?: unknown } | undefined)?.total;
    if (b.status === 'SUCCESS_PAYMENT')
      return {
        kind: 'charged',
        providerRef: String(b.tid),
        providerOrderId: String(b.partner_order_id),
        amount: Number(amount),
      };
    if (b.status === 'CANCEL_PAYMENT' || b.status === 'PART_CANCEL_PAYMENT')
      return { kind: 'canceled', providerRef: String(b.tid) };
    return { kind: 'not-charged', detail: String(b.status) };
  }

  async cancel(attempt: AttemptRef, reason: string): Promise<void> {
    const answer = await this.post('/online/v1/payment/cancel', {
      tid: attempt.providerRef,
      cancel_amount: attempt.amount,
      cancel_tax_free_amount: 0,
      payload: reason.slice(0, 200),
    });
    if (answer.status !== 200) throw this.fail(answer);
  }
}
