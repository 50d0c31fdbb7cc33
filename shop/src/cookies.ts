/**
 * The cart and the orders a browser placed, in cookies: the cart survives "continue shopping", a
 * language switch and the overload page's retry link. HttpOnly (no script reads them), SameSite=Lax
 * (sent when following a link to the shop, never on another site's POST), Secure (HTTPS only;
 * browsers also accept it on http://localhost).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export const CART_COOKIE = 'shop-cart';
export const ORDERS_COOKIE = 'shop-orders';
/** Orders remembered per browser (the newest first). */
export const MAX_REMEMBERED_ORDERS = 5;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A cookie's value, or undefined. */
export function readCookie(req: Pick<IncomingMessage, 'headers'>, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function setCookie(res: ServerResponse, name: string, value: string, maxAgeS: number): void {
  res.appendHeader(
    'set-cookie',
    `${name}=${value}; Path=/; Max-Age=${maxAgeS}; SameSite=Lax; HttpOnly; Secure`,
  );
}

/** The cart id in the browser's cookie, if it is a well-formed id. */
export function cartFromCookie(req: Pick<IncomingMessage, 'headers'>): string | undefined {
  const v = readCookie(req, CART_COOKIE)?.toLowerCase();
  return v && UUID_RE.test(v) ? v : undefined;
}

/** Remembers the cart for a week (carts idle for a day are cleaned up anyway). */
export function rememberCart(res: ServerResponse, cartId: string): void {
  setCookie(res, CART_COOKIE, cartId, 7 * 24 * 3600);
}

/** The orders this browser placed, newest first. */
export function ordersFromCookie(req: Pick<IncomingMessage, 'headers'>): string[] {
  return (readCookie(req, ORDERS_COOKIE) ?? '')
    .split('.')
    .map((v) => v.toLowerCase())
    .filter((v) => UUID_RE.test(v))
    .slice(0, MAX_REMEMBERED_ORDERS);
}

/** After an order: the cart is done (cookie removed), the order is remembered for a year. */
export function rememberOrder(
  req: Pick<IncomingMessage, 'headers'>,
  res: ServerResponse,
  orderId: string,
): void {
  setCookie(res, CART_COOKIE, '', 0);
  const orders = [orderId, ...ordersFromCookie(req).filter((o) => o !== orderId)].slice(
    0,
    MAX_REMEMBERED_ORDERS,
  );
  setCookie(res, ORDERS_COOKIE, orders.join('.'), 365 * 24 * 3600);
}
