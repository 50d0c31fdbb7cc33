import { executeAction } from '../action/action';
import type { CapacityClientsFor } from '../capacity/capacity';
import type { Deps } from '../aws/deps';
import { offlinePreview, planOrPreview } from '../action/offline';
import { assertRegion, planFailover, regionNames } from './failover';

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
  const planned = await planOrPreview(
    !!f.dryRun,
    () =>
      planFailover(
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
      ),
    () => offlineFailover(d, f, args, !!extras.fastSwitch),
  );
  return 'spec' in planned ? executeAction(d, planned.spec) : planned.exitCode;
}

/** The failover plan from the config alone (a --dry-run without credentials). */
function offlineFailover(d: Deps, f: FailoverFlags, args: readonly string[], fast: boolean): Promise<number> {
  assertRegion(d, f.to);
  const order = regionNames(d);
  const before = order.slice(0, order.indexOf(f.to));
  const holders = (r: string) => d.names.switchHolders(r).join(', ');
  return offlinePreview(
    d,
    'failover',
    args,
    `Plan: ${f.unplanned ? 'UNPLANNED failover' : 'planned failover'} to ${f.to}`,
    [
      {
        title: `Make sure ${f.to} is not drained`,
        region: holders(f.to),
        changes: `SSM ${d.names.switchParameter(f.to)} = serving`,
      },
      {
        title: `Pre-scale ${f.to} to the mirrored peak × ${d.config.capacity.headroomPercent} %${f.unplanned ? '' : ', then wait for healthy instances'}`,
        region: f.to,
        changes: 'UpdateAutoScalingGroup MinSize/DesiredCapacity; ModifyDBCluster MinCapacity',
      },
      ...before.map((r) => ({
        title: `Drain ${r}`,
        region: holders(r),
        changes: `SSM ${d.names.switchParameter(r)} = drained`,
      })),
      ...(fast
        ? before.map((r) => ({
            title: `Fast path: take the region health check of ${r} out (Route 53 control plane)`,
            region: d.globalRegion,
            changes: `UpdateHealthCheck region:${r} HealthThreshold above its children (always unhealthy)`,
          }))
        : []),
      {
        title: `Promote the database to ${f.to}`,
        region: f.to,
        changes: `${f.unplanned ? 'FailoverGlobalCluster (AllowDataLoss)' : 'SwitchoverGlobalCluster'} ${d.names.globalClusterId()} -> ${d.names.dbClusterId(f.to)}`,
      },
      { title: `Wait until ${f.to} is the writer`, region: f.to, changes: 'nothing (polls)' },
      {
        title: `Verify ${f.to} serves read-write (/healthz)`,
        region: f.to,
        changes: `nothing (GET https://${d.names.regionRecord(f.to)}/healthz)`,
      },
    ],
    [
      'which account the credentials are for',
      'the drain switches now (steps already in effect)',
      'the database writer and replication lag',
      `${f.to}'s endpoint health check, /healthz and database secret replica`,
      `${f.to}'s capacity (pre-scale numbers)`,
    ],
  );
}
