/**
 * Customer texts of the payment pages, in Korean and English. The messages the payment handlers
 * raise in English are added to the shop's translation table (shop/src/i18n.ts `routes`) here, so
 * the shop's error page shows them in the customer's language.
 */
import { MESSAGES, type Language } from '../i18n';
import type { PaymentMethod } from './types';
import type { PaymentState } from './service';

const en = {
  choose: 'Choose how to pay',
  amountDue: 'Amount due',
  method: {
    card: 'Card',
    'easy-pay': 'Easy pay (KakaoPay, Toss Pay …)',
    'bank-transfer': 'Bank transfer',
    phone: 'Order and pay by phone',
  } as Record<PaymentMethod, string>,
  pay: 'Pay',
  unavailable: 'Not available right now: our payment provider has a problem. Please choose another way.',
  allOnlineDown:
    'Online payment is not available right now. You can still pay by bank transfer or by phone: your order is kept for you.',
  continueToWindow: 'Continue to the payment window',
  windowMissing:
    'The payment window could not be loaded. Please try again in a moment, or choose another way to pay.',
  otherWays: 'Choose another way to pay',
  transferTitle: 'Please transfer the amount',
  transferTo: (bank: string, account: string, holder: string) => `${bank} ${account} (${holder})`,
  transferBy: 'We keep your order until',
  transferReference: 'Write this order number as the transfer reference:',
  phoneTitle: 'Please call us to pay',
  phoneSay: 'Call us and quote this order number:',
  payment: {
    'awaiting-payment': 'waiting for payment',
    confirming: 'we are confirming your payment',
    paid: 'paid',
    failed: 'payment not completed',
    'awaiting-transfer': 'waiting for your bank transfer',
    'awaiting-phone': 'waiting for your call',
    expired: 'expired (not paid in time)',
    none: '',
  } as Record<PaymentState, string>,
  confirmingNote:
    'We are confirming your payment with the provider. You will not be charged twice: check this page again in a minute.',
  paidThanks: 'Thank you: your payment is confirmed.',
  checkTitle: 'Your payments',
  checkNone: 'This browser has no recent payment to check.',
  tryAgain: 'Choose a way to pay',
};

const ko: typeof en = {
  choose: '결제 방법을 선택해 주세요',
  amountDue: '결제 금액',
  method: {
    card: '신용·체크카드',
    'easy-pay': '간편결제 (카카오페이, 토스페이 등)',
    'bank-transfer': '계좌이체',
    phone: '전화 주문·결제',
  },
  pay: '결제하기',
  unavailable: '결제 대행사 장애로 지금은 이용할 수 없습니다. 다른 결제 방법을 선택해 주세요.',
  allOnlineDown:
    '지금은 온라인 결제를 이용할 수 없습니다. 계좌이체나 전화로 결제하실 수 있으며, 주문은 그대로 보관됩니다.',
  continueToWindow: '결제창으로 이동',
  windowMissing: '결제창을 불러오지 못했습니다. 잠시 후 다시 시도하시거나 다른 결제 방법을 선택해 주세요.',
  otherWays: '다른 결제 방법 선택하기',
  transferTitle: '아래 계좌로 입금해 주세요',
  transferTo: (bank, account, holder) => `${bank} ${account} (예금주 ${holder})`,
  transferBy: '입금 기한',
  transferReference: '입금자명 또는 메모에 이 주문 번호를 적어 주세요:',
  phoneTitle: '전화로 결제해 주세요',
  phoneSay: '전화하셔서 이 주문 번호를 알려 주세요:',
  payment: {
    'awaiting-payment': '결제 대기',
    confirming: '결제 확인 중',
    paid: '결제 완료',
    failed: '결제 미완료',
    'awaiting-transfer': '입금 대기',
    'awaiting-phone': '전화 결제 대기',
    expired: '기한 만료(미결제)',
    none: '',
  },
  confirmingNote:
    '결제 대행사와 결제를 확인하고 있습니다. 두 번 결제되지 않으니, 잠시 후 이 페이지를 다시 확인해 주세요.',
  paidThanks: '결제가 확인되었습니다. 감사합니다.',
  checkTitle: '내 결제 확인',
  checkNone: '이 브라우저에서 확인할 최근 결제가 없습니다.',
  tryAgain: '결제 방법 선택하기',
};

/** The payment texts per language. */
export const PAYMENT_TEXTS: Record<Language, typeof en> = { ko, en };

