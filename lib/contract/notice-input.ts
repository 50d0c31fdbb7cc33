/**
 * Operator input for the outage page's notice (`shopctl notice set`), validated like config before
 * any AWS call: every problem names the flag, the value and the fix. Pure functions with an
 * injected clock, so the CLI and its tests agree on what "in the future" means.
 */

/** Longest message per language (status.json `message`, lib/contract/status.ts). */
export const NOTICE_MAX_CHARS = 2000;
/** Furthest an ETA may be: a "next update" promised more than a week ahead is no promise. */
export const ETA_MAX_AHEAD_MS = 7 * 24 * 60 * 60 * 1000;
/**
 * Furthest an expected recovery may be: beyond 30 days it is no time a customer can wait for, and
 * the message should say what to do instead.
 */
export const BACK_AT_MAX_AHEAD_MS = 30 * 24 * 60 * 60 * 1000;

/** Control characters (ANSI escapes start with one), except the line feed a message may contain. */
const CONTROL_RE = /[^\P{Cc}\n]/u;
/** Bidirectional overrides and isolates: they reorder what the operator reads against what customers see. */
const BIDI_RE = /[\u202a-\u202e\u2066-\u2069]/u;
/**
 * What leaves nothing visible: white space, format characters (zero-width space and joiners, BOM,
 * soft hyphen) and the Hangul fillers and braille blank that render as empty space.
 */
const INVISIBLE_RE = /[\s\p{Cf}\p{Zs}\u115f\u1160\u3164\uffa0\u2800]/gu;

/** One problem with one flag: the flag, the value as given (escaped), and how to fix it. */
export interface InputProblem {
  flag: string;
  value: string;
  problem: string;
  fix: string;
}

/** The value as the operator can read it: invisible and control characters escaped, long values cut. */
export function showValue(value: string): string {
  const shown = JSON.stringify(value)
    .replace(/\\u001b/g, '\\e')
    .replace(/[\p{Cc}\p{Cf}\p{Zs}\u115f\u1160\u3164\uffa0\u2800]/gu, (c) =>
      c === ' ' ? c : `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`,
    );
  return shown.length > 80 ? `${shown.slice(0, 60)}…" (${value.length} characters)` : shown;
}

/** Problems with one language's notice text. */
export function noticeTextProblems(flag: string, value: string): InputProblem[] {
  const problems: InputProblem[] = [];
  const p = (problem: string, fix: string) => problems.push({ flag, value: showValue(value), problem, fix });
  if (value.replace(INVISIBLE_RE, '') === '')
    p(
      'is blank (nothing visible once spaces and zero-width characters are removed)',
      'write the message customers should read',
    );
  if ([...value].length > NOTICE_MAX_CHARS)
    p(
      `is ${[...value].length} characters long; the page shows at most ${NOTICE_MAX_CHARS}`,
      'shorten it: say what happened, what is safe and when the next update comes',
    );
  if (CONTROL_RE.test(value))
    p(
      'contains control characters (terminal escapes such as \\e[31m, tabs, carriage returns)',
      'remove them; line breaks are allowed',
    );
  if (BIDI_RE.test(value))
    p('contains bidirectional override characters', 'remove them (U+202A-202E, U+2066-2069)');
  return problems;
}

const ABSOLUTE_RE =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})$/;
const RELATIVE_RE = /^\+(\d{1,7})([smh])$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000 } as const;

/** A parsed time flag: the ISO time in UTC, or the problem. */
export type TimeResult = { iso: string; problem?: undefined } | { iso?: undefined; problem: InputProblem };

/** What differs between the notice's times: the flag, what the time means, how far ahead it may be. */
interface TimeFlag {
  readonly flag: string;
  /** Completes "give ...", e.g. "the time of the next update". */
  readonly what: string;
  readonly maxAheadMs: number;
  /** The problem and fix when the time is further ahead than `maxAheadMs`. */
  readonly tooFar: { problem: string; fix: string };
  /** Added to the fix of a time that is not in the future. */
  readonly pastHint?: string;
}

