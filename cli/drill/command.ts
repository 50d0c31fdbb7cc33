import * as fs from 'node:fs';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { CapacityClientsFor } from '../capacity/capacity';
import type { Deps } from '../aws/deps';
import { drill, type DrillFlags, type DrillIo } from './drill';
import { fisOverHttp } from './fis';
import { ProbeCustomer } from './probe';
import { SCENARIO_IDS } from '../../lib/fis/scenarios';

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
): Promise<number> {
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    return await drill(
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
            })),
      },
      scenario,
      flags,
    );
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

/** Adds `drill` to the program (one line in cli/main.ts); `capacity` gives the readiness check's clients. */
export function registerDrillCommand(
  program: Command,
  run: Run,
  failed: number,
  capacity: () => CapacityClientsFor,
): void {
  program
    .command('drill')
    .description(`game day: inject a fault with AWS FIS, watch, report (${SCENARIO_IDS.join(' | ')})`)
    .argument('<scenario>', SCENARIO_IDS.join(' | '))
    .option('--region <region>', 'region of the experiment (default: the primary region)')
    .option('--dry-run', 'print the plan; start nothing')
    .option('--yes', 'do not ask for confirmation')
    .option(
      '--force',
      'start although an alarm is in ALARM, a failover target is not ready or the probe customer cannot buy',
    )
    .option('--report <file>', 'markdown report path')
    .option('--max-minutes <n>', 'stop the experiment after this long (default 60)', parseMinutes)
    .option(
      '--settle-minutes <n>',
      'after the experiment, wait this long for the shop to take orders again (default 10)',
      parseMinutes,
    )
    .action(async (scenario: string, opts: DrillFlags) =>
      run('drill', (d) => drillCommand(d, scenario, opts, capacity()), failed)(),
    );
}
