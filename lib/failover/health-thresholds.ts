/**
 * The HealthThreshold values of a region's CALCULATED health check, shared by the DNS failover
 * construct that synthesizes them (`dns-failover.ts`) and by `shopctl`, which sets and restores them.
 * Kept apart from the construct so that the CLI does not load aws-cdk-lib's Route 53 and CloudWatch
 * modules, or cdk-nag through the drain switch's alarm fingerprint, only to read four numbers.
 */

/**
 * How many copies of a region's drain switch must say "drained" (or be silent) to take it out of
 * DNS. One is never enough: a holder region that is down (or whose CloudWatch Route 53 cannot read)
 * is one silent copy, and must not block the region it holds a copy for.
 */
export const DRAIN_VOTES = 2;

/**
 * HealthThreshold of a region's CALCULATED check with `children` children: the endpoint weighs
 * {@link DRAIN_VOTES} (it and its copies) and each switch copy one, so the region is healthy iff its
 * endpoint is up and fewer than DRAIN_VOTES copies say "drained" (or are silent):
 * threshold = children - DRAIN_VOTES + 1. `shopctl` restores this value after the fast path.
 */
export function regionHealthThreshold(children: number): number {
  return children - DRAIN_VOTES + 1;
}

/**
 * HealthThreshold that the fast path of `shopctl failover` sets on a region's CALCULATED check: more
 * than its children, which Route 53 documents as "always unhealthy"
 * (https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/route53/aws.sdk.kotlin.services.route53.model/-update-health-check-request/health-threshold.html).
 * Unlike inverting a child, it takes the region out whatever the region's real health: inverting the
 * endpoint of a region that is down would make it healthy and bring customers back to it.
 */
export function fastPathHealthThreshold(children: number): number {
  return children + 1;
}

/**
 * HealthThreshold that `shopctl failback` sets on the serving region's CALCULATED check while the
 * planned switchover runs: 0, which Route 53 documents as "always healthy"
 * (https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/route53/aws.sdk.kotlin.services.route53.model/-update-health-check-request/health-threshold.html).
 * A switchover makes every cluster of the global database unavailable for a short time
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_SwitchoverGlobalCluster.html), so
 * the serving region's `/healthz` fails meanwhile; with the primary still drained, the chain would
 * send every customer to the outage page. Held in, customers keep the serving region's cached
 * catalogue (read-only pages) until the primary is back. Restored as soon as the switchover is verified.
 */
export const HOLD_IN_HEALTH_THRESHOLD = 0;
