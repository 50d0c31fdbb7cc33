/**
 * The payment endpoints (PAYMENTS-CONTRACT "Shop HTTP"):
 * - `GET|POST /orders/{id}/pay`: the choice page / start paying with `{method, provider?}`;
 * - `GET /payments/window?attempt=…`: the shop's page that opens Toss's window (toss-window.ts);
 * - `GET /payments/return?attempt=…` (+ the provider's parameters): confirm server-side;
 * - `GET /payments/fail?attempt=…`: the customer left the window without paying;
 * - `GET /payments/check`: the payments this browser's recovery cookies name, found again even when
 *   every record of them here was lost in a failover;
 * - `GET /payments/health`: breaker and switch state per provider and method (JSON).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PageContext } from '../html';
import { readCookie } from '../cookies';
import { HttpError, readBody, sendHtml, sendJson, wantsJson } from '../http';
import type { Mode } from '../types';
import { SYNTHETIC_HEADER } from '../../../lib/contract/shop';
import { type TestRequestGate, unsignedTestHeaders } from '../signed-test-request';
import { checkPage, choicePage, manualPage } from './pages';
import { type PaymentService, RECOVERY_MAX_AGE_S, type ReturnResult } from './service';
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

/** Prefix of the recovery cookies, one per attempt: `shop-pay-<attempt id>` (service.ts `recoverLost`). */
const RECOVERY_COOKIE = 'shop-pay-';

/**
 * The recovery cookie of an attempt: sent only to /payments (the return and the check page),
 * HttpOnly, SameSite=Lax (the provider's redirect back is a top-level GET, which Lax lets through).
 */
function recoveryCookie(attemptId: string, value: string, maxAgeS = RECOVERY_MAX_AGE_S): string {
  return `${RECOVERY_COOKIE}${attemptId}=${value}; Path=/payments; Max-Age=${maxAgeS}; SameSite=Lax; HttpOnly; Secure`;
}

/** The recovery keys the browser sent, by attempt id. */
function recoveryKeys(req: IncomingMessage): { attemptId: string; recovery: string }[] {
  const keys: { attemptId: string; recovery: string }[] = [];
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    const name = part.slice(0, eq).trim();
    const attemptId = name.slice(RECOVERY_COOKIE.length).toLowerCase();
    if (eq > 0 && name.startsWith(RECOVERY_COOKIE) && UUID_RE.test(attemptId))
      keys.push({ attemptId, recovery: part.slice(eq + 1).trim() });
  }
  return keys.slice(0, 20);
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
    let result = await ctx.payments.start(orderId, chosen as never, provider, origin(req));
    if (result.kind === 'redirect' && result.recovery) {
      // The recovery key goes to the browser's cookie only, never into the page or the JSON.
      const { recovery, ...rest } = result;
      res.appendHeader('set-cookie', recoveryCookie(result.attemptId, recovery));
      result = rest;
    }
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
  if (path === '/payments/check') {
    // "Check my payment": also answers for payments whose every record here was lost.
    if (method !== 'GET') throw new HttpError(405, 'Method not allowed.');
    if (mode === 'read-only') {
      ctx.readOnly(req, res);
      return true;
    }
    const found = await ctx.payments.check(recoveryKeys(req));
    for (const f of found)
      if ('outcome' in f && f.outcome !== 'unchecked')
        res.appendHeader('set-cookie', recoveryCookie(f.attemptId, '', 0));
    if (wantsJson(req)) {
      sendJson(res, mode, 200, { payments: found });
      return true;
    }
    sendHtml(res, mode, 200, checkPage(ctx.pageContext(mode, req), found));
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
    const recovery = readCookie(req, `${RECOVERY_COOKIE}${attemptId}`);
    let result: ReturnResult;
    try {
      result =
        path === '/payments/return'
          ? await ctx.payments.handleReturn(attemptId, params, recovery)
          : await ctx.payments.windowFailed(attemptId, params.code);
    } catch (err) {
      // A lost payment settled (refunded or never charged): the browser's key has done its work.
      if (err instanceof HttpError && err.status === 410)
        throw new HttpError(410, err.message, { 'set-cookie': recoveryCookie(attemptId, '', 0) });
      throw err;
    }
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
