/** Server-side HTML rendering. Everything interpolated goes through `esc`. */
import { createHash } from 'node:crypto';
import { PAGE_MARKER } from '../../lib/contract/shop';
import type { Product } from './catalogue';
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

export function formatPrice(cents: number): string {
  return `$${(cents / 100).toFixed(2)}`;
}

const CSS = `body{font-family:system-ui,sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
header,main,footer{max-width:960px;margin:0 auto;padding:1rem}
header a{color:inherit;text-decoration:none;font-weight:700;font-size:1.3rem}
.banner{background:#fff4ce;border-bottom:2px solid #e0a800;padding:1rem}
.banner div{max-width:960px;margin:0 auto}
ul.products{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:1rem}
ul.products li,.card{background:#fff;border:1px solid #ddd;border-radius:8px;padding:1rem}
button{padding:.5rem 1rem;font-size:1rem}
footer{color:#666;font-size:.85rem}`;

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

/** The list of other ways to order and pay, shown in read-only mode. */
export function alternativesHtml(contacts: Contacts): string {
  const messengers = contacts.messengers.map((m) => {
    const url = safeUrl(m.url);
    return url
      ? `<li><a href="${esc(url)}" rel="noopener">${esc(m.name)}</a></li>`
      : `<li>${esc(m.name)}: ${esc(m.url)}</li>`;
  });
  return `<ul class="alternatives">
<li>Phone orders: <a href="tel:${esc(contacts.phone.replace(/[^+\d]/g, ''))}">${esc(contacts.phone)}</a></li>
<li>Other ways to pay: ${contacts.paymentAlternatives.map(esc).join(', ')}</li>
${messengers.length ? `<li>Messengers:<ul>${messengers.join('')}</ul></li>` : ''}
<li>E-mail: <a href="mailto:${esc(contacts.email)}">${esc(contacts.email)}</a></li>
</ul>`;
}

export const READ_ONLY_TEXT =
  'Online ordering is paused for a moment. You can still browse the catalogue and look up orders, and you can order and pay another way.';

function banner(contacts: Contacts): string {
  return `<div class="banner" role="status" data-shop-mode="read-only"><div><strong>${esc(READ_ONLY_TEXT)}</strong>
Call <a href="tel:${esc(contacts.phone.replace(/[^+\d]/g, ''))}">${esc(contacts.phone)}</a> or write to <a href="mailto:${esc(contacts.email)}">${esc(contacts.email)}</a>.</div></div>`;
}

export interface PageContext {
  mode: Mode;
  contacts: Contacts;
  region: string;
  version: string;
}

export function layout(ctx: PageContext, page: string, title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)} · Resilient Shop</title><style>${CSS}</style></head>
<body ${PAGE_MARKER}="${esc(page)}" data-shop-mode="${ctx.mode}">
${ctx.mode === 'read-only' ? banner(ctx.contacts) : ''}<header><a href="/">Resilient Shop</a></header>
<main>${body}</main>
<footer>Region ${esc(ctx.region)} · version ${esc(ctx.version)}</footer>
</body></html>`;
}

export function productListPage(ctx: PageContext, products: Product[]): string {
  const items = products
    .map(
      (p) =>
        `<li><a href="/products/${p.id}" data-product-id="${p.id}">${esc(p.name)}</a><br>${esc(formatPrice(p.priceCents))}${p.stock > 0 ? '' : ' · sold out'}</li>`,
    )
    .join('\n');
  return layout(ctx, 'products', 'Products', `<h1>Products</h1><ul class="products">\n${items}\n</ul>`);
}

export function productPage(ctx: PageContext, p: Product): string {
  const form =
    ctx.mode === 'read-write' && p.stock > 0
      ? `<form method="post" action="/cart"><input type="hidden" name="productId" value="${p.id}">
<label>Quantity <input type="number" name="quantity" value="1" min="1" max="99"></label> <button type="submit">Add to cart</button></form>`
      : ctx.mode === 'read-only'
        ? `<section class="card"><h2>How to order right now</h2>${alternativesHtml(ctx.contacts)}</section>`
        : '<p>Sold out.</p>';
  return layout(
    ctx,
    'product',
    p.name,
    `<article class="card" data-product-id="${p.id}"><h1>${esc(p.name)}</h1><p>${esc(p.description)}</p>
