import { EXIT, UsageError } from '../core/errors';
import type { CapacityClientsFor } from '../core/capacity';
import type { Deps } from '../core/deps';
import { checkReadiness, RegionReadiness } from '../core/readiness';
import { painter, table } from '../output/table';

/** Options of `shopctl check`. */
export interface CheckOptions {
  readonly json?: boolean;
  /** Regions to check; default every standby. */
  readonly target?: readonly string[];
}

/** Plain-text readiness report: one row per check, failures first in each region. */
export function renderReadiness(results: readonly RegionReadiness[], color: boolean): string {
  const p = painter(color);
  const rows = results.flatMap((r) =>
    r.ready === null
      ? [[r.region, '-', p.red('UNKNOWN'), r.error ?? '']]
      : r.checks.map((c) => [r.region, c.check, c.ok ? p.green('ok') : p.red('FAIL'), c.detail]),
  );
  const verdicts = results.map(
    (r) => `${r.region}: ${r.ready === null ? 'UNKNOWN' : r.ready ? 'READY' : 'NOT READY'}`,
  );
  return [table(['REGION', 'CHECK', 'RESULT', 'DETAIL'], rows), '', verdicts.join('  ')].join('\n');
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
