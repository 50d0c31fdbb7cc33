/**
 * The outage page in a real browser (Debian's Chromium through playwright-core), served with the
 * production Content-Security-Policy from a local server. Needs `apt-get install -y chromium`
 * (and `fonts-nanum` or `fonts-noto-cjk` for a readable Korean screenshot).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { parseConfig } from '../../lib/config/load';
import { KNOWN_REGIONS } from '../../lib/config/schema';
import { COMPENSATION_OFFERS, PROMISE_MAX_CHARS, statusSchema, type Status } from '../../lib/contract/status';
import { contactsIn } from '../../lib/contract/contacts';
import { exampleStatus, REGION_NAMES, renderOutagePage } from '../../outage-page/render';
import { launchChromium } from '../support/browser';
import { LONG, shortOrLong } from '../support/long';
import { OUTAGE_CSP, startOutageServer, type OutageServer, type StatusReply } from './static-server';

const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts');
const NOW = new Date('2026-12-05T05:00:00Z');

const config = parseConfig(
  JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'config', 'default.json'), 'utf8')),
  'default',
);
const files = renderOutagePage(config);
const [primary, standby] = config.regions.map((r) => r.name);
/** A region status.json may name although the config does not (shown by its code). */
const extra = KNOWN_REGIONS.find((r) => !config.regions.some((c) => c.name === r))!;

const status = (over: Partial<Status> = {}): string =>
  JSON.stringify({ ...exampleStatus(config, NOW), ...over });

let browser: Browser;
let server: OutageServer;
/** Every URL any page asked for, across all cases. */
const allRequests: string[] = [];

interface Session {
  context: BrowserContext;
  page: Page;
  /** Console errors, page errors and CSP violations seen so far. */
  problems: string[];
}

const sessions: Session[] = [];

