/**
 * Local fake payment providers that speak the same HTTP as the real ones (the endpoints and fields
 * the adapters in shop/src/payments follow), keep their own ledger of charges, and fail on command.
 * Used by the payment tests, the local drill and the payment benchmark.
 *
 * Each fake has two listeners, as the real providers have two hosts: the API (confirm, look-up,
 * cancel, ready/approve) which the failure modes act on, and the customer's payment window, which
 * redirects back to the shop's return URL as the real window does.
 *
 * Modes: `ok`; `refuse` (the API port is closed: connection refused); `stall` (requests are
 * accepted and never answered); `5xx` (HTTP 500, nothing charged); `charge-then-timeout` (the charge
 * is booked, then no answer: the worst case); `maintenance` (every confirm refused with the
 * provider's "temporary error" code); `decline` (every confirm refused as a customer decline).
 * Toss's card number payment (`key-in`, the canary's test payment) approves at once and follows the
 * same modes.
 *
 * `hold(endpoint)` keeps the answers of one endpoint (after the fake has acted on the request: a charge
 * is booked) until the test releases them, so a test can run something while an answer is on its way
 * without racing a timer.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type FakeMode = 'ok' | 'refuse' | 'stall' | '5xx' | 'charge-then-timeout' | 'maintenance' | 'decline';
export type FakeKind = 'toss-payments' | 'kakaopay';

/** One payment as the fake provider knows it. */
export interface FakePayment {
  /** Toss paymentKey / KakaoPay tid. */
  ref: string;
  /** The merchant's order id (Toss orderId / KakaoPay partner_order_id): the shop's attempt id. */
  orderId: string;
  userId?: string;
  /** Toss: the customerKey the SDK passed to the window (none through a plain `windowUrl`). */
  customerKey?: string;
  amount: number;
  status: 'READY' | 'IN_PROGRESS' | 'DONE' | 'CANCELED';
  pgToken?: string;
  approvalUrl?: string;
  chargedAt?: number;
  canceledAt?: number;
}

export const FAKE_SECRET = { secretKey: 'test_sk_fake', cid: 'TC0ONETIME', clientKey: 'test_ck_fake' };

/**
 * A stand-in for Toss's JavaScript SDK v2 (`TossPayments(clientKey).payment({customerKey})
 * .requestPayment({...})`, https://docs.tosspayments.com/sdk/v2/js): it sends the browser to the
 * fake's window with the request, where the real SDK would open Toss's own window.
 */
function sdkStandIn(windowBase: string): string {
  return `(function(){var base=${JSON.stringify(windowBase)};
window.TossPayments=function(clientKey){return{payment:function(o){return{requestPayment:function(r){
var u=new URL(base+'/_window');var q=u.searchParams;q.set('clientKey',clientKey);q.set('customerKey',(o&&o.customerKey)||'');
q.set('method',r.method);q.set('amount',String(r.amount&&r.amount.value));q.set('currency',(r.amount&&r.amount.currency)||'');
q.set('orderId',r.orderId);q.set('orderName',r.orderName);q.set('successUrl',r.successUrl);q.set('failUrl',r.failUrl);
location.assign(u.toString());return new Promise(function(){});}};}};};})();`;
}

export interface FakeProviderOptions {
  kind: FakeKind;
  /** Delay before every API answer (default 0). */
  latencyMs?: number;
}

export class FakeProvider {
  mode: FakeMode = 'ok';
  latencyMs: number;
  readonly payments = new Map<string, FakePayment>();
  /** Calls per API endpoint (path pattern). */
  readonly calls: Record<string, number> = {};
  private readonly idempotent = new Map<string, { status: number; body: unknown }>();
  private api!: Server;
  private window!: Server;
  private apiPort = 0;
  private readonly sockets = new Set<Socket>();
  private held: { endpoint: string; arrived: () => void; released: Promise<void> } | undefined;

  constructor(readonly opts: FakeProviderOptions) {
    this.latencyMs = opts.latencyMs ?? 0;
  }

  /** Base URL of the API (the adapter's `baseUrl`). */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  /** The Toss window page (the adapter's `windowUrl`). */
  windowUrl = '';
  /** The stand-in for Toss's SDK script (the adapter's `sdkUrl`). */
  sdkUrl = '';
  /** Times the SDK stand-in was served. */
  sdkLoads = 0;
  /** Query parameters of every request that reached the Toss window. */
  readonly windowRequests: Record<string, string>[] = [];
  private windowBase = '';

  /** Charges booked and not canceled. */
  charges(): FakePayment[] {
    return [...this.payments.values()].filter((p) => p.status === 'DONE');
  }

