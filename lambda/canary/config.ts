/**
 * `CANARY_CONFIG`: the canary's whole configuration, one JSON document written by the CDK app.
 *
 * Validated by hand rather than with zod: the handler ships as one bundle that must stay under
 * 52 KiB, Powertools Metrics + Logger already take ~34 KiB, and even the smallest `zod/mini`
 * schema adds ~14 KiB (full `zod` ~440 KiB). The checks mirror a `z.strictObject` schema:
 * unknown keys are rejected and every problem names its key (`targets[1].baseUrl: ...`).
 */

export interface ShopTarget {
  id: string;
  kind: 'shop';
  /** Origin (and optional path prefix) of the shop, e.g. `https://shop.example.com`. */
  baseUrl: string;
  /** True: read-only mode counts as a failure. False: read-only with alternatives is a success. */
  requireWritable: boolean;
  /** Read the shop's `GET /payments/health` and publish `PaymentsDown` (the shop takes payments). */
  payments?: boolean;
  /**
   * Pay through the shop's signed `POST /payments/test` (a provider's test mode, refunded) and
   * publish `PaymentPathBroken` / `PaymentPathUnknown`.
   */
  testPayment?: boolean;
}

export interface OutageTarget {
  id: string;
  kind: 'outage';
  baseUrl: string;
}

export type CanaryTarget = ShopTarget | OutageTarget;

export interface CanaryConfig {
  /** Region this canary runs in (its point of view). */
  vantage: string;
  /** CloudWatch namespace of every metric the canary emits. */
  namespace: string;
  /** Timeout of one step (one logical request, redirects and body included). */
  stepTimeoutMs: number;
  /** Overall budget of one run, verdict publishing included. */
  deadlineMs: number;
  /** Regions that receive the `TargetFailed` verdicts. */
  verdictRegions: string[];
  targets: CanaryTarget[];
  /** Redirects followed per step before giving up (default 5). */
  maxRedirects: number;
  /**
   * Secrets Manager name (this region's copy) of the test-signing key: the synthetic checkout is
   * signed with it (lib/contract/test-signature.ts). Absent: the unsigned `1` (local shops only).
   */
  signingSecretName?: string;
}

const REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const ID_RE = /^[A-Za-z0-9._-]{1,64}$/;

