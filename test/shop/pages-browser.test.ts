/**
 * The shop as its customers see it, in Chromium (playwright-core, /usr/bin/chromium), Korean and
 * English, on a phone (375 x 812) and a laptop (1280 x 800): prices in won, Korean texts on Korean
 * pages, a cart with line prices and a total that survives navigation and a language switch, a
 * readable order number, Korean words kept whole, no internals shown. First-screen checks through
 * bounding boxes; screenshots in test-artifacts/. And paying by card through the shop's own Toss
 * window page, which loads the fake Toss's stand-in for the SDK: choice page → window page → the
 * provider's window → success redirect → server-side confirm → paid, with no CSP violation.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { parseConfig } from '../../lib/config/load';
import { contactsIn } from '../../lib/contract/contacts';
import * as html from '../../shop/src/html';
import { MESSAGES } from '../../shop/src/i18n';
import { choicePage } from '../../shop/src/payments/pages';
import { PAYMENT_TEXTS } from '../../shop/src/payments/texts';
import { launchChromium } from '../support/browser';
import { startFakeProviders, type FakeProvider } from '../support/fake-pg';
import { sharedPostgres, type PostgresServer } from '../support/postgres';
import { CONTACTS, startShop, type RunningShop } from './helpers';
import { ledgerCheck, paymentSettings, startPayShop } from './payment-helpers';

const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts');
const VIEWPORTS = [
  { width: 375, height: 812 },
  { width: 1280, height: 800 },
];
const LANGS = [
  { lang: 'ko', locale: 'ko-KR', grinder: '버 그라인더', price: '89,000원', total: '178,000원' },
  { lang: 'en', locale: 'en-US', grinder: 'Burr Grinder', price: '₩89,000', total: '₩178,000' },
] as const;

let pg: PostgresServer;
let shop: RunningShop;
let dbName: string;
let browser: Browser;
let fakes: { toss: FakeProvider; kakao: FakeProvider };
let payDb: string;
let payShop: RunningShop;

beforeAll(async () => {
  [pg, fakes] = await Promise.all([sharedPostgres(), startFakeProviders()]);
  [shop, payDb] = await Promise.all([
    pg.createDatabase().then((db) => {
      dbName = db;
      return startShop(pg, db, { cartCleanup: false });
    }),
    pg.createDatabase(),
  ]);
  payShop = await startPayShop(
    pg,
    payDb,
    paymentSettings(fakes, {}, 2000, { shopWindow: true }),
    {},
    {
      cartCleanup: false,
    },
  );
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await Promise.all([shop?.close(), payShop?.close()]);
  await Promise.all([fakes?.toss.close(), fakes?.kakao.close()]);
  await pg?.destroy();
});

/** Fails unless `selector` is wholly inside the first screen (no scrolling). */
async function onFirstScreen(page: Page, selector: string, viewport: { width: number; height: number }) {
  const box = await page.locator(selector).first().boundingBox();
  expect({ selector, box: box !== null }).toEqual({ selector, box: true });
  expect({
    selector,
    inside: box!.y >= 0 && box!.y + box!.height <= viewport.height && box!.x + box!.width <= viewport.width,
  }).toEqual({ selector, inside: true });
}

async function shot(page: Page, name: string) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `shop-${name}.png`) });
}

const visible = (page: Page) => page.locator('body').innerText();

