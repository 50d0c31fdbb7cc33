import * as fs from 'node:fs';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { Deps } from '../core/deps';
import { drill, type DrillFlags, type DrillIo } from '../core/drill';
import { fisOverHttp } from '../core/drill-fis';
import { SCENARIO_IDS } from '../../lib/fis/scenarios';

type Run = (
  command: string | null,
  fn: (d: Deps, args: readonly string[]) => Promise<number>,
  fallback: number,
) => () => Promise<void>;

/** `shopctl drill SCENARIO`: runs the command with the real FIS client and Ctrl-C stopping the experiment. */
export async function drillCommand(
  d: Deps,
  scenario: string,
  flags: DrillFlags,
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
          ((region) => fisOverHttp({ region, run: d, ...(d.profile ? { profile: d.profile } : {}) })),
        signal: io.signal ?? abort.signal,
        writeFile: io.writeFile ?? ((file, text) => fs.writeFileSync(file, text)),
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

/** Adds `drill` to the program (one line in cli/main.ts). */
export function registerDrillCommand(program: Command, run: Run, failed: number): void {
  program
    .command('drill')
    .description(`game day: inject a fault with AWS FIS, watch, report (${SCENARIO_IDS.join(' | ')})`)
    .argument('<scenario>', SCENARIO_IDS.join(' | '))
    .option('--region <region>', 'region of the experiment (default: the primary region)')
    .option('--dry-run', 'print the plan; start nothing')
    .option('--yes', 'do not ask for confirmation')
    .option('--force', 'start although an alarm is already in ALARM')
    .option('--report <file>', 'markdown report path')
    .option('--max-minutes <n>', 'stop the experiment after this long (default 60)', parseMinutes)
    .action(async (scenario: string, opts: DrillFlags) =>
      run('drill', (d) => drillCommand(d, scenario, opts), failed)(),
    );
}
