/**
 * Failover arithmetic read from synthesized templates (not from the config), so a reviewer and a
 * test see what would actually be deployed.
 */

/** TTL Route 53 answers with for an alias to an ALB (fixed by AWS). */
export const ALB_ALIAS_TTL_SECONDS = 60;

/** The endpoint health check of one region as found in the edge template. */
export interface EndpointCheck {
  readonly fqdn: string;
  readonly intervalSeconds: number;
  readonly failureThreshold: number;
}

/** Worst-case automatic failover of one region: detection (interval × threshold) plus resolver caches (TTL). */
export interface FailoverTime {
  readonly region: string;
  readonly detectionSeconds: number;
  readonly ttlSeconds: number;
  readonly worstCaseSeconds: number;
}

type Resources = Record<string, { Type: string; Properties?: any }>;

/** Endpoint (HTTPS) health checks in an edge template, keyed by the region named in their tag. */
export function endpointChecks(template: { Resources: Resources }, tagKey: string): Record<string, EndpointCheck> {
  const out: Record<string, EndpointCheck> = {};
  for (const r of Object.values(template.Resources)) {
    if (r.Type !== 'AWS::Route53::HealthCheck') continue;
    const tag = (r.Properties.HealthCheckTags ?? []).find((t: any) => t.Key === tagKey)?.Value as string | undefined;
    if (!tag?.startsWith('endpoint:')) continue;
    const c = r.Properties.HealthCheckConfig;
    out[tag.slice('endpoint:'.length)] = {
      fqdn: c.FullyQualifiedDomainName,
      intervalSeconds: c.RequestInterval ?? 30,
      failureThreshold: c.FailureThreshold ?? 3,
    };
  }
  return out;
}

/** Worst-case automatic failover per region: interval × threshold + the alias TTL. */
export function failoverTimes(checks: Record<string, EndpointCheck>): FailoverTime[] {
  return Object.entries(checks).map(([region, c]) => {
    const detectionSeconds = c.intervalSeconds * c.failureThreshold;
    return {
      region,
      detectionSeconds,
      ttlSeconds: ALB_ALIAS_TTL_SECONDS,
      worstCaseSeconds: detectionSeconds + ALB_ALIAS_TTL_SECONDS,
    };
  });
}
