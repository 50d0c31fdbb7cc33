/**
 * `npm run drill:local -- [-c config=NAME]`: the whole failover on one machine (see ./drill.ts), then
 * the payment scenarios (./payments.ts). Prints the per-phase table with a legend of its columns and
 * counts, and exits 1 when the worst case exceeds the config's failoverBudgetSeconds, when a planned
 * switchover lost an acknowledged order, when an order was duplicated, or when a payment scenario
 * lost a paid order, charged twice or left an unknown; 2 for a bad argument or config.
 * DRILL_ONLY=payments|failover runs one part.
 *
 *   npm run drill:local                          (env: DRILL_TIME_SCALE=10 DRILL_WORKERS=4 DRILL_PROMOTE_ON=page)
 *   npm run drill:local -- -c config=prod        (or --config prod)
 */
import { ConfigError, loadConfig } from '../../lib/config/load';
import { DRILL_USAGE, DrillArgsError, parseDrillArgs } from './args';
import { formatLegend, formatTable, runDrill } from './drill';
import { formatPaymentTable, runPaymentDrill } from './payments';

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
  const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${line}`);
  const only = process.env.DRILL_ONLY;
  if (only !== 'payments') {
    const result = await runDrill({
      config,
      timeScale: Number(process.env.DRILL_TIME_SCALE ?? 10),
      workers: Number(process.env.DRILL_WORKERS ?? 4),
      promoteOn: process.env.DRILL_PROMOTE_ON === 'detect' ? 'detect' : 'page',
      log,
    });
    console.log('\n' + formatTable(result));
    console.log('\n' + formatLegend(result));
    if (result.failures.length) process.exitCode = 1;
  }
  if (only !== 'failover') {
    const payments = await runPaymentDrill({ customers: Number(process.env.DRILL_WORKERS ?? 4), log });
    console.log('\n' + formatPaymentTable(payments.results));
    for (const f of payments.failures) console.log(`FAILED: ${f}`);
    if (payments.failures.length) process.exitCode = 1;
  }
  console.log(`\nwall time ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((err: Error) => {
  console.error(`drill:local failed: ${err.message}`);
  process.exit(1);
});
