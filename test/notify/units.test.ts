/** Contact validation, SES SendEmail exact arguments (aws-sdk-client-mock), adapter error classes. */
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { ChannelError } from '../../shop/src/notify/channel';
import { isEmail, normaliseMobile, parseContact } from '../../shop/src/notify/contact';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { alimtalkDelivery, NhnAlimtalk, NhnSms, smsDelivery } from '../../shop/src/notify/nhn';
import { SesEmail } from '../../shop/src/notify/ses';
import { NotifyMetrics } from '../../shop/src/notify/metrics';
import { leaseOf, parseNotify, parseNotifySwitch, reportsOf } from '../../shop/src/notify/config';
import { loadConfig } from '../../lib/config/load';
import { shopNotify } from '../../lib/notify/regional-notify';
import type { OutgoingMessage } from '../../shop/src/notify/channel';
import { freePort } from '../support/postgres';

test.each([
  ['010-1234-5678', '01012345678'],
  ['010 1234 5678', '01012345678'],
  ['+82 10-1234-5678', '01012345678'],
  ['82-010-1234-5678', '01012345678'],
  ['011-123-4567', '0111234567'],
  ['02-123-4567', undefined],
  ['010-1234-567', undefined],
  ['010-1234-56789', undefined],
  ['1588-1234', undefined],
  ['010-abcd-5678', undefined],
])('normaliseMobile(%s) = %s', (input, out) => {
  expect(normaliseMobile(input)).toBe(out);
});

test.each([
  ['kim@example.com', true],
  ['a.b+tag@sub.example.co.kr', true],
  ['no-at.example.com', false],
  ['kim@localhost', false],
  ['kim@exa mple.com', false],
  [`${'a'.repeat(250)}@example.com`, false],
])('isEmail(%s) = %s', (input, ok) => {
  expect(isEmail(input)).toBe(ok);
});

test('parseContact: nothing given is no contact; a non-text field is refused', () => {
  expect(parseContact({}, 'ko')).toBeUndefined();
  expect(parseContact({ phone: '', email: '  ' }, 'ko')).toBeUndefined();
  expect(() => parseContact({ phone: 1234 }, 'en')).toThrow('phone and email must be text.');
  expect(parseContact({ email: ' kim@example.com ', consent: 'on' }, 'en')).toEqual({
    email: 'kim@example.com',
    lang: 'en',
  });
});

const message: OutgoingMessage = {
  noticeId: '42',
  orderId: '0b5e7c1a-1111-2222-3333-444455556666',
  kind: 'payment-confirmed',
  detail: { amount: 19000 },
  lang: 'en',
  email: 'kim@example.com',
  attemptId: 'a-1',
};

test('SES: SendEmail with exactly these arguments; the MessageId is the provider reference', async () => {
  const ses = mockClient(SESv2Client);
  ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });
  const channel = new SesEmail(
    { from: 'orders@shop.example.com', configurationSet: 'shop-events' },
    new SESv2Client({}),
  );
  expect(await channel.send(message, new AbortController().signal)).toEqual({ providerRef: 'm-1' });
  expect(ses.commandCalls(SendEmailCommand).map((c) => c.args[0].input)).toEqual([
    {
      FromEmailAddress: 'orders@shop.example.com',
      Destination: { ToAddresses: ['kim@example.com'] },
      Content: {
        Simple: {
          Subject: { Data: '[Resilient Shop] Payment confirmed', Charset: 'UTF-8' },
          Body: {
            Text: { Data: 'Your payment of ₩19,000 for order 0b5e7c1a is confirmed.', Charset: 'UTF-8' },
          },
        },
      },
      EmailTags: [
        { Name: 'notice', Value: '42' },
        { Name: 'attempt', Value: 'a-1' },
      ],
      ConfigurationSetName: 'shop-events',
    },
  ]);
  ses.restore();
});

test.each([
  [400, 'no'],
  [429, 'no'],
  [500, 'maybe'],
  [503, 'maybe'],
])('SES error HTTP %d: delivered=%s', async (status, delivered) => {
  const ses = mockClient(SESv2Client);
  ses
    .on(SendEmailCommand)
    .rejects(Object.assign(new Error('x'), { name: 'X', $metadata: { httpStatusCode: status } }));
  const channel = new SesEmail({ from: 'orders@shop.example.com' }, new SESv2Client({}));
  const err = await channel.send(message, new AbortController().signal).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ChannelError);
  expect((err as ChannelError).delivered).toBe(delivered);
  ses.restore();
});

