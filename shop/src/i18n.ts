/**
 * The shop's languages: which one a request gets, every text a customer reads in Korean and English,
 * and prices in the configured currency.
 *
 * Language, in order: `?lang=ko|en` (the switch link; remembered in a cookie), the cookie, then the
 * browser's Accept-Language (by q-value). Without a preference for either (no header, `*` as
 * fetch() sends, or only other languages) the page is English, as the outage page does: a browser
 * of a Korean customer always asks for ko, and English is what a foreign visitor most likely reads.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LANGUAGES, type Language } from '../../lib/contract/contacts';

export type { Language } from '../../lib/contract/contacts';

/** Query parameter of the language switch link. */
export const LANG_PARAM = 'lang';
/** Cookie that remembers a language chosen with the switch link. */
export const LANG_COOKIE = 'shop-lang';
/** What a request with no preference for one of our languages gets. */
export const FALLBACK_LANGUAGE: Language = 'en';
/** Time zone order times are shown in (the shop's customers are in Korea). */
export const SHOP_TIME_ZONE = 'Asia/Seoul';

const isLanguage = (v: unknown): v is Language => (LANGUAGES as readonly unknown[]).includes(v);

/** The first of our languages in an Accept-Language header, by q-value (RFC 9110 §12.5.4). */
export function fromAcceptLanguage(header: string | undefined): Language | undefined {
  if (header === undefined) return undefined;
  const ranges = header
    .split(',')
    .map((part, index) => {
      const [range, ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => /^\s*q=([01](?:\.\d{0,3})?)\s*$/.exec(p)).find(Boolean);
      return { primary: range.trim().split('-')[0], q: q ? Number(q[1]) : 1, index };
    })
    .filter((r) => r.primary !== '' && r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return ranges.find((r) => isLanguage(r.primary))?.primary as Language | undefined;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Where a request's language came from. */
export interface Negotiated {
  lang: Language;
  /** Set when the request chose the language with `?lang=`: remember it. */
  chosen: boolean;
}

/** Picks the language of a request (see the module comment). */
export function negotiate(req: Pick<IncomingMessage, 'url' | 'headers'>): Negotiated {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const param = q === -1 ? null : new URLSearchParams(url.slice(q + 1)).get(LANG_PARAM);
  if (isLanguage(param)) return { lang: param, chosen: true };
  const cookie = cookieValue(req.headers.cookie, LANG_COOKIE);
  if (isLanguage(cookie)) return { lang: cookie, chosen: false };
  return { lang: fromAcceptLanguage(req.headers['accept-language']) ?? FALLBACK_LANGUAGE, chosen: false };
}

const languages = new WeakMap<IncomingMessage, Language>();

/**
 * Negotiates the request's language once, remembers a `?lang=` choice in a cookie, and marks the
 * response as varying with what chose it.
 */
export function useLanguage(req: IncomingMessage, res: ServerResponse): Language {
  const { lang, chosen } = negotiate(req);
  languages.set(req, lang);
  if (chosen) {
    // A year, the whole site; Lax so the choice survives following a link to the shop.
    res.setHeader(
      'set-cookie',
      `${LANG_COOKIE}=${lang}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly; Secure`,
    );
  }
  res.setHeader('vary', 'Accept-Language, Cookie');
  return lang;
}

/** The language `useLanguage` picked for this request (negotiated now if it was not called). */
export function languageOf(req: IncomingMessage): Language {
  return languages.get(req) ?? negotiate(req).lang;
}

/** Digits after the decimal point of a currency (ISO 4217 minor unit: KRW 0, USD 2). */
export function currencyDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
    .maximumFractionDigits as number;
}

const priceFormats = new Map<string, Intl.NumberFormat>();

function priceFormat(lang: Language, currency: string, suffixWon: boolean): Intl.NumberFormat {
  const key = `${lang}:${currency}:${suffixWon}`;
  let format = priceFormats.get(key);
  if (!format) {
    format = suffixWon
      ? new Intl.NumberFormat('ko-KR', { maximumFractionDigits: 0 })
      : new Intl.NumberFormat(MESSAGES[lang].locale, { style: 'currency', currency });
    priceFormats.set(key, format);
  }
  return format;
}

/**
 * A price for a customer reading `lang`. `minorUnits` is the stored integer (`price_cents`), in the
 * currency's minor unit: whole won for KRW, cents for USD. Korean pages write won the way Korean
 * shops do, "12,000원" (Intl's ko-KR currency style gives "₩12,000"); everything else is
 * Intl.NumberFormat's currency style ("₩12,000", "$12.00", "US$12.00").
 */
export function formatPrice(minorUnits: number, currency: string, lang: Language): string {
  const amount = minorUnits / 10 ** currencyDigits(currency);
  if (lang === 'ko' && currency === 'KRW') return `${priceFormat(lang, currency, true).format(amount)}원`;
  return priceFormat(lang, currency, false).format(amount);
}

/**
 * A point in time as a customer reading `lang` expects it, in the shop's time zone: "2026년 12월 5일
 * 14:30" (24-hour: Node's ICU 78 writes "AM"/"PM" in ko-KR), "December 5, 2026 at 2:30 PM".
 */
export function formatTime(iso: string, lang: Language): string {
  return new Intl.DateTimeFormat(MESSAGES[lang].locale, {
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    ...(lang === 'ko' ? { hourCycle: 'h23' as const } : {}),
    timeZone: SHOP_TIME_ZONE,
  }).format(new Date(iso));
}

/** Every text of the shop's pages, in English; `Messages` is its shape, which Korean must match. */
const en = {
  locale: 'en-US',
  /** Label of the link to this language, written in this language. */
  languageName: 'English',
  shopName: 'Resilient Shop',
  products: 'Products',
  allProducts: 'All products',
  soldOut: 'Sold out',
  inStock: (n: number) => `${n} in stock`,
  quantity: 'Quantity',
  addToCart: 'Add to cart',
  howToOrderNow: 'How to order right now',
  yourCart: 'Your cart',
  placeOrder: 'Place order',
  /** The optional contact fields at checkout (shop/src/notify/contact.ts). */
  notifyHeading: 'Messages about this order (optional)',
  mobileNumber: 'Mobile number',
  mobilePlaceholder: '010-1234-5678',
  emailAddress: 'E-mail address',
  continueShopping: 'Continue shopping',
  product: (id: number) => `Product ${id}`,
  thankYou: 'Thank you',
  thankYouHeading: 'Thank you for your order',
  orderNumberIs: 'Your order number:',
  order: 'Order',
  orderHeading: 'Order',
  status: 'Status',
  placedAt: 'placed',
  total: 'Total',
  item: 'Item',
  amount: 'Amount',
  /** After "nothing was charged" on the read-only page; the arguments open and close the links. */
  stillPossible: (catalogue: string, orders: string, close: string) =>
    `You can still ${catalogue}browse the catalogue${close} and ${orders}look up your orders${close}.`,
  yourOrders: 'Your orders',
  cartEmpty: 'Your cart is empty.',
  ordersInThisBrowser: 'Orders placed in this browser:',
  noOrdersHere:
    'No orders were placed in this browser. Open the link on your order confirmation, or call us with your order number.',
  orderStatus: { placed: 'placed' } as Record<string, string>,
  readOnly:
    'Online ordering is paused for a moment. You can still browse the catalogue and look up orders, and you can order and pay another way.',
  /** Banner line after `readOnly`; phone and e-mail are links, already HTML. */
  callOrWrite: (phone: string, email: string) => `Call ${phone} or write to ${email}.`,
  orderingPaused: 'Ordering paused',
  orderingPausedHeading: 'Online ordering is paused',
  nothingCharged: 'Nothing was charged and nothing was ordered.',
  /**
   * When ordering is back, on the read-only page: the shop cannot know the time, so it says what stays
   * ready (the cart) and links to it. The arguments open and close the link.
   */
  cartKept: (cart: string, close: string) =>
    `Your cart is kept: when ordering is back, you can order from ${cart}your cart${close} right away.`,
  orderAnotherWay: 'Order or pay another way',
  backToCatalogue: 'Back to the catalogue',
  phoneOrders: 'Phone orders',
  otherWaysToPay: 'Other ways to pay',
  messengers: 'Messengers',
  email: 'E-mail',
  /** Shown beside the optional phone / e-mail fields at checkout (shop/src/notify/contact.ts CONSENT_VERSION). */
  notifyConsent:
    'I agree that Resilient Shop uses this mobile number and/or e-mail address only to send messages about this order (KakaoTalk, text message or e-mail) and erases them 30 days after the order. Leave both empty to receive no messages.',
  /** Overload and lost-commit answers (shop/src/routes.ts). */
  fault: {
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
  },
  /** Titles and messages the request handlers pass in English: the English text is the key. */
  routes: {} as Record<string, string>,
};

export type Messages = typeof en;

const ko: Messages = {
  locale: 'ko-KR',
  languageName: '한국어',
  shopName: 'Resilient Shop',
  products: '상품',
  allProducts: '전체 상품',
  soldOut: '품절',
  inStock: (n) => `재고 ${n}개`,
  quantity: '수량',
  addToCart: '장바구니에 담기',
  howToOrderNow: '지금 주문하는 방법',
  yourCart: '장바구니',
  placeOrder: '주문하기',
  notifyHeading: '주문 안내 받기 (선택)',
  mobileNumber: '휴대전화 번호',
  mobilePlaceholder: '010-1234-5678',
  emailAddress: '이메일 주소',
  continueShopping: '쇼핑 계속하기',
  product: (id) => `상품 ${id}`,
  thankYou: '주문 완료',
  thankYouHeading: '주문해 주셔서 감사합니다',
  orderNumberIs: '주문 번호:',
  order: '주문 내역',
  orderHeading: '주문',
  status: '상태',
  placedAt: '주문 일시',
  total: '합계',
  item: '상품',
  amount: '금액',
  stillPossible: (catalogue, orders, close) =>
    `${catalogue}상품 둘러보기${close}와 ${orders}주문 조회${close}는 지금도 하실 수 있습니다.`,
  yourOrders: '주문 조회',
  cartEmpty: '장바구니가 비어 있습니다.',
  ordersInThisBrowser: '이 브라우저에서 하신 주문:',
  noOrdersHere:
    '이 브라우저에서 하신 주문이 없습니다. 주문 완료 안내의 링크를 여시거나, 주문 번호를 알려 주시면 전화로 확인해 드립니다.',
  orderStatus: { placed: '주문 완료' },
  readOnly:
    '지금은 잠시 온라인 주문을 받을 수 없습니다. 상품 둘러보기와 주문 조회는 가능하며, 다른 방법으로 주문하고 결제하실 수 있습니다.',
  callOrWrite: (phone, email) => `전화(${phone}) 또는 이메일(${email})로 연락해 주세요.`,
  orderingPaused: '주문 일시 중단',
  orderingPausedHeading: '온라인 주문이 잠시 중단되었습니다',
  nothingCharged: '결제된 금액도, 접수된 주문도 없습니다.',
  cartKept: (cart, close) =>
    `장바구니는 그대로 있습니다. 주문이 다시 열리면 ${cart}장바구니${close}에서 바로 주문하실 수 있습니다.`,
  orderAnotherWay: '다른 방법으로 주문·결제하기',
  backToCatalogue: '상품 목록으로 돌아가기',
  phoneOrders: '전화 주문',
  otherWaysToPay: '다른 결제 방법',
  messengers: '메신저',
  email: '이메일',
  notifyConsent:
    'Resilient Shop이 이 휴대전화 번호와/또는 이메일 주소를 이 주문에 관한 안내(카카오톡 알림톡, 문자, 이메일)에만 사용하고 주문 30일 후 삭제하는 데 동의합니다. 안내를 받지 않으려면 두 칸을 비워 두세요.',
  fault: {
    inLineTitle: '잠시만 기다려 주세요',
    inLine: '지금 주문이 몰려 있습니다. 아직 아무것도 처리되지 않았으니 몇 초 뒤에 다시 시도해 주세요.',
    tryAgain: '다시 시도하기',
    outcomeUnknownTitle: '주문 확인을 마치지 못했습니다',
    outcomeUnknown:
      '주문을 확인하는 중에 연결이 끊겨 주문이 접수되었는지 아직 알 수 없습니다. 새 장바구니로 다시 주문하지 마시고, 아래 버튼으로 확인해 주세요. 이 버튼은 절대 두 번 주문하지 않습니다.',
    outcomeCheckWithKey:
      '같은 idempotency-key 헤더로 POST /checkout을 다시 보내 주세요. 주문이 접수되었으면 그 주문을, 아니면 한 번만 주문합니다.',
    outcomeCheckWithoutKey:
      'idempotency key가 없어 이 요청의 주문을 찾을 수 없습니다. 장바구니 번호를 알려 주시면 확인해 드리겠습니다.',
    checkOrder: '내 주문 확인하기',
  },
  routes: {
    'phone and email must be text.': '휴대전화 번호와 이메일은 글자로 입력해 주세요.',
    'Enter a Korean mobile number such as 010-1234-5678.':
      '010-1234-5678 같은 휴대전화 번호를 입력해 주세요.',
    'Enter an e-mail address such as name@example.com.': 'name@example.com 같은 이메일 주소를 입력해 주세요.',
    'To receive order messages, agree to the use of your contact details.':
      '주문 안내를 받으시려면 연락처 이용에 동의해 주세요.',
    'This idempotency-key was already used for another cart.':
      '이 idempotency-key는 이미 다른 장바구니에 사용되었습니다.',
    'This idempotency-key is in use by another checkout.': '이 idempotency-key로 다른 주문이 처리 중입니다.',
    'idempotency-key must be 8 to 200 letters, digits or _.:-':
      'idempotency-key는 8~200자의 영문, 숫자, _.:- 만 쓸 수 있습니다.',
    'Not found': '페이지를 찾을 수 없습니다',
    'Method not allowed': '허용되지 않는 요청입니다',
    "We couldn't do that": '요청을 처리하지 못했습니다',
    'Please try again shortly': '잠시 후 다시 시도해 주세요',
    'There is no such page.': '없는 페이지입니다.',
    'There is no such product.': '없는 상품입니다.',
    'There is no such order.': '없는 주문입니다.',
    'There is no such cart.': '없는 장바구니입니다.',
    'This cart has already been checked out.': '이미 주문이 완료된 장바구니입니다.',
    'The cart is empty.': '장바구니가 비어 있습니다.',
    'Method not allowed.': '허용되지 않는 요청입니다.',
    'productId must be a positive whole number.': '상품 번호가 올바르지 않습니다.',
    'quantity must be a whole number from {n} to {n}.': '수량은 {n}에서 {n} 사이의 정수로 입력해 주세요.',
    'Product {n} does not have enough stock.': '상품 {n}의 재고가 부족합니다.',
    'cartId is not a valid cart id.': '장바구니 번호가 올바르지 않습니다.',
    'This request came from another site, so we did not act on it.':
      '다른 사이트에서 보낸 요청이라 처리하지 않았습니다.',
    'Too many new carts from your network. Please try again in a minute.':
      '같은 네트워크에서 새 장바구니를 너무 많이 만들었습니다. 1분 뒤에 다시 시도해 주세요.',
    'Too many checkouts from your network. Please try again in a minute.':
      '같은 네트워크에서 주문 요청이 너무 많습니다. 1분 뒤에 다시 시도해 주세요.',
    'An order can hold at most {n} of one product.': '한 주문에 같은 상품은 최대 {n}개까지 담을 수 있습니다.',
    'Send one idempotency-key: the header and the form field differ.':
      'idempotency-key를 하나만 보내 주세요. 헤더와 양식의 값이 다릅니다.',
    'The request body is not valid JSON.': '요청 형식이 올바르지 않습니다.',
    'The request body must be a JSON object.': '요청 형식이 올바르지 않습니다.',
    'Send application/json or a form.': '요청 형식이 올바르지 않습니다.',
    'Request body is larger than {n} bytes.': '요청이 너무 큽니다({n}바이트 초과).',
    'Something went wrong on our side. Nothing was ordered or charged.':
      '저희 쪽에 문제가 생겼습니다. 주문이나 결제는 이루어지지 않았습니다.',
    'The catalogue is not available right now. Please try again in a minute, or order another way.':
      '지금은 상품 목록을 불러올 수 없습니다. 잠시 후 다시 시도하시거나 다른 방법으로 주문해 주세요.',
  },
};

/** The catalogue: every text per language. */
export const MESSAGES: Record<Language, Messages> = { ko, en };

/**
 * A title or message the request handlers wrote in English, in `lang`. Numbers in a text are matched
 * as `{n}` ("Product {n} does not have enough stock.") and put back in order. A text the catalogue
 * does not know stays English (test/shop/i18n.test.ts checks that the handlers' texts are all known).
 */
export function translate(lang: Language, english: string): string {
  if (lang === 'en') return english;
  const table = MESSAGES[lang].routes;
  if (Object.prototype.hasOwnProperty.call(table, english)) return table[english];
  const numbers = english.match(/\d+/g) ?? [];
  const key = english.replace(/\d+/g, '{n}');
  if (numbers.length === 0 || !Object.prototype.hasOwnProperty.call(table, key)) return english;
  let i = 0;
  return table[key].replace(/\{n\}/g, () => numbers[i++] ?? '');
}
