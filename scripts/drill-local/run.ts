/**
 * `npm run drill:local -- [-c config=NAME]`: the whole failover on one machine (see ./drill.ts).
 * Prints the per-phase table with a legend of its columns and counts, and exits 1 when the worst case
 * exceeds the config's failoverBudgetSeconds, when a planned switchover lost an acknowledged order, or
 * when an order was duplicated; 2 for a bad argument or config.
 *
 *   npm run drill:local                          (env: DRILL_TIME_SCALE=10 DRILL_WORKERS=4 DRILL_PROMOTE_ON=page)
 *   npm run drill:local -- -c config=prod        (or --config prod)
 */
import { ConfigError, loadConfig } from '../../lib/config/load';
import { DRILL_USAGE, DrillArgsError, parseDrillArgs } from './args';
import { formatLegend, formatTable, runDrill } from './drill';

async function main(): Promise<void> {
  let args;
  let config;
  try {
    args = parseDrillArgs(process.argv.slice(2));
    if (args.help) {
      console.log(DRILL_USAGE);
      return;
    }
    config = loadConfig(args.config);
  } catch (e) {
    if (!(e instanceof DrillArgsError) && !(e instanceof ConfigError)) throw e;
    console.error(e.message);
    process.exitCode = 2;
    return;
  }
  const started = Date.now();
  const result = await runDrill({
    config,
    timeScale: Number(process.env.DRILL_TIME_SCALE ?? 10),
    workers: Number(process.env.DRILL_WORKERS ?? 4),
    promoteOn: process.env.DRILL_PROMOTE_ON === 'detect' ? 'detect' : 'page',
    log: (line) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${line}`),
  });
  console.log('\n' + formatTable(result));
  console.log('\n' + formatLegend(result));
  console.log(`\nwall time ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (result.failures.length) process.exitCode = 1;
}

main().catch((err: Error) => {
  console.error(`drill:local failed: ${err.message}`);
  process.exit(1);
});
