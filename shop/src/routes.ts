/** Request handlers for the contract's HTTP API. */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  CHECKOUT_KEY_PATH,
  HEALTH_PATH,
  IDEMPOTENCY_HEADER,
  MODE_HEADER,
  REGION_HEADER,
} from '../../lib/contract/shop';
import { productName, type Catalogue, type CatalogueSnapshot, type Product } from './catalogue';
import { CommitOutcomeUnknownError, type Database, isUnavailable, type Target } from './db';
import { type Fence, FencedError } from './fence';
import { clientOf } from './client';
import { cartFromCookie, ordersFromCookie, rememberCart, rememberOrder } from './cookies';
import { OverloadedError } from './gate';
import { type ClientLimits, DEFAULT_LIMITS, MAX_QUANTITY_PER_PRODUCT, RateLimiter } from './limits';
import { crossSiteReason } from './origin';
import { healthReport, type HealthMonitor } from './health';
import { contactsIn } from '../../lib/contract/contacts';
import * as html from './html';
import { languageOf, MESSAGES, translate, useLanguage } from './i18n';
import { HttpError, readBody, sendHtml, sendJson, wantsJson } from './http';
import type { Contacts, Logger, Mode, Role } from './types';
import type { PaymentService } from './payments/service';
import { type TestRequestGate, unsignedTestHeaders } from './signed-test-request';
import { handlePaymentRoute, paymentChoiceAnswer, type PaymentRouteContext } from './payments/routes';
import { paymentLine } from './payments/pages';
import { ContactError, parseContact, saveContact } from './notify/contact';
import { enqueueNotice } from './notify/outbox';
import type { NotifyService } from './notify/index';

export interface ShopContext {
  region: string;
  role: Role;
  version: string;
  contacts: Contacts;
  /** ISO 4217 code of the prices; default KRW. */
  currency?: string;
  db: Database;
  health: HealthMonitor;
  catalogue: Catalogue;
  fence: Fence;
  logger: Logger;
  /** Set while draining: responses ask clients to close the connection. */
  isDraining: () => boolean;
  /** Per-client limits (default DEFAULT_LIMITS). */
  limits?: ClientLimits;
  now?: () => number;
  /** Online and manual payments (shop/src/payments); without it checkout places orders unpaid, as before. */
  payments?: PaymentService;
  /** The notice dispatcher (shop/src/notify); serves `GET /notify/health` when set. */
  notify?: NotifyService;
  /** Verifies signed test headers; none: the unsigned `1` is accepted (local runs). */
  testRequests?: TestRequestGate;
}

/** The dispatcher's state per channel (NOTIFY-CONTRACT "Shop HTTP"; read by `shopctl channels status`). */
const NOTIFY_HEALTH_PATH = '/notify/health';
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PRODUCT_PATH_RE = /^\/products\/([^/]+)$/;
const ORDER_PATH_RE = /^\/orders\/([^/]+)$/;
const MAX_QUANTITY = MAX_QUANTITY_PER_PRODUCT;
/** Idempotency keys: 8-200 URL-safe characters (a UUID fits). */
const KEY_RE = /^[A-Za-z0-9_.:-]{8,200}$/;

/** Returned by the checkout transaction when the key already names an order: answer with it. */
class Replay {
  constructor(readonly orderId: string) {}
}

function parseProductId(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0 && value < 2 ** 31) return value;
  if (typeof value === 'string' && /^[1-9]\d{0,9}$/.test(value) && Number(value) < 2 ** 31)
    return Number(value);
  return undefined;
}

function parseQuantity(value: unknown): number | undefined {
  if (value === undefined || value === '') return 1;
  const n = typeof value === 'string' && /^\d{1,3}$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= MAX_QUANTITY ? n : undefined;
}

function parseUuid(value: unknown): string | undefined {
  return typeof value === 'string' && UUID_RE.test(value) ? value.toLowerCase() : undefined;
}

export interface ShopHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  /** Asks clients of in-flight requests to close their connection after the response (drain). */
  closeInFlight(): void;
}