<p class="price">${esc(formatPrice(p.priceCents))}</p><p>${p.stock > 0 ? `${p.stock} in stock` : 'Sold out'}</p>${form}</article>
<p><a href="/products">All products</a></p>`,
  );
}

/**
 * Customer-facing texts of the fault paths (overload, unknown commit outcome), kept together so
 * they can be translated in one place.
 */
export const FAULT_TEXT = {
  inLineTitle: 'You are in line',
  inLine: 'We are very busy right now. Nothing was done yet: please try again in a few seconds.',
  tryAgain: 'Try again',
  outcomeUnknownTitle: 'We could not confirm your order',
  outcomeUnknown:
    'We lost the connection while confirming your order, so we do not know yet whether it was placed. Do not order again with a new cart: check it with the button below, which never orders twice.',
  outcomeCheckWithKey:
    'Repeat POST /checkout with the same idempotency-key header: it returns the order if it was placed, or places it once.',
  outcomeCheckWithoutKey:
    'Without an idempotency key the order cannot be matched to this request; contact us with the cart id.',
  checkOrder: 'Check my order',
} as const;

/** The short "you are in line" page (503 + Retry-After). */
export function inLinePage(ctx: PageContext): string {
  return layout(
    ctx,
    'in-line',
    FAULT_TEXT.inLineTitle,
    `<h1>${esc(FAULT_TEXT.inLineTitle)}</h1><p>${esc(FAULT_TEXT.inLine)}</p><p><a href="/products">${esc(FAULT_TEXT.tryAgain)}</a></p>`,
  );
}

/** COMMIT answer lost: says so, and offers a check that re-posts the same cart and key (never a second order). */
export function outcomeUnknownPage(ctx: PageContext, cartId: string, key: string | undefined): string {
  const form = key
    ? `<form method="post" action="/checkout"><input type="hidden" name="cartId" value="${esc(cartId)}"><input type="hidden" name="idempotencyKey" value="${esc(key)}"><button type="submit">${esc(FAULT_TEXT.checkOrder)}</button></form>`
    : `<p>${esc(FAULT_TEXT.outcomeCheckWithoutKey)} (${esc(cartId)})</p>`;
  return layout(
    ctx,
    'outcome-unknown',
    FAULT_TEXT.outcomeUnknownTitle,
    `<h1>${esc(FAULT_TEXT.outcomeUnknownTitle)}</h1><p>${esc(FAULT_TEXT.outcomeUnknown)}</p>${form}
<h2>Order or pay another way</h2>${alternativesHtml(ctx.contacts)}`,
  );
}

/** `idempotencyKey`: a fresh key per rendered form, so a double click or a re-post places one order. */
export function cartPage(
  ctx: PageContext,
  cartId: string,
  items: { productId: number; quantity: number; name?: string }[],
  idempotencyKey?: string,
): string {
  const rows = items
    .map((i) => `<li>${esc(i.name ?? `Product ${i.productId}`)} × ${i.quantity}</li>`)
    .join('');
  return layout(
    ctx,
    'cart',
    'Your cart',
    `<h1>Your cart</h1><ul>${rows}</ul>
<form method="post" action="/checkout"><input type="hidden" name="cartId" value="${esc(cartId)}">${idempotencyKey ? `<input type="hidden" name="idempotencyKey" value="${esc(idempotencyKey)}">` : ''}<button type="submit">Place order</button></form>
<p><a href="/products">Continue shopping</a></p>`,
  );
}

export function orderPlacedPage(ctx: PageContext, orderId: string): string {
  return layout(
    ctx,
    'order-placed',
    'Thank you',
    `<h1>Thank you for your order</h1><p>Your order number is <a href="/orders/${esc(orderId)}">${esc(orderId)}</a>.</p>`,
  );
}

export interface OrderView {
  id: string;
  status: string;
  totalCents: number;
  createdAt: string;
  items: { productId: number; name: string; quantity: number; priceCents: number }[];
}

export function orderPage(ctx: PageContext, o: OrderView): string {
  const rows = o.items
    .map((i) => `<li>${esc(i.name)} × ${i.quantity} · ${esc(formatPrice(i.priceCents * i.quantity))}</li>`)
    .join('');
  return layout(
    ctx,
    'order',
    'Order',
    `<h1>Order ${esc(o.id)}</h1><p>Status: ${esc(o.status)} · placed ${esc(o.createdAt)}</p><ul>${rows}</ul><p>Total ${esc(formatPrice(o.totalCents))}</p>`,
  );
}

export function readOnlyPage(ctx: PageContext): string {
  return layout(
    ctx,
    'read-only',
    'Ordering paused',
    `<h1>Online ordering is paused</h1><p>${esc(READ_ONLY_TEXT)} Nothing was charged and nothing was ordered.</p>
<h2>Order or pay another way</h2>${alternativesHtml(ctx.contacts)}<p><a href="/products">Back to the catalogue</a></p>`,
  );
}

export function messagePage(
  ctx: PageContext,
  title: string,
  message: string,
  withAlternatives = false,
): string {
  return layout(
    ctx,
    'message',
    title,
    `<h1>${esc(title)}</h1><p>${esc(message)}</p>${withAlternatives ? `<h2>Order or pay another way</h2>${alternativesHtml(ctx.contacts)}` : ''}<p><a href="/products">Back to the catalogue</a></p>`,
  );
}