describe.each(VIEWPORTS)('$width x $height', (viewport) => {
  test.each(LANGS)('$lang: product, cart across navigation and language switch, order', async (l) => {
    const context = await browser.newContext({ locale: l.locale, viewport });
    try {
      const page = await context.newPage();
      const size = `${l.lang}-${viewport.width}x${viewport.height}`;
      await page.goto(`${shop.base}/products/4`);
      expect(await page.locator('h1').innerText()).toBe(l.grinder);
      expect(await page.locator('.price').innerText()).toBe(l.price);
      await onFirstScreen(page, 'h1', viewport);
      await onFirstScreen(page, '.price', viewport);
      await onFirstScreen(page, 'button[type=submit]', viewport);
      // Korean words are never broken inside (word-break: keep-all on Korean pages).
      if (l.lang === 'ko')
        expect(await page.evaluate(() => getComputedStyle(document.body).wordBreak)).toBe('keep-all');
      await shot(page, `product-${size}`);

      await page.fill('input[name=quantity]', '2');
      await page.click('button[type=submit]');
      await page.waitForSelector('body[data-shop-page="cart"]');
      // Continue shopping, then back to the cart by the header link: the cart is still there.
      await page.click(`a[href="/products"]`);
      await page.click('a.cart-link');
      await page.waitForSelector('table.lines');
      // Switch language on the cart page: still the same cart, in the other language.
      await page.click('a.lang-switch');
      await page.waitForURL(/\?lang=/);
      await page.click('a.lang-switch');
      await page.waitForURL(new RegExp(`lang=${l.lang}$`));
      expect(await page.locator('table.lines tbody tr').count()).toBe(1);
      expect(await page.locator('td.total').innerText()).toBe(l.total);
      await onFirstScreen(page, 'td.total', viewport);
      await onFirstScreen(page, 'form[action="/checkout"] button', viewport);
      // The optional contact fields and the consent text, in the page's language.
      expect(await page.locator('fieldset.notify legend').innerText()).toBe(MESSAGES[l.lang].notifyHeading);
      expect((await page.locator('fieldset.notify .consent').innerText()).trim()).toBe(
        MESSAGES[l.lang].notifyConsent,
      );
      await shot(page, `cart-${size}`);

      await page.click('form[action="/checkout"] button');
      await page.waitForSelector('body[data-shop-page="order-placed"]');
      const code = await page.locator('a.order-code').innerText();
      expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
      expect(await visible(page)).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
      await page.click('a.order-code');
      await page.waitForSelector('body[data-shop-page="order"]');
      expect(await page.locator('h1 .order-code').innerText()).toBe(code);
      expect(await page.locator('td.total').innerText()).toBe(l.total);
      await onFirstScreen(page, 'td.total', viewport);
      const text = await visible(page);
      // No internals: not the region, not the version.
      expect(text).not.toContain('ap-northeast-2');
      expect(text).not.toContain('test-1');
      await shot(page, `order-${size}`);

      // The order is remembered in this browser: "look up orders" finds it; the cart is new.
      await page.goto(`${shop.base}/orders`);
      expect(await page.locator('a.order-code').first().innerText()).toBe(code);
      await page.goto(`${shop.base}/cart`);
      expect(await visible(page)).toContain(MESSAGES[l.lang].cartEmpty);
      const cookies = await context.cookies();
      for (const c of cookies.filter((c) => c.name.startsWith('shop-')))
        expect({ name: c.name, httpOnly: c.httpOnly, sameSite: c.sameSite }).toEqual({
          name: c.name,
          httpOnly: true,
          sameSite: 'Lax',
        });
    } finally {
      await context.close();
    }
  });
});

test("ko: card through the shop's Toss window page and the SDK stand-in to a paid order, no CSP violation", async () => {
  const context = await browser.newContext({ locale: 'ko-KR', viewport: VIEWPORTS[0] });
  const violations: string[] = [];
  try {
    const page = await context.newPage();
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
    });
    await page.goto(`${payShop.base}/products/2`);
    await page.click('button[type=submit]');
    await page.waitForSelector('body[data-shop-page="cart"]');
    await page.click('form[action="/checkout"] button');
    await page.waitForSelector('body[data-shop-page="payment-choice"]');
    await page.click('li[data-payment-method="card"] button');
    await page.waitForSelector('body[data-shop-page="payment-toss-window"]');
    // Enabled only once the SDK (here the fake's stand-in, from its own origin) has loaded.
    await page.waitForSelector('#toss-pay:not([disabled])', { timeout: 10_000 });
    expect(fakes.toss.sdkLoads).toBe(1);
    await shot(page, 'toss-window-ko-375x812');
    await page.click('#toss-pay');
    await page.waitForSelector('body[data-shop-page="order"] [data-payment="paid"]');
    expect(await visible(page)).toContain('결제가 확인되었습니다');
    expect(fakes.toss.windowRequests.at(-1)).toMatchObject({
      clientKey: 'test_ck_fake',
      method: 'CARD',
      currency: 'KRW',
    });
    expect(violations).toEqual([]);
    expect(await ledgerCheck(pg, payDb, [fakes.toss, fakes.kakao])).toMatchObject({
      paid: 1,
      charges: 1,
      doubleCharges: 0,
      lostPaidOrders: 0,
    });
  } finally {
    await context.close();
  }
});

test('checkout form (ko, phone): a landline is refused in the page, the cart and what was typed stay; corrected, the order is placed with its contact', async () => {
  const viewport = VIEWPORTS[0];
  const context = await browser.newContext({ locale: 'ko-KR', viewport });
  try {
    const page = await context.newPage();
    await page.goto(`${shop.base}/products/4`);
    await page.click('button[type=submit]');
    await page.waitForSelector('body[data-shop-page="cart"]');
    await page.fill('input[name=phone]', '02-123-4567');
    await page.fill('input[name=email]', 'kim@example.com');
    await page.check('input[name=consent]');
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/checkout')),
      page.click('form[action="/checkout"] button'),
    ]);
    expect(answer.status()).toBe(400);
    await page.waitForSelector('body[data-shop-page="cart"] .form-error');
    expect(await page.locator('.form-error').innerText()).toBe(
      '010-1234-5678 같은 휴대전화 번호를 입력해 주세요.',
    );
    expect(await page.locator('table.lines tbody tr').count()).toBe(1);
    expect(await page.inputValue('input[name=phone]')).toBe('02-123-4567');
    expect(await page.inputValue('input[name=email]')).toBe('kim@example.com');
    expect(await page.isChecked('input[name=consent]')).toBe(true);
    await onFirstScreen(page, '.form-error', viewport);
    // Korean words are kept whole in the consent text too.
    expect(
      await page.locator('fieldset.notify .consent').evaluate((e) => getComputedStyle(e).wordBreak),
    ).toBe('keep-all');
    await shot(page, 'checkout-error-ko-375x812');

    await page.fill('input[name=phone]', '010-2345-6789');
    await page.click('form[action="/checkout"] button');
    await page.waitForSelector('body[data-shop-page="order-placed"]');
    const rows = await pg.sql<{ phone: string; email: string; lang: string; kind: string }>(
      `SELECT k.phone, k.email, k.lang, n.kind FROM order_contacts k JOIN notices n ON n.order_id = k.order_id
       WHERE k.phone = '01023456789'`,
      [],
      dbName,
    );
    expect(rows).toEqual([
      { phone: '01023456789', email: 'kim@example.com', lang: 'ko', kind: 'order-received' },
    ]);
  } finally {
    await context.close();
  }
});

