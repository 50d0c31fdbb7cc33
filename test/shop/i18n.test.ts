/**
 * The shop speaks its customers' language (issue 11 item 7), against the real shop and a real
 * PostgreSQL: Korean and English pages from Accept-Language, a switch link remembered in a cookie,
 * prices in the configured currency, and payment alternatives per language in read-only answers.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import AxeBuilder from '@axe-core/playwright';
import { type Browser } from 'playwright-core';
import * as path from 'node:path';
import { contactsIn } from '../../lib/contract/contacts';
import { IDEMPOTENCY_HEADER, MODE_HEADER } from '../../lib/contract/shop';
import { parseContacts, parseCurrency } from '../../shop/src/config';
import { formatPrice, LANG_COOKIE, MESSAGES, translate } from '../../shop/src/i18n';
import { launchChromium } from '../support/browser';
import { sharedPostgres, type PostgresServer } from '../support/postgres';
import { testConfig } from '../support/config';
import { shortOrLong } from '../support/long';
import * as html from '../../shop/src/html';
import { getHealth, postJson, startShop, waitFor, type RunningShop } from './helpers';

/** The default config's contacts: payment ways and messenger names per language. */
const { contacts: CONTACTS } = testConfig();
const KO = contactsIn(CONTACTS, 'ko');
const EN = contactsIn(CONTACTS, 'en');

let pg: PostgresServer;
let db: string;
let krw: RunningShop;

beforeAll(async () => {
  pg = await sharedPostgres();
  db = await pg.createDatabase();
  krw = await startShop(pg, db, { contacts: CONTACTS, currency: 'KRW' });
});
afterAll(async () => {
  await krw?.close();
  await pg?.destroy();
});

async function page(base: string, urlPath: string, headers: Record<string, string> = {}) {
  const res = await fetch(base + urlPath, { headers: { accept: 'text/html', ...headers } });
  return { status: res.status, headers: res.headers, html: await res.text() };
}

const langOf = (html: string) => /<html lang="([^"]+)"/.exec(html)?.[1];
const hangul = /[가-힣]/;
/** The page without its link to the Korean version (labelled "한국어"). */
const withoutSwitch = (html: string) => html.replace(/<a class="lang-switch"[^>]*>[^<]*<\/a>/, '');

describe('language from Accept-Language', () => {
  test.each([
    ['ko-KR,ko;q=0.9,en-US;q=0.8', 'ko'],
    ['ko', 'ko'],
    ['en-US,en;q=0.9', 'en'],
    ['en;q=0.5, ko;q=0.9', 'ko'],
    ['ja-JP, en;q=0.8, ko;q=0.7', 'en'],
    ['ja-JP', 'en'],
    ['*', 'en'],
    ['ko;q=0, en;q=0.1', 'en'],
  ])('%s -> %s', async (acceptLanguage, lang) => {
    const { status, html, headers } = await page(krw.base, '/products', {
      'accept-language': acceptLanguage,
    });
    expect(status).toBe(200);
    expect(langOf(html)).toBe(lang);
    expect(html).toContain(lang === 'ko' ? '<h1>상품</h1>' : '<h1>Products</h1>');
    expect(headers.get('vary')).toBe('Accept-Language, Cookie');
    expect(headers.get('set-cookie')).toBeNull();
  });

  test('a Korean product page: Korean texts, price in won as Korean shops write it', async () => {
    const { html } = await page(krw.base, '/products/1', { 'accept-language': 'ko-KR' });
    expect(langOf(html)).toBe('ko');
    expect(html).toContain('<p class="price">28,000원</p>');
    expect(html).toContain('장바구니에 담기');
    expect(html).toContain('재고 ');
    expect(html).toContain('전체 상품');
    expect(html).not.toMatch(/Add to cart|All products|in stock/);
  });

  test('an English product page: English texts, price in won with the won sign and no decimals', async () => {
    const { html } = await page(krw.base, '/products/1', { 'accept-language': 'en-US' });
    expect(langOf(html)).toBe('en');
    expect(html).toContain('<p class="price">₩28,000</p>');
    expect(html).toContain('Add to cart');
    expect(withoutSwitch(html)).not.toMatch(hangul);
  });

  test('each language has its own cached page (the product pages are cached)', async () => {
    const ko1 = await page(krw.base, '/products/3', { 'accept-language': 'ko' });
    const en1 = await page(krw.base, '/products/3', { 'accept-language': 'en' });
    const ko2 = await page(krw.base, '/products/3', { 'accept-language': 'ko' });
    expect(langOf(ko1.html)).toBe('ko');
    expect(langOf(en1.html)).toBe('en');
    expect(ko2.html).toBe(ko1.html);
  });
});

