import { ACMClient, ListCertificatesCommand } from '@aws-sdk/client-acm';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeDBClustersCommand, ModifyDBClusterCommand } from '@aws-sdk/client-rds';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CAPACITY_METRICS, SOURCE_DIMENSION } from '../../lambda/capacity-mirror/metrics';
import { absorbTarget } from '../../lambda/scaler/targets';
import { clientConfig, ClientOptions } from '../aws/clients';
import { aws, describeError, errorKind, StepFailure } from '../aws/errors';
import type { Deps } from '../aws/deps';
import type { CallContext } from '../aws/deadline';
import { confirmedWrite, LATE, OutcomeUnknown } from '../action/readBack';
import type { Step } from '../action/steps';

/** The SDK clients of one region that the capacity and readiness commands need beyond `Deps.clients`. */
export interface CapacityClients {
  readonly autoscaling: AutoScalingClient;
  readonly acm: ACMClient;
  readonly secrets: SecretsManagerClient;
}

/** Builds capacity clients per region (same short timeouts as the rest of shopctl). */
export type CapacityClientsFor = (region: string) => CapacityClients;

/**
 * Lazily built clients per region, with the handler settings of every shopctl client
 * (clients.ts `clientConfig`: enforced request timeout, few attempts); every call is also made through
 * `aws()` under the run's deadline. Tests mock these client classes with aws-sdk-client-mock, or point
 * them at a local server through `endpoint`.
 */
export function makeCapacityClientsFor(opts: ClientOptions = {}): CapacityClientsFor {
  const cache = new Map<string, CapacityClients>();
  return (region) => {
    let c = cache.get(region);
    if (!c) {
      const common = clientConfig(region, opts);
      c = {
        autoscaling: new AutoScalingClient(common),
        acm: new ACMClient(common),
        secrets: new SecretsManagerClient(common),
      };
      cache.set(region, c);
    }
    return c;
  };
}

/**
 * The web tier's Auto Scaling group of `region`, found by the stack tag CloudFormation puts on it
 * (the group has a generated name).
 */
export async function locateGroup(d: Deps, c: CapacityClients, region: string, ctx: CallContext = d) {
  const stack = d.names.regionalStack(region);
  const r = await aws(ctx, region, 'autoscaling:DescribeAutoScalingGroups', (o) =>
    c.autoscaling.send(
      new DescribeAutoScalingGroupsCommand({
        Filters: [{ Name: 'tag:aws:cloudformation:stack-name', Values: [stack] }],
      }),
      o,
    ),
  );
  const group = r.AutoScalingGroups?.[0];
  if (!group?.AutoScalingGroupName)
    throw new Error(`no Auto Scaling group tagged with stack ${stack} in ${region}`);
  return group;
}

/** The ALB certificate of `region`: the issued one that covers the region's direct name. */
export async function locateCertificate(d: Deps, c: CapacityClients, region: string): Promise<string> {
  const direct = d.names.regionRecord(region);
  let token: string | undefined;
  do {
    const page = await aws(d, region, 'acm:ListCertificates', (o) =>
      c.acm.send(new ListCertificatesCommand({ NextToken: token }), o),
    );
    const hit = page.CertificateSummaryList?.find((s) => s.SubjectAlternativeNameSummaries?.includes(direct));
    if (hit?.CertificateArn) return hit.CertificateArn;
    token = page.NextToken;
  } while (token);
  throw new Error(`no certificate for ${direct} in ${region}`);
}

/** What shopctl knows about a region's capacity before it scales it. */
export interface CapacityPlan {
  readonly region: string;
  readonly groupName: string;
  readonly group: { readonly min: number; readonly desired: number; readonly max: number };
  readonly dbClusterId: string;
  readonly acu: { readonly min: number; readonly max: number };
  /** The region's posture minimums (what failback returns it to). */
  readonly posture: { readonly name: string; readonly instances: number; readonly acu: number };
  /** Mirrored peak of the other regions over `capacity.peakWindowHours` (undefined: no data). */
  readonly peak: { readonly instances?: number; readonly acu?: number };
  /** Where pre-scaling takes it: peak × headroom within the bounds, or the maximum when unknown. */
  readonly target: { readonly instances: number; readonly acu: number; readonly known: boolean };
}