export function createHandler(ctx: ShopContext): ShopHandler {
  const inFlight = new Set<ServerResponse>();
  const limits = ctx.limits ?? DEFAULT_LIMITS;
  const cartLimiter = new RateLimiter(limits.carts, limits.maxClients, ctx.now);
  const checkoutLimiter = new RateLimiter(limits.checkouts, limits.maxClients, ctx.now);
  /** Retry-After of a 429 (a client over one of its limits). */
  const retryAfter = (s: number) => ({ 'retry-after': String(s) });
  // Rendered pages per catalogue generation and mode: the product pages are the hot path.
  let pageCacheGeneration = -1;
  const pageCache = new Map<string, Buffer>();

  const pageContext = (mode: Mode, req: IncomingMessage): html.PageContext => ({
    mode,
    contacts: ctx.contacts,
    region: ctx.region,
    version: ctx.version,
    lang: languageOf(req),
    currency: ctx.currency ?? 'KRW',
    path: req.method === 'GET' || req.method === 'HEAD' ? (req.url ?? '/').split('?')[0] : '/products',
  });

  const cachedPage = (snap: CatalogueSnapshot, key: string, render: () => string): Buffer => {
    if (snap.generation !== pageCacheGeneration) {
      pageCache.clear();
      pageCacheGeneration = snap.generation;
    }
    let page = pageCache.get(key);
    if (!page) {
      page = Buffer.from(render());
      pageCache.set(key, page);
    }
    return page;
  };

  const readOnly = (req: IncomingMessage, res: ServerResponse) => {
    const headers = { [MODE_HEADER]: 'read-only', 'retry-after': '30' };
    if (wantsJson(req)) {
      sendJson(
        res,
        'read-only',
        503,
        {
          error: 'read-only',
          message: html.READ_ONLY_TEXT,
          alternatives: contactsIn(ctx.contacts, languageOf(req)),
        },
        headers,
      );
    } else {
      sendHtml(res, 'read-only', 503, html.readOnlyPage(pageContext('read-only', req)), headers);
    }
  };

  const paymentRoutes: PaymentRouteContext | undefined = ctx.payments
    ? { payments: ctx.payments, region: ctx.region, pageContext, readOnly, testRequests: ctx.testRequests }
    : undefined;

  /** Too busy right now (admission gate full): 503 + Retry-After, nothing was done. */
  const overloaded = (req: IncomingMessage, res: ServerResponse, mode: Mode, retryAfterS: number) => {
    const headers = { 'retry-after': String(retryAfterS) };
    if (wantsJson(req)) {
      sendJson(
        res,
        mode,
        503,
        { error: 'overloaded', message: MESSAGES[languageOf(req)].fault.inLine, retryAfterS },
        headers,
      );
    } else {
      sendHtml(res, mode, 503, html.inLinePage(pageContext(mode, req)), headers);
    }
  };

  /** COMMIT was sent and its answer lost: the order may exist. Say so, and how to check. */
  const outcomeUnknown = (
    req: IncomingMessage,
    res: ServerResponse,
    mode: Mode,
    cartId: string,
    key: string | undefined,
  ) => {
    const headers = { 'retry-after': '5' };
    if (wantsJson(req)) {
      sendJson(
        res,
        mode,
        503,
        {
          error: 'outcome-unknown',
          message: MESSAGES[languageOf(req)].fault.outcomeUnknown,
          cartId,
          idempotencyKey: key ?? null,
          check: key
            ? MESSAGES[languageOf(req)].fault.outcomeCheckWithKey
            : MESSAGES[languageOf(req)].fault.outcomeCheckWithoutKey,
          alternatives: contactsIn(ctx.contacts, languageOf(req)),
        },
        headers,
      );
    } else {
      sendHtml(res, mode, 503, html.outcomeUnknownPage(pageContext(mode, req), cartId, key), headers);
    }
  };

  const fail = (
    req: IncomingMessage,
    res: ServerResponse,
    mode: Mode,
    status: number,
    message: string,
    headers: Record<string, string> = {},
  ) => {
    const extra: Record<string, string> = status === 413 ? { connection: 'close', ...headers } : headers;
    if (wantsJson(req)) {
      sendJson(res, mode, status, { error: message }, extra);
    } else {
      const title =
        status === 404 ? 'Not found' : status === 405 ? 'Method not allowed' : "We couldn't do that";
      sendHtml(
        res,
        mode,
        status,
        html.messagePage(pageContext(mode, req), title, message, status >= 500),
        extra,
      );
    }
  };

  const catalogueUnavailable = (req: IncomingMessage, res: ServerResponse) => {
    if (wantsJson(req)) {
      sendJson(res, 'read-only', 503, {
        error: 'catalogue-unavailable',
        message: html.READ_ONLY_TEXT,
        alternatives: contactsIn(ctx.contacts, languageOf(req)),
      });
    } else {
      const message =
        'The catalogue is not available right now. Please try again in a minute, or order another way.';
      sendHtml(
        res,
        'read-only',
        503,
        html.messagePage(pageContext('read-only', req), 'Please try again shortly', message, true),
      );
    }
  };

  async function productList(req: IncomingMessage, res: ServerResponse, mode: Mode) {
    const snap = await ctx.catalogue.get();
    if (!snap) return catalogueUnavailable(req, res);
    if (wantsJson(req)) return sendJson(res, mode, 200, snap.products.map(productJson));
    sendHtml(
      res,
      mode,
      200,
      cachedPage(snap, `${mode}:${languageOf(req)}:list`, () =>
        html.productListPage(pageContext(mode, req), snap.products),
      ),
    );
  }

  async function product(req: IncomingMessage, res: ServerResponse, mode: Mode, rawId: string) {
    const id = parseProductId(rawId);
    if (id === undefined) return fail(req, res, mode, 404, 'There is no such product.');
    const snap = await ctx.catalogue.get();
    if (!snap) return catalogueUnavailable(req, res);
    const p = snap.byId.get(id);
    if (!p) return fail(req, res, mode, 404, 'There is no such product.');
    if (wantsJson(req)) return sendJson(res, mode, 200, productJson(p));
    sendHtml(
      res,
      mode,
      200,
      cachedPage(snap, `${mode}:${languageOf(req)}:${id}`, () => html.productPage(pageContext(mode, req), p)),
    );
  }

  async function addToCart(req: IncomingMessage, res: ServerResponse, mode: Mode) {
    if (mode === 'read-only') return readOnly(req, res);
    const body = await readBody(req);
    const productId = parseProductId(body.productId);
    if (productId === undefined) throw new HttpError(400, 'productId must be a positive whole number.');
    const quantity = parseQuantity(body.quantity);
    if (quantity === undefined)
      throw new HttpError(400, `quantity must be a whole number from 1 to ${MAX_QUANTITY}.`);
    let cartId: string | undefined;
    if (body.cartId !== undefined && body.cartId !== '') {
      cartId = parseUuid(body.cartId);
      if (!cartId) throw new HttpError(400, 'cartId is not a valid cart id.');
    }
    const client = clientOf(req);
    // Without an explicit cart, the browser's own cart (cookie) is added to while it is open.
    const cookieCart = cartId ? undefined : cartFromCookie(req);
    const newCart = () => {
      const wait = cartLimiter.take(client);
      if (wait > 0)
        throw new HttpError(
          429,
          'Too many new carts from your network. Please try again in a minute.',
          retryAfter(wait),
        );
      return randomUUID();
    };
    if (!cartId && !cookieCart) newCart();
    const known = ctx.catalogue.peek();
    if (known && !known.byId.has(productId) && known.products.length > 0) {
      // Cheap early answer; the transaction below checks again against the database.
      throw new HttpError(404, 'There is no such product.');
    }
    const result = await ctx.db.transaction(
      async (c) => {
        let id = cartId ?? cookieCart;
        if (id) {
          const cart = await c.query<{ status: string }>(
            'SELECT status FROM carts WHERE id = $1 FOR UPDATE',
            [id],
          );
          if (cart.rowCount === 0 || cart.rows[0].status !== 'open') {
            // The cookie's cart is gone or ordered: start a new one. An explicit cart id is an error.
            if (!cartId) id = undefined;
            else if (cart.rowCount === 0) throw new HttpError(404, 'There is no such cart.');
            else throw new HttpError(409, 'This cart has already been checked out.');
          }
        }
        if (id) {
          await c.query('UPDATE carts SET updated_at = now() WHERE id = $1', [id]);
        } else {
          id = cookieCart ? newCart() : randomUUID();
          await c.query('INSERT INTO carts (id) VALUES ($1)', [id]);
        }
        const exists = await c.query('SELECT 1 FROM products WHERE id = $1', [productId]);
        if (exists.rowCount === 0) throw new HttpError(404, 'There is no such product.');
        const added = await c.query<{ quantity: number }>(
          `INSERT INTO cart_items (cart_id, product_id, quantity) VALUES ($1, $2, $3)
         ON CONFLICT (cart_id, product_id) DO UPDATE SET quantity = cart_items.quantity + EXCLUDED.quantity
         RETURNING quantity`,
          [id, productId, quantity],
        );
        if (added.rows[0].quantity > MAX_QUANTITY)
          throw new HttpError(400, `An order can hold at most ${MAX_QUANTITY} of one product.`);
        const items = await c.query<{ product_id: number; quantity: number }>(
          'SELECT product_id, quantity FROM cart_items WHERE cart_id = $1 ORDER BY product_id',
          [id],
        );
        return {
          cartId: id,
          items: items.rows.map((r) => ({ productId: r.product_id, quantity: r.quantity })),
        };
      },
      { client },
    );
    rememberCart(res, result.cartId);
    if (wantsJson(req)) return sendJson(res, mode, 201, result);
    const snapshot = ctx.catalogue.peek()?.byId;
    const lang = languageOf(req);
    sendHtml(
      res,
      mode,
      201,
      html.cartPage(
        pageContext(mode, req),
        result.cartId,
        result.items.map((i) => {
          const p = snapshot?.get(i.productId);
          return { ...i, name: p && productName(p, lang), priceCents: p?.priceCents };
        }),
        randomUUID(),
      ),
    );
  }

  /** The lines of an open cart, with names and prices from the catalogue ([] when not open). */
  async function openCartLines(req: IncomingMessage, mode: Mode, cartId: string | undefined) {
    const rows = cartId
      ? await ctx.db.query<{ product_id: number; quantity: number }>(
          mode === 'read-write' ? 'writer' : 'reader',
          `SELECT i.product_id, i.quantity FROM cart_items i JOIN carts c ON c.id = i.cart_id
           WHERE c.id = $1 AND c.status = 'open' ORDER BY i.product_id`,
          [cartId],
          { client: clientOf(req) },
        )
      : [];
    const snapshot = ctx.catalogue.peek()?.byId;
    const lang = languageOf(req);
    return rows.map((r) => {
      const p = snapshot?.get(r.product_id);
      return {
        productId: r.product_id,
        quantity: r.quantity,
        name: p && productName(p, lang),
        priceCents: p?.priceCents,
      };
    });
  }

  /** The browser's cart (cookie), with prices from the catalogue; an empty cart when there is none. */
  async function cartView(req: IncomingMessage, res: ServerResponse, mode: Mode) {
    const cartId = cartFromCookie(req);
    const items = await openCartLines(req, mode, cartId);
    if (wantsJson(req)) return sendJson(res, mode, 200, { cartId: items.length ? cartId : null, items });
    sendHtml(
      res,
      mode,
      200,
      html.cartPage(
        pageContext(mode, req),
        items.length ? cartId! : '',
        items,
        mode === 'read-write' && items.length ? randomUUID() : undefined,
      ),
    );
  }

  /**
   * Exactly once: the idempotency key (header for the API, hidden form field for the HTML flow) is
   * stored in the order's own transaction under a unique constraint; a retry or a double click
   * with the same key gets the original order back. The cart row lock serialises concurrent
   * attempts, so the second one sees the first one's key.
   */
  async function checkout(req: IncomingMessage, res: ServerResponse, mode: Mode) {
    const { synthetic, drill } = ctx.testRequests
      ? await ctx.testRequests.check(req)
      : unsignedTestHeaders(req);
    const body = await readBody(req);
    const cartId = parseUuid(body.cartId);
    if (!cartId) throw new HttpError(400, 'cartId is not a valid cart id.');
    const key = idempotencyKey(req.headers[IDEMPOTENCY_HEADER], body.idempotencyKey);
    const client = clientOf(req);
    // Canary (synthetic, rolled back) and drill checkouts (stock untouched) take nothing from the
    // shop; the drill's probe buys every 5 s for an hour. Their carts still count against the cart limit.
    const wait = synthetic || drill ? 0 : checkoutLimiter.take(client);
    if (wait > 0)
      throw new HttpError(
        429,
        'Too many checkouts from your network. Please try again in a minute.',
        retryAfter(wait),
      );
    let contact;
    try {
      contact = parseContact(body, languageOf(req));
    } catch (err) {
      if (!(err instanceof ContactError)) throw err;
      // The HTML form: the cart page again, with the error and what was typed (nothing is lost).
      const items = wantsJson(req) ? [] : await openCartLines(req, mode, cartId);
      if (items.length === 0) throw new HttpError(400, err.message);
      const text = (v: unknown) => (typeof v === 'string' ? v : '');
      return sendHtml(
        res,
        mode,
        400,
        html.cartPage(pageContext(mode, req), cartId, items, key ?? randomUUID(), {
          error: translate(languageOf(req), err.message),
          phone: text(body.phone),
          email: text(body.email),
          consent: ['on', 'true', '1'].includes(text(body.consent)),
        }),
      );
    }
    if (mode === 'read-only') {
      // A retry of an order placed before the outage still gets its answer, when a reader has it.
      const placed = key && !synthetic ? await lookupKey(key, cartId).catch(() => undefined) : undefined;
      if (placed) return orderPlaced(req, res, mode, placed, true);
      return readOnly(req, res);
    }
    // Priority is for customers with a cart: a cart id that does not exist is answered at normal
    // priority, in the client's own turn, and never takes a real customer's place in the queue.
    const exists = await ctx.db.query('writer', 'SELECT 1 FROM carts WHERE id = $1', [cartId], { client });
    if (exists.length === 0) throw new HttpError(404, 'There is no such cart.');
    let outcome: string | Replay;
    try {
      outcome = await ctx.db.transaction(
        async (c) => {
          const cart = await c.query<{ status: string }>(
            'SELECT status FROM carts WHERE id = $1 FOR UPDATE',
            [cartId],
          );
          if (cart.rowCount === 0) throw new HttpError(404, 'There is no such cart.');
          if (key) {
            const prior = await c.query<{ order_id: string; cart_id: string }>(
              'SELECT order_id, cart_id FROM checkout_keys WHERE key = $1',
              [key],
            );
            if (prior.rows[0]) {
              if (prior.rows[0].cart_id !== cartId)
                throw new HttpError(422, `This ${IDEMPOTENCY_HEADER} was already used for another cart.`);
              return new Replay(prior.rows[0].order_id);
            }
          }
          if (cart.rows[0].status !== 'open')
            throw new HttpError(409, 'This cart has already been checked out.');
          await ctx.fence.check(c);
          const items = await c.query<{ product_id: number; quantity: number }>(
            'SELECT product_id, quantity FROM cart_items WHERE cart_id = $1 ORDER BY product_id',
            [cartId],
          );
          if (items.rowCount === 0) throw new HttpError(400, 'The cart is empty.');
          const prices: number[] = [];
          let total = 0;
          for (const item of items.rows) {
            // A drill order takes the same row lock and stock check as a customer's, but leaves the
            // stock as it was: a game day placing an order every few seconds for an hour must not
            // sell a product out from under real customers.
            const updated = await c.query<{ price_cents: number }>(
              'UPDATE products SET stock = stock - CASE WHEN $3 THEN 0 ELSE $2 END, updated_at = now() WHERE id = $1 AND stock >= $2 RETURNING price_cents',
              [item.product_id, item.quantity, drill],
            );
            if (updated.rowCount === 0)
              throw new HttpError(409, `Product ${item.product_id} does not have enough stock.`);
            prices.push(updated.rows[0].price_cents);
            total += updated.rows[0].price_cents * item.quantity;
          }
          const id = randomUUID();
          await c.query(
            'INSERT INTO orders (id, cart_id, status, total_cents, region, drill) VALUES ($1, $2, $3, $4, $5, $6)',
            [id, cartId, ctx.payments ? 'awaiting_payment' : 'placed', total, ctx.region, drill],
          );
          await c.query(
            `INSERT INTO order_items (order_id, product_id, quantity, price_cents)
             SELECT $1, * FROM unnest($2::int[], $3::int[], $4::int[])`,
            [id, items.rows.map((i) => i.product_id), items.rows.map((i) => i.quantity), prices],
          );
          if (contact) {
            // The contact and the "order received" notice commit with the order or not at all.
            await saveContact(c, id, contact, new Date());
            await enqueueNotice(c, id, 'order-received', '', { amount: total });
          }
          if (key) {
            await c.query('INSERT INTO checkout_keys (key, cart_id, order_id) VALUES ($1, $2, $3)', [
              key,
              cartId,
              id,
            ]);
          }
          await c.query("UPDATE carts SET status = 'checked_out', updated_at = now() WHERE id = $1", [
            cartId,
          ]);
          return id;
        },
        { rollback: synthetic, priority: 'high', client },
      );
    } catch (err) {
      if (err instanceof CommitOutcomeUnknownError) {
        ctx.logger.warn('checkout outcome unknown (COMMIT sent, no answer)', {
          cartId,
          key,
          error: err.message,
        });
        throw new CheckoutOutcomeUnknown(cartId, key);
      }
      if ((err as { code?: string }).code === '23505' && key) {
        // Same key, another cart, at the same instant: the other checkout owns the key.
        throw new HttpError(409, `This ${IDEMPOTENCY_HEADER} is in use by another checkout.`);
      }
      throw err;
    }
    if (synthetic) return sendJson(res, mode, 200, { status: 'synthetic-ok', orderId: null });
    if (outcome instanceof Replay) return orderPlaced(req, res, mode, outcome.orderId, true);
    ctx.catalogue.invalidate();
    return orderPlaced(req, res, mode, outcome, false);
  }

  async function orderPlaced(
    req: IncomingMessage,
    res: ServerResponse,
    mode: Mode,
    orderId: string,
    replay: boolean,
  ) {
    const headers: Record<string, string> = replay ? { 'x-idempotent-replay': 'true' } : {};
    rememberOrder(req, res, orderId);
    if (paymentRoutes) {
      // Read-only replays may not reach the writer: then the plain answer below, pay later.
      const total = await ctx.payments!.orderTotal(orderId).catch(() => undefined);
      if (total !== undefined)
        return paymentChoiceAnswer(paymentRoutes, req, res, mode, orderId, total, headers);
    }
    if (wantsJson(req)) return sendJson(res, mode, 201, { orderId, status: 'placed' }, headers);
    sendHtml(res, mode, 201, html.orderPlacedPage(pageContext(mode, req), orderId), headers);
  }

  /** The order an idempotency key stands for, from whichever endpoint answers (read-only mode). */
  async function lookupKey(key: string, cartId: string): Promise<string | undefined> {
    for (const target of ctx.db.hasSeparateReader ? (['reader', 'writer'] as const) : (['writer'] as const)) {
      try {
        const rows = await ctx.db.query<{ order_id: string }>(
          target,
          'SELECT order_id FROM checkout_keys WHERE key = $1 AND cart_id = $2',
          [key, cartId],
        );
        return rows[0]?.order_id;
      } catch {
        // try the next endpoint
      }
    }
    return undefined;
  }

  async function order(req: IncomingMessage, res: ServerResponse, mode: Mode, rawId: string) {
    const id = parseUuid(rawId);
    if (!id) return fail(req, res, mode, 404, 'There is no such order.');
    const targets: Target[] = mode === 'read-write' ? ['writer', 'reader'] : ['reader', 'writer'];
    let rows:
      | {
          id: string;
          status: string;
          total_cents: string;
          created_at: Date;
          product_id: number;
          quantity: number;
          price_cents: number;
          name: string;
          name_ko: string | null;
        }[]
      | undefined;
    let lastError: unknown;
    for (const target of ctx.db.hasSeparateReader ? targets : ['writer' as const]) {
      try {
        rows = await ctx.db.query(
          target,
          `SELECT o.id, o.status, o.total_cents, o.created_at, i.product_id, i.quantity, i.price_cents, p.name,
                  to_jsonb(p) ->> 'name_ko' AS name_ko
           FROM orders o JOIN order_items i ON i.order_id = o.id JOIN products p ON p.id = i.product_id
           WHERE o.id = $1 ORDER BY i.product_id`,
          [id],
        );
        break;
      } catch (err) {
        lastError = err;
      }
    }
    if (!rows) throw lastError;
    if (rows.length === 0) return fail(req, res, mode, 404, 'There is no such order.');
    const view: html.OrderView = {
      id: rows[0].id,
      status: rows[0].status,
      totalCents: Number(rows[0].total_cents),
      createdAt: new Date(rows[0].created_at).toISOString(),
      items: rows.map((r) => ({
        productId: r.product_id,
        name: productName({ name: r.name, nameKo: r.name_ko ?? undefined }, languageOf(req)),
        quantity: r.quantity,
        priceCents: r.price_cents,
      })),
    };
    const payment = ctx.payments
      ? await ctx.payments.paymentState(id, view.status).catch(() => undefined)
      : undefined;
    if (wantsJson(req)) return sendJson(res, mode, 200, payment ? { ...view, payment } : view);
    const pc = pageContext(mode, req);
    sendHtml(res, mode, 200, html.orderPage(pc, view, payment ? paymentLine(pc, id, payment) : ''));
  }

  /**
   * The drill order an idempotency key placed (shopctl drill verifies every acknowledged order with
   * it). Customers' orders answer 404 like unknown keys: the lookup reveals nothing about them.
   */
  async function drillOrder(res: ServerResponse, mode: Mode, key: string) {
    if (!KEY_RE.test(key)) return sendJson(res, mode, 404, { error: 'not-found' });
    const targets: Target[] = mode === 'read-write' ? ['writer', 'reader'] : ['reader', 'writer'];
    let rows: { order_id: string; status: string }[] | undefined;
    let lastError: unknown;
    for (const target of ctx.db.hasSeparateReader ? targets : ['writer' as const]) {
      try {
        rows = await ctx.db.query(
          target,
          `SELECT k.order_id, o.status FROM checkout_keys k JOIN orders o ON o.id = k.order_id
           WHERE k.key = $1 AND o.drill`,
          [key],
        );
        break;
      } catch (err) {
        lastError = err;
      }
    }
    if (!rows) throw lastError;
    if (rows.length === 0) return sendJson(res, mode, 404, { error: 'not-found' });
    sendJson(res, mode, 200, { key, orderId: rows[0].order_id, status: rows[0].status });
  }

  function healthz(res: ServerResponse) {
    const { code, body } = healthReport(ctx.health.current(), ctx);
    sendJson(res, body.mode, code, body);
  }

  async function route(req: IncomingMessage, res: ServerResponse, mode: Mode): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    if (path === HEALTH_PATH)
      return method === 'GET' ? healthz(res) : fail(req, res, mode, 405, 'Method not allowed.');
    if (path === NOTIFY_HEALTH_PATH) {
      if (method !== 'GET') return fail(req, res, mode, 405, 'Method not allowed.');
      if (!ctx.notify) return sendJson(res, mode, 404, { error: 'not-configured', region: ctx.region });
      return sendJson(res, mode, 200, await ctx.notify.health());
    }
    if (paymentRoutes && (path.startsWith('/payments/') || path.startsWith('/orders/'))) {
      if (await handlePaymentRoute(paymentRoutes, req, res, mode, path, method)) return;
    }
    let m: RegExpExecArray | null;
    if (path === '/' || path === '/products') {
      if (method === 'GET') return productList(req, res, mode);
    } else if ((m = PRODUCT_PATH_RE.exec(path))) {
      if (method === 'GET') return product(req, res, mode, m[1]);
    } else if (path === '/cart') {
      if (method === 'POST') return addToCart(req, res, mode);
      if (method === 'GET') return cartView(req, res, mode);
    } else if (path === '/orders') {
      if (method === 'GET')
        return sendHtml(res, mode, 200, html.ordersPage(pageContext(mode, req), ordersFromCookie(req)));
    } else if (path === '/checkout') {
      if (method === 'POST') return checkout(req, res, mode);
    } else if ((m = ORDER_PATH_RE.exec(path))) {
      if (method === 'GET') return order(req, res, mode, m[1]);
    } else if (path.startsWith(CHECKOUT_KEY_PATH)) {
      // Keys are URL-safe by contract: not decoded, so a malformed escape is just an unknown key.
      if (method === 'GET') return drillOrder(res, mode, path.slice(CHECKOUT_KEY_PATH.length));
    } else {
      return fail(req, res, mode, 404, 'There is no such page.');
    }
    return fail(req, res, mode, 405, 'Method not allowed.');
  }

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (ctx.isDraining()) res.setHeader('connection', 'close');
    res.setHeader(REGION_HEADER, ctx.region);
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
    useLanguage(req, res);
    const mode = ctx.health.mode();
    const crossSite = crossSiteReason(req);
    if (crossSite) {
      // Refused before the body is read: nothing a cross-site page makes a browser send changes state.
      ctx.logger.warn('cross-site request refused', { method: req.method, url: req.url, reason: crossSite });
      return fail(req, res, mode, 403, 'This request came from another site, so we did not act on it.');
    }
    route(req, res, mode).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof HttpError) return fail(req, res, mode, err.status, err.message, err.headers);
      if (err instanceof OverloadedError) return overloaded(req, res, mode, err.retryAfterS);
      if (err instanceof FencedError) {
        ctx.health.poke();
        return readOnly(req, res);
      }
      if (err instanceof CheckoutOutcomeUnknown) {
        ctx.health.poke();
        return outcomeUnknown(req, res, mode, err.cartId, err.key);
      }
      if (isUnavailable(err)) {
        ctx.health.poke();
        return readOnly(req, res);
      }
      ctx.logger.error('request failed', {
        method: req.method,
        url: req.url,
        error: (err as Error)?.message,
      });
      fail(req, res, mode, 500, 'Something went wrong on our side. Nothing was ordered or charged.');
    });
  };
  handler.closeInFlight = () => {
    for (const res of inFlight) if (!res.headersSent) res.setHeader('connection', 'close');
  };
  return handler;
}

