import { painter, table } from '../output/table';
import type { RegionReadiness } from './readiness';

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
