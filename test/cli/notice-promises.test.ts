import { CreateInvalidationCommand } from '@aws-sdk/client-cloudfront';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { PROMISE_MAX_CHARS, statusSchema } from '../../lib/contract/status';
import { EDGE, PRIMARY, STANDBY, throttle, World } from './world';

/** `npx shopctl notice set` and the outage page's promises and compensation (lib/contract/status.ts). */
const BASE = ['notice', 'set', '--ko', '결제 지연 중', '--en', 'Payments are delayed', '--severity', 'major'];
const putBodies = (w: World) =>
  w
    .m(EDGE)
    .s3.commandCalls(PutObjectCommand)
    .map((c) => c.args[0].input.Body as string);
const header = {
  severity: 'major',
  message: { ko: '결제 지연 중', en: 'Payments are delayed' },
  updatedAt: '2026-05-01T03:00:00.000Z',
  nextUpdateAt: null,
  regions: { [PRIMARY]: 'operational', [STANDBY]: 'operational' },
};

test('withhold a promise, reword another, announce compensation: exact PutObject body, valid for the page', async () => {
  const w = new World();
  const code = await w.run(
    ...BASE,
    '--withhold',
    'not-charged-twice',
    '--promise-data-safe-ko',
    '주문 정보는 안전합니다',
    '--promise-data-safe-en',
    'Your orders are safe',
    '--compensation',
    'coupon,extended-delivery',
    '--compensation-ko',
    '영향받은 고객께 10% 쿠폰',
    '--compensation-en',
    'A 10% coupon for affected customers',
    '--yes',
  );
  expect(code).toBe(0);
  const expected = {
    ...header,
    promises: {
      dataSafe: { ko: '주문 정보는 안전합니다', en: 'Your orders are safe' },
      notChargedTwice: false,
      compensation: {
        offers: ['coupon', 'extended-delivery'],
        details: { ko: '영향받은 고객께 10% 쿠폰', en: 'A 10% coupon for affected customers' },
      },
    },
  };
  expect(putBodies(w)).toEqual([JSON.stringify(expected, null, 2)]);
  expect(statusSchema.parse(JSON.parse(putBodies(w)[0]))).toEqual(expected);
});

test('--withhold takes both promises (repeated or comma-separated); no promise flag leaves no promises key', async () => {
  const w = new World();
  expect(await w.run(...BASE, '--withhold', 'data-safe,not-charged-twice', '--yes')).toBe(0);
  expect(putBodies(w)).toEqual([
    JSON.stringify({ ...header, promises: { dataSafe: false, notChargedTwice: false } }, null, 2),
  ]);
  const v = new World();
  expect(await v.run(...BASE, '--yes')).toBe(0);
  expect(putBodies(v)).toEqual([JSON.stringify(header, null, 2)]);
});

test('every problem of the flags at once, with the fix; nothing written', async () => {
  const w = new World();
  const code = await w.run(
    ...BASE,
    '--withhold',
    'data-safe,refunds',
    '--promise-data-safe-en',
    'Safe',
    '--promise-not-charged-twice-ko',
    '중복 결제 없음',
    '--compensation',
    'coupon,cash',
    '--compensation-en',
    'A coupon',
    '--yes',
  );
  expect(code).toBe(2);
  expect(w.err).toBe(
    [
      'Invalid notice flags (nothing changed):',
      '  - --withhold "refunds" is not a promise of the page. Fix: use data-safe or not-charged-twice',
      '  - --withhold data-safe and --promise-data-safe-en contradict each other. Fix: withhold the promise or reword it, not both',
      '  - --promise-not-charged-twice-ko given without --promise-not-charged-twice-en. Fix: reword the promise in both languages',
      '  - --compensation "coupon,cash": unknown offer "cash". Fix: one or more of coupon, extended-delivery, points, comma-separated',
      '  - --compensation needs --compensation-ko: who gets it, how much and how to claim it. Fix: add the text in both languages',
    ].join('\n'),
  );
  expect(w.mutatingCalls()).toEqual([]);
  expect(w.auditRecords().at(-1)).toMatchObject({ command: 'notice set', result: 'refused' });

  const v = new World();
  expect(await v.run(...BASE, '--compensation-ko', '쿠폰', '--yes')).toBe(2);
  expect(v.err).toContain(
    '--compensation-ko given without --compensation. Fix: name the offers, e.g. --compensation coupon',
  );
  expect(v.mutatingCalls()).toEqual([]);
});

test("the contract's own validator bounds the texts: a promise over the limit names its flag", async () => {
  const w = new World();
  const long = 'x'.repeat(PROMISE_MAX_CHARS + 1);
  const code = await w.run(
    ...BASE,
    '--promise-not-charged-twice-ko',
    '중복 결제 없음',
    '--promise-not-charged-twice-en',
    long,
    '--yes',
  );
  expect(code).toBe(2);
  expect(w.err).toMatch(
    /^ {2}- --promise-not-charged-twice-en: Too big: expected string to have <=1000 characters \(the outage page's contract, lib\/contract\/status\.ts\)\. Fix: shorten or correct it$/m,
  );
  expect(w.mutatingCalls()).toEqual([]);
});

test('the printed rollback and resume re-create the promises, quoted to run as printed', async () => {
  const w = new World();
  w.state.notice = JSON.stringify({
    ...header,
    severity: 'minor',
    promises: {
      notChargedTwice: false,
      compensation: { offers: ['points'], details: { ko: "고객님's 포인트", en: "We're adding points" } },
    },
  });
  w.m(EDGE).cloudfront.on(CreateInvalidationCommand).rejects(throttle());
  expect(
    await w.run(...BASE, '--promise-data-safe-ko', '안전', '--promise-data-safe-en', "It's safe", '--yes'),
  ).toBe(4);
  expect(w.err).toContain(
    `To roll back instead: npx shopctl notice set --severity minor --ko '결제 지연 중' --en 'Payments are delayed' --withhold not-charged-twice --compensation points --compensation-ko '고객님'\\''s 포인트' --compensation-en 'We'\\''re adding points' --yes`,
  );
  expect(w.err).toContain(
    `To resume (the command is idempotent): npx shopctl notice set --severity major --ko '결제 지연 중' --en 'Payments are delayed' --promise-data-safe-ko '안전' --promise-data-safe-en 'It'\\''s safe' --yes`,
  );
});
