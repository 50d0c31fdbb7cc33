/** Server-side HTML rendering. Everything interpolated goes through `esc`. */
import { createHash } from 'node:crypto';
import { PAGE_MARKER } from '../../lib/contract/shop';
import { contactsIn } from '../../lib/contract/contacts';
import { productDescription, productName, type Product } from './catalogue';
import { orderCode } from './order-code';
import { formatPrice, formatTime, LANG_PARAM, MESSAGES, translate, type Language } from './i18n';
import type { Contacts, Mode } from './types';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const CSS = `body{font-family:system-ui,sans-serif;margin:0;color:#1d1d1f;background:#fafafa;overflow-wrap:anywhere}
:lang(ko){word-break:keep-all}
table.lines{width:100%;border-collapse:collapse}
table.lines td,table.lines th{padding:.4rem 0;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
table.lines .num{text-align:right;white-space:nowrap;padding-left:.75rem}
table.lines tfoot th,table.lines tfoot td{border-bottom:0;font-weight:700}
.order-code{font-family:ui-monospace,monospace;letter-spacing:.05em}
header,main,footer{max-width:960px;margin:0 auto;padding:1rem}
header a{color:inherit;text-decoration:none;font-weight:700;font-size:1.3rem}
.banner{background:#fff4ce;border-bottom:2px solid #e0a800;padding:1rem}
.banner div{max-width:960px;margin:0 auto}
ul.products{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:1rem}
ul.products li,.card{background:#fff;border:1px solid #ddd;border-radius:8px;padding:1rem}
button{padding:.5rem 1rem;font-size:1rem}
footer{color:#666;font-size:.85rem}
header{display:flex;justify-content:space-between;align-items:center;gap:1rem}
header nav a{font-size:1rem;font-weight:400;text-decoration:underline;margin-left:.75rem}
fieldset.notify{border:1px solid #ddd;border-radius:8px;margin:1rem 0;padding:.5rem 1rem}
fieldset.notify label{display:block;margin:.4rem 0}
fieldset.notify input[type=tel],fieldset.notify input[type=email]{display:block;width:100%;max-width:20rem;box-sizing:border-box;padding:.4rem;font-size:1rem}
fieldset.notify .consent{font-size:.85rem;color:#444}
.form-error{color:#a00;font-weight:700}`;

/** Security headers for every HTML response; the inline stylesheet is allowed by its hash. */
export const HTML_SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': `default-src 'none'; style-src 'sha256-${createHash('sha256').update(CSS).digest('base64')}'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
  'cross-origin-opener-policy': 'same-origin',
  'cache-control': 'no-cache',
};

function safeUrl(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.toString() : undefined;
  } catch {
    return undefined;
  }
}

const tel = (phone: string) => phone.replace(/[^+\d]/g, '');

/** The list of other ways to order and pay, shown in read-only mode, in the page's language. */
export function alternativesHtml(contacts: Contacts, lang: Language = 'en'): string {
  const t = MESSAGES[lang];
  const local = contactsIn(contacts, lang);
  const messengers = local.messengers.map((m) => {
    const url = safeUrl(m.url);
    return url
      ? `<li><a href="${esc(url)}" rel="noopener">${esc(m.name)}</a></li>`
      : `<li>${esc(m.name)}: ${esc(m.url)}</li>`;
  });
  const hours = local.phoneHours ? ` (${esc(local.phoneHours)})` : '';
  return `<ul class="alternatives">
<li>${esc(t.phoneOrders)}: <a href="tel:${esc(tel(local.phone))}">${esc(local.phone)}</a>${hours}</li>
<li>${esc(t.otherWaysToPay)}: ${local.paymentAlternatives.map(esc).join(', ')}</li>
${messengers.length ? `<li>${esc(t.messengers)}:<ul>${messengers.join('')}</ul></li>` : ''}
<li>${esc(t.email)}: <a href="mailto:${esc(local.email)}">${esc(local.email)}</a></li>
</ul>`;
}

/** The read-only explanation in English (JSON answers to API clients carry it). */
export const READ_ONLY_TEXT = MESSAGES.en.readOnly;

function banner(ctx: PageContext): string {
  const t = MESSAGES[ctx.lang];
  const { phone, email } = ctx.contacts;
  const phoneLink = `<a href="tel:${esc(tel(phone))}">${esc(phone)}</a>`;
  const emailLink = `<a href="mailto:${esc(email)}">${esc(email)}</a>`;
  return `<div class="banner" role="status" data-shop-mode="read-only"><div><strong>${esc(t.readOnly)}</strong>
${t.callOrWrite(phoneLink, emailLink)}</div></div>`;
}