  /** Every payment ever charged (canceled ones included). */
  everCharged(): FakePayment[] {
    return [...this.payments.values()].filter((p) => p.chargedAt !== undefined);
  }

  async start(): Promise<this> {
    this.window = createServer((req, res) => this.onWindow(req, res));
    await listen(this.window, 0);
    this.windowBase = `http://127.0.0.1:${(this.window.address() as AddressInfo).port}`;
    this.windowUrl = `${this.windowBase}/_window`;
    this.sdkUrl = `${this.windowBase}/v2/standard`;
    this.api = this.makeApi();
    await listen(this.api, 0);
    this.apiPort = (this.api.address() as AddressInfo).port;
    return this;
  }

  private makeApi(): Server {
    const server = createServer((req, res) => void this.onApi(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    return server;
  }

  /**
   * Holds every answer of `endpoint` (a key of `calls`) after the fake has acted on the request, until
   * `release()`. `arrived` resolves when the first such request has been acted on.
   */
  hold(endpoint: string): { arrived: Promise<void>; release: () => void } {
    let arrived!: () => void;
    let release!: () => void;
    const arrivedP = new Promise<void>((r) => (arrived = r));
    const released = new Promise<void>((r) => (release = r));
    this.held = { endpoint, arrived, released };
    return {
      arrived: arrivedP,
      release: () => {
        this.held = undefined;
        release();
      },
    };
  }

  /** Changes the failure mode; `refuse` closes the API port, leaving it reopens it on the same port. */
  async setMode(mode: FakeMode): Promise<void> {
    const was = this.mode;
    this.mode = mode;
    if (mode === 'refuse' && was !== 'refuse') {
      for (const s of this.sockets) s.destroy();
      await new Promise<void>((r) => this.api.close(() => r()));
    } else if (mode !== 'refuse' && was === 'refuse') {
      this.api = this.makeApi();
      await listen(this.api, this.apiPort);
    }
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all([
      new Promise<void>((r) => this.window.close(() => r())),
      this.mode === 'refuse' ? undefined : new Promise<void>((r) => this.api.close(() => r())),
    ]);
  }

  /** The customer's window: authenticates (always) and redirects to the merchant's return URL. */
  private onWindow(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', this.windowBase);
    const q = url.searchParams;
    if (url.pathname === '/v2/standard') {
      this.sdkLoads++;
      const script = sdkStandIn(this.windowBase);
      res.writeHead(200, {
        'content-type': 'text/javascript; charset=utf-8',
        'content-length': Buffer.byteLength(script),
      });
      return res.end(script);
    }
    if (url.pathname === '/_window') {
      // Toss: the window creates the payment and returns paymentKey, orderId, amount to successUrl.
      this.windowRequests.push(Object.fromEntries(q));
      const orderId = q.get('orderId') ?? '';
      const amount = Number(q.get('amount'));
      const successUrl = q.get('successUrl') ?? '';
      // Through the SDK: a wrong client key is refused by the window, back to the fail URL.
      if (q.has('clientKey') && q.get('clientKey') !== FAKE_SECRET.clientKey)
        return redirect(
          res,
          withParams(q.get('failUrl') ?? '', { code: 'INVALID_CLIENT_KEY', message: 'bad client key' }),
        );
      const ref = `tpk_${randomUUID().replace(/-/g, '')}`;
      const customerKey = q.get('customerKey') ?? undefined;
      this.payments.set(ref, { ref, orderId, amount, status: 'IN_PROGRESS', customerKey });
      return redirect(res, withParams(successUrl, { paymentKey: ref, orderId, amount: String(amount) }));
    }
    if (url.pathname === '/_kakao_window') {
      const p = this.payments.get(q.get('tid') ?? '');
      if (!p?.approvalUrl) return json(res, 404, { error_code: -401, error_message: 'no such tid' });
      p.pgToken = randomUUID().slice(0, 20);
      p.status = 'IN_PROGRESS';
      return redirect(res, withParams(p.approvalUrl, { pg_token: p.pgToken }));
    }
    json(res, 404, {});
  }

  private async onApi(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
    const text = Buffer.concat(chunks).toString('utf8');
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const endpoint = path.replace(
      /\/v1\/payments\/(?!confirm$|key-in$)[^/]+(\/cancel)?$/,
      (_, c) => `/v1/payments/{x}${c ?? ''}`,
    );
    this.calls[endpoint] = (this.calls[endpoint] ?? 0) + 1;
    if (this.latencyMs) await sleep(this.latencyMs);
    if (this.mode === 'stall') return; // never answered (the socket is destroyed on close)
    if (this.mode === '5xx')
      return json(res, 500, { code: 'FAILED_INTERNAL_SYSTEM_PROCESSING', message: 'fake 500' });
    const auth = req.headers.authorization ?? '';
    const authOk =
      this.opts.kind === 'toss-payments'
        ? auth === `Basic ${Buffer.from(`${FAKE_SECRET.secretKey}:`).toString('base64')}`
        : auth === `SECRET_KEY ${FAKE_SECRET.secretKey}`;
    if (!authOk) return json(res, 401, { code: 'UNAUTHORIZED_KEY', message: 'bad key' });
    const key = req.headers['idempotency-key'];
    if (typeof key === 'string' && this.idempotent.has(key)) {
      const prior = this.idempotent.get(key)!;
      return json(res, prior.status, prior.body);
    }
    const answer =
      this.opts.kind === 'toss-payments'
        ? this.toss(req.method ?? 'GET', path, body)
        : this.kakao(path, body);
    const held = this.held;
    if (held?.endpoint === endpoint) {
      held.arrived();
      await held.released;
    }
    if (!answer) return; // charged, never answered
    if (typeof key === 'string' && req.method === 'POST') this.idempotent.set(key, answer);
    json(res, answer.status, answer.body);
  }

  private charge(p: FakePayment): boolean {
    p.status = 'DONE';
    p.chargedAt = Date.now();
    return this.mode !== 'charge-then-timeout';
  }

  private toss(
    method: string,
    path: string,
    b: Record<string, unknown>,
  ): { status: number; body: unknown } | undefined {
    if (method === 'POST' && path === '/v1/payments/confirm') {
      if (this.mode === 'maintenance')
        return { status: 400, body: { code: 'PROVIDER_ERROR', message: '일시적인 오류가 발생했습니다.' } };
      const p = this.payments.get(String(b.paymentKey));
      if (!p) return { status: 404, body: { code: 'NOT_FOUND_PAYMENT', message: 'no such payment' } };
      if (p.orderId !== b.orderId || p.amount !== b.amount)
        return { status: 400, body: { code: 'INVALID_REQUEST', message: 'orderId or amount differ' } };
      if (p.status !== 'IN_PROGRESS')
        return { status: 400, body: { code: 'ALREADY_PROCESSED_PAYMENT', message: 'already processed' } };
      if (this.mode === 'decline')
        return { status: 403, body: { code: 'REJECT_CARD_COMPANY', message: 'declined by card company' } };
      if (!this.charge(p)) return undefined;
      return { status: 200, body: tossPayment(p) };
    }
    if (method === 'GET' && path === '/v1/transactions') {
      // Every approval and cancellation (the fake ignores the period: tests are short).
      const rows = [...this.payments.values()].flatMap((p) => [
        ...(p.chargedAt ? [tossTransaction(p, 'DONE', p.chargedAt)] : []),
        ...(p.canceledAt ? [tossTransaction(p, 'CANCELED', p.canceledAt)] : []),
      ]);
      return { status: 200, body: rows };
    }
    if (method === 'POST' && path === '/v1/payments/key-in') {
      // Card number payment (server to server): approved at once; the test secret carries the card.
      if (this.mode === 'maintenance')
        return { status: 400, body: { code: 'PROVIDER_ERROR', message: '일시적인 오류가 발생했습니다.' } };
      if (typeof b.cardNumber !== 'string' || typeof b.orderId !== 'string')
        return { status: 400, body: { code: 'INVALID_REQUEST', message: 'cardNumber and orderId required' } };
      const ref = `tpk_${randomUUID().replace(/-/g, '')}`;
      const p: FakePayment = { ref, orderId: b.orderId, amount: Number(b.amount), status: 'IN_PROGRESS' };
      this.payments.set(ref, p);
      if (!this.charge(p)) return undefined;
      return { status: 200, body: tossPayment(p) };
    }
    const byOrder = /^\/v1\/payments\/orders\/([^/]+)$/.exec(path);
    if (method === 'GET' && byOrder) {
      const p = [...this.payments.values()].find((x) => x.orderId === decodeURIComponent(byOrder[1]));
      return p
        ? { status: 200, body: tossPayment(p) }
        : { status: 404, body: { code: 'NOT_FOUND_PAYMENT', message: 'no such payment' } };
    }
    const cancel = /^\/v1\/payments\/([^/]+)\/cancel$/.exec(path);
    if (method === 'POST' && cancel) {
      const p = this.payments.get(decodeURIComponent(cancel[1]));
      if (!p || p.status !== 'DONE')
        return { status: 400, body: { code: 'NOT_CANCELABLE_PAYMENT', message: 'not cancelable' } };
      p.status = 'CANCELED';
      p.canceledAt = Date.now();
      return { status: 200, body: tossPayment(p) };
    }
    return { status: 404, body: { code: 'NOT_FOUND', message: 'no such endpoint' } };
  }

  private kakao(path: string, b: Record<string, unknown>): { status: number; body: unknown } | undefined {
    if (b.cid !== FAKE_SECRET.cid)
      return { status: 400, body: { error_code: -701, error_message: 'bad cid' } };
    if (path === '/online/v1/payment/ready') {
      const ref = `T${randomUUID().replace(/-/g, '').slice(0, 19)}`;
      this.payments.set(ref, {
        ref,
        orderId: String(b.partner_order_id),
        userId: String(b.partner_user_id),
        amount: Number(b.total_amount),
        status: 'READY',
        approvalUrl: String(b.approval_url),
      });
      return {
        status: 200,
        body: {
          tid: ref,
          next_redirect_pc_url: `${this.windowBase}/_kakao_window?tid=${ref}`,
          created_at: new Date().toISOString(),
        },
      };
    }
    const p = this.payments.get(String(b.tid));
    if (!p) return { status: 400, body: { error_code: -780, error_message: 'no such tid' } };
    if (path === '/online/v1/payment/approve') {
      if (this.mode === 'maintenance')
        return { status: 400, body: { error_code: -9798, error_message: 'service under maintenance' } };
      if (p.orderId !== b.partner_order_id || p.userId !== b.partner_user_id || p.pgToken !== b.pg_token)
        return { status: 400, body: { error_code: -780, error_message: 'approval does not match ready' } };
      if (p.status !== 'IN_PROGRESS')
        return { status: 400, body: { error_code: -702, error_message: 'already done' } };
      if (!this.charge(p)) return undefined;
      return { status: 200, body: kakaoPayment(p) };
    }
    if (path === '/online/v1/payment/order') {
      return {
        status: 200,
        body: {
          ...kakaoPayment(p),
          status:
            p.status === 'DONE'
              ? 'SUCCESS_PAYMENT'
              : p.status === 'CANCELED'
                ? 'CANCEL_PAYMENT'
                : p.status === 'READY'
                  ? 'READY'
                  : 'AUTH_PASSWORD',
        },
      };
    }
    if (path === '/online/v1/payment/cancel') {
      if (p.status !== 'DONE')
        return { status: 400, body: { error_code: -721, error_message: 'not cancelable' } };
      p.status = 'CANCELED';
      p.canceledAt = Date.now();
      return { status: 200, body: { ...kakaoPayment(p), status: 'CANCEL_PAYMENT' } };
    }
    return { status: 404, body: { error_code: -404, error_message: 'no such endpoint' } };
  }
}

function tossPayment(p: FakePayment) {
  return {
    paymentKey: p.ref,
    orderId: p.orderId,
    status: p.status,
    totalAmount: p.amount,
    balanceAmount: p.status === 'CANCELED' ? 0 : p.amount,
    method: '카드',
    approvedAt: p.chargedAt ? new Date(p.chargedAt).toISOString() : null,
  };
}

function tossTransaction(p: FakePayment, status: string, at: number) {
  return {
    mId: 'fake',
    transactionKey: `${p.ref}-${status}`,
    paymentKey: p.ref,
    orderId: p.orderId,
    currency: 'KRW',
    method: '카드',
    customerKey: p.customerKey ?? '',
    useEscrow: false,
    amount: p.amount,
    status,
    transactionAt: new Date(at).toISOString(),
  };
}

function kakaoPayment(p: FakePayment) {
  return {
    aid: `A${p.ref.slice(1)}`,
    tid: p.ref,
    cid: FAKE_SECRET.cid,
    partner_order_id: p.orderId,
    partner_user_id: p.userId,
    payment_method_type: 'MONEY',
    amount: { total: p.amount, tax_free: 0 },
    approved_at: p.chargedAt ? new Date(p.chargedAt).toISOString() : undefined,
  };
}

function withParams(url: string, params: Record<string, string>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}

function redirect(res: ServerResponse, location: string) {
  res.writeHead(302, { location, 'content-length': 0 });
  res.end();
}

function json(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts one fake of each kind. */
export async function startFakeProviders(
  latencyMs = 0,
): Promise<{ toss: FakeProvider; kakao: FakeProvider }> {
  const [toss, kakao] = await Promise.all([
    new FakeProvider({ kind: 'toss-payments', latencyMs }).start(),
    new FakeProvider({ kind: 'kakaopay', latencyMs }).start(),
  ]);
  return { toss, kakao };
}
