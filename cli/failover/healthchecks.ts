import {
  GetHealthCheckStatusCommand,
  ListHealthChecksCommand,
  ListTagsForResourcesCommand,
} from '@aws-sdk/client-route-53';
import { Names } from '../../lib/config/names';
import { aws } from '../aws/errors';
import type { Deps } from '../aws/deps';

export const R53_UNKNOWN = 'unknown (Route 53 API unreachable)';

export interface CheckStatus {
  readonly state: 'healthy' | 'unhealthy' | 'unknown';
  /** Checkers reporting success, and all checkers that reported. */
  readonly healthy: number;
  readonly total: number;
  /** Human summary, e.g. "healthy 15/16 checkers". */
  readonly summary: string;
}

/** Route 53 considers an endpoint healthy when more than 18% of its checkers do. */
const HEALTHY_FRACTION = 0.18;

/** Health check ids by tag value (`endpoint:<r>`, `switch:<t>@<h>`, `region:<r>`). Route 53 is global: one region. */
export async function findHealthChecks(d: Deps): Promise<Map<string, string>> {
  const r53 = d.clients(d.globalRegion).route53;
  const ids: string[] = [];
  let marker: string | undefined;
  do {
    const page = await aws(d, d.globalRegion, 'route53:ListHealthChecks', (o) =>
      r53.send(new ListHealthChecksCommand(marker ? { Marker: marker } : {}), o),
    );
    for (const hc of page.HealthChecks ?? []) if (hc.Id) ids.push(hc.Id);
    marker = page.IsTruncated ? page.NextMarker : undefined;
  } while (marker);
  const byTag = new Map<string, string>();
  for (let i = 0; i < ids.length; i += 10) {
    const res = await aws(d, d.globalRegion, 'route53:ListTagsForResources', (o) =>
      r53.send(
        new ListTagsForResourcesCommand({ ResourceType: 'healthcheck', ResourceIds: ids.slice(i, i + 10) }),
        o,
      ),
    );
    for (const set of res.ResourceTagSets ?? []) {
      const tag = set.Tags?.find((t) => t.Key === Names.HEALTH_CHECK_TAG);
      if (tag?.Value && set.ResourceId) byTag.set(tag.Value, set.ResourceId);
    }
  }
  return byTag;
}

/** Status of one (non-calculated) health check from its checkers' observations. */
export async function checkStatus(d: Deps, id: string): Promise<CheckStatus> {
  const res = await aws(d, d.globalRegion, 'route53:GetHealthCheckStatus', (o) =>
    d.clients(d.globalRegion).route53.send(new GetHealthCheckStatusCommand({ HealthCheckId: id }), o),
  );
  const obs = res.HealthCheckObservations ?? [];
  const healthy = obs.filter((o) => o.StatusReport?.Status?.startsWith('Success')).length;
  const total = obs.length;
  if (total === 0) return unknownCheck('no checker observations');
  const state = healthy / total > HEALTHY_FRACTION ? 'healthy' : 'unhealthy';
  return { state, healthy, total, summary: `${state} ${healthy}/${total} checkers` };
}

export function unknownCheck(summary = R53_UNKNOWN): CheckStatus {
  return { state: 'unknown', healthy: 0, total: 0, summary };
}

/** Endpoint check status per region; never throws: Route 53 failures become "unknown". */
export async function endpointStatuses(
  d: Deps,
  regions: readonly string[],
): Promise<{ byRegion: Map<string, CheckStatus>; ids?: Map<string, string>; error?: unknown }> {
  const byRegion = new Map<string, CheckStatus>();
  try {
    const ids = await findHealthChecks(d);
    await Promise.all(
      regions.map(async (r) => {
        const id = ids.get(`endpoint:${r}`);
        byRegion.set(
          r,
          id ? await checkStatus(d, id) : unknownCheck('unknown (no health check tagged endpoint:' + r + ')'),
        );
      }),
    );
    return { byRegion, ids };
  } catch (error) {
    for (const r of regions) byRegion.set(r, unknownCheck());
    return { byRegion, error };
  }
}