export interface PageContext {
  mode: Mode;
  contacts: Contacts;
  region: string;
  version: string;
  /** Language of the page. */
  lang: Language;
  /** ISO 4217 code of the prices. */
  currency: string;
  /** Path the language switch links to (the page itself for GET, else the catalogue). */
  path: string;
}

/** A path the switch link may point at: one leading slash (never "//host" or "/\\host", which browsers read as another site). */
const SAME_SITE_PATH_RE = /^\/(?![/\\])[A-Za-z0-9\-._~/%]*$/;

/** The link to the same page in the other language, labelled in that language. */
function languageSwitch(ctx: PageContext): string {
  const other: Language = ctx.lang === 'ko' ? 'en' : 'ko';
  const target = SAME_SITE_PATH_RE.test(ctx.path) ? ctx.path : '/products';
  return `<a class="lang-switch" href="${esc(target)}?${LANG_PARAM}=${other}" lang="${other}" hreflang="${other}">${esc(MESSAGES[other].languageName)}</a>`;
}

export function layout(ctx: PageContext, page: string, title: string, body: string): string {
  const t = MESSAGES[ctx.lang];
  return `<!doctype html>
<html lang="${ctx.lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)} · ${esc(t.shopName)}</title><style>${CSS}</style></head>
<body ${PAGE_MARKER}="${esc(page)}" data-shop-mode="${ctx.mode}">
${ctx.mode === 'read-only' ? banner(ctx) : ''}<header><a href="/">${esc(t.shopName)}</a> <nav><a class="cart-link" href="/cart">${esc(t.yourCart)}</a> ${languageSwitch(ctx)}</nav></header>
<main>${body}</main>
<footer>${esc(t.shopName)}</footer>
</body></html>`;
}

const price = (ctx: PageContext, minorUnits: number) => esc(formatPrice(minorUnits, ctx.currency, ctx.lang));

export function productListPage(ctx: PageContext, products: Product[]): string {
  const t = MESSAGES[ctx.lang];
  const items = products
    .map(
      (p) =>
        `<li><a href="/products/${p.id}" data-product-id="${p.id}">${esc(productName(p, ctx.lang))}</a><br><span class="price">${price(ctx, p.priceCents)}</span>${p.stock > 0 ? '' : ` · ${esc(t.soldOut)}`}</li>`,
    )
    .join('\n');
  return layout(
    ctx,
    'products',
    t.products,
    `<h1>${esc(t.products)}</h1><ul class="products">\n${items}\n</ul>`,
  );
}

export function productPage(ctx: PageContext, p: Product): string {
  const t = MESSAGES[ctx.lang];
  const form =
    ctx.mode === 'read-write' && p.stock > 0
      ? `<form method="post" action="/cart"><input type="hidden" name="productId" value="${p.id}">
<label>${esc(t.quantity)} <input type="number" name="quantity" value="1" min="1" max="99"></label> <button type="submit">${esc(t.addToCart)}</button></form>`
      : ctx.mode === 'read-only'
        ? `<section class="card"><h2>${esc(t.howToOrderNow)}</h2>${alternativesHtml(ctx.contacts, ctx.lang)}</section>`
        : `<p>${esc(t.soldOut)}.</p>`;
  return layout(
    ctx,
    'product',
    productName(p, ctx.lang),
    `<article class="card" data-product-id="${p.id}"><h1>${esc(productName(p, ctx.lang))}</h1><p>${esc(productDescription(p, ctx.lang))}</p>
<p class="price">${price(ctx, p.priceCents)}</p><p>${esc(p.stock > 0 ? t.inStock(p.stock) : t.soldOut)}</p>${form}</article>
<p><a href="/products">${esc(t.allProducts)}</a></p>`,
  );
}

/**
 * Customer-facing texts of the fault paths (overload, unknown commit outcome), kept together so
 * they can be translated in one place.
 */
/** The overload and lost-commit texts in English (JSON answers carry the customer's language: see routes). */
export const FAULT_TEXT = MESSAGES.en.fault;

