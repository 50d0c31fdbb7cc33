import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CHECK_FAILED_METRIC, READY_METRIC } from '../../lambda/readiness/metrics';
import { CHECKS, CheckResult, evaluate } from '../../lambda/readiness/checks';
import { readinessTarget } from '../../lib/capacity/readiness-target';
import type { CapacityClientsFor } from '../capacity/capacity';
import { locateCertificate, locateGroup } from '../capacity/capacity';
import type { Deps } from '../aws/deps';
import { getHealthz, healthzSummary } from '../shop/healthz';
import { throwIfInterrupted } from '../aws/deadline';
import { aws, AwsCallError, boundedClient, describeError, errorKind } from '../aws/errors';

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
  // During a primary outage `check` judges what it exists for: can a standby take over? The mirror
  // of the dead primary's capacity goes stale with it; a failover then pre-scales to the maximum
  // (capacity.ts), so that check does not hold a takeover back.
  const primary = d.config.primaryRegion;
  const primaryHz = regions.some((r) => r !== primary) ? await getHealthz(d, primary) : undefined;
  const primaryDown = primaryHz !== undefined && primaryHz.status !== 200;
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
        if (errorKind(e) === 'interrupted' || errorKind(e) === 'credentials') throw e;
        const error = e instanceof AwsCallError ? describeError(e, d.profile) : (e as Error).message;
        return { region, ready: null, checks: [], error };
      }
      const local = d.clients(region);
      // evaluate() is the Lambda's code and sends on the clients itself: each client given to it
      // sends through aws() (the run's deadline and Ctrl-C), like every other shopctl call.
      const bound = <C extends object>(r: string, service: string, client: C) =>
        boundedClient(d, r, service, client);
      const checks = await evaluate(
        {
          local: {
            autoscaling: bound(region, 'autoscaling', extra.autoscaling),
            acm: bound(region, 'acm', extra.acm),
            cloudwatch: bound(region, 'cloudwatch', local.cloudwatch),
            rds: bound(region, 'rds', local.rds),
            secrets: bound(region, 'secretsmanager', extra.secrets),
          },
          primarySecrets: bound(primary, 'secretsmanager', capacityClients(primary).secrets),
        },
        readinessTarget(d.config, region, located),
        d.now(),
      );
      throwIfInterrupted(d);
      const judged =
        primaryDown && region !== primary
          ? checks.map((c) =>
              c.check === 'capacity-mirror' && !c.ok
                ? {
                    ...c,
                    ok: true,
                    detail: `${c.detail}: the primary ${primary} is down (/healthz ${healthzSummary(primaryHz)}), not needed to take over (pre-scale goes to the maximum)`,
                  }
                : c,
            )
          : checks;
      return { region, ready: judged.every((c) => c.ok), checks: judged };
    }),
  );
}

/** Readiness of a region as the scheduled check last published it. */
export interface PublishedReadiness {
  readonly region: string;
  readonly state: 'ready' | 'not-ready' | 'unknown';
  /** Checks that failed in the latest run. */
  readonly failed: readonly string[];
  readonly at?: Date;
  readonly error?: string;
}

/**
 * What the readiness Lambda last published for `region`, read from `from`'s CloudWatch (every region
 * holds a copy, so any live one answers). For `shopctl status`: one GetMetricData call per region.
 */
export async function readPublishedReadiness(
  d: Deps,
  region: string,
  from: string = region,
): Promise<PublishedReadiness> {
  const now = d.now();
  const metric = (id: string, metricName: string, dims: Record<string, string>) => ({
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: d.names.readinessNamespace(),
        MetricName: metricName,
        Dimensions: Object.entries(dims).map(([Name, Value]) => ({ Name, Value })),
      },
      Period: 300,
      Stat: 'Maximum',
    },
  });
  try {
    const res = await aws(d, from, 'cloudwatch:GetMetricData', (o) =>
      d.clients(from).cloudwatch.send(
        new GetMetricDataCommand({
          StartTime: new Date(now.getTime() - 15 * 60_000),
          EndTime: now,
          ScanBy: 'TimestampDescending',
          MetricDataQueries: [
            metric('ready', READY_METRIC, { Region: region }),
            ...CHECKS.map((c, i) => metric(`check${i}`, CHECK_FAILED_METRIC, { Region: region, Check: c })),
          ],
        }),
        o,
      ),
    );
    const results = res.MetricDataResults ?? [];
    const ready = results.find((r) => r.Id === 'ready');
    const latest = ready?.Values?.[0];
    if (latest === undefined)
      return { region, state: 'unknown', failed: [], error: 'no readiness published in 15 min' };
    const failed = CHECKS.filter((_, i) => results.find((r) => r.Id === `check${i}`)?.Values?.[0] === 1);
    return {
      region,
      state: latest >= 1 ? 'ready' : 'not-ready',
      failed,
      ...(ready?.Timestamps?.[0] ? { at: ready.Timestamps[0] } : {}),
    };
  } catch (e) {
    if (errorKind(e) === 'interrupted') throw e;
    return { region, state: 'unknown', failed: [], error: describeError(e, d.profile) };
  }
}