describe('the customer switches language', () => {
  test('the switch link names the other language in that language and points at the same page', async () => {
    const ko = await page(krw.base, '/products/2', { 'accept-language': 'ko' });
    expect(ko.html).toContain(
      '<a class="lang-switch" href="/products/2?lang=en" lang="en" hreflang="en">English</a>',
    );
    const en = await page(krw.base, '/products/2', { 'accept-language': 'en' });
    expect(en.html).toContain(
      '<a class="lang-switch" href="/products/2?lang=ko" lang="ko" hreflang="ko">한국어</a>',
    );
  });

  test('?lang= wins over Accept-Language, is remembered in a cookie, and the cookie wins later', async () => {
    const chosen = await page(krw.base, '/products/2?lang=ko', { 'accept-language': 'en-US' });
    expect(langOf(chosen.html)).toBe('ko');
    const cookie = chosen.headers.get('set-cookie')!;
    expect(cookie).toMatch(
      new RegExp(`^${LANG_COOKIE}=ko; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly; Secure$`),
    );
    const later = await page(krw.base, '/products', {
      'accept-language': 'en-US',
      cookie: `other=1; ${cookie.split(';')[0]}`,
    });
    expect(langOf(later.html)).toBe('ko');
    expect(later.headers.get('set-cookie')).toBeNull();
    const back = await page(krw.base, '/products?lang=en', {
      'accept-language': 'ko',
      cookie: `${LANG_COOKIE}=ko`,
    });
    expect(langOf(back.html)).toBe('en');
    expect(back.headers.get('set-cookie')).toMatch(new RegExp(`^${LANG_COOKIE}=en;`));
  });

  test('the switch link never leads to another site (a 404 for "//evil.example/x")', async () => {
    for (const evil of ['//evil.example/x', '/\\evil.example/x', '/%0a"><script>']) {
      const res = await new Promise<{ status: number; html: string }>((resolve, reject) => {
        // fetch() would normalise the path; a raw request sends it as an attacker's link would.
        const req = http.request(`${krw.base}/`, { path: evil, headers: { accept: 'text/html' } }, (r) => {
          let body = '';
          r.setEncoding('utf8');
          r.on('data', (c: string) => (body += c));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, html: body }));
        });
        req.on('error', reject);
        req.end();
      });
      expect(res.status).toBe(404);
      expect(/<a class="lang-switch" href="([^"]*)"/.exec(res.html)?.[1]).toBe('/products?lang=ko');
    }
  });

  test('an unknown ?lang= or cookie value is ignored', async () => {
    const res = await page(krw.base, '/products?lang=fr', {
      'accept-language': 'ko',
      cookie: `${LANG_COOKIE}=xx`,
    });
    expect(langOf(res.html)).toBe('ko');
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  test('a page answered to a POST switches through the catalogue (a GET), never the form target', async () => {
    const res = await fetch(krw.base + '/cart', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'text/html',
        'accept-language': 'ko',
      },
      body: 'productId=7&quantity=2',
    });
    const html = await res.text();
    expect(res.status).toBe(201);
    expect(langOf(html)).toBe('ko');
    expect(html).toContain('<h1>장바구니</h1>');
    expect(html).toContain('href="/products?lang=en"');
    expect(html).toContain('주문하기</button>');
  });
});

