/**
 * Signed test requests: the value of `SYNTHETIC_HEADER` / `DRILL_HEADER` (lib/contract/shop.ts) that
 * the shop accepts. Only holders of the test-signing key (`Names.testSigningSecretName()`: the
 * canaries, the shop instances, an operator running `shopctl drill`) can make one, so a customer
 * cannot place orders that take no stock or are left out of fulfilment.
 *
 * Value: `v1.<unix seconds>.<hex HMAC-SHA256>`, the HMAC over `header`, method, path (without the
 * query) and the timestamp, each on its own line: a signature for one header, method or path is
 * worth nothing for another. The shop refuses a value older or newer than {@link MAX_SKEW_S}. No
 * dependency but node:crypto, so the shop, the canary and the CLI share it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Seconds a signature stays valid either side of the shop's clock (clock skew plus one slow request). */
export const MAX_SKEW_S = 300;

const VERSION = 'v1';

function mac(key: string, header: string, method: string, path: string, ts: number): string {
  return createHmac('sha256', key)
    .update([header.toLowerCase(), method.toUpperCase(), path, String(ts)].join('\n'))
    .digest('hex');
}

/** The header value that signs a `method` request to `path` (query ignored) at `nowMs`. */
export function signTestRequest(
  key: string,
  header: string,
  method: string,
  path: string,
  nowMs: number,
): string {
  const ts = Math.floor(nowMs / 1000);
  return `${VERSION}.${ts}.${mac(key, header, method, pathOnly(path), ts)}`;
}

/** Why a test header was refused. */
export type TestSignatureProblem = 'unsigned' | 'malformed' | 'expired' | 'forged';

/**
 * Checks a header value against every key in `keys` (the current key and, during a rotation, the
 * previous one). Constant-time comparison of the MAC.
 */
export function verifyTestSignature(
  keys: readonly string[],
  header: string,
  value: string,
  method: string,
  path: string,
  nowMs: number,
): { ok: true } | { ok: false; problem: TestSignatureProblem } {
  if (value === '' || value === '1') return { ok: false, problem: 'unsigned' };
  const m = /^v1\.(\d{1,12})\.([0-9a-f]{64})$/.exec(value);
  if (!m) return { ok: false, problem: 'malformed' };
  const ts = Number(m[1]);
  if (Math.abs(nowMs / 1000 - ts) > MAX_SKEW_S) return { ok: false, problem: 'expired' };
  const given = Buffer.from(m[2], 'hex');
  for (const key of keys) {
    const expected = Buffer.from(mac(key, header, method, pathOnly(path), ts), 'hex');
    if (timingSafeEqual(given, expected)) return { ok: true };
  }
  return { ok: false, problem: 'forged' };
}

function pathOnly(path: string): string {
  const i = path.indexOf('?');
  return i < 0 ? path : path.slice(0, i);
}
