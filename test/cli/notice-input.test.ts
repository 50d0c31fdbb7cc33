/**
 * `shopctl notice set` validates its input like config, before any AWS call: lengths, real
 * calendar dates, an ETA and an expected recovery time in the future (injected clock), no control characters, not blank once
 * invisible characters are removed. Exit 2 with flag, value and fix.
 */
import { CreateInvalidationCommand } from '@aws-sdk/client-cloudfront';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  BACK_AT_MAX_AHEAD_MS,
  ETA_MAX_AHEAD_MS,
  NOTICE_MAX_CHARS,
  noticeTextProblems,
  parseNoticeBackAt,
  parseNoticeEta,
} from '../../lib/contract/notice-input';
import { statusSchema } from '../../lib/contract/status';
import { EDGE, PRIMARY, SERVICES, STANDBY, throttle, World } from './world';

const NOW = new Date('2026-05-01T03:00:00Z');
const BASE = ['notice', 'set', '--severity', 'major'];

/** Every SDK call the command made, in any region. */
const awsCalls = (w: World) =>
  [PRIMARY, STANDBY, EDGE].flatMap((r) => SERVICES.flatMap((s) => w.m(r)[s].calls()));

test.each([
  [
    'an English text of 2,001 characters',
    ['--ko', '지연', '--en', 'x'.repeat(NOTICE_MAX_CHARS + 1)],
    '--en "xxxxx',
  ],
  [
    'an ETA of +999999999h',
    ['--ko', '지연', '--en', 'Delayed', '--eta', '+999999999h'],
    '--eta "+999999999h"',
  ],
  ['February 30th', ['--ko', '지연', '--en', 'Delayed', '--eta', '2026-02-30T10:00:00Z'], 'has no day 30'],
  [
    'an ETA in 1970',
    ['--ko', '지연', '--en', 'Delayed', '--eta', '1970-01-01T00:00:00Z'],
    'is not in the future',
  ],
  [
    'a recovery time already past',
    ['--ko', '지연', '--en', 'Delayed', '--back-at', '2026-05-01T11:59:00+09:00'],
    '--back-at "2026-05-01T11:59:00+09:00" is not in the future (now is 2026-05-01T03:00:00.000Z). ' +
      'Fix: give when service is expected back, e.g. 2026-05-01T04:00:00Z or +30m; ' +
      'if it is not known, leave --back-at out and the page says so',
  ],
  [
    'a recovery time of +721h',
    ['--ko', '지연', '--en', 'Delayed', '--back-at', '+721h'],
    '--back-at "+721h" is more than 30 days ahead. Fix: leave --back-at out',
  ],
  ['ANSI escapes', ['--ko', '지연', '--en', '\u001b[2J\u001b[31mDelayed'], 'control characters'],
  ['only a zero-width space', ['--ko', '\u200b', '--en', 'Delayed'], '--ko "\\u200b" is blank'],
])('%s: exit 2 with flag, value and fix; no AWS call', async (_name, flags, expected) => {
  const w = new World();
  const code = await w.run(...BASE, ...flags, '--yes');
  expect(code).toBe(2);
  expect(w.err).toContain('Invalid notice (nothing changed):');
  expect(w.err).toContain(expected);
  expect(w.err).toContain('Fix: ');
  expect(w.err).not.toContain('AWS call failed');
  // The escape is shown escaped, never sent to the operator's terminal.
  expect(w.err).not.toContain('\u001b');
  expect(awsCalls(w)).toEqual([]);
});

test('every problem at once', async () => {
  const w = new World();
  expect(await w.run(...BASE, '--ko', ' ', '--en', '\u0007', '--eta', '2026-13-01T00:00:00Z', '--yes')).toBe(
    2,
  );
  expect(w.err.split('\n').filter((l) => l.startsWith('  - '))).toHaveLength(3);
});

