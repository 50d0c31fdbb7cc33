import { GetHealthCheckCommand, UpdateHealthCheckCommand } from '@aws-sdk/client-route-53';
import { ALB_ALIAS_TTL_SECONDS } from '../../lib/report/failover-time';
import { confirmedWrite, LATE, OutcomeUnknown } from '../action/readBack';
import { aws, describeError, errorKind } from '../aws/errors';
import { findHealthChecks } from './healthchecks';
import type { Deps } from '../aws/deps';
import type { Step } from '../action/steps';

/**
 * Seconds until traffic moves once a region's endpoint check is inverted: Route 53 needs
 * `failureThreshold` failed observations `intervalSeconds` apart, then resolvers follow the
 * alias TTL. https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-invert.html
 */
export function fastPathSeconds(d: Pick<Deps, 'config'>): number {
  const hc = d.config.healthCheck;
  return hc.intervalSeconds * hc.failureThreshold + ALB_ALIAS_TTL_SECONDS;
}

/**
 * The fast manual switch (#14 item 6): when the Route 53 control plane answers, invert (or restore)
 * `region`'s endpoint health check, so its CALCULATED check fails within {@link fastPathSeconds}
 * instead of the 2-3 min of the alarm-backed drain switch. It never fails the action: the drain
 * switch, set by its own step, is the path that always works; a Route 53 API error is a warning
 * and the step's detail says which path acted (also in the audit trail).
 */
export function invertStep(d: Deps, region: string, inverted: boolean): Step {
  const seconds = fastPathSeconds(d);
  return {
    title: `${inverted ? 'Fast path: invert' : 'Restore'} the endpoint health check of ${region} (Route 53 control plane)`,
    region: d.globalRegion,
    changes: `UpdateHealthCheck endpoint:${region} Inverted=${inverted} (a Route 53 API error is a warning, not a failure)`,
    expected: inverted
      ? `seconds; traffic moves within ${d.config.healthCheck.intervalSeconds} s × ${d.config.healthCheck.failureThreshold} + ${ALB_ALIAS_TTL_SECONDS} s TTL = ${seconds} s (else the drain switch moves it in 2-3 min)`
      : 'seconds; done before any undrain, so a restored region is judged by its real health',
    kind: 'change',
    done: false,
    baseline: !inverted,
    async run(ctx) {
      const r53 = d.clients(d.globalRegion).route53;
      try {
        const id = (await findHealthChecks(d)).get(`endpoint:${region}`);
        if (!id) throw new Error(`no health check tagged endpoint:${region}`);
        const hc = (
          await aws(d, d.globalRegion, 'route53:GetHealthCheck', (o) =>
            r53.send(new GetHealthCheckCommand({ HealthCheckId: id }), o),
          )
        ).HealthCheck;
        if ((hc?.HealthCheckConfig?.Inverted ?? false) === inverted) {
          return inverted ? `fast path: ${id} already inverted` : `${id} not inverted`;
        }
        // The version guards against overwriting a concurrent change (Route 53 rejects a stale one).
        // No answer: read `Inverted` back before saying anything.
        const how = await confirmedWrite(
          d,
          () =>
            aws(d, d.globalRegion, 'route53:UpdateHealthCheck', (o) =>
              r53.send(
                new UpdateHealthCheckCommand({
                  HealthCheckId: id,
                  HealthCheckVersion: hc?.HealthCheckVersion,
                  Inverted: inverted,
                }),
                o,
              ),
            ),
          async (c) =>
            ((
              await aws(c, d.globalRegion, 'route53:GetHealthCheck', (o) =>
                r53.send(new GetHealthCheckCommand({ HealthCheckId: id }), o),
              )
            ).HealthCheck?.HealthCheckConfig?.Inverted ?? false) === inverted,
        );
        if (how === 'read-back') ctx.warn(`route53:UpdateHealthCheck of ${id}: ${LATE}`);
        ctx.changed();
        return inverted
          ? `fast path acted: ${id} inverted, traffic moves within ${seconds} s`
          : `${id} restored`;
      } catch (e) {
        if (e instanceof OutcomeUnknown) {
          ctx.warn(
            `UNKNOWN whether the endpoint check of ${region} is ${inverted ? '' : 'no longer '}inverted (${e.message}); ` +
              `npx shopctl status shows it, and a re-run sets it`,
          );
          return 'unknown (no answer, no read-back)';
        }
        if (errorKind(e) === 'interrupted') throw e;
        const why = describeError(e, d.profile);
        // Never blocks: a failover still has the drain switch, and a failback must work while the
        // Route 53 API is down (a check left inverted shows in the audit and is restored by a re-run).
        ctx.warn(
          inverted
            ? `Route 53 control plane unavailable (${why}): the data-plane drain switch alone moves traffic (2-3 min)`
            : `could not make sure the endpoint check of ${region} is not inverted (${why}); re-run when the Route 53 API answers`,
        );
        return inverted ? 'data-plane switch only' : 'not verified';
      }
    },
  };
}

/** Whether a region's endpoint check is inverted (the fast path acted); null when Route 53 did not say. */
export interface InvertedView {
  readonly inverted: boolean | null;
  readonly error?: string;
}

/**
 * Reads `Inverted` of each region's endpoint check (GetHealthCheck, one call per region, each under the
 * run's deadline); `ids` undefined means the checks could not be listed (Route 53 API unreachable). Never throws: a Route 53 control plane that does not answer makes the state unknown,
 * with the reason (`shopctl status` must work while Route 53's API is impaired).
 */
export async function readInverted(
  d: Deps,
  ids: ReadonlyMap<string, string> | undefined,
  regions: readonly string[],
): Promise<Map<string, InvertedView>> {
  const out = new Map<string, InvertedView>();
  await Promise.all(
    regions.map(async (region) => {
      const id = ids?.get(`endpoint:${region}`);
      if (!id) {
        out.set(region, {
          inverted: null,
          error: ids ? `no health check tagged endpoint:${region}` : 'Route 53 API unreachable',
        });
        return;
      }
      try {
        const res = await aws(d, d.globalRegion, 'route53:GetHealthCheck', (o) =>
          d.clients(d.globalRegion).route53.send(new GetHealthCheckCommand({ HealthCheckId: id }), o),
        );
        out.set(region, { inverted: res.HealthCheck?.HealthCheckConfig?.Inverted ?? false });
      } catch (e) {
        if (errorKind(e) === 'interrupted') throw e;
        out.set(region, { inverted: null, error: describeError(e, d.profile) });
      }
    }),
  );
  return out;
}
