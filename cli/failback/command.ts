import { executeAction } from '../action/action';
import { offlinePreview, planOrPreview } from '../action/offline';
import { regionNames } from '../failover/failover';
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
  const planned = await planOrPreview(
    !!f.dryRun,
    () =>
      planFailback(
        d,
        {
          dryRun: !!f.dryRun,
          yes: !!f.yes,
          force: !!f.force,
          ...(f.maxLagMs !== undefined ? { maxLagMs: f.maxLagMs } : {}),
          ...extras,
        },
        args,
      ),
    () => offlineFailback(d, args, !!extras.fastSwitch),
  );
  return 'spec' in planned ? executeAction(d, planned.spec) : planned.exitCode;
}

/**
 * The failback plan from the config alone (a --dry-run without credentials): every step a real run
 * may take; which of them are already in effect (the writer's region, the switches) is a live check.
 */
function offlineFailback(d: Deps, args: readonly string[], fast: boolean): Promise<number> {
  const primary = d.config.primaryRegion;
  const order = regionNames(d);
  const holders = (r: string) => d.names.switchHolders(r).join(', ');
  return offlinePreview(
    d,
    'failback',
    args,
    `Plan: failback to ${primary}`,
    [
      ...(fast
        ? [
            {
              title: `Hold the serving region in DNS during the switchover (Route 53 control plane; when a standby is the writer)`,
              region: d.globalRegion,
              changes:
                'UpdateHealthCheck region:<writer region> HealthThreshold=0 (always healthy) until verified',
            },
          ]
        : []),
      {
        title: `Promote the database to ${primary} (planned switchover, no data loss)`,
        region: primary,
        changes: `SwitchoverGlobalCluster ${d.names.globalClusterId()} -> ${d.names.dbClusterId(primary)}`,
      },
      { title: `Wait until ${primary} is the writer`, region: primary, changes: 'nothing (polls)' },
      {
        title: `Verify ${primary} serves read-write (/healthz)`,
        region: primary,
        changes: `nothing (GET https://${d.names.regionRecord(primary)}/healthz)`,
      },
      {
        title: `Pre-scale ${primary} to the mirrored peak × ${d.config.capacity.headroomPercent} %, then wait for healthy instances`,
        region: primary,
        changes: 'UpdateAutoScalingGroup MinSize/DesiredCapacity; ModifyDBCluster MinCapacity',
      },
      ...(fast
        ? order.map((r) => ({
            title: `Restore the region health check of ${r} (Route 53 control plane)`,
            region: d.globalRegion,
            changes: `UpdateHealthCheck region:${r} HealthThreshold as deployed`,
          }))
        : []),
      ...order.map((r) => ({
        title: `Undrain ${r} (when drained; ${primary} first)`,
        region: holders(r),
        changes: `SSM ${d.names.switchParameter(r)} = serving`,
      })),
      ...order
        .filter((r) => r !== primary)
        .map((r) => ({
          title: `Return ${r} to its posture`,
          region: r,
          changes: 'UpdateAutoScalingGroup MinSize (desired capacity left to target tracking)',
        })),
    ],
    [
      'which account the credentials are for',
      'the database writer and replication lag',
      'the drain switches now (only drained regions are undrained)',
      `${primary}'s /healthz`,
      `${primary}'s capacity (pre-scale numbers)`,
    ],
  );
}
