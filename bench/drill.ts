/**
 * `npm run bench:drill`: the full local drill (scripts/drill-local, 10× compressed, four customers,
 * promotion when the page arrives) run several times in a row; prints each run's table and the median
 * of every measure per phase, in AWS-time seconds, and the worst of the counts. One run is one sample
 * of the customers' and checkers' phases; the median over runs is the figure to quote.
 *
 *   npm run bench:drill                  (env: BENCH_DRILL_RUNS=3 DRILL_TIME_SCALE=10 DRILL_WORKERS=4)
 *
 * Exit 1 when any run fails its own verdict (budget, a lost or duplicated order).
 */
import {
  formatLegend,
  formatTable,
  runDrill,
  type DrillResult,
  type PhaseResult,
} from '../scripts/drill-local/drill';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

type Timed = 'detectSeconds' | 'pageSeconds' | 'reachSeconds' | 'browseSeconds' | 'buySeconds';
type Counted = 'acknowledgedLost' | 'duplicates' | 'unacknowledgedCommits' | 'shopRestarts';
const TIMED: [Timed, string][] = [
  ['detectSeconds', 'detect'],
  ['pageSeconds', 'page (on-call)'],
  ['reachSeconds', 'reach a page'],
  ['browseSeconds', 'browse'],
  ['buySeconds', 'buy'],
];
const COUNTED: [Counted, string][] = [
  ['acknowledgedLost', 'acked lost'],
  ['duplicates', 'duplicates'],
  ['unacknowledgedCommits', 'unacked commits'],
  ['shopRestarts', 'shop restarts'],
];

/** The medians table: per phase, each time as "median (min–max)" in AWS seconds, counts as their worst. */
export function summarize(runs: readonly DrillResult[]): string {
  const K = runs[0].timeScale;
  const header = ['phase', ...TIMED.map(([, l]) => l), ...COUNTED.map(([, l]) => `${l} (worst)`)];
  const rows = runs[0].phases.map((p, i) => {
    const phase: PhaseResult[] = runs.map((r) => r.phases[i]);
    const times = TIMED.map(([k]) => {
      const xs = phase.map((x) => x[k]).filter((x): x is number => x !== null);
      if (!xs.length) return '—';
      const aws = xs.map((x) => x * K);
      return `${median(aws).toFixed(0)} s (${Math.min(...aws).toFixed(0)}–${Math.max(...aws).toFixed(0)})`;
    });
    const counts = COUNTED.map(([k]) => {
      const worst = Math.max(...phase.map((x) => x[k]));
      // "0 lost" says little without how many orders could have been
      return k === 'acknowledgedLost'
        ? `${worst} of ${Math.min(...phase.map((x) => x.acknowledged))}+`
        : String(worst);
    });
    return [p.name, ...times, ...counts];
  });
  const worst = runs.map((r) => r.worstCaseSeconds);
  return [
    `${runs.length} runs, time compressed ${K}×; AWS-time seconds, median (min–max)`,
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    `worst case (reach/browse) per run: ${worst.map((w) => `${w.toFixed(0)} s`).join(', ')}; median ${median(worst).toFixed(0)} s of a ${runs[0].budgetSeconds} s budget; ${runs.filter((r) => r.failures.length).length} of ${runs.length} runs failed their verdict`,
  ].join('\n');
}

async function main(): Promise<void> {
  const count = Number(process.env.BENCH_DRILL_RUNS ?? 3);
  const runs: DrillResult[] = [];
  for (let i = 1; i <= count; i++) {
    const started = Date.now();
    const r = await runDrill({
      timeScale: Number(process.env.DRILL_TIME_SCALE ?? 10),
      workers: Number(process.env.DRILL_WORKERS ?? 4),
      promoteOn: 'page',
    });
    console.log(
      `\nrun ${i} of ${count} (${((Date.now() - started) / 1000).toFixed(1)} s wall)\n${formatTable(r)}`,
    );
    runs.push(r);
  }
  console.log(`\n${summarize(runs)}\n\n${formatLegend(runs[runs.length - 1])}`);
  if (runs.some((r) => r.failures.length)) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(`bench:drill failed: ${err.message}`);
    process.exit(1);
  });
}
