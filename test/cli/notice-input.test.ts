/**
 * `shopctl notice set` validates its input like config, before any AWS call: lengths, real
 * calendar dates, an ETA in the future (injected clock), no control characters, not blank once
 * invisible characters are removed. Exit 2 with flag, value and fix.
 */
import {
  ETA_MAX_AHEAD_MS,
  NOTICE_MAX_CHARS,
  noticeTextProblems,
  parseNoticeEta,
} from '../../lib/contract/notice-input';
import { EDGE, PRIMARY, SERVICES, STANDBY, World } from './world';

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
