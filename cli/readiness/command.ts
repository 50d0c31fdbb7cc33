import { EXIT, UsageError } from '../aws/errors';
import type { CapacityClientsFor } from '../capacity/capacity';
import type { Deps } from '../aws/deps';
import { checkReadiness } from './readiness';
import { renderReadiness } from './render';

/** Options of `shopctl check`. */
export interface CheckOptions {
  readonly json?: boolean;
  /** Regions to check; default every standby. */
  readonly target?: readonly string[];
}

/**
 * `shopctl check`: would a failover to each standby succeed now? Exit 0 when every region checked is
 * ready, 1 when one is not, 3 when one could not be judged.
 */
export async function checkCommand(
  d: Deps,
  clients: CapacityClientsFor,
  opts: CheckOptions,
): Promise<number> {
  for (const r of opts.target ?? []) {
    if (!d.config.regions.some((c) => c.name === r)) {
      throw new UsageError(
        `--target ${r} is not a region of config ${d.config.configName}. Use one of ${d.config.regions.map((c) => c.name).join(', ')}`,
      );
    }
  }
  const results = await checkReadiness(d, clients, opts.target?.length ? opts.target : undefined);
  d.out(opts.json ? JSON.stringify({ regions: results }, null, 2) : renderReadiness(results, d.color));
  if (results.some((r) => r.ready === null)) return EXIT.unknown;
  return results.every((r) => r.ready) ? EXIT.ok : EXIT.affected;
}
