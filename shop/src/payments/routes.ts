/**
 * The payment endpoints (PAYMENTS-CONTRACT "Shop HTTP"):
 * - `GET|POST /orders/{id}/pay`: the choice page / start paying with `{method, provider?}`;
 * - `GET /payments/window?attempt=…`: the shop's page that opens Toss's window (toss-window.ts);
 * - `GET /payments/return?attempt=…` (+ the provider's parameters): confirm server-side;
 * - `GET /payments/fail?attempt=…`: the customer left the window without paying;
 * - `GET /payments/health`: breaker and switch state per provider and method (JSON).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PageContext } from '../html';
import { HttpError, readBody, sendHtml, sendJson, wantsJson } from '../http';
import type { Mode } from '../types';
import { SYNTHETIC_HEADER } from '../../../lib/contract/shop';
import { type TestRequestGate, unsignedTestHeaders } from '../signed-test-request';
import { choicePage, manualPage } from './pages';
import type { PaymentService, ReturnResult } from './service';
import './texts';
import { tossWindowHeaders, tossWindowPage } from './toss-window';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PAY_PATH_RE = /^\/orders\/([^/]+)\/pay$/;

export interface PaymentRouteContext {
  payments: PaymentService;
  region: string;
  pageContext: (mode: Mode, req: IncomingMessage) => PageContext;
  /** Answers "read-only: order another way" (the shop's own page). */
  readOnly: (req: IncomingMessage, res: ServerResponse) => void;
  /** Verifies signed test headers (none: local runs, the unsigned `1`). */
  testRequests?: TestRequestGate;
}

/** The shop's own origin as the customer reached it, for the provider's return URLs. */
function origin(req: IncomingMessage): string {
  const proto =
    String(req.headers['x-forwarded-proto'] ?? 'http')
      .split(',')[0]
      .trim() === 'https'
      ? 'https'
      : 'http';
  const host = String(req.headers.host ?? 'localhost').replace(/[^A-Za-z0-9.:\-[\]]/g, '');
  return `${proto}://${host}`;
}

function orderTotal(ctx: PaymentRouteContext, orderId: string) {
  return ctx.payments.orderTotal(orderId);
}

/**
 * Handles the request if it is one of the payment endpoints; returns false otherwise. Errors are
 * thrown as `HttpError` for the shop's handler to answer.
 */
