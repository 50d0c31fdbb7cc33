/**
 * The words of each notice in Korean and English. 알림톡 sends only pre-approved templates, so the
 * adapter sends the template code plus these variables; SMS and e-mail send the rendered text.
 */
import { formatPrice, formatTime, type Language } from '../i18n';
import type { NoticeDetail, NoticeKind } from './outbox';

/** A notice ready for a channel. */
export interface RenderedNotice {
  subject: string;
  body: string;
  /** Template variables for 알림톡 (`#{order}`, `#{amount}`, `#{due}`, `#{account}`). */
  variables: Record<string, string>;
}

type Vars = { order: string; amount: string; due: string; account: string };

const TEXTS: Record<Language, Record<NoticeKind, { subject: string; body: (v: Vars) => string }>> = {
  en: {
    'order-received': { subject: 'Order received', body: (v) => `We received your order ${v.order}.` },
    'payment-confirmed': {
      subject: 'Payment confirmed',
      body: (v) => `Your payment of ${v.amount} for order ${v.order} is confirmed.`,
    },
    'payment-confirming': {
      subject: 'Payment being confirmed',
      body: (v) =>
        `We are still confirming your payment for order ${v.order}. You will not be charged twice; we will write again.`,
    },
    'awaiting-transfer': {
      subject: 'Awaiting your bank transfer',
      body: (v) => `Please transfer ${v.amount} for order ${v.order} to ${v.account} by ${v.due}.`,
    },
    'payment-failed': {
      subject: 'Payment not completed',
      body: (v) => `The payment for order ${v.order} did not go through. Nothing was charged.`,
    },
    'order-cancelled': {
      subject: 'Order cancelled',
      body: (v) => `Order ${v.order} was cancelled; anything paid is refunded.`,
    },
    'payment-refunded': {
      subject: 'Duplicate payment refunded',
      body: (v) => `A second payment for order ${v.order} was refunded automatically.`,
    },
  },
  ko: {
    'order-received': { subject: '주문 접수', body: (v) => `주문 ${v.order}이(가) 접수되었습니다.` },
    'payment-confirmed': {
      subject: '결제 완료',
      body: (v) => `주문 ${v.order}의 결제 ${v.amount}이(가) 완료되었습니다.`,
    },
    'payment-confirming': {
      subject: '결제 확인 중',
      body: (v) =>
        `주문 ${v.order}의 결제를 확인하고 있습니다. 두 번 청구되지 않으며, 결과를 다시 알려 드립니다.`,
    },
    'awaiting-transfer': {
      subject: '입금 대기',
      body: (v) => `주문 ${v.order}: ${v.due}까지 ${v.account}(으)로 ${v.amount}을(를) 입금해 주세요.`,
    },
    'payment-failed': {
      subject: '결제 실패',
      body: (v) => `주문 ${v.order}의 결제가 완료되지 않았습니다. 청구된 금액은 없습니다.`,
    },
    'order-cancelled': {
      subject: '주문 취소',
      body: (v) => `주문 ${v.order}이(가) 취소되었습니다. 결제된 금액은 환불됩니다.`,
    },
    'payment-refunded': {
      subject: '중복 결제 환불',
      body: (v) => `주문 ${v.order}의 중복 결제가 자동으로 환불되었습니다.`,
    },
  },
};

/** Renders a notice in `lang` (order numbers shortened to their first 8 characters, as on the pages). */
export function renderNotice(
  kind: NoticeKind,
  orderId: string,
  detail: NoticeDetail,
  lang: Language,
): RenderedNotice {
  const v: Vars = {
    order: orderId.slice(0, 8),
    amount: detail.amount === undefined ? '' : formatPrice(detail.amount, 'KRW', lang),
    due: detail.dueAt ? formatTime(detail.dueAt, lang) : '',
    account: [pick(detail.bank, lang), detail.account, pick(detail.holder, lang)].filter(Boolean).join(' '),
  };
  const t = TEXTS[lang][kind];
  return { subject: `[Resilient Shop] ${t.subject}`, body: t.body(v), variables: { ...v } };
}

function pick(t: string | Record<Language, string> | undefined, lang: Language): string | undefined {
  return typeof t === 'string' || t === undefined ? t : t[lang];
}
