import { ConfigError, loadConfig } from '../lib/config/load';
import { Names } from '../lib/config/names';
import { formatSwitchValue, parseSwitchValue } from '../lib/contract/payments';
import { shopPayments } from '../lib/payments/regional-payments';
import { testConfig } from './support/config';

function errorOf(mutate: (raw: Record<string, any>) => void): ConfigError {
  try {
    testConfig(mutate);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('config was accepted');
}

describe('payments config', () => {
  test('the default config offers two providers in fallback order and both manual ways', () => {
    const { payments } = loadConfig('default');
    expect(payments.providers.map((p) => [p.id, p.kind, p.methods])).toEqual([
      ['toss', 'toss-payments', ['card', 'easy-pay']],
      ['kakaopay', 'kakaopay', ['easy-pay']],
    ]);
    expect(payments.manual.phoneOrders).toBe(true);
    expect(payments.manual.bankTransfer?.holdHours).toBe(24);
    expect(payments.alarms).toEqual({
      approvalRateFloorPercent: 80,
      minimumAttempts: 20,
      unknownsThreshold: 3,
    });
  });

  test('names follow the contract', () => {
    const names = new Names(loadConfig('default'));
    expect(names.paymentSecretName('toss')).toBe('resilient-shop/payments/toss');
    expect(names.paymentsSwitchParameter()).toBe('/resilient-shop/payments/disabled');
    expect(names.paymentsNamespace()).toBe('resilient-shop/payments');
    expect(names.testSigningSecretName()).toBe('resilient-shop/test-signing');
  });

  test.each<[string, (raw: Record<string, any>) => void, string]>([
    ['a missing payments key', (r) => delete r.payments, 'payments = (missing): is required'],
    [
      'two providers with one id',
      (r) => (r.payments.providers[1].id = 'toss'),
      'payments.providers[1].id = "toss": duplicates payments.providers[0].id: the id names the provider\'s secret and its switch entry "provider:toss". Fix: give each provider its own id, e.g. "toss-2"',
    ],
    [
      'an id that cannot name a secret',
      (r) => (r.payments.providers[0].id = 'Toss Payments'),
      'payments.providers[0].id = "Toss Payments": must be 2-31 lower-case letters, digits and dashes starting with a letter (it names the secret, the switch entry and the metric dimension). Fix: e.g. "toss"',
    ],
    [
      'an unknown provider kind',
      (r) => (r.payments.providers[1].kind = 'kakao-pay'),
      'payments.providers[1].kind = "kakao-pay": is not a provider kind the shop has an adapter for (toss-payments, kakaopay; lib/contract/payments.ts). Fix: use kakaopay',
    ],
    [
      'a method the kind cannot take',
      (r) => (r.payments.providers[1].methods = ['easy-pay', 'card']),
      'payments.providers[1].methods[1] = "card": is not a method a kakaopay provider takes (it takes easy-pay). Fix: remove it, or offer it through a provider of another kind',
    ],
    [
      'a manual method offered by a provider',
      (r) => (r.payments.providers[0].methods = ['card', 'bank-transfer']),
      'payments.providers[0].methods[1] = "bank-transfer": is a manual way to pay, taken without a provider. Fix: remove it here and configure it under payments.manual (bankTransfer)',
    ],
    [
      'an unknown method',
      (r) => (r.payments.providers[0].methods = ['crad']),
      'payments.providers[0].methods[0] = "crad": is not an online payment method (card, easy-pay). Fix: use card',
    ],
    [
      'a method listed twice',
      (r) => (r.payments.providers[0].methods = ['card', 'card']),
      'payments.providers[0].methods[1] = "card": is listed twice. Fix: list each method once',
    ],
    [
      'a provider with no method',
      (r) => (r.payments.providers[0].methods = []),
      'payments.providers[0].methods = []: needs at least one online method, e.g. ["card"]. Fix: add one',
    ],
    [
      'a plain-http base URL',
      (r) => (r.payments.providers[0].baseUrl = 'http://api.tosspayments.com'),
      'payments.providers[0].baseUrl = "http://api.tosspayments.com": is not https: the shop sends the provider\'s secret key with every call. Fix: use "https://api.tosspayments.com"',
    ],
    [
      'a base URL with credentials',
      (r) => (r.payments.providers[0].baseUrl = 'https://test_sk:x@api.tosspayments.com'),
      'payments.providers[0].baseUrl = "https://test_sk:x@api.tosspayments.com": carries credentials: secret keys live in Secrets Manager (resilient-shop/payments/toss), never in the config. Fix: remove "test_sk:…@" from the URL',
    ],
    [
      'a base URL that is not a URL',
      (r) => (r.payments.providers[0].baseUrl = 'api.tosspayments.com'),
      'payments.providers[0].baseUrl = "api.tosspayments.com": must be an absolute URL such as "https://api.tosspayments.com". Fix: correct the value',
    ],
    [
      'a window URL on a kakaopay provider',
      (r) => (r.payments.providers[1].windowUrl = 'https://shop.example.com/pay'),
      'payments.providers[1].windowUrl = "https://shop.example.com/pay": is only used by toss-payments providers (this one is kakaopay). Fix: remove it',
    ],
    [
      'a plain-http window URL',
      (r) => (r.payments.providers[0].windowUrl = 'http://shop.example.com/pay/toss'),
      'payments.providers[0].windowUrl = "http://shop.example.com/pay/toss": must be an https URL such as "https://shop.example.com/pay/toss". Fix: correct the value',
    ],
    [
      'a timeout below a second',
      (r) => (r.payments.providers[0].timeoutMs = 50),
      'payments.providers[0].timeoutMs = 50: Too small: expected number to be >=1000',
    ],
    [
      'a timeout outside the breaker window',
      (r) => {
        r.payments.breaker.windowSeconds = 10;
        r.payments.providers[0].timeoutMs = 10000;
      },
      'payments.providers[0].timeoutMs = 10000: is not shorter than payments.breaker.windowSeconds (10 s): a call that times out would end after the window that should count it, so the breaker could not open on timeouts. Fix: lower timeoutMs below 10000 or raise windowSeconds',
    ],
    [
      'no provider',
      (r) => (r.payments.providers = []),
      'payments.providers = []: lists no provider, so the shop has no online way to pay. Fix: add one, e.g. { "id": "toss"',
    ],
    [
      'no manual way to pay',
      (r) => (r.payments.manual = { phoneOrders: false }),
      'payments.manual = {"phoneOrders":false}: offers no manual way to pay: when every online method is down the shop could not sell at all. Fix: add "bankTransfer": { "bank", "account", "holder", "holdHours" } or set "phoneOrders": true',
    ],
    [
      'phoneOrders as a string',
      (r) => (r.payments.manual.phoneOrders = 'yes'),
      'payments.manual.phoneOrders = "yes": must be true or false (a JSON boolean, without quotes). Fix: write true or false, without quotes',
    ],
    [
      'a bank transfer held longer than a week',
      (r) => (r.payments.manual.bankTransfer.holdHours = 500),
      'payments.manual.bankTransfer.holdHours = 500: Too big: expected number to be <=168',
    ],
    [
      'a misspelt alarm key',
      (r) => (r.payments.alarms.unknownThreshold = 3),
      'payments.alarms.unknownThreshold = 3: unknown key. Did you mean "unknownThreshold" → "unknownsThreshold"?',
    ],
    [
      'an approval floor above 100 %',
      (r) => (r.payments.alarms.approvalRateFloorPercent = 120),
      'payments.alarms.approvalRateFloorPercent = 120: Too big: expected number to be <=100',
    ],
  ])('rejects %s with the key, the value and the fix', (_name, mutate, expected) => {
    const error = errorOf(mutate);
    expect(error.message).toContain(expected);
  });

  test("a Toss provider's window URL reaches SHOP_PAYMENTS; without one the key is absent", () => {
    const url = 'https://shop.example.com/pay/toss';
    const c = testConfig((r) => (r.payments.providers[0].windowUrl = url));
    expect(shopPayments(c).providers.map((p) => p.windowUrl)).toEqual([url, undefined]);
    expect('windowUrl' in shopPayments(loadConfig('default')).providers[0]).toBe(false);
  });

  test('the switch value reads back what was written, sorted and without repeats', () => {
    expect(formatSwitchValue(['provider:toss', 'method:card', 'provider:toss'])).toBe(
      '["method:card","provider:toss"]',
    );
    expect(parseSwitchValue('[]')).toEqual([]);
    expect(parseSwitchValue('["provider:toss","method:easy-pay"]')).toEqual([
      'provider:toss',
      'method:easy-pay',
    ]);
    expect(() => parseSwitchValue('{"toss":true}')).toThrow('payments switch is not a JSON array');
    expect(() => parseSwitchValue('["toss"]')).toThrow(
      'payments switch entry "toss" is not "provider:<id>" or "method:<method>"',
    );
  });
});
