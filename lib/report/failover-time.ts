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

/** The parts of a CloudFormation template this module reads. */
export interface TemplateJson {
  readonly Resources?: Record<
    string,
    { readonly Type: string; readonly Properties?: Record<string, unknown> }
  >;
}

interface HealthCheckProperties {
  readonly HealthCheckConfig: {
    readonly FullyQualifiedDomainName?: string;
    readonly RequestInterval?: number;
    readonly FailureThreshold?: number;
  };
  readonly HealthCheckTags?: ReadonlyArray<{ readonly Key: string; readonly Value: string }>;
}

/**
 * Worst-case automatic failover of a Route 53 endpoint check: `failureThreshold` failed requests
 * `intervalSeconds` apart before the check turns unhealthy, then up to one alias TTL for resolvers
 * to drop the cached answer. The config validator and the resilience report both use this, so the
 * budget refused at synth is the one the report grades.
 */
export function worstCaseFailoverSeconds(intervalSeconds: number, failureThreshold: number): number {
  return intervalSeconds * failureThreshold + ALB_ALIAS_TTL_SECONDS;
}

/** Endpoint (HTTPS) health checks in an edge template, keyed by the region named in their tag. */
export function endpointChecks(template: TemplateJson, tagKey: string): Record<string, EndpointCheck> {
  const out: Record<string, EndpointCheck> = {};
  for (const r of Object.values(template.Resources ?? {})) {
    if (r.Type !== 'AWS::Route53::HealthCheck') continue;
    const props = r.Properties as unknown as HealthCheckProperties;
    const tag = props.HealthCheckTags?.find((t) => t.Key === tagKey)?.Value;
    if (!tag?.startsWith('endpoint:')) continue;
    const c = props.HealthCheckConfig;
    out[tag.slice('endpoint:'.length)] = {
      fqdn: c.FullyQualifiedDomainName ?? '',
      // Route 53's defaults when a property is left out.
      intervalSeconds: c.RequestInterval ?? 30,
      failureThreshold: c.FailureThreshold ?? 3,
    };
  }
  return out;
}

/** Worst-case automatic failover per region: interval × threshold + the alias TTL. */
export function failoverTimes(checks: Record<string, EndpointCheck>): FailoverTime[] {
  return Object.entries(checks).map(([region, c]) => {
    return {
      region,
      detectionSeconds: c.intervalSeconds * c.failureThreshold,
      ttlSeconds: ALB_ALIAS_TTL_SECONDS,
      worstCaseSeconds: worstCaseFailoverSeconds(c.intervalSeconds, c.failureThreshold),
    };
  });
}