/**
 * The idempotency key of a checkout: the header (API clients) or the form field (the HTML flow).
 * An empty header counts as absent (some clients send the header with no value); two different
 * keys in one request are refused rather than one of them silently winning.
 */
export function idempotencyKey(header: string | string[] | undefined, field: unknown): string | undefined {
  const present = (v: unknown) => v !== undefined && v !== '';
  const fromHeader = present(header) ? header : undefined;
  const fromBody = present(field) ? field : undefined;
  if (fromHeader !== undefined && fromBody !== undefined && fromHeader !== fromBody)
    throw new HttpError(400, `Send one ${IDEMPOTENCY_HEADER}: the header and the form field differ.`);
  const raw = fromHeader ?? fromBody;
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !KEY_RE.test(raw))
    throw new HttpError(400, `${IDEMPOTENCY_HEADER} must be 8 to 200 letters, digits or _.:-`);
  return raw;
}

function productJson(p: Product) {
  return { id: p.id, name: p.name, priceCents: p.priceCents, stock: p.stock };
}

/** A checkout whose COMMIT answer was lost, with what the customer needs to check it. */
class CheckoutOutcomeUnknown extends Error {
  constructor(
    readonly cartId: string,
    readonly key: string | undefined,
  ) {
    super('checkout outcome unknown');
  }
}
