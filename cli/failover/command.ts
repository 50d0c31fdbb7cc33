import { executeAction } from '../action/action';
import { planFailover } from './failover';
import type { CapacityClientsFor } from '../capacity/capacity';
import type { Deps } from '../aws/deps';

export interface FailoverFlags {
  readonly to: string;
  readonly planned?: boolean;
  readonly unplanned?: boolean;
  readonly dryRun?: boolean;
  readonly yes?: boolean;
  readonly force?: boolean;
  readonly maxLagMs?: number;
}

export async function failoverCommand(
  d: Deps,
  f: FailoverFlags,
  args: readonly string[],
  extras: { readonly capacity?: CapacityClientsFor; readonly fastSwitch?: boolean } = {},
): Promise<number> {
  const spec = await planFailover(
    d,
    {
      to: f.to,
      unplanned: !!f.unplanned,
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
