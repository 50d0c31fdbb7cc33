import * as fs from 'node:fs';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { CapacityClientsFor } from '../capacity/capacity';
import type { Deps } from '../aws/deps';
import { drill, type DrillFlags, type DrillIo } from './drill';
import { fisOverHttp } from './fis';
import { PAYMENT_OUTAGE_SCENARIO, paymentOutageDrill, type PaymentOutageFlags } from './payment-outage';
import { SyntheticCheckouts } from './payment-checkouts';
import { ProbeCustomer } from './probe';
import { testSigner } from './signing';
import { SCENARIO_IDS } from '../../lib/fis/scenarios';
import { Names } from '../../lib/config/names';
import { writeAudit } from '../aws/audit';
import { EXIT } from '../aws/errors';
import { planOrPreview } from '../action/offline';
import { fisOfflinePlan, offlineDrillPreview, paymentOutageOfflinePlan } from './offline';

type Run = (
  command: string | null,
  fn: (d: Deps, args: readonly string[]) => Promise<number>,
  fallback: number,
) => () => Promise<void>;

/** Seconds between two journeys of the probe customer. */
export const PROBE_INTERVAL_MS = 5_000;

/**
 * `shopctl drill SCENARIO`: runs the command with the real FIS client, the readiness check's clients,
 * the probe customer on the public name, and Ctrl-C stopping the experiment.
 */
export async function drillCommand(
  d: Deps,
  scenario: string,
  flags: DrillFlags,
  capacity: CapacityClientsFor,
  io: Partial<DrillIo> = {},
  args: readonly string[] = [],
): Promise<number> {
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    const region = flags.region ?? d.config.primaryRegion;
    // A dry run without credentials shows the plan from the config (drill() refuses a scenario or
    // region the config does not deploy before any AWS call, so only a deployable one gets here).
    const planned = await planOrPreview(
      !!flags.dryRun,
      () => live(),
      () => offlineDrillPreview(d, args, fisOfflinePlan(d, scenario, region), `${scenario} in ${region}`),
    );
    if ('exitCode' in planned) return planned.exitCode;
    const code = planned.spec;
    // Every drill is audited (docs/runbook.md): the dry run and the run that ended too; a run that
    // threw is audited by main.ts's error path.
    await writeAudit(d, {
      command: 'drill',
      args,
      result: flags.dryRun
        ? 'dry-run'
        : code === EXIT.ok
          ? 'ok'
          : code === EXIT.affected
            ? 'findings'
            : 'failed',
      steps: [],
      detail: `${scenario} in ${region}`,
    });
    return code;
  } finally {
    process.off('SIGINT', onSigint);
  }

  function live(): Promise<number> {
    return drill(
      d,
      {
        fis:
          io.fis ??
          ((region, run) => fisOverHttp({ region, run, ...(d.profile ? { profile: d.profile } : {}) })),
        signal: io.signal ?? abort.signal,
        writeFile: io.writeFile ?? ((file, text) => fs.writeFileSync(file, text)),
        capacity: io.capacity ?? capacity,
        probe:
          io.probe ??
          (({ live, after }) =>
            new ProbeCustomer({
              baseUrl: `https://${d.config.domainName}`,
              fetch: globalThis.fetch,
              live,
              after,
              timeoutMs: d.httpTimeoutMs,
              intervalMs: PROBE_INTERVAL_MS,
              now: d.now,
              sign: testSigner(d),
            })),
      },
      scenario,
      flags,
    );
  }
}

