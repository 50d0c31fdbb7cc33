import { executeAction } from '../action/action';
import { planFailback } from './failback';
import type { CapacityClientsFor } from '../capacity/capacity';
import type { Deps } from '../aws/deps';

export interface FailbackFlags {
  readonly dryRun?: boolean;
  readonly yes?: boolean;
  readonly force?: boolean;
  readonly maxLagMs?: number;
}

export async function failbackCommand(
  d: Deps,
  f: FailbackFlags,
  args: readonly string[],
  extras: { readonly capacity?: CapacityClientsFor; readonly fastSwitch?: boolean } = {},
): Promise<number> {
  const spec = await planFailback(
    d,
    {
      dryRun: !!f.dryRun,
      yes: !!f.yes,
      force: !!f.force,
      ...(f.maxLagMs !== undefined ? { maxLagMs: f.maxLagMs } : {}),
      ...extras,
    },
    args,
  );
  return executeAction(d, spec);
}
