import { GetHealthCheckCommand, UpdateHealthCheckCommand } from '@aws-sdk/client-route-53';
import { fastPathHealthThreshold, regionHealthThreshold } from '../../lib/failover/dns-failover';
import { ALB_ALIAS_TTL_SECONDS } from '../../lib/report/failover-time';
import { confirmedWrite, LATE, OutcomeUnknown } from '../action/readBack';
import { commandPrefix } from '../action/refusals';
import { aws, describeError, errorKind } from '../aws/errors';
import { findHealthChecks } from './healthchecks';
import type { Deps } from '../aws/deps';
import type { Step } from '../action/steps';

/**
 * Seconds until traffic moves once the fast path holds a region out: the stated bound is one
 * endpoint-check detection (`failureThreshold` observations `intervalSeconds` apart) plus the alias
 * TTL. A CALCULATED check has no failure threshold of its own and Route 53 does not document how
 * soon an UpdateHealthCheck applies, so the detection term is kept as a margin; `npm run drill:local`
 * measures the fast path against this bound.
 */
export function fastPathSeconds(d: Pick<Deps, 'config'>): number {
  const hc = d.config.healthCheck;
  return hc.intervalSeconds * hc.failureThreshold + ALB_ALIAS_TTL_SECONDS;
}

/**
 * The fast manual switch: when the Route 53 control plane answers, set the HealthThreshold of
 * `region`'s CALCULATED check (tag `region:<region>`) above its number of children, which Route 53
 * documents as "always unhealthy", so the chain skips the region within {@link fastPathSeconds}
 * instead of the 2-5 min of the alarm-backed drain switch; restoring sets the deployed threshold back
 * ({@link regionHealthThreshold}). Inverting one child cannot do this: the endpoint weighs two votes
 * in the region check, and inverting the endpoint of a region that is down makes it healthy (see
 * docs/failover-paths.md). It never fails the action: the drain switch, set by its own step, is the
 * path that always works; a Route 53 API error is a warning and the step's detail says which path
 * acted (also in the audit trail).
 */
export function fastPathStep(d: Deps, region: string, hold: boolean): Step {
  const seconds = fastPathSeconds(d);
  return {
    title: `${hold ? 'Fast path: take' : 'Restore'} the region health check of ${region} ${hold ? 'out (Route 53 control plane)' : '(Route 53 control plane)'}`,
    region: d.globalRegion,
    changes: `UpdateHealthCheck region:${region} HealthThreshold=${hold ? 'children + 1 (always unhealthy)' : 'as deployed'} (a Route 53 API error is a warning, not a failure)`,
    expected: hold
      ? `seconds; traffic moves within ${d.config.healthCheck.intervalSeconds} s × ${d.config.healthCheck.failureThreshold} + ${ALB_ALIAS_TTL_SECONDS} s TTL = ${seconds} s (else the drain switch moves it in 2-5 min)`
      : 'seconds; done before any undrain, so a restored region is judged by its real health',
    kind: 'change',
    done: false,
    baseline: !hold,
    async run(ctx) {
      const r53 = d.clients(d.globalRegion).route53;
      try {
        const id = (await findHealthChecks(d)).get(`region:${region}`);
        if (!id) throw new Error(`no health check tagged region:${region}`);
        const hc = (
          await aws(d, d.globalRegion, 'route53:GetHealthCheck', (o) =>
            r53.send(new GetHealthCheckCommand({ HealthCheckId: id }), o),
          )
        ).HealthCheck;
        const children = hc?.HealthCheckConfig?.ChildHealthChecks?.length ?? 0;
        if (children === 0) throw new Error(`health check ${id} (region:${region}) has no children`);
        const threshold = hold ? fastPathHealthThreshold(children) : regionHealthThreshold(children);
        if (hc?.HealthCheckConfig?.HealthThreshold === threshold) {
          return hold ? `fast path: ${id} already held out` : `${id} as deployed`;
        }
        // The version guards against overwriting a concurrent change (Route 53 rejects a stale one).
        // No answer: read the threshold back before saying anything.
        const how = await confirmedWrite(
          d,
          () =>
            aws(d, d.globalRegion, 'route53:UpdateHealthCheck', (o) =>
              r53.send(
                new UpdateHealthCheckCommand({
                  HealthCheckId: id,
                  HealthCheckVersion: hc?.HealthCheckVersion,
                  HealthThreshold: threshold,
                }),
                o,
              ),
            ),
          async (c) =>
            (
              await aws(c, d.globalRegion, 'route53:GetHealthCheck', (o) =>
                r53.send(new GetHealthCheckCommand({ HealthCheckId: id }), o),
              )
            ).HealthCheck?.HealthCheckConfig?.HealthThreshold === threshold,
        );
        if (how === 'read-back') ctx.warn(`route53:UpdateHealthCheck of ${id}: ${LATE}`);
        ctx.changed();
        return hold
          ? `fast path acted: ${id} needs ${threshold} of ${children} healthy (always unhealthy), traffic moves within ${seconds} s`
          : `${id} restored (${threshold} of ${children})`;
      } catch (e) {
        if (e instanceof OutcomeUnknown) {
          ctx.warn(
            `UNKNOWN whether the region check of ${region} is ${hold ? 'held out' : 'restored'} (${e.message}); ` +
              `"${commandPrefix(d)} status" shows it, and a re-run sets it`,
          );
          return 'unknown (no answer, no read-back)';
        }
        if (errorKind(e) === 'interrupted') throw e;
        const why = describeError(e, d.profile);
        // Never blocks: a failover still has the drain switch, and a failback must work while the
        // Route 53 API is down (a check left held out shows in status and is restored by a re-run).
        ctx.warn(
          hold
            ? `Route 53 control plane unavailable (${why}): the data-plane drain switch alone moves traffic (2-5 min)`
            : `could not make sure the region health check of ${region} is as deployed (${why}); re-run when the Route 53 API answers`,
        );
        return hold ? 'data-plane switch only' : 'not verified';
      }
    },
  };
}

/** Whether the fast path holds a region out now; null when Route 53 did not say. */
export interface FastPathView {
  readonly held: boolean | null;
  readonly error?: string;
}

/**
 * Reads the region check of each region (GetHealthCheck, one call per region, each under the run's
 * deadline): held out when its HealthThreshold exceeds its children. `ids` undefined means the checks
 * could not be listed (Route 53 API unreachable). Never throws: a Route 53 control plane that does
 * not answer makes the state unknown, with the reason (`shopctl status` must work while Route 53's
 * API is impaired).
 */
export async function readFastPath(
  d: Deps,
  ids: ReadonlyMap<string, string> | undefined,
  regions: readonly string[],
): Promise<Map<string, FastPathView>> {
  const out = new Map<string, FastPathView>();
  await Promise.all(
    regions.map(async (region) => {
      const id = ids?.get(`region:${region}`);
      if (!id) {
        out.set(region, {
          held: null,
          error: ids ? `no health check tagged region:${region}` : 'Route 53 API unreachable',
        });
        return;
      }
      try {
        const res = await aws(d, d.globalRegion, 'route53:GetHealthCheck', (o) =>
          d.clients(d.globalRegion).route53.send(new GetHealthCheckCommand({ HealthCheckId: id }), o),
        );
        const c = res.HealthCheck?.HealthCheckConfig;
        out.set(region, { held: (c?.HealthThreshold ?? 0) > (c?.ChildHealthChecks?.length ?? 0) });
      } catch (e) {
        if (errorKind(e) === 'interrupted') throw e;
        out.set(region, { held: null, error: describeError(e, d.profile) });
      }
    }),
  );
  return out;
}
