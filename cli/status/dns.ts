import { withDeadline } from '../aws/deadline';
import type { Deps } from '../aws/deps';

export interface DnsView {
  /** Region code, "outage", or "unknown". */
  readonly resolvesTo: string;
  readonly addresses: readonly string[];
  readonly error?: string;
}

async function tryResolve(d: Deps, host: string): Promise<string[] | null> {
  try {
    // the resolver retries for a long time on its own; bound it like every other call
    return await withDeadline(d, () => d.resolve4(host), { timeoutMs: d.httpTimeoutMs });
  } catch {
    return null;
  }
}

/** Where the public name resolves now: the region (or outage page) whose own name shares its addresses. */
export async function whereDoesPublicResolve(d: Deps): Promise<DnsView> {
  const regions = d.config.regions.map((r) => r.name);
  const targets: [string, string][] = [
    ...regions.map((r): [string, string] => [r, d.names.regionRecord(r)]),
    ['outage', d.names.outageRecord()],
  ];
  const [pub, ...others] = await Promise.all([
    tryResolve(d, d.config.domainName),
    ...targets.map(([, host]) => tryResolve(d, host)),
  ]);
  if (!pub || pub.length === 0) {
    return { resolvesTo: 'unknown', addresses: [], error: `could not resolve ${d.config.domainName}` };
  }
  const match = targets.find((_, i) => (others[i] ?? []).some((ip) => pub.includes(ip)));
  return match
    ? { resolvesTo: match[0], addresses: pub }
    : { resolvesTo: 'unknown', addresses: pub, error: 'addresses match no region and not the outage page' };
}
