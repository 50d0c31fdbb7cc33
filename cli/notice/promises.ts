import { COMPENSATION_OFFERS, Promises, promisesSchema } from '../../lib/contract/status';
import { UsageError } from '../aws/errors';

/**
 * `shopctl notice set` flags for the outage page's standing promises and compensation
 * (lib/contract/status.ts `promises`). A promise left out keeps the page's own wording; `--withhold`
 * writes `false` (the page says nothing rather than promise what the incident may break); a text per
 * language replaces it.
 */
export interface PromiseFlags {
  /** Promises to withhold, repeated or comma-separated: data-safe, not-charged-twice. */
  readonly withhold?: readonly string[];
  readonly promiseDataSafeKo?: string;
  readonly promiseDataSafeEn?: string;
  readonly promiseNotChargedTwiceKo?: string;
  readonly promiseNotChargedTwiceEn?: string;
  /** Offers, comma-separated: coupon, extended-delivery, points. */
  readonly compensation?: string;
  readonly compensationKo?: string;
  readonly compensationEn?: string;
}

/** The page's promises by their flag name. */
const PROMISES = {
  'data-safe': { key: 'dataSafe', ko: 'promiseDataSafeKo', en: 'promiseDataSafeEn' },
  'not-charged-twice': {
    key: 'notChargedTwice',
    ko: 'promiseNotChargedTwiceKo',
    en: 'promiseNotChargedTwiceEn',
  },
} as const;
type PromiseName = keyof typeof PROMISES;
const PROMISE_NAMES = Object.keys(PROMISES) as PromiseName[];

const flagOf = (camel: string) => `--${camel.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
const quote = (s: string) => JSON.stringify(s);

/** Maps a contract path (e.g. notChargedTwice.en) back to the flag that set it. */
function flagForPath(path: readonly PropertyKey[]): string {
  const [key, sub] = path.map(String);
  if (key === 'compensation') {
    if (sub === 'details') return `--compensation-${String(path[2] ?? 'ko')}`;
    return '--compensation';
  }
  const name = PROMISE_NAMES.find((n) => PROMISES[n].key === key);
  if (!name) return '--withhold';
  return sub === 'ko' || sub === 'en' ? flagOf(PROMISES[name][sub]) : `--promise-${name}-ko/-en`;
}

/**
 * Builds the `promises` of status.json from the flags, or undefined when none was given (the page
 * keeps its wording). Every problem is reported at once (flag, value, fix); the result is validated
 * with the contract's own schema, so shopctl never writes what the page and the canary would reject.
 */
export function parsePromises(f: PromiseFlags): Promises | undefined {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  const withheld = new Set<PromiseName>();
  for (const raw of (f.withhold ?? []).flatMap((w) => w.split(','))) {
    const name = raw.trim();
    if (PROMISE_NAMES.includes(name as PromiseName)) withheld.add(name as PromiseName);
    else
      problems.push(
        `--withhold ${quote(name)} is not a promise of the page. Fix: use ${PROMISE_NAMES.join(' or ')}`,
      );
  }
  for (const name of PROMISE_NAMES) {
    const { key, ko: koFlag, en: enFlag } = PROMISES[name];
    const ko = f[koFlag];
    const en = f[enFlag];
    if (withheld.has(name)) {
      if (ko !== undefined || en !== undefined) {
        problems.push(
          `--withhold ${name} and ${flagOf(ko !== undefined ? koFlag : enFlag)} contradict each other. Fix: withhold the promise or reword it, not both`,
        );
      } else out[key] = false;
    } else if (ko !== undefined || en !== undefined) {
      if (ko === undefined || en === undefined) {
        problems.push(
          `${flagOf(ko === undefined ? enFlag : koFlag)} given without ${flagOf(ko === undefined ? koFlag : enFlag)}. Fix: reword the promise in both languages`,
        );
      } else out[key] = { ko, en };
    }
  }
  const { compensation, compensationKo: ko, compensationEn: en } = f;
  if (compensation !== undefined) {
    const offers = compensation
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s);
    const unknown = offers.filter((o) => !(COMPENSATION_OFFERS as readonly string[]).includes(o));
    if (unknown.length || offers.length === 0) {
      problems.push(
        `--compensation ${quote(compensation)}: ${unknown.length ? `unknown offer ${unknown.map(quote).join(', ')}` : 'no offer'}. Fix: one or more of ${COMPENSATION_OFFERS.join(', ')}, comma-separated`,
      );
    }
    if (ko === undefined || en === undefined) {
      problems.push(
        `--compensation needs ${[ko === undefined ? '--compensation-ko' : '', en === undefined ? '--compensation-en' : ''].filter((s) => s).join(' and ')}: who gets it, how much and how to claim it. Fix: add the text in both languages`,
      );
    }
    out.compensation = { offers, details: { ko, en } };
  } else if (ko !== undefined || en !== undefined) {
    problems.push(
      `${ko !== undefined ? '--compensation-ko' : '--compensation-en'} given without --compensation. Fix: name the offers, e.g. --compensation coupon`,
    );
  }
  if (problems.length === 0 && Object.keys(out).length > 0) {
    const parsed = promisesSchema.safeParse(out);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) {
      problems.push(
        `${flagForPath(issue.path)}: ${issue.message} (the outage page's contract, lib/contract/status.ts). Fix: shorten or correct it`,
      );
    }
  }
  if (problems.length) {
    throw new UsageError(
      `Invalid notice flags (nothing changed):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
  return undefined;
}

/** The flags that write `promises` again (for the printed resume and rollback commands). */
export function promiseFlagArgs(p: Promises | undefined, q: (s: string) => string): string[] {
  if (!p) return [];
  const args: string[] = [];
  const withhold = PROMISE_NAMES.filter((n) => p[PROMISES[n].key] === false);
  if (withhold.length) args.push(`--withhold ${withhold.join(',')}`);
  for (const name of PROMISE_NAMES) {
    const v = p[PROMISES[name].key];
    if (v) args.push(`${flagOf(PROMISES[name].ko)} ${q(v.ko)}`, `${flagOf(PROMISES[name].en)} ${q(v.en)}`);
  }
  if (p.compensation) {
    args.push(
      `--compensation ${p.compensation.offers.join(',')}`,
      `--compensation-ko ${q(p.compensation.details.ko)}`,
      `--compensation-en ${q(p.compensation.details.en)}`,
    );
  }
  return args;
}