/**
 * Reads `region`'s group, cluster scaling range and the capacity mirrored into its CloudWatch, and
 * computes the pre-scale target the way the scaler Lambda does (lambda/scaler `absorbTarget`).
 */
export async function readCapacity(d: Deps, c: CapacityClients, region: string): Promise<CapacityPlan> {
  const rc = d.config.regions.find((r) => r.name === region);
  if (!rc) throw new Error(`${region} is not a region of the config`);
  const local = d.clients(region);
  const windowSeconds = d.config.capacity.peakWindowHours * 3600;
  const sources = d.config.regions.map((r) => r.name).filter((r) => r !== region);
  const now = d.now();
  const query = (id: string, metricName: string, source: string) => ({
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: d.names.capacityNamespace(),
        MetricName: metricName,
        Dimensions: [{ Name: SOURCE_DIMENSION, Value: source }],
      },
      Period: windowSeconds,
      Stat: 'Maximum',
    },
  });
  const dbClusterId = d.names.dbClusterId(region);
  const [group, clusters, data] = await Promise.all([
    locateGroup(d, c, region),
    aws(d, region, 'rds:DescribeDBClusters', (o) =>
      local.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: dbClusterId }), o),
    ),
    aws(d, region, 'cloudwatch:GetMetricData', (o) =>
      local.cloudwatch.send(
        new GetMetricDataCommand({
          StartTime: new Date(now.getTime() - windowSeconds * 1000),
          EndTime: now,
          MetricDataQueries: [
            ...sources.map((s, i) => query(`peakins${i}`, CAPACITY_METRICS.peakInService, s)),
            ...sources.map((s, i) => query(`peakacu${i}`, CAPACITY_METRICS.peakAcu, s)),
          ],
        }),
        o,
      ),
    ),
  ]);
  const max = (prefix: string) => {
    const v = (data.MetricDataResults ?? [])
      .filter((r) => r.Id?.startsWith(prefix))
      .flatMap((r) => r.Values ?? []);
    return v.length ? Math.max(...v) : undefined;
  };
  const scaling = clusters.DBClusters?.[0]?.ServerlessV2ScalingConfiguration;
  const posture = { name: rc.posture, instances: rc.web.minCapacity, acu: d.config.database.minCapacityAcu };
  const bounds = {
    headroomPercent: d.config.capacity.headroomPercent,
    maxInstances: group.MaxSize ?? rc.web.maxCapacity,
    postureMinInstances: posture.instances,
    maxAcu: scaling?.MaxCapacity ?? d.config.database.maxCapacityAcu,
    postureMinAcu: posture.acu,
  };
  const peak = { instances: max('peakins'), acu: max('peakacu') };
  return {
    region,
    groupName: group.AutoScalingGroupName as string,
    group: { min: group.MinSize ?? 0, desired: group.DesiredCapacity ?? 0, max: bounds.maxInstances },
    dbClusterId,
    acu: { min: scaling?.MinCapacity ?? posture.acu, max: bounds.maxAcu },
    posture,
    peak,
    target: absorbTarget(bounds, peak.instances, peak.acu),
  };
}

/** The cluster's Serverless v2 minimum ACU, read under `ctx` (a read-back after a write got no answer). */
async function clusterMinAcu(
  d: Deps,
  region: string,
  id: string,
  ctx: CallContext,
): Promise<number | undefined> {
  const r = await aws(ctx, region, 'rds:DescribeDBClusters', (o) =>
    d.clients(region).rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }), o),
  );
  return r.DBClusters?.[0]?.ServerlessV2ScalingConfiguration?.MinCapacity;
}

/**
 * Settles the step's writes (each confirmed by its answer or read back): changed when one is in
 * effect; UNKNOWN when one got no answer and could not be read back; NOT DONE when one was refused.
 */
async function settleWrites(
  d: Deps,
  ctx: { changed(): void; warn(text: string): void },
  writes: readonly Promise<string | null>[],
): Promise<void> {
  const results = await Promise.allSettled(writes);
  if (results.some((r) => r.status === 'fulfilled' && r.value !== null)) ctx.changed();
  for (const r of results) if (r.status === 'fulfilled' && r.value?.includes(LATE)) ctx.warn(r.value);
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (!failed.length) return;
  const text = failed.map((f) => describeError(f.reason, d.profile)).join('; ');
  if (failed.some((f) => f.reason instanceof OutcomeUnknown))
    throw new OutcomeUnknown(text, d.signal.aborted);
  throw new StepFailure(text);
}

