import { GetHealthCheckCommand, UpdateHealthCheckCommand } from '@aws-sdk/client-route-53';
import {
  fastPathHealthThreshold,
  HOLD_IN_HEALTH_THRESHOLD,
  regionHealthThreshold,
} from '../../lib/failover/health-thresholds';
import { ALB_ALIAS_TTL_SECONDS } from '../../lib/report/failover-time';
import { confirmedWrite, LATE, OutcomeUnknown } from '../action/readBack';
import { commandPrefix } from '../action/refusals';
import { aws, describeError, errorKind } from '../aws/errors';
import { findHealthChecks } from './healthchecks';
import { getHealthz, healthzSummary } from '../shop/healthz';
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
  return thresholdStep(d, region, hold ? 'out' : 'deployed', {
    title: `${hold ? 'Fast path: take' : 'Restore'} the region health check of ${region} ${hold ? 'out (Route 53 control plane)' : '(Route 53 control plane)'}`,
    region: d.globalRegion,
    changes: `UpdateHealthCheck region:${region} HealthThreshold=${hold ? 'children + 1 (always unhealthy)' : 'as deployed'} (a Route 53 API error is a warning, not a failure)`,
    expected: hold
      ? `seconds; traffic moves within ${d.config.healthCheck.intervalSeconds} s × ${d.config.healthCheck.failureThreshold} + ${ALB_ALIAS_TTL_SECONDS} s TTL = ${seconds} s (else the drain switch moves it in 2-5 min)`
      : 'seconds; done before any undrain, so a restored region is judged by its real health',
    kind: 'change',
    done: false,
    baseline: !hold,
  });
}

/**
 * Holds the serving `region` in DNS while a planned switchover runs (`shopctl failback`): its region
 * check's HealthThreshold is set to {@link HOLD_IN_HEALTH_THRESHOLD} ("always healthy"), because the
 * switchover makes its database unavailable for a while and its `/healthz` fails meanwhile, while the
 * primary is still drained: without the hold, the chain sends every customer to the outage page. The
 * failback's restore step ({@link fastPathStep} with `hold` false), right after the switchover is
 * verified, ends the hold. Like the fast path it never fails the action: without the Route 53 API, the
 * failback goes on and the warning says what customers may see.
 */
export function holdInStep(d: Deps, region: string): Step {
  return thresholdStep(d, region, 'in', {
    title: `Hold ${region} in DNS during the switchover (Route 53 control plane)`,
    region: d.globalRegion,
    changes: `UpdateHealthCheck region:${region} HealthThreshold=0 (always healthy) until the switchover is verified (a Route 53 API error is a warning, not a failure)`,
    expected: `seconds; customers stay on ${region} (read-only pages) while its database switches role`,
    kind: 'change',
    done: false,
  });
}

/**
 * Ends the hold of {@link holdInStep} once `region` can stand on its own: its `/healthz` answers 200
 * again (the switchover is over, its database answers as a reader), then one endpoint detection
 * (`failureThreshold` checks `intervalSeconds` apart) so that Route 53's checkers have seen it healthy
 * before the region check counts them again; then the deployed threshold is written back. A region
 * that does not come back within the verify timeout is released anyway, with a warning: a region held
 * in would keep customers even if it died.
 */