/** The short "you are in line" page (503 + Retry-After). */
export function inLinePage(ctx: PageContext): string {
  return layout(
    ctx,
    'in-line',
    MESSAGES[ctx.lang].fault.inLineTitle,
    `<h1>${esc(MESSAGES[ctx.lang].fault.inLineTitle)}</h1><p>${esc(MESSAGES[ctx.lang].fault.inLine)}</p><p><a href="/cart">${esc(MESSAGES[ctx.lang].fault.tryAgain)}</a></p>`,
  );
}

/** COMMIT answer lost: says so, and offers a check that re-posts the same cart and key (never a second order). */
export function outcomeUnknownPage(ctx: PageContext, cartId: string, key: string | undefined): string {
  const t = MESSAGES[ctx.lang];
  const FAULT_TEXT = t.fault;
  const form = key
    ? `<form method="post" action="/checkout"><input type="hidden" name="cartId" value="${esc(cartId)}"><input type="hidden" name="idempotencyKey" value="${esc(key)}"><button type="submit">${esc(FAULT_TEXT.checkOrder)}</button></form>`
    : `<p>${esc(FAULT_TEXT.outcomeCheckWithoutKey)} (${esc(cartId)})</p>`;
  return layout(
    ctx,
    'outcome-unknown',
    FAULT_TEXT.outcomeUnknownTitle,
    `<h1>${esc(FAULT_TEXT.outcomeUnknownTitle)}</h1><p>${esc(FAULT_TEXT.outcomeUnknown)}</p>${form}
<h2>${esc(t.orderAnotherWay)}</h2>${alternativesHtml(ctx.contacts, ctx.lang)}`,
  );
}

/** One line of a cart or an order: product, quantity, unit price (undefined when not known). */
export interface LineView {
  productId: number;
  name?: string;
  quantity: number;
  priceCents?: number;
}

/** A table of lines with the line totals and the total (when every price is known). */
function linesTable(ctx: PageContext, lines: LineView[], totalCents?: number): string {
  const t = MESSAGES[ctx.lang];
  const rows = lines
    .map(
      (l) =>
        `<tr data-product-id="${l.productId}"><td>${esc(l.name ?? t.product(l.productId))}<br><small>${l.priceCents === undefined ? '' : `${price(ctx, l.priceCents)} × `}${l.quantity}</small></td><td class="num">${l.priceCents === undefined ? '' : price(ctx, l.priceCents * l.quantity)}</td></tr>`,
    )
    .join('');
  const total =
    totalCents ??
    (lines.every((l) => l.priceCents !== undefined)
      ? lines.reduce((sum, l) => sum + l.priceCents! * l.quantity, 0)
      : undefined);
  const foot =
    total === undefined
      ? ''
      : `<tfoot><tr><th>${esc(t.total)}</th><td class="num total">${price(ctx, total)}</td></tr></tfoot>`;
  return `<table class="lines"><thead><tr><th>${esc(t.item)}</th><th class="num">${esc(t.amount)}</th></tr></thead><tbody>${rows}</tbody>${foot}</table>`;
}

/** What the customer typed in the checkout form, and why it was refused (already in the page's language). */
export interface CheckoutFormState {
  error?: string;
  phone?: string;
  email?: string;
  consent?: boolean;
}

/** The optional contact fields and the consent text (ko/en) of the checkout form. */
function notifyFields(ctx: PageContext, s: CheckoutFormState): string {
  const t = MESSAGES[ctx.lang];
  return `<fieldset class="notify"><legend>${esc(t.notifyHeading)}</legend>
<label>${esc(t.mobileNumber)} <input type="tel" name="phone" autocomplete="tel" inputmode="tel" maxlength="20" placeholder="${esc(t.mobilePlaceholder)}" value="${esc(s.phone ?? '')}"></label>
<label>${esc(t.emailAddress)} <input type="email" name="email" autocomplete="email" maxlength="254" value="${esc(s.email ?? '')}"></label>
<label class="consent"><input type="checkbox" name="consent" value="on"${s.consent ? ' checked' : ''}> ${esc(t.notifyConsent)}</label></fieldset>`;
}

/**
 * `idempotencyKey`: a fresh key per rendered form, so a double click or a re-post places one order.
 * `filled`: the contact fields as the customer filled them and the error to show (400 answer).
 */
