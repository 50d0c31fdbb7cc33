/** HTML of the payment pages (choice, hand-over to the window, bank transfer, phone, confirming). */
import { textIn } from '../../../lib/contract/contacts';
import { esc, layout, type PageContext } from '../html';
import { formatPrice, formatTime, translate } from '../i18n';
import type { PaymentsSettings } from './config';
import {
  LOST_PAYMENT_MESSAGES,
  type LostPayment,
  type MethodChoice,
  type PaymentState,
  type StartResult,
} from './service';
import { PAYMENT_TEXTS } from './texts';

const price = (ctx: PageContext, amount: number) => esc(formatPrice(amount, ctx.currency, ctx.lang));

/**
 * The choice of payment method for an order: available online methods first, then the manual ways,
 * then the online methods that are down (shown, not offered, with the reason).
 */
export function choicePage(
  ctx: PageContext,
  orderId: string,
  amount: number,
  choices: MethodChoice[],
): string {
  const t = PAYMENT_TEXTS[ctx.lang];
  const onlineDown = choices.filter((c) => c.online).every((c) => !c.available);
  const items = choices
    .map((c) =>
      c.available
        ? `<li data-payment-method="${esc(c.method)}" data-available="true"><form method="post" action="/orders/${esc(orderId)}/pay"><input type="hidden" name="method" value="${esc(c.method)}"><button type="submit">${esc(t.method[c.method])}</button></form></li>`
        : `<li data-payment-method="${esc(c.method)}" data-available="false"><button type="button" disabled>${esc(t.method[c.method])}</button> <small>${esc(t.unavailable)}</small></li>`,
    )
    .join('\n');
  return layout(
    ctx,
    'payment-choice',
    t.choose,
    `<h1>${esc(t.choose)}</h1><p>${esc(t.amountDue)}: <span class="price">${price(ctx, amount)}</span></p>
${onlineDown ? `<p class="card" role="status" data-payments="all-online-down">${esc(t.allOnlineDown)}</p>` : ''}<ul class="payment-methods">
${items}
</ul>`,
  );
}

/** Hands the customer to the provider's window (a link, so the page's form-action policy stays 'self'). */
export function windowPage(ctx: PageContext, url: string): string {
  const t = PAYMENT_TEXTS[ctx.lang];
  return layout(
    ctx,
    'payment-window',
    t.continueToWindow,
    `<h1>${esc(t.continueToWindow)}</h1><p><a href="${esc(url)}" data-payment-window>${esc(t.continueToWindow)}</a></p>`,
  );
}

/** The instructions of a manual way. */
export function manualPage(ctx: PageContext, result: StartResult, settings: PaymentsSettings): string {
  const t = PAYMENT_TEXTS[ctx.lang];
  if (result.kind === 'redirect') return windowPage(ctx, result.redirectUrl);
  const due = `<time datetime="${esc(result.dueAt)}">${esc(formatTime(result.dueAt, ctx.lang))}</time>`;
  const orderLink = `<a href="/orders/${esc(result.orderId)}">${esc(result.orderId)}</a>`;
  if (result.kind === 'bank-transfer') {
    const b = settings.manual.bankTransfer!;
    return layout(
      ctx,
      'payment-bank-transfer',
      t.transferTitle,
      `<h1>${esc(t.transferTitle)}</h1><p class="card">${esc(t.transferTo(textIn(b.bank, ctx.lang), b.account, textIn(b.holder, ctx.lang)))}<br>${esc(t.amountDue)}: <span class="price">${price(ctx, result.amount)}</span></p>
<p>${esc(t.transferReference)} ${orderLink}</p><p>${esc(t.transferBy)} ${due}</p>`,
    );
  }
  return layout(
    ctx,
    'payment-phone',
    t.phoneTitle,
    `<h1>${esc(t.phoneTitle)}</h1><p class="card"><a href="tel:${esc(ctx.contacts.phone.replace(/[^+\d]/g, ''))}">${esc(ctx.contacts.phone)}</a><br>${esc(t.amountDue)}: <span class="price">${price(ctx, result.amount)}</span></p>
<p>${esc(t.phoneSay)} ${orderLink}</p><p>${esc(t.transferBy)} ${due}</p>`,
  );
}

/** The line the order page shows about its payment. */
export function paymentLine(ctx: PageContext, orderId: string, state: PaymentState): string {
  const t = PAYMENT_TEXTS[ctx.lang];
  if (state === 'none') return '';
  const note =
    state === 'confirming'
      ? ` <span role="status">${esc(t.confirmingNote)}</span>`
      : state === 'paid'
        ? ` ${esc(t.paidThanks)}`
        : state === 'awaiting-payment' || state === 'failed'
          ? ` <a href="/orders/${esc(orderId)}/pay">${esc(t.tryAgain)}</a>`
          : '';
  return `<p data-payment="${esc(state)}">${esc(t.payment[state])}.${note}</p>`;
}

/** "Check my payment": each payment this browser's recovery keys name, known here or found again. */
export function checkPage(
  ctx: PageContext,
  found: ({ attemptId: string; orderId: string; payment: PaymentState } | LostPayment)[],
): string {
  const t = PAYMENT_TEXTS[ctx.lang];
  const items = found.map((f) =>
    'outcome' in f
      ? `<li data-attempt="${esc(f.attemptId)}" data-lost="${esc(f.outcome)}">${esc(translate(ctx.lang, LOST_PAYMENT_MESSAGES[f.outcome]))}</li>`
      : `<li data-attempt="${esc(f.attemptId)}"><a href="/orders/${esc(f.orderId)}">${esc(f.orderId.slice(0, 8))}</a>: ${esc(t.payment[f.payment] ?? f.payment)}</li>`,
  );
  return layout(
    ctx,
    'payment-check',
    t.checkTitle,
    `<h1>${esc(t.checkTitle)}</h1>${items.length ? `<ul class="payment-check">${items.join('\n')}</ul>` : `<p>${esc(t.checkNone)}</p>`}`,
  );
}
