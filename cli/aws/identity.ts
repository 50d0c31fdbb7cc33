import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { aws } from './errors';
import type { DeadlineOptions } from './deadline';
import type { Deps } from './deps';

/** Who the credentials belong to, from STS. */
export interface CallerIdentity {
  readonly arn: string | null;
  readonly account: string | null;
}

const cache = new WeakMap<Deps, Promise<CallerIdentity>>();

/**
 * The caller's identity from STS, asked in every configured region at once: the first region in config
 * order that answers wins, so a dead region costs one deadline, not one per region. Memoised per run.
 * @throws the first region's error when no region answers.
 */
export function callerIdentity(d: Deps, o: DeadlineOptions = {}): Promise<CallerIdentity> {
  const hit = cache.get(d);
  if (hit) return hit;
  const regions = d.config.regions.map((r) => r.name);
  const attempts = regions.map((region) =>
    aws(
      d,
      region,
      'sts:GetCallerIdentity',
      (x) => d.clients(region).sts.send(new GetCallerIdentityCommand({}), x),
      o,
    ),
  );
  const p = (async () => {
    const settled = await Promise.allSettled(attempts);
    const ok = settled.find((s) => s.status === 'fulfilled');
    if (!ok) throw (settled[0] as PromiseRejectedResult).reason;
    const res = (ok as PromiseFulfilledResult<{ Arn?: string; Account?: string }>).value;
    const arn = res.Arn ?? null;
    return { arn, account: res.Account ?? (arn ? (arn.split(':')[4] ?? null) : null) };
  })();
  cache.set(d, p);
  p.catch(() => cache.delete(d));
  return p;
}