test('NHN SMS: a refused connection is certainly not delivered', async () => {
  const port = await freePort(); // nothing listens there
  const sms = new NhnSms(
    { baseUrl: `http://127.0.0.1:${port}`, appKey: 'k', sendNo: '0212345678' },
    async () => 's',
  );
  const err = await sms
    .send({ ...message, phone: '01012345678' }, new AbortController().signal)
    .catch((e) => e);
  expect(err).toMatchObject({ channel: 'sms', delivered: 'no', message: 'sms: ECONNREFUSED' });
});

/** A one-answer HTTP server recording what it was asked. */
async function answering(status: number, body: unknown) {
  const seen: { method?: string; url?: string; secret?: string }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    seen.push({ method: req.method, url: req.url, secret: req.headers['x-secret-key'] as string });
    req.resume();
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const TEMPLATE_CODES = Object.fromEntries(
  ['order-received', 'payment-confirmed'].map((k) => [k, k.toUpperCase()]),
);

test('NHN 알림톡: the receipt is requestId/recipientSeq; a recipient refused in the send answer is certainly not delivered', async () => {
  const ok = await answering(200, {
    header: { isSuccessful: true, resultCode: 0, resultMessage: 'SUCCESS' },
    message: { requestId: 'R1', sendResults: [{ recipientSeq: 1, resultCode: 0, resultMessage: 'SUCCESS' }] },
  });
  const refused = await answering(200, {
    header: { isSuccessful: true, resultCode: 0, resultMessage: 'SUCCESS' },
    message: {
      requestId: 'R2',
      sendResults: [{ recipientSeq: 1, resultCode: -5000, resultMessage: 'RecipientNo is invalid.' }],
    },
  });
  try {
    const at = (url: string) =>
      new NhnAlimtalk(
        { baseUrl: url, appKey: 'app', senderKey: 's', templates: TEMPLATE_CODES },
        async () => 'k',
      );
    const m = { ...message, phone: '01012345678' };
    expect(await at(ok.url).send(m, new AbortController().signal)).toEqual({ providerRef: 'R1/1' });
    expect(
      await at(refused.url)
        .send(m, new AbortController().signal)
        .catch((e) => e),
    ).toMatchObject({
      channel: 'alimtalk',
      delivered: 'no',
      message: 'alimtalk: recipient rejected (-5000 RecipientNo is invalid.)',
    });
  } finally {
    await Promise.all([ok.close(), refused.close()]);
  }
});

test.each([
  [
    'alimtalk',
    { message: { messageStatus: 'FAILED', resultCode: '3019' } },
    '/alimtalk/v2.3/appkeys/app/messages/R1/1',
    { state: 'failed', code: '3019' },
  ],
  [
    'sms',
    { body: { data: { msgStatus: '3', resultCode: '1000' } } },
    '/sms/v3.0/appKeys/app/sender/sms/R1?recipientSeq=1',
    { state: 'delivered', code: '1000' },
  ],
])('NHN %s result look-up: GET the documented path with the secret key', async (id, body, path, report) => {
  const srv = await answering(200, { header: { isSuccessful: true, resultCode: 0 }, ...body });
  try {
    const channel =
      id === 'alimtalk'
        ? new NhnAlimtalk({ baseUrl: srv.url, appKey: 'app', senderKey: 's', templates: {} }, async () => 'k')
        : new NhnSms({ baseUrl: srv.url, appKey: 'app', sendNo: '0212345678' }, async () => 'k');
    expect(await channel.checkDelivery('R1/1', new AbortController().signal)).toEqual(report);
    expect(srv.seen).toEqual([{ method: 'GET', url: path, secret: 'k' }]);
  } finally {
    await srv.close();
  }
});

test('NHN result look-up: isSuccessful false or HTTP 500 throws (the look-up breaker counts it)', async () => {
  for (const [status, body] of [
    [200, { header: { isSuccessful: false, resultCode: -1001, resultMessage: 'Invalid secretKey.' } }],
    [500, { message: 'internal' }],
  ] as const) {
    const srv = await answering(status, body);
    try {
      const sms = new NhnSms({ baseUrl: srv.url, appKey: 'app', sendNo: '0212345678' }, async () => 'k');
      await expect(sms.checkDelivery('R1/1', new AbortController().signal)).rejects.toThrow(
        status === 200 ? 'sms look-up: HTTP 200 -1001 Invalid secretKey.' : 'sms look-up: HTTP 500',
      );
    } finally {
      await srv.close();
    }
  }
});

test('metrics: per-channel deltas since the last publication, the heartbeat, the read flag and the oldest unsent age', async () => {
  const counters = { sent: 5, failed: 2, fallbacks: 2, delivered: 3, deliveryFailed: 1, deliveryUnknown: 1 };
  const fake = {
    channelReport: () => [
      { channel: 'alimtalk' as const, breaker: 'open' as const, disabled: false, counters: { ...counters } },
    ],
    oldestUnsentAgeSeconds: async () => 42,
  };
  const sent: unknown[] = [];
  const m = new NotifyMetrics(
    fake,
    async (ns, data) => void sent.push([ns, data]),
    'shop/notify',
    'ap-northeast-2',
  );
  const at = new Date('2026-12-07T12:00:00Z');
  await m.publish(at);
  counters.sent = 7;
  counters.delivered = 5;
  await m.publish(at);
  const dims = [
    { Name: 'Region', Value: 'ap-northeast-2' },
    { Name: 'Channel', Value: 'alimtalk' },
  ];
  const datum = (MetricName: string, Value: number) => ({
    MetricName,
    Dimensions: dims,
    Timestamp: at,
    Unit: 'Count',
    Value,
  });
  const regional = (MetricName: string, Value: number, Unit = 'Count') => ({
    MetricName,
    Dimensions: [{ Name: 'Region', Value: 'ap-northeast-2' }],
    Timestamp: at,
    Unit,
    Value,
  });
  const gauges = [
    regional('PublisherHeartbeat', 1),
    regional('OutboxUnreadable', 0),
    regional('OldestUnsentAgeSeconds', 42, 'Seconds'),
  ];
  expect(sent).toEqual([
    [
      'shop/notify',
      [
        datum('Sent', 5),
        datum('Failed', 2),
        datum('Fallbacks', 2),
        datum('Delivered', 3),
        datum('DeliveryFailed', 1),
        datum('DeliveryUnknown', 1),
        ...gauges,
      ],
    ],
    [
      'shop/notify',
      [
        datum('Sent', 2),
        datum('Failed', 0),
        datum('Fallbacks', 0),
        datum('Delivered', 2),
        datum('DeliveryFailed', 0),
        datum('DeliveryUnknown', 0),
        ...gauges,
      ],
    ],
  ]);
});

const TEMPLATES = Object.fromEntries(
  [
    'order-received',
    'payment-confirmed',
    'payment-confirming',
    'awaiting-transfer',
    'payment-failed',
    'order-cancelled',
    'payment-refunded',
  ].map((k) => [k, k.toUpperCase()]),
);
const ALIMTALK = {
  id: 'alimtalk',
  kind: 'nhn-alimtalk',
  baseUrl: 'https://kakaotalk-bizmessage.api.nhncloudservice.com',
  appKey: 'app',
  senderKey: 'sender',
  templates: TEMPLATES,
  secretName: 'shop/notify/alimtalk',
};
const SES = { id: 'email', kind: 'ses', from: 'orders@shop.example.com' };

test('SHOP_NOTIFY: unset is no dispatcher; defaults; the lease follows the deadline', () => {
  expect(parseNotify(undefined)).toBeUndefined();
  const s = parseNotify(
    JSON.stringify({ channels: [ALIMTALK, SES], switchParameter: '/shop/notify/disabled' }),
  )!;
  expect(s).toMatchObject({
    deadlineMs: 5000,
    dispatchEverySeconds: 5,
    breaker: { consecutiveFailures: 3, halfOpenAfterMs: 30_000 },
    retrySeconds: 30,
  });
  expect(s.channels.map((c) => c.id)).toEqual(['alimtalk', 'email']);
  // Delivery results are read by default: first look-up 10 s after the accept, every 30 s, 10 min.
  expect(reportsOf(s)).toEqual({ firstCheckMs: 10_000, everyMs: 30_000, deadlineMs: 600_000 });
  const off = parseNotify(JSON.stringify({ channels: [SES], deliveryReports: { enabled: false } }))!;
  expect(reportsOf(off)).toBeUndefined();
});

// NHN Cloud 알림톡 "Get Messages" and SMS "Query Delivery" results (codes: shop/src/notify/nhn.ts).
test.each([
  [
    { messageStatus: 'COMPLETED', resultCode: '1000', resendStatus: 'RSC01' },
    { state: 'delivered', code: '1000' },
  ],
  [
    { messageStatus: 'FAILED', resultCode: '3019', resendStatus: 'RSC01' },
    { state: 'failed', code: '3019' },
  ],
  [
    { messageStatus: 'COMPLETED', resultCode: '3020' },
    { state: 'failed', code: '3020' },
  ],
  [{ messageStatus: 'CANCEL' }, { state: 'failed', code: 'CANCEL' }],
  [
    { messageStatus: 'COMPLETED', resultCode: '3005' },
    { state: 'pending', code: '3005' },
  ],
  [{ messageStatus: 'READY' }, { state: 'pending', code: 'READY' }],
  [{}, { state: 'pending' }],
  [
    { messageStatus: 'FAILED', resultCode: '3019', resendStatus: 'RSC03' },
    { state: 'pending', code: 'RSC03' },
  ],
  [
    { messageStatus: 'FAILED', resultCode: '3019', resendStatus: 'RSC04', resendResultCode: '1000' },
    { state: 'delivered', code: 'RSC04 1000' },
  ],
  [
    { messageStatus: 'FAILED', resultCode: '3019', resendStatus: 'RSC05', resendResultCode: '3001' },
    { state: 'failed', code: '3019 RSC05 3001' },
  ],
])('알림톡 result %j means %j', (result, report) => {
  expect(alimtalkDelivery(result)).toEqual(report);
});

test.each([
  [
    { msgStatus: '3', resultCode: '1000' },
    { state: 'delivered', code: '1000' },
  ],
  [
    { msgStatus: '3', resultCode: '3001' },
    { state: 'failed', code: '3001' },
  ],
  [
    { msgStatus: '0', resultCode: '2003' },
    { state: 'failed', code: '2003' },
  ],
  [{ msgStatus: '4' }, { state: 'failed', code: 'msgStatus 4' }],
  [{ msgStatus: '5' }, { state: 'failed', code: 'msgStatus 5' }],
  [{ msgStatus: '1' }, { state: 'pending', code: 'msgStatus 1' }],
  [{ msgStatus: '2' }, { state: 'pending', code: 'msgStatus 2' }],
  [{ msgStatus: '7' }, { state: 'pending', code: 'msgStatus 7' }],
  [{ msgStatus: '3' }, { state: 'pending', code: 'msgStatus 3' }],
])('SMS result %j means %j', (result, report) => {
  expect(smsDelivery(result)).toEqual(report);
});

test.each([
  ['{', "SHOP_NOTIFY is not JSON; fix the web tier's environment file"],
  ['{"channels":[]}', 'SHOP_NOTIFY.channels: Too small'],
  [JSON.stringify({ channels: [{ ...ALIMTALK, id: 'sms' }] }), 'SHOP_NOTIFY.channels.0.id:'],
  [
    JSON.stringify({ channels: [{ ...ALIMTALK, secretName: undefined }] }),
    'SHOP_NOTIFY.channels.0.secretName:',
  ],
  [
    JSON.stringify({ channels: [SES, SES] }),
    'SHOP_NOTIFY.channels: "email" appears twice; list each channel once',
  ],
  [
    JSON.stringify({ channels: [{ ...ALIMTALK, templates: { 'order-received': 'X' } }] }),
    'SHOP_NOTIFY.channels.0.templates: no template for payment-confirmed, payment-confirming, awaiting-transfer, payment-failed, order-cancelled, payment-refunded; add the approved template codes',
  ],
  [
    JSON.stringify({ channels: [SES], deadlineMs: 5000, leaseMs: 9000 }),
    'SHOP_NOTIFY.leaseMs: 9000 is less than twice deadlineMs (5000); a slow send would be declared dead',
  ],
  [
    JSON.stringify({ channels: [SES], deliveryReports: { firstCheckSeconds: 60, deadlineSeconds: 30 } }),
    'SHOP_NOTIFY.deliveryReports.deadlineSeconds: 30 is less than firstCheckSeconds (60); no result would ever be read',
  ],
])('SHOP_NOTIFY %s is refused naming the key', (raw, message) => {
  expect(() => parseNotify(raw)).toThrow(message);
});

test('notify switch: an array of channel ids; anything else throws (the poller keeps the last value)', () => {
  expect(parseNotifySwitch('[]')).toEqual([]);
  expect(parseNotifySwitch('["alimtalk","fax"]')).toEqual(['alimtalk', 'fax']);
  expect(() => parseNotifySwitch('{"alimtalk":true}')).toThrow('notify switch is not a JSON array');
  expect(() => parseNotifySwitch('["provider:toss"]')).toThrow('is not a channel id');
});

test('the SHOP_NOTIFY the web tier writes from config/default.json is what the shop parses', () => {
  const written = shopNotify(loadConfig('default'))!;
  const s = parseNotify(JSON.stringify(written))!;
  expect(s.channels.map((c) => [c.id, c.kind])).toEqual(written.channels.map((c) => [c.id, c.kind]));
  expect(leaseOf(s)).toBe(written.leaseMs);
  expect(s).toMatchObject({
    deadlineMs: written.deadlineMs,
    dispatchEverySeconds: written.dispatchEverySeconds,
    breaker: written.breaker,
    switchParameter: written.switchParameter,
    namespace: written.namespace,
  });
});
