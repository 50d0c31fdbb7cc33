import { CheckResult, evaluate } from '../../lambda/readiness/checks';
import { readinessTarget } from '../../lib/capacity/readiness-target';
import type { CapacityClientsFor } from './capacity';
import { locateCertificate, locateGroup } from './capacity';
import type { Deps } from './deps';

/** Readiness of one region as a failover target. */
export interface RegionReadiness {
  readonly region: string;
  /** null when the checks could not even start (the group or certificate could not be found). */
  readonly ready: boolean | null;
  readonly checks: readonly CheckResult[];
  readonly error?: string;
}

/**
 * Runs the same checks as the scheduled readiness Lambda, from the operator's machine, against
 * each region in `regions` (default: every standby), in parallel.
 */
export async function checkReadiness(
  d: Deps,
  capacityClients: CapacityClientsFor,
  regions: readonly string[] = d.config.regions.filter((r) => r.role === 'standby').map((r) => r.name),
): Promise<RegionReadiness[]> {
  return Promise.all(
    regions.map(async (region): Promise<RegionReadiness> => {
      const extra = capacityClients(region);
      let located: { asgName: string; certificateArn: string };
      try {
        const [group, certificateArn] = await Promise.all([
          locateGroup(d, extra, region),
          locateCertificate(d, extra, region),
        ]);
        located = { asgName: group.AutoScalingGroupName as string, certificateArn };
      } catch (e) {
        return { region, ready: null, checks: [], error: (e as Error).message };
      }
      const local = d.clients(region);
      const checks = await evaluate(
        {
          local: {
            autoscaling: extra.autoscaling,
            acm: extra.acm,
            cloudwatch: local.cloudwatch,
            rds: local.rds,
            secrets: extra.secrets,
          },
          primarySecrets: capacityClients(d.config.primaryRegion).secrets,
        },
        readinessTarget(d.config, region, located),
        d.now(),
      );
      return { region, ready: checks.every((c) => c.ok), checks };
    }),
  );
}
