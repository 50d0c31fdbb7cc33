import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { parseConfig, type ShopConfig } from '../../lib/config/load';
import { contactsIn } from '../../lib/contract/contacts';
import { KNOWN_REGIONS } from '../../lib/config/schema';
import { statusSchema } from '../../lib/contract/status';
import {
  cacheControlFor,
  contentTypeFor,
  defaultStatus,
  exampleStatus,
  PAGE_SIZE_LIMIT,
  pageSize,
  REGION_NAMES,
  renderOutagePage,
} from '../../outage-page/render';

const DEFAULT_JSON = path.join(__dirname, '..', '..', 'config', 'default.json');

function rawDefault(): Record<string, unknown> & { contacts: Record<string, unknown> } {
  return JSON.parse(fs.readFileSync(DEFAULT_JSON, 'utf8'));
}

function configWith(contacts: Record<string, unknown>): ShopConfig {
  const raw = rawDefault();
  return parseConfig({ ...raw, contacts: { ...raw.contacts, ...contacts } }, 'test');
}

const config = parseConfig(rawDefault(), 'default');

describe('renderOutagePage', () => {
  const files = renderOutagePage(config);
  const html = files['index.html'];

  test('renders index.html, one stylesheet and one script with content-hashed names, never status.json', () => {
    const names = Object.keys(files).sort();
    expect(names).toHaveLength(3);
    expect(names).toContain('index.html');
    expect(names.some((n) => /^outage\.[0-9a-f]{10}\.css$/.test(n))).toBe(true);
    expect(names.some((n) => /^outage\.[0-9a-f]{10}\.js$/.test(n))).toBe(true);
    expect(names).not.toContain('status.json');
    expect(Object.keys(files).some((n) => n.includes('status'))).toBe(false);
    for (const n of names.filter((x) => x !== 'index.html')) expect(html).toContain(`"/${n}"`);
  });

  test('carries the marker the canary looks for (lambda/canary/journeys.ts)', () => {
    expect(html).toMatch(/^<!doctype html>\n<html [^>]*\bdata-outage-page\b/);
  });

  test('is deterministic for the same config', () => {
    expect(renderOutagePage(parseConfig(rawDefault(), 'default'))).toEqual(files);
  });

  test(`stays within ${PAGE_SIZE_LIMIT} bytes in all`, () => {
    const size = pageSize(files);
    expect(size).toBeLessThanOrEqual(PAGE_SIZE_LIMIT);
    expect(size).toBe(Object.values(files).reduce((s, c) => s + Buffer.byteLength(c), 0));
  });

  test('shows every contact, in both languages', () => {
    const { contacts } = config;
    const ko = html.slice(
      html.indexOf('<section class="lang" id="ko"'),
      html.indexOf('<section class="lang" id="en"'),
    );
    const en = html.slice(html.indexOf('<section class="lang" id="en"'));
    for (const [lang, part] of [
      ['ko', ko],
      ['en', en],
    ] as const) {
      const local = contactsIn(contacts, lang);
      expect(part).toContain(`href="tel:${contacts.phone.replace(/[^\d+]/g, '')}"`);
      expect(part).toContain(`>${contacts.phone}</a>`);
      expect(part).toContain(`href="mailto:${contacts.email}"`);
      for (const p of local.paymentAlternatives) expect(part).toContain(`<li>${p}</li>`);
      for (const m of local.messengers)
        expect(part).toContain(`<a href="${m.url}" rel="noopener noreferrer">${m.name}</a>`);
      for (const r of config.regions) {
        expect(part).toMatch(new RegExp(`data-region="${r.name}"><span class="region-name">[^<(]+</span>`));
      }
    }
    const seoul = renderOutagePage({
      ...config,
      regions: [{ ...config.regions[0], name: 'ap-northeast-2' }],
    })['index.html'];
    expect(seoul).toContain('<span class="region-name">서울</span>');
    expect(seoul).toContain('<span class="region-name">Seoul</span>');
    expect(html.indexOf('lang="ko"')).toBeLessThan(html.indexOf('id="en" lang="en"'));
  });

  test('HTML-escapes every contact (no markup injection)', () => {
    const evil = '<script>alert(1)</script>';
    const page = renderOutagePage(
      configWith({
        phone: `+82 2 555 0100 ${evil}`,
        paymentAlternatives: [`Cash ${evil}`, 'A & B "quoted"'],
        messengers: [{ name: `Kakao ${evil}`, url: 'https://pf.kakao.com/_x?a=1&b="2"' }],
        email: 'help<x>@example.com',
      }),
    )['index.html'];
    expect(page).not.toContain('<script>alert');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('<li>A &amp; B &quot;quoted&quot;</li>');
    expect(page).toContain('href="https://pf.kakao.com/_x?a=1&amp;b=%222%22"');
    expect(page.match(/href="tel:[^"]*"/g)).toEqual(Array(3).fill('href="tel:+82255501001"'));
    expect(page).toContain('href="mailto:help%3Cx%3E@example.com"');
    expect(page).toContain('>help&lt;x&gt;@example.com</a>');
    // The only <script> element is the page's own, with a same-origin src.
    expect(page.match(/<script\b[^>]*>/g)).toEqual([
      expect.stringMatching(/^<script src="\/outage\.[0-9a-f]{10}\.js">$/),
    ]);
  });

  test('rejects messenger links that are not http(s)', () => {
    // The config validator refuses such a link first (test/config.test.ts); this is the page's own
    // guard, so the config is built past the validator.
    const unchecked = {
      ...config,
      contacts: { ...config.contacts, messengers: [{ name: 'x', url: 'javascript:alert(1)' }] },
    };
    expect(() => renderOutagePage(unchecked)).toThrow(/must be http\(s\)/);
  });

  test('payment ways and messenger names per language; no AWS code in region names', () => {
    const section = (lang: 'ko' | 'en') => {
      const start = html.indexOf(`<section class="lang" id="${lang}"`);
      return html.slice(start, html.indexOf('</section>', start));
    };
    const items = (part: string) => [...part.matchAll(/<ul class="payments">\n([^]*?)<\/ul>/g)][0][1];
    expect(items(section('ko'))).toBe(
      '<li>무통장입금(계좌이체)</li>\n<li>착불 결제(상품 받으실 때 결제)</li>\n',
    );
    expect(items(section('en'))).toBe('<li>Bank transfer</li>\n<li>Pay on delivery</li>\n');
    expect(section('ko')).toContain('rel="noopener noreferrer">카카오톡</a>');
    expect(section('en')).toContain('rel="noopener noreferrer">KakaoTalk</a>');
    expect(section('ko')).toContain('(매일 오전 9시~오후 9시)');
    const names = [...html.matchAll(/<span class="region-name">([^<]*)<\/span>/g)].map((m) => m[1]);
    expect(names).toEqual(['서울', '도쿄', 'Seoul', 'Tokyo']);
  });

  test('a plain list of payment ways (the format before languages) still renders, in both', () => {
    const page = renderOutagePage(configWith({ paymentAlternatives: ['Bank transfer (계좌이체)'] }))[
      'index.html'
    ];
    expect(page.match(/<li>Bank transfer \(계좌이체\)<\/li>/g)).toHaveLength(2);
  });

  test('omits the messenger line when there are no messengers', () => {
    const page = renderOutagePage(configWith({ messengers: [] }))['index.html'];
    expect(page).not.toContain('메신저');
    expect(page).not.toContain('Messenger');
  });

  test('references no other host than the configured messenger links', () => {
    const allowed = new Set(config.contacts.messengers.map((m) => m.url));
    for (const [name, content] of Object.entries(files)) {
      const urls = content.match(/(?:https?:)?\/\/[^\s"'<>)]+/gi) ?? [];
      const foreign = urls.filter((u) => !allowed.has(u));
      expect({ name, foreign }).toEqual({ name, foreign: [] });
    }
    // Messenger links are plain hyperlinks, never something the browser fetches by itself.
    expect(html).not.toMatch(/<(?:img|script|link|iframe|source|video|audio|object|embed)\b[^>]*https?:/i);
    expect(files[Object.keys(files).find((n) => n.endsWith('.css'))!]).not.toMatch(/@import|url\(/i);
  });

  test('is CSP-compatible: no inline script, style or event handler', () => {
    expect(html).not.toMatch(/<script\b(?![^>]*\ssrc=)[^>]*>/i);
    expect(html).not.toMatch(/<style\b/i);
    expect(html).not.toMatch(/\sstyle=/i);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).not.toMatch(/javascript:/i);
  });

  test('content types and cache headers for the edge stack', () => {
    for (const name of Object.keys(files))
      expect(contentTypeFor(name)).toMatch(/^text\/(html|css|javascript); charset=utf-8$/);
    expect(cacheControlFor('index.html')).toContain('max-age=60');
    expect(cacheControlFor(Object.keys(files).find((n) => n.endsWith('.js'))!)).toContain('immutable');
  });
});

describe('status.json validation in the page script agrees with lib/contract/status.ts', () => {
  const jsName = Object.keys(renderOutagePage(config)).find((n) => n.endsWith('.js'))!;
  const sandbox: {
    outagePage?: { isValidStatus: (s: unknown) => boolean; REFRESH_MS: number; REGION_NAMES: unknown };
  } = {};
  vm.runInNewContext(renderOutagePage(config)[jsName], sandbox);
  const isValidStatus = sandbox.outagePage!.isValidStatus;

  const good = exampleStatus(config);
  const cases: Array<[string, unknown]> = [
    ['example', good],
    ['default', defaultStatus(config)],
    ['null next update', { ...good, nextUpdateAt: null }],
    ['no expected recovery (older shopctl)', { ...good, expectedBackAt: undefined }],
    ['expected recovery null', { ...good, expectedBackAt: null }],
    ['expected recovery with offset', { ...good, expectedBackAt: '2026-12-05T16:00:00+09:00' }],
    ['expected recovery impossible date', { ...good, expectedBackAt: '2026-02-30T05:00:00Z' }],
    ['expected recovery not a time', { ...good, expectedBackAt: 'soon' }],
    ['fractional seconds', { ...good, updatedAt: '2026-12-05T05:00:00.123Z' }],
    ['offset time', { ...good, updatedAt: '2026-12-05T14:00:00+09:00' }],
    ['no seconds', { ...good, updatedAt: '2026-12-05T05:00Z' }],
    ['no zone', { ...good, updatedAt: '2026-12-05T05:00:00' }],
    ['impossible date', { ...good, updatedAt: '2026-02-30T05:00:00Z' }],
    ['leap day', { ...good, updatedAt: '2028-02-29T05:00:00Z' }],
    ['unknown severity', { ...good, severity: 'catastrophic' }],
    ['extra key', { ...good, extra: 1 }],
    [
      'missing key',
      { severity: good.severity, message: good.message, updatedAt: good.updatedAt, regions: {} },
    ],
    ['missing language', { ...good, message: { ko: 'x' } }],
    ['extra language', { ...good, message: { ko: 'x', en: 'y', ja: 'z' } }],
    ['long message', { ...good, message: { ko: 'x'.repeat(2001), en: 'y' } }],
    ['max message', { ...good, message: { ko: 'x'.repeat(2000), en: 'y' } }],
    ['bad region state', { ...good, regions: { 'ap-northeast-2': 'on fire' } }],
    ['regions array', { ...good, regions: ['down'] }],
    ['no promises (older shopctl)', { ...good, promises: undefined }],
    ['empty promises', { ...good, promises: {} }],
    [
      'withheld promises',
      { ...good, promises: { dataSafe: false, notChargedTwice: false, compensation: false } },
    ],
    ['promise true', { ...good, promises: { dataSafe: true } }],
    ['promise one language', { ...good, promises: { notChargedTwice: { ko: '가' } } }],
    ['promise empty text', { ...good, promises: { notChargedTwice: { ko: '', en: 'x' } } }],
    ['promise too long', { ...good, promises: { dataSafe: { ko: '가'.repeat(1001), en: 'x' } } }],
    ['promise at limit', { ...good, promises: { dataSafe: { ko: '가'.repeat(1000), en: 'x' } } }],
    ['unknown promise', { ...good, promises: { freeShipping: false } }],
    [
      'compensation',
      { ...good, promises: { compensation: { offers: ['points'], details: { ko: '가', en: 'a' } } } },
    ],
    [
      'compensation no offers',
      { ...good, promises: { compensation: { offers: [], details: { ko: '가', en: 'a' } } } },
    ],
    [
      'compensation bad offer',
      { ...good, promises: { compensation: { offers: ['cash'], details: { ko: '가', en: 'a' } } } },
    ],
    ['compensation no details', { ...good, promises: { compensation: { offers: ['coupon'] } } }],
    [
      'compensation extra key',
      { ...good, promises: { compensation: { offers: ['coupon'], details: { ko: '가', en: 'a' }, x: 1 } } },
    ],
    ['promises array', { ...good, promises: [] }],
    ['no regions', { ...good, regions: {} }],
    ['array', [good]],
    ['null', null],
    ['string', 'down'],
  ];

  test('the example notice says when service is expected back', () => {
    expect(good.expectedBackAt).toBe('2026-12-05T07:00:00.000Z');
  });

  test.each(cases)('%s', (_name, value) => {
    expect(isValidStatus(JSON.parse(JSON.stringify(value)))).toBe(statusSchema.safeParse(value).success);
  });

  test('names every known region in both languages (for regions only a notice lists)', () => {
    expect(sandbox.outagePage!.REGION_NAMES).toEqual(JSON.parse(JSON.stringify(REGION_NAMES)));
    for (const r of KNOWN_REGIONS) expect(REGION_NAMES[r]).toHaveLength(2);
  });

  test('re-reads every 60 s', () => {
    expect(sandbox.outagePage!.REFRESH_MS).toBe(60_000);
  });
});
