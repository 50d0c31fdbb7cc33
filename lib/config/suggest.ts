/**
 * "Did you mean" help for config errors: the nearest valid spellings of a mistyped value.
 */

/** Edit distance (insertions, deletions, substitutions) between two strings. */
export function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length];
}

/**
 * The candidates closest to `value` (case-insensitive edit distance), best first, at most `count`.
 * Ties keep the candidates' order, so a list ordered by preference stays so.
 */
export function nearest(value: string, candidates: readonly string[], count = 3): string[] {
  const v = value.toLowerCase();
  return candidates
    .map((c, i) => ({ c, i, d: levenshtein(v, c.toLowerCase()) }))
    .sort((x, y) => x.d - y.d || x.i - y.i)
    .slice(0, count)
    .map((x) => x.c);
}

/**
 * A "did you mean" for a mistyped key: the closest candidate when it is close enough to be a typo
 * (at most a third of the key's length in edits, and at least one), else undefined.
 */
export function didYouMean(value: string, candidates: readonly string[]): string | undefined {
  const [best] = nearest(value, candidates, 1);
  if (best === undefined) return undefined;
  const limit = Math.max(1, Math.floor(Math.max(value.length, best.length) / 3));
  return levenshtein(value.toLowerCase(), best.toLowerCase()) <= limit ? best : undefined;
}
