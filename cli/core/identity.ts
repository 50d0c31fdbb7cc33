import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { aws, describeError, errorKind } from './errors';
import type { DeadlineOptions } from './deadline';
import type { Deps } from './deps';
import type { Refusal } from './action';

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

/**
 * Refusal when the credentials are not for the config's account (or cannot be checked): acting with the
 * wrong profile would change another deployment, or fail halfway on missing resources. `--force`
 * overrides it.
 */
export async function accountRefusal(d: Deps): Promise<Refusal | undefined> {
  try {
    const id = await callerIdentity(d);
    if (id.account === d.config.account) return undefined;
    return {
      forceable: true,
      reason:
        `the credentials are for account ${id.account ?? 'unknown'} (${id.arn ?? 'no ARN'}), but config ` +
        `"${d.config.configName}" is for account ${d.config.account}. Fix: use the profile of account ` +
        `${d.config.account} (--profile)`,
    };
  } catch (e) {
    if (errorKind(e) === 'credentials' || errorKind(e) === 'interrupted') throw e;
    return {
      forceable: true,
      reason: `could not check which account the credentials are for (${describeError(e, d.profile)})`,
    };
  }
}
