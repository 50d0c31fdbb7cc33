/**
 * Cross-site requests refused: a state-changing request (anything but GET, HEAD, OPTIONS) that a
 * browser sent on behalf of another site is answered 403 before its body is read.
 *
 * Browsers send `Sec-Fetch-Site` on every request to a potentially trustworthy (https) URL; it
 * says whether the initiator has the same origin, the same site, another site, or none (the user
 * typed it) (https://developer.mozilla.org/docs/Web/HTTP/Headers/Sec-Fetch-Site; Chrome 76,
 * Firefox 90, Safari 16.4). Browsers also send `Origin` on POSTs, same-origin included (Firefox
 * since 70, Edge since 79, per MDN's compatibility data:
 * https://chromium.googlesource.com/external/github.com/mdn/browser-compat-data/+/HEAD/http/headers/Origin.json). Rule: a `Sec-Fetch-Site` other than
 * `same-origin` or `none` is refused (`same-site` too: a sibling subdomain is not the shop); an
 * `Origin` whose host is not the request's Host is refused (`null` included: sandboxed frames,
 * some redirects). A request with neither header is not from a browser (curl, the canary, the
 * drill, a payment provider's server): nothing a cross-site page can make a victim's browser send,
 * so it passes. No token is needed, and the HTML forms keep working without JavaScript.
 */
import type { IncomingMessage } from 'node:http';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Why `req` is refused as cross-site, or undefined when it may change state. */
export function crossSiteReason(req: Pick<IncomingMessage, 'method' | 'headers'>): string | undefined {
  if (SAFE_METHODS.has(req.method ?? 'GET')) return undefined;
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `sec-fetch-site: ${site}`;
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return 'origin: not a URL';
  }
  return host !== '' && host === req.headers.host ? undefined : 'origin: another site';
}