/** English messages of the payment handlers and their Korean text (see module comment). */
export const PAYMENT_ROUTE_TEXTS_KO: Record<string, string> = {
  'Choose a payment method we offer.': '제공하는 결제 방법 중에서 선택해 주세요.',
  'This payment method is not available right now. Please choose another way to pay.':
    '지금은 이 결제 방법을 이용할 수 없습니다. 다른 결제 방법을 선택해 주세요.',
  'This order is already paid.': '이미 결제된 주문입니다.',
  'This order cannot be paid any more.': '더 이상 결제할 수 없는 주문입니다.',
  'We are still confirming an earlier payment for this order. Check the order in a minute: you will not be charged twice.':
    '이 주문의 이전 결제를 아직 확인하고 있습니다. 잠시 후 주문을 확인해 주세요. 두 번 결제되지 않습니다.',
  'There is no such payment.': '없는 결제입니다.',
  'This payment was not completed. Please start the payment again.':
    '결제가 완료되지 않았습니다. 다시 결제해 주세요.',
  'This order is not waiting for this payment. Nothing was charged by this return.':
    '이 주문은 이 결제를 기다리고 있지 않습니다. 이 요청으로 결제된 금액은 없습니다.',
  'The amount returned by the payment window does not match the order. Nothing was charged.':
    '결제창에서 돌아온 금액이 주문 금액과 다릅니다. 결제되지 않았습니다.',
  'The return from the payment window names another order. Nothing was charged.':
    '결제창에서 돌아온 주문 번호가 다릅니다. 결제되지 않았습니다.',
  'The return from the payment window has no payment key. Nothing was charged.':
    '결제창에서 돌아온 결제 키가 없습니다. 결제되지 않았습니다.',
  'The return from the payment window has no payment token. Nothing was charged.':
    '결제창에서 돌아온 결제 토큰이 없습니다. 결제되지 않았습니다.',
  'This payment was never prepared with the provider. Nothing was charged.':
    '결제 대행사에 준비되지 않은 결제입니다. 결제되지 않았습니다.',
  'This payment key was already used for another payment. Nothing was charged.':
    '이미 다른 결제에 사용된 결제 키입니다. 결제되지 않았습니다.',
  'Online payments are not enabled in this shop.': '이 상점은 온라인 결제를 사용하지 않습니다.',
  'A drill order pays only through a provider the game day has faulted; nothing was sent to any provider.':
    '훈련 주문은 장애 훈련 중인 결제 대행사로만 결제합니다. 어느 대행사에도 요청하지 않았습니다.',
  "The game day's fault failed this drill payment at the provider; nothing was sent to it.":
    '장애 훈련이 이 훈련 결제를 결제 대행사 단계에서 실패시켰습니다. 대행사에는 요청하지 않았습니다.',
  'A drill payment is confirmed only while the game day faults its provider. Nothing was charged.':
    '훈련 결제는 장애 훈련 중에만 승인을 요청합니다. 결제되지 않았습니다.',
  'Your payment is recorded with your order.': '결제가 주문에 기록되었습니다.',
  'We lost the record of this order in a failover. Your payment was refunded in full; please order again.':
    '장애 전환 중에 이 주문의 기록이 사라졌습니다. 결제 금액은 전액 환불되었습니다. 다시 주문해 주세요.',
  'We lost the record of this order in a failover before it was paid. Nothing was charged; please order again.':
    '장애 전환 중에 결제 전 이 주문의 기록이 사라졌습니다. 결제된 금액은 없습니다. 다시 주문해 주세요.',
  'We cannot check this payment with the provider right now. Nothing more will be charged; please check again in a few minutes.':
    '지금은 결제 대행사에서 이 결제를 확인할 수 없습니다. 더 결제되는 금액은 없으니, 몇 분 뒤 다시 확인해 주세요.',
};

Object.assign(MESSAGES.ko.routes, PAYMENT_ROUTE_TEXTS_KO);
for (const lang of ['ko', 'en'] as const)
  for (const [status, text] of Object.entries({
    awaiting_payment: PAYMENT_TEXTS[lang].payment['awaiting-payment'],
    paid: PAYMENT_TEXTS[lang].payment.paid,
    awaiting_transfer: PAYMENT_TEXTS[lang].payment['awaiting-transfer'],
    awaiting_phone: PAYMENT_TEXTS[lang].payment['awaiting-phone'],
    expired: PAYMENT_TEXTS[lang].payment.expired,
  }))
    MESSAGES[lang].orderStatus[status] ??= text;