describe('orders in both languages', () => {
  let orderId: string;
  beforeAll(async () => {
    const cart = await postJson(krw.base, '/cart', { productId: 8, quantity: 2 });
    orderId = (await postJson(krw.base, '/checkout', { cartId: cart.json.cartId })).json.orderId;
  });

  test('the order page: totals in won, status and time in the customer language', async () => {
    const ko = await page(krw.base, `/orders/${orderId}`, { 'accept-language': 'ko' });
    expect(ko.html).toContain('상태: 주문 완료');
    expect(ko.html).toContain('<th>합계</th><td class="num total">30,000원</td>');
    expect(ko.html).toMatch(
      /주문 일시 <time datetime="[^"]+">\d{4}년 \d{1,2}월 \d{1,2}일 \d{1,2}:\d{2}<\/time>/,
    );
    const en = await page(krw.base, `/orders/${orderId}`, { 'accept-language': 'en' });
    expect(en.html).toContain('Status: placed');
    expect(en.html).toContain('<th>Total</th><td class="num total">₩30,000</td>');
    expect(withoutSwitch(en.html)).not.toMatch(hangul);
  });

  test('error pages speak the language too', async () => {
    const ko = await page(krw.base, '/products/99999', { 'accept-language': 'ko' });
    expect(ko.status).toBe(404);
    expect(langOf(ko.html)).toBe('ko');
    expect(ko.html).toContain('<h1>페이지를 찾을 수 없습니다</h1><p>없는 상품입니다.</p>');
    const en = await page(krw.base, '/products/99999', { 'accept-language': 'en' });
    expect(en.html).toContain('<h1>Not found</h1><p>There is no such product.</p>');
  });
});

describe('prices in the configured currency', () => {
  let usd: RunningShop;
  beforeAll(async () => {
    usd = await startShop(pg, db, { contacts: CONTACTS, currency: 'USD' });
  });
  afterAll(async () => {
    await usd?.close();
  });

  test('USD: the stored amount is in cents, formatted per language', async () => {
    const ko = await page(usd.base, '/products/1', { 'accept-language': 'ko' });
    expect(ko.html).toContain('<p class="price">US$280.00</p>');
    const en = await page(usd.base, '/products/1', { 'accept-language': 'en' });
    expect(en.html).toContain('<p class="price">$280.00</p>');
  });

  test.each([
    [12000, 'KRW', 'ko', '12,000원'],
    [12000, 'KRW', 'en', '₩12,000'],
    [1234567, 'KRW', 'ko', '1,234,567원'],
    [0, 'KRW', 'ko', '0원'],
    [1999, 'USD', 'en', '$19.99'],
    [1200, 'JPY', 'en', '¥1,200'],
    [1200, 'JPY', 'ko', 'JP¥1,200'],
  ] as const)('formatPrice(%d, %s, %s) = %s', (minor, currency, lang, expected) => {
    expect(formatPrice(minor, currency, lang)).toBe(expected);
  });

  test('SHOP_CURRENCY: an ISO 4217 code is kept; anything else falls back to KRW', () => {
    expect(parseCurrency('USD')).toBe('USD');
    expect(parseCurrency(undefined)).toBe('KRW');
    expect(parseCurrency('usd')).toBe('KRW');
    expect(parseCurrency('NOPE')).toBe('KRW');
  });
});

