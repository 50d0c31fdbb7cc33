import { textIn } from '../../lib/contract/contacts';
import type { Promises } from '../../lib/contract/status';
import type { ShopConfig } from '../../lib/config/load';
import { ONLINE_METHODS, PAYMENT_METHODS, SwitchEntry } from '../../lib/contract/payments';
import { UsageError } from '../aws/errors';
import { remainingWays } from './switch';
import type { PaymentsReport } from './status';

/** Method names as the shop's payment page words them (shop/src/payments/texts.ts). */
export const METHOD_LABELS: Record<string, { ko: string; en: string }> = {
  card: { ko: '신용·체크카드', en: 'card' },
  'easy-pay': { ko: '간편결제(카카오페이, 토스페이 등)', en: 'easy pay (KakaoPay, Toss Pay …)' },
  'bank-transfer': { ko: '계좌이체', en: 'bank transfer' },
  phone: { ko: '전화 주문·결제', en: 'order and pay by phone' },
};

/** Parses `--method card,easy-pay` (online methods only: a manual way has no provider to fail). */
export function parseIncidentMethods(raw: readonly string[]): string[] {
  const methods = [
    ...new Set(
      raw
        .flatMap((m) => m.split(','))
        .map((m) => m.trim())
        .filter(Boolean),
    ),
  ];
  const bad = methods.filter((m) => !(ONLINE_METHODS as readonly string[]).includes(m));
  if (methods.length === 0 || bad.length > 0) {
    throw new UsageError(
      `--method ${JSON.stringify(raw.join(','))}: ${bad.length ? `${bad.join(', ')} is not an online method` : 'name at least one'}. Fix: one or more of ${ONLINE_METHODS.join(', ')}, comma-separated (${PAYMENT_METHODS.filter((m) => !(ONLINE_METHODS as readonly string[]).includes(m)).join(', ')} take no provider)`,
    );
  }
  return methods;
}

/** The notice of a payment incident, and why its promises are what they are. */
export interface PaymentIncidentNotice {
  readonly ko: string;
  readonly en: string;
  /** `{ notChargedTwice: false }` while unknown outcomes remain (or cannot be counted). */
  readonly promises?: Promises;
  /** One line for the operator on the not-charged-twice promise. */
  readonly promiseNote: string;
}

/**
 * Words the notice: which methods are down, the ways that remain (the other online methods under the
 * current switch, bank transfer with its account, the phone), and the not-charged-twice promise only
 * when no payment has an unknown outcome. While one does, or while nobody can count them
 * (`unresolvedUnknowns` null), the page withholds the promise: an unknown outcome may be a charge the
 * shop has not recorded yet.
 */
export function paymentIncidentNotice(
  config: ShopConfig,
  methodsDown: readonly string[],
  report: Pick<PaymentsReport, 'disabled' | 'unresolvedUnknowns'>,
): PaymentIncidentNotice {
  const off: SwitchEntry[] = [...report.disabled, ...methodsDown.map((m) => `method:${m}` as const)];
  const left = remainingWays(config, off);
  const bank = config.payments.manual.bankTransfer;
  const manualText = (lang: 'ko' | 'en') =>
    left.manual.map((m) =>
      m === 'bank-transfer' && bank
        ? `${METHOD_LABELS[m][lang]} (${textIn(bank.bank, lang)} ${bank.account}, ${textIn(bank.holder, lang)})`
        : m === 'phone'
          ? `${METHOD_LABELS[m][lang]} (${config.contacts.phone})`
          : METHOD_LABELS[m][lang],
    );
  const others = (lang: 'ko' | 'en') => [
    ...left.online.map((m) => METHOD_LABELS[m][lang]),
    ...manualText(lang),
  ];
  const down = (lang: 'ko' | 'en') =>
    methodsDown.map((m) => METHOD_LABELS[m][lang]).join(lang === 'ko' ? ', ' : ' and ');
  const unknowns = report.unresolvedUnknowns;
  const withhold = unknowns === null || unknowns > 0;
  const confirming = {
    ko: ' 결제 확인 중인 주문은 확인이 끝나는 대로 주문 페이지에서 알려 드립니다.',
    en: ' Orders whose payment we are still confirming will show the result on the order page as soon as it is settled.',
  };
  const ko =
    `${down('ko')} 결제가 일시적으로 되지 않습니다. ` +
    (others('ko').length
      ? `다른 결제 방법: ${others('ko').join(', ')}.`
      : '지금은 결제하실 수 있는 방법이 없습니다.') +
    (withhold ? confirming.ko : '');
  const en =
    `Paying by ${down('en')} is temporarily unavailable. ` +
    (others('en').length
      ? `Other ways to pay: ${others('en').join('; ')}.`
      : 'There is no way to pay right now.') +
    (withhold ? confirming.en : '');
  return {
    ko,
    en,
    ...(withhold ? { promises: { notChargedTwice: false } } : {}),
    promiseNote: withhold
      ? unknowns === null
        ? '"You will not be charged twice" is WITHHELD: the count of unsettled payment outcomes could not be read'
        : `"You will not be charged twice" is WITHHELD: ${unknowns} payments have an outcome not settled yet`
      : '"You will not be charged twice" stays: no payment has an unsettled outcome',
  };
}
