/**
 * Hand-written twin of `statusSchema` in `lib/contract/status.ts`, so the canary bundle does not
 * pull in zod (see config.ts for the size budget). `test/canary/status.test.ts` checks that both
 * accept and reject the same documents; change them together.
 */

const SEVERITIES = ['none', 'info', 'minor', 'major'];
const REGION_STATES = ['operational', 'degraded', 'down', 'unknown'];
/** `z.iso.datetime()` defaults: seconds required, any fraction, UTC `Z` only. */
const DATETIME_RE = /^(\d{4})-(\d{2})-(\d{2})T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?Z$/;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function isDatetime(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  const m = DATETIME_RE.exec(v);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1) return false;
  // Day 0 of the next month is the last day of this one (Date.UTC handles leap years).
  return d <= new Date(Date.UTC(y, mo, 0)).getUTCDate();
}

function strictKeys(
  v: Record<string, unknown>,
  keys: string[],
  at: string,
  optional: string[] = [],
): string | undefined {
  for (const k of Object.keys(v))
    if (!keys.includes(k) && !optional.includes(k)) return `${at}${k}: unknown key`;
  for (const k of keys) if (!(k in v)) return `${at}${k}: required`;
  return undefined;
}

const PROMISE_MAX = 1000;
const OFFERS = ['coupon', 'extended-delivery', 'points'];

function localizedProblem(v: unknown, at: string): string | undefined {
  if (!isObject(v)) return `${at}: not an object`;
  const keyProblem = strictKeys(v, ['ko', 'en'], `${at}.`);
  if (keyProblem) return keyProblem;
  for (const lang of ['ko', 'en']) {
    const text = v[lang];
    if (typeof text !== 'string' || text.length < 1 || text.length > PROMISE_MAX)
      return `${at}.${lang}: must be a string of 1 to ${PROMISE_MAX} chars`;
  }
  return undefined;
}

/** `promises` (optional): each promise false or a text per language; compensation false or offers + details. */
function promisesProblem(p: unknown): string | undefined {
  if (!isObject(p)) return 'promises: not an object';
  const keyProblem = strictKeys(p, [], 'promises.', ['dataSafe', 'notChargedTwice', 'compensation']);
  if (keyProblem) return keyProblem;
  for (const key of ['dataSafe', 'notChargedTwice']) {
    if (key in p && p[key] !== false) {
      const problem = localizedProblem(p[key], `promises.${key}`);
      if (problem) return problem;
    }
  }
  const c = p.compensation;
  if (c === undefined || c === false) return undefined;
  if (!isObject(c)) return 'promises.compensation: not false or an object';
  const cKeys = strictKeys(c, ['offers', 'details'], 'promises.compensation.');
  if (cKeys) return cKeys;
  if (
    !Array.isArray(c.offers) ||
    c.offers.length === 0 ||
    !c.offers.every((o) => typeof o === 'string' && OFFERS.includes(o))
  )
    return `promises.compensation.offers: must list some of ${OFFERS.join(', ')}`;
  return localizedProblem(c.details, 'promises.compensation.details');
}

/** Returns undefined when `doc` is a valid status.json, else the first problem found. */
export function statusProblem(doc: unknown): string | undefined {
  if (!isObject(doc)) return 'not an object';
  const keyProblem = strictKeys(doc, ['severity', 'message', 'updatedAt', 'nextUpdateAt', 'regions'], '', [
    'promises',
    'expectedBackAt',
  ]);
  if (keyProblem) return keyProblem;
  if (typeof doc.severity !== 'string' || !SEVERITIES.includes(doc.severity)) return 'severity: invalid';
  const msg = doc.message;
  if (!isObject(msg)) return 'message: not an object';
  const msgProblem = strictKeys(msg, ['ko', 'en'], 'message.');
  if (msgProblem) return msgProblem;
  for (const lang of ['ko', 'en']) {
    const text = msg[lang];
    if (typeof text !== 'string' || text.length > 2000)
      return `message.${lang}: must be a string of at most 2000 chars`;
  }
  if (!isDatetime(doc.updatedAt)) return 'updatedAt: not an ISO 8601 UTC datetime';
  if (doc.nextUpdateAt !== null && !isDatetime(doc.nextUpdateAt))
    return 'nextUpdateAt: not null or an ISO 8601 UTC datetime';
  // Optional (absent = recovery time not known); when present, a time like nextUpdateAt, never null.
  if ('expectedBackAt' in doc && !isDatetime(doc.expectedBackAt))
    return 'expectedBackAt: not an ISO 8601 UTC datetime';
  if ('promises' in doc) {
    const problem = promisesProblem(doc.promises);
    if (problem) return problem;
  }
  if (!isObject(doc.regions)) return 'regions: not an object';
  for (const [region, state] of Object.entries(doc.regions)) {
    if (typeof state !== 'string' || !REGION_STATES.includes(state))
      return `regions.${region}: invalid state`;
  }
  return undefined;
}
