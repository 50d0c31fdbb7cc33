/**
 * The shop's own page that opens Toss Payments' payment window (`GET /payments/window?attempt=…`),
 * used when a Toss provider has no `windowUrl` of its own.
 *
 * Following Toss's JavaScript SDK v2 (https://docs.tosspayments.com/sdk/v2/js): the page adds the SDK
 * with a script tag, calls the global `TossPayments(clientKey)` with the shop's CLIENT key (public;
 * the secret key never leaves the server), `payment({customerKey})` to initialise the payment window,
 * and `requestPayment({method, amount: {currency, value}, orderId, orderName, successUrl, failUrl})`.
 * The window then sends the customer to `successUrl` with `paymentKey`, `orderId` and `amount`, which
 * the shop checks and confirms server-side (toss.ts), or to `failUrl` with `code` and `message`
 * (as in https://velog.io/@joohyeon/Tosspayment-흐름-파악 , which loads https://js.tosspayments.com/v2/standard).
 *
 * Everything the page sends comes from the database (the attempt, its amount), never from the query
 * string, so the page cannot be used to ask Toss for another amount.
 *
 * Content-Security-Policy: scripts from the SDK's origin only, plus the page's one fixed inline script
 * allowed by its hash (the request data rides in a JSON data block, which is not executed). Toss's
 * documentation says nothing about which hosts its window frames or calls; the policy allows
 * `https://*.tosspayments.com` for frames and connections (the worst case that still keeps every
 * other origin out), or the SDK's own origin when a test serves a stand-in SDK.
 */
import { createHash } from 'node:crypto';
import { esc, HTML_SECURITY_HEADERS, layout, type PageContext } from '../html';
import { formatPrice } from '../i18n';
import { PAYMENT_TEXTS } from './texts';

/** What the page hands to `requestPayment`. */
export interface TossWindowRequest {
  clientKey: string;
  /** Identifies the buyer to Toss: random and not guessable (the docs ask for a UUID-like value). */
  customerKey: string;
  method: 'CARD';
  amount: { currency: 'KRW'; value: number };
  orderId: string;
  orderName: string;
  successUrl: string;
  failUrl: string;
}

/**
 * The page's only script. It reads the request from the data block, opens Toss's window on the
 * customer's click (a user gesture, so no popup blocker stands in the way), and sends the customer to
 * the fail URL with Toss's error code when the SDK refuses (the customer closed the window, a bad
 * key). When the SDK did not load (Toss's CDN unreachable), it says so and the button stays off.
 */
const BOOT = `(function(){var d=JSON.parse(document.getElementById('toss-request').textContent);var b=document.getElementById('toss-pay');var s=document.getElementById('toss-status');if(typeof TossPayments!=='function'){s.textContent=s.getAttribute('data-sdk-missing');return}var p=TossPayments(d.clientKey).payment({customerKey:d.customerKey});b.disabled=false;b.addEventListener('click',function(){b.disabled=true;p.requestPayment({method:d.method,amount:d.amount,orderId:d.orderId,orderName:d.orderName,successUrl:d.successUrl,failUrl:d.failUrl}).catch(function(e){var u=new URL(d.failUrl);u.searchParams.set('code',(e&&e.code)||'SDK_ERROR');location.assign(u.toString())})})})();`;

const BOOT_HASH = `'sha256-${createHash('sha256').update(BOOT).digest('base64')}'`;

/** JSON safe inside a `<script>` data block (no `</script>`, no HTML comment openers). */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

/** Origins Toss's window may frame and call, as the CSP names them (see the module comment). */
function windowSources(sdkUrl: string): string {
  const sdk = new URL(sdkUrl);
  return sdk.hostname === 'tosspayments.com' || sdk.hostname.endsWith('.tosspayments.com')
    ? 'https://*.tosspayments.com'
    : sdk.origin;
}

/** Security headers of the window page: the shop's usual ones with the SDK allowed, nothing else. */
export function tossWindowHeaders(sdkUrl: string): Record<string, string> {
  const style = /style-src [^;]+/.exec(HTML_SECURITY_HEADERS['content-security-policy'])![0];
  const toss = windowSources(sdkUrl);
  return {
    'content-security-policy': [
      "default-src 'none'",
      `script-src ${new URL(sdkUrl).origin} ${BOOT_HASH}`,
      style,
      `img-src 'self' ${toss}`,
      `frame-src ${toss}`,
      `connect-src ${toss}`,
      "form-action 'self'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    // A window the SDK may open as a popup must be able to talk back to this page.
    'cross-origin-opener-policy': 'same-origin-allow-popups',
    'cache-control': 'no-store',
  };
}

/** The page: amount, a pay button, a way back to the other methods, the SDK and the request. */
export function tossWindowPage(
  ctx: PageContext,
  sdkUrl: string,
  request: TossWindowRequest,
  shopOrderId: string,
): string {
  const t = PAYMENT_TEXTS[ctx.lang];
  const amount = esc(formatPrice(request.amount.value, ctx.currency, ctx.lang));
  return layout(
    ctx,
    'payment-toss-window',
    t.continueToWindow,
    `<h1>${esc(t.continueToWindow)}</h1><p>${esc(t.amountDue)}: <span class="price">${amount}</span></p>
<p><button type="button" id="toss-pay" disabled>${esc(t.pay)}</button></p>
<p id="toss-status" role="status" data-sdk-missing="${esc(t.windowMissing)}"></p>
<p><a href="/orders/${esc(shopOrderId)}/pay">${esc(t.otherWays)}</a></p>
<script src="${esc(sdkUrl)}"></script>
<script type="application/json" id="toss-request">${scriptJson(request)}</script>
<script>${BOOT}</script>`,
  );
}
