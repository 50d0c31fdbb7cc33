/**
 * The contract between the platform and any shop it runs: how the web tier configures it, how
 * Route 53 and the canaries recognise a healthy instance, and how a canary checks out without
 * creating an order. The reference shop in `shop/` implements it; a replacement shop must too.
 */

/** Port the shop listens on behind the ALB. */
export const SHOP_PORT = 8080;

/** Path of the deep health check. */
export const HEALTH_PATH = '/healthz';

/**
 * String that `/healthz` contains only when the instance can serve customers in its region's
 * intended role. Route 53 string matching looks for it in the first 5,120 bytes.
 */
export const HEALTH_MARKER = 'shop-healthy-7f3a';

/** Request header that makes `POST /checkout` walk the whole path inside a rolled-back transaction. */
export const SYNTHETIC_HEADER = 'x-shop-synthetic';

/**
 * Request header carrying the checkout's idempotency key (8-200 characters of `[A-Za-z0-9_.:-]`, a
 * UUID fits). The same key always answers with the same order: a retry, a double click or a
 * canary never creates a second one. HTML forms send it as the hidden field `idempotencyKey`.
 */
export const IDEMPOTENCY_HEADER = 'idempotency-key';

/**
 * Request header (`1`) that marks a checkout as a game-day order placed by `shopctl drill`'s probe
 * customer: a real order on the real write path, recorded with `orders.drill = true` so that
 * fulfilment and reports leave it out. Only drill orders can be read back by idempotency key.
 */
export const DRILL_HEADER = 'x-shop-drill';

/** Path prefix of the drill-order lookup by idempotency key: `GET /checkout-keys/{key}`. */
export const CHECKOUT_KEY_PATH = '/checkout-keys/';

/** Content marker every shop page carries, so canaries can tell the shop from an error page. */
export const PAGE_MARKER = 'data-shop-page';

/** Environment variables the web tier writes to `/etc/resilient-shop/env` for the shop's systemd unit. */
export const SHOP_ENV = {
  /** AWS region of the instance. */
  region: 'SHOP_REGION',
  /** Intended role of the region: "primary" or "standby". */
  role: 'SHOP_ROLE',
  /** Writer endpoint (the global writer endpoint where available, else the local cluster endpoint). */
  dbWriterHost: 'SHOP_DB_WRITER_HOST',
  /** Local reader endpoint. */
  dbReaderHost: 'SHOP_DB_READER_HOST',
  dbPort: 'SHOP_DB_PORT',
  dbName: 'SHOP_DB_NAME',
  /** Name of the Secrets Manager secret (local replica) with `username` and `password`. */
  dbSecretName: 'SHOP_DB_SECRET_NAME',
  /** For local runs and tests only: credentials without Secrets Manager. */
  dbUser: 'SHOP_DB_USER',
  dbPassword: 'SHOP_DB_PASSWORD',
  /** Require TLS to the database ("true" on AWS). */
  dbTls: 'SHOP_DB_TLS',
  /** PEM bundle that verifies the database certificate (the RDS global bundle on AWS). */
  dbCaFile: 'SHOP_DB_CA_FILE',
  port: 'SHOP_PORT',
  version: 'SHOP_VERSION',
  /**
   * JSON of the config's `contacts` (phone, phoneHours?, paymentAlternatives, messengers, email; see
   * lib/contract/contacts.ts): texts either one string or `{ko, en}`.
   */
  contacts: 'SHOP_CONTACTS',
  /** ISO 4217 code of the catalogue's prices (the config's `currency`, default KRW). */
  currency: 'SHOP_CURRENCY',
  /**
   * JSON of lib/contract/payments.ts `ShopPayments`: providers in fallback order (with the name of
   * each one's secret), the manual ways, the breaker, the operator switch's parameter.
   */
  payments: 'SHOP_PAYMENTS',
  /**
   * JSON of lib/contract/notify.ts `ShopNotify`: channels in fallback order (NHN channels with the
   * name of their secret), deadline, lease, breaker, the operator switch's parameter and the metric
   * namespace. Unset (no `notifications` in the config): notices are written but nothing sends them.
   */
  notify: 'SHOP_NOTIFY',
  /**
   * Secrets Manager name (the local copy) of `{ key }`, the key that signs test requests
   * (lib/contract/test-signature.ts). Unset: every test header is refused.
   */
  testSigningSecretName: 'SHOP_TEST_SIGNING_SECRET_NAME',
} as const;

/**
 * Response header every shop response carries: the region of the shop that answered. `shopctl
 * drill`'s probe customer reads it to see when customers are served from another region (DNS
 * failover as customers see it, not as Route 53's health checks report it).
 */
export const REGION_HEADER = 'x-shop-region';

/** Response header every shop response carries: "read-write" or "read-only". */
export const MODE_HEADER = 'x-shop-mode';

/*
 * HTTP API every shop implements (the canaries walk it; `shopctl` verifies through `/healthz`):
 *
 * - `GET /` and `GET /products`: HTML with `PAGE_MARKER` and a link per product
 *   `<a href="/products/{id}" data-product-id="{id}">`.
 * - `GET /products/{id}`: HTML page (JSON `{id, name, priceCents, stock}` with `Accept: application/json`); 404 if unknown.
 * - `POST /cart` JSON `{productId, quantity, cartId?}` → 201 `{cartId, items: [{productId, quantity}]}`.
 * - `POST /checkout` JSON `{cartId}` (+ `IDEMPOTENCY_HEADER`) → 201 `{orderId, status: "placed"}` (with
 *   payments configured: `{orderId, status: "awaiting_payment", amount, payment}`, docs/payments.md); the same
 *   key again → 201 with the same `orderId` (header `x-idempotent-replay: true`); with header
 *   `SYNTHETIC_HEADER: 1` → 200 `{status: "synthetic-ok", orderId: null}` after doing the whole path in a
 *   rolled-back transaction. When COMMIT was sent but its answer lost → 503
 *   `{error: "outcome-unknown", cartId, idempotencyKey, check, alternatives}`: repeat with the same key.
 *   With `DRILL_HEADER: 1` the order is placed for real and recorded as a drill order.
 * - `GET /checkout-keys/{key}` → 200 JSON `{key, orderId, status}` for the drill order the key placed
 *   (writer first, then the reader); 404 `{error: "not-found"}` for an unknown key and for any
 *   customer's order, so the lookup tells nothing about real orders.
 * - Overloaded (too many requests waiting for the database) → 503 with `Retry-After` and
 *   `{error: "overloaded", retryAfterS}` (HTML: a short "you are in line" page); the mode is unchanged.
 * - In read-only mode, `POST /cart` and `POST /checkout` answer 503 with `MODE_HEADER: read-only` and a
 *   body (HTML, or JSON `{error: "read-only", alternatives: {phone, paymentAlternatives: string[],
 *   messengers: [{name, url}], email, phoneHours?}}` for JSON requests, in the request's language) that
 *   lists the other ways to order and pay; every HTML page shows a banner.
 * - HTML pages are Korean or English: `?lang=ko|en` (remembered in the `shop-lang` cookie), else
 *   Accept-Language; `<html lang>` says which. Prices are in the `SHOP_CURRENCY` minor unit.
 * - `GET /healthz`: JSON `{status, region, role, db, mode, version, marker?}`; 200 with `marker: HEALTH_MARKER`
 *   only when the instance can serve customers in its intended role, else 503 without the marker.
 */
