/** The config keys the shop and the outage page speak with: `contacts` per language and `currency`. */
import { ConfigError } from '../lib/config/load';
import { contactsIn } from '../lib/contract/contacts';
import { testConfig } from './support/config';

function problemsOf(mutate: (raw: Record<string, any>) => void): string[] {
  try {
    testConfig(mutate);
  } catch (e) {
    if (e instanceof ConfigError) return e.message.split('\n').slice(1);
    throw e;
  }
  throw new Error('config was accepted');
}

describe('config: contacts per language and currency', () => {
  test('the default config: KRW, and Korean payment ways on Korean pages only', () => {
    const c = testConfig(() => undefined);
    expect(c.currency).toBe('KRW');
    expect(contactsIn(c.contacts, 'ko').paymentAlternatives.join(' ')).not.toMatch(/[A-Za-z]/);
    expect(contactsIn(c.contacts, 'en').paymentAlternatives.join(' ')).not.toMatch(/[가-힣]/);
    expect(contactsIn(c.contacts, 'ko').messengers[0].name).toBe('카카오톡');
    expect(contactsIn(c.contacts, 'en').messengers[0].name).toBe('KakaoTalk');
  });

  test('currency defaults to KRW when absent', () => {
    expect(testConfig((r) => delete r.currency).currency).toBe('KRW');
  });

  test('a plain list of payment ways and plain messenger names (the format before languages) still validate', () => {
    const c = testConfig((r) => {
      r.contacts.paymentAlternatives = ['Bank transfer (계좌이체)'];
      r.contacts.messengers = [{ name: 'KakaoTalk', url: 'https://pf.kakao.com/_x' }];
      delete r.contacts.phoneHours;
    });
    expect(contactsIn(c.contacts, 'ko').paymentAlternatives).toEqual(['Bank transfer (계좌이체)']);
    expect(contactsIn(c.contacts, 'en').messengers[0].name).toBe('KakaoTalk');
  });

  test.each<[string, (raw: Record<string, any>) => void, string]>([
    [
      'lower-case currency',
      (r) => (r.currency = 'krw'),
      'currency = "krw": must be in capitals. Fix: use "KRW"',
    ],
    [
      'a currency written as its name',
      (r) => (r.currency = 'EURO'),
      'currency = "EURO": is not an ISO 4217 currency code. Fix: use the three-letter code, "EUR" (Euro)',
    ],
    [
      'a currency code one letter off',
      (r) => (r.currency = 'USE'),
      'currency = "USE": is not an ISO 4217 currency code. Fix: use the three-letter code, "USD" (US Dollar)',
    ],
    [
      'a currency written as its Korean name',
      (r) => (r.currency = '원'),
      'currency = "원": is not an ISO 4217 currency code. Fix: use the three-letter code, "KRW" (South Korean Won) or "KPW" (North Korean Won)',
    ],
    [
      'a currency nothing resembles',
      (r) => (r.currency = 'QQQQ'),
      'currency = "QQQQ": is not an ISO 4217 currency code. Fix: use a three-letter code such as "KRW" (South Korean Won), "USD" (US Dollar), "JPY" (Japanese Yen)',
    ],
    [
      'phone hours in a language the shop does not show, instead of English',
      (r) => (r.contacts.phoneHours = { ko: '평일', ja: '平日' }),
      'contacts.phoneHours = {"ko":"평일","ja":"平日"}: has "ja", a language the shop and the outage page do not show (they show "ko", "en") and has no "en" text. Fix: replace "ja" with "en": "..."',
    ],
    [
      'phone hours with a third language',
      (r) => (r.contacts.phoneHours = { ko: '평일', en: 'Weekdays', ja: '平日' }),
      'contacts.phoneHours.ja = "平日": "ja" is a language the shop and the outage page do not show. Fix: remove it; they show "ko" and "en"',
    ],
    [
      'payment ways with a third language',
      (r) => (r.contacts.paymentAlternatives = { ko: ['계좌이체'], en: ['Bank transfer'], zh: ['银行转账'] }),
      'contacts.paymentAlternatives.zh = ["银行转账"]: "zh" is a language the shop and the outage page do not show. Fix: remove it; they show "ko" and "en"',
    ],
    [
      'unknown currency',
      (r) => (r.currency = 'WON'),
      'currency = "WON": is not an ISO 4217 currency code. Fix: use the three-letter code, "KRW" (South Korean Won) or "KPW" (North Korean Won)',
    ],
    [
      'numeric currency',
      (r) => (r.currency = 410),
      'currency = 410: must be an ISO 4217 currency code in quotes. Fix: write it like "KRW"',
    ],
    [
      'payment ways for one language only',
      (r) => (r.contacts.paymentAlternatives = { ko: ['계좌이체'] }),
      'contacts.paymentAlternatives = {"ko":["계좌이체"]}: has no "en" text. Fix: add "en": ["..."]',
    ],
    [
      'no payment way',
      (r) => (r.contacts.paymentAlternatives = []),
      'contacts.paymentAlternatives = []: needs at least one way to pay. Fix: list one, e.g. ["계좌이체"]',
    ],
    [
      'a messenger named in one language only',
      (r) => (r.contacts.messengers = [{ name: { ko: '카카오톡' }, url: 'https://pf.kakao.com/_x' }]),
      'contacts.messengers[0].name = {"ko":"카카오톡"}: has no "en" text. Fix: add "en": "..."',
    ],
    [
      'empty phone hours',
      (r) => (r.contacts.phoneHours = { ko: '', en: 'weekdays' }),
      'contacts.phoneHours.ko = "": must not be empty. Fix: write the text customers should read',
    ],
  ])('%s: key, value and fix', (_name, mutate, expected) => {
    const problems = problemsOf(mutate);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(expected);
  });

  test('every problem at once', () => {
    const problems = problemsOf((r) => {
      r.currency = 'usd';
      r.contacts.paymentAlternatives = { en: ['Bank transfer'] };
    });
    expect(problems.map((p) => p.trim().split(' = ')[0])).toEqual([
      '- contacts.paymentAlternatives',
      '- currency',
    ]);
  });
});