export function releaseHoldStep(d: Deps, region: string): Step {
  const hc = d.config.healthCheck;
  const restore = thresholdStep(d, region, 'deployed', {
    title: `End the hold on ${region} once its /healthz is back (Route 53 control plane)`,
    region: d.globalRegion,
    changes: `UpdateHealthCheck region:${region} HealthThreshold as deployed, after /healthz answers 200 and ${hc.intervalSeconds} s × ${hc.failureThreshold}`,
    expected: `under a minute after the switchover (gives up waiting after ${Math.round(d.verifyTimeoutMs / 1000)} s and restores anyway)`,
    kind: 'change',
    done: false,
    baseline: true,
  });
  return {
    ...restore,
    async run(ctx) {
      const start = d.now().getTime();
      for (;;) {
        const hz = await getHealthz(d, region);
        ctx.update(`${region} /healthz ${healthzSummary(hz)}`);
        if (hz.status === 200) break;
        if (d.now().getTime() - start >= d.verifyTimeoutMs) {
          ctx.warn(
            `${region} /healthz is not back (${healthzSummary(hz)}); its region check is restored anyway, so Route 53 judges it by its real health`,
          );
          return restore.run(ctx);
        }
        await d.sleep(d.pollMs);
      }
      await d.sleep(hc.intervalSeconds * hc.failureThreshold * 1000);
      return restore.run(ctx);
    },
  };
}

/** What a threshold step sets: out (always unhealthy), in (always healthy) or as deployed. */
type ThresholdMode = 'out' | 'in' | 'deployed';

function thresholdStep(d: Deps, region: string, mode: ThresholdMode, step: Omit<Step, 'run'>): Step {
  const seconds = fastPathSeconds(d);
  const hold = mode === 'out';
  return {
    ...step,
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
        const threshold =
          mode === 'out'
            ? fastPathHealthThreshold(children)
            : mode === 'in'
              ? HOLD_IN_HEALTH_THRESHOLD
              : regionHealthThreshold(children);
        if (hc?.HealthCheckConfig?.HealthThreshold === threshold) {
          return mode === 'out'
            ? `fast path: ${id} already held out`
            : mode === 'in'
              ? `${id} already held in`
              : `${id} as deployed`;
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
        if (mode === 'in') return `${id} held in: needs 0 of ${children} healthy (always healthy)`;
        return hold
          ? `fast path acted: ${id} needs ${threshold} of ${children} healthy (always unhealthy), traffic moves within ${seconds} s`
          : `${id} restored (${threshold} of ${children})`;
      } catch (e) {
        if (e instanceof OutcomeUnknown) {
          ctx.warn(
            `UNKNOWN whether the region check of ${region} is ${mode === 'out' ? 'held out' : mode === 'in' ? 'held in' : 'restored'} (${e.message}); ` +
              `"${commandPrefix(d)} status" shows it, and a re-run sets it`,
          );
          return 'unknown (no answer, no read-back)';
        }
        if (errorKind(e) === 'interrupted') throw e;
        const why = describeError(e, d.profile);
        // Never blocks: a failover still has the drain switch, and a failback must work while the
        // Route 53 API is down (a check left held out shows in status and is restored by a re-run).
        ctx.warn(
          mode === 'out'
            ? `Route 53 control plane unavailable (${why}): the data-plane drain switch alone moves traffic (2-5 min)`
            : mode === 'in'
              ? `Route 53 control plane unavailable (${why}): ${region} is not held in; if the switchover makes its /healthz fail for longer than a detection, customers see the outage page until the primary is back`
              : `could not make sure the region health check of ${region} is as deployed (${why}); re-run when the Route 53 API answers`,
        );
        return mode === 'out' ? 'data-plane switch only' : mode === 'in' ? 'not held in' : 'not verified';
      }
    },
  };
}

/** Whether the fast path holds a region out now; null when Route 53 did not say. */
export interface FastPathView {
  readonly held: boolean | null;
  /** Held in (HealthThreshold 0, always healthy): a failback stopped before it restored the check. */
  readonly heldIn?: boolean;
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
        out.set(region, {
          held: (c?.HealthThreshold ?? 0) > (c?.ChildHealthChecks?.length ?? 0),
          heldIn: c?.HealthThreshold === HOLD_IN_HEALTH_THRESHOLD,
        });
      } catch (e) {
        if (errorKind(e) === 'interrupted') throw e;
        out.set(region, { held: null, error: describeError(e, d.profile) });
      }
    }),
  );
  return out;
}