describe('read-only answers list the payment ways of the customer language', () => {
  let readOnlyDb: string;
  let shop: RunningShop;
  beforeAll(async () => {
    readOnlyDb = await pg.createDatabase();
    const writer = await startShop(pg, readOnlyDb, { contacts: CONTACTS });
    await waitFor(async () => (await getHealth(writer.base)).body.db === 'writer', 5000, 'schema');
    await writer.close();
    await pg.sql(`ALTER DATABASE ${readOnlyDb} SET default_transaction_read_only = on`);
    shop = await startShop(pg, readOnlyDb, { contacts: CONTACTS, role: 'standby' });
    await waitFor(async () => (await getHealth(shop.base)).body.db === 'reader', 5000, 'a reader');
  });
  afterAll(async () => {
    await shop?.close();
  });

  const postCart = (lang: string, accept: string) =>
    fetch(shop.base + '/cart', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept, 'accept-language': lang },
      body: JSON.stringify({ productId: 1, quantity: 1 }),
    });

  test('Korean: Korean payment ways only, no "Bank transfer"', async () => {
    const res = await postCart('ko-KR', 'text/html');
    expect(res.status).toBe(503);
    expect(res.headers.get(MODE_HEADER)).toBe('read-only');
    const html = await res.text();
    expect(langOf(html)).toBe('ko');
    expect(html).toContain('온라인 주문이 잠시 중단되었습니다');
    expect(html).toContain(`다른 결제 방법: ${KO.paymentAlternatives.join(', ')}`);
    expect(html).toContain(`>${KO.messengers[0].name}</a>`);
    expect(html).toContain(`(${KO.phoneHours})`);
    expect(html).not.toContain('Bank transfer');
    expect(html).not.toContain('KakaoTalk');
  });

  test('English: English payment ways only', async () => {
    const html = await (await postCart('en-US', 'text/html')).text();
    expect(langOf(html)).toBe('en');
    expect(html).toContain(`Other ways to pay: ${EN.paymentAlternatives.join(', ')}`);
    expect(html).toContain(`>${EN.messengers[0].name}</a>`);
    for (const p of KO.paymentAlternatives) expect(html).not.toContain(p);
  });

  test('JSON: the alternatives of the requested language, in the contract shape', async () => {
    const ko = await (await postCart('ko', 'application/json')).json();
    expect(ko).toMatchObject({ error: 'read-only', alternatives: KO });
    const en = await (await postCart('en', 'application/json')).json();
    expect(en.alternatives).toEqual(EN);
  });

  test('the read-only banner of the catalogue speaks Korean', async () => {
    const { html } = await page(shop.base, '/products/1', { 'accept-language': 'ko' });
    expect(html).toContain(MESSAGES.ko.readOnly);
    expect(html).toContain('<h2>지금 주문하는 방법</h2>');
    expect(html).not.toContain(MESSAGES.en.readOnly);
  });
});