async function open(
  options: BrowserContextOptions & { clock?: boolean; path?: string } = {},
): Promise<Session> {
  const { clock, path: urlPath = '/', ...contextOptions } = options;
  const context = await browser.newContext({
    locale: 'ko-KR',
    timezoneId: 'Asia/Seoul',
    viewport: { width: 1024, height: 900 },
    serviceWorkers: 'block',
    ...contextOptions,
  });
  const page = await context.newPage();
  const problems: string[] = [];
  const session = { context, page, problems };
  sessions.push(session);
  context.on('request', (r) => allRequests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  if (contextOptions.javaScriptEnabled !== false) {
    await page.exposeFunction('__reportCsp', (v: string) => problems.push(`csp: ${v}`));
    await page.addInitScript(() => {
      // The page schedules its next 60 s poll once it has handled a /status.json reply (applied,
      // rejected or failed): counting those lets a test wait for "handled" instead of sleeping.
      const w = window as unknown as { __statusHandled: number };
      w.__statusHandled = 0;
      const setTimeoutNative = window.setTimeout;
      window.setTimeout = ((handler: TimerHandler, timeout?: number, ...rest: unknown[]) => {
        if (timeout === 60_000) w.__statusHandled += 1;
        return setTimeoutNative(handler, timeout, ...rest);
      }) as typeof window.setTimeout;
      document.addEventListener('securitypolicyviolation', (e) => {
        (window as unknown as { __reportCsp(v: string): void }).__reportCsp(
          `${e.violatedDirective} ${e.blockedURI}`,
        );
      });
    });
  }
  if (clock) await page.clock.install({ time: NOW });
  const response = await page.goto(server.origin + urlPath, { waitUntil: 'load' });
  expect(response?.status()).toBe(urlPath === '/' ? 200 : 503);
  expect(response?.headers()['content-security-policy']).toBe(OUTAGE_CSP);
  return session;
}

/** Problems other than the expected "404 for /status.json" resource error. */
function unexpected(s: Session, allow404 = false): string[] {
  return s.problems.filter((p) => !(allow404 && /Failed to load resource.*\b(403|404|503)\b/.test(p)));
}

async function waitForMessage(page: Page, lang: 'ko' | 'en', text: string): Promise<void> {
  await page.locator(`#${lang} [data-field="message"]`, { hasText: text }).waitFor({ timeout: 10_000 });
}

/** Waits (real time) until `check` holds; fails after `timeoutMs`. */
async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms: ${check.toString()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Waits until the page has handled its first /status.json reply (see the init script in `open`;
 * not with the fake clock, which replaces setTimeout).
 */
async function statusHandled(page: Page): Promise<void> {
  await page.waitForFunction(
    () => (window as unknown as { __statusHandled: number }).__statusHandled >= 1,
    null,
    {
      timeout: 10_000,
    },
  );
}

/**
 * axe-core over the whole page, every rule. `resultTypes: ['violations']` keeps every violation with
 * all its nodes and truncates the other result types to one node per rule, which saves axe building
 * selectors and details for every passing node: "The resultTypes option will not eliminate the
 * other results, it will only truncate them" (https://github.com/dequelabs/axe-core/issues/1183;
 * https://github.com/dequelabs/axe-core/blob/master/doc/API.md#section-4-performance). A rule that
 * passed is still listed under `passes`.
 */
const axe = (page: Page) => new AxeBuilder({ page }).options({ resultTypes: ['violations'] });

/** textContent with whitespace collapsed, as a reader sees it. */
async function text(page: Page, selector: string): Promise<string> {
  return ((await page.textContent(selector)) ?? '').replace(/\s+/g, ' ').trim();
}

const visibleText = (page: Page) => page.locator('body').innerText();

beforeAll(async () => {
  // Every test opens a fresh context; letting them share one renderer process saves starting a
  // renderer per page (~0.2 s each here). Contexts stay isolated (storage, cookies, permissions).
  browser = await launchChromium(['--renderer-process-limit=1']);
  server = await startOutageServer(files);
});

afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.context.close()));
  server?.setStatus({ code: 404 });
  server?.setScriptDelay(0);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('outage page in Chromium', () => {
  test('Korean browser gets Korean; baseline kept when status.json is 404', async () => {
    const s = await open({ locale: 'ko-KR' });
    const { page } = s;
    await page.waitForFunction(() => document.title.includes(' · '));
    expect(await page.getAttribute('html', 'lang')).toBe('ko');
    expect(await page.isVisible('#ko h1')).toBe(true);
    expect(await page.isHidden('#en')).toBe(true);
    expect(await page.locator('#lang-toggle').innerText()).toBe('English');
    expect(await page.getAttribute('#lang-toggle .for-ko', 'lang')).toBe('en');
    expect(await page.title()).toBe(`일시적으로 이용할 수 없습니다 · ${config.domainName}`);
    const body = await visibleText(page);
    expect(body).toContain('쇼핑몰을 잠시 이용할 수 없습니다');
    expect(body).toContain('죄송합니다');
    expect(body).toContain('이미 하신 주문과 결제');
    expect(body).toContain('이 페이지는 1분마다 새 소식을 자동으로 확인합니다');
    expect(body).not.toContain('Our shop is temporarily unavailable');
    // status.json was asked for, answered 404: the baseline stays.
    await until(() => server.statusReads() > 0);
    await statusHandled(page);
    expect(await page.getAttribute('html', 'data-status')).toBeNull();
    expect(await text(page, '#ko [data-field="message"]')).toBe(
      '쇼핑몰 서버에 장애가 있어 복구 작업을 진행하고 있습니다.',
    );
    expect(await page.isHidden('#ko [data-field="severity"]')).toBe(true);
    expect(unexpected(s, true)).toEqual([]);
  });

  test('English browser gets English', async () => {
    const s = await open({ locale: 'en-US' });
    const { page } = s;
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    expect(await page.isVisible('#en h1')).toBe(true);
    expect(await page.isHidden('#ko')).toBe(true);
    expect(await page.locator('#lang-toggle').innerText()).toBe('한국어');
    expect(await page.getAttribute('#lang-toggle .for-en', 'lang')).toBe('ko');
    const body = await visibleText(page);
    expect(body).toContain('Our shop is temporarily unavailable');
    expect(body).toContain('We are very sorry');
    expect(body).toContain('Orders and payments you already made');
    expect(body).toContain(config.contacts.phone);
    expect(body).not.toContain('쇼핑몰을 잠시 이용할 수 없습니다');
    expect(unexpected(s, true)).toEqual([]);
  });

  test('the toggle switches language and the choice is remembered', async () => {
    const s = await open({ locale: 'ko-KR' });
    const { page } = s;
    await page.click('#lang-toggle');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.isVisible('#en h1')).toBe(true);
    expect(await page.isHidden('#ko')).toBe(true);
    expect(await page.locator('#lang-toggle').innerText()).toBe('한국어');
    expect(await page.evaluate(() => localStorage.getItem('outage-page-lang'))).toBe('en');
    await page.reload();
    await page.waitForFunction(() => document.title.includes(' · '));
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await page.click('#lang-toggle');
    expect(await page.getAttribute('html', 'lang')).toBe('ko');
    expect(await page.isVisible('#ko h1')).toBe(true);
    expect(await page.evaluate(() => localStorage.getItem('outage-page-lang'))).toBe('ko');
    expect(unexpected(s, true)).toEqual([]);
  });

  test('applies status.json: message, severity, updated time, next update and region states', async () => {
    server.setStatus({
      body: status({ regions: { [primary]: 'down', [standby]: 'operational', [extra]: 'degraded' } }),
    });
    const s = await open({ locale: 'ko-KR' });
    const { page } = s;
    const notice = exampleStatus(config, NOW);
    await waitForMessage(page, 'ko', notice.message.ko);
    expect(await page.getAttribute('html', 'data-status')).toBe('applied');
    expect(await text(page, '#ko [data-field="severity"]')).toBe('서비스 중단');
    expect(await page.getAttribute('#ko [data-status]', 'data-severity')).toBe('major');
    expect(await page.getAttribute('#ko [data-field="updated"] time', 'datetime')).toBe(notice.updatedAt);
    expect(await text(page, '#ko [data-field="updated"]')).toMatch(/^마지막 업데이트: .*오후 2:00/);
    expect(await page.getAttribute('#ko [data-field="next"] time', 'datetime')).toBe(notice.nextUpdateAt);
    expect(await text(page, '#ko [data-field="next"]')).toMatch(/^다음 안내 예정: .*오후 2:30/);
    const region = (lang: string, code: string) => page.locator(`#${lang} [data-region="${code}"] .state`);
    expect(await region('ko', primary).textContent()).toBe('중단');
    expect(await region('ko', primary).getAttribute('data-state')).toBe('down');
    expect(await region('ko', standby).textContent()).toBe('정상');
    expect(await region('ko', extra).textContent()).toBe('일부 장애');
    expect(await text(page, `#ko [data-region="${extra}"] .region-name`)).toBe(REGION_NAMES[extra][0]);
    // The English section got the same notice in English.
    await page.click('#lang-toggle');
    expect(await text(page, '#en [data-field="message"]')).toBe(notice.message.en);
    expect(await text(page, '#en [data-field="severity"]')).toBe('Major outage');
    expect(await text(page, '#en [data-field="next"]')).toMatch(/^Next update expected by .*2:30\sPM/);
    expect(await region('en', primary).textContent()).toBe('Down');
    expect(await region('en', standby).textContent()).toBe('Operational');
    // The notice sits in a polite live region, so screen readers announce changes.
    expect(await page.getAttribute('#en [data-status]', 'aria-live')).toBe('polite');
    expect(unexpected(s)).toEqual([]);
  });

  test('region codes named like Object.prototype members are shown, not swallowed', async () => {
    server.setStatus({
      body: status({
        regions: { [primary]: 'down', constructor: 'degraded', toString: 'down' } as Status['regions'],
      }),
    });
    const { page } = await open({ locale: 'en-US' });
    await waitForMessage(page, 'en', exampleStatus(config, NOW).message.en.trim());
    for (const [code, state] of [
      ['constructor', 'Slow or partly down'],
      ['toString', 'Down'],
    ]) {
      expect(await text(page, `#en [data-region="${code}"] .region-name`)).toBe(code);
      expect(await text(page, `#en [data-region="${code}"] .state`)).toBe(state);
    }
  });

  test('a changed notice is picked up on reload', async () => {
    server.setStatus({ body: status() });
    const s = await open({ locale: 'en-US' });
    await waitForMessage(s.page, 'en', 'payment system failure');
    server.setStatus({
      body: status({
        severity: 'minor',
        message: { ko: '복구 중입니다.', en: 'Recovering now.' },
        nextUpdateAt: null,
      }),
    });
    await s.page.reload();
    await waitForMessage(s.page, 'en', 'Recovering now.');
    expect(await text(s.page, '#en [data-field="severity"]')).toBe('Partial outage');
    expect(await text(s.page, '#en [data-field="next"]')).toBe(
      'Next update: we will post news here as soon as we have it.',
    );
    expect(unexpected(s)).toEqual([]);
  });

  test('status.json is re-read every 60 s (fake clock)', async () => {
    server.setStatus({ body: status() });
    const s = await open({ locale: 'en-US', clock: true });
    const { page } = s;
    await waitForMessage(page, 'en', 'payment system failure');
    const reads = server.statusReads();
    server.setStatus({
      body: status({
        severity: 'info',
        message: { ko: '정상화되었습니다.', en: 'The shop is back.' },
        regions: { [primary]: 'operational', [standby]: 'operational' },
      }),
    });
    await page.clock.runFor(59_000);
    await page.waitForTimeout(300);
    expect(server.statusReads()).toBe(reads);
    expect(await text(page, '#en [data-field="message"]')).toContain('payment system failure');
    await page.clock.runFor(1_000);
    await waitForMessage(page, 'en', 'The shop is back.');
    expect(server.statusReads()).toBe(reads + 1);
    expect(await text(page, '#en [data-field="severity"]')).toBe('Information');
    expect(await text(page, `#en [data-region="${primary}"] .state`)).toBe('Operational');
    // An invalid notice later on leaves the last good one in place, and the page keeps polling.
    server.setStatus({ body: status({ severity: 'catastrophic' as Status['severity'] }) });
    await page.clock.runFor(60_000);
    await until(() => server.statusReads() === reads + 2);
    await page.waitForTimeout(200);
    expect(await text(page, '#en [data-field="message"]')).toBe('The shop is back.');
    expect(unexpected(s)).toEqual([]);
  });

  test.each([
    ['403', { code: 403 } as const],
    ['answered by the CloudFront error page (503 + index.html)', 'cloudfront404' as const],
    ['served as HTML with 200', { body: files['index.html'], contentType: 'text/html; charset=utf-8' }],
    ['invalid JSON', { body: '{"severity": "major",' }],
    ['wrong shape', { body: JSON.stringify({ severity: 'major', message: 'down' }) }],
  ] as Array<[string, StatusReply]>)('status.json %s keeps the baseline', async (_name, reply) => {
    server.setStatus(reply);
    const s = await open({ locale: 'en-US' });
    await until(() => server.statusReads() > 0);
    await statusHandled(s.page);
    expect(await s.page.getAttribute('html', 'data-status')).toBeNull();
    expect(await text(s.page, '#en [data-field="message"]')).toBe(
      'Our shop servers have a problem and we are working to restore them.',
    );
    expect(await s.page.isHidden('#en [data-field="updated"]')).toBe(true);
    expect(unexpected(s, true)).toEqual([]);
  });

  test('without JavaScript both languages show everything essential', async () => {
    const s = await open({ locale: 'en-US', javaScriptEnabled: false });
    const { page } = s;
    expect(await page.isVisible('#ko')).toBe(true);
    expect(await page.isVisible('#en')).toBe(true);
    expect(await page.isHidden('#lang-toggle')).toBe(true);
    expect(await page.isVisible('a.nojs-only')).toBe(true);
    expect(await page.getAttribute('html', 'lang')).toBe('ko');
    const body = await visibleText(page);
    for (const phrase of [
      '쇼핑몰을 잠시 이용할 수 없습니다',
      '죄송합니다',
      '이미 하신 주문과 결제',
      '다음 안내',
      'Our shop is temporarily unavailable',
      'We are very sorry',
      'Orders and payments you already made',
      'Next update',
      config.contacts.phone,
      config.contacts.email,
      ...contactsIn(config.contacts, 'ko').paymentAlternatives,
      ...contactsIn(config.contacts, 'en').paymentAlternatives,
      ...contactsIn(config.contacts, 'ko').messengers.map((m) => m.name),
      ...contactsIn(config.contacts, 'en').messengers.map((m) => m.name),
    ]) {
      expect(body).toContain(phrase);
    }
    expect(body.indexOf('쇼핑몰을 잠시')).toBeLessThan(body.indexOf('Our shop is temporarily'));
    // The "checks every minute" promise only appears when it is true.
    expect(body).not.toContain('every minute');
    expect(await page.locator('a[href^="tel:"]').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator(`a[href="${config.contacts.messengers[0].url}"]`).count()).toBe(2);
    await page.setViewportSize({ width: 375, height: 812 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'outage-page-375-nojs.png'), fullPage: true });
    expect(unexpected(s)).toEqual([]);
  });

  test('deep links get the same page with working assets', async () => {
    const s = await open({ locale: 'en-US', path: '/products/123?ref=mail' });
    await s.page.waitForFunction(() => document.documentElement.lang === 'en');
    expect(await s.page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe(
      'rgb(244, 245, 247)',
    );
    expect(unexpected(s, true)).toEqual([]);
  });

  // Each notice severity renders its own badge colours and wording. The short run checks each one in
  // one language (and the baseline in both); `npm run test:long` checks every severity in both.
  type Severity = 'major' | 'minor' | 'info' | 'none';
  const SEVERITIES: Severity[] = ['major', 'minor', 'info', 'none'];
  test.each([
    ['ko-KR', shortOrLong<Severity>(['major', 'minor'], SEVERITIES)],
    ['en-US', shortOrLong<Severity>(['info', 'none'], SEVERITIES)],
  ])('axe-core finds no violations (%s, baseline and with a notice: %j)', async (locale, severities) => {
    const s = await open({ locale });
    await s.page.waitForFunction(() => document.title.includes(' · '));
    const baseline = await axe(s.page).analyze();
    expect(baseline.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(' ')}`)).toEqual([]);
    for (const severity of severities) {
      server.setStatus({ body: status({ severity }) });
      await s.page.reload();
      await s.page.waitForSelector(
        severity === 'none' ? 'html[data-status="cleared"]' : `[data-status][data-severity="${severity}"]`,
        { state: 'attached' },
      );
      const result = await axe(s.page).analyze();
      expect({ severity, violations: result.violations.map((v) => v.id) }).toEqual({
        severity,
        violations: [],
      });
    }
    expect(baseline.passes.map((p) => p.id)).toEqual(
      expect.arrayContaining(['color-contrast', 'html-has-lang']),
    );
    expect(unexpected(s, true)).toEqual([]);
  });

  test('the CSP check works: an injected inline script is reported', async () => {
    const s = await open({ locale: 'en-US' });
    await s.page.evaluate(() => {
      const el = document.createElement('script');
      el.textContent = 'window.__ran = true';
      document.body.appendChild(el);
    });
    await until(() => s.problems.some((p) => p.startsWith('csp: script-src')));
    expect(await s.page.evaluate(() => (window as unknown as { __ran?: boolean }).__ran)).toBeUndefined();
  });

  test('375 px wide: no horizontal scrolling; full-page screenshot', async () => {
    server.setStatus({ body: status() });
    const s = await open({
      locale: 'ko-KR',
      viewport: { width: 375, height: 812 },
      deviceScaleFactor: 2,
      clock: true,
    });
    const { page } = s;
    await waitForMessage(page, 'ko', '결제 시스템 장애');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'outage-page-375.png'), fullPage: true });
    await page.click('#lang-toggle');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await page.screenshot({ path: path.join(ARTIFACTS, 'outage-page-375-en.png'), fullPage: true });
    expect(unexpected(s)).toEqual([]);
  });

  test('no request left 127.0.0.1 in any case', () => {
    expect(allRequests.length).toBeGreaterThan(20);
    const foreign = allRequests.filter((u) => !u.startsWith(`${server.origin}/`) && !u.startsWith('data:'));
    expect(foreign).toEqual([]);
    // Nothing but the page's own files and the notice were fetched.
    const known = new Set(['/', '/status.json', '/products/123', ...Object.keys(files).map((n) => `/${n}`)]);
    expect(server.requests.filter((p) => !known.has(p))).toEqual([]);
  });
});

/** A notice as `shopctl notice clear` writes it: severity "none", empty messages, region states. */
const cleared = (): string =>
  JSON.stringify({
    severity: 'none',
    message: { ko: '', en: '' },
    updatedAt: NOW.toISOString(),
    nextUpdateAt: null,
    regions: { [primary]: 'operational', [standby]: 'operational' },
  });

/**
 * Installs a layout-shift observer before any page script; read the sum with `cls(page)`. Also records
 * in `__appliedAt` when the page applied a notice.
 */
async function observeLayoutShift(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __cls: number; __shifts: string[] };
    w.__cls = 0;
    w.__shifts = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries() as unknown as {
        value: number;
        hadRecentInput: boolean;
        sources?: { node?: Node }[];
      }[]) {
        if (e.hadRecentInput) continue;
        w.__cls += e.value;
        w.__shifts.push(
          `${e.value.toFixed(4)} ${(e.sources ?? []).map((src) => (src.node as Element)?.outerHTML?.slice(0, 60)).join(' | ')}`,
        );
      }
    }).observe({ type: 'layout-shift', buffered: true });
    // When the page applied a notice (html[data-status] set), to compare with the first paint.
    new MutationObserver((records) => {
      const w2 = window as unknown as { __appliedAt?: number };
      if (w2.__appliedAt === undefined && records.some((r) => r.target === document.documentElement))
        w2.__appliedAt = performance.now();
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-status'] });
  });
}

async function cls(page: Page): Promise<{ value: number; shifts: string[] }> {
  return page.evaluate(() => {
    const w = window as unknown as { __cls: number; __shifts: string[] };
    return { value: w.__cls, shifts: w.__shifts };
  });
}

/** A page whose layout-shift observer is in place before the first byte of the document. */
async function openObserved(options: BrowserContextOptions & { statusFirst?: boolean }): Promise<Session> {
  const context = await browser.newContext({
    timezoneId: 'Asia/Seoul',
    serviceWorkers: 'block',
    ...options,
  });
  const page = await context.newPage();
  const session = { context, page, problems: [] as string[] };
  sessions.push(session);
  page.on('pageerror', (e) => session.problems.push(`pageerror: ${e.message}`));
  await observeLayoutShift(page);
  await page.goto(server.origin + '/', { waitUntil: 'load' });
  return session;
}

const VIEWPORTS = [
  { width: 375, height: 812 },
  { width: 1280, height: 800 },
] as const;

describe('issue 13: the outage page never contradicts itself', () => {
  test('a cleared notice (severity "none") shows the baseline, never "No active incident", in both languages', async () => {
    server.setStatus({ body: cleared() });
    const s = await open({ locale: 'ko-KR' });
    const { page } = s;
    await page.waitForFunction(() => document.documentElement.getAttribute('data-status') === 'cleared');
    for (const lang of ['ko', 'en'] as const) {
      if (lang === 'en') await page.click('#lang-toggle');
      expect(await page.getAttribute('html', 'lang')).toBe(lang);
      const body = await visibleText(page);
      expect(body).not.toMatch(/No active incident|진행 중인 장애 없음/);
      expect(await page.isHidden(`#${lang} [data-field="severity"]`)).toBe(true);
      expect(await page.getAttribute(`#${lang} [data-status]`, 'data-severity')).toBeNull();
      expect(await page.isHidden(`#${lang} [data-field="updated"]`)).toBe(true);
      expect(await text(page, `#${lang} [data-field="message"]`)).toBe(
        lang === 'ko'
          ? '쇼핑몰 서버에 장애가 있어 복구 작업을 진행하고 있습니다.'
          : 'Our shop servers have a problem and we are working to restore them.',
      );
      // Region states from a cleared notice are stale: no "Operational" under "temporarily unavailable".
      expect(await page.isHidden(`#${lang} [data-regions-box]`)).toBe(true);
      expect(body).not.toMatch(/Operational|정상/);
    }
    expect(unexpected(s)).toEqual([]);
  });

  test('a notice replacing a cleared one is shown, and clearing again returns to the baseline', async () => {
    server.setStatus({ body: status() });
    const s = await open({ locale: 'en-US', clock: true });
    const { page } = s;
    await waitForMessage(page, 'en', 'payment system failure');
    server.setStatus({ body: cleared() });
    await page.clock.runFor(60_000);
    await page.waitForFunction(() => document.documentElement.getAttribute('data-status') === 'cleared');
    expect(await page.isHidden('#en [data-field="severity"]')).toBe(true);
    expect(await text(page, '#en [data-field="message"]')).toBe(
      'Our shop servers have a problem and we are working to restore them.',
    );
    // The promises the payment incident reworded are back to the page's own wording, no coupon left.
    expect(await text(page, '#en [data-promise="notChargedTwice"]')).toBe(
      'You will not be charged twice for the same order.',
    );
    expect(await page.isHidden('#en [data-promise="compensation"]')).toBe(true);
    expect(await page.isHidden('#en [data-regions-box]')).toBe(true);
    // ... and so is the first screen's recovery line and short line.
    expect(await text(page, '#en [data-field="back"]')).toBe(
      'We do not know yet when the shop will be back.',
    );
    expect(await page.getAttribute('#en [data-field="back"]', 'data-back')).toBeNull();
    expect(await text(page, '#en [data-safe]')).toBe(
      'Your orders, payments and account details are safe: no need to order again. ' +
        'You will not be charged twice for the same order.',
    );
    expect(unexpected(s)).toEqual([]);
  });

  test('without a notice no region shows a state that never resolves ("Checking")', async () => {
    const s = await open({ locale: 'en-US' });
    await until(() => server.statusReads() > 0);
    await statusHandled(s.page);
    const body = await visibleText(s.page);
    expect(body).not.toMatch(/Checking|확인 중/);
    expect(await s.page.isHidden('#en [data-regions-box]')).toBe(true);
    expect(unexpected(s, true)).toEqual([]);
  });

  test('regions by human name in both languages, never by AWS code', async () => {
    server.setStatus({
      body: status({ regions: { [primary]: 'down', [standby]: 'unknown', [extra]: 'degraded' } }),
    });
    const s = await open({ locale: 'ko-KR' });
    await s.page.waitForFunction(() => document.documentElement.getAttribute('data-status') === 'applied');
    for (const [i, lang] of (['ko', 'en'] as const).entries()) {
      if (lang === 'en') await s.page.click('#lang-toggle');
      const names = await s.page.locator(`#${lang} [data-regions] .region-name`).allInnerTexts();
      expect(names).toEqual([REGION_NAMES[primary][i], REGION_NAMES[standby][i], REGION_NAMES[extra][i]]);
      expect(await visibleText(s.page)).not.toMatch(/\b[a-z]{2}-[a-z]+-\d\b/);
      expect(await text(s.page, `#${lang} [data-region="${standby}"] .state`)).toBe(
        lang === 'ko' ? '확인되지 않음' : 'Not known yet',
      );
    }
    expect(unexpected(s)).toEqual([]);
  });

  test('payment alternatives per language: the Korean page shows no English payment names', async () => {
    const s = await open({ locale: 'ko-KR' });
    const ko = await s.page.locator('#ko .payments li').allInnerTexts();
    expect(ko).toEqual(contactsIn(config.contacts, 'ko').paymentAlternatives);
    expect(ko.join(' ')).not.toMatch(/[A-Za-z]/);
    expect(await visibleText(s.page)).not.toContain('Bank transfer');
    await s.page.click('#lang-toggle');
    const en = await s.page.locator('#en .payments li').allInnerTexts();
    expect(en).toEqual(contactsIn(config.contacts, 'en').paymentAlternatives);
    expect(en.join(' ')).not.toMatch(/[가-힣]/);
    expect(unexpected(s, true)).toEqual([]);
  });

  test('a notice can withhold, reword and announce each promise, in both languages', async () => {
    const promises: Status['promises'] = {
      dataSafe: false,
      notChargedTwice: {
        ko: '이중 결제는 자동 취소됩니다.',
        en: 'Double payments are refunded automatically.',
      },
      compensation: {
        offers: ['coupon', 'extended-delivery'],
        details: { ko: '쿠폰 코드 SORRY5000', en: 'Coupon code SORRY5000' },
      },
    };
    server.setStatus({ body: status({ promises }) });
    const s = await open({ locale: 'ko-KR' });
    const { page } = s;
    await page.waitForFunction(() => document.documentElement.getAttribute('data-status') === 'applied');
    for (const lang of ['ko', 'en'] as const) {
      if (lang === 'en') await page.click('#lang-toggle');
      expect(await page.isHidden(`#${lang} [data-promise="dataSafe"]`)).toBe(true);
      // The first screen's short line follows the notice too: the reworded promise only.
      expect(await text(page, `#${lang} [data-safe]`)).toBe(
        (promises.notChargedTwice as { ko: string; en: string })[lang],
      );
      expect(await text(page, `#${lang} [data-promise="notChargedTwice"]`)).toBe(
        (promises.notChargedTwice as { ko: string; en: string })[lang],
      );
      const body = await visibleText(page);
      expect(body).not.toMatch(/not be charged twice|두 번 청구되지 않습니다|stored safely|안전하게 보관/);
      expect(await page.isVisible(`#${lang} [data-promise="compensation"]`)).toBe(true);
      expect(await page.locator(`#${lang} [data-promise="compensation"] .offers li`).allInnerTexts()).toEqual(
        lang === 'ko' ? ['할인 쿠폰', '배송 기한 연장'] : ['A discount coupon', 'A later delivery date'],
      );
      expect(body).toContain(lang === 'ko' ? '쿠폰 코드 SORRY5000' : 'Coupon code SORRY5000');
    }
    // Every promise withheld and no compensation: the heading goes too, it would promise nothing.
    server.setStatus({ body: status({ promises: { dataSafe: false, notChargedTwice: false } }) });
    await page.reload();
    await page.waitForFunction(() => document.documentElement.getAttribute('data-status') === 'applied');
    expect(await page.isHidden('#en [data-promises]')).toBe(true);
    expect(await page.isHidden('#ko [data-promises]')).toBe(true);
    // The first screen's line says nothing either, and keeps its place (nothing below it moves).
    expect(await page.isVisible('#en [data-safe]')).toBe(false);
    expect(await text(page, '#en [data-safe]')).toBe('');
    expect(await page.locator('#en [data-safe]').boundingBox()).toEqual(
      expect.objectContaining({ height: expect.any(Number) }),
    );
    expect(unexpected(s)).toEqual([]);
  });

  test('the example payment incident rewords "not charged twice" and announces a coupon', async () => {
    server.setStatus({ body: status() });
    const s = await open({ locale: 'en-US' });
    await waitForMessage(s.page, 'en', 'payment system failure');
    const body = await visibleText(s.page);
    expect(body).not.toContain('You will not be charged twice');
    expect(body).toContain('cancelled automatically within 3 business days');
    expect(body).toContain('A discount coupon');
    expect(unexpected(s)).toEqual([]);
  });

  test('times are shown in Korean time, labelled KST, in both languages', async () => {
    server.setStatus({ body: status({ nextUpdateAt: '2026-12-05T06:30:00Z' }) });
    const s = await open({ locale: 'ko-KR', timezoneId: 'Europe/Berlin' });
    await s.page.waitForFunction(() => document.documentElement.getAttribute('data-status') === 'applied');
    const next = await text(s.page, '#ko [data-field="next"]');
    expect(next).toMatch(/3:30 KST$/);
    expect(next).not.toContain('GMT');
    expect(await text(s.page, '#en [data-field="next"]')).toMatch(/3:30 PM KST$/);
  });

  // The four questions of a customer in a panic, each answered on the first screen: what happened,
  // are my money and data safe, how else can I order or pay, when is it back (the expected recovery
  // and the next update, KST).
  const FOUR_ANSWERS = (lang: 'ko' | 'en') => ({
    happened: [`#${lang} h1`, `#${lang} [data-field="message"]`],
    safe: [`#${lang} [data-safe] .safe-text`],
    otherWays: [
      `#${lang} .order-now a.phone`,
      `#${lang} .order-now a[href="${config.contacts.messengers[0].url}"]`,
      `#${lang} .order-now a[href^="mailto:"]`,
      `#${lang} .order-now .payments`,
    ],
    back: [`#${lang} [data-field="back"]`, `#${lang} [data-field="next"]`],
  });

  /**
   * Per selector: its bounding box lies wholly in the first viewport (no scrolling), and whether its
   * text is whole (the text's own box, hidden lines included, ends inside the element's box: nothing
   * cut by line-clamp).
   */
  async function firstScreen(page: Page, selectors: string[]) {
    return page.evaluate((list) => {
      const out: Record<string, { inside: boolean; whole: boolean }> = {};
      for (const selector of list) {
        const el = document.querySelector(selector);
        if (!el) {
          out[selector] = { inside: false, whole: false };
          continue;
        }
        const box = el.getBoundingClientRect();
        const range = document.createRange();
        range.selectNodeContents(el);
        const textBox = range.getBoundingClientRect();
        out[selector] = {
          inside:
            box.height > 0 &&
            box.top >= 0 &&
            box.left >= 0 &&
            box.bottom <= window.innerHeight &&
            box.right <= window.innerWidth,
          whole: textBox.bottom <= box.bottom + 0.5,
        };
      }
      return out;
    }, selectors);
  }

  /** The longest notice the contract allows: every text at its maximum length, the widest time. */
  const fill = (sentence: string, max: number) =>
    sentence.repeat(Math.ceil(max / sentence.length)).slice(0, max);
  const longestNotice = (): Status =>
    statusSchema.parse({
      ...exampleStatus(config, NOW),
      message: {
        ko: fill('결제 시스템 장애로 온라인 주문이 중단되었습니다. ', 2000),
        en: fill('A payment system failure has stopped online orders. ', 2000),
      },
      nextUpdateAt: '2026-12-25T03:30:00Z', // 12:30 PM KST on a two-digit day
      expectedBackAt: '2026-12-25T03:30:00Z',
      promises: {
        dataSafe: {
          ko: fill('이미 완료된 주문과 결제는 안전합니다. ', PROMISE_MAX_CHARS),
          en: fill('Completed orders and payments are safe. ', PROMISE_MAX_CHARS),
        },
        notChargedTwice: {
          ko: fill('두 번째 결제는 자동으로 취소됩니다. ', PROMISE_MAX_CHARS),
          en: fill('A second payment is cancelled automatically. ', PROMISE_MAX_CHARS),
        },
        compensation: {
          offers: [...COMPENSATION_OFFERS],
          details: {
            ko: fill('5,000원 할인 쿠폰을 드립니다. ', PROMISE_MAX_CHARS),
            en: fill('Everyone gets a 5,000 won coupon. ', PROMISE_MAX_CHARS),
          },
        },
      },
    });

  // One page per size and notice; the language is switched in place (no second load).
  describe.each(VIEWPORTS)('first screen at $width x $height', (viewport) => {
    test('example notice: the four answers are whole on the first screen, in ko and en', async () => {
      const notice = exampleStatus(config, NOW);
      server.setStatus({ body: JSON.stringify(notice) });
      // The browser's clock at the notice's time: its expected recovery is two hours ahead.
      const s = await open({ locale: 'ko-KR', viewport, clock: true });
      await s.page.waitForFunction(() => document.documentElement.getAttribute('data-status') === 'applied');
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      for (const lang of ['ko', 'en'] as const) {
        if (lang === 'en') await s.page.click('#lang-toggle');
        expect(await s.page.evaluate(() => window.scrollY)).toBe(0);
        await s.page.screenshot({
          path: path.join(ARTIFACTS, `outage-first-screen-${lang}-${viewport.width}x${viewport.height}.png`),
        });
        const answers = FOUR_ANSWERS(lang);
        const report = await firstScreen(s.page, Object.values(answers).flat());
        for (const [selector, r] of Object.entries(report))
          expect({ selector, ...r }).toEqual({ selector, inside: true, whole: true });
        // What they say: the notice itself, recovery and the next update in KST, the money promise.
        expect(await text(s.page, `#${lang} [data-field="message"]`)).toBe(notice.message[lang]);
        expect(await text(s.page, `#${lang} [data-field="back"]`)).toMatch(
          lang === 'ko'
            ? /^복구 예상: 2026년 12월 5일 오후 4:00 KST$/
            : /^Expected back: Dec 5, 2026, 4:00\sPM KST$/,
        );
        expect(await s.page.getAttribute(`#${lang} [data-field="back"] time`, 'datetime')).toBe(
          notice.expectedBackAt,
        );
        expect(await text(s.page, `#${lang} [data-field="next"]`)).toMatch(
          lang === 'ko'
            ? /^다음 안내 예정: 2026년 12월 5일 오후 2:30 KST$/
            : /^Next update expected by Dec 5, 2026, 2:30\sPM KST$/,
        );
        const safe = await text(s.page, `#${lang} [data-safe]`);
        expect(safe).toContain(lang === 'ko' ? '회원 정보는 안전하며' : 'account details are safe');
        expect(safe).toContain((notice.promises!.notChargedTwice as { ko: string; en: string })[lang]);
        // Nothing cut, so the details do not repeat the message; the compensation follows there.
        expect(await s.page.isHidden(`#${lang} [data-field="message-full"]`)).toBe(true);
        expect(await s.page.isVisible(`#${lang} [data-promise="compensation"]`)).toBe(true);
      }
      expect(unexpected(s)).toEqual([]);
    });

    test('longest notice: headline, the first lines of the message, safe line, every way to order and the next update (KST) still on the first screen; the rest whole in the details', async () => {
      const notice = longestNotice();
      expect(notice.message.ko).toHaveLength(2000);
      expect(notice.message.en).toHaveLength(2000);
      server.setStatus({ body: JSON.stringify(notice) });
      const s = await open({ locale: 'ko-KR', viewport, clock: true });
      await s.page.waitForFunction(() => document.documentElement.getAttribute('data-status') === 'applied');
      for (const lang of ['ko', 'en'] as const) {
        if (lang === 'en') await s.page.click('#lang-toggle');
        expect(await s.page.evaluate(() => window.scrollY)).toBe(0);
        // Screenshots cost CPU: the short run keeps the phone in Korean, `npm run test:long` takes all.
        if (LONG || (lang === 'ko' && viewport.width === 375))
          await s.page.screenshot({
            path: path.join(
              ARTIFACTS,
              `outage-first-screen-${lang}-${viewport.width}x${viewport.height}-longest.png`,
            ),
          });
        const answers = FOUR_ANSWERS(lang);
        const report = await firstScreen(s.page, Object.values(answers).flat());
        // The guarantee: every answer's box is on the first screen; the headline, the next update and
        // every way to order are whole; the message and the safe line show their first lines only.
        const cut = new Set([`#${lang} [data-field="message"]`, `#${lang} [data-safe] .safe-text`]);
        for (const [selector, r] of Object.entries(report))
          expect({ selector, ...r }).toEqual({ selector, inside: true, whole: !cut.has(selector) });
        expect(await text(s.page, `#${lang} [data-field="next"]`)).toMatch(
          lang === 'ko'
            ? /^다음 안내 예정: 2026년 12월 25일 오후 12:30 KST$/
            : /^Next update expected by Dec 25, 2026, 12:30\sPM KST$/,
        );
        expect(await text(s.page, `#${lang} [data-field="back"]`)).toMatch(
          lang === 'ko'
            ? /^복구 예상: 2026년 12월 25일 오후 12:30 KST$/
            : /^Expected back: Dec 25, 2026, 12:30\sPM KST$/,
        );
        // The message's first line is what the first screen shows ...
        const firstLine = await s.page.evaluate((l) => {
          const el = document.querySelector(`#${l} [data-field="message"]`)!;
          const range = document.createRange();
          range.setStart(el.firstChild!, 0);
          range.setEnd(el.firstChild!, 10);
          return range.getBoundingClientRect().bottom <= el.getBoundingClientRect().bottom;
        }, lang);
        expect(firstLine).toBe(true);
        // ... and the whole of it, and of each promise, is in the details below.
        expect(await s.page.isVisible(`#${lang} [data-field="message-full"]`)).toBe(true);
        expect(await s.page.textContent(`#${lang} [data-field="message-full"]`)).toBe(
          notice.message[lang].trim(),
        );
        for (const key of ['dataSafe', 'notChargedTwice'] as const)
          expect(await s.page.textContent(`#${lang} [data-promise="${key}"]`)).toBe(
            (notice.promises![key] as { ko: string; en: string })[lang],
          );
      }
      expect(unexpected(s)).toEqual([]);
    });
  });

  test('when is it back: not known, then a time, then "taking longer" once the browser\'s clock passes it (fake clock; even with status.json unreadable), in fixed boxes', async () => {
    const unknownBack = { ...exampleStatus(config, NOW), expectedBackAt: undefined };
    server.setStatus({ body: JSON.stringify(unknownBack) });
    const s = await open({ locale: 'ko-KR', viewport: VIEWPORTS[0], clock: true });
    const { page } = s;
    const back = (lang: 'ko' | 'en') => `#${lang} [data-field="back"]`;
    const state = async () => ({
      ko: await text(page, back('ko')),
      en: await text(page, back('en')),
      data: await page.getAttribute(back('ko'), 'data-back'),
      next: await text(page, '#ko [data-field="next"]'),
    });
    const boxes = () =>
      Promise.all(
        ['[data-field="back"]', '[data-field="next"]', '[data-safe]', '.order-now'].map((q) =>
          page.locator(`#ko ${q}`).boundingBox(),
        ),
      );
    const onFirstScreen = async () =>
      Object.values(await firstScreen(page, [back('ko'), '#ko [data-field="next"]']));
    await page.waitForFunction(() => document.documentElement.getAttribute('data-status') === 'applied');
    const next = '다음 안내 예정: 2026년 12월 5일 오후 2:30 KST';
    // No time given: the page says it does not know, and when the next news comes.
    expect(await state()).toEqual({
      ko: '복구 예상 시간은 아직 알 수 없습니다.',
      en: 'We do not know yet when the shop will be back.',
      data: 'unknown',
      next,
    });
    const before = await boxes();
    expect(await onFirstScreen()).toEqual([
      { inside: true, whole: true },
      { inside: true, whole: true },
    ]);
    // A recovery time 90 s after the notice: shown at the next poll (60 s), while it is still ahead.
    server.setStatus({ body: status({ expectedBackAt: '2026-12-05T05:01:30.000Z' }) });
    await page.clock.runFor(60_000);
    await page.waitForFunction(
      (q) => document.querySelector(q)?.getAttribute('data-back') === 'expected',
      back('ko'),
    );
    expect(await state()).toEqual({
      ko: '복구 예상: 2026년 12월 5일 오후 2:01 KST',
      en: 'Expected back: Dec 5, 2026, 2:01 PM KST',
      data: 'expected',
      next,
    });
    // The time passes without a new notice, and status.json cannot even be read: the page says it is
    // taking longer than expected at its next poll, never a time in the past.
    server.setStatus({ body: 'Service Unavailable', code: 503 });
    await page.clock.runFor(60_000);
    await page.waitForFunction(
      (q) => document.querySelector(q)?.getAttribute('data-back') === 'late',
      back('ko'),
    );
    expect(await state()).toEqual({
      ko: '예상보다 복구가 늦어지고 있습니다.',
      en: 'This is taking longer than expected.',
      data: 'late',
      next,
    });
    // Every state in the same fixed boxes: nothing below moved, and the line is whole on the first screen.
    expect(await boxes()).toEqual(before);
    expect(await onFirstScreen()).toEqual([
      { inside: true, whole: true },
      { inside: true, whole: true },
    ]);
    expect(unexpected(s, true)).toEqual([]);
  });

  // Short run: each viewport and each language once; `npm run test:long`: every pair.
  const ALL_SHIFT_CASES = VIEWPORTS.flatMap((v) => (['ko-KR', 'en-US'] as const).map((l) => [v, l] as const));
  const SHIFT_CASES = shortOrLong([ALL_SHIFT_CASES[0], ALL_SHIFT_CASES[3]], ALL_SHIFT_CASES);
  describe.each(SHIFT_CASES)('layout shift (slow script)', (viewport, locale) => {
    test(`${viewport.width} x ${viewport.height}, ${locale}: choosing the language moves nothing (CLS ~ 0)`, async () => {
      // A slow script is what a phone on a cellular network sees: the page must not paint both
      // languages first and then hide one.
      server.setScriptDelay(400);
      const s = await openObserved({ locale, viewport });
      await s.page.waitForFunction(() => document.title.includes(' · '));
      await until(() => server.statusReads() > 0);
      await s.page.waitForTimeout(500);
      const lang = locale.slice(0, 2);
      expect(await s.page.getAttribute('html', 'lang')).toBe(lang);
      expect(await cls(s.page)).toEqual({ value: 0, shifts: [] });
      expect(s.problems).toEqual([]);
    });
  });

  // Short run: each size, language and notice once; `npm run test:long`: every combination.
  type NoticeKind = 'example' | 'longest';
  const ALL_NOTICE_SHIFT_CASES = VIEWPORTS.flatMap((v) =>
    (['ko-KR', 'en-US'] as const).flatMap((l) =>
      (['example', 'longest'] as NoticeKind[]).map((n) => [v, l, n] as const),
    ),
  );
  const NOTICE_SHIFT_CASES = shortOrLong(
    [ALL_NOTICE_SHIFT_CASES[0], ALL_NOTICE_SHIFT_CASES[7]],
    ALL_NOTICE_SHIFT_CASES,
  );
  test.each(NOTICE_SHIFT_CASES)(
    'a notice arriving after the first paint moves nothing (CLS < 0.005; %j, %s, %s notice)',
    async (viewport, locale, kind) => {
      const notice = kind === 'example' ? exampleStatus(config, NOW) : longestNotice();
      // Late, as on a slow network: the baseline is painted first, then the notice replaces it.
      server.setStatus({ body: JSON.stringify(notice), delayMs: 300 });
      const s = await openObserved({ locale, viewport });
      await s.page.waitForFunction(() => document.documentElement.getAttribute('data-status') === 'applied');
      await s.page.waitForTimeout(300);
      const timing = await s.page.evaluate(() => ({
        firstPaint: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Infinity,
        applied: (window as unknown as { __appliedAt: number }).__appliedAt,
      }));
      expect(timing.firstPaint).toBeLessThan(timing.applied);
      const { value, shifts } = await cls(s.page);
      // Every part of the first screen that a notice changes has a fixed height, and the details start
      // below the first screen: measured 0 in every case of the long run.
      expect({ cls: value < 0.005, value, shifts }).toEqual({ cls: true, value, shifts });
      expect(s.problems).toEqual([]);
    },
  );
});
