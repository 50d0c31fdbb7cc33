/**
 * `npm test` runs the short version of each exhaustive matrix (every failure mode at least once);
 * `npm run test:long` sets SHOP_TEST_LONG=1 and runs every combination. CI runs both (.ci/run).
 */
export const LONG = process.env.SHOP_TEST_LONG === '1';

/** `all` in the long run, `short` (a subset that still covers each case of `all` once) otherwise. */
export function shortOrLong<T>(short: readonly T[], all: readonly T[]): T[] {
  for (const s of short)
    if (!all.includes(s)) throw new Error(`short case ${String(s)} is not in the long set`);
  return [...(LONG ? all : short)];
}