describe('parseNoticeEta', () => {
  test.each([
    ['+30m', '2026-05-01T03:30:00.000Z'],
    ['+2h', '2026-05-01T05:00:00.000Z'],
    ['2026-05-01T12:00:00+09:00', '2026-05-01T03:00:00.000Z'],
    ['2026-05-01T04:00Z', '2026-05-01T04:00:00.000Z'],
    ['2026-05-01T04:00:00.5Z', '2026-05-01T04:00:00.500Z'],
  ])('%s -> %s (or refused when not after now)', (eta, iso) => {
    const r = parseNoticeEta(eta, NOW);
    if (iso === NOW.toISOString()) expect(r.problem?.problem).toContain('not in the future');
    else expect(r.iso).toBe(iso);
  });
  test.each([
    ['2026-02-29T10:00:00Z', 'not a real calendar date'],
    ['2026-04-31T10:00:00Z', 'not a real calendar date'],
    ['2026-05-01T24:00:00Z', 'not a real time of day'],
    ['2026-05-01T10:00:00', 'neither an ISO 8601 time'],
    ['tomorrow', 'neither an ISO 8601 time'],
    ['+0m', 'not in the future'],
    ['+169h', 'more than 7 days ahead'],
  ])('%s is refused: %s', (eta, problem) => {
    expect(parseNoticeEta(eta, NOW).problem?.problem).toContain(problem);
  });
  test('a week ahead is the limit', () => {
    const week = new Date(NOW.getTime() + ETA_MAX_AHEAD_MS).toISOString();
    expect(parseNoticeEta(week, NOW).iso).toBe(week);
  });
});

describe('parseNoticeBackAt', () => {
  test.each([
    ['+2h', '2026-05-01T05:00:00.000Z'],
    ['+90m', '2026-05-01T04:30:00.000Z'],
    ['2026-05-01T16:00:00+09:00', '2026-05-01T07:00:00.000Z'],
    ['2026-05-01T03:00:01Z', '2026-05-01T03:00:01.000Z'],
  ])('%s -> %s', (value, iso) => {
    expect(parseNoticeBackAt(value, NOW)).toEqual({ iso });
  });
  test.each([
    ['2026-05-01T03:00:00Z', 'is not in the future (now is 2026-05-01T03:00:00.000Z)'],
    ['2026-05-01T11:00:00+09:00', 'is not in the future'],
    ['+0h', 'is not in the future'],
    ['2026-02-30T10:00:00Z', 'not a real calendar date'],
    ['soon', 'neither an ISO 8601 time'],
    ['+721h', 'more than 30 days ahead'],
  ])('%s is refused, naming --back-at: %s', (value, problem) => {
    const r = parseNoticeBackAt(value, NOW);
    expect(r.iso).toBeUndefined();
    expect(r.problem).toMatchObject({ flag: '--back-at', value: JSON.stringify(value) });
    expect(r.problem?.problem).toContain(problem);
  });
  test('30 days ahead is the limit; "now" comes from the injected clock', () => {
    const limit = new Date(NOW.getTime() + BACK_AT_MAX_AHEAD_MS).toISOString();
    expect(parseNoticeBackAt(limit, NOW).iso).toBe(limit);
    expect(parseNoticeBackAt(limit, new Date(NOW.getTime() - 1)).problem?.problem).toContain('30 days');
  });
});

describe('expectedBackAt in status.json (lib/contract/status.ts)', () => {
  const doc = {
    severity: 'major',
    message: { ko: '지연', en: 'Delayed' },
    updatedAt: '2026-05-01T03:00:00.000Z',
    nextUpdateAt: null,
    regions: {},
  };
  test.each([
    ['absent (not known; every older notice)', true, doc],
    ['a UTC time', true, { ...doc, expectedBackAt: '2026-05-01T05:00:00.000Z' }],
    ['null', false, { ...doc, expectedBackAt: null }],
    ['an offset instead of Z', false, { ...doc, expectedBackAt: '2026-05-01T14:00:00+09:00' }],
    ['not a time', false, { ...doc, expectedBackAt: 'in two hours' }],
  ])('%s: valid %s', (_name, ok, value) => {
    expect(statusSchema.safeParse(value).success).toBe(ok);
  });
});

