/** Why an action will not start, and the exact commands it prints: the parts every action shares. */
import { callerIdentity } from '../aws/identity';
import { describeError, errorKind } from '../aws/errors';
import type { Deps } from '../aws/deps';

export interface Refusal {
  readonly reason: string;
  /** --force may override it. */
  readonly forceable: boolean;
  /**
   * It guards starting the change (target health, replication lag) and no longer applies once an
   * earlier run has made part of it: then the printed resume command must run as printed, or customers
   * stay half switched. It is shown as a warning instead.
   */
  readonly onlyBeforeStart?: boolean;
}

/**
 * `npx shopctl` with the global flags this run used, so printed commands act on the same deployment
 * and run as printed from a clone, where `shopctl` is not on PATH (npx finds the package's own bin).
 */
export function commandPrefix(d: Deps): string {
  return [
    'npx shopctl',
    ...(d.config.configName !== 'default' ? ['-c', d.config.configName] : []),
    ...(d.profile ? ['--profile', d.profile] : []),
    ...(d.globalRegionFlag ? ['--region', d.globalRegionFlag] : []),
  ].join(' ');
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