/** A write that says what it did, confirmed by its answer or read back (null: nothing to write). */
function write(
  d: Deps,
  what: string,
  send: () => Promise<unknown>,
  readBack: (ctx: CallContext) => Promise<boolean>,
): Promise<string | null> {
  return confirmedWrite(d, send, readBack).then((how) => (how === 'read-back' ? `${what}: ${LATE}` : what));
}

/** Raises the group (min and desired) and the cluster's minimum ACU to the plan's target, both at once. */
export function scaleUpStep(d: Deps, c: CapacityClients, p: CapacityPlan): Step {
  const basis = p.target.known
    ? `mirrored peak ${p.peak.instances} instances / ${p.peak.acu} ACU × ${d.config.capacity.headroomPercent} %`
    : 'no mirrored capacity: the maximum';
  return {
    title: `Scale ${p.region} to ${p.target.instances} instances and ${p.target.acu} ACU minimum (${basis})`,
    region: p.region,
    changes: `UpdateAutoScalingGroup ${p.groupName} MinSize ${p.group.min} -> ${p.target.instances}, DesiredCapacity ${p.group.desired} -> ${Math.max(p.group.desired, p.target.instances)}; ModifyDBCluster ${p.dbClusterId} MinCapacity ${p.acu.min} -> ${p.target.acu}`,
    expected: 'seconds (the instances then start: see the next step)',
    kind: 'change',
    done: p.group.min >= p.target.instances && p.acu.min >= p.target.acu,
    async run(ctx) {
      await settleWrites(d, ctx, [
        p.group.min < p.target.instances
          ? write(
              d,
              `${p.groupName} MinSize ${p.target.instances}`,
              () =>
                aws(d, p.region, 'autoscaling:UpdateAutoScalingGroup', (o) =>
                  c.autoscaling.send(
                    new UpdateAutoScalingGroupCommand({
                      AutoScalingGroupName: p.groupName,
                      MinSize: p.target.instances,
                      DesiredCapacity: Math.max(p.group.desired, p.target.instances),
                    }),
                    o,
                  ),
                ),
              async (x) => ((await locateGroup(d, c, p.region, x)).MinSize ?? 0) >= p.target.instances,
            )
          : Promise.resolve(null),
        p.acu.min < p.target.acu
          ? write(
              d,
              `${p.dbClusterId} MinCapacity ${p.target.acu}`,
              () =>
                aws(d, p.region, 'rds:ModifyDBCluster', (o) =>
                  d.clients(p.region).rds.send(
                    new ModifyDBClusterCommand({
                      DBClusterIdentifier: p.dbClusterId,
                      ServerlessV2ScalingConfiguration: { MinCapacity: p.target.acu, MaxCapacity: p.acu.max },
                      ApplyImmediately: true,
                    }),
                    o,
                  ),
                ),
              async (x) => ((await clusterMinAcu(d, p.region, p.dbClusterId, x)) ?? 0) >= p.target.acu,
            )
          : Promise.resolve(null),
      ]);
      return `requested ${p.target.instances} instances, ${p.target.acu} ACU minimum`;
    },
  };
}

/** Waits until the group has the target's healthy in-service instances (before customers are moved). */
export function waitCapacityStep(d: Deps, c: CapacityClients, p: CapacityPlan): Step {
  return {
    title: `Wait until ${p.target.instances} instances are in service and healthy in ${p.region}`,
    region: p.region,
    changes: 'nothing (polls DescribeAutoScalingGroups)',
    expected: `about 1-2 min from the warm pool, up to 4 min for new instances (gives up after ${Math.round(d.verifyTimeoutMs / 1000)} s)`,
    kind: 'wait',
    done: false,
    async run(ctx) {
      const start = d.now().getTime();
      for (;;) {
        const group = await locateGroup(d, c, p.region);
        const healthy = (group.Instances ?? []).filter(
          (i) => i.LifecycleState === 'InService' && i.HealthStatus === 'Healthy',
        ).length;
        ctx.update(`${healthy}/${p.target.instances} healthy in service`);
        if (healthy >= p.target.instances) return `${healthy} healthy in service`;
        if (d.now().getTime() - start >= d.verifyTimeoutMs) {
          throw new StepFailure(
            `only ${healthy} of ${p.target.instances} instances healthy in ${p.region} after ${Math.round(d.verifyTimeoutMs / 1000)} s; nothing was drained`,
          );
        }
        await d.sleep(d.pollMs);
      }
    },
  };
}

