/**
 * `npm run drill:local -- [-c config=NAME]`: the whole failover on one machine (see ./drill.ts), then
 * the payment scenarios (./payments.ts), then "messenger down" (./messenger.ts). Prints the per-phase table with a legend of its columns and
 * counts, and exits 1 when the worst case exceeds the config's failoverBudgetSeconds, when a planned
 * switchover lost an acknowledged order, when an order was duplicated, or when a payment scenario
 * lost a paid order, charged twice or left an unknown, or when the messenger scenario lost a notice
 * or sent one twice on one channel; 2 for a bad argument or config.
 * DRILL_ONLY=failover|payments|messenger runs one part (a comma-separated list runs several).
 *
 *   npm run drill:local                          (env: DRILL_TIME_SCALE=10 DRILL_WORKERS=4 DRILL_PROMOTE_ON=page
 *                                                 DRILL_ALARM_READING=one-of-n|all-of-n)
 *   npm run drill:local -c config=prod           (or -- -c config=prod, -- --config prod)
 */
import { ConfigError, loadConfig } from '../../lib/config/load';
import { DRILL_USAGE, DrillArgsError, parseDrillArgs } from './args';
import { formatLegend, formatTable, runDrill } from './drill';
import { formatMessengerTable, MESSENGER_LEGEND, runMessengerDrill } from './messenger';
import { formatPaymentTable, runPaymentDrill } from './payments';

/** The parts DRILL_ONLY may name, in the order they run. */
const PARTS = ['failover', 'payments', 'messenger'] as const;

async function main(): Promise<void> {
  let args;
  let config;
  try {
    args = parseDrillArgs(process.argv.slice(2), process.env);
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
  const only = process.env.DRILL_ONLY ? process.env.DRILL_ONLY.split(',').map((p) => p.trim()) : [...PARTS];
  const unknown = only.filter((p) => !(PARTS as readonly string[]).includes(p));
  if (unknown.length) {
    console.error(
      `DRILL_ONLY: unknown part ${unknown.join(', ')}; use ${PARTS.join(', ')} or a comma-separated list`,
    );
    process.exitCode = 2;
    return;
  }
  if (only.includes('failover')) {
    const result = await runDrill({
      config,
      timeScale: Number(process.env.DRILL_TIME_SCALE ?? 10),
      workers: Number(process.env.DRILL_WORKERS ?? 4),
      promoteOn: process.env.DRILL_PROMOTE_ON === 'detect' ? 'detect' : 'page',
      alarmReading: process.env.DRILL_ALARM_READING === 'all-of-n' ? 'all-of-n' : 'one-of-n',
      log,
    });
    console.log('\n' + formatTable(result));
    console.log('\n' + formatLegend(result));
    if (result.failures.length) process.exitCode = 1;
  }
  if (only.includes('payments')) {
    const payments = await runPaymentDrill({ customers: Number(process.env.DRILL_WORKERS ?? 4), log });
    console.log('\n' + formatPaymentTable(payments.results));
    for (const f of payments.failures) console.log(`FAILED: ${f}`);
    if (payments.failures.length) process.exitCode = 1;
  }
  if (only.includes('messenger')) {
    const messenger = await runMessengerDrill({ customers: Number(process.env.DRILL_WORKERS ?? 4), log });
    console.log('\n' + formatMessengerTable(messenger.results));
    console.log('\n' + MESSENGER_LEGEND);
    for (const f of messenger.failures) console.log(`FAILED: ${f}`);
    if (messenger.failures.length) process.exitCode = 1;
  }
  console.log(`\nwall time ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((err: Error) => {
  console.error(`drill:local failed: ${err.message}`);
  process.exit(1);
});