export async function handlePaymentRoute(
  ctx: PaymentRouteContext,
  req: IncomingMessage,
  res: ServerResponse,
  mode: Mode,
  path: string,
  method: string | undefined,
): Promise<boolean> {
  const m = PAY_PATH_RE.exec(path);
  if (m) {
    const orderId = UUID_RE.test(m[1]) ? m[1].toLowerCase() : undefined;
    if (!orderId) throw new HttpError(404, 'There is no such order.');
    if (method === 'GET') {
      const total = await orderTotal(ctx, orderId);
      await choice(ctx, req, res, mode, orderId, total);
      return true;
    }
    if (method !== 'POST') throw new HttpError(405, 'Method not allowed.');
    if (mode === 'read-only') {
      ctx.readOnly(req, res);
      return true;
    }
    const body = await readBody(req);
    const chosen = typeof body.method === 'string' ? body.method : '';
    const provider = typeof body.provider === 'string' && body.provider ? body.provider : undefined;
    const result = await ctx.payments.start(orderId, chosen as never, provider, origin(req));
    if (wantsJson(req)) {
      sendJson(res, mode, result.kind === 'redirect' ? 200 : 201, result);
    } else if (result.kind === 'redirect') {
      sendHtml(res, mode, 303, manualPage(ctx.pageContext(mode, req), result, ctx.payments.settings), {
        location: result.redirectUrl,
      });
    } else {
      sendHtml(res, mode, 201, manualPage(ctx.pageContext(mode, req), result, ctx.payments.settings));
    }
    return true;
  }
  if (path === '/payments/test') {
    // The canary's test payment: only with a signed synthetic header, never a customer's request.
    if (method !== 'POST') throw new HttpError(405, 'Method not allowed.');
    const tests = ctx.payments.tests;
    if (!tests) throw new HttpError(404, 'No provider has test keys here.');
    const { synthetic } = ctx.testRequests ? await ctx.testRequests.check(req) : unsignedTestHeaders(req);
    if (!synthetic) throw new HttpError(403, `The ${SYNTHETIC_HEADER} header needs a valid signature.`);
    if (mode === 'read-only') {
      ctx.readOnly(req, res);
      return true;
    }
    const provider = new URL(req.url ?? '/', 'http://shop').searchParams.get('provider') ?? undefined;
    if (provider !== undefined && !tests.providerIds.includes(provider))
      throw new HttpError(404, 'That provider has no test keys here.');
    sendJson(res, mode, 200, await tests.run(provider));
    return true;
  }
  if (path === '/payments/health') {
    if (method !== 'GET') throw new HttpError(405, 'Method not allowed.');
    sendJson(res, mode, 200, await ctx.payments.healthReport(ctx.region));
    return true;
  }
  if (path === '/payments/window') {
    if (method !== 'GET') throw new HttpError(405, 'Method not allowed.');
    if (mode === 'read-only') {
      // Its return could not be confirmed: no window, the other ways to pay instead.
      ctx.readOnly(req, res);
      return true;
    }
    const param = new URL(req.url ?? '/', 'http://shop').searchParams.get('attempt') ?? '';
    if (!UUID_RE.test(param)) throw new HttpError(404, 'There is no such payment.');
    const { orderId, page } = await ctx.payments.windowPage(param.toLowerCase(), origin(req));
    if (!page) {
      // Paid, confirming or given up: the order says which; its page offers what is left to do.
      res.writeHead(303, {
        location: `/orders/${orderId}`,
        'cache-control': 'no-store',
        'content-length': 0,
      });
      res.end();
      return true;
    }
    sendHtml(
      res,
      mode,
      200,
      tossWindowPage(ctx.pageContext(mode, req), page.sdkUrl, page.request, orderId),
      tossWindowHeaders(page.sdkUrl),
    );
    return true;
  }
  if (path === '/payments/return' || path === '/payments/fail') {
    if (method !== 'GET') throw new HttpError(405, 'Method not allowed.');
    const url = new URL(req.url ?? '/', 'http://shop');
    const params = Object.fromEntries(url.searchParams);
    const attemptId = UUID_RE.test(params.attempt ?? '') ? params.attempt.toLowerCase() : undefined;
    if (!attemptId) throw new HttpError(404, 'There is no such payment.');
    if (mode === 'read-only') {
      // The result could not be written: confirm nothing (no money moves), say how to pay otherwise.
      ctx.readOnly(req, res);
      return true;
    }
    const result =
      path === '/payments/return'
        ? await ctx.payments.handleReturn(attemptId, params)
        : await ctx.payments.windowFailed(attemptId, params.code);
    answerResult(req, res, mode, result);
    return true;
  }
  return false;
}

async function choice(
  ctx: PaymentRouteContext,
  req: IncomingMessage,
  res: ServerResponse,
  mode: Mode,
  orderId: string,
  amount: number,
) {
  const choices = ctx.payments.choices();
  if (wantsJson(req)) {
    sendJson(res, mode, 200, {
      orderId,
      amount,
      methods: choices,
      allOnlineDown: choices.every((c) => !c.online || !c.available),
    });
    return;
  }
  sendHtml(res, mode, 200, choicePage(ctx.pageContext(mode, req), orderId, amount, choices));
}

/** The payment choice for a new order (used by POST /checkout). */
export function paymentChoiceAnswer(
  ctx: PaymentRouteContext,
  req: IncomingMessage,
  res: ServerResponse,
  mode: Mode,
  orderId: string,
  amount: number,
  headers: Record<string, string>,
): void {
  const choices = ctx.payments.choices();
  if (wantsJson(req)) {
    sendJson(
      res,
      mode,
      201,
      {
        orderId,
        status: 'awaiting_payment',
        amount,
        payment: { methods: choices, allOnlineDown: choices.every((c) => !c.online || !c.available) },
      },
      headers,
    );
    return;
  }
  sendHtml(res, mode, 201, choicePage(ctx.pageContext(mode, req), orderId, amount, choices), headers);
}

function answerResult(req: IncomingMessage, res: ServerResponse, mode: Mode, result: ReturnResult) {
  if (wantsJson(req)) {
    sendJson(res, mode, 200, result);
    return;
  }
  res.writeHead(303, {
    location: `/orders/${result.orderId}`,
    'cache-control': 'no-store',
    'content-length': 0,
  });
  res.end();
}
