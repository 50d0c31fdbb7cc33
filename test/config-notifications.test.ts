import { ConfigError, loadConfig } from '../lib/config/load';
import { Names } from '../lib/config/names';
import { oldestUnsentRecoverySeconds } from '../lib/config/rules';
import {
  formatNotifySwitchValue,
  NOTIFY_CHANNEL_KINDS,
  NOTIFY_CHANNELS,
  NOTIFY_NOTICE_KINDS,
  parseNotifySwitchValue,
  sesFromIdentities,
} from '../lib/contract/notify';
import { SHOP_ENV } from '../lib/contract/shop';
import { CHANNELS } from '../shop/src/notify/channel';
import { NOTICE_KINDS } from '../shop/src/notify/outbox';
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

const at = (i: number) => `notifications.channels[${i}]`;

describe('notifications config', () => {
  test('the default config sends 알림톡, then SMS, then e-mail, with the default lease', () => {
    const { notifications } = loadConfig('default');
    expect(notifications?.channels.map((c) => [c.id, c.kind])).toEqual([
      ['alimtalk', 'nhn-alimtalk'],
      ['sms', 'nhn-sms'],
      ['email', 'ses'],
    ]);
    expect(notifications?.leaseSeconds).toBe(60);
    expect(notifications?.alarms).toEqual({ oldestUnsentSeconds: 300 });
  });

  test('is optional: a config without it loads, with notifications undefined', () => {
    expect(testConfig((r) => delete r.notifications).notifications).toBeUndefined();
  });

  test('the contract lists the channels and notice kinds the shop has', () => {
    expect(NOTIFY_CHANNELS).toEqual(CHANNELS);
    expect(NOTIFY_NOTICE_KINDS).toEqual(NOTICE_KINDS);
    expect(Object.keys(NOTIFY_CHANNEL_KINDS)).toEqual([...CHANNELS]);
  });

  test('names and the environment variable follow the contract', () => {
    const names = new Names(loadConfig('default'));
    expect(names.notifySecretName('alimtalk')).toBe('resilient-shop/notify/alimtalk');
    expect(names.notifySwitchParameter()).toBe('/resilient-shop/notify/disabled');
    expect(names.notifyNamespace()).toBe('resilient-shop/notify');
    expect(names.notifyOldestUnsentAlarm('ap-northeast-2')).toBe(
      'resilient-shop-notify-oldest-unsent-ap-northeast-2',
    );
    expect(SHOP_ENV.notify).toBe('SHOP_NOTIFY');
  });

  test.each<[string, (raw: Record<string, any>) => void, string]>([
    [
      'no channel',
      (r) => (r.notifications.channels = []),
      'notifications.channels = []: lists no channel, so no notice could ever be sent. Fix: add one, e.g. { "id": "email", "kind": "ses", "from": "orders@shop.example.com" }, or remove the notifications key',
    ],
    [
      'a channel listed twice',
      (r) => (r.notifications.channels[2] = { ...r.notifications.channels[1] }),
      `${at(2)}.id = "sms": duplicates notifications.channels[1].id: the id names the channel's secret, its switch entry and its metric dimension, and a notice is sent at most once per channel. Fix: list each channel once`,
    ],
    [
      'an unknown channel id',
      (r) => (r.notifications.channels[1].id = 'sns'),
      `${at(1)}.id = "sns": is not a channel the shop has (alimtalk, sms, email; lib/contract/notify.ts). Fix: use sms`,
    ],
    [
      'an unknown kind',
      (r) => (r.notifications.channels[0].kind = 'nhn-alimtok'),
      `${at(0)}.kind = "nhn-alimtok": is not a channel kind the shop has an adapter for (nhn-alimtalk, nhn-sms, ses; lib/contract/notify.ts). Fix: use nhn-alimtalk`,
    ],
    [
      "a kind that is not the id's adapter",
      (r) => (r.notifications.channels[1].kind = 'nhn-alimtalk'),
      `${at(1)}.kind = "nhn-alimtalk": is not the adapter of channel "sms" (it is nhn-sms). Fix: use "nhn-sms"`,
    ],
    [
      'a plain-http base URL',
      (r) => (r.notifications.channels[1].baseUrl = 'http://sms.api.nhncloudservice.com'),
      `${at(1)}.baseUrl = "http://sms.api.nhncloudservice.com": is not https: the shop sends the channel's secret key with every message. Fix: use "https://sms.api.nhncloudservice.com"`,
    ],
    [
      'a base URL with credentials',
      (r) =>
        (r.notifications.channels[0].baseUrl =
          'https://key:s3cret@kakaotalk-bizmessage.api.nhncloudservice.com'),
      `${at(0)}.baseUrl = "https://key:s3cret@kakaotalk-bizmessage.api.nhncloudservice.com": carries credentials: secret keys live in Secrets Manager (resilient-shop/notify/alimtalk), never in the config. Fix: remove "key:…@" from the URL`,
    ],
    [
      'an NHN channel without base URL',
      (r) => delete r.notifications.channels[1].baseUrl,
      `${at(1)}.baseUrl = (missing): is required for a nhn-sms channel. Fix: add "baseUrl": "https://sms.api.nhncloudservice.com"`,
    ],
    [
      '알림톡 without a sender key',
      (r) => delete r.notifications.channels[0].senderKey,
      `${at(0)}.senderKey = (missing): is required for a nhn-alimtalk channel. Fix: add "senderKey": "<sender key of the KakaoTalk channel>"`,
    ],
    [
      '알림톡 missing templates',
      (r) => {
        delete r.notifications.channels[0].templates['payment-failed'];
        delete r.notifications.channels[0].templates['order-cancelled'];
      },
      `has no template for "payment-failed", "order-cancelled": 알림톡 sends only approved templates, so those notices would always fall back to the next channel. Fix: add "payment-failed": "<template code>", "order-cancelled": "<template code>"`,
    ],
    [
      'a template for a notice the shop does not have',
      (r) => (r.notifications.channels[0].templates['order-shiped'] = 'SHP01'),
      `${at(0)}.templates.order-shiped = "SHP01": unknown key.`,
    ],
    [
      'a template code that is not one',
      (r) => (r.notifications.channels[0].templates['order-received'] = 'order received!'),
      `${at(0)}.templates.order-received = "order received!": must be the code NHN Cloud shows for the approved template, without spaces. Fix: copy it from the console, e.g. "ORD01"`,
    ],
    [
      'a sender number with dashes',
      (r) => (r.notifications.channels[1].sendNo = '02-1234-5678'),
      `${at(1)}.sendNo = "02-1234-5678": must be the registered sender number as 8 to 12 digits in quotes, without "-", spaces or "+82". Fix: use "0212345678"`,
    ],
    [
      'a sender number as a JSON number',
      (r) => (r.notifications.channels[1].sendNo = 212345678),
      `${at(1)}.sendNo = 212345678: Invalid input: expected string, received number. Fix: write a text in double quotes`,
    ],
    [
      'a key of another kind',
      (r) => (r.notifications.channels[1].senderKey = 'abc'),
      `${at(1)}.senderKey = "abc": is only used by nhn-alimtalk channels (this one is nhn-sms). Fix: remove it`,
    ],
    [
      'an SES channel with a base URL',
      (r) => (r.notifications.channels[2].baseUrl = 'https://email.ap-northeast-2.amazonaws.com'),
      `${at(2)}.baseUrl = "https://email.ap-northeast-2.amazonaws.com": is only used by nhn-alimtalk and nhn-sms channels (this one is ses). Fix: remove it`,
    ],
    [
      'an SES channel without From',
      (r) => delete r.notifications.channels[2].from,
      `${at(2)}.from = (missing): is required for a ses channel. Fix: add "from": "\\"Shop\\" <orders@shop.example.com>"`,
    ],
    [
      'a From that is not an address in a domain',
      (r) => (r.notifications.channels[2].from = 'Resilient Shop <orders@localhost>'),
      `${at(2)}.from = "Resilient Shop <orders@localhost>": is not an e-mail address in a domain: SES sends only from a verified address or domain identity. Fix: write it like "\\"Shop\\" <orders@shop.example.com>" or "orders@shop.example.com"`,
    ],
    [
      'a configuration set name SES does not accept',
      (r) => (r.notifications.channels[2].configurationSet = 'shop notices'),
      `${at(2)}.configurationSet = "shop notices": must be an SES configuration set name: up to 64 letters, digits, "_" or "-". Fix: e.g. "shop-notices"`,
    ],
    [
      'a deadline the default lease cannot cover three times',
      (r) => (r.notifications.deadlineMs = 25000),
      'notifications.deadlineMs = 25000: leaves the lease (60 s, the default) no more than 3 × deadlineMs (25000 ms): a sender that is slow but alive could be declared dead and its notice sent again by the next channel. Fix: set notifications.leaseSeconds to 76 or more, or lower deadlineMs below 20000',
    ],
    [
      'a lease too short for the deadline',
      (r) => (r.notifications.leaseSeconds = 15),
      'notifications.leaseSeconds = 15: leaves the lease (15 s) no more than 3 × deadlineMs (5000 ms): a sender that is slow but alive could be declared dead and its notice sent again by the next channel. Fix: set notifications.leaseSeconds to 16 or more, or lower deadlineMs below 5000',
    ],
    [
      'an alarm that fires on an ordinary recovery',
      (r) => (r.notifications.alarms.oldestUnsentSeconds = 60),
      "notifications.alarms.oldestUnsentSeconds = 60: is not above the age a notice reaches in an ordinary recovery (80 s: a pass every 5 s, a dead sender's lease of 60 s and a deadline of 5000 ms on each of 3 channel(s)), so the alarm would fire when one instance stops. Fix: raise it to 140 or more",
    ],
    [
      'a deadline above 30 s',
      (r) => (r.notifications.deadlineMs = 60000),
      'notifications.deadlineMs = 60000: Too big: expected number to be <=30000. Fix: use 30000 or less',
    ],
    [
      'a misspelt breaker key',
      (r) => (r.notifications.breaker.consecutiveFailure = 3),
      'notifications.breaker.consecutiveFailure = 3: unknown key. Did you mean "consecutiveFailure" → "consecutiveFailures"?',
    ],
  ])('rejects %s with the key, the value and the fix', (_name, mutate, expected) => {
    expect(errorOf(mutate).message).toContain(expected);
  });

  test('every problem is listed at once, none with a stack trace', () => {
    const error = errorOf((r) => {
      r.notifications.channels[0].baseUrl = 'http://kakaotalk-bizmessage.api.nhncloudservice.com';
      r.notifications.channels[1].sendNo = '+82 2 1234 5678';
      r.notifications.channels[2].from = 'orders';
      r.notifications.leaseSeconds = 10;
    });
    expect(error.problems.map((p) => p.key)).toEqual([
      `${at(0)}.baseUrl`,
      `${at(1)}.sendNo`,
      `${at(2)}.from`,
      'notifications.leaseSeconds',
    ]);
    expect(error.message).not.toMatch(/\n\s+at /);
  });

  test('the recovery age counts a pass, a lease and every channel timing out', () => {
    expect(oldestUnsentRecoverySeconds(5, 60, 5000, 3)).toBe(80);
    expect(oldestUnsentRecoverySeconds(1, 10, 1500, 2)).toBe(14);
  });

  test('the SES identities of a From address are the address and its domain', () => {
    expect(sesFromIdentities('"Resilient Shop" <orders@Shop.Example.com>')).toEqual({
      address: 'orders@Shop.Example.com',
      domain: 'shop.example.com',
    });
    expect(sesFromIdentities('Shop <a@b.co>')).toEqual({ address: 'a@b.co', domain: 'b.co' });
    expect(sesFromIdentities('orders@shop.example.com')).toEqual({
      address: 'orders@shop.example.com',
      domain: 'shop.example.com',
    });
    expect(sesFromIdentities('orders')).toBeUndefined();
    expect(sesFromIdentities('Shop <orders@localhost>')).toBeUndefined();
  });

  test('the switch value reads back what was written, sorted and without repeats', () => {
    expect(formatNotifySwitchValue(['sms', 'alimtalk', 'sms'])).toBe('["alimtalk","sms"]');
    expect(parseNotifySwitchValue('[]')).toEqual([]);
    expect(parseNotifySwitchValue('["alimtalk"]')).toEqual(['alimtalk']);
    expect(() => parseNotifySwitchValue('{"alimtalk":true}')).toThrow('notify switch is not a JSON array');
    expect(() => parseNotifySwitchValue('["provider:toss"]')).toThrow(
      'notify switch entry "provider:toss" is not a channel id such as "alimtalk"',
    );
    expect(() => parseNotifySwitchValue('not json')).toThrow(SyntaxError);
  });
});