/**
 * Returns a region to its posture minimums. Desired capacity is left alone: target tracking scales
 * in only as the load leaves, so this never cuts capacity under customers.
 */
export function restorePostureStep(d: Deps, c: CapacityClients, p: CapacityPlan): Step {
  return {
    title: `Return ${p.region} to its ${p.posture.name} posture (minimum ${p.posture.instances} instances, ${p.posture.acu} ACU)`,
    region: p.region,
    changes: `UpdateAutoScalingGroup ${p.groupName} MinSize ${p.group.min} -> ${p.posture.instances} (desired left to target tracking); ModifyDBCluster ${p.dbClusterId} MinCapacity ${p.acu.min} -> ${p.posture.acu}`,
    expected: 'seconds; instances leave as the load does',
    kind: 'change',
    done: p.group.min <= p.posture.instances && p.acu.min <= p.posture.acu,
    baseline: true,
    async run(ctx) {
      // one after the other, as before: the group first, so that a refused group leaves the database alone
      await settleWrites(d, ctx, [
        p.group.min > p.posture.instances
          ? write(
              d,
              `${p.groupName} MinSize ${p.posture.instances}`,
              () =>
                aws(d, p.region, 'autoscaling:UpdateAutoScalingGroup', (o) =>
                  c.autoscaling.send(
                    new UpdateAutoScalingGroupCommand({
                      AutoScalingGroupName: p.groupName,
                      MinSize: p.posture.instances,
                    }),
                    o,
                  ),
                ),
              async (x) => ((await locateGroup(d, c, p.region, x)).MinSize ?? 0) <= p.posture.instances,
            )
          : Promise.resolve(null),
      ]);
      await settleWrites(d, ctx, [
        p.acu.min > p.posture.acu
          ? write(
              d,
              `${p.dbClusterId} MinCapacity ${p.posture.acu}`,
              () =>
                aws(d, p.region, 'rds:ModifyDBCluster', (o) =>
                  d.clients(p.region).rds.send(
                    new ModifyDBClusterCommand({
                      DBClusterIdentifier: p.dbClusterId,
                      ServerlessV2ScalingConfiguration: {
                        MinCapacity: p.posture.acu,
                        MaxCapacity: p.acu.max,
                      },
                      ApplyImmediately: true,
                    }),
                    o,
                  ),
                ),
              async (x) =>
                ((await clusterMinAcu(d, p.region, p.dbClusterId, x)) ?? Infinity) <= p.posture.acu,
            )
          : Promise.resolve(null),
      ]);
      return 'posture restored';
    },
  };
}

/**
 * Reads a region's capacity for a plan; when it cannot (no capacity clients in an embedded use, or
 * the region's APIs do not answer), returns undefined with a warning: the scaler Lambda in the
 * region still raises it when the customers arrive.
 */
export async function capacityOrWarn(
  d: Deps,
  clients: CapacityClientsFor | undefined,
  region: string,
  warnings: string[],
): Promise<{ plan: CapacityPlan; clients: CapacityClients } | undefined> {
  if (!clients) {
    warnings.push(
      `capacity steps skipped: no Auto Scaling client was provided; the scaler in ${region} raises it when traffic arrives`,
    );
    return undefined;
  }
  try {
    const c = clients(region);
    return { plan: await readCapacity(d, c, region), clients: c };
  } catch (e) {
    if (errorKind(e) === 'interrupted' || errorKind(e) === 'credentials') throw e;
    warnings.push(
      `could not read the capacity of ${region} (${describeError(e, d.profile)}); not pre-scaling: the scaler in ${region} raises it when traffic arrives, if its Auto Scaling API answers by then`,
    );
    return undefined;
  }
}