test('--back-at: the exact PutObject body in both page buckets; shopctl status reads it back', async () => {
  const w = new World();
  const code = await w.run(
    ...BASE,
    '--ko',
    '결제 지연 중',
    '--en',
    'Payments are delayed',
    '--eta',
    '+30m',
    '--back-at',
    '2026-05-01T14:00:00+09:00',
    '--yes',
  );
  expect(code).toBe(0);
  const body = JSON.stringify(
    {
      severity: 'major',
      message: { ko: '결제 지연 중', en: 'Payments are delayed' },
      updatedAt: '2026-05-01T03:00:00.000Z',
      nextUpdateAt: '2026-05-01T03:30:00.000Z',
      expectedBackAt: '2026-05-01T05:00:00.000Z',
      regions: { [PRIMARY]: 'operational', [STANDBY]: 'operational' },
    },
    null,
    2,
  );
  const puts = [EDGE, PRIMARY].flatMap((r) =>
    w
      .m(r)
      .s3.commandCalls(PutObjectCommand)
      .map((c) => c.args[0].input),
  );
  expect(puts).toEqual([
    {
      Bucket: 'resilient-shop-outage-111111111111',
      Key: 'status.json',
      Body: body,
      ContentType: 'application/json',
      CacheControl: 'max-age=30',
    },
    {
      Bucket: expect.stringMatching(/^resilient-shop-outage-replica-/),
      Key: 'status.json',
      Body: body,
      ContentType: 'application/json',
      CacheControl: 'max-age=30',
    },
  ]);
  expect(w.out + w.err).toContain(
    'next update 2026-05-01T03:30:00.000Z, expected back 2026-05-01T05:00:00.000Z',
  );
  // The written notice reads back as a valid one: shopctl status shows when service is expected back.
  await w.run('status');
  expect(w.out).toContain(
    'Notice          major since 2026-05-01T03:00:00.000Z, next update 2026-05-01T03:30:00.000Z, expected back 2026-05-01T05:00:00.000Z: "Payments are delayed"',
  );
});

test('the printed rollback puts the previous expected recovery back (--back-at)', async () => {
  const w = new World();
  w.state.notice = JSON.stringify({
    severity: 'minor',
    message: { ko: '지연', en: 'Delayed' },
    updatedAt: '2026-05-01T02:00:00.000Z',
    nextUpdateAt: '2026-05-01T03:30:00.000Z',
    expectedBackAt: '2026-05-01T06:00:00.000Z',
    regions: { [PRIMARY]: 'operational', [STANDBY]: 'operational' },
  });
  w.m(EDGE).cloudfront.on(CreateInvalidationCommand).rejects(throttle());
  expect(await w.run(...BASE, '--ko', '결제 지연 중', '--en', 'Payments are delayed', '--yes')).toBe(4);
  expect(w.err).toContain(
    "To roll back instead: npx shopctl notice set --severity minor --ko '지연' --en Delayed --eta 2026-05-01T03:30:00.000Z --back-at 2026-05-01T06:00:00.000Z --yes",
  );
});

describe('noticeTextProblems', () => {
  test.each(['\u200b\u200c\u2060', '\u3164', ' \n\t', '\u00ad'])('blank: %j', (text) => {
    expect(
      noticeTextProblems('--ko', text)
        .map((p) => p.problem)
        .join(),
    ).toContain('blank');
  });
  test('a message with line breaks, Korean and an emoji passes', () => {
    expect(noticeTextProblems('--ko', '결제가 지연되고 있습니다.\n곧 안내드리겠습니다 🙏')).toEqual([]);
  });
  test('bidirectional overrides are refused', () => {
    expect(noticeTextProblems('--en', 'abc\u202edef')[0].problem).toContain('bidirectional');
  });
});

test('a status.json naming regions outside the config is reported as unreadable, with the fix', async () => {
  const w = new World();
  w.state.notice = JSON.stringify({
    severity: 'major',
    message: { ko: '지연', en: 'Delayed' },
    updatedAt: '2026-05-01T02:00:00Z',
    nextUpdateAt: null,
    regions: { [PRIMARY]: 'down', constructor: 'degraded' },
  });
  expect(await w.run(...BASE, '--ko', '지연', '--en', 'Delayed', '--dry-run')).toBe(0);
  expect(w.out + w.err).toContain(
    'could not read the current notice: status.json names regions that are not in the config: "constructor". Fix: run shopctl notice set or clear',
  );
});