test.each(['ko', 'en'] as const)(
  'the checkout-unavailable page (%s) says its key sentence once; "look up orders" is a link',
  (lang) => {
    const page = html.readOnlyPage({
      mode: 'read-only',
      contacts: CONTACTS,
      region: 'ap-northeast-2',
      version: 'v1',
      lang,
      currency: 'KRW',
      path: '/checkout',
    });
    const key = MESSAGES[lang].readOnly;
    expect(page.split(key).length - 1).toBe(1);
    expect(page).toMatch(/<a href="\/orders">[^<]+<\/a>/);
    expect(page).not.toContain('ap-northeast-2');
  },
);

// The four questions of a customer in a panic (what happened, is my money safe, how else can I order
// or pay, when is it back), where these pages can answer them, on a phone's first screen. Rendered
// with setContent: no extra page loads from the shop.
test('on a phone (375 x 812), the checkout-unavailable and "other ways to pay" pages answer on the first screen, ko and en', async () => {
  const viewport = { width: 375, height: 812 };
  const contacts = parseConfig(
    JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'config', 'default.json'), 'utf8')),
    'default',
  ).contacts;
  const context = await browser.newContext({ viewport });
  try {
    const page = await context.newPage();
    for (const lang of ['ko', 'en'] as const) {
      const ctx: html.PageContext = {
        mode: 'read-only',
        contacts,
        region: 'ap-northeast-2',
        version: 'v1',
        lang,
        currency: 'KRW',
        path: '/checkout',
      };
      const t = MESSAGES[lang];
      const local = contactsIn(contacts, lang);

      await page.setContent(html.readOnlyPage(ctx));
      // What happened; money (nothing charged) and data (orders can be looked up); other ways; when
      // it is back (the shop cannot know the time: the cart waits, linked).
      for (const selector of [
        'h1',
        'p.safe',
        'ul.alternatives a[href^="tel:"]',
        `ul.alternatives a[href="${local.messengers[0].url}"]`,
        'ul.alternatives a[href^="mailto:"]',
        'p.when a[href="/cart"]',
      ])
        await onFirstScreen(page, selector, viewport);
      expect(await page.locator('h1').innerText()).toBe(t.orderingPausedHeading);
      expect(await page.locator('p.safe').innerText()).toContain(t.nothingCharged);
      const paymentsLine = `ul.alternatives > li:has-text("${t.otherWaysToPay}")`;
      await onFirstScreen(page, paymentsLine, viewport);
      const payments = page.locator(paymentsLine);
      for (const p of local.paymentAlternatives) expect(await payments.innerText()).toContain(p);
      await shot(page, `checkout-unavailable-${lang}-375x812`);

      // Every online method down: the page says so, keeps the order, and offers the manual ways
      // first (the order of PaymentsService.choices(): available online, manual, then the down ones).
      await page.setContent(
        choicePage({ ...ctx, mode: 'read-write', path: '/orders/x/pay' }, 'x', 178000, [
          { method: 'bank-transfer', online: false, available: true, providers: [] },
          { method: 'phone', online: false, available: true, providers: [] },
          { method: 'card', online: true, available: false, providers: [] },
          { method: 'easy-pay', online: true, available: false, providers: [] },
        ]),
      );
      for (const selector of [
        'h1',
        '.price',
        '[data-payments="all-online-down"]',
        '[data-payment-method="bank-transfer"] button',
        '[data-payment-method="phone"] button',
      ])
        await onFirstScreen(page, selector, viewport);
      expect(await page.locator('[data-payments="all-online-down"]').innerText()).toBe(
        PAYMENT_TEXTS[lang].allOnlineDown,
      );
      expect(await page.locator('[data-payment-method="bank-transfer"] button').isEnabled()).toBe(true);
      await shot(page, `pay-other-ways-${lang}-375x812`);
    }
  } finally {
    await context.close();
  }
});