/** Error thrown for an invalid `CANARY_CONFIG`; the message lists every bad key. */
export class CanaryConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid CANARY_CONFIG: ${issues.join('; ')}`);
    this.name = 'CanaryConfigError';
  }
}

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses and validates `CANARY_CONFIG` (the raw environment variable or an already parsed value). */
export function parseCanaryConfig(raw: unknown): CanaryConfig {
  let input = raw;
  if (typeof raw === 'string') {
    try {
      input = JSON.parse(raw);
    } catch (err) {
      throw new CanaryConfigError([`not valid JSON (${(err as Error).message})`]);
    }
  } else if (raw === undefined) {
    throw new CanaryConfigError(['environment variable CANARY_CONFIG is not set']);
  }
  const issues: string[] = [];
  const bad = (key: string, msg: string): undefined => {
    issues.push(`${key}: ${msg}`);
    return undefined;
  };

  const strict = (v: unknown, key: string, allowed: readonly string[]): v is Obj => {
    if (!isObject(v)) return bad(key || '(root)', 'must be an object') ?? false;
    for (const k of Object.keys(v)) if (!allowed.includes(k)) bad(key ? `${key}.${k}` : k, 'unknown key');
    return true;
  };
  const str = (v: unknown, key: string, re?: RegExp, what?: string): string | undefined => {
    if (typeof v !== 'string' || v.length === 0) return bad(key, 'must be a non-empty string');
    if (re && !re.test(v)) return bad(key, `must be ${what} (got ${JSON.stringify(v)})`);
    return v;
  };
  const int = (v: unknown, key: string, min: number, max: number): number | undefined => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      return bad(key, `must be an integer between ${min} and ${max}`);
    }
    return v;
  };
  const url = (v: unknown, key: string): string | undefined => {
    const s = str(v, key);
    if (s === undefined) return undefined;
    try {
      const u = new URL(s);
      if (u.protocol === 'http:' || u.protocol === 'https:') return s.replace(/\/+$/, '');
    } catch {
      // reported below
    }
    return bad(key, `must be an absolute http(s) URL (got ${JSON.stringify(s)})`);
  };
  const region = (v: unknown, key: string) => str(v, key, REGION_RE, 'an AWS region code');

  if (
    !strict(input, '', [
      'vantage',
      'namespace',
      'stepTimeoutMs',
      'deadlineMs',
      'verdictRegions',
      'targets',
      'maxRedirects',
      'signingSecretName',
    ])
  ) {
    throw new CanaryConfigError(issues);
  }
  const c = input;
  const vantage = region(c.vantage, 'vantage');
  const namespace = str(
    c.namespace,
    'namespace',
    /^[^:][\x20-\x7e]{0,254}$/,
    'a CloudWatch namespace (ASCII, 1-255 chars, not starting with ":")',
  );
  // The schedule is 1 minute; the run (and so the Lambda timeout) must stay under it.
  const deadlineMs = int(c.deadlineMs, 'deadlineMs', 500, 55_000);
  const stepTimeoutMs = int(c.stepTimeoutMs, 'stepTimeoutMs', 50, 30_000);
  if (stepTimeoutMs !== undefined && deadlineMs !== undefined && stepTimeoutMs >= deadlineMs) {
    bad('stepTimeoutMs', `must be less than deadlineMs (${deadlineMs})`);
  }
  const maxRedirects = c.maxRedirects === undefined ? 5 : int(c.maxRedirects, 'maxRedirects', 0, 10);
  const signingSecretName =
    c.signingSecretName === undefined ? undefined : str(c.signingSecretName, 'signingSecretName');

  const verdictRegions: string[] = [];
  if (!Array.isArray(c.verdictRegions) || c.verdictRegions.length === 0) {
    bad('verdictRegions', 'must be a non-empty array of region codes');
  } else {
    c.verdictRegions.forEach((r, i) => {
      const ok = region(r, `verdictRegions[${i}]`);
      if (ok !== undefined && verdictRegions.includes(ok))
        bad(`verdictRegions[${i}]`, `duplicate region ${ok}`);
      else if (ok !== undefined) verdictRegions.push(ok);
    });
  }

  const targets: CanaryTarget[] = [];
  if (!Array.isArray(c.targets) || c.targets.length === 0) {
    bad('targets', 'must be a non-empty array');
  } else {
    c.targets.forEach((t, i) => {
      const key = `targets[${i}]`;
      if (!isObject(t)) return bad(key, 'must be an object');
      const kind = t.kind;
      if (kind !== 'shop' && kind !== 'outage') return bad(`${key}.kind`, 'must be "shop" or "outage"');
      strict(
        t,
        key,
        kind === 'shop'
          ? ['id', 'kind', 'baseUrl', 'requireWritable', 'payments', 'testPayment']
          : ['id', 'kind', 'baseUrl'],
      );
      const id = str(t.id, `${key}.id`, ID_RE, '1-64 characters of A-Z a-z 0-9 . _ -');
      if (id !== undefined && targets.some((x) => x.id === id)) bad(`${key}.id`, `duplicate target id ${id}`);
      const baseUrl = url(t.baseUrl, `${key}.baseUrl`);
      if (kind === 'shop' && typeof t.requireWritable !== 'boolean')
        bad(`${key}.requireWritable`, 'must be a boolean');
      for (const k of ['payments', 'testPayment'])
        if (t[k] !== undefined && typeof t[k] !== 'boolean') bad(`${key}.${k}`, 'must be a boolean');
      if (id === undefined || baseUrl === undefined) return undefined;
      targets.push(
        kind === 'shop'
          ? {
              id,
              kind,
              baseUrl,
              requireWritable: t.requireWritable === true,
              ...(t.payments === true ? { payments: true } : {}),
              ...(t.testPayment === true ? { testPayment: true } : {}),
            }
          : { id, kind, baseUrl },
      );
      return undefined;
    });
  }

  if (issues.length > 0) throw new CanaryConfigError(issues);
  return {
    vantage: vantage!,
    namespace: namespace!,
    stepTimeoutMs: stepTimeoutMs!,
    deadlineMs: deadlineMs!,
    verdictRegions,
    targets,
    maxRedirects: maxRedirects!,
    ...(signingSecretName !== undefined ? { signingSecretName } : {}),
  };
}