describe('the catalogue', () => {
  test('every English title and message the handlers pass to a page has a Korean translation', () => {
    const sources = ['routes.ts', 'http.ts'].map((f) =>
      fs.readFileSync(path.join(__dirname, '..', '..', 'shop', 'src', f), 'utf8'),
    );
    const texts = new Set<string>();
    for (const src of sources) {
      for (const m of src.matchAll(/(?:HttpError\(\d+,|fail\(req, res, mode, \d+,)\s*([`'"])(.+?)\1/g))
        texts.add(m[2]);
      for (const m of src.matchAll(
        /'((?:Not found|Method not allowed|Please try again shortly)[^']*)'|"(We couldn't do that)"/g,
      ))
        texts.add(m[1] ?? m[2]);
    }
    const message = /const message =\s*'([^']+)'/.exec(sources[0]);
    if (message) texts.add(message[1]);
    // Template literals carry numbers at run time: translate them with example numbers.
    // The idempotency header's name is a constant: put it back as the customer reads it.
    const examples = [...texts].map((t) =>
      t.replace(/\$\{IDEMPOTENCY_HEADER\}/g, IDEMPOTENCY_HEADER).replace(/\$\{[^}]+\}/g, '7'),
    );
    expect(examples.length).toBeGreaterThan(12);
    const untranslated = examples.filter((t) => translate('ko', t) === t);
    expect(untranslated).toEqual([]);
    expect(translate('ko', 'Product 12 does not have enough stock.')).toBe('상품 12의 재고가 부족합니다.');
    expect(translate('en', 'There is no such product.')).toBe('There is no such product.');
  });

  test('SHOP_CONTACTS in the format before languages still works (a plain list for both)', () => {
    const legacy = {
      phone: '+82 2',
      paymentAlternatives: ['Bank transfer'],
      messengers: [],
      email: 'a@b.kr',
    };
    expect(parseContacts(JSON.stringify(legacy))).toEqual(legacy);
    expect(parseContacts(JSON.stringify(CONTACTS))).toEqual(CONTACTS);
    expect(
      parseContacts(JSON.stringify({ ...CONTACTS, paymentAlternatives: { ko: ['계좌이체'] } })),
    ).not.toEqual(expect.objectContaining({ phone: CONTACTS.phone }));
  });
});

describe('in a real browser (Chromium)', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  test('an English browser switches to Korean with the link, and the choice stays', async () => {
    const context = await browser.newContext({ locale: 'en-US' });
    try {
      const tab = await context.newPage();
      await tab.goto(`${krw.base}/products/1`);
      expect(await tab.getAttribute('html', 'lang')).toBe('en');
      await tab.click('a.lang-switch');
      await tab.waitForURL(/\?lang=ko$/);
      expect(await tab.getAttribute('html', 'lang')).toBe('ko');
      expect(await tab.locator('.price').innerText()).toBe('28,000원');
      await tab.goto(`${krw.base}/products`);
      expect(await tab.getAttribute('html', 'lang')).toBe('ko');
      expect(await tab.locator('h1').innerText()).toBe('상품');
    } finally {
      await context.close();
    }
  });

  // Korean (the default language) in every run; both in `npm run test:long`.
  test.each(shortOrLong(['ko-KR'], ['ko-KR', 'en-US']))(
    '%s: axe-core finds no violations on a product page',
    async (locale) => {
      const context = await browser.newContext({ locale });
      try {
        const tab = await context.newPage();
        await tab.goto(`${krw.base}/products/1`);
        const result = await new AxeBuilder({ page: tab }).analyze();
        expect(result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(' ')}`)).toEqual(
          [],
        );
      } finally {
        await context.close();
      }
    },
  );
});

describe('overload and lost-commit pages', () => {
  const ctx = (lang: 'ko' | 'en') => ({
    mode: 'read-write' as const,
    contacts: CONTACTS,
    region: 'ap-northeast-2',
    version: 't',
    lang,
    currency: 'KRW',
    path: '/checkout',
  });

  test.each(['ko', 'en'] as const)(
    '"you are in line" speaks %s, no sentence of the other language',
    (lang) => {
      const other = lang === 'ko' ? 'en' : 'ko';
      const page = html.inLinePage(ctx(lang));
      expect(page).toContain(MESSAGES[lang].fault.inLine);
      expect(page).not.toContain(MESSAGES[other].fault.inLine);
    },
  );

  test.each(['ko', 'en'] as const)(
    '"outcome unknown" speaks %s and lists that language\'s ways to pay',
    (lang) => {
      const other = lang === 'ko' ? 'en' : 'ko';
      const page = html.outcomeUnknownPage(ctx(lang), '00000000-0000-4000-8000-000000000000', 'key-12345678');
      expect(page).toContain(MESSAGES[lang].fault.outcomeUnknown);
      expect(page).toContain(MESSAGES[lang].fault.checkOrder);
      expect(page).toContain(`<h2>${MESSAGES[lang].orderAnotherWay}</h2>`);
      expect(page).not.toContain(MESSAGES[other].fault.outcomeUnknown);
      for (const way of contactsIn(CONTACTS, lang).paymentAlternatives) expect(page).toContain(way);
    },
  );
});