/** `shopctl drill payment-provider-outage`: no FIS (cli/drill/payment-outage.ts); Ctrl-C restores. */
async function paymentOutageCommand(
  d: Deps,
  flags: PaymentOutageFlags,
  io: Partial<DrillIo>,
  args: readonly string[],
): Promise<number> {
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    const region = flags.region ?? d.config.primaryRegion;
    // Like every drill: a dry run without credentials shows the plan from the config.
    const planned = await planOrPreview(
      !!flags.dryRun && !flags.restore,
      () =>
        paymentOutageDrill(
          d,
          {
            signal: io.signal ?? abort.signal,
            writeFile: io.writeFile ?? ((file, text) => fs.writeFileSync(file, text)),
            checkouts:
              io.paymentCheckouts ??
              ((o) => new SyntheticCheckouts({ ...o, fetch: globalThis.fetch, sign: testSigner(d) })),
          },
          flags,
          args,
        ),
      () =>
        offlineDrillPreview(
          d,
          args,
          paymentOutageOfflinePlan(d, flags, region),
          `${PAYMENT_OUTAGE_SCENARIO} in ${region}`,
        ),
    );
    return 'spec' in planned ? planned.spec : planned.exitCode;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

function parseMinutes(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError('must be a whole number of minutes (1 or more)');
  return n;
}

function parseCount(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number (0 or more)');
  return n;
}

/** Adds `drill` to the program (one line in cli/main.ts); `capacity` gives the readiness check's clients. */
export function registerDrillCommand(
  program: Command,
  run: Run,
  failed: number,
  capacity: () => CapacityClientsFor,
  io: Partial<DrillIo> = {},
): void {
  program
    .command('drill')
    .description(
      `game day: inject a fault with AWS FIS (${SCENARIO_IDS.join(' | ')}) or fail a payment provider (${PAYMENT_OUTAGE_SCENARIO}), watch, report`,
    )
    .argument('<scenario>', [...SCENARIO_IDS, PAYMENT_OUTAGE_SCENARIO].join(' | '))
    .option('--region <region>', 'region of the experiment (default: the primary region)')
    .option('--dry-run', 'print the plan; start nothing')
    .option('--yes', 'do not ask for confirmation')
    .option(
      '--force',
      'start although an alarm is in ALARM, a failover target is not ready or the probe customer cannot buy',
    )
    .option('--report <file>', 'markdown report path')
    .option(
      '--provider <id>',
      `${PAYMENT_OUTAGE_SCENARIO}: provider to fail (default: the first of the config)`,
    )
    .option(
      '--minutes <n>',
      `${PAYMENT_OUTAGE_SCENARIO}: how long the fault lasts (default 10)`,
      parseMinutes,
    )
    .option('--mode <mode>', `${PAYMENT_OUTAGE_SCENARIO}: refuse (default) or stall`)
    .option('--restore', `${PAYMENT_OUTAGE_SCENARIO}: only clear the region's fault switch`)
    .option(
      '--synthetic-checkouts <n>',
      `${PAYMENT_OUTAGE_SCENARIO}: drill orders the drill pays through the faulted provider until its breaker opens (default 3 x the breaker's minimumAttempts; 0: real traffic only)`,
      parseCount,
    )
    .addHelpText(
      'after',
      '\nExamples:\n  npx shopctl drill web-instance-loss --dry-run\n  npx shopctl drill web-instance-loss --region ap-northeast-1 --yes\n  npx shopctl drill payment-provider-outage --region ap-northeast-2 --provider toss --minutes 10 --dry-run\n\nRunbook: docs/runbook.md; payments: docs/payments-operations.md',
    )
    .option('--max-minutes <n>', 'stop the experiment after this long (default 60)', parseMinutes)
    .option(
      '--settle-minutes <n>',
      'after the experiment, wait this long for the shop to take orders again (default 10)',
      parseMinutes,
    )
    .action(async (scenario: string, opts: DrillFlags & PaymentOutageFlags, cmd: Command) => {
      if (scenario === PAYMENT_OUTAGE_SCENARIO) {
        const region = opts.region ?? cmd.parent?.opts<{ region?: string }>().region;
        return run(
          'drill',
          (d, args) => {
            // --region names the drill's region here, not the global region (as for FIS drills).
            const own: Deps = { ...d, globalRegion: Names.EDGE_REGION };
            delete (own as { globalRegionFlag?: string }).globalRegionFlag;
            return paymentOutageCommand(own, { ...opts, ...(region ? { region } : {}) }, io, args);
          },
          failed,
        )();
      }
      // The program's own --region (global reads and writes) is parsed first and takes the value
      // given after `drill` too: here it names the experiment's region. Route 53 alarms and the other
      // global reads of the drill stay in the edge region.
      const region = opts.region ?? cmd.parent?.opts<{ region?: string }>().region;
      const flags: DrillFlags = { ...opts, ...(region ? { region } : {}) };
      return run(
        'drill',
        (d, args) => {
          const edge: Deps = { ...d, globalRegion: Names.EDGE_REGION };
          delete (edge as { globalRegionFlag?: string }).globalRegionFlag;
          return drillCommand(edge, scenario, flags, capacity(), io, args);
        },
        failed,
      )();
    });
}
