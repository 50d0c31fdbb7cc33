/**
 * The shop as its customers see it, in Chromium (playwright-core, /usr/bin/chromium), Korean and
 * English, on a phone (375 x 812) and a laptop (1280 x 800): prices in won, Korean texts on Korean
 * pages, a cart with line prices and a total that survives navigation and a language switch, a
 * readable order number, Korean words kept whole, no internals shown. First-screen checks through
 * bounding boxes; screenshots in test-artifacts/.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import * as html from '../../shop/src/html';
import { MESSAGES } from '../../shop/src/i18n';
import { launchChromium } from '../support/browser';
import { startPostgres, type PostgresServer } from '../support/postgres';
import { CONTACTS, startShop, type RunningShop } from './helpers';

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
let browser: Browser;

beforeAll(async () => {
  pg = await startPostgres();
  shop = await startShop(pg, await pg.createDatabase(), { cartCleanup: false });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await shop?.close();
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