/**
 * A time flag (`+30m`, `+2h`, `+45s`, or an ISO 8601 time with its offset) as an ISO string in UTC,
 * or the problem: not a time, not a real calendar date (2026-02-30), not in the future, too far ahead.
 */
function parseNoticeTime(value: string, now: Date, f: TimeFlag): TimeResult {
  const fail = (problem: string, fix: string) => ({
    problem: { flag: f.flag, value: showValue(value), problem, fix },
  });
  const example = new Date(now.getTime() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const rel = RELATIVE_RE.exec(value.trim());
  let t: number;
  if (rel) {
    t = now.getTime() + Number(rel[1]) * UNIT_MS[rel[2] as keyof typeof UNIT_MS];
  } else {
    const m = ABSOLUTE_RE.exec(value.trim());
    if (!m)
      return fail(
        'is neither an ISO 8601 time with an offset nor a delay',
        `give a time such as ${example} or a delay such as +30m, +2h`,
      );
    const [y, mo, d, h, mi, s = '0'] = m
      .slice(1, 7)
      .map((x) => (x === undefined ? undefined : Number(x))) as number[];
    const day = new Date(Date.UTC(y, mo - 1, d));
    if (
      mo < 1 ||
      mo > 12 ||
      day.getUTCFullYear() !== y ||
      day.getUTCMonth() !== mo - 1 ||
      day.getUTCDate() !== d
    )
      return fail(
        `is not a real calendar date (${m[1]}-${m[2]} has no day ${m[3]})`,
        `give a real date, e.g. ${example}`,
      );
    if (h > 23 || mi > 59 || Number(s) > 59)
      return fail('is not a real time of day', `give hours 00-23 and minutes 00-59, e.g. ${example}`);
    t = Date.parse(value.trim());
    if (Number.isNaN(t)) return fail('is not a time JavaScript can read', `give a time such as ${example}`);
  }
  if (t <= now.getTime())
    return fail(
      `is not in the future (now is ${now.toISOString()})`,
      `give ${f.what}, e.g. ${example} or +30m${f.pastHint ?? ''}`,
    );
  if (t - now.getTime() > f.maxAheadMs) return fail(f.tooFar.problem, f.tooFar.fix);
  return { iso: new Date(t).toISOString() };
}

/**
 * The ETA of the next update (`--eta`) as an ISO string in UTC, or the problem: not a time, not a
 * real calendar date (2026-02-30), not in the future, more than a week ahead.
 */
export function parseNoticeEta(value: string, now: Date): TimeResult {
  return parseNoticeTime(value, now, {
    flag: '--eta',
    what: 'the time of the next update',
    maxAheadMs: ETA_MAX_AHEAD_MS,
    tooFar: {
      problem: 'is more than 7 days ahead',
      fix: 'promise the next update within a week (customers check back sooner); post a new one then',
    },
  });
}

/**
 * When service is expected back (`--back-at`, status.json `expectedBackAt`) as an ISO string in UTC,
 * or the problem: the same forms and checks as `--eta`, at most 30 days ahead. A time already past
 * is refused rather than written: the page would at once say "taking longer than expected".
 */
export function parseNoticeBackAt(value: string, now: Date): TimeResult {
  return parseNoticeTime(value, now, {
    flag: '--back-at',
    what: 'when service is expected back',
    maxAheadMs: BACK_AT_MAX_AHEAD_MS,
    tooFar: {
      problem: 'is more than 30 days ahead',
      fix: 'leave --back-at out (the page then says the time is not known yet) and say in the message what customers can do meanwhile',
    },
    pastHint: '; if it is not known, leave --back-at out and the page says so',
  });
}

/** All problems as one message, one line per problem: `flag value: problem. Fix: fix`. */
export function formatProblems(problems: InputProblem[]): string {
  return `Invalid notice (nothing changed):\n${problems.map((p) => `  - ${p.flag} ${p.value} ${p.problem}. Fix: ${p.fix}`).join('\n')}`;
}
