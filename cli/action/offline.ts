/**
 * Offline previews: a `--dry-run` without credentials still shows the plan, built from the config
 * alone, and says which live checks it could not make. Nothing is read from AWS and nothing changes.
 */
import { writeAudit } from '../aws/audit';
import { EXIT } from '../aws/errors';
import type { Deps } from '../aws/deps';

/** One planned step, as far as the config tells it. */
export interface OfflineStep {
  readonly title: string;
  readonly region: string;
  readonly changes: string;
}

/** Prints the offline plan and the skipped live checks, audits it locally; exit 0. */
export async function offlinePreview(
  d: Deps,
  command: string,
  args: readonly string[],
  title: string,
  steps: readonly OfflineStep[],
  skipped: readonly string[],
): Promise<number> {
  d.out(`${title} (offline preview: no AWS credentials; from config "${d.config.configName}" alone)`);
  steps.forEach((s, i) => {
    d.out(`  ${i + 1}. ${s.title}`);
    d.out(`     region: ${s.region}; changes: ${s.changes}`);
  });
  d.out('');
  d.out('Live checks skipped (they need credentials): ' + skipped.join('; ') + '.');
  d.out('Steps already in effect are skipped by a real run; refusals are decided then. Nothing changed.');
  await writeAudit(
    d,
    { command, args, result: 'dry-run', steps: [], detail: 'offline preview' },
    { remote: false },
  );
  return EXIT.ok;
}