export function cartPage(
  ctx: PageContext,
  cartId: string,
  items: LineView[],
  idempotencyKey?: string,
  filled: CheckoutFormState = {},
): string {
  const t = MESSAGES[ctx.lang];
  const more = `<p><a href="/products">${esc(t.continueShopping)}</a></p>`;
  if (items.length === 0)
    return layout(ctx, 'cart', t.yourCart, `<h1>${esc(t.yourCart)}</h1><p>${esc(t.cartEmpty)}</p>${more}`);
  const form =
    ctx.mode === 'read-write'
      ? `<form method="post" action="/checkout">${filled.error ? `<p class="form-error" role="alert">${esc(filled.error)}</p>` : ''}<input type="hidden" name="cartId" value="${esc(cartId)}">${idempotencyKey ? `<input type="hidden" name="idempotencyKey" value="${esc(idempotencyKey)}">` : ''}${notifyFields(ctx, filled)}<button type="submit">${esc(t.placeOrder)}</button></form>`
      : '';
  return layout(
    ctx,
    'cart',
    t.yourCart,
    `<h1>${esc(t.yourCart)}</h1>${linesTable(ctx, items)}${form}\n${more}`,
  );
}

/** The orders this browser placed (cookie), by their readable number. */
export function ordersPage(ctx: PageContext, orderIds: string[]): string {
  const t = MESSAGES[ctx.lang];
  const list = orderIds.length
    ? `<p>${esc(t.ordersInThisBrowser)}</p><ul>${orderIds.map((id) => `<li><a class="order-code" href="/orders/${esc(id)}">${esc(orderCode(id))}</a></li>`).join('')}</ul>`
    : `<p>${esc(t.noOrdersHere)}</p>`;
  return layout(
    ctx,
    'orders',
    t.yourOrders,
    `<h1>${esc(t.yourOrders)}</h1>${list}<h2>${esc(t.orderAnotherWay)}</h2>${alternativesHtml(ctx.contacts, ctx.lang)}`,
  );
}

export function orderPlacedPage(ctx: PageContext, orderId: string): string {
  const t = MESSAGES[ctx.lang];
  return layout(
    ctx,
    'order-placed',
    t.thankYou,
    `<h1>${esc(t.thankYouHeading)}</h1><p>${esc(t.orderNumberIs)} <a class="order-code" href="/orders/${esc(orderId)}">${esc(orderCode(orderId))}</a></p>`,
  );
}

export interface OrderView {
  id: string;
  status: string;
  totalCents: number;
  createdAt: string;
  items: { productId: number; name: string; quantity: number; priceCents: number }[];
}

/** `paymentHtml`: the payment line (shop/src/payments/pages.ts), already escaped. */
export function orderPage(ctx: PageContext, o: OrderView, paymentHtml = ''): string {
  const t = MESSAGES[ctx.lang];
  const status = t.orderStatus[o.status] ?? o.status;
  return layout(
    ctx,
    'order',
    t.order,
    `<h1>${esc(t.orderHeading)} <span class="order-code">${esc(orderCode(o.id))}</span></h1><p>${esc(t.status)}: ${esc(status)} · ${esc(t.placedAt)} <time datetime="${esc(o.createdAt)}">${esc(formatTime(o.createdAt, ctx.lang))}</time></p>${paymentHtml}${linesTable(ctx, o.items, o.totalCents)}`,
  );
}

export function readOnlyPage(ctx: PageContext): string {
  const t = MESSAGES[ctx.lang];
  return layout(
    ctx,
    'read-only',
    t.orderingPaused,
    `<h1>${esc(t.orderingPausedHeading)}</h1><p class="safe">${esc(t.nothingCharged)} ${t.stillPossible('<a href="/products">', '<a href="/orders">', '</a>')}</p>
<h2>${esc(t.orderAnotherWay)}</h2>${alternativesHtml(ctx.contacts, ctx.lang)}
<p class="when">${t.cartKept('<a href="/cart">', '</a>')}</p>`,
  );
}

/** A page with a title and a message the handlers wrote in English; both are shown in the page's language. */
export function messagePage(
  ctx: PageContext,
  title: string,
  message: string,
  withAlternatives = false,
): string {
  const t = MESSAGES[ctx.lang];
  const localTitle = translate(ctx.lang, title);
  return layout(
    ctx,
    'message',
    localTitle,
    `<h1>${esc(localTitle)}</h1><p>${esc(translate(ctx.lang, message))}</p>${withAlternatives ? `<h2>${esc(t.orderAnotherWay)}</h2>${alternativesHtml(ctx.contacts, ctx.lang)}` : ''}<p><a href="/products">${esc(t.backToCatalogue)}</a></p>`,
  );
}
